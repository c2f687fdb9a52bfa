"""The input files of a run as one stream of events: each file opened, its batches, its end.

``file_events`` decides per file whether it was ingested before (content hash in the manifest, or
the same content earlier in this run), detects its shape and reads it in batches. It runs in the
reader thread (``prefetch``), so the next files are hashed, sniffed and split while the current
batch is normalised. A small file is hashed before it is read (so it can share a commit unit with
others); a file over ``chunk_bytes`` is hashed while it is read and has a unit of its own.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from queue import Full, Queue
from threading import Event, Thread

import duckdb

from pipeline.ingest import manifest
from pipeline.ingest.detect import Detected, sniff
from pipeline.ingest.reader import (
    Batch,
    FileProblem,
    NotADocument,
    Rejected,
    iter_jsonl,
    no_lines,
    read_csv,
    read_document,
)
from pipeline.ingest.summary import FileResult
from pipeline.ingest.unit import Member
from pipeline.workspace import Workspace

NOT_READABLE = {
    "binary": "binary file: not JSON or CSV text (a compressed or corrupt file?)",
    "utf16": "UTF-16 text: save the export as UTF-8",
    "text": "text that is neither JSON nor CSV: not an Entra export",
}


@dataclass
class Opened:
    member: Member
    detected: Detected | None = None
    big: bool = False  # over chunk_bytes: a commit unit of its own
    done: bool = False  # nothing to read (skipped, unreadable, empty)


@dataclass
class Ended:
    error: str | None = None
    failed: bool = False
    content_hash: str | None = None
    #: when set, this pass is dropped (its rows must not stay) and this is the file's result
    replace: FileResult | None = None


def _batches(
    path: Path,
    detected: Detected,
    con: duckdb.DuckDBPyConnection,
    limits: dict,
    digest: manifest.Digest | None = None,
    data: bytes | None = None,
):
    """The file's batches; ``digest`` (a plain JSON-lines file only) is fed every byte read;
    ``data``: the whole content of a small plain file, read once already."""
    if detected.shape == "jsonl":
        yield from iter_jsonl(
            path,
            detected,
            con,
            limits["chunk_bytes"],
            limits["max_record"],
            feed=digest.update if digest is not None else None,
            data=data,
        )
    elif detected.shape == "document":
        try:
            batch = read_document(path, detected, con, limits["max_document"])
        except NotADocument:
            lines = replace(detected, shape="jsonl")
            yield from iter_jsonl(path, lines, con, limits["chunk_bytes"], limits["max_record"])
        except FileProblem as exc:
            if exc.salvaged is not None:  # the records before a cut land; the cut is reported
                yield exc.salvaged
            raise
        else:
            yield batch
    elif detected.shape == "csv":
        yield read_csv(path, detected, limits["max_document"])


def file_events(
    workspace: Workspace,
    files: Sequence[Path],
    con: duckdb.DuckDBPyConnection,
    limits: dict,
    real: dict[Path, str] | None = None,
) -> Iterator[Opened | Batch | Ended]:
    """Per file: ``Opened``, then (unless it is done) its ``Batch``es and one ``Ended``.

    ``real``: the files' resolved paths where known (for their fingerprints).
    """
    claimed: set[str] = set()  # content hashes this run reads
    real = real or {}
    for path in files:
        result = FileResult(file=str(path))
        member = Member(path=path, result=result)
        hashing: Future | None = None
        digest: manifest.Digest | None = None
        try:
            info = path.stat()
            size = info.st_size
            if not stat.S_ISREG(info.st_mode):
                # a pipe or device: it can be read once only, and ingest reads a file twice
                result.error = (
                    "not a regular file (a pipe, socket or device): save the export to a file "
                    "and ingest that"
                )
                result.failed, member.record = True, False
                yield Opened(member, done=True)
                continue
            member.fingerprint = manifest.fingerprint(path, real.get(path), info)
            hinted = manifest.hash_for_fingerprint(workspace, member.fingerprint)
            if hinted and manifest.ingested_before(workspace, hinted):
                # same path, size and mtime as a file ingested before: confirm by content
                result.content_hash = manifest.content_hash(path)
            big = size > limits["chunk_bytes"]
            data = None
            if result.content_hash is None and not big:
                # a small file (an hourly blob) is read once: hashed, sniffed and split from
                # the same bytes
                data = _read_small(path, limits["chunk_bytes"])
                if data is None:  # it grew meanwhile: hashed while it is read, as a big one
                    big = True
                else:
                    result.content_hash = manifest.content_hash_of(data)
            known = result.content_hash
            if known and (known in claimed or manifest.ingested_before(workspace, known)):
                member.result = FileResult(file=str(path), content_hash=known, skipped=True)
                member.record = False
                yield Opened(member, done=True)
                continue
            detected = sniff(path, str(path), data)
            if detected.gzip:
                data = None  # read through gunzip from the file
            if result.content_hash is None and detected.shape == "jsonl" and not detected.gzip:
                digest = manifest.Digest()  # the reader hashes what it reads: one read
            elif result.content_hash is None:
                # hash while the file is read (the hash runs outside the GIL)
                hashing = _HASHER.submit(manifest.content_hash, path)
        except OSError as exc:
            result.error = f"cannot read the file: {exc.strerror or exc}; check its permissions"
            result.failed = True
            member.record = False
            yield Opened(member, done=True)
            continue
        result.shape = detected.shape
        result.source_format = detected.source_format
        if detected.shape == "empty":
            result.error = "empty file: nothing to ingest"
            result.failed = True
            result.content_hash = hashing.result() if hashing else result.content_hash
            member.record = False
            yield Opened(member, detected, done=True)
            continue
        if result.content_hash:
            claimed.add(result.content_hash)
        yield Opened(member, detected, big=big)
        if detected.shape in NOT_READABLE:
            reason = NOT_READABLE[detected.shape]
            yield Batch(no_lines(), None, "unknown", [Rejected(None, reason, "")])
            yield _end_of(path, hashing, claimed, workspace, Ended(error=reason, failed=True))
            continue
        end = Ended()
        try:
            yield from _batches(path, detected, con, limits, digest, data)
            data = None
            if digest is not None:
                hashing = Future()
                hashing.set_result(digest.text())
        except FileProblem as exc:
            end.error = str(exc)
        except OSError as exc:
            end.error = f"read failed: {exc}"
        if digest is not None and hashing is None:  # read in part: hash the whole file
            hashing = _HASHER.submit(manifest.content_hash, path)
        yield _end_of(path, hashing, claimed, workspace, end)


def _read_small(path: Path, limit: int) -> bytes | None:
    """The content of a file of at most ``limit`` bytes; None if it has grown past that."""
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    return data if len(data) <= limit else None


def _end_of(path: Path, hashing, claimed: set[str], workspace: Workspace, end: Ended) -> Ended:
    """``end`` completed with the content hash computed while the file was read."""
    if hashing is None:
        return end
    try:
        digest = hashing.result()
    except OSError as exc:
        end.replace = FileResult(file=str(path), failed=True, error=f"read failed: {exc}")
        return end
    end.content_hash = digest
    if digest in claimed or manifest.ingested_before(workspace, digest):
        # the same content was ingested before under another name or time: drop this pass
        end.replace = FileResult(file=str(path), content_hash=digest, skipped=True)
    else:
        claimed.add(digest)
    return end


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentaudit-hash")
_DONE = object()


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Run an iterator in a background thread, ``depth`` items ahead of the consumer.

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
