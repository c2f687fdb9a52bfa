"""DuckDB SQL to Spark SQL: sqlglot's transpiler (read="duckdb", write="spark") plus the shim
for what it does not carry over exactly. The DuckDB ``.sql`` files stay the one definition of
every query; this module only rewrites their syntax tree.

What the shim does, on the tree sqlglot parsed as DuckDB:

- the catalog's macros (``pipeline/catalog/macros.sql``) are inlined: Spark has no SQL macros,
  so each call is replaced by the macro's body with its arguments put in;
- ``getvariable('aa_day')`` (DuckDB session variables) becomes the named parameter ``:aa_day``,
  bound like every ``$name`` (which sqlglot already writes as ``:name``);
- ``quantile_cont(x, q)`` and ``percentile_cont(q) WITHIN GROUP (ORDER BY x)`` become Spark's
  exact ``percentile(x, q)`` (sqlglot writes the second as the approximate
  ``percentile_approx``);
- ``list(x ORDER BY y)`` / ``array_agg(x ORDER BY y)`` keep their order (sqlglot drops it): the
  values are collected as (y, x) structs, sorted, and x taken back out;
- ``try(expr)`` becomes the expression itself where Spark's ANSI mode is off (a failed cast is
  null there), and ``TIMESTAMPTZ`` is Spark's ``TIMESTAMP`` (the session time zone is UTC);
- ``read_parquet(...)`` is refused: on Spark the lake's files are read in Python
  (``pipeline.engines.spark``) and registered as temporary views.

``statements(text)`` splits a file into its statements, each as (kind, name, Spark SQL): a
``CREATE [TEMP] VIEW|TABLE name AS SELECT ...`` is ("view" | "table", name, the SELECT), any
other statement ("query", None, its SQL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from pipeline.errors import AgentAuditError
from pipeline.sql import sql_file

READ = "duckdb"
WRITE = "spark"


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: exp.Expression


@dataclass(frozen=True)
class Statement:
    kind: str  # view | table | query
    name: str | None
    sql: str  # Spark SQL (for a view or table: its SELECT)
    params: frozenset[str] = frozenset()  # the named parameters (:name) it uses


@cache
def cached_statements(text: str) -> tuple[Statement, ...]:
    """``statements(text)``, transpiled once per process (the files are read once too)."""
    return tuple(statements(text))


@cache
def macros() -> dict[str, Macro]:
    """The catalog's macros by (lower-case) name, parsed once: those of ``macros.sql`` and those
    a view file defines for itself (``prop_value`` of ``creation_channels.sql``): a rule may
    call any of them, the catalog being built before the rules run."""
    import pipeline.catalog

    out: dict[str, Macro] = {}
    for path in sorted(Path(pipeline.catalog.__file__).parent.glob("*.sql")):
        text = sql_file(path, path.name)
        if not _DEFINES_MACRO.search(text):
            continue
        for tree in sqlglot.parse(text.replace("{temp}", "TEMP"), read=READ):
            if (macro := _macro(tree)) is not None:
                out[macro.name] = macro
    return out


#: a SQL file that defines a macro (only those are parsed for them)
_DEFINES_MACRO = re.compile(r"\bMACRO\b", re.IGNORECASE)


def _macro(tree: exp.Expression | None) -> Macro | None:
    """The macro a ``CREATE MACRO`` statement defines; None for any other statement."""
    if not isinstance(tree, exp.Create) or str(tree.args.get("kind")).upper() != "MACRO":
        return None
    udf = tree.this
    return Macro(udf.this.name.lower(), tuple(p.name for p in udf.expressions), tree.expression)


def _call_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return None


def _inline(tree: exp.Expression, defs: dict[str, Macro]) -> exp.Expression:
    """Every macro call replaced by its body (repeated: a macro's body may call another)."""
    for _ in range(10):
        changed = False

        def swap(node: exp.Expression) -> exp.Expression:
            nonlocal changed
            name = _call_name(node)
            macro = defs.get(name) if name else None
            if macro is None:
                return node
            args = list(node.expressions)
            if len(args) != len(macro.params):
                raise AgentAuditError(
                    f"macro {macro.name} takes {len(macro.params)} argument(s), got {len(args)}"
                )
            values = dict(zip(macro.params, args, strict=True))
            body = macro.body.copy()

            def put(inner: exp.Expression) -> exp.Expression:
                if isinstance(inner, exp.Column) and not inner.table and inner.name in values:
                    return exp.paren(values[inner.name].copy(), copy=False)
                return inner

            changed = True
            return exp.paren(body.transform(put), copy=False)

        tree = tree.transform(swap)
        if not changed:
            return tree
    raise AgentAuditError("macros call each other without end")


def _ordered_list(
    value: exp.Expression, order: exp.Order, where: exp.Expression | None = None
) -> exp.Expression:
    """``list(value ORDER BY keys) [FILTER (WHERE ...)]`` in Spark: the values collected as
    sorted structs, then taken back out (``list(DISTINCT x ORDER BY x)``: a sorted set)."""
    keys = order.expressions
    if isinstance(value, exp.Distinct):
        (value,) = value.expressions
        collected = exp.Anonymous(this="collect_set", expressions=[value.copy()])
        if where is not None:
            collected = exp.Filter(this=collected, expression=where.copy())
        descending = any(o.args.get("desc") for o in keys)
        return exp.Anonymous(
            this="sort_array", expressions=[collected, exp.Boolean(this=not descending)]
        )
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=o.this.copy())
        for i, o in enumerate(keys)
    ]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()))
    struct = exp.Struct(expressions=fields)
    collected = exp.Anonymous(this="collect_list", expressions=[struct])
    if where is not None:
        collected = exp.Filter(this=collected, expression=where.copy())
    descending = any(o.args.get("desc") for o in keys)
    if len(keys) > 1 and any(bool(o.args.get("desc")) != descending for o in keys):
        raise AgentAuditError("list(... ORDER BY) with mixed directions has no Spark shim")
    sort = exp.Anonymous(
        this="sort_array", expressions=[collected, exp.Boolean(this=not descending)]
    )
    lam = exp.Lambda(
        this=exp.Dot(this=exp.to_identifier("s"), expression=exp.to_identifier("v")),
        expressions=[exp.to_identifier("s")],
    )
    return exp.Anonymous(this="transform", expressions=[sort, lam])


