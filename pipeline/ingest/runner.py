"""``ingest_paths``: files, folders and globs -> the lake, idempotently, nothing lost.

Per file: content hash (skip when the manifest has it), detect, read in batches, normalise, drop
events already in the lake, write Parquet (one file per table and date, renamed into place when
the file is done), quarantine what cannot be used, record the file in the manifest. Every record
read ends in exactly one place: a table, the duplicate count or the quarantine.
"""

from __future__ import annotations

import glob
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from queue import Full, Queue
from threading import Event, Thread

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from pipeline.errors import AgentAuditError
from pipeline.ingest import manifest
from pipeline.ingest.categories import category_expr, route_exprs
from pipeline.ingest.dedupe import SeenKeys
from pipeline.ingest.detect import Detected, sniff
from pipeline.ingest.fields import CATEGORY_DIALECTS
from pipeline.ingest.normalise import extract, normalise
from pipeline.ingest.reader import (
    CHUNK_BYTES,
    MAX_DOCUMENT_BYTES,
    MAX_RECORD_BYTES,
    RAW_TEXT_LIMIT,
    Batch,
    FileProblem,
    NotADocument,
    Rejected,
    first_dialect,
    iter_jsonl,
    read_csv,
    read_document,
)
from pipeline.ingest.summary import FileError, FileResult, IngestSummary
from pipeline.lake import PartitionWriter
from pipeline.schema import QUARANTINE_SCHEMA, TABLES
from pipeline.workspace import Workspace

