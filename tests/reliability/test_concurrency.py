"""Concurrency: two nightly runs on one workspace (the second exits cleanly, or waits with
--wait), an investigator's read-only ``agentaudit sql`` while a run writes, and the lake stays
consistent throughout."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from pipeline.ingest import ingest_paths
from pipeline.lock import LOCK_NAME
from pipeline.workspace import Workspace

from .crash import agentaudit, run_cli
from .lakecheck import snapshot


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        agentaudit(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _lock_held_by(ws: Workspace, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = (ws.root / LOCK_NAME).read_text() if (ws.root / LOCK_NAME).exists() else ""
        if f'"pid": {proc.pid}' in text:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the first run never took the workspace lock")


def test_two_runs_and_queries_during_a_run(few_files: Path, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    ws.root.mkdir()
    first = _start("run", "-w", str(ws.root), "--input", str(few_files), "--no-progress")
    _lock_held_by(ws, first)

    # a second run at once: exits 1 naming the holder, touches nothing
    second = run_cli(["run", "-w", str(ws.root), "--input", str(few_files), "--no-progress"])
    assert second.returncode == 1 and "busy" in second.stderr, second.stderr
    assert str(first.pid) in second.stderr and "Traceback" not in second.stderr

    # a third waits for the first to end, then finds nothing new
    third = _start(
        "run", "-w", str(ws.root), "--input", str(few_files), "--no-progress", "--wait", "600"
    )

    # investigators query while the run writes: read-only, never blocked, never an error
    queries = 0
    while first.poll() is None:
        done = run_cli(["sql", "-w", str(ws.root), "SELECT count(*) AS n FROM signins"])
        assert done.returncode == 0, done.stderr
        queries += 1
        snap = snapshot(ws)  # what a reader sees mid-run: every visible file whole, no twins
        assert not snap.problems(), snap.problems()
    out, err = first.communicate()
    assert first.returncode == 0, err
    out3, err3 = third.communicate(timeout=600)
    assert third.returncode == 0, err3
    assert "Nothing new" in out3
    print(f"[concurrency] {queries} sql queries during the run, all answered")
    assert queries >= 1

    reference = Workspace.at(tmp_path / "clean")
    ingest_paths(reference, [few_files])
    final = snapshot(ws)
    assert not final.problems() and final.findings
    assert final.events == snapshot(reference).events


def test_two_ingests_at_once_store_each_event_once(few_files: Path, tmp_path: Path) -> None:
    """Found here and fixed: `agentaudit ingest` took no workspace lock, and two ingests of the
    same new files at once stored 70 sign-ins and 10 activity records twice."""
    ws = Workspace.at(tmp_path / "ws")
    procs = [_start("ingest", "-w", str(ws.root), str(few_files)) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 1]), outputs  # one refused as busy, or one after the other
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0 or "busy" in err, err
    snap = snapshot(ws)
    assert not snap.problems(), snap.problems()
    reference = Workspace.at(tmp_path / "clean")
    ingest_paths(reference, [few_files])
    assert snap.events == snapshot(reference).events
