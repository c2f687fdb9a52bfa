"""Run every benchmark under benchmarks/ in turn (each prints its own figures).

Usage: python benchmarks/run_all.py [NAME ...]   e.g. `ingest generate` to run a subset.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("*_bench.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removesuffix("_bench") in names]
    failed = 0
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        failed += subprocess.call([sys.executable, str(script)]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
