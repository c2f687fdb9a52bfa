"""The ingest manifest: ``lake/_manifest/files/<sha256>.json`` per ingested file content,
``lake/_manifest/paths/<fingerprint>.json`` (path, size, mtime -> content hash) and
``lake/_manifest/runs/<run_id>.json`` per run (its summary, with the conservation check). Written
atomically; a file whose content hash is present is skipped on the next run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.ingest.summary import FileResult, IngestSummary
from pipeline.lake import write_json_atomic
from pipeline.workspace import Workspace

HASH_BLOCK = 8 * 1024 * 1024


def manifest_dir(workspace: Workspace) -> Path:
    return workspace.lake / "_manifest"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(path: Path) -> str:
    """Where and how big the file is and when it last changed: a cheap hint that its content
    was seen before (confirmed by the content hash)."""
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(key.encode("utf-8", errors="surrogateescape")).hexdigest()


def sha_for_fingerprint(workspace: Workspace, fp: str) -> str | None:
    entry = manifest_dir(workspace) / "paths" / f"{fp}.json"
    try:
        return json.loads(entry.read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError):
        return None


def ingested_before(workspace: Workspace, sha256: str) -> dict | None:
    entry = manifest_dir(workspace) / "files" / f"{sha256}.json"
    if not entry.is_file():
        return None
    try:
        return json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_file(
    workspace: Workspace, run_id: str, result: FileResult, fp: str | None = None
) -> Path:
    assert result.sha256
    payload = {"run_id": run_id, **result.model_dump(mode="json")}
    path = manifest_dir(workspace) / "files" / f"{result.sha256}.json"
    write_json_atomic(json.dumps(payload, indent=1), path)
    if fp:
        hint = {"sha256": result.sha256, "file": result.file}
        write_json_atomic(json.dumps(hint), manifest_dir(workspace) / "paths" / f"{fp}.json")
    return path


def record_run(workspace: Workspace, summary: IngestSummary) -> Path:
    path = manifest_dir(workspace) / "runs" / f"{summary.run_id}.json"
    return write_json_atomic(summary.model_dump_json(indent=1), path)