def _shim(node: exp.Expression) -> exp.Expression:
    name = _call_name(node)
    if name == "getvariable":
        (arg,) = node.expressions
        return exp.Placeholder(this=arg.name)
    if name == "read_parquet" or isinstance(node, exp.ReadParquet):
        raise AgentAuditError(
            "read_parquet does not run on Spark: the lake is read in Python and registered "
            "as temporary views (pipeline.engines.spark)"
        )
    if isinstance(node, exp.Cast) and _json_list(node.this) is not None:
        return _json_list(node.this)
    if (listed := _json_list(node)) is not None:
        return listed
    if name == "try_strptime":  # a failed parse is null (ANSI mode is off)
        text, fmt = node.expressions
        return exp.StrToTime(this=text, format=fmt)
    if (
        isinstance(node, exp.Bracket)
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.Slice)
    ):
        return _slice(node.this, node.expressions[0])
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.GroupConcat):
        inner = node.this.this.this if isinstance(node.this.this, exp.Order) else node.this.this
        if isinstance(inner, exp.Distinct):  # string_agg(DISTINCT ...) FILTER (WHERE ...)
            return _distinct_text(node.this, inner, node.expression)
    if isinstance(node, exp.GroupConcat):
        inner = node.this.this if isinstance(node.this, exp.Order) else node.this
        if isinstance(inner, exp.Distinct):
            return _distinct_text(node, inner)
    if (
        isinstance(node, exp.Window)
        and isinstance(node.this, exp.Count)
        and isinstance(node.this.this, exp.Distinct)
    ):
        return _distinct_window_count(node)
    if isinstance(node, exp.ArrayOverlaps):  # list && list: Spark's arrays_overlap
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.Glob):
        return _glob(node)
    if isinstance(node, exp.DateBin):
        return _time_bucket(node)
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this])
    if isinstance(node, exp.TimeToUnix):  # epoch(t): seconds with their fraction
        micros = exp.Anonymous(this="unix_micros", expressions=[node.this])
        return exp.Div(this=micros, expression=exp.Literal.number("1000000.0"))
    if name in INTERVALS:  # to_hours(n): a day-time interval
        (n,) = node.expressions
        zeros = [exp.Literal.number(0)] * INTERVALS.index(name)
        return exp.Anonymous(this="make_dt_interval", expressions=[*zeros, n])
    if name == "list_position":  # 1-based; not found is null (Spark's array_position gives 0)
        found = exp.Anonymous(this="array_position", expressions=list(node.expressions))
        return exp.Nullif(this=found, expression=exp.Literal.number(0))
    if name == "list_aggregate":
        return _list_aggregate(node)
    if name == "json_valid":  # valid JSON text: it parses
        (arg,) = node.expressions
        parsed = exp.Anonymous(this="try_parse_json", expressions=[arg])
        return exp.Not(this=exp.Is(this=parsed, expression=exp.Null()))
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        order = node.expression
        (key,) = order.expressions
        return exp.Anonymous(this="percentile", expressions=[key.this.copy(), node.this.this])
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
        if isinstance(node.this.this, exp.Order):
            order = node.this.this
            return _ordered_list(order.this, order, node.expression)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        order = node.this
        return _ordered_list(order.this, order)
    if isinstance(node, exp.RegexpFullMatch):  # the whole text matches
        anchored = exp.func(
            "concat", exp.Literal.string("^(?:"), node.expression, exp.Literal.string(")$")
        )
        return exp.RegexpLike(this=node.this, expression=anchored)
    if isinstance(node, exp.ToMap) and not node.this.expressions:  # MAP {}
        return exp.Anonymous(this="map", expressions=[])
    if isinstance(node, exp.Star) and node.args.get("replace"):
        return node  # handled at the SELECT (see _star_replace)
    if isinstance(node, exp.Select):
        return _subscripts(_star_replace(node))
    if isinstance(node, exp.Try):
        return node.this
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.TIMESTAMPTZ:
        return exp.DataType.build("TIMESTAMP")
    return node


