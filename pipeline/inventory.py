"""The agent inventory: the evidence an auditor asks for, one row per agent.

The ``agent_inventory`` view (pipeline/catalog/agent_inventory.sql) holds identity, kind,
blueprint, sponsor and owners, credentials, Conditional Access coverage, declared vs observed
resources vs granted permissions, the permissions granted but unused for 30 days (with the Graph
call or portal step that removes each), PII categories touched, findings by severity and the last
sign-in. ``inventory`` reads it for ``agentaudit inventory``; CSV and JSON carry every column,
the table shows one summarised line per agent, or a badge (one field per line) for one agent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.catalog.query import QueryResult, clean, execute
from pipeline.errors import UsageError
from pipeline.workspace import Workspace

#: the columns of the one-line-per-agent table, each summarised by ``_cell``
TABLE_COLUMNS = (
    "name",
    "kind",
    "creation_channel",
    "sponsor",
    "registered",
    "credentials",
    "access_packages",
    "unused_permissions",
    "pii_categories",
    "findings",
    "last_signin",
)


def inventory(workspace: Workspace | str | Path, agent: str | None = None) -> QueryResult:
    """Every agent's inventory row (or those whose id or name matches ``agent``)."""
    from pipeline.catalog import connect, sql_text

    con = connect(workspace, read_only=True)
    try:
        result = execute(con, sql_text("list_inventory"), {"agent": agent or None})
    finally:
        con.close()
    if not agent and not result.rows:
        result.notes.append(
            "no agents known yet: ingest exports and roll them up "
            "(agentaudit run --workspace W), or declare agents in agentaudit.toml"
        )
    if agent and not result.rows:
        raise UsageError(
            f"no agent's id or name matches {agent!r}; "
            "list them with: agentaudit inventory --workspace W"
        )
    return result


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "credentials":
        if not value["count"]:
            return "none"
        age = value["oldest_age_days"]
        oldest = f", oldest {age} d" if age is not None else ""
        return f"{value['count']} ({', '.join(value['types'])}){oldest}"
    if column == "findings":
        parts = [f"{value[s]} {s}" for s in ("critical", "high", "medium", "low") if value[s]]
        return ", ".join(parts) or "none"
    if column == "unused_permissions":
        return ", ".join(p["permission"] for p in value)
    if column == "access_packages":
        return ", ".join(p["access_package"] for p in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes") if hasattr(value, "hour") else str(value)
    return str(value)


def summary_table(result: QueryResult) -> QueryResult:
    """One summarised line per agent with the ``TABLE_COLUMNS`` (those the view has)."""
    index = {c: i for i, c in enumerate(result.columns)}
    cols = [c for c in TABLE_COLUMNS if c in index]
    rows = [tuple(_cell(c, row[index[c]]) for c in cols) for row in result.rows]
    return QueryResult(columns=cols, rows=rows)


def badges(result: QueryResult) -> str:
    """Each agent as a badge: one ``field: value`` line per column, unused permissions in full."""
    blocks = []
    width = max((len(c) for c in result.columns), default=0)
    for row in result.rows:
        lines = []
        for column, value in zip(result.columns, row, strict=True):
            if column == "unused_permissions" and value:
                lines.append(f"{column.ljust(width)} :")
                for p in value:
                    lines.append(f"  - {clean(p['permission'])} ({p['grant_kind']}): {p['remove']}")
                continue
            lines.append(f"{column.ljust(width)} : {clean(_cell(column, value))}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
