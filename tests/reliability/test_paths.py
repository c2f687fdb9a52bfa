"""Paths: input names with spaces, unicode and escape sequences, symlinks (to files, to folders,
dangling, in a loop), and output folders that cannot be written: clear results, no traceback.

Tests run as root, where permission bits do not stop a write; an unwritable output is made by
putting the output path under a regular file (no folder can be created there, even by root).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pipeline.errors import AgentAuditError
from pipeline.ingest import ingest_paths
from pipeline.run import run_nightly
from pipeline.workspace import Workspace

from .crash import agentaudit, run_cli
from .lakecheck import snapshot


@pytest.fixture
def record_lines(samples_dir: Path) -> list[str]:
    path = samples_dir / "azure-monitor-storage" / "sign_in_logs.json"
    return [ln for ln in path.read_text().splitlines() if ln.strip()]


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_names_with_spaces_unicode_and_escapes(tmp_path: Path, record_lines) -> None:
    folder = tmp_path / "Entra exports März 2026 ✓"
    names = ["sign ins (copy 1).json", "登录日志.json", "naïve\u202eosj.json", "tab\tname.json"]
    for i, name in enumerate(names):
        _write(folder / name, [record_lines[i]])
    ws = Workspace.at(tmp_path / "work space ü")
    summary = ingest_paths(ws, [folder])
    assert summary.files_ingested == len(names) and summary.rows_written_total == len(names)
    assert summary.conserved
    # the same folder as a glob with spaces in it: everything already ingested
    again = ingest_paths(ws, [str(folder / "*.json")])
    assert again.files_skipped == len(names)
    done = run_cli(["ingest", "-w", str(ws.root), str(folder)])
    assert done.returncode == 0 and "Traceback" not in done.stderr


def test_symlinks_dangling_links_and_loops(tmp_path: Path, record_lines) -> None:
    real = _write(tmp_path / "real" / "a.json", record_lines[:2])
    _write(tmp_path / "real" / "sub" / "b.json", record_lines[2:4])
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "link-to-file.json").symlink_to(real)
    (inputs / "link-to-folder").symlink_to(tmp_path / "real", target_is_directory=True)
    (inputs / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    (inputs / "loop").symlink_to(inputs, target_is_directory=True)  # inputs/loop/loop/…
    (tmp_path / "real" / "sub" / "up").symlink_to(tmp_path / "real", target_is_directory=True)
    ws = Workspace.at(tmp_path / "ws")
    done = subprocess.run(
        agentaudit("ingest", "-w", str(ws.root), str(inputs)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    # a linked file is read; linked folders inside an input folder are not walked (so a loop
    # cannot trap the walk): a.json only, through its link
    assert snapshot(ws).rows == 2
    summary = ingest_paths(ws, [inputs, tmp_path / "real"])  # a.json again, b.json new
    assert summary.rows_written_total == 2 and summary.conserved
    snap = snapshot(ws)
    assert snap.rows == 4 and not snap.problems()  # a.json once, b.json once, nothing twice


def test_skipped_links_inside_a_folder_are_named(tmp_path: Path, record_lines) -> None:
    inputs = tmp_path / "inputs"
    _write(inputs / "a.json", record_lines[:1])
    (inputs / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    done = run_cli(["ingest", "-w", str(tmp_path / "ws"), str(inputs)])
    assert "dangling.json" in done.stdout + done.stderr


def test_a_symlink_loop_given_directly(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    summary = ingest_paths(Workspace.at(tmp_path / "ws"), [tmp_path / "a"])
    assert summary.files_failed == 1 and summary.errors and summary.conserved


def _blocked(tmp_path: Path) -> Path:
    """A path no one can create: its parent is a regular file."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file, not a folder")
    return blocker / "out"


@pytest.fixture
def small_workspace(samples_run: Workspace) -> Workspace:
    return samples_run


@pytest.mark.parametrize(
    "command",
    [
        ["report", "-o", "{out}/report.html"],
        ["export", "-o", "{out}/findings.jsonl"],
        ["export", "--redact", "-o", "{out}/findings.jsonl"],
    ],
)
def test_unwritable_output_gives_a_clear_error(small_workspace, tmp_path, command) -> None:
    out = _blocked(tmp_path)
    args = [a.replace("{out}", str(out)) for a in command]
    done = run_cli([args[0], "-w", str(small_workspace.root), *args[1:]])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "cannot write" in done.stderr and str(out) in done.stderr


def test_unwritable_workspace_for_run_gives_a_clear_error(tmp_path: Path, samples_dir) -> None:
    ws = _blocked(tmp_path)
    done = run_cli(["run", "-w", str(ws), "--input", str(samples_dir / "event-hub")])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(ws) in done.stderr and "workspace" in done.stderr
    with pytest.raises(AgentAuditError):
        run_nightly(Workspace.at(ws), [str(samples_dir / "event-hub")])


def test_unwritable_workspace_for_ingest_gives_a_clear_error(tmp_path: Path, samples_dir) -> None:
    """Found here and fixed (ingest now holds the workspace lock, which checks the folder): was a
    NotADirectoryError traceback."""
    ws = _blocked(tmp_path)
    done = run_cli(["ingest", "-w", str(ws), str(samples_dir / "event-hub")])
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(ws) in done.stderr


def test_read_only_output_folder_when_not_root(small_workspace, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes through permission bits; the regular-file case covers this")
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    done = run_cli(["report", "-w", str(small_workspace.root), "-o", str(folder / "r.html")])
    assert done.returncode == 1 and "cannot write" in done.stderr


def test_inputs_are_never_written(tmp_path: Path, record_lines) -> None:
    """Ingest opens inputs read-only: a read-only input file stays byte for byte the same."""
    path = _write(tmp_path / "in" / "a.json", record_lines)
    before = path.read_bytes()
    path.chmod(0o444)
    ingest_paths(Workspace.at(tmp_path / "ws"), [path])
    assert path.read_bytes() == before
    assert json.loads(before.splitlines()[0])
