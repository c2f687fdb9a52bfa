"""Events already in the lake, by (table, kind, event_id), without holding the lake in memory.

For each (table, date) a run touches, the event keys already stored for that date are read once
(two columns of that date's files only) and kept as sorted 64-bit hashes: 8 bytes an event of the
dates being written, whatever the lake's size. Rows of a batch are checked against that index and
against each other; the survivors are added.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

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


class SeenKeys:
    """Event keys per (table, date): what the lake held before this run plus what it wrote.

    Each (table, date) keeps a sorted array plus a small unsorted tail of recent keys, merged
    when the tail grows past a quarter of the sorted part: checks and additions stay
    O(batch x log n), never a re-sort of everything per batch.
    """

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._sorted: dict[tuple[str, str], np.ndarray] = {}
        self._tail: dict[tuple[str, str], np.ndarray] = {}
        self._added: list[tuple[tuple[str, str], np.ndarray]] = []

    def checkpoint(self) -> None:
        """Start a unit of work (one file) that ``rollback`` can undo."""
        self._added = []

    def rollback(self) -> None:
        """Forget the keys added since ``checkpoint`` (their rows were not committed)."""
        for key, hashes in self._added:
            self._sorted[key] = self._sorted[key][~np.isin(self._sorted[key], hashes)]
            self._tail[key] = self._tail[key][~np.isin(self._tail[key], hashes)]
        self._added = []

    def _load(self, table: str, day: str) -> np.ndarray:
        folder = self.workspace.table_dir(table) / f"date={day}"
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if not files:
            return np.empty(0, dtype=np.uint64)
        scope = SCOPE_COLUMN[table]
        cols = ["event_id"] + ([scope] if scope else [])
        lazy = pl.scan_parquet(files, hive_partitioning=False).select(cols)
        hashes = lazy.select(key_hash(lazy, table)).collect().get_column("_key").to_numpy()
        return np.unique(hashes.astype(np.uint64))

    def _contains(self, key: tuple[str, str], hashes: np.ndarray) -> np.ndarray:
        if key not in self._sorted:
            self._sorted[key] = self._load(*key)
            self._tail[key] = np.empty(0, dtype=np.uint64)
        return _member(self._sorted[key], hashes) | _member(self._tail[key], hashes)

    def _add(self, key: tuple[str, str], hashes: np.ndarray) -> None:
        if not hashes.size:
            return
        self._added.append((key, hashes))
        tail = np.sort(np.concatenate([self._tail[key], hashes]))
        if tail.size > max(65_536, self._sorted[key].size // 4):
            self._sorted[key] = np.sort(np.concatenate([self._sorted[key], tail]))
            tail = np.empty(0, dtype=np.uint64)
        self._tail[key] = tail

    def filter_new(self, frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, int]:
        """Rows of ``frame`` not seen before (first of equal keys kept) and the duplicate count."""
        if frame.height == 0:
            return frame, 0
        keyed = frame.select(
            key_hash(frame, table),
            pl.col("event_time").dt.epoch("d").alias("_day"),
        )
        hashes = keyed.get_column("_key").to_numpy().astype(np.uint64)
        days = keyed.get_column("_day").to_numpy()
        keep = keyed.get_column("_key").is_first_distinct().to_numpy().copy()
        for day in np.unique(days):
            rows = np.flatnonzero((days == day) & keep)
            key = (table, (_EPOCH + timedelta(days=int(day))).isoformat())
            seen = self._contains(key, hashes[rows])
            keep[rows[seen]] = False
            self._add(key, hashes[rows[~seen]])
        if keep.all():  # the usual case: nothing seen before, no copy
            return frame, 0
        kept = frame.filter(pl.Series(keep))
        return kept, frame.height - kept.height
