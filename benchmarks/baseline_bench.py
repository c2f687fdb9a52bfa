"""Benchmark: rollups and baselines over a large lake (issue 4's performance target).

Builds a synthetic lake of ``--days`` days x ``--events`` events a day (sign-ins and Graph
activity in the canonical schemas, vectorised with numpy / Arrow), then measures, each in a
fresh process so that peak memory is the phase's own:

* ``rebuild``: every day rolled up from the raw lake (``baselines.update(rebuild=True)``);
* ``nightly``: one new day lands; roll it up and build the baselines from the rollups
  (``baselines.update`` + ``set_history`` + reading every history view).

Target: nightly under 60 s with peak memory under 2 GB for 30 days x 1,000,000 events a day.

    .venv/bin/python benchmarks/baseline_bench.py --days 30 --events 1000000 --dir /tmp/aa-bench
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.lake import write_parquet_atomic
from pipeline.schema import TABLES
from pipeline.workspace import Workspace

PATHS = [
    "/users/{id}",
    "/users",
    "/users/{id}/messages",
    "/users/{id}/messages/{id}",
    "/users/{id}/manager",
    "/groups",
    "/groups/{id}/members",
    "/sites/{id}/drive/items/{id}",
    "/drives/{id}/items/{id}/content",
    "/me",
    "/subscribedskus",
    "/auditlogs/signins",
    "/applications/{id}",
    "/servicePrincipals/{id}",
    "/devices",
    "/organization/{id}",
    "/$batch",
] + [f"/solutions/app{i}/items/{{id}}" for i in range(200)]
RESOURCES = ["Microsoft Graph", "Office 365 Exchange Online", "Azure Key Vault", "Azure Storage"]
COUNTRIES = ["US", "IE", "GB", "DE", "FR", "NL", "IN", "JP"]


def _pick(rng: np.random.Generator, pool: list[str], n: int, p=None) -> pa.Array:
    idx = rng.choice(len(pool), size=n, p=p)
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(pool)).cast(
        pa.string()
    )


def _table(name: str, n: int, cols: dict[str, pa.Array]) -> pa.Table:
    schema = TABLES[name]
    arrays = [cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _near(rng: np.random.Generator, who: np.ndarray, pool: list[str], spread: int, stress: bool):
    """Each identity's own few values (``spread`` of them), or any value with ``stress``."""
    if stress:
        return _pick(rng, pool, len(who))
    idx = (who * 7 + rng.integers(0, spread, len(who))) % len(pool)
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(pool)).cast(
        pa.string()
    )


