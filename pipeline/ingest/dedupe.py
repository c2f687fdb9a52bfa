"""Events already in the lake, by (table, kind, event_id), without holding the lake in memory.

For each (table, date) a run touches, the event keys already stored for that date are read once
(two columns of that date's files only) and kept as sorted 64-bit hashes: 8 bytes an event of the
dates being written, whatever the lake's size. Rows of a batch are checked against that index and
against each other; the survivors are added.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.workspace import Workspace

#: the column that, with event_id, identifies an event in each table (DESIGN.md section 4)
SCOPE_COLUMN: dict[str, str | None] = {
    "signins": "log_type",
    "audits": None,
    "activity": "source_log",
    "risk_events": "risk_kind",
}
_SEED = 0x5EED


def key_hash(frame: pl.DataFrame | pl.LazyFrame, table: str) -> pl.Expr:
    scope = SCOPE_COLUMN[table]
    parts = [pl.col(scope).fill_null("") if scope else pl.lit(""), pl.col("event_id")]
    return pl.concat_str(parts, separator="\x1f").hash(seed=_SEED).alias("_key")


class SeenKeys:
    """Event keys per (table, date): what the lake held before this run plus what it wrote."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._sorted: dict[tuple[str, str], np.ndarray] = {}
        self._pending: dict[tuple[str, str], list[np.ndarray]] = {}
        self._added: list[tuple[tuple[str, str], np.ndarray]] = []

    def checkpoint(self) -> None:
        """Start a unit of work (one file) that ``rollback`` can undo."""
        self._added = []

    def rollback(self) -> None:
        """Forget the keys added since ``checkpoint`` (their rows were not committed)."""
        for key, hashes in self._added:
            index = self._index(key)
            self._sorted[key] = index[~np.isin(index, hashes)]
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

    def _index(self, key: tuple[str, str]) -> np.ndarray:
        if key not in self._sorted:
            self._sorted[key] = self._load(*key)
        pending = self._pending.pop(key, None)
        if pending:
            self._sorted[key] = np.unique(np.concatenate([self._sorted[key], *pending]))
        return self._sorted[key]

    def filter_new(self, frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, int]:
        """Rows of ``frame`` not seen before (first of equal keys kept) and the duplicate count."""
        if frame.height == 0:
            return frame, 0
        keyed = frame.with_columns(
            key_hash(frame, table),
            pl.col("event_time").dt.strftime("%Y-%m-%d").alias("_day"),
        )
        keyed = keyed.filter(pl.col("_key").is_first_distinct())
        keep_parts = []
        for (day,), part in keyed.partition_by("_day", as_dict=True, maintain_order=True).items():
            key = (table, str(day))
            index = self._index(key)
            hashes = part.get_column("_key").to_numpy().astype(np.uint64)
            if index.size:
                pos = np.searchsorted(index, hashes)
                pos[pos >= index.size] = index.size - 1
                seen = index[pos] == hashes
            else:
                seen = np.zeros(hashes.size, dtype=bool)
            fresh = part.filter(pl.Series(~seen))
            self._pending.setdefault(key, []).append(hashes[~seen])
            self._added.append((key, hashes[~seen]))
            keep_parts.append(fresh)
        kept = pl.concat(keep_parts) if keep_parts else keyed.clear()
        kept = kept.drop("_key", "_day")
        return kept, frame.height - kept.height
