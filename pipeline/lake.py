"""The Parquet lake: lake/<table>/date=YYYY-MM-DD/<batch>.parquet (DESIGN.md section 4).

Files are written under a temporary name in the same folder and renamed into place, so a crash
never leaves a half-written file visible to readers (readers only glob ``*.parquet``).
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.errors import UsageError
from pipeline.schema import METADATA_KEY, SCHEMA_VERSION
from pipeline.workspace import Workspace

TMP_SUFFIX = ".parquet.tmp"
BULKY_COLUMNS = frozenset({"raw", "raw_text"})
# a value per row: a dictionary would only cost (hashing every value) and grow the file
UNIQUE_COLUMNS = frozenset(
    {"event_id", "event_time", "source_line", "correlation_id", "unique_token_id", "request_id"}
)
ROW_GROUP_BYTES = 32 * 1024 * 1024  # a date's rows are written as a row group once this many wait
HELD_BYTES = 128 * 1024 * 1024  # rows waiting over all dates of one writer, at most
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # a day as the lake's date=… partitions spell it


def valid_day(text: str, option: str = "--date") -> str:
    """``text`` if it is a real day spelled YYYY-MM-DD, else a usage error naming ``option``."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: give a day as YYYY-MM-DD, e.g. 2026-11-26") from None
    if not DAY.match(text):
        raise UsageError(f"{option} {text!r}: give a day as YYYY-MM-DD, e.g. 2026-11-26")
    return text


def write_parquet_atomic(table: pa.Table, path: Path, mode: int | None = None) -> Path:
    """Write ``table`` to ``path`` (zstd) via a temporary file and an atomic rename; ``mode``:
    its permissions (set before it becomes visible), else the process umask's default."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = SCHEMA_VERSION.encode()
    table = table.replace_schema_metadata(meta)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}{TMP_SUFFIX}")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        if mode is not None:
            os.fchmod(fh.fileno(), mode)
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
    days = pc.cast(table[time_column], pa.date32())  # UTC calendar day, no string per row
    unique = pc.unique(days)
    if len(unique) == 1:
        day = unique[0].as_py()
        yield (day.isoformat() if day is not None else "unknown"), table
        return
    for day in unique.to_pylist():
        mask = pc.equal(days, day) if day is not None else pc.is_null(days)
        yield (day.isoformat() if day is not None else "unknown"), table.filter(mask)


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


class PartitionWriter:
    """Streams one table's rows into ``lake/<table>/date=D/<batch_id>.parquet`` files.

    Each date gets one Parquet file, written row group by row group under a hidden temporary
    name; ``commit`` closes them and renames each into place (atomic per file), ``abort`` removes
    them. A batch that spans many dates is split; each date's rows wait until they make a row
    group of ROW_GROUP_BYTES (fewer, larger row groups encode faster and read faster). Memory
    stays under HELD_BYTES plus one batch, whatever the input's size.
    """

    def __init__(
        self, folder: Path, schema: pa.Schema, batch_id: str, time_column: str | None = None
    ):
        self.folder = folder
        self.schema = schema.with_metadata(
            {**(schema.metadata or {}), METADATA_KEY: SCHEMA_VERSION.encode()}
        )
        self.batch_id = batch_id
        self.time_column = time_column
        self._open: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}
        self.rows: dict[str, int] = {}
        self._held: dict[str, list[pa.Table]] = {}  # date -> rows waiting to be written
        self._held_bytes: dict[str, int] = {}
        # Parquet encoding and compression run in a background thread (pyarrow releases the
        # GIL) so that the next batch is parsed meanwhile; at most two batches wait.
        self._pending: deque[Future] = deque()

    def _writer(self, day: str) -> pq.ParquetWriter:
        if day not in self._open:
            final = self.folder / f"date={day}" / f"{self.batch_id}.parquet"
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_name(f".{final.stem}.{os.getpid()}{TMP_SUFFIX}")
            writer = pq.ParquetWriter(
                tmp,
                self.schema,
                compression="zstd",
                # long unique text (the raw record) gains nothing from a dictionary or min/max
                use_dictionary=[
                    n for n in self.schema.names if n not in BULKY_COLUMNS | UNIQUE_COLUMNS
                ],
                write_statistics=[n for n in self.schema.names if n not in BULKY_COLUMNS],
            )
            self._open[day] = (writer, tmp, final)
        return self._open[day][0]

    def write(self, table: pa.Table, day: str | None = None) -> None:
        """Append rows (cast to the schema); split by UTC date of ``time_column`` unless ``day``.

        The cast, the split by date and the Parquet encoding run in the writer thread (one for
        all writers, so the order of writes is kept); at most three batches wait for it.
        """
        if table.num_rows == 0:
            return
        self._pending.append(_WRITE_POOL.submit(self._write_now, table, day))
        while len(self._pending) > 2:
            self._pending.popleft().result()

    def _write_now(self, table: pa.Table, day: str | None) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        parts = [(day, table)] if day else split_by_date(table, self.time_column or "")
        for part_day, part in parts:
            assert part_day is not None
            self._held.setdefault(part_day, []).append(part)
            self._held_bytes[part_day] = self._held_bytes.get(part_day, 0) + part.nbytes
            self.rows[part_day] = self.rows.get(part_day, 0) + part.num_rows
            if self._held_bytes[part_day] >= ROW_GROUP_BYTES:
                self._write_held(part_day)
        while sum(self._held_bytes.values()) > HELD_BYTES:
            self._write_held(max(self._held_bytes, key=self._held_bytes.__getitem__))

    def _write_held(self, day: str) -> None:
        """The rows waiting for ``day`` -> one row group of its file."""
        parts = self._held.pop(day)
        del self._held_bytes[day]
        self._writer(day).write_table(pa.concat_tables(parts) if len(parts) > 1 else parts[0])

    def _drain(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def commit(self, name: str | None = None) -> list[Path]:
        """Close the files and rename each into place (as ``<name>.parquet`` when given)."""
        self._drain()
        # dates are separate files: their last row groups are written in parallel
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(self._write_held, list(self._held)))
        written = []
        for writer, tmp, final in self._open.values():
            if name:
                final = final.with_name(f"{name}.parquet")
            writer.close()
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            written.append(final)
        self._open.clear()
        return written

    def abort(self) -> None:
        try:
            self._drain()
        except Exception:  # noqa: BLE001 - the files are removed either way
            pass
        self._held.clear()
        self._held_bytes.clear()
        for writer, tmp, _final in self._open.values():
            try:
                writer.close()
            finally:
                tmp.unlink(missing_ok=True)
        self._open.clear()


_WRITE_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentaudit-parquet")


def write_json_atomic(payload: str, path: Path, sync: bool = True) -> Path:
    """Write a small text file (a manifest entry) via a temporary file and an atomic rename.

    ``sync=False`` skips the fsyncs (the caller syncs the folder once for many entries)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(payload)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if sync:
        _fsync_dir(path.parent)
    return path


def sync_dir(folder: Path) -> None:
    """fsync a folder (its entries' renames), when the platform allows it."""
    _fsync_dir(folder)
