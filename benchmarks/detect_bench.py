"""Benchmark: detection over one day of 1,000,000 events with 30 days of baselines (issue 5).

Builds a lake of ``--days`` history days x ``--events`` events a day with the same vectorised
synthetic traffic as benchmarks/baseline_bench.py (sign-ins and Graph activity in the canonical
schemas), declares part of the service principals as registered agents (allowed resources,
clearances and daily limits, so the registry rules have work to do), rolls the history up, then
lands one more day and measures, in a fresh process so that peak memory is the phase's own,
``detectors.engine.detect`` for that day: the nightly rollup of the new day, every rule and the
isolation forest, scoring, suppressions and the findings write.

Target: under 60 s with peak memory under 2 GB for 1,000,000 events and 30 days of history.

    .venv/bin/python benchmarks/detect_bench.py --days 30 --events 1000000 --dir /tmp/aa-detect
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

from pipeline.workspace import Workspace  # noqa: E402

FIRST = date(2026, 1, 1)


def registry(identities: int, agents: int) -> str:
    """agentaudit.toml declaring ``agents`` of the benchmark's service principals."""
    out = ['[workspace]\nlake = "lake"\n']
    for i in range(min(agents, identities // 2)):
        allowed = '["Microsoft Graph", "graph:/users/*", "graph:/groups/**", "graph:/sites/**"]'
        out.append(
            f'[[agents]]\nid = "sp-{i:05d}"\napp_id = "app-{i:05d}"\nname = "Bench agent {i}"\n'
            f'kind = "agent_identity"\nallowed_resources = {allowed}\n'
            f'pii_clearance = ["pii"]\ndaily_request_limit = {200 + 40 * (i % 10)}\n'
        )
    return "\n".join(out)


def phase(ws_dir: str, name: str, day: str) -> dict:
    """Run in a child process: one measured phase."""
    from detectors.engine import detect
    from pipeline import baselines

    t0 = time.perf_counter()
    if name == "prepare":
        summary = baselines.update(ws_dir, rebuild=True)
        return {
            "phase": name,
            "days_rolled_up": len(summary.days_rolled_up),
            "seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    result = detect(ws_dir, days=[date.fromisoformat(day)], run_id="bench")
    return {
        "phase": name,
        "day": day,
        "findings": result.findings,
        "by_severity": result.by_severity,
        "errors": result.errors,
        "seconds": round(time.perf_counter() - t0, 1),
        "rule_seconds": {k: round(v, 2) for k, v in sorted(result.rule_seconds.items())},
        "stage_seconds": {k: round(v, 2) for k, v in result.stage_seconds.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=30, help="days of history before the judged day")
    ap.add_argument("--events", type=int, default=1_000_000, help="events a day")
    ap.add_argument("--identities", type=int, default=2000)
    ap.add_argument("--agents", type=int, default=200, help="registered agents")
    ap.add_argument("--dir", default="bench-detect", help="workspace folder (recreated)")
    ap.add_argument("--reuse", action="store_true", help="keep an already built --dir")
    ap.add_argument("--phase", choices=["prepare", "detect"], help=argparse.SUPPRESS)
    ap.add_argument("--day", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.dir, args.phase, args.day)))
        return
    root = Path(args.dir)
    ws = Workspace.at(root)
    judged = FIRST + timedelta(days=args.days)

    def child(name: str) -> dict:
        out = subprocess.run(
            [sys.executable, __file__, "--dir", str(root), "--phase", name, "--day", str(judged)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    if not (args.reuse and root.is_dir()):
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        ws.config_file.write_text(registry(args.identities, args.agents), encoding="utf-8")
        t0 = time.perf_counter()
        for i in range(args.days):
            make_day(ws, FIRST + timedelta(days=i), args.events, args.identities, i)
        print(f"built {args.days} days x {args.events:,} events in {time.perf_counter() - t0:.0f}s")
        print(json.dumps(child("prepare")))
        make_day(ws, judged, args.events, args.identities, args.days)
    shutil.rmtree(ws.table_dir("findings"), ignore_errors=True)
    for rollup in (ws.lake / "rollups").glob(f"*/date={judged}"):
        shutil.rmtree(rollup)  # a rerun rolls the judged day up again, as the night would
    result = child("detect")
    print(json.dumps(result))
    ok = result["seconds"] < 60 and result["peak_rss_mb"] < 2048 and not result["errors"]
    print(
        f"detect over {args.events:,} events with {args.days} days of baselines: "
        f"{result['seconds']} s, peak {result['peak_rss_mb']} MB -> "
        f"{'within' if ok else 'OVER'} the 60 s / 2 GB target"
    )


if __name__ == "__main__":
    main()
