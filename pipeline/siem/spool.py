"""The delivery spool of one HTTP destination: ``siem/spool/<destination>/``.

``pending.jsonl`` holds the lines not yet acknowledged by the collector; ``delivered.tsv`` the
ledger of what it did acknowledge (finding id, status id, severity id), appended and fsynced
after every acknowledged batch. A later export sends the pending lines first, never re-sends a
finding whose status and severity were already delivered, and sends an *update* when either
changed. Delivery is at-least-once: only a crash between the collector's acknowledgement and the
ledger's fsync can repeat a batch.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.errors import AgentAuditError
from pipeline.workspace import Workspace

PENDING = "pending.jsonl"
LEDGER = "delivered.tsv"
FILE_MODE = 0o600

#: (finding id, status_id, severity_id): what the collector has already received
DeliveryKey = tuple[str, int, int]


def delivery_key(event: dict) -> DeliveryKey:
    return (str(event["finding_info"]["uid"]), int(event["status_id"]), int(event["severity_id"]))


def destination_id(url: str) -> str:
    """A folder name for one collector: host plus a short hash of the whole URL (no secrets)."""
    parts = urlsplit(url)
    host = "".join(c if c.isalnum() or c in "-." else "_" for c in (parts.hostname or "host"))
    return f"{host}-{hashlib.sha256(url.encode()).hexdigest()[:10]}"


def write_private(path: Path, data: bytes | Iterable[bytes], mode: int = FILE_MODE) -> Path:
    """Write ``data`` (bytes, or chunks of them written as they come) to ``path`` atomically
    (temporary file, fsync, rename) with ``mode``.

    Raises AgentAuditError naming the path when the folder cannot be made or written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    except OSError as exc:
        why = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError | NotADirectoryError):
            why = "a file is where a folder should be"
        raise AgentAuditError(
            f"cannot write {path}: {why} ({exc.filename or path.parent}); "
            "choose an output folder you can write to"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [data] if isinstance(data, bytes) else data:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AgentAuditError(
            f"cannot write {path}: {exc.strerror or exc}; check the free space and permissions "
            "of its folder"
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class Spool:
    """Pending lines and the delivered ledger of one destination URL."""

    def __init__(self, workspace: Workspace, url: str) -> None:
        self.folder = workspace.siem / "spool" / destination_id(url)
        self.url = url

    @property
    def pending_file(self) -> Path:
        return self.folder / PENDING

    @property
    def ledger_file(self) -> Path:
        return self.folder / LEDGER

    @contextmanager
    def locked(self) -> Iterator[Spool]:
        """Hold the destination's lock: two exports to one collector never interleave."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise AgentAuditError(
                    f"{self.folder}: another export to this collector is running; "
                    "wait for it to finish and try again"
                ) from None
            yield self
        finally:
            os.close(fd)

    def delivered(self) -> set[DeliveryKey]:
        if not self.ledger_file.exists():
            return set()
        out: set[DeliveryKey] = set()
        with open(self.ledger_file, encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    out.add((parts[0], int(parts[1]), int(parts[2])))
        return out

    def mark_delivered(self, keys: Iterable[DeliveryKey]) -> None:
        """Append acknowledged keys to the ledger and fsync before anything else happens."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = "".join(f"{uid}\t{status}\t{sev}\n" for uid, status, sev in keys)
        fd = os.open(self.ledger_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def pending(self) -> list[dict]:
        """Lines a previous export could not deliver (a torn last line is dropped)."""
        if not self.pending_file.exists():
            return []
        out = []
        with open(self.pending_file, encoding="utf-8") as fh:
            for line in fh:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return out

    def write_pending(self, events: list[dict]) -> None:
        if not events:
            self.pending_file.unlink(missing_ok=True)
            return
        body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
        write_private(self.pending_file, body.encode())