def _json_list(node: exp.Expression) -> exp.Expression | None:
    """``json_extract_string(j, '$.a[*]')`` (a list of texts in DuckDB) as Spark's
    ``from_json(get_json_object(j, '$.a'), 'array<string>')``; None for any other node."""
    if not isinstance(node, exp.JSONExtractScalar):
        return None
    path = node.expression
    if not isinstance(path, exp.JSONPath) or not path.expressions:
        return None
    last = path.expressions[-1]
    if not (
        isinstance(last, exp.JSONPathSubscript) and isinstance(last.this, exp.JSONPathWildcard)
    ):
        return None
    prefix = exp.JSONPath(expressions=[p.copy() for p in path.expressions[:-1]])
    inner = exp.Anonymous(this="get_json_object", expressions=[node.this.copy(), prefix])
    return exp.Anonymous(this="from_json", expressions=[inner, exp.Literal.string("array<string>")])


def _slice(value: exp.Expression, part: exp.Slice) -> exp.Expression:
    """DuckDB's ``x[a:b]`` (1-based, both ends kept) of a list, or of a text when ``x`` is a
    ``string_agg``: Spark's ``slice(x, a, b - a + 1)`` / ``substring(...)``."""
    start = part.this if part.this is not None else exp.Literal.number(1)
    if part.expression is None:
        raise AgentAuditError("x[a:] has no Spark shim")
    length = exp.Add(
        this=exp.Sub(this=exp.paren(part.expression.copy()), expression=exp.paren(start.copy())),
        expression=exp.Literal.number(1),
    )
    text = isinstance(value.unnest(), exp.GroupConcat)
    return exp.Anonymous(this="substring" if text else "slice", expressions=[value, start, length])


def _distinct_text(
    node: exp.GroupConcat, distinct: exp.Distinct, where: exp.Expression | None = None
) -> exp.Expression:
    """``string_agg(DISTINCT x, sep [ORDER BY x]) [FILTER (WHERE ...)]``: the sorted set joined
    (Spark's LISTAGG with DISTINCT fails beside other distinct aggregates, and its NULLIF takes
    no FILTER: the filter goes on the set); null when there is no value."""
    (value,) = distinct.expressions
    order = node.this if isinstance(node.this, exp.Order) else None
    descending = bool(order and any(o.args.get("desc") for o in order.expressions))
    values = exp.Anonymous(this="collect_set", expressions=[value.copy()])
    if where is not None:
        values = exp.Filter(this=values, expression=where.copy())
    ordered = exp.Anonymous(
        this="sort_array", expressions=[values, exp.Boolean(this=not descending)]
    )
    sep = node.args.get("separator") or exp.Literal.string(",")
    joined = exp.Anonymous(this="array_join", expressions=[ordered, sep.copy()])
    return exp.Nullif(this=joined, expression=exp.Literal.string(""))


