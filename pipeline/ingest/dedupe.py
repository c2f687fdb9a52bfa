"""Events already in the lake, by (table, kind, event_id), without holding the lake in memory.

For each (table, date) a run touches, the event keys already stored for that date are read once
(two columns of that date's files only) and kept as sorted 64-bit hashes: 8 bytes an event of the
dates being written, whatever the lake's size. Rows of a batch are checked against that index and
against each other; the survivors are added.

A row whose key is known is an exact duplicate (dropped) when its content is that of a version
already stored, and a conflicting duplicate otherwise: the same event id saying something else.
That later version lands too, flagged ``conflicting_duplicate`` (issue 12), so no version of an
event is lost and readers can tell. Content is every canonical column but the provenance ones
(where and when the record was read, its raw text): the same event from two export formats is
one event. The content hashes of a date's stored rows are read only when a known key turns up.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from pipeline.schema import CONFLICT_COLUMN, TABLES
from pipeline.workspace import Workspace

#: the column that, with event_id, identifies an event in each table (DESIGN.md section 4)
SCOPE_COLUMN: dict[str, str | None] = {
    "signins": "log_type",
    "audits": None,
    "activity": "source_log",
    "risk_events": "risk_kind",
    "agent_facts": "fact_source",
}
_SEED = 0x5EED
#: columns that say where and when a record was read, not what it says about the event
PROVENANCE = frozenset(
    {"ingest_time", "source_format", "source_file", "source_line", "log_category", "raw"}
    | {CONFLICT_COLUMN}
)
_CONTENT_TYPES: dict[str, dict[str, pl.DataType]] = {}


def content_types(table: str) -> dict[str, pl.DataType]:
    """The content columns of ``table`` with their polars types (both sides cast alike)."""
    if table not in _CONTENT_TYPES:
        schema = pl.from_arrow(TABLES[table].empty_table()).schema  # type: ignore[union-attr]
        _CONTENT_TYPES[table] = {n: t for n, t in schema.items() if n not in PROVENANCE}
    return _CONTENT_TYPES[table]


def version_hash(table: str) -> pl.Expr:
    """A 64-bit hash of a row's content (event key included): equal for exact duplicates."""
    cols = [pl.col(n).cast(t) for n, t in content_types(table).items()]
    return pl.struct(cols).hash(seed=_SEED).alias("_version")


def key_hash(frame: pl.DataFrame | pl.LazyFrame, table: str) -> pl.Expr:
    scope = SCOPE_COLUMN[table]
    parts = [pl.col(scope).fill_null("") if scope else pl.lit(""), pl.col("event_id")]
    return pl.concat_str(parts, separator="\x1f").hash(seed=_SEED).alias("_key")


_EPOCH = date(1970, 1, 1)


