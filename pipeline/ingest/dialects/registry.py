"""Every input dialect, in the order a record is recognised (the first that claims it wins).

Adding a shape: a module beside this one with a ``Dialect`` subclass (base.py says what it
declares) and its tests, and its line in ``BUILT_IN``; the rest of the ingest (detect.py,
reader.py, unit.py, normalise.py) asks this registry. ``register`` adds one at run time (before
the Graph fallback unless told where).
"""

from __future__ import annotations

from functools import cache

from pipeline.ingest.dialects import (
    admin_center,
    azure_monitor,
    graph_api,
    log_analytics,
    m365_audit,
    office_activity,
)
from pipeline.ingest.dialects.base import Dialect

#: in recognition order. OfficeActivity rows carry the unified audit record's columns, so they
#: are asked before m365; Graph records have no marker of their own: graph is asked last and
#: takes any JSON record the others leave.
BUILT_IN: tuple[Dialect, ...] = (
    azure_monitor.DIALECT,
    office_activity.DIALECT,
    m365_audit.DIALECT,
    log_analytics.DIALECT,
    admin_center.DIALECT,
    graph_api.DIALECT,
)
#: the dialect of a JSON record no other dialect claims
FALLBACK: Dialect = graph_api.DIALECT

_dialects: tuple[Dialect, ...] = BUILT_IN


def dialects() -> tuple[Dialect, ...]:
    """The dialects in recognition order."""
    return _dialects


def get(name: str) -> Dialect:
    """The dialect called ``name``; KeyError naming the known ones when there is none."""
    for dialect in _dialects:
        if dialect.name == name:
            return dialect
    raise KeyError(f"no ingest dialect {name!r} (known: {', '.join(names())})")


def names() -> tuple[str, ...]:
    return tuple(d.name for d in _dialects)


def register(dialect: Dialect, before: str | None = None) -> None:
    """Add ``dialect``, asked just before the one called ``before`` (default: the fallback)."""
    global _dialects
    if dialect.name in names():
        raise ValueError(f"an ingest dialect {dialect.name!r} is registered already")
    at = names().index(before or FALLBACK.name)
    _dialects = (*_dialects[:at], dialect, *_dialects[at:])


def unregister(name: str) -> None:
    """Remove the dialect called ``name`` (the built-in fallback stays)."""
    global _dialects
    if name == FALLBACK.name:
        raise ValueError("the fallback dialect cannot be removed")
    get(name)
    _dialects = tuple(d for d in _dialects if d.name != name)


def record_dialect(record: object) -> str | None:
    """The dialect of one parsed record (a dict), or None when it is not a known shape."""
    if not isinstance(record, dict):
        return None
    return next(d.name for d in _dialects if d.recognise(record))


def csv_dialect(keys: set[str]) -> Dialect | None:
    """The dialect of a CSV export from its normalised header names, None when unrecognised."""
    return next((d for d in _dialects if d.recognise_header(keys)), None)


def all_fields() -> tuple[str, ...]:
    """Every field name of every dialect (a field a record's dialect lacks is a null column)."""
    return _all_fields(_dialects)


@cache
def _all_fields(dialects: tuple[Dialect, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for d in dialects for name in d.fields))
