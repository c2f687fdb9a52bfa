"""The history a day is judged against, owned here and read by every rule and investigator.

``set_history(con, day)`` points the TEMP baseline views of a catalog connection at the days
strictly before ``day`` (over the look-back window of ``[detectors.baseline] lookback_days``).
What the rules read is materialised once per judged day as a TEMP table; what only investigators
read stays a view, computed when queried. See HISTORY_VIEWS.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from pipeline.errors import UsageError
from pipeline.sql import sql_file

HISTORY_VIEWS = (
    "day_identity",
    "history_values",
    "history_volume",
    "peer_groups",
    "peer_values",
    "tenant_values",
    "learning_state",
    "history_windows",
    "volume_windows",
    "day_events",
)
DEFAULT_LOOKBACK = 30


def as_day(value: str | date | datetime) -> date:
    """A day given as a date, a datetime or YYYY-MM-DD text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise UsageError(f"'{value}' is not a day; use YYYY-MM-DD") from exc


def set_history(
    con: duckdb.DuckDBPyConnection,
    day: date | str,
    lookback_days: int = DEFAULT_LOOKBACK,
    min_days: int | None = None,
    min_events: int | None = None,
) -> None:
    """Point the TEMP baseline views of ``con`` at the days strictly before ``day``."""
    if lookback_days < 1:
        raise UsageError(f"lookback_days must be at least 1, not {lookback_days}")
    con.execute("SET VARIABLE aa_day = ?", [as_day(day)])
    con.execute("SET VARIABLE aa_lookback = ?", [int(lookback_days)])
    # learning thresholds: set by catalog.connect from agentaudit.toml unless given here
    if min_days is not None:
        con.execute("SET VARIABLE aa_min_days = ?", [int(min_days)])
    if min_events is not None:
        con.execute("SET VARIABLE aa_min_events = ?", [int(min_events)])
    for view in HISTORY_VIEWS:
        con.execute(sql_file(__file__, view))
