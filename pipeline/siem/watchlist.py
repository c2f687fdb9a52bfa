"""The agent inventory as a Microsoft Sentinel watchlist CSV (``agentaudit inventory --format
watchlist``), so KQL can join sponsors and registry facts to findings:

    _GetWatchlist('AgentAuditAgents') | join kind=inner (AgentAuditFinding_CL) on
        $left.SearchKey == $right.IdentityId

One row per agent, flat columns only (a watchlist has no nested values): ``SearchKey`` (the
identity id, the column to choose as search key on upload) first, then every inventory column;
a struct becomes one column per field (``credentials_count``, ``findings_high``, …), a list one
cell of ``; ``-separated items. Cells a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

from typing import Any

from pipeline.catalog.query import QueryResult, to_csv

WATCHLIST_ALIAS = "AgentAuditAgents"
SEARCH_KEY = "SearchKey"


def _item(value: Any) -> str:
    if isinstance(value, dict):  # e.g. an unused permission: its name first, then the rest
        return " ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(_item(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _item(value)


def _shape(result: QueryResult) -> list[tuple[str, str | None]]:
    """(column, struct field or None) for every flat watchlist column."""
    out: list[tuple[str, str | None]] = []
    for i, column in enumerate(result.columns):
        fields: list[str] = []
        for row in result.rows:
            if isinstance(row[i], dict):
                fields += [k for k in row[i] if k not in fields]
        out += [(column, f) for f in fields] if fields else [(column, None)]
    return out


def watchlist(result: QueryResult) -> QueryResult:
    """The inventory rows flattened for a watchlist, ``SearchKey`` (the identity id) first."""
    shape = _shape(result)
    index = {c: i for i, c in enumerate(result.columns)}
    columns = [SEARCH_KEY] + [c if f is None else f"{c}_{f}" for c, f in shape]
    rows = []
    for row in result.rows:
        cells: list[Any] = [str(row[index["identity_id"]])]
        for column, field in shape:
            value = row[index[column]]
            if field is not None:
                value = value.get(field) if isinstance(value, dict) else None
            cells.append(_cell(value))
        rows.append(tuple(cells))
    return QueryResult(columns=columns, rows=rows)


def watchlist_csv(result: QueryResult) -> str:
    return to_csv(watchlist(result))
