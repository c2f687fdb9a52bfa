"""The Sigma views over the lake: ``sigma_auditlogs`` and ``sigma_signinlogs``.

Each is one row per event with the columns Sigma's Azure rules name (Sentinel's spelling; the
field mapping in ``pipeline.sigma.fields`` brings the Event Hub spelling onto them). The SQL is in
the ``.sql`` files beside this module; ``install`` creates the views on a catalog connection (the
catalog calls it with its other views), ``columns`` says which columns a view offers a rule, read
from the views themselves over empty tables, so the list can never drift from the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import duckdb

from pipeline.sql import sql_file


@dataclass(frozen=True)
class SigmaTable:
    """One Sigma log source we have a view for."""

    service: str  # the rule's logsource service
    view: str  # the view over the lake
    lake_table: str  # the lake table under it
    noun: str  # what one row is, for explanations


TABLES: dict[str, SigmaTable] = {
    "auditlogs": SigmaTable("auditlogs", "sigma_auditlogs", "audits", "audit event"),
    "signinlogs": SigmaTable("signinlogs", "sigma_signinlogs", "signins", "sign-in"),
}
PRODUCT = "azure"
#: our own columns (ids, time, day, identity): never a Sigma field
INTERNAL_PREFIX = "aa_"


def sql_text(name: str) -> str:
    return sql_file(__file__, name)


def install(con: duckdb.DuckDBPyConnection, temp: str = "TEMP") -> None:
    """Create the macros and both views on ``con`` (which has the lake's ``audits`` and
    ``signins`` views); ``temp`` is "TEMP" or "" like the catalog's other views."""
    con.execute(sql_text("sigma_macros").replace("{temp}", temp))
    for table in TABLES.values():
        con.execute(sql_text(table.view).replace("{temp}", temp))


@cache
def _all_columns() -> dict[str, dict[str, str]]:
    from pipeline.catalog import duck_type
    from pipeline.schema import TABLES as LAKE

    con = duckdb.connect(":memory:")
    try:
        for table in TABLES.values():
            schema = LAKE[table.lake_table]
            cols = ", ".join(f'CAST(NULL AS {duck_type(f.type)}) AS "{f.name}"' for f in schema)
            con.execute(
                f"CREATE TEMP VIEW {table.lake_table} AS "  # noqa: S608 - our schema's names
                f"SELECT {cols}, CAST(NULL AS DATE) AS date WHERE false"
            )
        install(con)
        return {
            service: {
                r[0]: r[1]
                for r in con.execute(f"DESCRIBE {table.view}").fetchall()
                if not r[0].startswith(INTERNAL_PREFIX)
            }
            for service, table in TABLES.items()
        }
    finally:
        con.close()


def columns(service: str) -> dict[str, str]:
    """The columns of the view for ``service`` a rule can name → their DuckDB type; read by
    building the views over empty tables of the lake's schemas (once a process)."""
    return _all_columns()[service]


def is_list(service: str, column: str) -> bool:
    """Whether the column holds one value per target or property (a list)."""
    return columns(service)[column].endswith("[]")
