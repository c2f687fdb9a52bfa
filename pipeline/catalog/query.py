"""Running an investigator's query over the catalog and rendering the rows safely.

Every log field is attacker-controlled text: table output strips control characters (no terminal
escape sequences reach the screen), CSV output neutralises spreadsheet formulas, JSON escapes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb

from pipeline.errors import AgentAuditError, UsageError
from pipeline.workspace import Workspace

Format = Literal["table", "csv", "json"]
FORMATS = ("table", "csv", "json")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "|", "%")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    notes: list[str] = field(default_factory=list)

    def render(self, fmt: Format = "table", max_width: int = 60) -> str:
        if fmt == "csv":
            return to_csv(self)
        if fmt == "json":
            return to_json(self)
        if fmt == "table":
            return to_table(self, max_width)
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")

    def summary(self) -> str:
        more = " (truncated: pass --limit to see more)" if self.truncated else ""
        return f"{len(self.rows)} row{'s' if len(self.rows) != 1 else ''}{more}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def clean(text: str) -> str:
    """Control characters (incl. ESC, bidi overrides) shown as a visible '?'; newlines as '⏎'."""
    return _CONTROL.sub("?", text.replace("\r\n", "\n").replace("\n", "⏎"))


def clean_lines(text: str) -> str:
    """``clean`` line by line: the line breaks stay (a SQL error's caret under its column)."""
    return "\n".join(clean(line) for line in text.replace("\r\n", "\n").split("\n"))


def neutralise(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (numbers stay numbers)."""
    if text.startswith(_FORMULA) and not _NUMBER.match(text):
        return "'" + text
    return text


def to_table(result: QueryResult, max_width: int = 60) -> str:
    cells = [[clean(_text(v)) for v in row] for row in result.rows]
    heads = [clean(c) for c in result.columns]
    widths = [len(h) for h in heads]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = min(max(widths[i], len(c)), max_width)

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = [
        " | ".join(fit(h, w).ljust(w) for h, w in zip(heads, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    for row in cells:
        lines.append(" | ".join(fit(c, w).ljust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def to_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([neutralise(c) for c in result.columns])
    for row in result.rows:
        writer.writerow(
            [
                v
                if isinstance(v, int | float | Decimal) and not isinstance(v, bool)
                else neutralise(_text(v))
                for v in row
            ]
        )
    return buf.getvalue().rstrip("\n")


def to_json(result: QueryResult) -> str:
    """One JSON object per line (NDJSON)."""
    return "\n".join(
        json.dumps(dict(zip(result.columns, row, strict=True)), default=_json_default)
        for row in result.rows
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def parse_params(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``name=value`` pairs for ``$name`` placeholders (ints and floats as numbers)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"--param {pair!r}: use name=value, e.g. --param day=2026-01-31")
        if re.fullmatch(r"-?\d+", value):
            out[name] = int(value)
        elif re.fullmatch(r"-?\d+\.\d+", value):
            out[name] = float(value)
        else:
            out[name] = value
    return out


def execute(
    con: duckdb.DuckDBPyConnection,
    text: str,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
) -> QueryResult:
    """Run one statement on ``con`` with ``$name`` parameters bound; at most ``limit`` rows."""
    try:
        rel = con.execute(text, params or {})
        columns = [d[0] for d in rel.description] if rel.description else []
        if limit is None:
            rows = rel.fetchall() if columns else []
            truncated = False
        else:
            rows = rel.fetchmany(limit + 1) if columns else []
            truncated = len(rows) > limit
            rows = rows[:limit]
            if truncated:
                rel.fetchall()  # finish the result so the connection is free again
    except duckdb.Error as exc:
        # DuckDB's message spans lines: the error, then LINE n: the statement, then a caret
        raise AgentAuditError(f"query failed: {clean_lines(str(exc))}") from exc
    return QueryResult(columns=columns, rows=[tuple(r) for r in rows], truncated=truncated)


def run_query(
    workspace: Workspace | str | Path,
    text: str,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
) -> QueryResult:
    """Run a query over the catalog opened read-only (works while a nightly job writes)."""
    from pipeline.catalog import connect

    if not text.strip():
        raise UsageError("the query is empty; e.g. agentaudit sql 'SELECT * FROM identities'")
    con = connect(workspace, read_only=True)
    try:
        return execute(con, text, params, limit)
    finally:
        con.close()
