"""The plan: every row the story plants (sign-ins, Graph calls, audits) and its ground truth
(incidents, benign look-alikes, watches, skipped incidents, governance truth), filled by the
entries of ``story.table`` and read day by day by the generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from pipeline.generate.frames import AUDIT, empty
from pipeline.generate.traffic import HOUR_US, day_start_us


@dataclass
class Watch:
    """Evidence drawn from ordinary traffic: the sign-ins of an identity over some days."""

    label: str
    column: str  # sign-in column to match
    value: str
    first_day: int
    last_day: int


@dataclass
class Plan:
    start: date
    days: int
    signins: list[pl.DataFrame] = field(default_factory=list)
    graph: list[pl.DataFrame] = field(default_factory=list)
    audits: list[dict] = field(default_factory=list)  # rows of the AUDIT frame
    incidents: list[dict] = field(default_factory=list)
    benign: list[dict] = field(default_factory=list)
    watches: list[Watch] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    governance: dict = field(default_factory=dict)  # ground truth of issue 13 (labels.json)
    packages: dict = field(default_factory=dict)  # the tenant's access packages, by key

    @property
    def last(self) -> int:
        """Index of the last day of the period."""
        return self.days - 1

    def day_us(self, day_index: int, hour: float = 0.0) -> int:
        return day_start_us(self.start + timedelta(days=day_index)) + int(hour * HOUR_US)

    def iso(self, us: int) -> str:
        return (datetime(1970, 1, 1) + timedelta(microseconds=int(us))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )


def day_rows(plan: Plan, stream: str, day_index: int) -> pl.DataFrame:
    """The planted rows of one stream that fall on ``day_index``."""
    parts = {"signin": plan.signins, "graph": plan.graph, "audit": plan.audits}[stream]
    if not parts:
        return empty(stream)
    lo, hi = plan.day_us(day_index), plan.day_us(day_index + 1)
    key = f"_{stream}_all"
    cache = plan.__dict__.get(key)
    if cache is None:
        cache = pl.DataFrame(parts, schema=AUDIT) if stream == "audit" else pl.concat(parts)
        plan.__dict__[key] = cache
    t = pl.col("time").cast(pl.Int64)
    return cache.filter((t >= lo) & (t < hi))
