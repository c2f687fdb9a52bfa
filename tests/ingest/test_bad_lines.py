"""One bad line never costs a file (issue 12): binary lines, cut compressed files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths
from pipeline.ingest.detect import sniff
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows, sample_records

BINARY_LINES = {
    "nul": b"\x00\x01\x02\x03 not text \x00",
    "not_utf8": b"\xff\xfe\x89PNG\r\x1a\xc3",
    "gzip_magic": b"\x1f\x8b\x08\x00 binary",
    "nul_in_json": b'{"time": "2025-04-11T03:21:57Z", "category": "SignInLogs\x00"}',
}


@pytest.fixture(scope="module")
def records(samples_dir: Path) -> list[dict]:
    return sample_records(samples_dir, "service_principal_sign_in_logs.json")[:6]


def _file(tmp_path: Path, records: list[dict], bad: bytes, at: int, gz: bool) -> Path:
    lines = [json.dumps(r).encode() for r in records]
    lines.insert(at, bad)
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / ("export.jsonl.gz" if gz else "export.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("at", [0, 1, 3], ids=["first", "second", "middle"])
@pytest.mark.parametrize("kind", sorted(BINARY_LINES))
def test_binary_line_is_quarantined_alone(
    tmp_path: Path, workspace: Workspace, records, kind: str, at: int, gz: bool
) -> None:
    if kind == "gzip_magic" and (gz or at):
        pytest.skip("the gzip magic matters at the start of a plain file only")
    path = _file(tmp_path, records, BINARY_LINES[kind], at, gz)
    assert sniff(path).shape == "jsonl"
    summary = ingest_paths(workspace, [path])
    assert summary.rows_read == len(records) + 1 and summary.conserved
    assert summary.rows_written == {"signins": len(records)}
    assert summary.files_failed == 0 and not summary.errors
    (bad,) = quarantine_rows(workspace)
    assert bad["source_line"] == at + 1 and bad["source_file"] == str(path)
    assert bad["reason"].startswith(("not UTF-8 text", "binary data: a NUL byte"))
    landed = [r["source_line"] for r in lake_rows(workspace, "signins")]
    assert landed == [n for n in range(1, len(records) + 2) if n != at + 1]


def test_mostly_binary_file_is_still_refused(tmp_path: Path, workspace, records) -> None:
    """A binary file with one JSON line in it stays a binary file."""
    noise = [bytes(range(11, 256)) for _ in range(5)]
    path = tmp_path / "blob.json"
    path.write_bytes(b"\n".join([json.dumps(records[0]).encode(), *noise, b"\x00" * 40]))
    assert sniff(path).shape == "binary"
