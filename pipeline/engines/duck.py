"""The DuckDB engine: a catalog connection (``pipeline.catalog.connect``) seen as an engine."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from pipeline.sql import bound


class DuckEngine:
    """Runs SQL texts on a DuckDB connection, binding the ``$name`` parameters they use."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def rows(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(text, bound(text, params or {}))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def arrow(self, text: str, params: dict[str, Any] | None = None) -> pa.Table:
        return self.con.sql(text, params=bound(text, params or {})).to_arrow_table()
