"""Bad input: each case gets a clear message naming file (and line), and the run goes on."""

from __future__ import annotations

import copy
import gzip
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import AgentAuditError
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows, sample_records, write_lines


@pytest.fixture(scope="module")
def records(samples_dir: Path) -> list[dict]:
    return sample_records(samples_dir, "service_principal_sign_in_logs.json")


def test_malformed_json_lines(tmp_path: Path, workspace: Workspace, records) -> None:
    lines = [json.dumps(r) for r in records[:3]]
    lines.insert(1, '{"time": "2025-04-11T03:21:57Z", "category": "SignInLogs", "properties": {')
    lines.insert(3, "")  # blank lines are not records
    lines.insert(4, "[1, 2")
    (tmp_path / "bad.json").write_text("\n".join(lines) + "\n")
    summary = ingest_paths(workspace, [tmp_path / "bad.json"])
    assert summary.rows_read == 5 and summary.rows_written == {"signins": 3}
    assert summary.quarantined == 2 and summary.conserved
    bad = sorted(quarantine_rows(workspace), key=lambda r: r["source_line"])
    assert [r["source_line"] for r in bad] == [2, 5]
    assert all(r["reason"].startswith("malformed JSON") for r in bad)
    assert bad[1]["raw_text"] == "[1, 2"
    assert all(r["source_file"] == str(tmp_path / "bad.json") for r in bad)
    assert [r["source_line"] for r in lake_rows(workspace, "signins")] == [1, 3, 6]
    # the summary names them too
    assert [(e.file, e.line) for e in summary.quarantine_examples] == [
        (str(tmp_path / "bad.json"), 2),
        (str(tmp_path / "bad.json"), 5),
    ]
    assert any("bad.json:5: malformed JSON" in line for line in summary.lines())


