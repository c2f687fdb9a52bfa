"""The sqlite backend's query → a DuckDB condition over a Sigma view, every value bound.

pySigma's sqlite backend writes a rule as ``SELECT * FROM <view> WHERE <condition>`` with the
rule's values inlined as SQLite literals. That text is parsed (sqlglot, SQLite dialect) and the
condition written again for DuckDB from the parsed tree: every value becomes a bound parameter
(``$p1`` …), every field a quoted column of the view (one the view does not have is collected as
unbound instead), and only the shapes the backend emits for single-event rules are accepted; any
other node is refused with what it was. Sigma's matching rules carry over: strings compare
case-insensitively (``lower(a) = lower($p)``, ``ILIKE``), ``|cased`` stays case-sensitive
(``GLOB``), a list column (one value per target or modified property) matches when any element
does, and a negation treats an absent field as not matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from pipeline.sigma.fields import MAP_COLUMNS
from pipeline.sigma.views import columns

_MAP_REF = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\[(.+)\]$")
_LAMBDA_VAR = "aa_v"


class Unsupported(Exception):
    """The query holds something the lake translation does not run; the message says what."""


@dataclass
class Rendered:
    """A rule's condition for DuckDB: ``where`` over the view's columns with ``params`` bound."""

    where: str
    params: dict[str, Any]
    columns: tuple[str, ...]  # the view columns it reads (map columns by their own name)
    unbound: tuple[str, ...]  # the rule's fields no column of the view holds


@dataclass
class _State:
    service: str
    params: dict[str, Any] = field(default_factory=dict)
    used: dict[str, None] = field(default_factory=dict)
    unbound: dict[str, None] = field(default_factory=dict)

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params) + 1}"
        self.params[name] = value
        return f"${name}"


def render(sqlite_queries: list[str], service: str) -> Rendered:
    """The DuckDB condition of a rule's converted queries (``SELECT * FROM view WHERE …``, one
    per condition of the rule: an event matches when any does)."""
    state = _State(service)
    parts = []
    for query in sqlite_queries:
        try:
            tree = sqlglot.parse_one(query, read="sqlite")
        except sqlglot.errors.ParseError as exc:
            raise Unsupported(f"its SQL does not parse ({exc})") from exc
        if not isinstance(tree, exp.Select) or tree.args.get("where") is None:
            raise Unsupported("its SQL is not one SELECT … WHERE (an aggregation or correlation)")
        parts.append(_bool(tree.args["where"].this, state))
    if not parts:
        raise Unsupported("it converts to no query")
    where = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    return Rendered(where, state.params, tuple(state.used), tuple(state.unbound))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(node: exp.Expression, state: _State) -> tuple[str, bool]:
    """(SQL for the column ``node`` names, whether it is a list); unknown names are recorded."""
    if not isinstance(node, exp.Column) or node.table:
        raise Unsupported(f"a comparison of {node.sql('sqlite')!r}, not of a field")
    name = node.name
    cols = columns(state.service)
    if name in cols:
        state.used[name] = None
        return _quote(name), cols[name].endswith("[]")
    ref = _MAP_REF.match(name)
    if ref and ref.group(1) in MAP_COLUMNS[state.service]:
        state.used[ref.group(1)] = None
        inner = MAP_COLUMNS[state.service][ref.group(1)]
        return f"{_quote(inner)}[{state.bind(ref.group(2).lower())}]", False
    state.unbound[name] = None
    return "NULL", False


def _text(node: exp.Expression) -> str:
    """The value of a literal (a collation around it is the backend's case-insensitivity)."""
    if isinstance(node, exp.Collate):
        node = node.this
    if isinstance(node, exp.Literal):
        return str(node.this)
    if node.find(exp.Column) is not None:
        raise Unsupported(
            "|fieldref with contains, startswith or endswith (part of another field's value)"
        )
    raise Unsupported(f"a comparison with {node.sql('sqlite')!r}, not with a value")


def _number(node: exp.Expression) -> float:
    if isinstance(node, exp.Literal) and not node.is_string:
        return float(node.this)
    raise Unsupported(f"a numeric comparison with {node.sql('sqlite')!r}")


def _predicate(node: exp.Expression, state: _State, test) -> str:
    """``test(sql of one text value)`` on the column ``node``: any element of a list column."""
    ref, is_list = _column(node, state)
    if is_list:
        each = f"lambda {_LAMBDA_VAR}: {test(_LAMBDA_VAR)}"
        return f"coalesce(array_length(list_filter({ref}, {each})) > 0, false)"
    return test(ref)


def _like(node: exp.Expression, state: _State, escape: str | None) -> str:
    if not isinstance(node, exp.Like):
        raise Unsupported(f"ESCAPE on {node.key}")
    pattern = state.bind(_text(node.expression))
    clause = ""
    if escape is not None:
        if escape != "\\":
            raise Unsupported(f"a LIKE escape character {escape!r}")
        clause = " ESCAPE '\\'"
    return _predicate(node.this, state, lambda v: f"{v} ILIKE {pattern}{clause}")


_COMPARE = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}


