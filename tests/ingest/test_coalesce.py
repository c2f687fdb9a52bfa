"""Many small files: coalesced into commit units, with every per-file count and row exact."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths, manifest
from pipeline.workspace import Workspace

from .records import lake_rows, read_quarantine, sample_records, write_lines


def _hourly_files(samples: Path, root: Path, hours: int) -> dict[Path, int]:
    """One PT1H.json a category per hour (ids made unique per hour); file -> its line count.
    Every third file of managed identity sign-ins carries a broken line (line 2)."""
    sources = {
        "signinlogs": "service_principal_sign_in_logs.json",
        "managedidentitysigninlogs": "managed_identity_sign_in_logs.json",
        "auditlogs": "audit_logs.json",
        "microsoftgraphactivitylogs": "ms_graph_activity_logs.json",
    }
    made: dict[Path, int] = {}
    for category, name in sources.items():
        records = sample_records(samples, name)
        for hour in range(hours):
            batch = []
            for rec in records[:5]:
                rec = copy.deepcopy(rec)
                props = rec["properties"]
                for key in ("id", "requestId"):
                    if key in props:
                        props[key] = f"{props[key]}-h{hour}"
                batch.append(rec)
            path = root / f"insights-logs-{category}" / f"h={hour:02d}" / "PT1H.json"
            write_lines(path, batch)
            lines = len(batch)
            if category == "managedidentitysigninlogs" and hour % 3 == 0:
                text = path.read_text().splitlines()
                text.insert(1, '{"broken": ')
                path.write_text("\n".join(text) + "\n")
                lines += 1
            made[path] = lines
    return made


def test_small_files_share_parquet_files_and_keep_exact_counts(
    samples_dir: Path, tmp_path: Path
) -> None:
    made = _hourly_files(samples_dir, tmp_path / "in", hours=6)
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [tmp_path / "in"])
    assert summary.files_ingested == len(made) == 24 and summary.conserved
    by_file = {Path(r.file): r for r in summary.files}
    for path, lines in made.items():
        result = by_file[path]
        broken = 1 if "managedidentity" in str(path) and path.parent.name in ("h=00", "h=03") else 0
        assert result.rows_read == lines
        assert result.quarantined == broken
        assert sum(result.rows_written.values()) + result.duplicates == lines - broken
    # one Parquet file per (table, date) for the whole run, not one per input file
    for table in ("signins", "audits", "activity"):
        files = list(ws.table_dir(table).glob("date=*/*.parquet"))
        days = {f.parent.name for f in files}
        assert files and len(files) == len(days)
    # each row points to its own file and line
    for row in lake_rows(ws, "signins") + lake_rows(ws, "activity"):
        hour = Path(row["source_file"]).parent.name.removeprefix("h=")
        assert row["event_id"].endswith(f"-h{int(hour)}")
        line = Path(row["source_file"]).read_text().splitlines()[row["source_line"] - 1]
        assert json.loads(line)["properties"].get("id", "") in (row["event_id"], "") or (
            json.loads(line)["properties"].get("requestId") == row["event_id"]
        )
    quarantined = read_quarantine(ws).to_pylist()
    assert sorted((Path(q["source_file"]).parent.name, q["source_line"]) for q in quarantined) == [
        ("h=00", 2),
        ("h=03", 2),
    ]
    assert all(q["source_format"] == "storage" for q in quarantined)


def test_reingest_with_new_files_keeps_earlier_quarantine(
    samples_dir: Path, tmp_path: Path
) -> None:
    """Files skipped as already ingested share a unit with new ones: their quarantine stays."""
    made = _hourly_files(samples_dir, tmp_path / "in", hours=4)
    ws = Workspace.at(tmp_path / "ws")
    first = ingest_paths(ws, [tmp_path / "in"])
    assert first.quarantined == 2
    extra = _hourly_files(samples_dir, tmp_path / "more", hours=5)
    newest = [p for p in extra if p.parent.name == "h=04"]
    again = ingest_paths(ws, [tmp_path / "in", *newest])
    assert again.files_skipped == len(made) and again.files_ingested == len(newest)
    assert len(read_quarantine(ws)) == 2
    assert again.duplicates == 0 and again.rows_written_total > 0


def test_same_content_twice_in_one_run_is_read_once(samples_dir: Path, tmp_path: Path) -> None:
    records = sample_records(samples_dir, "sign_in_logs.json")
    a = write_lines(tmp_path / "in" / "a.json", records)
    b = write_lines(tmp_path / "in" / "b.json", records)
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [a, b])
    results = {Path(r.file).name: r for r in summary.files}
    assert not results["a.json"].skipped and results["b.json"].skipped
    assert summary.rows_read == len(records) and summary.duplicates == 0


@pytest.mark.parametrize("chunk", [2_000, 64 * 1024])
def test_units_split_at_chunk_size_and_big_files_alone(
    samples_dir: Path, tmp_path: Path, chunk: int
) -> None:
    """Small chunks: units close often and some files are 'big' (own unit, hashed while read)."""
    made = _hourly_files(samples_dir, tmp_path / "in", hours=3)
    clean = Workspace.at(tmp_path / "clean")
    reference = ingest_paths(clean, [tmp_path / "in"])
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [tmp_path / "in"], chunk_bytes=chunk)
    assert summary.conserved and summary.files_ingested == len(made)
    assert summary.rows_written == reference.rows_written
    assert {r.file: r.rows_read for r in summary.files} == {
        r.file: r.rows_read for r in reference.files
    }
    mine = sorted((r["source_file"], r["source_line"]) for r in lake_rows(ws, "signins"))
    theirs = sorted((r["source_file"], r["source_line"]) for r in lake_rows(clean, "signins"))
    assert mine == theirs
    again = ingest_paths(ws, [tmp_path / "in"], chunk_bytes=chunk)
    assert again.files_skipped == len(made) and again.rows_read == 0


@pytest.mark.parametrize("shape", ["plain", "bom", "gzip", "long line"])
def test_big_file_hashed_while_read_matches_its_content_hash(
    samples_dir: Path, tmp_path: Path, shape: str
) -> None:
    """A big JSON-lines file is hashed from the bytes the reader reads (one read, no second
    pass); the manifest then holds the same hash as hashing the file on its own."""
    records = [copy.deepcopy(r) for r in sample_records(samples_dir, "sign_in_logs.json") * 3]
    for i, rec in enumerate(records):
        rec["properties"]["id"] = f"{rec['properties']['id']}-{i}"
    path = write_lines(tmp_path / "in" / "big.json", records, gz=shape == "gzip")
    if shape == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    if shape == "long line":  # a line over the record limit is skipped, yet hashed
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join([*lines[:7], b'{"x": "' + b"y" * 9_000 + b'"}\n', *lines[7:]]))
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [path], chunk_bytes=4_096, max_record_bytes=8_192)
    (result,) = summary.files
    assert result.content_hash == manifest.content_hash(path)
    assert summary.rows_written_total == len(records)
    again = ingest_paths(ws, [path], chunk_bytes=4_096, max_record_bytes=8_192)
    assert again.files_skipped == 1


def test_progress_without_a_terminal_prints_a_line_per_tenth(
    samples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _hourly_files(samples_dir, tmp_path / "in", hours=10)  # 40 files
    ingest_paths(Workspace.at(tmp_path / "ws"), [tmp_path / "in"], progress=True)
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ingest:")]
    assert 5 <= len(err) <= 11
    assert err[-1].startswith("ingest: 40/40 files (100%)")
