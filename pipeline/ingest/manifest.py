"""The ingest manifest: ``lake/_manifest/files/<content hash>.json`` per ingested file content,
``lake/_manifest/paths/<fingerprint>.json`` (path, size, mtime -> content hash) and
``lake/_manifest/runs/<run_id>.json`` per run (its summary, with the conservation check). Written
atomically; a file whose content hash is present is skipped on the next run."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipeline.ingest.summary import FileResult, IngestSummary
from pipeline.lake import sync_dir, write_json_atomic
from pipeline.workspace import Workspace

HASH_BLOCK = 8 * 1024 * 1024


def manifest_dir(workspace: Workspace) -> Path:
    return workspace.lake / "_manifest"


try:  # BLAKE3 is a cryptographic hash ~5x faster than SHA-256 without SHA CPU instructions
    from blake3 import blake3 as _blake3
except ImportError:  # pragma: no cover - depends on the install
    _blake3 = None


class Digest:
    """A content hash fed piece by piece (``update``); ``text`` gives ``<algorithm>-<hex>``."""

    def __init__(self) -> None:
        self._digest = _blake3() if _blake3 is not None else hashlib.sha256()
        self._name = "blake3" if _blake3 is not None else "sha256"
        self.update = self._digest.update

    def text(self) -> str:
        return f"{self._name}-{self._digest.hexdigest()}"


def content_hash(path: Path) -> str:
    """``<algorithm>-<hex digest>`` of the file's bytes (BLAKE3 when installed, else SHA-256).

    A cryptographic hash: a crafted file cannot pass for one already ingested and be skipped.
    """
    digest = Digest()
    with open(path, "rb") as fh:
        while block := fh.read(HASH_BLOCK):
            digest.update(block)
    return digest.text()


def content_hash_of(data: bytes) -> str:
    """``content_hash`` of content already read."""
    digest = Digest()
    digest.update(data)
    return digest.text()


def fingerprint(path: Path, real: str | None = None, st: os.stat_result | None = None) -> str:
    """Where and how big the file is and when it last changed: a cheap hint that its content
    was seen before (confirmed by the content hash). ``real``: ``path`` resolved, and ``st``
    its stat, when the caller has them."""
    st = st or path.stat()
    key = f"{real or path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(key.encode("utf-8", errors="surrogateescape")).hexdigest()


def hash_for_fingerprint(workspace: Workspace, fp: str) -> str | None:
    entry = manifest_dir(workspace) / "paths" / f"{fp}.json"
    try:
        return json.loads(entry.read_text(encoding="utf-8"))["content_hash"]
    except (OSError, ValueError, KeyError):
        return None


def ingested_before(workspace: Workspace, digest: str) -> dict | None:
    entry = manifest_dir(workspace) / "files" / f"{digest}.json"
    if not entry.is_file():
        return None
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_file(
    workspace: Workspace,
    run_id: str,
    result: FileResult,
    fp: str | None = None,
    sync: bool = True,
) -> Path:
    assert result.content_hash
    payload = {"run_id": run_id, **result.model_dump(mode="json")}
    path = manifest_dir(workspace) / "files" / f"{result.content_hash}.json"
    write_json_atomic(json.dumps(payload, indent=1), path, sync=sync)
    if fp:
        hint = {"content_hash": result.content_hash, "file": result.file}
        hint_path = manifest_dir(workspace) / "paths" / f"{fp}.json"
        write_json_atomic(json.dumps(hint), hint_path, sync=sync)
    return path


def record_run(workspace: Workspace, summary: IngestSummary) -> Path:
    path = manifest_dir(workspace) / "runs" / f"{summary.run_id}.json"
    return write_json_atomic(summary.model_dump_json(indent=1), path)


def record_files(
    workspace: Workspace, run_id: str, entries: list[tuple[FileResult, str | None]]
) -> None:
    """Record the files of one commit unit (after its Parquet files are in place).

    Entries are written without an fsync each, then each manifest folder is synced once: an
    entry lost to a power cut only makes the next run read its file again, and the rows are
    then recognised as duplicates.
    """
    for result, fp in entries:
        record_file(workspace, run_id, result, fp, sync=False)
    if entries:
        for sub in ("files", "paths"):
            sync_dir(manifest_dir(workspace) / sub)