def _distinct_window_count(node: exp.Window) -> exp.Expression:
    """``count(DISTINCT x) OVER (...)`` (Spark has no distinct window aggregate): the size of
    the window's set of values (a set leaves nulls out, as the count does)."""
    values = node.this.this.expressions
    if len(values) != 1:
        raise AgentAuditError("count(DISTINCT a, b) OVER (...) has no Spark shim")
    window = node.copy()
    window.set("this", exp.Anonymous(this="collect_set", expressions=[values[0].copy()]))
    return exp.Anonymous(this="size", expressions=[window])


#: the characters a glob pattern takes literally that a Java regex would not
_REGEX_SPECIALS = r"([\\.+^$(){}|])"


def _glob(node: exp.Glob) -> exp.Expression:
    """``text GLOB pattern`` (the whole text, case-sensitive; ``*`` any run, ``?`` one
    character, ``[...]`` / ``[!...]`` a class): ``text RLIKE`` the pattern turned into an
    anchored regex, at run time (the pattern may be a column or a lambda's variable)."""
    pattern = exp.Anonymous(
        this="regexp_replace",
        expressions=[
            node.expression,
            exp.Literal.string(_REGEX_SPECIALS),
            exp.Literal.string("\\\\$1"),
        ],
    )
    for glob, regex in (("[*]", ".*"), ("[?]", "."), ("\\[!", "[^")):
        pattern = exp.Anonymous(
            this="regexp_replace",
            expressions=[pattern, exp.Literal.string(glob), exp.Literal.string(regex)],
        )
    anchored = exp.func("concat", exp.Literal.string("^"), pattern, exp.Literal.string("$"))
    return exp.RegexpLike(this=node.this, expression=anchored)


SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}


def _time_bucket(node: exp.DateBin) -> exp.Expression:
    """``time_bucket(INTERVAL n unit, t)`` (a fixed width up to a day: buckets from the epoch,
    as DuckDB's are for such widths) as whole seconds floored to the width."""
    width = node.this
    unit = str(width.args.get("unit") or "").upper().rstrip("S") if width else ""
    if not isinstance(width, exp.Interval) or unit not in SECONDS:
        raise AgentAuditError("time_bucket of that width has no Spark shim")
    secs = exp.Literal.number(int(float(width.this.name)) * SECONDS[unit])
    since = exp.Anonymous(this="unix_seconds", expressions=[node.expression])
    floored = exp.Mul(this=exp.Floor(this=exp.Div(this=since, expression=secs)), expression=secs)
    return exp.Anonymous(this="timestamp_seconds", expressions=[floored])


#: DuckDB's interval constructors, in the order of make_dt_interval's arguments
INTERVALS = ("to_days", "to_hours", "to_minutes", "to_seconds")

#: list_aggregate(list, name, ...) as Spark's array functions
LIST_AGGREGATES = {"max": "array_max", "min": "array_min"}


def _list_aggregate(node: exp.Expression) -> exp.Expression:
    values, how, *rest = node.expressions
    kind = how.name.lower()
    if kind == "string_agg":
        sep = rest[0] if rest else exp.Literal.string(",")
        joined = exp.Anonymous(this="array_join", expressions=[values, sep])
        return exp.Nullif(this=joined, expression=exp.Literal.string(""))
    if kind in LIST_AGGREGATES:
        return exp.Anonymous(this=LIST_AGGREGATES[kind], expressions=[values])
    raise AgentAuditError(f"list_aggregate(..., '{kind}') has no Spark shim")


