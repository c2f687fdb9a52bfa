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

#: in creation order. TEMP tables (computed once per judged day, read by the rules):
#: history_values, history_identities, tenant_values, learning_state, day_events; the rest are
#: views over them, computed when a query reads them.
HISTORY_VIEWS = (
    "day_identity",  # the judged day's per-identity rollup
    "history_days",  # identity_day rows of the look-back window ("before day D over N days")
    "history_day_values",  # identity_day_values rows of the look-back window
    "history_values",  # per identity and value: seen before, on how many days
    "history_identities",  # per identity: kind, blueprint, active days, peer group
    "peer_groups",
    "peer_values",  # per peer group and value: seen by how many peers
    "tenant_values",  # per value: seen by how many identities of the tenant
    "history_volume",  # per identity: daily volume statistics
    "learning_state",  # per identity: still learning its baseline?
    "history_windows",  # per identity and value: 7 / 30 / 90 day counts
    "volume_windows",  # per identity: 7 / 30 / 90 day volumes
    "day_events",  # the judged day's events
)
#: [detectors.baseline] lookback_days (pipeline.config.BASELINE_DEFAULTS) overrides it
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
    lookback_days: int | None = None,
    min_days: int | None = None,
    min_events: int | None = None,
) -> None:
    """Point the TEMP baseline views of ``con`` at the days strictly before ``day``.

    The look-back window and the learning thresholds are those ``catalog.connect`` set from
    agentaudit.toml ([detectors.baseline]) unless given here."""
    if lookback_days is None:
        (lookback_days,) = con.execute("SELECT getvariable('aa_lookback')").fetchall()[0]
        lookback_days = DEFAULT_LOOKBACK if lookback_days is None else lookback_days
    if lookback_days < 1:
        raise UsageError(f"lookback_days must be at least 1, not {lookback_days}")
    con.execute("SET VARIABLE aa_day = ?", [as_day(day)])
    con.execute("SET VARIABLE aa_lookback = ?", [int(lookback_days)])
    if min_days is not None:
        con.execute("SET VARIABLE aa_min_days = ?", [int(min_days)])
    if min_events is not None:
        con.execute("SET VARIABLE aa_min_events = ?", [int(min_events)])
    for view in HISTORY_VIEWS:
        con.execute(sql_file(__file__, view))


def lookback_days(con: duckdb.DuckDBPyConnection) -> int:
    """The look-back window ``set_history`` last set on ``con`` (days)."""
    (days,) = con.execute("SELECT getvariable('aa_lookback')").fetchall()[0]
    return DEFAULT_LOOKBACK if days is None else int(days)
