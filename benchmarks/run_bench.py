"""Benchmark: the whole nightly run over one new day of 1,000,000 events with 30 days of history.

Target (issue 6): under 3 minutes on this machine with peak memory under 2 GB; prints each
stage's time.

Setup (not measured): 30 days of history are written straight into the lake with the vectorised
traffic of benchmarks/baseline_bench.py and rolled up; the new day is the same traffic for the next
day, rendered as Azure Monitor storage files (``insights-logs-*/…/h=HH/m=00/PT1H.json``).
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


def new_day_input(folder: Path, day: date, events: int, identities: int, seed: int) -> list[str]:
    """The new day as Azure Monitor storage files (``insights-logs-<category>/…/PT1H.json``):
    the same vectorised traffic as the history, rendered as the JSON records Entra writes, one
    file per category and hour, so the run ingests real export shapes."""
    import polars as pl

    scratch = Workspace.at(folder / "scratch")
    make_day(scratch, day, events, identities, seed)
    signins = pl.read_parquet(scratch.table_dir("signins") / f"date={day}" / "*.parquet")
    activity = pl.read_parquet(scratch.table_dir("activity") / f"date={day}" / "*.parquet")
    iso = pl.col("event_time").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    envelope = {
        "time": iso,
        "resourceId": pl.lit("/tenants/tenant-1/providers/Microsoft.aadiam"),
        "tenantId": pl.col("tenant_id"),
        "Level": pl.lit(4),
    }
    sign = signins.select(
        hour=pl.col("event_time").dt.hour(),
        category=pl.when(pl.col("log_type") == "service_principal")
        .then(pl.lit("ServicePrincipalSignInLogs"))
        .otherwise(pl.lit("NonInteractiveUserSignInLogs")),
        record=pl.struct(
            **envelope,
            operationName=pl.lit("Sign-in activity"),
            category=pl.when(pl.col("log_type") == "service_principal")
            .then(pl.lit("ServicePrincipalSignInLogs"))
            .otherwise(pl.lit("NonInteractiveUserSignInLogs")),
            resultType=pl.when(pl.col("succeeded")).then(pl.lit("0")).otherwise(pl.lit("50126")),
            properties=pl.struct(
                id=pl.col("event_id"),
                createdDateTime=iso,
                userId=pl.col("user_id"),
                appId=pl.col("app_id"),
                servicePrincipalId=pl.col("service_principal_id"),
                ipAddress=pl.col("ip_address"),
                autonomousSystemNumber=pl.col("autonomous_system_number"),
                location=pl.struct(countryOrRegion=pl.col("country")),
                status=pl.struct(errorCode=pl.when(pl.col("succeeded")).then(0).otherwise(50126)),
                resourceDisplayName=pl.col("resource_display_name"),
                userAgent=pl.col("user_agent"),
                servicePrincipalCredentialKeyId=pl.col("credential_key_id"),
                agent=pl.struct(agentType=pl.col("agent_type")),
            ),
        ),
    )
    act = activity.select(
        hour=pl.col("event_time").dt.hour(),
        category=pl.lit("MicrosoftGraphActivityLogs"),
        record=pl.struct(
            **envelope,
            operationName=pl.lit("Microsoft Graph Activity"),
            category=pl.lit("MicrosoftGraphActivityLogs"),
            properties=pl.struct(
                requestId=pl.col("event_id"),
                operationId=pl.col("event_id"),
                timeGenerated=iso,
                appId=pl.col("app_id"),
                servicePrincipalId=pl.col("service_principal_id"),
                userId=pl.col("user_id"),
                requestMethod=pl.col("operation"),
                requestUri=pl.lit("https://graph.microsoft.com/v1.0") + pl.col("resource_path"),
                responseStatusCode=pl.col("status_code"),
                responseSizeBytes=pl.col("response_size_bytes"),
                ipAddress=pl.col("ip_address"),
                userAgent=pl.col("user_agent"),
                roles=pl.when(pl.col("token_type") == "app").then(pl.lit("User.Read.All")),
                scopes=pl.when(pl.col("token_type") == "delegated").then(pl.lit("User.Read")),
            ),
        ),
    )
    stamp = f"y={day.year}/m={day.month:02d}/d={day.day:02d}"
    roots: set[str] = set()
    for frame in (sign, act):
        for (category, hour), part in frame.group_by(["category", "hour"]):
            root = folder / "input" / f"insights-logs-{category.lower()}" / "tenantId=tenant-1"
            target = root / stamp / f"h={hour:02d}" / "m=00" / "PT1H.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            part.select(pl.col("record").struct.unnest()).write_ndjson(target)
            roots.add(str(root / stamp))
    return sorted(roots)


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
    # the history's nights already ran: their days are judged (empty findings files), so the
    # measured run judges only the new day, as a real night does
    from detectors.store import write_day

    for i in range(args.days):
        write_day(ws, str(FIRST + timedelta(days=i)), [])
    print(f"history: {args.days} days x {args.events:,} events in {time.perf_counter() - t0:.0f}s")
    t0 = time.perf_counter()
    inputs = new_day_input(root / "new-day", new_day, args.events, args.identities, args.days)
    size = sum(f.stat().st_size for p in inputs for f in Path(p).rglob("*") if f.is_file())
    print(
        f"new day {new_day}: {len(inputs)} category folders, {size / 1e9:.2f} GB of storage JSON, "
        f"rendered in {time.perf_counter() - t0:.0f}s"
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
