"""The workspace lock: one job at a time, a killed job's lock is taken over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.lock import LOCK_NAME, LockHeld, workspace_lock

HOLD = """
import sys, time
from pathlib import Path
from pipeline.lock import workspace_lock
with workspace_lock(Path(sys.argv[1]), "agentaudit run"):
    print("locked", flush=True)
    time.sleep(60)
"""


def _holder(root: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_job_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    try:
        with pytest.raises(LockHeld, match=rf"agentaudit run \(pid {proc.pid}"):
            with workspace_lock(tmp_path, "agentaudit run"):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_lock_of_a_killed_job_is_taken_over(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / LOCK_NAME).exists()  # the stale file stays behind
    with workspace_lock(tmp_path, "agentaudit run") as path:
        assert str(os.getpid()) in path.read_text()


def test_waiting_job_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    killer = subprocess.Popen(["sh", "-c", f"sleep 0.5; kill {proc.pid}"])
    start = time.monotonic()
    with workspace_lock(tmp_path, "agentaudit run", wait_seconds=20):
        waited = time.monotonic() - start
    killer.wait()
    proc.wait()
    assert 0.3 < waited < 20
