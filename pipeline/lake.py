"""The Parquet lake: lake/<table>/date=YYYY-MM-DD/<batch>.parquet (DESIGN.md section 4).

Files are written under a temporary name in the same folder and renamed into place, so a crash
never leaves a half-written file visible to readers (readers only glob ``*.parquet``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.schema import METADATA_KEY, SCHEMA_VERSION
from pipeline.workspace import Workspace

TMP_SUFFIX = ".parquet.tmp"


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write ``table`` to ``path`` (zstd) via a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = SCHEMA_VERSION.encode()
    table = table.replace_schema_metadata(meta)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}{TMP_SUFFIX}")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def split_by_date(table: pa.Table, time_column: str) -> Iterator[tuple[str, pa.Table]]:
    """Yield (YYYY-MM-DD, rows of that UTC day) for a table with a UTC timestamp column."""
    if table.num_rows == 0:
        return
    days = pc.strftime(table[time_column], format="%Y-%m-%d")
    for day in pc.unique(days).to_pylist():
        mask = pc.equal(days, day) if day is not None else pc.is_null(days)
        yield (day or "unknown"), table.filter(mask)


def write_partitioned(
    workspace: Workspace, table_name: str, table: pa.Table, batch_id: str, time_column: str
) -> list[Path]:
    """Write one Parquet file per event date: lake/<table>/date=D/<batch_id>.parquet."""
    written = []
    for day, part in split_by_date(table, time_column):
        path = workspace.table_dir(table_name) / f"date={day}" / f"{batch_id}.parquet"
        written.append(write_parquet_atomic(part, path))
    return written


def table_glob(workspace: Workspace, table_name: str) -> str:
    """The glob DuckDB / polars read a table from (Hive partitioning on ``date``)."""
    return str(workspace.table_dir(table_name) / "date=*" / "*.parquet")


def has_files(workspace: Workspace, table_name: str) -> bool:
    return any(workspace.table_dir(table_name).glob("date=*/*.parquet"))