def _subscripts(select: exp.Select) -> exp.Select:
    """``SELECT unnest(l) AS t, generate_subscripts(l, 1) AS pos`` (each element with its 1-based
    position): Spark's ``inline`` over ``transform(l, (v, i) -> struct(v, i + 1))``."""
    items = list(select.expressions)
    subs = [
        i
        for i, e in enumerate(items)
        if isinstance(e, exp.Alias) and _call_name(e.this) == "generate_subscripts"
    ]
    if not subs:
        return select
    for si in subs:
        sub = items[si]
        listed = sub.this.expressions[0]
        match = [
            i
            for i, e in enumerate(items)
            if isinstance(e, exp.Alias)
            and isinstance(e.this, exp.Explode | exp.Unnest)
            and e.this.this == listed
        ]
        if not match:
            raise AgentAuditError("generate_subscripts without its unnest has no Spark shim")
        value = items[match[0]]
        lam = exp.Lambda(
            this=exp.Struct(
                expressions=[
                    exp.PropertyEQ(this=value.args["alias"].copy(), expression=exp.column("v")),
                    exp.PropertyEQ(
                        this=sub.args["alias"].copy(),
                        expression=exp.Add(this=exp.column("i"), expression=exp.Literal.number(1)),
                    ),
                ]
            ),
            expressions=[exp.to_identifier("v"), exp.to_identifier("i")],
        )
        pairs = exp.Anonymous(this="transform", expressions=[listed.copy(), lam])
        items[match[0]] = exp.Anonymous(this="inline", expressions=[pairs])
        items[si] = None
    select.set("expressions", [e for e in items if e is not None])
    return select


def _star_replace(select: exp.Select) -> exp.Select:
    """``SELECT t.* REPLACE (expr AS col)``: Spark has ``* EXCEPT (col)``; the replaced columns
    follow the others (by name, as every reader takes them)."""
    items = []
    changed = False
    for item in select.expressions:
        star = (
            item.this if isinstance(item, exp.Column) and isinstance(item.this, exp.Star) else item
        )
        replace = star.args.get("replace") if isinstance(star, exp.Star) else None
        if not replace:
            items.append(item)
            continue
        changed = True
        star.set("replace", None)
        star.set("except_", [exp.column(r.alias) for r in replace])
        items.append(item)
        items.extend(replace)
    if changed:
        select.set("expressions", items)
    return select


def to_spark_tree(text: str) -> list[exp.Expression]:
    """The statements of a DuckDB SQL text as Spark-ready syntax trees (a file's own
    ``CREATE MACRO`` statements are inlined into the statements after them, and dropped)."""
    text = _LEN.sub("array_length(", text.replace("{temp}", "TEMP"))
    defs = dict(macros())
    out = []
    for tree in sqlglot.parse(text, read=READ):
        if tree is None:
            continue
        tree = _inline(tree, defs)
        if (macro := _macro(tree)) is not None:
            defs[macro.name] = macro
            continue
        out.append(_shimmed(tree))
    return out


def _shimmed(tree: exp.Expression) -> exp.Expression:
    """The shim applied until nothing changes (a replaced node's inside is seen on the next
    pass: sqlglot does not walk into what a transform returned)."""
    before = tree.sql(dialect=READ)
    for _ in range(8):
        tree = tree.transform(_shim)
        after = tree.sql(dialect=READ)
        if after == before:
            return tree
        before = after
    raise AgentAuditError("the Spark shim does not settle on this query")


#: DuckDB's len() of a list (every len() of these files takes a list): Spark's size()
_LEN = re.compile(r"\blen\(", re.IGNORECASE)


def statements(text: str) -> list[Statement]:
    """The statements of a DuckDB SQL text in Spark SQL (see the module docstring)."""
    out = []
    for tree in to_spark_tree(text):
        if isinstance(tree, exp.Create) and str(tree.args.get("kind")).upper() in (
            "VIEW",
            "TABLE",
        ):
            kind = str(tree.args["kind"]).lower()
            target = tree.this
            name = (target.this if isinstance(target, exp.Schema) else target).name
            out.append(Statement(kind, name, _sql(tree.expression), _params(tree)))
        else:
            out.append(Statement("query", None, _sql(tree), _params(tree)))
    return out


def query(text: str) -> Statement:
    """A one-query DuckDB SQL text in Spark SQL."""
    found = statements(text)
    if len(found) != 1 or found[0].kind != "query":
        raise AgentAuditError("expected exactly one query (no CREATE)")
    return found[0]


def _params(tree: exp.Expression) -> frozenset[str]:
    return frozenset(p.name for p in tree.find_all(exp.Placeholder))


def _sql(tree: exp.Expression) -> str:
    return tree.sql(dialect=WRITE, unsupported_level=sqlglot.ErrorLevel.RAISE)
