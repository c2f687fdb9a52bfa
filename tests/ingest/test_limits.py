"""Reader limits on hostile input: nesting depth, bounded gunzip, sizes measured while streaming,
CSV width, header-only CSV, link reporting and terminal-safe summaries (the small versions of the
slow cases in tests/reliability/test_size_limits.py)."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import duckdb
import pytest

from pipeline.ingest import ingest_paths
from pipeline.ingest.detect import HEAD_BYTES, GunzipReader, sniff
from pipeline.ingest.reader import (
    MAX_CSV_COLUMNS,
    MAX_NESTING,
    NotADocument,
    _read_after,
    measure,
    nesting_depth,
    read_csv,
    read_document,
)
from pipeline.ingest.runner import expand_paths
from pipeline.ingest.summary import FileError, IngestSummary, inert
from pipeline.workspace import Workspace


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_nesting_depth_ignores_brackets_inside_strings() -> None:
    assert nesting_depth('{"a": [1, {"b": 2}]}') == 3
    assert nesting_depth('{"a": "[[[[{{{{", "b": "\\"[[["}') == 1
    assert nesting_depth(_deep(5000)) == 5000
    assert nesting_depth("") == 0


def test_a_deep_record_in_a_document_is_quarantined_and_the_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    ok = {"id": "x", "createdDateTime": "2026-11-20T00:00:00Z"}
    path.write_text(
        "[" + json.dumps(ok) + "," + _deep(MAX_NESTING + 1) + "," + json.dumps(ok) + "]"
    )
    batch = read_document(path, sniff(path), duckdb.connect(), 1 << 20)
    assert batch.lines.column("line_no").to_pylist() == [1, 3]
    (bad,) = batch.rejected
    assert bad.line_no == 2 and f"nested deeper than {MAX_NESTING} levels" in bad.reason
    # exactly at the limit is kept
    path.write_text("[" + _deep(MAX_NESTING) + "]")
    assert read_document(path, sniff(path), duckdb.connect(), 1 << 20).rejected == []


def _bomb(path: Path, mib: int) -> Path:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [deflate.compress(b'{"records": [')]
    parts += [deflate.compress(b" " * (1 << 20)) for _ in range(mib)]
    parts += [deflate.compress(b"]}\n"), deflate.flush()]
    path.write_bytes(b"".join(parts))
    return path


def test_gunzip_inflates_only_what_is_asked(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.json.gz", 64)
    with GunzipReader(path) as fh:
        first = fh.read(1000)
        assert first.startswith(b'{"records": [') and len(first) == 1000
        assert fh._held < 2 << 20  # not the 64 MiB the one compressed block holds
        total = len(first) + sum(len(b) for b in iter(lambda: fh.read(8 << 20), b""))
    assert total == 64 * (1 << 20) + len(b'{"records": []}\n')


def test_gunzip_reads_concatenated_members_and_flags_a_cut(tmp_path: Path) -> None:
    path = tmp_path / "two.gz"
    path.write_bytes(gzip.compress(b"one\n") + gzip.compress(b"two\n"))
    with GunzipReader(path) as fh:
        assert fh.read() == b"one\ntwo\n" and fh.problem is None
    cut = tmp_path / "cut.gz"
    cut.write_bytes(gzip.compress(b"x" * 100_000)[:-20])
    with GunzipReader(cut) as fh:
        fh.read()
        assert fh.problem and "truncated" in fh.problem


def test_a_gzip_bomb_document_is_one_quarantine_row(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.json.gz", 8)
    detected = sniff(path)
    assert measure(path, detected, 1 << 20).size > 1 << 20
    batch = read_document(path, detected, duckdb.connect(), 1 << 20)
    (row,) = batch.rejected
    assert batch.lines.num_rows == 0 and "over the 1 MiB file limit" in row.reason
    assert row.raw_text.startswith('{"records": [')


def test_a_long_first_line_followed_by_lines_is_not_a_document(tmp_path: Path) -> None:
    path = tmp_path / "long.json"
    path.write_text('{"x": "' + "A" * (HEAD_BYTES * 2) + '"}\n{"y": 1}\n')
    detected = sniff(path)
    assert detected.shape == "document"  # the head alone cannot tell
    assert measure(path, detected, 1 << 30).lines_after_long_first
    with pytest.raises(NotADocument):
        read_document(path, detected, duckdb.connect(), 1 << 30)


@pytest.mark.parametrize("compressed", [False, True])
def test_header_only_csv_is_zero_rows(tmp_path: Path, compressed: bool) -> None:
    body = b"TimeGenerated,Type,TenantId,Id\r\n"
    path = tmp_path / ("e.csv.gz" if compressed else "e.csv")
    path.write_bytes(gzip.compress(body) if compressed else body)
    batch = read_csv(path, sniff(path), 1 << 20)
    assert batch.lines.num_rows == 0 and batch.rejected == [] and batch.dialect == "loganalytics"


def test_a_csv_over_the_column_limit_is_quarantined_row_by_row(tmp_path: Path) -> None:
    n = MAX_CSV_COLUMNS + 1
    path = tmp_path / "wide.csv"
    row = ",".join("1" for _ in range(n))
    path.write_text(",".join(f"c{i}" for i in range(n)) + f"\n{row}\n\n{row}\n")
    batch = read_csv(path, sniff(path), 1 << 24)
    assert batch.lines.num_rows == 0
    assert [r.line_no for r in batch.rejected] == [2, 4]
    assert all(f"{n:,} columns is over the" in r.reason for r in batch.rejected)
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [path])
    assert summary.conserved and summary.quarantined == 2


def test_a_csv_over_the_size_limit_is_one_quarantine_row(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("TimeGenerated,Type\n" + "2026-11-20T00:00:00Z,SigninLogs\n" * 50_000)
    batch = read_csv(path, sniff(path), 1 << 20)
    (row,) = batch.rejected
    assert "CSV file is over the 1 MiB file limit" in row.reason


def test_links_inside_a_folder_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "real").mkdir(parents=True)
    (folder / "a.json").write_text("{}\n")
    (folder / "gone.json").symlink_to(tmp_path / "nowhere.json")
    (folder / "up").symlink_to(folder, target_is_directory=True)
    passed_over: list[FileError] = []
    assert expand_paths([folder], passed_over) == [folder / "a.json"]
    by_name = {Path(e.file).name: e.message for e in passed_over}
    assert "dangling link" in by_name["gone.json"]
    assert "linked folder not followed" in by_name["up"]


def test_a_symlink_loop_as_input_fails_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    good = tmp_path / "good.json"
    good.write_text("{}\n")
    summary = ingest_paths(Workspace.at(tmp_path / "ws"), [tmp_path / "a", good])
    assert summary.files_failed == 1 and summary.conserved
    assert any(e.file.endswith("a") for e in summary.errors)


def test_summary_lines_show_controls_and_direction_marks_escaped() -> None:
    assert inert("a\x1b[31mb\u202ec\u2066d\te") == "a\\x1b[31mb\\u202ec\\u2066d\\te"
    summary = IngestSummary(run_id="r", started="2026-11-20T00:00:00Z")
    summary.errors.append(FileError(file="exe.\u202etxt", message="bad \x07 bell"))
    text = "\n".join(summary.lines())
    assert "\u202e" not in text and "\x07" not in text and "exe.\\u202etxt" in text


def test_small_file_gets_a_buffer_of_its_size(tmp_path: Path) -> None:
    """A chunk buffer is as large as what is left of the file: thousands of small hourly files
    must not each allocate (and zero) a whole chunk (it made a 2,237-file ingest 12x slower)."""
    path = tmp_path / "small.json"
    path.write_bytes(b'{"a": 1}\n' * 100)
    with open(path, "rb") as fh:
        buf, filled = _read_after(fh, b"", 64 * 1024 * 1024, None)
        assert filled == path.stat().st_size and len(buf) <= filled + 1
        again, more = _read_after(fh, b"", 64 * 1024 * 1024, buf)
        assert more == 0 and again is buf  # at the end: the same buffer, nothing read
