"""Benchmark: the whole nightly run over one new day of 1,000,000 events with 30 days of history.

Target (issue 6): under 3 minutes on this machine with peak memory under 2 GB; prints each
stage's time.

Setup (not measured): 30 days of history are written straight into the lake with the vectorised
traffic of benchmarks/baseline_bench.py and rolled up; the new day comes from the generator as real
Azure Monitor storage files (``insights-logs-*/…/PT1H.json``): a tenant is generated whose last day
holds about ``--events`` events, and only that day's folders are handed to the run.
The new day's identities are strangers to the history, so every rule has work to do.
Measured, in a fresh process: ``agentaudit run --input <that day>`` — ingest, baseline, detect,
report, export.

    .venv/bin/python benchmarks/run_bench.py --events 1000000 --days 30 --dir /tmp/aa-run
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_bench import make_day  # noqa: E402
from detect_bench import registry  # noqa: E402

from pipeline.workspace import Workspace  # noqa: E402

FIRST = date(2026, 1, 1)
#: generated events per person and per agent a day are about 37 (measured on the generator)
EVENTS_PER_IDENTITY = 37


def measure(ws_dir: str, inputs: list[str]) -> dict:
    """In a child process: one nightly run, with each stage's time and the peak memory."""
    from pipeline.run import run_nightly

    t0 = time.perf_counter()
    summary = run_nightly(Workspace.at(ws_dir), inputs)
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "stages": {s.name: s.seconds for s in summary.stages},
        "rows_read": summary.rows_read,
        "rows_written": summary.rows_written,
        "findings": summary.findings_by_severity,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def new_day_input(folder: Path, day: date, events: int) -> list[str]:
    """Generate storage files whose last day is ``day`` with about ``events`` events."""
    from pipeline.generate import generate_tenant

    identities = max(60, events // EVENTS_PER_IDENTITY)
    agents = max(24, identities // 10)
    generate_tenant(folder, days=7, humans=identities - agents, agents=agents, seed=1, end_date=day)
    stamp = f"y={day.year}/m={day.month:02d}/d={day.day:02d}"
    return sorted(str(p) for p in (folder / "input").glob(f"insights-logs-*/*/{stamp}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=30, help="days of history before the new day")
    ap.add_argument("--events", type=int, default=1_000_000, help="events a day")
    ap.add_argument("--identities", type=int, default=2000)
    ap.add_argument("--agents", type=int, default=200, help="registered agents in the history")
    ap.add_argument("--dir", default="bench-run", help="working folder (recreated)")
    ap.add_argument("--measure", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    root = Path(args.dir)
    ws_dir = root / "workspace"
    if args.measure is not None:
        print(json.dumps(measure(str(ws_dir), args.measure)))
        return
    new_day = FIRST + timedelta(days=args.days)
    shutil.rmtree(root, ignore_errors=True)
    ws = Workspace.at(ws_dir)
    ws_dir.mkdir(parents=True)
    ws.config_file.write_text(registry(args.identities, args.agents), encoding="utf-8")
    t0 = time.perf_counter()
    for i in range(args.days):
        make_day(ws, FIRST + timedelta(days=i), args.events, args.identities, i)
    from pipeline import baselines

    baselines.update(ws)
    print(f"history: {args.days} days x {args.events:,} events in {time.perf_counter() - t0:.0f}s")
    t0 = time.perf_counter()
    inputs = new_day_input(root / "tenant", new_day, args.events)
    size = sum(f.stat().st_size for p in inputs for f in Path(p).rglob("*") if f.is_file())
    print(
        f"new day {new_day}: {len(inputs)} category folders, {size / 1e9:.2f} GB of storage JSON, "
        f"generated in {time.perf_counter() - t0:.0f}s"
    )
    out = subprocess.run(
        [sys.executable, __file__, "--dir", str(root), "--measure", *inputs],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result))
    for name, seconds in result["stages"].items():
        print(f"  {name:<9} {seconds:7.1f} s")
    ok = result["seconds"] < 180 and result["peak_rss_mb"] < 2048
    print(
        f"nightly run over {result['rows_read']:,} new events with {args.days} days of history: "
        f"{result['seconds']} s, peak {result['peak_rss_mb']} MB -> "
        f"{'within' if ok else 'OVER'} the 3 min / 2 GB target"
    )


if __name__ == "__main__":
    main()
