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
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from pipeline.config import load_config
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
            files, links = _walk(candidate)
            found.update(dict.fromkeys(files))
            if passed_over is not None:
                passed_over.extend(_link_passed_over(link) for link in links)
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


def _walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """The files under ``folder`` (hidden names skipped, linked folders not entered) and the
    links it holds that are not read (linked folders, dangling links), each sorted as paths.

    One ``scandir`` a folder (a storage account's tree holds thousands of hourly folders): the
    entries' types come with the listing, only a linked entry costs a ``stat``.
    """
    files: list[Path] = []
    links: list[Path] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = current / entry.name
                if entry.is_symlink():
                    if entry.is_file():  # follows the link: a linked file is read
                        files.append(path)
                    else:  # a linked folder, or a link to nothing
                        links.append(path)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif entry.is_file(follow_symlinks=False):
                    files.append(path)
    return sorted(files), sorted(links)


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


def _outside(files: list[Path], own: Sequence[Path]) -> tuple[list[Path], dict[Path, str]]:
    """``files`` but those that are (or lie under) one of the ``own`` resolved paths; and each
    kept file's resolved path.

    Each folder is resolved once (from its parent's resolution, a ``stat`` a folder): the
    thousands of files of a storage account's tree share their ancestors.
    """
    folders: dict[Path, str] = {}

    def real(path: Path) -> str:
        if path in folders:
            return folders[path]
        parent = path.parent
        if parent == path or path.name in ("", ".", "..") or path.is_symlink():
            text = str(_resolved(path))
        else:
            text = os.path.join(real(parent), path.name)
        folders[path] = text
        return text

    marks = [(str(p), str(p).rstrip(os.sep) + os.sep) for p in own]
    here = Path.cwd()
    kept: dict[Path, str] = {}
    for path in files:
        text = real(path if path.is_absolute() else here / path)
        if not any(text == p or text.startswith(under) for p, under in marks):
            kept[path] = text
    return list(kept), kept


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
    # never the workspace's own lake or catalog (``agentaudit ingest .`` in a workspace)
    files, real = _outside(expand_paths(paths, passed_over), own)
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
    # the reader's JSON parsing works within [workspace] memory_limit too, spilling to disk
    con = duckdb.connect(config=load_config(workspace).duckdb_config(workspace))
    reader_con = con.cursor()  # DuckDB connections are per thread: this one is the reader's
    try:
        with small_pages():
            run.consume(con, prefetch(file_events(workspace, files, reader_con, limits, real)))
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
        self._commit: Future | None = None  # the unit the commit thread is committing

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
            self._committed()
        except BaseException:
            unit.abort()
            self._committed(quiet=True)
            raise

    def _finish(self, unit: CommitUnit) -> None:
        """Write what the unit holds; its commit (the Parquet renamed into place, then its
        files recorded in the manifest) runs in the commit thread while the next unit is read.

        One commit at a time: closing, syncing and renaming a unit's files (and the manifest
        entries of its hundreds of hourly blobs) overlap the next unit's parse instead of
        stalling it; a commit's failure is raised here or at the end of the run.
        """
        if not unit.members:
            return
        unit.flush()
        for member in unit.members:
            self.reasons.update(member.reasons)
        examples = self.summary.quarantine_examples
        examples.extend(unit.examples[: max(EXAMPLES - len(examples), 0)])
        self._committed()
        self._commit = _COMMITTER.submit(self._commit_unit, unit)
        for member in unit.members:
            self._account(member)

    def _commit_unit(self, unit: CommitUnit) -> None:
        """(commit thread) The unit's files into place, then its inputs into the manifest."""
        try:
            unit.commit()
        except BaseException:
            unit.discard()
            raise
        manifest.record_files(
            self.workspace,
            self.summary.run_id,
            [(m.result, m.fingerprint) for m in unit.members if m.record],
        )

    def _committed(self, quiet: bool = False) -> None:
        """Wait for the unit being committed; raise its error unless ``quiet``."""
        commit, self._commit = self._commit, None
        if commit is None:
            return
        try:
            commit.result()
        except BaseException:
            if not quiet:
                raise

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


_COMMITTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentaudit-commit")


def read_quarantine(workspace: Workspace) -> pa.Table:
    """Every quarantined row of the workspace (for tests and investigators)."""
    files = sorted(workspace.quarantine.glob("date=*/*.parquet"))
    if not files:
        return QUARANTINE_SCHEMA.empty_table()
    return pl.scan_parquet(files, hive_partitioning=False).collect().to_arrow()