def make_day(
    ws: Workspace, day: date, events: int, identities: int, seed: int, stress: bool = False
) -> None:
    rng = np.random.default_rng(seed)
    n_sign = events // 8
    n_act = events - n_sign
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1_000_000)
    agents = [f"sp-{i:05d}" for i in range(identities // 2)]
    apps = [f"app-{i:05d}" for i in range(identities // 2)]
    people = [f"user-{i:05d}" for i in range(identities - identities // 2)]
    ips = [f"10.{i // 250}.{i % 250}.{(i * 7) % 250}" for i in range(identities * 2)]
    uas = [f"agent-sdk/{i % 40}.{i % 7}" for i in range(200)]

    # sign-ins: half service principals / agents, half people
    who = rng.integers(0, len(agents), n_sign)
    is_sp = rng.random(n_sign) < 0.5
    agent_type = np.where(rng.random(n_sign) < 0.5, "agenticAppInstance", None)
    sp_ids = np.array(agents, dtype=object)[who]
    ts = np.sort(rng.integers(start, start + 86_400_000_000, n_sign))
    signins = _table(
        "signins",
        n_sign,
        {
            "event_id": pa.array([f"s-{day}-{i}" for i in range(n_sign)]),
            "event_time": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "tenant_id": pa.array(["tenant-1"] * n_sign),
            "log_type": pa.array(np.where(is_sp, "service_principal", "non_interactive")),
            "service_principal_id": pa.array(np.where(is_sp, sp_ids, None), pa.string()),
            "app_id": pa.array(np.array(apps, dtype=object)[who]),
            "user_id": pa.array(
                np.where(is_sp, None, np.array(people, dtype=object)[who % len(people)]),
                pa.string(),
            ),
            "agent_type": pa.array(np.where(is_sp, agent_type, None), pa.string()),
            "resource_display_name": _pick(rng, RESOURCES, n_sign, [0.85, 0.1, 0.03, 0.02]),
            "ip_address": _near(rng, who, ips, 3, stress),
            "autonomous_system_number": pa.array(1000 + (who % 100) + rng.integers(0, 2, n_sign)),
            "country": _pick(
                rng, COUNTRIES, n_sign, [0.6, 0.2, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01]
            ),
            "user_agent": _near(rng, who, uas, 2, stress),
            "succeeded": pa.array(rng.random(n_sign) > 0.02),
            "credential_key_id": pa.array(np.where(is_sp, sp_ids, None), pa.string()),
        },
    )
    # activity: Graph calls by the same apps, a third delegated (people or OBO)
    who = rng.integers(0, len(agents), n_act)
    delegated = rng.random(n_act) < 0.33
    ts = np.sort(rng.integers(start, start + 86_400_000_000, n_act))
    activity = _table(
        "activity",
        n_act,
        {
            "event_id": pa.array([f"a-{day}-{i}" for i in range(n_act)]),
            "event_time": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "tenant_id": pa.array(["tenant-1"] * n_act),
            "source_log": pa.array(["graph"] * n_act),
            "app_id": pa.array(np.array(apps, dtype=object)[who]),
            "service_principal_id": pa.array(np.array(agents, dtype=object)[who]),
            "user_id": pa.array(
                np.where(delegated, np.array(people, dtype=object)[who % len(people)], None),
                pa.string(),
            ),
            "token_type": pa.array(np.where(delegated, "delegated", "app")),
            "operation": _pick(rng, ["GET", "POST", "PATCH"], n_act, [0.9, 0.08, 0.02]),
            "resource_path": _near(rng, who, PATHS, 25, stress),
            "status_code": pa.array(np.where(rng.random(n_act) < 0.03, 403, 200)),
            "response_size_bytes": pa.array(rng.integers(100, 50_000, n_act)),
            "ip_address": _near(rng, who, ips, 3, stress),
            "user_agent": _near(rng, who, uas, 2, stress),
        },
    )
    for name, table in (("signins", signins), ("activity", activity)):
        path = ws.table_dir(name) / f"date={day}" / "bench.parquet"
        write_parquet_atomic(table, path)


def phase(ws_dir: str, name: str, day: str) -> dict:
    """Run in a child process: one measured phase."""
    from pipeline import baselines, catalog

    t0 = time.perf_counter()
    if name == "rebuild":
        summary = baselines.update(ws_dir, rebuild=True)
    else:
        summary = baselines.update(ws_dir)
    t_rollup = time.perf_counter() - t0
    con = catalog.connect(ws_dir)
    baselines.set_history(con, day)
    counts = {}
    for view in baselines.HISTORY_VIEWS:
        counts[view] = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]  # noqa: S608
    con.close()
    return {
        "phase": name,
        "days_rolled_up": len(summary.days_rolled_up),
        "events_rolled_up": summary.events,
        "rollup_seconds": round(t_rollup, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "history_rows": counts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--events", type=int, default=1_000_000, help="events a day")
    ap.add_argument("--identities", type=int, default=2000)
    ap.add_argument("--dir", default="bench-workspace", help="workspace folder (recreated)")
    ap.add_argument(
        "--stress",
        action="store_true",
        help="every event picks any IP / user agent / path (far more distinct values than real)",
    )
    ap.add_argument(
        "--reuse", action="store_true", help="keep the lake built by an earlier run of --dir"
    )
    ap.add_argument("--phase", choices=["rebuild", "nightly"], help=argparse.SUPPRESS)
    ap.add_argument("--day", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.dir, args.phase, args.day)))
        return
    root = Path(args.dir)
    ws = Workspace.at(root)
    first = date(2026, 1, 1)
    if args.reuse:
        last = first + timedelta(days=args.days - 1)
        shutil.rmtree(ws.lake / "rollups", ignore_errors=True)
        for table in ("signins", "activity"):
            shutil.rmtree(ws.table_dir(table) / f"date={last + timedelta(days=1)}", True)
    else:
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.perf_counter()
        for i in range(args.days):
            make_day(ws, first + timedelta(days=i), args.events, args.identities, i, args.stress)
        print(f"built {args.days} days x {args.events:,} events in {time.perf_counter() - t0:.0f}s")

    def child(name: str, day: date) -> dict:
        out = subprocess.run(
            [sys.executable, __file__, "--dir", str(root), "--phase", name, "--day", str(day)],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    last = first + timedelta(days=args.days - 1)
    print(json.dumps(child("rebuild", last + timedelta(days=1))))
    new_day = last + timedelta(days=1)
    make_day(ws, new_day, args.events, args.identities, args.days, args.stress)
    print(json.dumps(child("nightly", new_day)))


if __name__ == "__main__":
    main()
