"""Properties: rows are conserved whatever the mix, ingesting twice changes nothing, normalising
the lake's own raw records again gives the same rows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows, sample_records

SAMPLE_FILES = (
    "sign_in_logs.json",
    "service_principal_sign_in_logs.json",
    "managed_identity_sign_in_logs.json",
    "audit_logs.json",
    "ms_graph_activity_logs.json",
    "user_risk_event_logs.json",
)
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def pool(samples_dir: Path) -> list[str]:
    """Valid record lines with distinct event keys."""
    lines: dict[str, str] = {}
    for name in SAMPLE_FILES:
        for record in sample_records(samples_dir, name):
            props = record["properties"]
            key = record["category"] + "/" + (props.get("requestId") or props["id"])
            lines.setdefault(key, json.dumps(record))
    return list(lines.values())


def corrupt(line: str, how: str, n: int) -> str:
    if how == "truncate":
        return line[: max(1, n % max(len(line) - 1, 1))]
    if how == "garbage":
        return "not json " + str(n)
    if how == "scalar":
        return str(n)
    if how == "unknown_category":
        record = json.loads(line)
        record["category"] = f"SomethingElse{n}"
        return json.dumps(record)
    record = json.loads(line)  # no id
    record["properties"].pop("id", None)
    record["properties"].pop("requestId", None)
    record["properties"].pop("operationId", None)
    return json.dumps(record)


ITEM = st.one_of(
    st.tuples(st.just("valid"), st.integers(0, 10_000)),
    st.tuples(
        st.sampled_from(["truncate", "garbage", "scalar", "unknown_category", "no_id"]),
        st.integers(0, 10_000),
    ),
    st.tuples(st.just("blank"), st.just(0)),
)


def _lake_snapshot(ws: Workspace) -> dict[str, list]:
    volatile = {"ingest_time", "source_file", "source_line"}
    out = {}
    for table in ("signins", "audits", "activity", "risk_events"):
        rows = [{k: v for k, v in r.items() if k not in volatile} for r in lake_rows(ws, table)]
        out[table] = sorted(rows, key=lambda r: (r["event_id"], str(r.get("log_type"))))
    return out


@SETTINGS
@given(items=st.lists(ITEM, min_size=1, max_size=40), chunk=st.sampled_from([2048, 1 << 20]))
def test_any_mix_conserves_rows(pool: list[str], items: list, chunk: int) -> None:
    lines, valid_keys, bad = [], set(), 0
    for how, n in items:
        line = pool[n % len(pool)]
        if how == "valid":
            lines.append(line)
            valid_keys.add(line)
        elif how == "blank":
            lines.append("   ")
        else:
            lines.append(corrupt(line, how, n))
            bad += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mix.json"
        path.write_text("\n".join(lines) + "\n")
        ws = Workspace.at(Path(tmp) / "ws")
        summary = ingest_paths(ws, [path], chunk_bytes=chunk)
        assert summary.conserved
        if not any(line.strip() for line in lines):
            assert summary.rows_read == 0 and summary.nothing_read  # an empty file
            return
        if not any(line.startswith("{") for line in lines):
            # no line looks like JSON: the file is rejected whole, as one quarantined row
            assert summary.rows_read == 1 and summary.quarantined == 1 and summary.nothing_read
            return
        assert summary.rows_read == len(lines) - sum(1 for how, _ in items if how == "blank")
        assert summary.rows_written_total == len(valid_keys)
        assert summary.quarantined == bad
        assert summary.duplicates == sum(1 for how, _ in items if how == "valid") - len(valid_keys)
        assert len(quarantine_rows(ws)) == bad


@SETTINGS
@given(picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def test_ingesting_twice_changes_nothing(pool: list[str], picks: list[int]) -> None:
    chosen = [pool[n % len(pool)] for n in picks]
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.at(Path(tmp) / "ws")
        first = Path(tmp) / "first.json"
        first.write_text("\n".join(chosen) + "\n")
        ingest_paths(ws, [first])
        before = _lake_snapshot(ws)
        files_before = sorted(p.name for p in ws.lake.rglob("*.parquet"))
        # the same file again: skipped by its content hash
        again = ingest_paths(ws, [first])
        assert again.files_skipped == 1 and again.rows_read == 0
        # the same events in another order, in another file: all duplicates
        second = Path(tmp) / "second.json"
        second.write_text("\n".join(reversed(chosen)) + "\n\n")
        other = ingest_paths(ws, [second])
        assert other.rows_written_total == 0 and other.duplicates == len(chosen)
        assert _lake_snapshot(ws) == before
        assert sorted(p.name for p in ws.lake.rglob("*.parquet")) == files_before


@SETTINGS
@given(picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=30))
def test_normalising_is_idempotent(pool: list[str], picks: list[int]) -> None:
    chosen = [pool[n % len(pool)] for n in picks]
    with tempfile.TemporaryDirectory() as tmp:
        ws1 = Workspace.at(Path(tmp) / "ws1")
        src = Path(tmp) / "src.json"
        src.write_text("\n".join(chosen) + "\n")
        ingest_paths(ws1, [src])
        once = _lake_snapshot(ws1)
        # the lake's raw column, ingested again, gives the very same rows
        raws = [r["raw"] for rows in once.values() for r in rows]
        again = Path(tmp) / "again.json"
        again.write_text("\n".join(raws) + "\n")
        ws2 = Workspace.at(Path(tmp) / "ws2")
        ingest_paths(ws2, [again])
        assert _lake_snapshot(ws2) == once
