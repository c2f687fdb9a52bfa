"""The catalog and the history views on Spark: what ``pipeline.catalog.install`` and
``pipeline.baselines.set_history`` build on a DuckDB connection, built from the same ``.sql``
files as temporary views of a ``SparkEngine``."""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline.baselines.history import DEFAULT_LOOKBACK, HISTORY_VIEWS, as_day
from pipeline.catalog import DERIVED_VIEWS, GOVERNANCE_VIEWS, sql_text
from pipeline.config import Config
from pipeline.engines.spark import SparkEngine
from pipeline.errors import UsageError
from pipeline.registry import registry_tables
from pipeline.sensitivity import path_tags_table, pattern_table
from pipeline.sql import sql_file


def install(engine: SparkEngine, config: Config, governance: bool = True) -> None:
    """The registry, the sensitivity catalogue, the lake and every derived view, in the order
    ``pipeline.catalog.install`` creates them (the Sigma views stay DuckDB's)."""
    opts = config.baseline_settings()
    engine.variables.update(
        aa_min_days=opts["min_days"],
        aa_min_events=opts["min_events"],
        aa_lookback=opts["lookback_days"],
    )
    for name, table in registry_tables(config).items():
        engine.register(name, table)
    engine.register("sensitivity_patterns", pattern_table(config))
    engine.register_lake()
    paths = engine.spark.sql("SELECT DISTINCT resource_path FROM resource_paths").collect()
    engine.register("path_sensitivity", path_tags_table((p[0] for p in paths), config))
    for view in DERIVED_VIEWS + (GOVERNANCE_VIEWS if governance else ()):
        engine.run(sql_text(view))
        if view not in PER_EVENT_VIEWS:  # a view per identity or grant: small, read by many rules
            engine.spark.catalog.cacheTable(view)


#: the derived views with a row per event: computed where read, never held
PER_EVENT_VIEWS = ("events", "token_events")


def set_history(
    engine: SparkEngine, day: date | str, lookback_days: int | None = None, **_: Any
) -> None:
    """The history views pointed at the days strictly before ``day`` (see
    ``pipeline.baselines.set_history``)."""
    import pipeline.baselines.history as history

    if lookback_days is None:
        lookback_days = engine.variables.get("aa_lookback") or DEFAULT_LOOKBACK
    if lookback_days < 1:
        raise UsageError(f"lookback_days must be at least 1, not {lookback_days}")
    engine.variables.update(aa_day=as_day(day), aa_lookback=int(lookback_days))
    for view in HISTORY_VIEWS:
        engine.run(sql_file(history.__file__, view))
        engine.spark.catalog.cacheTable(view)  # one judged day's: read by many rules
