"""Crash consistency: SIGKILL ``agentaudit ingest`` and ``agentaudit run`` at random moments, run
again, and the workspace must equal one clean run's: the same events once each, no visible
half-written Parquet file, the same quarantine and manifest, findings and SIEM lines once each.

The default run holds a few trials over a couple of dozen files; ``-m slow`` (run_long.sh) holds
at least 50 over a generated tenant of ~700 files. Every test prints its trials and outcome.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths
from pipeline.run import UNFINISHED, run_nightly
from pipeline.workspace import Workspace

from .crash import ChainResult, copy_config, kill_chain, run_cli
from .lakecheck import siem_lines, snapshot

SEED = int(os.environ.get("AGENTAUDIT_CRASH_SEED", "20261127"))


def _report(label: str, chains: list[ChainResult]) -> str:
    kills = sum(c.kills for c in chains)
    survived = sum(c.survived for c in chains)
    bad = [p for c in chains for p in c.problems + c.differences]
    temp = sum(c.temp_files_left for c in chains)
    line = (
        f"[crash] {label}: {kills} SIGKILL trials in {len(chains)} chain(s), {survived} survived "
        f"(lake equal to one clean run), {temp} hidden temporary file(s) left behind"
    )
    print(line + ("".join(f"\n  - {b}" for b in bad[:20]) if bad else ""))
    return line


def test_ingest_killed_at_random_moments(few_files: Path, tmp_path: Path) -> None:
    reference_ws = Workspace.at(tmp_path / "clean")
    t0 = time.perf_counter()
    ingest_paths(reference_ws, [few_files])
    clean_seconds = time.perf_counter() - t0
    reference = snapshot(reference_ws)
    assert reference.rows > 0 and not reference.problems()

    ws = Workspace.at(tmp_path / "killed")
    rng = random.Random(SEED)
    chain = kill_chain(
        ["ingest", "-w", str(ws.root), str(few_files)],
        ws,
        reference,
        rng,
        delays=(0.8, 1.5 + clean_seconds),
        max_kills=3,
    )
    _report("ingest (fast)", [chain])
    assert not chain.problems and not chain.differences
    assert chain.kills + chain.finished_early >= 1


def test_run_killed_during_detect_finishes_the_work_next_time(samples_dir: Path, tmp_path) -> None:
    """A run that ingested new rows and died in detect after judging its first day: the next run
    has nothing new to ingest, yet must judge the rest, write the report, and put every judged
    day's findings in the SIEM file, exactly as one clean run does. Both were bugs found by the
    long kill trials (the work was skipped as "nothing new"; then only the last day was exported).
    """
    ws = Workspace.at(tmp_path / "ws")
    ws.root.mkdir()
    script = textwrap.dedent(
        """
        import os, signal, sys
        import detectors.store
        from pipeline.run import run_nightly
        from pipeline.workspace import Workspace
        real, calls = detectors.store.write_day, []
        def write_then_die(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        detectors.store.write_day = write_then_die
        run_nightly(Workspace.at(sys.argv[1]), [sys.argv[2]])
        """
    )
    died = subprocess.run(
        [sys.executable, "-c", script, str(ws.root), str(samples_dir)], check=False, timeout=600
    )
    assert died.returncode == -9
    before = snapshot(ws)
    assert before.rows > 0 and len(list(ws.table_dir("findings").glob("date=*/*.parquet"))) == 1
    assert (ws.lake / "_runs" / UNFINISHED).exists() and not list(ws.siem.glob("*.jsonl"))

    summary = run_nightly(ws, [str(samples_dir)])
    assert summary.resumed and summary.changed and summary.rows_written == 0
    assert not (ws.lake / "_runs" / UNFINISHED).exists()
    clean = Workspace.at(tmp_path / "clean")
    reference = run_nightly(clean, [str(samples_dir)])
    after = snapshot(ws)
    assert not after.problems() and after.findings == snapshot(clean).findings
    assert set(summary.days_judged) <= set(reference.days_judged)
    uids = sorted(line["finding_info"]["uid"] for line in siem_lines(ws))
    assert uids and uids == sorted(line["finding_info"]["uid"] for line in siem_lines(clean))
    again = run_nightly(ws, [str(samples_dir)])
    assert not again.changed and not again.resumed
    assert snapshot(ws).findings == after.findings


@pytest.mark.slow
def test_ingest_and_run_survive_fifty_kills(small_tenant: Path, tmp_path: Path) -> None:
    inputs = str(small_tenant / "input")
    files = sum(1 for p in (small_tenant / "input").rglob("*") if p.is_file())
    trials = int(os.environ.get("AGENTAUDIT_CRASH_TRIALS", "60"))
    rng = random.Random(SEED)

    clean = Workspace.at(tmp_path / "clean")
    copy_config(small_tenant, clean)
    t0 = time.perf_counter()
    done = run_cli(["run", "-w", str(clean.root), "--input", inputs, "--no-progress"])
    run_seconds = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr
    reference = snapshot(clean)
    assert reference.rows > 0 and reference.findings and not reference.problems()
    assert len(siem_lines(clean)) == len(reference.findings)
    print(f"[crash] clean run over {files} files: {reference.rows} rows, {run_seconds:.0f} s")

    # ingest alone, then the nightly run (ingest, baseline, detect, report, export)
    ingest_ref = Workspace.at(tmp_path / "clean-ingest")
    ingest_paths(ingest_ref, [inputs])
    ingest_reference = snapshot(ingest_ref)
    chains: list[tuple[str, ChainResult]] = []
    ingest_trials = trials // 2
    n = 0
    while sum(c.kills for label, c in chains if label == "ingest") < ingest_trials:
        ws = Workspace.at(tmp_path / f"ingest-{n}")
        left = ingest_trials - sum(c.kills for label, c in chains if label == "ingest")
        chain = kill_chain(
            ["ingest", "-w", str(ws.root), inputs],
            ws,
            ingest_reference,
            rng,
            delays=(1.0, 6.0),
            max_kills=min(left, 15),
        )
        chains.append(("ingest", chain))
        n += 1
    n = 0
    while sum(c.kills for label, c in chains if label == "run") < trials - ingest_trials:
        ws = Workspace.at(tmp_path / f"run-{n}")
        copy_config(small_tenant, ws)
        left = trials - ingest_trials - sum(c.kills for label, c in chains if label == "run")
        chain = kill_chain(
            ["run", "-w", str(ws.root), "--input", inputs, "--no-progress"],
            ws,
            reference,
            rng,
            delays=(1.0, max(4.0, run_seconds / 4)),
            max_kills=min(left, 10),
            check_siem=True,
        )
        chains.append(("run", chain))
        n += 1
    _report("ingest (long)", [c for label, c in chains if label == "ingest"])
    _report("run (long)", [c for label, c in chains if label == "run"])
    total = sum(c.kills for _label, c in chains)
    survived = sum(c.survived for _label, c in chains)
    print(f"[crash] TOTAL: {total} SIGKILL trials over {files} files, {survived} survived")
    assert all(not c.problems and not c.differences for _label, c in chains)
    assert total >= 50


def test_baseline_killed_between_its_two_rollups(samples_dir: Path, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    ingest_paths(ws, [samples_dir])
    script = textwrap.dedent(
        """
        import os, signal, sys
        import pipeline.baselines.rollup as b
        from pipeline.workspace import Workspace
        real = b._write
        def write(ws, name, *args, **kwargs):
            if name == "identity_day_values":
                os.kill(os.getpid(), signal.SIGKILL)
            return real(ws, name, *args, **kwargs)
        b._write = write
        b.update(Workspace.at(sys.argv[1]))
        """
    )
    died = subprocess.run([sys.executable, "-c", script, str(ws.root)], check=False, timeout=600)
    assert died.returncode == -9
    from pipeline import baselines
    from pipeline.catalog import rollup_dir

    baselines.update(ws)
    rolled = {p.parent.name for p in rollup_dir(ws, "identity_day").glob("date=*/*.parquet")}
    values = {p.parent.name for p in rollup_dir(ws, "identity_day_values").glob("date=*/*.parquet")}
    assert rolled and rolled == values


def test_ingest_killed_between_commit_and_manifest(samples_dir: Path, tmp_path: Path) -> None:
    """Found here, fixed by the ingest's author (253deaa): killed after its Parquet was renamed
    into place but before the manifest recorded the file, the next ingest wrote the file's
    quarantine rows a second time."""
    source = samples_dir / "azure-monitor-storage" / "sign_in_logs.json"
    lines = [ln for ln in source.read_text().splitlines() if ln.strip()]
    path = tmp_path / "in" / "mixed.json"
    path.parent.mkdir()
    path.write_text("\n".join([lines[0], "{broken json", lines[1], "not json at all"]) + "\n")
    ws = Workspace.at(tmp_path / "ws")
    script = textwrap.dedent(
        """
        import os, signal, sys
        import pipeline.ingest.manifest as m
        from pipeline.ingest import ingest_paths
        from pipeline.workspace import Workspace
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        m.record_file = die
        ingest_paths(Workspace.at(sys.argv[1]), [sys.argv[2]])
        """
    )
    died = subprocess.run(
        [sys.executable, "-c", script, str(ws.root), str(path)], check=False, timeout=600
    )
    assert died.returncode == -9
    ingest_paths(ws, [path])
    clean = Workspace.at(tmp_path / "clean")
    ingest_paths(clean, [path])
    snap = snapshot(ws)
    assert not snap.problems(), snap.problems()
    assert snap.events == snapshot(clean).events
