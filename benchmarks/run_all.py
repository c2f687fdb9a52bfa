"""Run every benchmark under benchmarks/ in turn (each prints its own figures).

Usage: python benchmarks/run_all.py [--events SIZES] [NAME ...]   e.g. `ingest generate` to run a
subset; ``--events 1000000,3000000,10000000`` gives the nightly-run benchmark (run_bench.py) its
day sizes (default: its own, one day of 1M events).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", help="run_bench.py's day sizes, e.g. 1000000,3000000,10000000")
    ap.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = ap.parse_args(argv)
    scripts = sorted(HERE.glob("*_bench.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem.removesuffix("_bench") in args.names]
    failed = 0
    for script in scripts:
        extra = ["--events", args.events] if args.events and script.stem == "run_bench" else []
        print(f"=== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        failed += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
