"""One nightly job per workspace at a time.

The lock is an ``flock`` on ``<workspace>/.agentaudit.lock``. The kernel drops it when the process
dies, so a lock left by a killed run is stale by construction and the next run takes it over; the
file's text (pid, start time, command) is only there to tell the user who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import AgentAuditError

LOCK_NAME = ".agentaudit.lock"


class LockHeld(AgentAuditError):
    """Another job holds the workspace."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another agentaudit job"
    who, pid, since = info.get("command", "a job"), info.get("pid", "?"), info.get("since", "?")
    return f"{who} (pid {pid}, since {since})"


@contextmanager
def workspace_lock(root: Path, command: str, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold the workspace lock for the duration of the block.

    ``wait_seconds`` > 0 waits that long for the other job to finish before giving up.
    """
    path = root / LOCK_NAME
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise AgentAuditError(
            f"{root}: cannot use this workspace folder ({exc.strerror or exc}: "
            f"{exc.filename or path}); pass --workspace with a folder you can write to"
        ) from exc
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockHeld(
                        f"{root}: the workspace is busy: {_holder(path)} holds {LOCK_NAME}. "
                        "Wait for it to finish (or pass --wait SECONDS); a killed job's lock is "
                        "released automatically."
                    ) from None
                time.sleep(0.2)
        info = {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(), "command": command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the flock
