"""A commit unit: the records of one or more consecutive input files, written together.

Small files (an Azure Monitor export holds one ``PT1H.json`` per category per hour) are
coalesced: their records accumulate into one batch of up to ``chunk_bytes`` so that parsing and
normalisation run once per batch, and each (table, date) gets one Parquet file per unit, not one
per input file. Each row keeps its own ``source_file`` / ``source_line``, and every count of a
file's ``FileResult`` stays exact (rows are attributed back to their file by a slot column).

``commit`` renames the unit's Parquet files into place first; the caller records the unit's files
in the manifest after. A crash in between leads to a re-read whose rows are then recognised as
duplicates; quarantine rows (which have no event key) are kept per file, named after its content
hash, and an earlier copy is replaced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.ingest.categories import route_exprs
from pipeline.ingest.dedupe import SeenKeys
from pipeline.ingest.dialects import registry
from pipeline.ingest.dialects.base import category_expr
from pipeline.ingest.normalise import extract, normalise
from pipeline.ingest.reader import RAW_TEXT_LIMIT, Batch, Rejected, first_dialect
from pipeline.ingest.summary import FileError, FileResult
from pipeline.lake import PartitionWriter
from pipeline.schema import CONFLICT_COLUMN, QUARANTINE_SCHEMA, TABLES
from pipeline.workspace import Workspace

EXAMPLES = 5  # quarantined rows named in the summary
MALFORMED = "malformed JSON (not one complete JSON value)"


@dataclass
class Member:
    """One input file of a unit."""

    path: Path
    result: FileResult
    fingerprint: str | None = None
    record: bool = True  # goes into the manifest once the unit is committed
    reasons: Counter[str] = field(default_factory=Counter)


class CommitUnit:
    """The writers, pending batch and counters of one commit unit."""

    def __init__(
        self,
        workspace: Workspace,
        con: duckdb.DuckDBPyConnection,
        seen: SeenKeys,
        batch_id: str,
        ingest_time: datetime,
        chunk_bytes: int,
    ):
        self.workspace = workspace
        self.con = con
        self.seen = seen
        self.batch_id = batch_id
        self.ingest_time = ingest_time
        self.chunk_bytes = chunk_bytes
        self.day = ingest_time.strftime("%Y-%m-%d")
        self.writers = {
            name: PartitionWriter(workspace.table_dir(name), schema, batch_id, "event_time")
            for name, schema in TABLES.items()
        }
        self.quarantines: dict[int, PartitionWriter] = {}  # member index -> its writer
        self.members: list[Member] = []
        self.examples: list[FileError] = []
        self.last_table: str | None = None  # the one table of the previous batch, if one
        self.bytes = 0  # record bytes seen by this unit
        # the pending batch: lines (line_no, raw, _slot) of one dialect; slot -> (member, format)
        self._pending: list[pa.Table] = []
        self._slots: list[tuple[int, str]] = []
        self._pending_bytes = 0
        self._dialect: str | None = None
        seen.checkpoint()

    # -- members -----------------------------------------------------------------------------
    def add_member(self, member: Member) -> int:
        self.members.append(member)
        return len(self.members) - 1

    def rejected(self, index: int, rows: list[Rejected], source_format: str) -> None:
        """Rows that never became records (over-long lines, text that is not UTF-8 …)."""
        if not rows:
            return
        frame = pl.DataFrame(
            {
                "line_no": [r.line_no for r in rows],
                "reason": [r.reason for r in rows],
                "raw_text": [r.raw_text for r in rows],
            },
            schema={"line_no": pl.Int64, "reason": pl.String, "raw_text": pl.String},
        )
        self._quarantine(index, frame, source_format)

    def add(self, index: int, batch: Batch) -> None:
        """Records of member ``index``: queued, and parsed once the pending batch is full."""
        result = self.members[index].result
        result.rows_read += batch.lines.num_rows + len(batch.rejected)
        self.rejected(index, batch.rejected, batch.source_format)
        lines = batch.lines
        if lines.num_rows == 0:
            return
        dialect = batch.dialect or first_dialect(lines) or registry.FALLBACK.name
        if self._pending and dialect != self._dialect:
            self.flush()
        self._dialect = dialect
        slot = len(self._slots)
        self._slots.append((index, batch.source_format))
        size = lines.column("raw").nbytes
        self._pending.append(
            lines.append_column("_slot", pa.array(np.full(lines.num_rows, slot, np.int32)))
        )
        self._pending_bytes += size
        self.bytes += size
        if self._pending_bytes >= self.chunk_bytes:
            self.flush()

    # -- quarantine --------------------------------------------------------------------------
    def _quarantine(self, index: int, frame: pl.DataFrame, source_format: str | pl.Expr) -> None:
        """frame: line_no, reason, raw_text (and _format when source_format is an expression)."""
        if frame.height == 0:
            return
        member = self.members[index]
        fmt = source_format if isinstance(source_format, pl.Expr) else pl.lit(source_format)
        rows = frame.select(
            pl.lit(self.ingest_time, pl.Datetime("us", "UTC")).alias("ingest_time"),
            pl.lit(member.result.file, pl.String).alias("source_file"),
            pl.col("line_no").cast(pl.Int64).alias("source_line"),
            fmt.cast(pl.String).alias("source_format"),
            pl.col("reason").cast(pl.String),
            pl.col("raw_text").cast(pl.String).str.slice(0, RAW_TEXT_LIMIT),
        )
        if index not in self.quarantines:
            self.quarantines[index] = PartitionWriter(
                self.workspace.quarantine, QUARANTINE_SCHEMA, f"{self.batch_id}-{index:05d}"
            )
        self.quarantines[index].write(rows.to_arrow(), day=self.day)
        member.result.quarantined += rows.height
        classes = rows.select(pl.col("reason").str.replace(r" \(.*$", "")).to_series()
        member.reasons.update(dict(classes.value_counts().iter_rows()))
        room = EXAMPLES - len(self.examples)
        if room > 0:
            for line, reason in rows.select("source_line", "reason").head(room).iter_rows():
                self.examples.append(FileError(file=member.result.file, line=line, message=reason))

    def _quarantine_rows(self, lines: pa.Table, frame: pl.DataFrame) -> None:
        """frame (with _row, line_no, reason) of the pending batch, per member, with the text."""
        raw = lines.column("raw").take(pa.array(frame.get_column("_row").to_numpy()))
        text = pl.from_arrow(raw)
        assert isinstance(text, pl.Series)
        slots = lines.column("_slot").to_numpy()[frame.get_column("_row").to_numpy()]
        rows = frame.select("line_no", "reason").with_columns(
            text.alias("raw_text"), pl.Series("_slot", slots)
        )
        formats = pl.Series([fmt for _m, fmt in self._slots], dtype=pl.String)
        members = np.array([m for m, _f in self._slots], dtype=np.int64)
        rows = rows.with_columns(
            formats.gather(slots).alias("_format"), pl.Series("_member", members[slots])
        )
        for (index,), part in rows.partition_by("_member", as_dict=True).items():
            self._quarantine(int(index), part, pl.col("_format"))

    # -- one pending batch -------------------------------------------------------------------
    def _extract(
        self, lines: pa.Table, dialect: str, table: str | None, rows: pa.Array | None = None
    ) -> pl.DataFrame:
        """Fields of ``lines`` (or of the rows ``rows`` of it); ``_row`` points back into it."""
        subset = lines if rows is None else lines.take(rows)
        fields = extract(self.con, subset, dialect, table)
        index = (
            pl.Series("_row", rows, dtype=pl.Int64)
            if rows is not None
            else pl.int_range(subset.num_rows, dtype=pl.Int64, eager=True).alias("_row")
        )
        frame = fields.with_columns(index)
        frame = frame.with_columns(category_expr(registry.get(dialect)).alias("category"))
        return frame.with_columns(*route_exprs())

    def flush(self) -> None:
        """Parse, normalise, dedupe and write the pending batch."""
        if not self._pending:
            return
        lines = pa.concat_tables(self._pending) if len(self._pending) > 1 else self._pending[0]
        dialect = self._dialect or registry.FALLBACK.name
        try:
            self._process(lines.combine_chunks(), dialect)
        finally:
            self._pending, self._slots, self._pending_bytes = [], [], 0

    def _process(self, lines: pa.Table, dialect: str) -> None:
        spec = registry.get(dialect)
        guess = self.last_table if spec.names_category else None
        frame = self._extract(lines, dialect, guess)
        other = spec.other_rows()
        if spec.mixed_with and other is not None:
            # a union query's export: rows of another dialect among these
            mask = frame.select(other.fill_null(False)).to_series().to_numpy()
            if mask.any():
                self._process(lines.filter(pa.array(mask)), spec.mixed_with)
                if not mask.all():
                    self._process(lines.filter(pa.array(~mask)), dialect)
                return
        if guess is not None:
            # records of another table than the guess: extract them again with every field
            other = ((pl.col("table") != guess) | pl.col("table").is_null()) & pl.col("parsed")
            misses = frame.filter(other).get_column("_row")
            if misses.len():
                again = self._extract(lines, dialect, None, pa.array(misses.to_numpy()))
                frame = pl.concat([frame.filter(~other), again], how="vertical_relaxed").sort(
                    "_row"
                )
        tables = frame.get_column("table").drop_nulls().unique()
        self.last_table = tables.item() if tables.len() == 1 else None
        reason = (
            pl.when(~pl.col("parsed"))
            .then(pl.lit(MALFORMED))
            .when(pl.col("category").is_null())
            .then(pl.lit(spec.no_category_reason))
            .when(pl.col("table").is_null())
            .then(
                pl.lit("unknown log category '")
                + pl.col("category").str.slice(0, 80)
                + pl.lit("' (not a sign-in, audit, Graph activity, M365 or risk log")
                + pl.lit(f"{spec.unknown_category_note})")
            )
            .otherwise(None)
        )
        frame = frame.with_columns(reason.alias("reason"))
        rejected = frame.filter(pl.col("reason").is_not_null())
        if rejected.height:
            self._quarantine_rows(lines, rejected)
            frame = frame.filter(pl.col("reason").is_null())
        slot_of_row = lines.column("_slot").to_numpy()
        member_of_slot = np.array([m for m, _f in self._slots], dtype=np.int64)
        context: dict[str, object] = {"ingest_time": self.ingest_time}
        if len(self._slots) == 1:
            index, fmt = self._slots[0]
            context["source_file"] = self.members[index].result.file
            context["source_format"] = fmt
        else:
            files = pl.Series(
                [self.members[m].result.file for m, _f in self._slots], dtype=pl.String
            )
            formats = pl.Series([fmt for _m, fmt in self._slots], dtype=pl.String)
            slots = slot_of_row[frame.get_column("_row").to_numpy()]
            frame = frame.with_columns(
                files.gather(slots).alias("source_file"),
                formats.gather(slots).alias("source_format"),
            )
        count = len(self.members)
        for name, part in _by_table(frame):
            good, bad = normalise(self.con, part, name, dialect, context)
            if bad.height:
                self._quarantine_rows(lines, bad)
            fresh, _dups, _conflicts = self.seen.filter_new(good, name)
            good_members = member_of_slot[slot_of_row[good.get_column("_row").to_numpy()]]
            rows_of = fresh.get_column("_row").to_numpy()
            fresh_members = member_of_slot[slot_of_row[rows_of]]
            kept = np.bincount(fresh_members, minlength=count)
            dups = np.bincount(good_members, minlength=count) - kept
            flagged = fresh.get_column(CONFLICT_COLUMN).to_numpy()
            conflicts = np.bincount(fresh_members[flagged], minlength=count)
            for index in np.flatnonzero(kept | dups):
                result = self.members[int(index)].result
                result.duplicates += int(dups[index])
                result.conflicting_duplicates += int(conflicts[index])
                if kept[index]:
                    result.rows_written[name] = result.rows_written.get(name, 0) + int(kept[index])
            if fresh.height:
                if len(rows_of) == lines.num_rows and (np.diff(rows_of) == 1).all():
                    raw = lines.column("raw")  # the whole batch, in order: no copy
                else:
                    raw = lines.column("raw").take(pa.array(rows_of))
                rows = fresh.drop("_row").to_arrow().append_column("raw", raw)
                self.writers[name].write(rows)

    # -- end ---------------------------------------------------------------------------------
    def commit(self) -> None:
        """Write what is pending and rename every Parquet file of the unit into place."""
        self.flush()
        for writer in self.writers.values():
            writer.commit()
        # Quarantine rows have no event key: each file's are named after its content, and an
        # earlier copy (a run killed before its manifest entry) is replaced, not added to.
        hashes = {m.result.content_hash for m in self.members if m.record and m.result.content_hash}
        if hashes:
            for old in self.workspace.quarantine.glob("date=*/*.parquet"):
                if old.stem in hashes:
                    old.unlink(missing_ok=True)
        for index, writer in self.quarantines.items():
            writer.commit(name=self.members[index].result.content_hash)

    def abort(self) -> None:
        """Remove the unit's temporary files and forget the event keys it added."""
        self.discard()
        self.seen.rollback()

    def discard(self) -> None:
        """Remove the unit's temporary files (a failed commit: the run stops)."""
        for writer in (*self.writers.values(), *self.quarantines.values()):
            writer.abort()
        self._pending, self._slots = [], []


def _by_table(frame: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """(table, its rows) for each table in ``frame``; a batch of one table is not copied."""
    tables = frame.get_column("table").unique()
    if tables.len() == 1:
        return [(str(tables.item()), frame)]
    return [(str(t), part) for (t,), part in frame.partition_by("table", as_dict=True).items()]
