"""Query engines: what runs the project's ``.sql`` files. DuckDB is the default and the
definition (``duck.DuckEngine`` over a catalog connection); Spark (``spark.SparkEngine``, the
``[spark]`` extra) runs the same files through ``transpile`` over the same lake.

An engine runs one SQL text (a file's, read with ``pipeline.sql.sql_file``) with its parameters
bound and returns rows: ``rows(text, params)`` as dicts, ``arrow(text, params)`` as an Arrow
table. Parameters are named as the DuckDB file names them (``$name``); an engine binds only those
the text uses.
"""

from __future__ import annotations

from typing import Any, Protocol

import pyarrow as pa

from pipeline.engines.duck import DuckEngine

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    name: str

    def rows(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def arrow(self, text: str, params: dict[str, Any] | None = None) -> pa.Table: ...


__all__ = ["ENGINES", "DuckEngine", "Engine"]
