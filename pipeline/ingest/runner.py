"""``ingest_paths``: files, folders and globs -> the lake, idempotently, nothing lost.

Per file: content hash (skip when the manifest has it), detect, read in batches (sources.py).
Consecutive small files share a commit unit (unit.py): their records are normalised together,
events already in the lake are dropped, and each (table, date) gets one Parquet file per unit,
renamed into place when the unit is done; then every file of the unit is recorded in the
manifest. Every record read ends in exactly one place: a table, the duplicate count or the
quarantine.
"""

from __future__ import annotations

import glob
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipeline.errors import AgentAuditError
from pipeline.ingest import manifest
from pipeline.ingest.dedupe import SeenKeys
from pipeline.ingest.pages import small_pages
from pipeline.ingest.progress import Progress
from pipeline.ingest.reader import CHUNK_BYTES, MAX_DOCUMENT_BYTES, MAX_RECORD_BYTES, Batch
from pipeline.ingest.sources import Ended, Opened, file_events, prefetch
from pipeline.ingest.summary import FileError, IngestSummary
from pipeline.ingest.unit import EXAMPLES, CommitUnit, Member
from pipeline.schema import QUARANTINE_SCHEMA
from pipeline.workspace import Workspace


def expand_paths(
    paths: Iterable[str | Path], passed_over: list[FileError] | None = None
) -> list[Path]:
    """Files named, files under folders (recursive, hidden ones skipped) and glob matches.

    Inside a folder, a linked folder is not walked (a link back up would loop) and a dangling
    link cannot be read: each is added to ``passed_over`` with what to do, so no export goes
    unread without a word.
    """
    found: dict[Path, None] = {}
    for given in paths:
        text = str(given)
        candidate = Path(text).expanduser()
        if candidate.is_dir():
            for sub in sorted(candidate.rglob("*")):
                rel = sub.relative_to(candidate)
                if any(p.startswith(".") for p in rel.parts):
                    continue
                if sub.is_file():
                    found[sub] = None
                elif sub.is_symlink() and passed_over is not None:
                    passed_over.append(_link_passed_over(sub))
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


def _link_passed_over(link: Path) -> FileError:
    """Why a symlink inside an input folder was not read."""
    if link.is_dir():
        message = (
            "linked folder not followed (a link can loop back up the tree): "
            "give it as an input of its own to read it"
        )
    else:
        message = "dangling link (its target is missing or a link loop): not read; fix the link"
    return FileError(file=str(link), message=message)


def _resolved(path: Path) -> Path:
    """``path`` with its links resolved; a link loop stays as given (reading it fails later)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symlink loop (Python < 3.13)
        return path.absolute()


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
    quarantined (per record) or reported in ``errors`` (per file). ``progress``: a progress bar
    on stderr (when it is a terminal; else a line every tenth of the files).
    """
    own = (workspace.lake.resolve(), workspace.catalog.resolve())
    passed_over: list[FileError] = []
    files = [
        f
        for f in expand_paths(paths, passed_over)
        if not any(_resolved(f) == p or p in _resolved(f).parents for p in own)
    ]  # never the workspace's own lake or catalog (``agentaudit ingest .`` in a workspace)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    summary = IngestSummary(run_id=run_id, started=started)
    summary.files_seen = len(files)
    summary.errors.extend(passed_over)
    limits = {
        "chunk_bytes": chunk_bytes,
        "max_record": max_record_bytes,
        "max_document": max_document_bytes,
    }
    run = _Run(workspace, summary, chunk_bytes, Progress(len(files), progress))
    con = duckdb.connect()
    reader_con = con.cursor()  # DuckDB connections are per thread: this one is the reader's
    try:
        with small_pages():
            run.consume(con, prefetch(file_events(workspace, files, reader_con, limits)))
    finally:
        run.progress.close()
        reader_con.close()
        con.close()
    summary.quarantine_reasons = dict(run.reasons.most_common())
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


class _Run:
    """Consumes the file events: fills commit units, commits them, records their files."""

    def __init__(
        self, workspace: Workspace, summary: IngestSummary, chunk_bytes: int, progress: Progress
    ):
        self.workspace = workspace
        self.summary = summary
        self.chunk_bytes = chunk_bytes
        self.progress = progress
        self.reasons: Counter[str] = Counter()
        self.units = 0

    def _unit(self, con: duckdb.DuckDBPyConnection, seen: SeenKeys) -> CommitUnit:
        self.units += 1
        batch_id = f"{self.summary.run_id}-{self.units:05d}"
        return CommitUnit(self.workspace, con, seen, batch_id, datetime.now(UTC), self.chunk_bytes)

    def consume(self, con: duckdb.DuckDBPyConnection, events: Iterator) -> None:
        seen = SeenKeys(self.workspace)
        unit = self._unit(con, seen)
        index, big = -1, False
        detected = None
        try:
            for event in events:
                if isinstance(event, Batch):
                    result = unit.members[index].result
                    if result.source_format in (None, "unknown") or (
                        detected is not None and detected.shape != "jsonl"
                    ):
                        result.source_format = event.source_format
                    unit.add(index, event)
                elif isinstance(event, Opened):
                    if event.big and unit.members:
                        self._finish(unit)
                        unit = self._unit(con, seen)
                    index = unit.add_member(event.member)
                    detected, big = event.detected, event.big
                    if event.done:  # nothing to read: already ingested, empty, unreadable
                        self.progress.advance(event.member.path, idle=True)
                elif isinstance(event, Ended):
                    member = unit.members[index]
                    self.progress.advance(member.path)
                    if event.replace is not None:  # this pass is dropped
                        unit.abort()
                        member.result, member.record = event.replace, False
                        self._account(member)
                        unit = self._unit(con, seen)
                        continue
                    if event.error:
                        member.result.error = event.error
                    member.result.failed = member.result.failed or event.failed
                    if event.content_hash:
                        member.result.content_hash = event.content_hash
                    if big or unit.bytes >= self.chunk_bytes:
                        self._finish(unit)
                        unit = self._unit(con, seen)
            self._finish(unit)
        except BaseException:
            unit.abort()
            raise

    def _finish(self, unit: CommitUnit) -> None:
        """Commit the unit's Parquet files, then record its files in the manifest."""
        if not unit.members:
            return
        unit.commit()
        for member in unit.members:
            self.reasons.update(member.reasons)
        examples = self.summary.quarantine_examples
        examples.extend(unit.examples[: max(EXAMPLES - len(examples), 0)])
        manifest.record_files(
            self.workspace,
            self.summary.run_id,
            [(m.result, m.fingerprint) for m in unit.members if m.record],
        )
        for member in unit.members:
            self._account(member)

    def _account(self, member: Member) -> None:
        result, summary = member.result, self.summary
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


def read_quarantine(workspace: Workspace) -> pa.Table:
    """Every quarantined row of the workspace (for tests and investigators)."""
    files = sorted(workspace.quarantine.glob("date=*/*.parquet"))
    if not files:
        return QUARANTINE_SCHEMA.empty_table()
    return pl.scan_parquet(files, hive_partitioning=False).collect().to_arrow()
