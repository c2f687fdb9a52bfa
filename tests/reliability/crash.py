"""SIGKILL trials: start an ``agentaudit`` command, kill it at a random moment, check the lake,
repeat, then let it finish and compare the workspace with one clean run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.workspace import Workspace

from .lakecheck import Snapshot, siem_lines, snapshot

CLI = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def agentaudit(*args: str) -> list[str]:
    """The command line of ``agentaudit ARGS`` in this interpreter (the checkout's venv)."""
    return [*CLI, *args]


def run_cli(args: Sequence[str], timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        agentaudit(*args), capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class ChainResult:
    kills: int = 0  # processes killed while still running
    finished_early: int = 0  # processes that ended before their kill moment
    problems: list[str] = field(default_factory=list)  # invariant breaks seen after a kill
    differences: list[str] = field(default_factory=list)  # final workspace vs the clean run
    temp_files_left: int = 0

    @property
    def survived(self) -> int:
        return self.kills if not self.problems and not self.differences else 0


def kill_chain(
    args: Sequence[str],
    workspace: Workspace,
    reference: Snapshot,
    rng: random.Random,
    delays: tuple[float, float],
    max_kills: int,
    check_siem: bool = False,
) -> ChainResult:
    """Start ``agentaudit ARGS`` and SIGKILL it after a random delay, ``max_kills`` times (or until
    a start ends by itself); check the invariants after every kill; then run it to its end and
    compare the workspace with ``reference``."""
    result = ChainResult()
    while result.kills < max_kills:
        proc = subprocess.Popen(
            agentaudit(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(*delays))
        if proc.poll() is not None:
            result.finished_early += 1
            break
        os.kill(proc.pid, signal.SIGKILL)  # only the process this loop started
        proc.wait()
        result.kills += 1
        snap = snapshot(workspace)
        result.problems += [f"after kill {result.kills}: {p}" for p in snap.problems()]
    done = run_cli(args)
    if done.returncode != 0:
        result.differences.append(f"final run exit {done.returncode}: {done.stderr[-2000:]}")
        return result
    final = snapshot(workspace)
    result.problems += [f"final: {p}" for p in final.problems()]
    result.differences += final.differences(reference)
    result.temp_files_left = final.temp_files
    if check_siem:
        lines = siem_lines(workspace)
        uids = [line["finding_info"]["uid"] for line in lines]
        if len(uids) != len(set(uids)):
            result.differences.append(f"SIEM file: {len(uids) - len(set(uids))} duplicate lines")
        expected = {fid for fid, *_ in reference.findings}
        if set(uids) != expected:
            result.differences.append(
                f"SIEM file: {len(set(uids))} findings, {len(expected)} in the clean run"
            )
    return result


def copy_config(source: Path, workspace: Workspace) -> None:
    """The workspace gets the generated tenant's agentaudit.toml (registry, settings)."""
    workspace.root.mkdir(parents=True, exist_ok=True)
    text = (source / "agentaudit.toml").read_text()
    (workspace.root / "agentaudit.toml").write_text(text)


def peak_rss(args: Sequence[str], timeout: float = 900) -> tuple[int, str, int]:
    """Run ``agentaudit ARGS`` in a child process: (exit code, output, the child's peak RSS in
    MiB, from wait4's rusage of that one child)."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(agentaudit(*args), stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, os.kill, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return proc.returncode, out.read(), usage.ru_maxrss // 1024
