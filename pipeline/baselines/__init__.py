"""Per-identity rollups (rollup.py) and the history every day is judged against (history.py), in
SQL files run by DuckDB over the lake."""

from pipeline.baselines.history import (
    DEFAULT_LOOKBACK,
    HISTORY_VIEWS,
    as_day,
    lookback_days,
    set_history,
)
from pipeline.baselines.rollup import (
    DEFAULTS,
    BaselineSummary,
    days_to_roll_up,
    days_with_events,
    fingerprint,
    settings,
    update,
)

__all__ = [
    "DEFAULTS",
    "DEFAULT_LOOKBACK",
    "HISTORY_VIEWS",
    "BaselineSummary",
    "as_day",
    "days_to_roll_up",
    "days_with_events",
    "lookback_days",
    "fingerprint",
    "set_history",
    "settings",
    "update",
]
