"""The catalog's tables, macros and views on a DuckDB connection (see the package docstring):
``connect`` opens one, ``install`` / ``refresh`` (re)build its objects from the lake and
agentaudit.toml."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.config import Config, load_config
from pipeline.errors import AgentAuditError
from pipeline.registry import registry_tables
from pipeline.schema import (
    ADDED_COLUMNS,
    ADDED_DEFAULT,
    FINDINGS,
    METADATA_KEY,
    QUARANTINE_SCHEMA,
    ROLLUPS,
    SCHEMA_VERSION,
    TABLES,
)
from pipeline.sensitivity import path_tags_table, pattern_table
from pipeline.sql import sql_file
from pipeline.workspace import Workspace

LAKE_TABLES = ("signins", "audits", "activity", "risk_events", "agent_facts")
#: derived views, in dependency order: who everyone is and what was granted to whom
DERIVED_VIEWS = (
    "events",
    "obo_pairs",
    "app_links",
    "permission_grants",
    "creation_channels",
    "stewards",
    "identities",
    "risk_signals",  # Identity Protection's word on an identity (risk_events, risky sign-ins)
)
#: governance views over them: access packages, permission families, each agent's inventory
GOVERNANCE_VIEWS = (
    "access_assignments",
    "permission_families",
    "agent_inventory",
    "token_events",  # each sign-in / Graph call with its token and session keys
    "token_uses",  # per token: the sign-in that issued it, where and how it was used
    "session_uses",  # per session: its sign-ins, tokens and calls
)
ROLLUP_DIR = "rollups"


def sql_text(name: str) -> str:
    """The text of pipeline/catalog/<name>.sql."""
    return sql_file(__file__, name)


def duck_type(t: pa.DataType) -> str:
    """DuckDB type name for an Arrow type of the canonical schemas."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_date32(t):
        return "DATE"
    if pa.types.is_list(t):
        return f"{duck_type(t.value_type)}[]"
    if pa.types.is_map(t):
        return f"MAP({duck_type(t.key_type)}, {duck_type(t.item_type)})"
    if pa.types.is_struct(t):
        inner = ", ".join(f'"{f.name}" {duck_type(f.type)}' for f in t)
        return f"STRUCT({inner})"
    raise TypeError(f"no DuckDB type for {t}")


def _literal(text: str) -> str:
    """A SQL string literal. Used only for lake paths in view DDL (DuckDB cannot bind
    parameters in CREATE VIEW); the path comes from the workspace, never from a log."""
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _added_default(field: pa.Field) -> str | None:
    said = (field.metadata or {}).get(ADDED_DEFAULT)
    return said.decode() if said is not None else ADDED_COLUMNS.get(field.name)


def _column_sql(field: pa.Field, missing: str) -> str:
    """A view's column; ``missing``: "" (every file has it), "all" (no file has it: the value
    older files mean) or "some" (files of both schemas, read by name). An added column is never
    null in a view: null reads as its default."""
    name = _ident(field.name)
    default = _added_default(field)
    if default is None:
        return name
    if missing == "all":
        return f"CAST({default} AS {duck_type(field.type)}) AS {name}"
    return f"coalesce({name}, {default}) AS {name}"  # never null: a filter on it keeps the row


def _missing_added(con: duckdb.DuckDBPyConnection, folder: Path, schema: pa.Schema) -> str:
    """Whether the files under ``folder`` lack the columns added since schema version 1:
    "" (none lacks them), "all" or "some". Reads the Parquet footers once, not every query."""
    added = [f.name for f in schema if _added_default(f) is not None]
    files = list(folder.glob("date=*/*.parquet")) if added else []
    if not files:
        return ""
    glob = str(folder / "date=*" / "*.parquet")
    ((having, total),) = con.execute(
        "SELECT count(DISTINCT file_name) FILTER (WHERE name = ?), count(DISTINCT file_name) "
        "FROM parquet_schema(?)",
        [added[0], glob],
    ).fetchall()
    if having == total:
        return ""
    return "all" if having == 0 else "some"


def _view_sql(
    name: str,
    schema: pa.Schema,
    folder: Path,
    temp: str,
    hive: bool = True,
    union: bool = False,
    missing: str = "",
) -> str:
    union = union or missing == "some"
    cols = ", ".join(_column_sql(f, missing) for f in schema)
    files = list(folder.glob("date=*/*.parquet")) if hive else list(folder.glob("**/*.parquet"))
    if not files:
        typed = ", ".join(f"CAST(NULL AS {duck_type(f.type)}) AS {_ident(f.name)}" for f in schema)
        date_col = ", CAST(NULL AS DATE) AS date" if hive else ""
        return f"CREATE OR REPLACE {temp} VIEW {name} AS SELECT {typed}{date_col} WHERE false"
    if hive:
        glob = str(folder / "date=*" / "*.parquet")
        return (
            f"CREATE OR REPLACE {temp} VIEW {name} AS SELECT {cols}, "
            f"TRY_CAST(date AS DATE) AS date FROM read_parquet({_literal(glob)}, "
            "hive_partitioning = true, hive_types = {'date': VARCHAR}"
            + (", union_by_name = true)" if union else ")")
        )
    glob = str(folder / "**" / "*.parquet")
    return (
        f"CREATE OR REPLACE {temp} VIEW {name} AS SELECT {cols} FROM read_parquet("
        f"{_literal(glob)}, hive_partitioning = false, union_by_name = true)"
    )


