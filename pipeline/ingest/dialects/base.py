"""What a dialect is: the shape of one record once a file is split into records.

A dialect module (one per shape, listed in recognition order in ``registry.py``) says everything
the ingest needs to know about its records:

- how a record is recognised: ``recognise`` (a parsed JSON record) and ``recognise_header`` (the
  normalised header names of a CSV export), and how a CSV row becomes a record;
- its ``source_format`` in the lake (``source_format_of`` when the container decides);
- its field map, ``fields``: canonical field name -> specs tried in order (the first non-empty
  wins). A spec is a DuckDB JSON path, optionally followed by ``|`` and a second path applied to
  the JSON text found there (Log Analytics keeps nested values as JSON strings);
- its normalisation quirks: ``category`` (each record's log category, which categories.py routes
  to a table; ``category_fields`` are the fields it reads), ``normalisers`` (a table whose
  columns it builds its own way, normalise.py has the rest), ``padded`` (CSV cells to trim),
  ``mixed_with`` (another dialect whose rows may share its files) and the quarantine reasons of
  records it cannot place.

The containers (JSON lines, ``{"records": [...]}`` / ``{"value": [...]}`` wrappers, documents,
the query API's tables, CSV, gzip) are not dialects: detect.py and reader.py split any of them
into records and ask the registry what each file's records are.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import polars as pl

from pipeline.ingest.fields import CompiledDialect, table_fields

NO_CATEGORY = "record of unknown shape: no log category (an Entra export record was expected)"


@dataclass(frozen=True)
class Normaliser:
    """How one table's canonical columns are built from the extracted fields."""

    build: Callable[[pl.DataFrame], list[pl.Expr]]
    time_field: str  # the field the event time comes from (named when it is unusable)
    id_label: str  # the field the event id comes from (named when it is missing)


def normalise_header(name: str) -> str:
    """CSV headers compared without case, BOM, and trailing / doubled spaces."""
    return " ".join(name.replace("\ufeff", "").split()).lower()


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique: a repeated header becomes ``name #2``, ``name #3`` …"""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append(name if n == 1 else f"{name} #{n}")
    return out


class Dialect(ABC):
    """One record shape. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]  # the dialect's name in a Batch (``Detected.dialect``)
    title: ClassVar[str]  # what a person calls the export
    source_format: ClassVar[str]  # the lake's source_format of its records
    fields: ClassVar[dict[str, list[str]]]
    #: the fields ``category`` reads (extracted whatever the table)
    category_fields: ClassVar[tuple[str, ...]] = ()
    #: values come from CSV cells (or JSON text in cells) and may carry padding
    padded: ClassVar[bool] = False
    #: records name their category: a batch can be extracted for one table's fields first
    names_category: ClassVar[bool] = False
    #: tables whose canonical columns this dialect builds its own way (normalise.py has the rest)
    normalisers: ClassVar[dict[str, Normaliser]] = {}
    #: the field every table's event id comes from, when not the table's own
    id_label: ClassVar[str | None] = None
    #: another dialect whose rows may share a file with this one's (a union query's export)
    mixed_with: ClassVar[str | None] = None
    #: modules of this package whose rows come inside this dialect's exports (read as its own)
    includes: ClassVar[tuple[str, ...]] = ()
    #: quarantine reason of a record whose category cannot be told
    no_category_reason: ClassVar[str] = NO_CATEGORY
    #: added to the reason of a record whose category names no known table
    unknown_category_note: ClassVar[str] = ""

    def recognise(self, record: dict) -> bool:
        """Whether a parsed JSON record is of this dialect (asked in the registry's order)."""
        return False

    def recognise_header(self, keys: set[str]) -> bool:
        """Whether a CSV whose normalised headers are ``keys`` holds this dialect's rows."""
        return False

    def csv_columns(self, headers: list[str]) -> list[str]:
        """The names the CSV's columns get (and the record's JSON keys)."""
        return unique_names(headers)

    def csv_records(self, frame: pl.DataFrame, names: list[str]) -> pl.Series:
        """One JSON record per CSV row: the row as an object of its cells."""
        return frame.select(pl.struct(pl.all()).struct.json_encode()).to_series()

    def source_format_of(self, wrapper: str | None, first_line: bytes, path_hint: str) -> str:
        """The source_format of a JSON file of this dialect (``wrapper``: its lines' wrapper)."""
        return self.source_format

    @abstractmethod
    def category(self) -> pl.Expr:
        """Each record's log category (a String, null when it cannot be told)."""

    def other_rows(self) -> pl.Expr | None:
        """Rows of a batch that belong to ``mixed_with`` instead (None: every row is ours)."""
        return None

    def compiled(self, table: str | None = None) -> CompiledDialect:
        """The field map as DuckDB paths; for one table's fields when records name their
        category (the others are then null columns, and the caller extracts again the records
        of another table)."""
        return _compiled(self, table if self.names_category else None)

    def __repr__(self) -> str:
        return f"<dialect {self.name}>"


@cache
def _compiled(dialect: Dialect, table: str | None) -> CompiledDialect:
    names = table_fields(table)
    if names is None:
        return CompiledDialect(dialect.name, dialect.fields)
    keep = set(names) | set(dialect.category_fields)
    return CompiledDialect(dialect.name, {k: v for k, v in dialect.fields.items() if k in keep})


@cache
def category_expr(dialect: Dialect) -> pl.Expr:
    """``dialect.category()``, built once (polars expressions are plans, reused every batch)."""
    return dialect.category()