def test_truncated_gzip(tmp_path: Path, workspace: Workspace, records) -> None:
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode())
    (tmp_path / "cut.json.gz").write_bytes(data[: len(data) * 2 // 3])
    summary = ingest_paths(workspace, [tmp_path / "cut.json.gz"])
    (err,) = summary.errors
    assert err.file == str(tmp_path / "cut.json.gz")
    assert "compressed data ends early" in err.message
    assert summary.rows_written["signins"] > 0 and summary.conserved
    assert summary.files_ingested == 1 and summary.files_failed == 0


def test_binary_file(tmp_path: Path, workspace: Workspace, records) -> None:
    (tmp_path / "image.json").write_bytes(bytes(range(256)) * 50)
    write_lines(tmp_path / "good.json", records[:2])
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"signins": 2}
    (err,) = summary.errors
    assert err.file.endswith("image.json") and "binary file" in err.message
    (q,) = quarantine_rows(workspace)
    assert q["reason"].startswith("binary file") and q["source_line"] is None


def test_empty_file_and_cli_exit_code(tmp_path: Path, records) -> None:
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "blank.json").write_text("\n\n  \n")
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    result = runner.invoke(cli, ["ingest", "-w", ws, str(tmp_path / "empty.json")])
    assert isinstance(result.exception, AgentAuditError) and result.exception.exit_code == 1
    assert "empty file" in result.output
    write_lines(tmp_path / "good.json", records[:1])
    result = runner.invoke(cli, ["ingest", "-w", ws, str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "signins 1" in result.output and "blank.json: empty file" in result.output


def test_exports_without_records_are_named(tmp_path: Path) -> None:
    """A portal CSV with its header only, an empty array, an empty Graph page: valid exports of
    a quiet period. They are not failures, but the summary says they held no records."""
    (tmp_path / "header.csv").write_text("Date (UTC),Request ID,User,Application\n")
    (tmp_path / "array.json").write_text("[]\n")
    (tmp_path / "page.json").write_text('{"value": []}\n')
    result = CliRunner().invoke(cli, ["ingest", "-w", str(tmp_path / "ws"), str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "3 ingested" in result.output and "0 failed" in result.output
    assert "no records in 3 file(s)" in result.output
    assert all(name in result.output for name in ("header.csv", "array.json", "page.json"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A pipe can be read once only (ingest hashes, sniffs, then reads): it used to hang."""
    os.mkfifo(tmp_path / "pipe.json")
    summary = ingest_paths(Workspace.at(tmp_path / "ws"), [tmp_path / "pipe.json"])
    (err,) = summary.errors
    assert summary.files_failed == 1 and "not a regular file" in err.message


def test_csv_with_unknown_headers(tmp_path: Path, workspace: Workspace) -> None:
    (tmp_path / "people.csv").write_text("name,shoe size,colour\nann,38,red\nbob,44,blue\n")
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_read == 2 and summary.quarantined == 2 and summary.conserved
    rows = quarantine_rows(workspace)
    assert {r["source_line"] for r in rows} == {2, 3}
    assert all(
        "CSV with unrecognised headers (name, shoe size, colour)" in r["reason"] for r in rows
    )


def test_records_without_id_or_time(tmp_path: Path, workspace: Workspace, records) -> None:
    no_id = copy.deepcopy(records[0])
    del no_id["properties"]["id"]
    no_time = copy.deepcopy(records[1])
    no_time["properties"]["createdDateTime"] = "yesterday"
    no_time["time"] = "soon"
    write_lines(tmp_path / "x.json", [no_id, no_time, records[2]])
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"signins": 1} and summary.quarantined == 2
    reasons = {r["source_line"]: r["reason"] for r in quarantine_rows(workspace)}
    assert reasons[1] == "record without an id (field 'id' missing or empty)"
    assert reasons[2] == "record without a usable time (field 'created' is 'yesterday')"
    assert summary.quarantine_reasons == {
        "record without an id": 1,
        "record without a usable time": 1,
    }


def test_fifty_megabyte_line(tmp_path: Path, workspace: Workspace, records) -> None:
    huge = copy.deepcopy(records[0])
    huge["properties"]["id"] = "huge"
    huge["properties"]["padding"] = "x" * (50 * 1024 * 1024)
    path = tmp_path / "huge.json"
    with open(path, "w") as fh:
        fh.write(json.dumps(records[1]) + "\n")
        fh.write(json.dumps(huge) + "\n")
        fh.write(json.dumps(records[2]) + "\n")
    summary = ingest_paths(workspace, [path], chunk_bytes=4 * 1024 * 1024)
    assert summary.rows_read == 3 and summary.rows_written == {"signins": 2}
    (q,) = quarantine_rows(workspace)
    assert q["source_line"] == 2 and "over the 16 MiB record limit" in q["reason"]
    assert len(q["raw_text"]) == 64 * 1024
    assert [r["source_line"] for r in lake_rows(workspace, "signins")] == [1, 3]


def test_line_longer_than_a_chunk_but_within_limit(tmp_path: Path, workspace, records) -> None:
    big = copy.deepcopy(records[0])
    big["properties"]["padding"] = "y" * 300_000
    write_lines(tmp_path / "big.json", [records[1], big, records[2]])
    summary = ingest_paths(workspace, [tmp_path], chunk_bytes=64 * 1024)
    assert summary.rows_written == {"signins": 3} and summary.quarantined == 0
    (row,) = [r for r in lake_rows(workspace, "signins") if r["source_line"] == 2]
    assert json.loads(row["raw"])["properties"]["padding"] == "y" * 300_000


def test_unreadable_file(tmp_path: Path, workspace: Workspace, records) -> None:
    (tmp_path / "gone.json").symlink_to(tmp_path / "missing-target.json")
    write_lines(tmp_path / "ok.json", records[:1])
    summary = ingest_paths(workspace, [tmp_path / "gone.json", tmp_path / "ok.json"])
    (err,) = summary.errors
    assert err.file.endswith("gone.json") and "cannot read the file" in err.message
    assert summary.files_failed == 1 and summary.rows_written == {"signins": 1}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission(tmp_path: Path, workspace: Workspace, records) -> None:
    path = write_lines(tmp_path / "locked.json", records[:1])
    path.chmod(0)
    summary = ingest_paths(workspace, [path])
    assert summary.nothing_read and "permission" in summary.errors[0].message.lower()


def test_missing_path_is_an_error(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(AgentAuditError, match="input not found: .*nope"):
        ingest_paths(workspace, [tmp_path / "nope"])


def test_not_utf8_line(tmp_path: Path, workspace: Workspace, records) -> None:
    good = json.dumps(records[0]).encode()
    bad = json.dumps(records[1]).encode().replace(b'"Level"', b'"L\xffvel"')
    (tmp_path / "latin.json").write_bytes(good + b"\n" + bad + b"\n")
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"signins": 1}
    (q,) = quarantine_rows(workspace)
    assert q["source_line"] == 2 and q["reason"].startswith("not UTF-8 text")


def test_plain_text_file(tmp_path: Path, workspace: Workspace) -> None:
    (tmp_path / "README").write_text("These are our exports\nplease keep them\n")
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.nothing_read
    assert "neither JSON nor CSV" in summary.errors[0].message


def test_workspace_lake_is_not_ingested(tmp_path: Path, records) -> None:
    ws = Workspace.at(tmp_path)
    write_lines(tmp_path / "exports" / "a.json", records[:2])
    first = ingest_paths(ws, [tmp_path])
    assert first.rows_written == {"signins": 2} and first.files_seen == 1
    again = ingest_paths(ws, [tmp_path])  # the lake now holds Parquet and JSON manifests
    assert again.files_seen == 1 and again.files_skipped == 1 and not again.errors


def test_malformed_document(tmp_path: Path, workspace: Workspace) -> None:
    (tmp_path / "page.json").write_text('{"value": [{"id": "1", "createdDateTime": ')
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_read == 1 and summary.quarantined == 1 and summary.conserved
    (q,) = quarantine_rows(workspace)
    assert q["reason"] == "malformed JSON document" and q["source_line"] == 1


def test_malformed_line_with_non_ascii_text_is_quarantined(
    workspace, tmp_path: Path, samples_dir: Path
) -> None:
    """DuckDB's parse error quotes the line cut at a byte count; cut inside 'é' it surfaced as a
    UnicodeDecodeError that stopped the whole ingest."""
    good = sample_records(samples_dir, "sign_in_logs.json")[0]
    bad = '{"a": "' + "é" * 200 + "\x01" + "é" * 100 + '"}'
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(good) + "\n" + bad + "\n", encoding="utf-8")
    summary = ingest_paths(workspace, [path])
    assert summary.conserved and summary.rows_written_total == 1 and summary.quarantined == 1
    assert summary.quarantine_examples[0].line == 2


def test_input_whose_every_row_is_quarantined_fails_the_ingest(tmp_path: Path) -> None:
    """Exit 0 and "1 ingested" for a file of which nothing landed hid a wrong export: exit 1,
    naming it; the rows stay in quarantine with their reasons."""
    (tmp_path / "people.csv").write_text("name,shoe size\nann,38\nbob,44\n")
    ws = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["ingest", "-w", str(ws), str(tmp_path / "people.csv")])
    assert isinstance(result.exception, AgentAuditError) and result.exception.exit_code == 1
    assert "every row of 1 input(s) was quarantined:" in str(result.exception)
    assert str(tmp_path / "people.csv") in str(result.exception)
    assert len(quarantine_rows(Workspace.at(ws))) == 2
