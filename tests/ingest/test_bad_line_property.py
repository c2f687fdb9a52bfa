"""Property (issue 12): one line of random bytes in a JSON-lines file costs that line only.

N valid records, any one line replaced by arbitrary bytes (no newline): every other record
lands in the lake, and the bad line is quarantined with its line number.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows, sample_records

BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def pool(samples_dir: Path) -> list[dict]:
    """Sign-in records with distinct event ids."""
    records = sample_records(samples_dir, "service_principal_sign_in_logs.json")
    by_id = {r["properties"]["id"]: r for r in records}
    return list(by_id.values())


def _blank(line: bytes, first: bool) -> bool:
    """A line the reader skips as empty (whitespace only; a leading BOM on the first line)."""
    if first and line.startswith(BOM):
        line = line[len(BOM) :]
    try:
        return not line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), gz=st.booleans())
def test_one_random_line_costs_that_line_only(pool: list[dict], data, gz: bool) -> None:
    count = data.draw(st.integers(2, min(8, len(pool))), label="records")
    at = data.draw(st.integers(0, count - 1), label="bad line index")
    # starts that once made a whole file look binary, UTF-16, gzip or a JSON document
    start = data.draw(st.sampled_from([b"", b"\x00", b"\xff\xfe", b"\x1f\x8b", b"[", b"{"]))
    bad = start + data.draw(st.binary(max_size=200).filter(lambda b: b"\n" not in b))
    assume(not _blank(bad, at == 0))
    records = pool[:count]
    lines = [json.dumps(r).encode() for r in records]
    lines[at] = bad
    payload = b"\n".join(lines) + b"\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("export.jsonl.gz" if gz else "export.jsonl")
        path.write_bytes(gzip.compress(payload) if gz else payload)
        workspace = Workspace.at(Path(tmp) / "ws")
        workspace.lake.mkdir(parents=True)
        summary = ingest_paths(workspace, [path])

        assert summary.conserved and summary.files_failed == 0, summary.lines()
        assert summary.rows_read == count
        assert summary.rows_written == {"signins": count - 1}, summary.lines()
        landed = lake_rows(workspace, "signins")
        assert sorted(r["source_line"] for r in landed) == [
            n for n in range(1, count + 1) if n != at + 1
        ]
        expected = {r["properties"]["id"] for i, r in enumerate(records) if i != at}
        assert {r["event_id"] for r in landed} == expected
        (quarantined,) = quarantine_rows(workspace)
        assert quarantined["source_line"] == at + 1
        assert quarantined["source_file"] == str(path) and quarantined["reason"]
