"""Benchmark the synthetic tenant generator: about 10 million events, timed, with peak memory.

Target (issue 3): 10M events in under 5 minutes, peak memory under 2 GB, on this machine.

Usage: python benchmarks/generate_bench.py [--days 30 --humans 12000 --agents 1200
       --format storage --workers 1 --keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pipeline.generate import generate_tenant


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--humans", type=int, default=12_000)
    ap.add_argument("--agents", type=int, default=1_200)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--format", default="storage")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--keep", help="write here and keep the files (default: a temp folder)")
    args = ap.parse_args(argv)
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="agentaudit-genbench-"))
    cpu0 = os.times()
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 5 == 0 or done == total:
            print(
                f"  day {done}/{total}  {time.perf_counter() - t0:7.1f} s  "
                f"peak {_peak_mb():7.0f} MB",
                flush=True,
            )

    try:
        summary = generate_tenant(
            out,
            days=args.days,
            agents=args.agents,
            humans=args.humans,
            scale=args.scale,
            fmt=args.format,
            workers=args.workers,
            gzip_files=args.gzip,
            overwrite=True,
            progress=progress,
        )
        wall = time.perf_counter() - t0
        cpu1 = os.times()
        cpu = (
            (cpu1.user - cpu0.user)
            + (cpu1.system - cpu0.system)
            + (cpu1.children_user - cpu0.children_user)
            + (cpu1.children_system - cpu0.children_system)
        )
        size = sum(f.stat().st_size for f in (out / "input").rglob("*") if f.is_file())
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    events = summary.total_events
    peak = _peak_mb()
    print(summary.line())
    print(f"events:      {events:,}")
    print(f"wall time:   {wall:.1f} s   ({events / wall:,.0f} events/s)")
    print(f"cpu time:    {cpu:.1f} s   ({events / max(cpu, 1e-9):,.0f} events/cpu-s)")
    print(f"peak memory: {peak:,.0f} MB")
    print(f"output:      {size / 1e9:.2f} GB in {summary.files:,} files")
    ok = events >= 9_500_000 and wall < 300 and peak < 2048
    print(
        f"target 10M events < 300 s and < 2048 MB: {'met' if ok else 'NOT met'} "
        f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