EXAMPLES = 5  # quarantined rows named in the summary
MALFORMED = "malformed JSON (not one complete JSON value)"
NO_CATEGORY = "record of unknown shape: no log category (an Entra export record was expected)"


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, files under folders (recursive, hidden ones skipped) and glob matches."""
    found: dict[Path, None] = {}
    for given in paths:
        text = str(given)
        candidate = Path(text).expanduser()
        if candidate.is_dir():
            for sub in sorted(candidate.rglob("*")):
                rel = sub.relative_to(candidate)
                if sub.is_file() and not any(p.startswith(".") for p in rel.parts):
                    found[sub] = None
        elif candidate.exists() or candidate.is_symlink():
            found[candidate] = None
        else:
            matches = sorted(glob.glob(text, recursive=True)) if glob.has_magic(text) else []
            files = [Path(m) for m in matches if Path(m).is_file()]
            for sub in (Path(m) for m in matches if Path(m).is_dir()):
                files += [s for s in sorted(sub.rglob("*")) if s.is_file()]
            if not files:
                raise AgentAuditError(
                    f"input not found: {text} (no such file or folder, and no file matches it "
                    "as a glob): check the path"
                )
            for sub in files:
                found[sub] = None
    return list(found)


class _FileIngest:
    """Ingest of one file: its writers, counters and quarantine."""

    def __init__(
        self,
        workspace: Workspace,
        con: duckdb.DuckDBPyConnection,
        seen: SeenKeys,
        batch_id: str,
        ingest_time: datetime,
        result: FileResult,
        reasons: Counter[str],
    ):
        self.workspace = workspace
        self.con = con
        self.seen = seen
        self.ingest_time = ingest_time
        self.result = result
        self.reasons = reasons
        self.writers = {
            name: PartitionWriter(workspace.table_dir(name), schema, batch_id, "event_time")
            for name, schema in TABLES.items()
        }
        self.quarantine = PartitionWriter(workspace.quarantine, QUARANTINE_SCHEMA, batch_id)
        self.day = ingest_time.strftime("%Y-%m-%d")
        self.last_table: str | None = None  # the one table of the previous batch, if one
        self.examples: list[FileError] = []

    # -- quarantine --------------------------------------------------------------------------
    def _quarantine(self, frame: pl.DataFrame, source_format: str) -> None:
        """frame: line_no, reason, raw_text."""
        if frame.height == 0:
            return
        rows = frame.select(
            pl.lit(self.ingest_time, pl.Datetime("us", "UTC")).alias("ingest_time"),
            pl.lit(self.result.file, pl.String).alias("source_file"),
            pl.col("line_no").cast(pl.Int64).alias("source_line"),
            pl.lit(source_format, pl.String).alias("source_format"),
            pl.col("reason").cast(pl.String),
            pl.col("raw_text").cast(pl.String).str.slice(0, RAW_TEXT_LIMIT),
        )
        self.quarantine.write(rows.to_arrow(), day=self.day)
        self.result.quarantined += rows.height
        classes = rows.select(pl.col("reason").str.replace(r" \(.*$", "")).to_series()
        self.reasons.update(dict(classes.value_counts().iter_rows()))
        room = EXAMPLES - len(self.examples)
        if room > 0:
            for line, reason in rows.select("source_line", "reason").head(room).iter_rows():
                self.examples.append(FileError(file=self.result.file, line=line, message=reason))

    def rejected(self, rows: Sequence[Rejected], source_format: str) -> None:
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
        self._quarantine(frame, source_format)

    # -- one batch ---------------------------------------------------------------------------
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
        frame = frame.with_columns(category_expr(dialect).alias("category"))
        return frame.with_columns(*route_exprs())

    def _raw_text(self, lines: pa.Table, frame: pl.DataFrame) -> pl.DataFrame:
        """frame (with _row, line_no, reason) plus the record text, for the quarantine."""
        raw = lines.column("raw").take(pa.array(frame.get_column("_row").to_numpy()))
        text = pl.from_arrow(raw)
        assert isinstance(text, pl.Series)
        return frame.select("line_no", "reason").with_columns(text.alias("raw_text"))

    def batch(self, batch: Batch) -> None:
        self.result.rows_read += batch.lines.num_rows + len(batch.rejected)
        self.rejected(batch.rejected, batch.source_format)
        lines = batch.lines
        if lines.num_rows == 0:
            return
        dialect = batch.dialect or first_dialect(lines) or "graph"
        guess = self.last_table if dialect in CATEGORY_DIALECTS else None
        frame = self._extract(lines, dialect, guess)
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
            .then(pl.lit(NO_CATEGORY))
            .when(pl.col("table").is_null())
            .then(
                pl.lit("unknown log category '")
                + pl.col("category").str.slice(0, 80)
                + pl.lit("' (not a sign-in, audit, Graph activity, M365 or risk log)")
            )
            .otherwise(None)
        )
        frame = frame.with_columns(reason.alias("reason"))
        rejected = frame.filter(pl.col("reason").is_not_null())
        if rejected.height:
            self._quarantine(self._raw_text(lines, rejected), batch.source_format)
        frame = frame.filter(pl.col("reason").is_null())
        context = {
            "source_file": self.result.file,
            "source_format": batch.source_format,
            "ingest_time": self.ingest_time,
        }
        for (table,), part in frame.partition_by("table", as_dict=True).items():
            good, bad = normalise(self.con, part, str(table), dialect, context)
            if bad.height:
                self._quarantine(self._raw_text(lines, bad), batch.source_format)
            fresh, dups = self.seen.filter_new(good, str(table))
            self.result.duplicates += dups
            if fresh.height:
                rows_of = fresh.get_column("_row").to_numpy()
                if len(rows_of) == lines.num_rows and (np.diff(rows_of) == 1).all():
                    raw = lines.column("raw")  # the whole batch, in order: no copy
                else:
                    raw = lines.column("raw").take(pa.array(rows_of))
                rows = fresh.drop("_row").to_arrow().append_column("raw", raw)
                self.writers[str(table)].write(rows)
                self.result.rows_written[str(table)] = (
                    self.result.rows_written.get(str(table), 0) + fresh.height
                )

    def commit(self, content_hash: str | None) -> None:
        for writer in self.writers.values():
            writer.commit()
        # Quarantine rows have no event key: they are named after the file's content, and an
        # earlier copy (a run killed before its manifest entry) is replaced, not added to.
        if content_hash:
            for old in self.workspace.quarantine.glob(f"date=*/{content_hash}.parquet"):
                old.unlink(missing_ok=True)
        self.quarantine.commit(name=content_hash)

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()
        self.quarantine.abort()


def _batches(path: Path, detected: Detected, con: duckdb.DuckDBPyConnection, limits: dict):
    if detected.shape == "jsonl":
        yield from iter_jsonl(path, detected, con, limits["chunk_bytes"], limits["max_record"])
    elif detected.shape == "document":
        try:
            batch = read_document(path, detected, con, limits["max_document"])
        except NotADocument:
            lines = replace(detected, shape="jsonl")
            yield from iter_jsonl(path, lines, con, limits["chunk_bytes"], limits["max_record"])
        else:
            yield batch
    elif detected.shape == "csv":
        yield read_csv(path, detected, limits["max_document"])


_DONE = object()


def prefetch(items: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Run a batch iterator in a background thread, ``depth`` batches ahead of the consumer.

    Reading, splitting and trimming the next chunk (file I/O, numpy and Arrow kernels, all of
    which release the GIL) then overlap the parse and normalisation of the current one. An
    exception in the reader reaches the consumer at the same point in the sequence.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(exc)

    worker = Thread(target=run, name="agentaudit-read", daemon=True)
    worker.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def ingest_paths(
    workspace: Workspace,
    paths: Sequence[str | Path],
    progress: bool = False,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    max_record_bytes: int = MAX_RECORD_BYTES,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> IngestSummary:
    """Ingest files, folders (recursive) and globs into ``workspace``'s lake.

    Raises AgentAuditError when a path matches nothing. Bad content never stops the run: it is
    quarantined (per record) or reported in ``errors`` (per file).
    """
    own = (workspace.lake.resolve(), workspace.catalog.resolve())
    files = [
        f
        for f in expand_paths(paths)
        if not any(f.resolve() == p or p in f.resolve().parents for p in own)
    ]  # never the workspace's own lake or catalog (``agentaudit ingest .`` in a workspace)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    summary = IngestSummary(run_id=run_id, started=started)
    summary.files_seen = len(files)
    limits = {
        "chunk_bytes": chunk_bytes,
        "max_record": max_record_bytes,
        "max_document": max_document_bytes,
    }
    reasons: Counter[str] = Counter()
    seen = SeenKeys(workspace)
    con = duckdb.connect()
    try:
        for index, path in enumerate(files, start=1):
            if progress:
                print(f"[{index}/{len(files)}] {path}", file=sys.stderr, flush=True)
            result = _ingest_file(
                workspace,
                con,
                seen,
                run_id,
                index,
                path,
                limits,
                reasons,
                summary.quarantine_examples,
            )
            summary.add(result)
            if result.skipped:
                summary.files_skipped += 1
            elif result.failed or (result.error and result.rows_read == 0):
                summary.files_failed += 1
                summary.errors.append(FileError(file=result.file, message=result.error))
            else:
                summary.files_ingested += 1
                if result.error:
                    summary.errors.append(FileError(file=result.file, message=result.error))
    finally:
        con.close()
    summary.quarantine_reasons = dict(reasons.most_common())
    summary.finished = datetime.now(UTC)
    summary.duration_seconds = round(time.perf_counter() - t0, 3)
    if not summary.conserved:  # pragma: no cover - a bug, not a user error
        raise AssertionError(
            f"row conservation broken in run {run_id}: {summary.rows_read} read != "
            f"{summary.rows_written_total} + {summary.duplicates} + {summary.quarantined}"
        )
    if workspace.lake.exists() or summary.files_ingested:
        manifest.record_run(workspace, summary)
    return summary


def _ingest_file(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    seen: SeenKeys,
    run_id: str,
    index: int,
    path: Path,
    limits: dict,
    reasons: Counter[str],
    examples: list[FileError],
) -> FileResult:
    result = FileResult(file=str(path))
    hashing = None
    try:
        fp = manifest.fingerprint(path)
        hinted = manifest.hash_for_fingerprint(workspace, fp)
        if hinted and manifest.ingested_before(workspace, hinted):
            # same path, size and mtime as a file ingested before: confirm by content
            result.content_hash = manifest.content_hash(path)
            if manifest.ingested_before(workspace, result.content_hash):
                result.skipped = True
                return result
        detected = sniff(path, str(path))
        if result.content_hash is None:
            # hash while the file is read (hashlib runs outside the GIL)
            hashing = _HASHER.submit(manifest.content_hash, path)
    except OSError as exc:
        result.error = f"cannot read the file: {exc.strerror or exc}; check its permissions"
        result.failed = True
        return result
    result.shape = detected.shape
    result.source_format = detected.source_format
    if detected.shape == "empty":
        result.error = "empty file: nothing to ingest"
        result.failed = True
        result.content_hash = hashing.result() if hashing else result.content_hash
        return result
    ingest_time = datetime.now(UTC)
    file_reasons: Counter[str] = Counter()
    job = _FileIngest(
        workspace, con, seen, f"{run_id}-{index:05d}", ingest_time, result, file_reasons
    )
    seen.checkpoint()
    try:
        if detected.shape in ("binary", "utf16", "text"):
            reason = {
                "binary": "binary file: not JSON or CSV text (a compressed or corrupt file?)",
                "utf16": "UTF-16 text: save the export as UTF-8",
                "text": "text that is neither JSON nor CSV: not an Entra export",
            }[detected.shape]
            result.rows_read += 1
            job.rejected([Rejected(None, reason, "")], "unknown")
            result.error = reason
            result.failed = True
        else:
            reader_con = con.cursor()  # DuckDB connections are per thread
            try:
                for batch in prefetch(_batches(path, detected, reader_con, limits)):
                    if result.source_format in (None, "unknown") or detected.shape != "jsonl":
                        result.source_format = batch.source_format
                    job.batch(batch)
            finally:
                reader_con.close()
    except FileProblem as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = f"read failed: {exc}"
    except BaseException:
        job.abort()
        seen.rollback()
        raise
    if hashing is not None:
        try:
            result.content_hash = hashing.result()
        except OSError as exc:
            job.abort()
            seen.rollback()
            return FileResult(file=str(path), failed=True, error=f"read failed: {exc}")
        if manifest.ingested_before(workspace, result.content_hash):
            # the same content was ingested before under another name or time: drop this pass
            job.abort()
            seen.rollback()
            return FileResult(file=str(path), content_hash=result.content_hash, skipped=True)
    job.commit(result.content_hash)
    reasons.update(file_reasons)
    examples.extend(job.examples[: max(EXAMPLES - len(examples), 0)])
    manifest.record_file(workspace, run_id, result, fp)
    return result


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentaudit-hash")


def read_quarantine(workspace: Workspace) -> pa.Table:
    """Every quarantined row of the workspace (for tests and investigators)."""
    files = sorted(workspace.quarantine.glob("date=*/*.parquet"))
    if not files:
        return QUARANTINE_SCHEMA.empty_table()
    return pl.scan_parquet(files, hive_partitioning=False).collect().to_arrow()
