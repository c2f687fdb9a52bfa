"""``generate_tenant``: the synthetic tenant, written day by day as a ready workspace."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.errors import AgentAuditError, UsageError
from pipeline.generate.cast import build_tenant
from pipeline.generate.m365 import m365_from_graph
from pipeline.generate.records import audit_json, graph_json, m365_records, signin_json
from pipeline.generate.registry_file import registry_toml
from pipeline.generate.shapes import FORMATS, Writer
from pipeline.generate.story import MIN_DAYS, build_plan, day_rows
from pipeline.generate.summary import GenerateSummary
from pipeline.generate.traffic import normal_day
from pipeline.workspace import CONFIG_NAME

DEFAULT_END = date(2026, 11, 20)  # fixed, so that a seed always gives the same files
DEFAULT_AGENTS = 24
DEFAULT_HUMANS = 60


def generate_tenant(
    out_dir: str | Path,
    days: int = 14,
    agents: int = DEFAULT_AGENTS,
    humans: int = DEFAULT_HUMANS,
    fmt: str = "storage",
    seed: int = 7,
    corrupt: float = 0.0,
    end_date: date | None = None,
    *,
    scale: float = 1.0,
    gzip_files: bool = False,
    overwrite: bool = False,
    progress=None,
) -> GenerateSummary:
    """Write a synthetic tenant into ``out_dir`` (a workspace: input/, agentaudit.toml,
    labels.json). Memory stays flat in ``days``: each day is generated, written and dropped.

    ``progress``: optional callable(day_index, days) for progress bars.
    """
    t0 = time.perf_counter()
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if days < MIN_DAYS:
        raise UsageError(f"--days {days}: incidents need a week of history; use --days >= 7")
    if not 0.0 <= corrupt < 1.0:
        raise UsageError(f"--corrupt {corrupt}: a rate between 0 and 1 (e.g. 0.01)")
    out = Path(out_dir)
    input_dir = out / "input"
    if input_dir.exists() and any(input_dir.iterdir()):
        if not overwrite:
            raise AgentAuditError(
                f"{input_dir}: already holds files; choose an empty folder or pass --overwrite"
            )
        shutil.rmtree(input_dir)
    try:
        input_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AgentAuditError(f"{out}: cannot create the tenant folder ({exc.strerror})") from exc

    end = end_date or DEFAULT_END
    start = end - timedelta(days=days - 1)
    if scale <= 0:
        raise UsageError(f"--scale {scale}: a positive factor (1.0 = normal volume)")
    tenant = build_tenant(seed, days, agents, humans, scale=scale)
    plan = build_plan(tenant, start, days, seed)
    writer = Writer(
        input_dir, fmt, tenant.tenant_id, gzip_files=gzip_files, corrupt=corrupt, seed=seed
    )
    counts = {"signins": 0, "audits": 0, "activity": 0}
    watched: dict[str, list[str]] = {w.label: [] for w in plan.watches}
    for d in range(days):
        day = start + timedelta(days=d)
        rng = np.random.default_rng([seed, d, 0xDA7])
        signins, graph = normal_day(tenant, d, day, rng)
        signins = pl.concat([signins, day_rows(plan, "signin", d)])
        graph = pl.concat([graph, day_rows(plan, "graph", d)])
        if d == days - 1:  # calls made after midnight of the last day fall outside the period
            graph = graph.filter(
                pl.col("time") < pl.lit(end + timedelta(days=1)).cast(pl.Datetime("us"))
            )
        audits = day_rows(plan, "audit", d)
        for w in plan.watches:
            if w.first_day <= d <= w.last_day:
                watched[w.label].extend(signins.filter(pl.col(w.column) == w.value)["id"].to_list())
        eventhub = writer.shape_of(d) == "eventhub"
        records = pl.concat(
            [
                signin_json(signins, tenant.tenant_id, eventhub=eventhub),
                graph_json(graph, tenant.tenant_id, eventhub=eventhub),
                audit_json(audits, tenant.tenant_id),
            ]
        )
        writer.write(d, day, records)
        m365 = m365_from_graph(tenant, graph, rng)
        writer.write_m365(day, m365_records(m365, tenant.tenant_id))
        counts["signins"] += len(signins)
        counts["audits"] += len(audits)
        counts["activity"] += len(graph) + len(m365)
        if progress:
            progress(d + 1, days)
        del signins, graph, audits, records, m365

    for label in plan.incidents:
        extra = watched.get(label["id"])
        if extra:
            label["evidence_event_ids"] = extra + label["evidence_event_ids"]
    labels = {
        "tenant_id": tenant.tenant_id,
        "seed": seed,
        "start": f"{start.isoformat()}T00:00:00Z",
        "end": f"{end.isoformat()}T23:59:59Z",
        "format": fmt,
        "incidents": plan.incidents,
        "benign": plan.benign,
        "skipped": plan.skipped,
    }
    labels_path = out / "labels.json"
    labels_path.write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    config_path = out / CONFIG_NAME
    config_path.write_text(registry_toml(tenant), encoding="utf-8")
    return GenerateSummary(
        out_dir=str(out),
        tenant_id=tenant.tenant_id,
        format=fmt,
        seed=seed,
        days=days,
        start=start.isoformat(),
        end=end.isoformat(),
        events=counts,
        files=len(writer.files),
        incidents=len(plan.incidents),
        benign=len(plan.benign),
        corrupt_lines=writer.corrupt_lines,
        skipped=plan.skipped,
        input_dir=str(input_dir),
        labels_path=str(labels_path),
        config_path=str(config_path),
        seconds=round(time.perf_counter() - t0, 2),
    )
