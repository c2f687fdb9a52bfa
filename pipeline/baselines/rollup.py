"""The rollups: per identity and day, what every baseline is computed from (lake/rollups/).

``update(workspace)`` rolls up every day whose raw events are newer than its rollup (so a nightly
run only reads the new day) into ``agent_directory``, ``resource_paths``, ``identity_day`` and
``identity_day_values`` (schemas in pipeline/schema.py), and writes a snapshot
``lake/identities/identities.parquet`` for engines that read the lake without the catalog.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa

from pipeline import catalog
from pipeline.baselines.history import HISTORY_VIEWS, as_day
from pipeline.catalog import rollup_dir
from pipeline.config import BASELINE_DEFAULTS, ROLLUP_SETTINGS, Config, load_config
from pipeline.lake import write_parquet_atomic
from pipeline.schema import AGENT_DIRECTORY, IDENTITY_DAY, IDENTITY_DAY_VALUES, RESOURCE_PATHS
from pipeline.sql import sql_file
from pipeline.workspace import Workspace

EVENT_TABLES = ("signins", "activity")
#: [detectors.baseline] overrides these (pipeline.config)
DEFAULTS = BASELINE_DEFAULTS


@dataclass
class BaselineSummary:
    days_rolled_up: list[str] = field(default_factory=list)
    days_skipped: int = 0  # already rolled up and unchanged
    events: int = 0  # events read from the new days
    identity_days: int = 0
    value_rows: int = 0
    identities: int = 0
    seconds: float = 0.0
    rebuilt_for_changed_logic: bool = False  # the registry or rollup SQL changed: all days redone

    def line(self) -> str:
        return (
            f"rolled up {len(self.days_rolled_up)} day(s) ({self.days_skipped} unchanged): "
            f"{self.events} events, {self.identity_days} identity-days, "
            f"{self.value_rows} distinct values, {self.identities} identities "
            f"in {self.seconds:.1f}s"
        )


def sql_text(name: str) -> str:
    return sql_file(__file__, name)


def settings(config: Config) -> dict[str, int]:
    """Baseline settings: DEFAULTS overridden by [detectors.baseline] in agentaudit.toml."""
    return config.baseline_settings()


def _partition_days(folder: Path) -> dict[str, float]:
    """{YYYY-MM-DD: newest file mtime} of a hive-partitioned folder."""
    out: dict[str, float] = {}
    if not folder.is_dir():
        return out
    for part in folder.glob("date=*"):
        day = part.name.removeprefix("date=")
        try:
            date.fromisoformat(day)
        except ValueError:
            continue  # date=unknown: events without a time are not rolled up
        stamps = [p.stat().st_mtime for p in part.glob("*.parquet")]
        if stamps:
            out[day] = max(stamps)
    return out


def days_with_events(workspace: Workspace) -> list[date]:
    """The days holding sign-ins or activity, from the partition folders (no data scan)."""
    days: set[str] = set()
    for table in EVENT_TABLES:
        days |= _partition_days(workspace.table_dir(table)).keys()
    return sorted(date.fromisoformat(d) for d in days)


def fingerprint(config: Config) -> str:
    """What the rollups were computed with: the rollup and identity-resolution SQL and the parts
    of the configuration that decide who an event belongs to. A change rebuilds every rollup."""
    import hashlib

    digest = hashlib.sha256()
    for folder in (Path(__file__).parent, Path(catalog.__file__).parent):
        for entry in sorted(folder.glob("*.sql"), key=lambda e: e.name):
            if entry.stem not in HISTORY_VIEWS:  # the history is recomputed every judged day
                digest.update(entry.name.encode() + entry.read_bytes())
    opts = settings(config)
    digest.update(str({k: opts[k] for k in ROLLUP_SETTINGS}).encode())
    for agent in config.agents:
        digest.update(agent.model_dump_json().encode())
    for rule in config.resources:
        digest.update(rule.model_dump_json().encode())
    return digest.hexdigest()


def _fingerprint_file(workspace: Workspace) -> Path:
    return rollup_dir(workspace, "identity_day").parent / "_fingerprint"


def days_to_roll_up(workspace: Workspace) -> list[str]:
    """Days whose raw sign-ins or activity are newer than their rollup (or have none)."""
    raw: dict[str, float] = {}
    for table in EVENT_TABLES:
        for day, stamp in _partition_days(workspace.table_dir(table)).items():
            raw[day] = max(raw.get(day, 0.0), stamp)
    done = _partition_days(rollup_dir(workspace, "identity_day"))
    return sorted(d for d, stamp in raw.items() if d not in done or done[d] < stamp)


def update(
    workspace: Workspace | str | Path,
    days: list[str] | list[date] | None = None,
    rebuild: bool = False,
    on_day: Callable[[int, int, str], None] | None = None,
    config: Config | None = None,
) -> BaselineSummary:
    """Roll up the days not yet rolled up (or ``days``; every day with ``rebuild``).

    ``on_day(done, total, day)`` is called after each day (for progress bars); ``config``: the
    workspace's ``Config`` when the caller has it (read from agentaudit.toml otherwise)."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    started = time.perf_counter()
    config = config if config is not None else load_config(ws)
    opts = settings(config)
    summary = BaselineSummary()
    stamp = fingerprint(config)
    stamp_file = _fingerprint_file(ws)
    stale = stamp_file.exists() and stamp_file.read_text().strip() != stamp
    rebuild = rebuild or (days is None and stale)
    summary.rebuilt_for_changed_logic = days is None and stale
    if days is not None:
        todo = sorted({str(d)[:10] for d in days})
    elif rebuild:
        todo = sorted(set().union(*(_partition_days(ws.table_dir(t)).keys() for t in EVENT_TABLES)))
    else:
        todo = days_to_roll_up(ws)
    all_days = set().union(*(_partition_days(ws.table_dir(t)).keys() for t in EVENT_TABLES))
    summary.days_skipped = len(all_days - set(todo))
    if not todo:
        summary.seconds = time.perf_counter() - started
        return summary
    con = catalog.connect(ws, config=config, governance=False)  # rollups need no governance
    try:
        # 1. agents seen in agent sign-ins (so activity of the same app resolves to them) and the
        #    day's distinct resource paths (tagged by the catalog)
        for day in todo:
            table = con.sql(
                sql_text("agent_directory"), params={"day": as_day(day)}
            ).to_arrow_table()
            _write(ws, "agent_directory", day, "directory", table, AGENT_DIRECTORY)
            paths = con.sql(sql_text("resource_paths"), params={"day": as_day(day)})
            _write(ws, "resource_paths", day, "paths", paths.to_arrow_table(), RESOURCE_PATHS)
        catalog.refresh(con, ws, config, governance=False)
        # 2. per identity-day rollups
        for day in todo:
            con.execute(sql_text("rollup_input"), {"day": as_day(day)})
            n = con.execute("SELECT count(*) FROM rollup_input").fetchall()[0][0]
            summary.events += n
            params = {
                "day": as_day(day),
                "night_start": opts["night_start"],
                "night_end": opts["night_end"],
            }
            rollup = con.sql(sql_text("identity_day"), params=params).to_arrow_table()
            values = con.sql(
                sql_text("identity_day_values"), params={"day": as_day(day)}
            ).to_arrow_table()
            # identity_day marks the day as done, so it is written last: a run killed between
            # the two writes leaves the day to be rolled up again, never half done
            _write(ws, "identity_day_values", day, "values", values, IDENTITY_DAY_VALUES)
            _write(ws, "identity_day", day, "rollup", rollup, IDENTITY_DAY)
            summary.identity_days += rollup.num_rows
            summary.value_rows += values.num_rows
            summary.days_rolled_up.append(day)
            if on_day:
                on_day(len(summary.days_rolled_up), len(todo), day)
        con.execute("DROP TABLE IF EXISTS rollup_input")
        catalog.refresh(con, ws, config, governance=False)
        # a snapshot of the identities for engines that read the lake without the catalog
        identities = con.sql("SELECT * FROM identities ORDER BY identity_id").to_arrow_table()
        write_parquet_atomic(identities, ws.lake / "identities" / "identities.parquet")
        summary.identities = identities.num_rows
        if days is None:
            stamp_file.parent.mkdir(parents=True, exist_ok=True)
            stamp_file.write_text(stamp + "\n")
    finally:
        con.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _write(ws: Workspace, name: str, day: str, stem: str, table: pa.Table, schema) -> None:
    table = table.select(schema.names).cast(schema)
    write_parquet_atomic(table, rollup_dir(ws, name) / f"date={day}" / f"{stem}.parquet")
