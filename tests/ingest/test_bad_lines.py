"""One bad line never costs a file (issue 12): binary lines, cut compressed files."""

from __future__ import annotations

import gzip
import json
import zlib
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


def _inflatable(data: bytes) -> bytes:
    """What a cut gzip stream still inflates to."""
    return zlib.decompressobj(wbits=31).decompress(data)


@pytest.mark.parametrize("fraction", [0.3, 0.55, 0.8])
@pytest.mark.parametrize("layout", ["jsonl", "array", "value_page", "records_body"])
def test_truncated_gzip_keeps_the_records_before_the_cut(
    tmp_path: Path, workspace: Workspace, all_records, layout: str, fraction: float
) -> None:
    texts = [json.dumps(r) for r in all_records]
    heads = {
        "array": "[",
        "value_page": '{"@odata.context": "x", "value": [',
        "records_body": '{"records": [',
    }
    if layout == "jsonl":
        sep, head, foot = "\n", "", "\n"
    else:
        sep, head, foot = ", ", heads[layout], "]" if layout == "array" else "]}"
    body = head + sep.join(texts) + foot
    data = gzip.compress(body.encode())
    path = tmp_path / "export.json.gz"
    path.write_bytes(data[: int(len(data) * fraction)])
    prefix = len(_inflatable(path.read_bytes()))
    ends, at = [], len(head)
    for text in texts:
        at += len(text)
        ends.append(at)
        at += len(sep)
    need = 0 if layout == "jsonl" else 1  # an array element counts once its delimiter is read
    whole = sum(1 for end in ends if end + need <= prefix)
    assert 0 < whole < len(texts)

    summary = ingest_paths(workspace, [path])
    assert summary.rows_written == {"signins": whole} and summary.conserved
    assert summary.files_ingested == 1 and summary.files_failed == 0
    (err,) = summary.errors
    assert err.file == str(path) and "truncated" in err.message
    landed = [r["event_id"] for r in lake_rows(workspace, "signins")]
    assert sorted(landed) == sorted(r["properties"]["id"] for r in all_records[:whole])
    cut = quarantine_rows(workspace)
    assert len(cut) <= 1 and summary.quarantined == len(cut)
    for row in cut:
        assert row["source_file"] == str(path) and "truncated" in row["reason"]
        assert row["source_line"] == whole + 1
        assert row["reason"].startswith(("line cut short", "record cut short"))


@pytest.fixture(scope="module")
def all_records(samples_dir: Path) -> list[dict]:
    return sample_records(samples_dir, "service_principal_sign_in_logs.json")