def _member(index: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Which ``hashes`` are in the sorted array ``index`` (binary search)."""
    if not index.size:
        return np.zeros(hashes.size, dtype=bool)
    pos = np.searchsorted(index, hashes)
    pos[pos >= index.size] = index.size - 1
    return index[pos] == hashes


class _Index:
    """A set of 64-bit hashes: a sorted array plus a small unsorted-then-merged tail."""

    def __init__(self, hashes: np.ndarray | None = None):
        self.sorted = hashes if hashes is not None else np.empty(0, dtype=np.uint64)
        self.tail = np.empty(0, dtype=np.uint64)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        return _member(self.sorted, hashes) | _member(self.tail, hashes)

    def add(self, hashes: np.ndarray) -> None:
        tail = np.concatenate([self.tail, hashes])
        tail.sort()
        if tail.size > max(65_536, self.sorted.size // 4):
            # sorted in place once joined: the old array and the new one at most (8 bytes an
            # event twice), not a third copy for the sort's result
            merged = np.concatenate([self.sorted, tail])
            self.sorted = merged
            del tail
            merged.sort()
            tail = np.empty(0, dtype=np.uint64)
        self.tail = tail

    def remove(self, hashes: np.ndarray) -> None:
        self.sorted = self.sorted[~np.isin(self.sorted, hashes)]
        self.tail = self.tail[~np.isin(self.tail, hashes)]


class SeenKeys:
    """Event keys and content versions per (table, date): the lake's before this run plus what
    it wrote.

    Each index keeps a sorted array plus a small unsorted tail of recent hashes, merged when the
    tail grows past a quarter of the sorted part: checks and additions stay O(batch x log n),
    never a re-sort of everything per batch. The versions of a date's stored rows are loaded the
    first time a row of that date has a known key (duplicates are rare; re-reads pay for it).
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._keys: dict[tuple[str, str], _Index] = {}
        self._versions: dict[tuple[str, str], _Index] = {}  # this run's, then the lake's too
        self._lake_versions: set[tuple[str, str]] = set()  # (table, date) whose lake rows are in
        self._added: list[tuple[_Index, np.ndarray]] = []

    def checkpoint(self) -> None:
        """Start a unit of work (one file) that ``rollback`` can undo."""
        self._added = []

    def rollback(self) -> None:
        """Forget the hashes added since ``checkpoint`` (their rows were not committed)."""
        for index, hashes in self._added:
            index.remove(hashes)
        self._added = []

    def _files(self, table: str, day: str) -> list:
        folder = self.workspace.table_dir(table) / f"date={day}"
        return sorted(folder.glob("*.parquet")) if folder.is_dir() else []

    def _scan(self, files: list) -> pl.LazyFrame:
        # files of an older schema lack columns added since: only the ones read must be there
        return pl.scan_parquet(
            files, hive_partitioning=False, missing_columns="insert", extra_columns="ignore"
        )

    def _load(self, table: str, day: str) -> np.ndarray:
        files = self._files(table, day)
        if not files:
            return np.empty(0, dtype=np.uint64)
        scope = SCOPE_COLUMN[table]
        cols = ["event_id"] + ([scope] if scope else [])
        lazy = self._scan(files).select(cols)
        hashes = lazy.select(key_hash(lazy, table)).collect().get_column("_key").to_numpy()
        return np.unique(hashes.astype(np.uint64))

    def _key_index(self, key: tuple[str, str]) -> _Index:
        if key not in self._keys:
            self._keys[key] = _Index(self._load(*key))
        return self._keys[key]

    def _version_index(self, key: tuple[str, str], with_lake: bool) -> _Index:
        index = self._versions.setdefault(key, _Index())
        if with_lake and key not in self._lake_versions:
            self._lake_versions.add(key)
            files = self._files(*key)
            if files:
                table = key[0]
                lazy = self._scan(files).select(list(content_types(table)))
                stored = lazy.select(version_hash(table)).collect().get_column("_version")
                index.add(np.unique(stored.to_numpy().astype(np.uint64)))
        return index

    def _add(self, index: _Index, hashes: np.ndarray) -> None:
        if hashes.size:
            self._added.append((index, hashes))
            index.add(hashes)

    def filter_new(self, frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, int, int]:
        """Rows of ``frame`` to write, with their ``conflicting_duplicate`` flag; the count of
        exact duplicates dropped; the count of conflicting duplicates kept (and flagged).

        Of rows with equal content the first is kept; of versions of one event key the first
        stored is the event, each later one is flagged.
        """
        if frame.height == 0:
            return frame.with_columns(pl.lit(False).alias(CONFLICT_COLUMN)), 0, 0
        keyed = frame.select(
            key_hash(frame, table),
            version_hash(table),
            pl.col("event_time").dt.epoch("d").alias("_day"),
        )
        keys = keyed.get_column("_key").to_numpy().astype(np.uint64)
        versions = keyed.get_column("_version").to_numpy().astype(np.uint64)
        days = keyed.get_column("_day").to_numpy()
        keep = keyed.get_column("_version").is_first_distinct().to_numpy().copy()
        # a later version of a key first met in this batch
        first_key = keyed.filter(pl.Series(keep)).get_column("_key").is_first_distinct()
        conflict = np.zeros(frame.height, dtype=bool)
        conflict[np.flatnonzero(keep)[~first_key.to_numpy()]] = True
        for day in np.unique(days):
            rows = np.flatnonzero((days == day) & keep)
            key = (table, (_EPOCH + timedelta(days=int(day))).isoformat())
            key_index = self._key_index(key)
            known = key_index.contains(keys[rows])
            version_index = self._version_index(key, with_lake=bool(known.any()))
            same = version_index.contains(versions[rows]) & known
            keep[rows[same]] = False
            conflict[rows[known & ~same]] = True
            self._add(key_index, np.unique(keys[rows[~known]]))
            self._add(version_index, versions[rows[~same]])
        flagged = pl.Series(CONFLICT_COLUMN, conflict)
        if keep.all():  # the usual case: nothing seen before, no copy
            return frame.with_columns(flagged), 0, int(conflict.sum())
        kept = frame.with_columns(flagged).filter(pl.Series(keep))
        return kept, frame.height - kept.height, int(conflict[keep].sum())