def _bool(node: exp.Expression, state: _State) -> str:
    if isinstance(node, exp.Paren):
        return _bool(node.this, state)
    if isinstance(node, exp.And | exp.Or):
        op = "AND" if isinstance(node, exp.And) else "OR"
        return f"({_bool(node.this, state)} {op} {_bool(node.expression, state)})"
    if isinstance(node, exp.Not):
        return f"(NOT {_bool(node.this, state)})"
    if isinstance(node, exp.Coalesce):
        # the backend's null-safe negation: COALESCE(<condition>, 0)
        rest = node.expressions
        if len(rest) != 1 or _text(rest[0]) not in ("0", "false"):
            raise Unsupported(f"COALESCE with {len(rest)} defaults")
        return f"coalesce({_bool(node.this, state)}, false)"
    if isinstance(node, exp.EQ):
        right = (
            node.expression.this if isinstance(node.expression, exp.Collate) else node.expression
        )
        if isinstance(right, exp.Column):  # |fieldref: two fields equal
            a, a_list = _column(node.this, state)
            b, b_list = _column(right, state)
            if a_list or b_list:
                raise Unsupported("|fieldref on a field with one value per target")
            return f"lower({a}) = lower({b})"
        value = state.bind(_text(right))
        return _predicate(node.this, state, lambda v: f"lower({v}) = lower({value})")
    if isinstance(node, exp.Escape):
        return _like(node.this, state, _text(node.expression))
    if isinstance(node, exp.Like):
        return _like(node, state, None)
    if isinstance(node, exp.Glob):  # |cased
        pattern = state.bind(_text(node.expression))
        return _predicate(node.this, state, lambda v: f"{v} GLOB {pattern}")
    if isinstance(node, exp.RegexpLike):
        regex = _text(node.expression)
        _check_regex(regex)
        value = state.bind(regex)
        return _predicate(node.this, state, lambda v: f"regexp_matches({v}, {value})")
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        ref, is_list = _column(node.this, state)
        return f"({ref} IS NULL OR array_length({ref}) = 0)" if is_list else f"{ref} IS NULL"
    for cls, op in _COMPARE.items():
        if isinstance(node, cls):
            bound = state.bind(_number(node.expression))
            return _predicate(
                node.this, state, lambda v, o=op, b=bound: f"TRY_CAST({v} AS DOUBLE) {o} {b}"
            )
    raise Unsupported(f"{node.key.upper()} in its SQL ({node.sql('sqlite')[:80]})")


def _check_regex(regex: str) -> None:
    """A regular expression DuckDB's engine (RE2) cannot run is refused here, not at night."""
    try:
        duckdb.connect(":memory:").execute("SELECT regexp_matches('', ?)", [regex]).fetchall()
    except duckdb.Error as exc:
        raise Unsupported(f"a regular expression DuckDB cannot run ({regex!r}: {exc})") from exc