def _older_files(con: duckdb.DuckDBPyConnection, folder: Path, hive: bool) -> bool:
    """Whether a Parquet file under ``folder`` lacks this version's schema stamp (footers only)."""
    files = list(folder.glob("date=*/*.parquet" if hive else "**/*.parquet"))
    if not files:
        return False
    glob = str(folder / ("date=*" if hive else "**") / "*.parquet")
    (current,) = con.execute(
        "SELECT count(DISTINCT file_name) FROM parquet_kv_metadata(?) "
        "WHERE decode(key) = ? AND decode(value) = ?",
        [glob, METADATA_KEY.decode(), SCHEMA_VERSION],
    ).fetchone()
    return current != len(files)


def _create_view(
    con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema, folder: Path, kw: str, hive: bool
) -> None:
    """The view over a table's files. Files are written in the canonical schema, so DuckDB reads
    the first file's schema only; when some file was written by another schema version (a lake
    older than a column), the view reads by column name (slower, still right). Columns added
    since schema version 1 read as the value older files mean (ADDED_COLUMNS)."""
    missing = _missing_added(con, folder, schema) if hive else ""
    if not _older_files(con, folder, hive):
        try:
            con.execute(_view_sql(name, schema, folder, kw, hive, missing=missing))
            return
        except duckdb.Error:
            pass
    try:
        con.execute(_view_sql(name, schema, folder, kw, hive, union=True, missing=missing))
    except duckdb.Error as exc:
        raise AgentAuditError(
            f"{folder}: its Parquet files do not hold the '{name}' columns ({exc}); move the "
            f"odd files away, or delete the folder and ingest again"
        ) from exc


def _open(
    workspace: Workspace, read_only: bool, config: Config
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """(connection, persistent): the catalog file read-write when we can have it, else TEMP
    views in memory. A reader never opens the file: its views (the last writer's) would stand
    beside the TEMP ones, and information_schema / duckdb_views() would list each view twice.
    Either way DuckDB works within [workspace] memory_limit, spilling to temp_directory."""
    settings = config.duckdb_config(workspace)
    if not read_only:
        try:
            workspace.root.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(workspace.catalog), config=settings), True
        except (duckdb.IOException, duckdb.ConnectionException):
            pass  # another process (or this one, read-only) holds the file
    return duckdb.connect(":memory:", config=settings), False


def connect(
    workspace: Workspace | str | Path,
    read_only: bool = False,
    config: Config | None = None,
    governance: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with every catalog view (see the module docstring; ``governance``:
    see ``install``)."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    cfg = config if config is not None else load_config(ws)
    con, persistent = _open(ws, read_only, cfg)
    try:
        install(con, ws, cfg, temp=not persistent, governance=governance)
    except Exception:
        con.close()
        raise
    return con


def install(
    con: duckdb.DuckDBPyConnection,
    workspace: Workspace,
    config: Config,
    temp: bool = True,
    governance: bool = True,
) -> None:
    """(Re)create the catalog's tables, macros and views on ``con``; ``governance=False`` leaves
    out the views only people and the governance rules read (the rollups do not need them, and
    DuckDB binds every view as it is created)."""
    kw = "TEMP" if temp else ""
    con.execute("SET TimeZone = 'UTC'")
    opts = config.baseline_settings()
    con.execute("SET VARIABLE aa_min_days = ?", [opts["min_days"]])
    con.execute("SET VARIABLE aa_min_events = ?", [opts["min_events"]])
    con.execute("SET VARIABLE aa_lookback = ?", [opts["lookback_days"]])
    small = dict(registry_tables(config))
    small["sensitivity_patterns"] = pattern_table(config)
    for name, table in small.items():
        con.register("_aa_tmp", table)
        con.execute(f"CREATE OR REPLACE {kw} TABLE {name} AS SELECT * FROM _aa_tmp")
        con.unregister("_aa_tmp")
    con.execute(sql_text("macros").replace("{temp}", kw))
    views = [(name, TABLES[name], workspace.table_dir(name), True) for name in LAKE_TABLES]
    views.append(("quarantine", QUARANTINE_SCHEMA, workspace.quarantine, False))
    views.append(("findings", FINDINGS, workspace.table_dir("findings"), True))
    views += [(n, s, workspace.lake / ROLLUP_DIR / n, True) for n, s in ROLLUPS.items()]
    for name, schema, folder, hive in views:
        _create_view(con, name, schema, folder, kw, hive)
    # each distinct rolled-up path tagged once (compiled globs in Python, not a regex per row)
    paths = con.execute("SELECT DISTINCT resource_path FROM resource_paths").fetchall()
    con.register("_aa_tmp", path_tags_table((p[0] for p in paths), config))
    con.execute(f"CREATE OR REPLACE {kw} TABLE path_sensitivity AS SELECT * FROM _aa_tmp")
    con.unregister("_aa_tmp")
    for view in DERIVED_VIEWS + (GOVERNANCE_VIEWS if governance else ()):
        con.execute(sql_text(view).replace("{temp}", kw))
    if governance:  # sigma_auditlogs, sigma_signinlogs: the columns Sigma rules name
        from pipeline.sigma.views import install as install_sigma_views

        install_sigma_views(con, kw)


def refresh(
    con: duckdb.DuckDBPyConnection,
    workspace: Workspace,
    config: Config,
    governance: bool = True,
) -> None:
    """Rebuild the views after new lake files appeared (views over empty folders are typed
    placeholders), keeping the connection's mode: persistent on a writable catalog file."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_databases() "
        "WHERE database_name = current_database() AND path IS NOT NULL AND NOT readonly"
    ).fetchall()
    install(con, workspace, config, temp=not (row and row[0][0]), governance=governance)


def rollup_dir(workspace: Workspace, name: str) -> Path:
    return workspace.lake / ROLLUP_DIR / name
