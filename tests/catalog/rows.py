"""Hand-written lake rows for the catalog and baseline tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from pipeline.lake import write_partitioned
from pipeline.schema import TABLES
from pipeline.workspace import Workspace

_counter = [0]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = TABLES[name]
    filled = []
    for row in rows:
        _counter[0] += 1
        full = {f.name: None for f in schema}
        full["event_id"] = f"{name[:2]}-{_counter[0]}"
        full.update(row)
        for key in ("event_time", "ingest_time"):
            if isinstance(full[key], str):
                full[key] = ts(full[key])
        unknown = set(row) - set(schema.names)
        assert not unknown, f"unknown columns {unknown}"
        filled.append(full)
    return pa.Table.from_pylist(filled, schema=schema)


def write(ws: Workspace, name: str, rows: list[dict[str, Any]], batch: str = "b1") -> None:
    write_partitioned(ws, name, table(name, rows), batch, "event_time")
