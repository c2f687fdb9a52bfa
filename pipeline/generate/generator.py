"""``generate_tenant``: the synthetic tenant, written day by day as a ready workspace.

Each day depends only on (seed, day): it is generated, rendered in slices, written to files that
belong to that day alone, and dropped, so memory stays flat in ``--days`` and two worker
processes can write different days at once with byte-identical results.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.errors import AgentAuditError, UsageError
from pipeline.generate.cast import Tenant, build_tenant
from pipeline.generate.m365 import m365_from_graph
from pipeline.generate.plan import Plan, day_rows
from pipeline.generate.records import audit_json, graph_json, m365_records, signin_json
from pipeline.generate.registry_file import registry_toml
from pipeline.generate.shapes import FORMATS, Writer
from pipeline.generate.story import MIN_DAYS, build_plan
from pipeline.generate.summary import GenerateSummary
from pipeline.generate.traffic import normal_day
from pipeline.workspace import CONFIG_NAME

DEFAULT_END = date(2026, 11, 20)  # fixed, so that a seed always gives the same files
DEFAULT_AGENTS = 24
DEFAULT_HUMANS = 60
SLICE = 50_000  # rows rendered to JSON at a time


@dataclass
class _Job:
    tenant: Tenant
    plan: Plan
    writer: Writer
    seed: int
    start: date
    days: int


@dataclass
class _DayResult:
    counts: dict[str, int]
    watched: dict[str, list[str]] = field(default_factory=dict)
    files: set[Path] = field(default_factory=set)
    corrupt_lines: int = 0


_JOB: _Job | None = None  # this process's job (set in the parent, or by _init in a worker)


def _init(args: dict) -> None:
    """Worker start-up: rebuild the (deterministic) tenant and plan from the arguments."""
    global _JOB
    tenant = build_tenant(
        args["seed"], args["days"], args["agents"], args["humans"], scale=args["scale"]
    )
    plan = build_plan(tenant, args["start"], args["days"], args["seed"])
    writer = Writer(
        args["input_dir"],
        args["fmt"],
        tenant.tenant_id,
        gzip_files=args["gzip_files"],
        corrupt=args["corrupt"],
        seed=args["seed"],
    )
    _JOB = _Job(tenant, plan, writer, args["seed"], args["start"], args["days"])


def _render_write(writer: Writer, d: int, day: date, frame: pl.DataFrame, render, **kw) -> None:
    for offset in range(0, len(frame), SLICE):
        writer.write(d, day, render(frame.slice(offset, SLICE), **kw))


def _day(d: int) -> _DayResult:
    job = _JOB
    assert job is not None
    tenant, plan, writer = job.tenant, job.plan, job.writer
    writer.files = set()
    writer.corrupt_lines = 0
    writer.start_day(d)
    day = job.start + timedelta(days=d)
    rng = np.random.default_rng([job.seed, d, 0xDA7])
    signins, graph = normal_day(tenant, d, day, rng)
    signins = pl.concat([signins, day_rows(plan, "signin", d)])
    graph = pl.concat([graph, day_rows(plan, "graph", d)])
    if d == job.days - 1:  # calls made after midnight of the last day fall outside the period
        end = pl.lit(day + timedelta(days=1)).cast(pl.Datetime("us"))
        graph = graph.filter(pl.col("time") < end)
    audits = day_rows(plan, "audit", d)
    result = _DayResult(counts={"signins": len(signins), "audits": len(audits)})
    for w in plan.watches:
        if w.first_day <= d <= w.last_day:
            ids = signins.filter(pl.col(w.column) == w.value)["id"].to_list()
            result.watched.setdefault(w.label, []).extend(ids)
    eventhub = writer.shape_of(d) == "eventhub"
    tid = tenant.tenant_id
    _render_write(writer, d, day, signins, signin_json, tenant_id=tid, eventhub=eventhub)
    _render_write(writer, d, day, graph, graph_json, tenant_id=tid, eventhub=eventhub)
    writer.write(d, day, audit_json(audits, tid, eventhub=eventhub))
    m365 = m365_records(m365_from_graph(tenant, graph, rng), tid)
    result.counts["activity"] = len(graph) + len(m365)
    if d % 2:  # every other day's mail reads as Sentinel keeps them: OfficeActivity rows
        mail = [r for r in m365 if r["Operation"] == "MailItemsAccessed"]
        writer.write_office_activity(d, day, mail)
        m365 = [r for r in m365 if r["Operation"] != "MailItemsAccessed"]
    writer.write_m365(day, m365)
    result.files = set(writer.files)
    result.corrupt_lines = writer.corrupt_lines
    return result


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
    workers: int | None = None,
    progress=None,
) -> GenerateSummary:
    """Write a synthetic tenant into ``out_dir`` (a workspace: input/, agentaudit.toml,
    labels.json) and return what was made.

    ``scale`` multiplies everyone's ordinary volume; ``workers`` > 1 writes days in parallel
    worker processes (same bytes as one process); ``progress``: optional
    callable(days_done, days) for progress bars.
    """
    global _JOB
    t0 = time.perf_counter()
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if days < MIN_DAYS:
        raise UsageError(f"--days {days}: incidents need a week of history; use --days >= 7")
    if not 0.0 <= corrupt < 1.0:
        raise UsageError(f"--corrupt {corrupt}: a rate between 0 and 1 (e.g. 0.01)")
    if scale <= 0:
        raise UsageError(f"--scale {scale}: a positive factor (1.0 = normal volume)")
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
    tenant = build_tenant(seed, days, agents, humans, scale=scale)
    plan = build_plan(tenant, start, days, seed)
    writer = Writer(
        input_dir, fmt, tenant.tenant_id, gzip_files=gzip_files, corrupt=corrupt, seed=seed
    )
    _JOB = _Job(tenant, plan, writer, seed, start, days)
    counts = {"signins": 0, "audits": 0, "activity": 0}
    watched: dict[str, list[str]] = {w.label: [] for w in plan.watches}
    files: set[Path] = set()
    corrupt_lines = 0
    workers = max(1, min(workers or 1, os.cpu_count() or 1))
    args = dict(
        seed=seed,
        days=days,
        agents=agents,
        humans=humans,
        scale=scale,
        start=start,
        input_dir=input_dir,
        fmt=fmt,
        gzip_files=gzip_files,
        corrupt=corrupt,
    )
    try:
        if workers > 1 and days > 1:
            # spawn, not fork: forking a process whose polars thread pool runs can deadlock
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                max_workers=workers, mp_context=ctx, initializer=_init, initargs=(args,)
            ) as pool:
                results = pool.map(_day, range(days))
                for done, r in enumerate(results, 1):
                    _merge(r, counts, watched, files)
                    corrupt_lines += r.corrupt_lines
                    if progress:
                        progress(done, days)
        else:
            for d in range(days):
                r = _day(d)
                _merge(r, counts, watched, files)
                corrupt_lines += r.corrupt_lines
                if progress:
                    progress(d + 1, days)
    finally:
        _JOB = None

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
        **plan.governance,  # creation_channels, access_assignments (issue 13)
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
        files=len(files),
        incidents=len(plan.incidents),
        benign=len(plan.benign),
        corrupt_lines=corrupt_lines,
        skipped=plan.skipped,
        input_dir=str(input_dir),
        labels_path=str(labels_path),
        config_path=str(config_path),
        seconds=round(time.perf_counter() - t0, 2),
    )


def _merge(r: _DayResult, counts: dict, watched: dict, files: set) -> None:
    for k, v in r.counts.items():
        counts[k] += v
    for k, v in r.watched.items():
        watched[k].extend(v)
    files |= r.files
