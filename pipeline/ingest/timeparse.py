"""Timestamps as Entra writes them, parsed vectorised to UTC microseconds.

Accepted: ISO 8601 with ``T`` or a space, 1- or 2-digit hours, 0–9 fractional digits, ``Z``, an
offset (``+01:00``, ``-0500``) or no zone (taken as UTC); and the US forms of envelopes and Log
Analytics exports, ``12/12/2025 3:03:58 PM`` / ``4/11/2025, 8:16:11.051 AM``. Anything else is null
(the caller quarantines the record and names the field).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

_ISO = (
    r"^\s*(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})(?:[T ](?<h>\d{1,2}):(?<mi>\d{2})"
    r"(?::(?<s>\d{2})(?:[.,](?<f>\d{1,9})\d*)?)?)?\s*(?<z>Z|z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_US = (
    r"^\s*(?<mo>\d{1,2})/(?<d>\d{1,2})/(?<y>\d{4}),?\s+(?<h>\d{1,2}):(?<mi>\d{2})"
    r"(?::(?<s>\d{2})(?:\.(?<f>\d{1,9})\d*)?)?\s*(?<ampm>[AaPp][Mm])?\s*"
    r"(?<z>Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def _build(parts: pl.Expr, us: bool) -> pl.Expr:
    def field(name: str, width: int, default: str = "0") -> pl.Expr:
        return parts.struct.field(name).fill_null(default).str.zfill(width)

    hour = field("h", 2)
    if us:
        ampm = parts.struct.field("ampm").str.to_uppercase()
        h = hour.cast(pl.Int32, strict=False)
        hour = (
            pl.when((ampm == "PM") & (h < 12))
            .then(h + 12)
            .when((ampm == "AM") & (h == 12))
            .then(0)
            .otherwise(h)
            .cast(pl.String)
            .str.zfill(2)
        )
    frac = parts.struct.field("f").fill_null("").str.pad_end(6, "0").str.slice(0, 6)
    text = pl.concat_str(
        [
            field("y", 4),
            pl.lit("-"),
            field("mo", 2),
            pl.lit("-"),
            field("d", 2),
            pl.lit("T"),
            hour,
            pl.lit(":"),
            field("mi", 2),
            pl.lit(":"),
            field("s", 2),
            pl.lit("."),
            frac,
        ]
    )
    local = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    zone = parts.struct.field("z")
    sign = pl.when(zone.str.starts_with("-")).then(-1).otherwise(1)
    digits = zone.str.replace_all(r"[^0-9]", "")
    off_h = digits.str.slice(0, 2).cast(pl.Int64, strict=False).fill_null(0)
    off_m = digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0)
    offset_min = (sign * (off_h * 60 + off_m)).fill_null(0)
    return (local - pl.duration(minutes=offset_min)).dt.replace_time_zone("UTC")


def parse_time_expr(col: pl.Expr | str) -> pl.Expr:
    """Parse a string column of timestamps to ``Datetime('us', 'UTC')``; unparseable → null."""
    c = pl.col(col) if isinstance(col, str) else col
    c = c.cast(pl.String)
    iso = c.str.extract_groups(_ISO)
    us = c.str.extract_groups(_US)
    valid_iso = iso.struct.field("y").is_not_null()
    valid_us = us.struct.field("y").is_not_null()
    out = (
        pl.when(valid_iso)
        .then(_build(iso, us=False))
        .when(valid_us)
        .then(_build(us, us=True))
        .otherwise(None)
    )
    return out.cast(pl.Datetime("us", "UTC"))


_FAST_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.fZ")
DATETIME = pl.Datetime("us", "UTC")


def _fast(col: pl.Expr, formats: Sequence[str] = _FAST_FORMATS) -> pl.Expr:
    """The usual ISO forms, parsed without regular expressions (null where they do not fit)."""
    return pl.coalesce(
        [
            col.str.to_datetime(
                fmt, time_unit="us", time_zone="UTC", strict=False
            ).dt.convert_time_zone("UTC")
            for fmt in formats
        ]
    ).cast(pl.Datetime("us", "UTC"))


def _likely_format(values: pl.Series) -> str | None:
    """The fast format the column's first value has (a column is mostly one form); None when
    the column holds no value at all."""
    first = values.drop_nulls().head(1)
    if first.is_empty():
        return None
    return _FAST_FORMATS[1] if first.item().rstrip().endswith(("Z", "z")) else _FAST_FORMATS[0]


def parse_time_columns(frame: pl.DataFrame, names: Sequence[str], prefix: str) -> pl.DataFrame:
    """``frame`` with ``<prefix><name>`` = ``name`` parsed, for each of ``names``.

    Each column is parsed in one pass with the fast format its first value has; only the values
    left null go on to the other fast format, then the regular-expression parser
    (``parse_time_expr``).
    """
    texts = {name: frame.get_column(name).cast(pl.String) for name in names}
    likely = {name: _likely_format(text) for name, text in texts.items()}
    fast = frame.select(
        _fast(pl.col(n).cast(pl.String), [fmt]).alias(prefix + n)
        for n, fmt in likely.items()
        if fmt is not None
    )
    out = []
    for name, text in texts.items():
        if likely[name] is None:
            out.append(pl.repeat(None, frame.height, dtype=DATETIME).alias(prefix + name))
            continue
        parsed = fast.get_column(prefix + name)
        todo = parsed.is_null() & text.is_not_null()
        if todo.any():
            rest = text.filter(todo).to_frame("t")
            slow = rest.select(pl.coalesce(_fast(pl.col("t")), parse_time_expr("t"))).to_series()
            parsed = parsed.scatter(todo.arg_true(), slow)
        out.append(parsed.alias(prefix + name))
    return frame.with_columns(out)


def parse_time_series(values: pl.Series) -> pl.Series:
    """``parse_time_columns`` for one Series."""
    frame = values.cast(pl.String).to_frame("t")
    return parse_time_columns(frame, ["t"], "_").get_column("_t").alias(values.name)
