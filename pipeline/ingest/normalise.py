"""Records (JSON text) -> the canonical tables of pipeline/schema.py, a whole batch at a time.

``extract`` runs one DuckDB query per batch that parses each record once and pulls every path of
the record's dialect's field map (pipeline/ingest/dialects/); ``frame_fields`` turns that into one
text column per canonical field; ``normalise`` builds one table's canonical columns with polars
expressions (types, times, actor kind, lists): ``NORMALISERS`` per table, unless the dialect
builds that table its own way. Nothing here loops over records in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import cast

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from pipeline.ingest.dialects import registry
from pipeline.ingest.dialects.base import Dialect, Normaliser
from pipeline.ingest.exprs import agent_kind, common, f, opt, to_bool, to_float, to_int, to_list
from pipeline.ingest.fields import CompiledDialect
from pipeline.ingest.timeparse import parse_time_columns
from pipeline.resource_path import resource_path_expr
from pipeline.schema import CONFLICT_COLUMN, TABLES
from pipeline.sql import sql_file


def sql(name: str) -> str:
    return sql_file(__file__, f"sql/{name}")


def extract(
    con: duckdb.DuckDBPyConnection, lines: pa.Table, dialect: str, table: str | None = None
) -> pl.DataFrame:
    """Parse each record of ``lines`` (line_no, raw) once; one text column per dialect field.

    With ``table`` only that table's fields are pulled (the others are null columns); the
    caller checks each record's category and extracts again the records of another table.
    """
    spec = registry.get(dialect)
    compiled = spec.compiled(table)
    position = np.arange(lines.num_rows, dtype=np.int32)
    con.register("batch", _in_parts(lines.append_column("_pos", pa.array(position))))
    try:
        params = {"paths": compiled.paths}
        try:
            result = con.sql(sql("extract.sql"), params=params).to_arrow_table()
        except (duckdb.InvalidInputException, UnicodeDecodeError):
            # a malformed record in the batch: parse again, that record giving NULL. (DuckDB's
            # message quotes the input cut at a byte count: inside a multi-byte character the
            # exception reaches Python as UnicodeDecodeError.)
            result = con.sql(sql("extract_lenient.sql"), params=params).to_arrow_table()
    finally:
        con.unregister("batch")
    if not np.array_equal(result.column("_pos").to_numpy(), position):  # pragma: no cover
        raise AssertionError("DuckDB returned the records of a batch out of order")
    frame = pl.from_arrow(result.drop_columns(["_pos"]))
    assert isinstance(frame, pl.DataFrame)
    return frame_fields(frame, spec, compiled)


def _in_parts(lines: pa.Table, rows: int = 2048) -> pa.Table:
    """``lines`` as record batches of ``rows``: DuckDB parses them on all its threads (and
    returns them in order, as ``preserve_insertion_order`` promises; ``extract`` checks)."""
    if lines.num_rows <= rows:
        return lines
    return pa.Table.from_batches(lines.to_batches(max_chunksize=rows), lines.schema)


def _clean(expr: pl.Expr, strip: bool) -> pl.Expr:
    """Empty text is absent (the raw column keeps the difference)."""
    text = expr.str.strip_chars() if strip else expr
    return pl.when(text.str.len_bytes() == 0).then(None).otherwise(text)


def frame_fields(frame: pl.DataFrame, dialect: Dialect, compiled: CompiledDialect) -> pl.DataFrame:
    """Columns ``parsed`` (bool) and one String column per field, first non-empty spec wins
    (every field of every dialect: those ``compiled`` lacks are null)."""
    # the paths' values as plain columns first (one pass over the lists, not one per field)
    names = _path_columns(len(compiled.paths))
    frame = frame.with_columns(pl.col("f").list.to_struct(fields=names).struct.unnest())
    return frame.select(_field_exprs(dialect.padded, compiled, registry.all_fields()))


@cache
def _path_columns(count: int) -> list[str]:
    return [f"_p{index}" for index in range(count)]


@cache
def _field_exprs(
    padded: bool, compiled: CompiledDialect, all_fields: tuple[str, ...]
) -> list[pl.Expr]:
    """``frame_fields``' expressions, built once per field set."""
    fields: dict[str, pl.Expr] = {}
    for field, candidates in compiled.fields.items():
        parts = []
        for index, inner in candidates:
            value = pl.col(f"_p{index}")
            if inner is not None:
                value = value.str.json_path_match(inner)
            parts.append(_clean(value, strip=padded or inner is not None))
        fields[field] = pl.coalesce(parts) if parts else pl.lit(None, pl.String)
    return [
        pl.col("line_no"),
        pl.col("f").is_not_null().alias("parsed"),
        *(fields.get(name, pl.lit(None, pl.String)).alias(name) for name in all_fields),
    ]


# ---- per table ---------------------------------------------------------------------------------


def _signins(frame: pl.DataFrame) -> list[pl.Expr]:
    location = opt(frame, "location").str.split(",")
    loc_parts = location.list.len()
    country = pl.coalesce(
        f("country"),
        location.list.get(-1, null_on_oob=True).str.strip_chars(),
    )
    city = pl.coalesce(
        f("city"),
        pl.when(loc_parts >= 2)
        .then(location.list.get(0, null_on_oob=True).str.strip_chars())
        .otherwise(None),
    )
    state = pl.coalesce(
        f("state"),
        pl.when(loc_parts >= 3)
        .then(location.list.get(1, null_on_oob=True).str.strip_chars())
        .otherwise(None),
    )
    error_code = to_int(f("error_code"))
    status = opt(frame, "status").str.to_lowercase()
    succeeded = (
        pl.when(error_code.is_not_null())
        .then(error_code == 0)
        .when(status.is_not_null())
        .then(status == "success")
        .otherwise(None)
    )
    log_type = f("kind")
    by_agent = agent_kind(f("agent_type"), f("agent_subject_type"))
    user_type = f("user_type")
    by_category = (
        pl.when(log_type == "managed_identity")
        .then(pl.lit("managed_identity"))
        .when(log_type == "service_principal")
        .then(pl.lit("service_principal"))
        .when(log_type.is_in(["interactive", "non_interactive", "adfs"]))
        .then(
            pl.when(user_type.str.to_lowercase() == "guest")
            .then(pl.lit("guest"))
            .otherwise(pl.lit("human"))
        )
        .otherwise(None)
    )
    actor_kind = pl.coalesce(by_agent, by_category, pl.lit("unknown"))
    kind_source = (
        pl.when(by_agent.is_not_null())
        .then(pl.lit("entra_agent_fields"))
        .when(by_category.is_not_null())
        .then(pl.lit("log_category"))
        .otherwise(pl.lit("none"))
    )
    principal_id = pl.coalesce(f("sp_id"), f("app_id"))
    principal_name = pl.coalesce(f("sp_name"), f("app_display_name"))
    user_name = pl.coalesce(f("upn"), f("user_display_name"))
    is_user_kind = actor_kind.is_in(["human", "guest", "agent_user"])
    actor_id = (
        pl.when(is_user_kind)
        .then(pl.coalesce(f("user_id"), principal_id))
        .when(actor_kind == "unknown")
        .then(pl.coalesce(f("user_id"), principal_id))
        .otherwise(pl.coalesce(principal_id, f("user_id")))
    )
    actor_name = (
        pl.when(is_user_kind)
        .then(pl.coalesce(user_name, principal_name))
        .otherwise(pl.coalesce(principal_name, user_name))
    )
    interactive = pl.coalesce(to_bool(f("is_interactive")), log_type == "interactive")
    time = pl.coalesce(pl.col("__t_created"), pl.col("__t_env_time"))
    return [
        pl.col("id").alias("event_id"),
        *common(frame, time),
        log_type.alias("log_type"),
        actor_kind.alias("actor_kind"),
        kind_source.alias("actor_kind_source"),
        actor_id.alias("actor_id"),
        actor_name.alias("actor_name"),
        f("user_id").alias("user_id"),
        f("upn").alias("user_principal_name"),
        f("user_display_name").alias("user_display_name"),
        user_type.alias("user_type"),
        f("app_id").alias("app_id"),
        f("app_display_name").alias("app_display_name"),
        f("sp_id").alias("service_principal_id"),
        f("sp_name").alias("service_principal_name"),
        f("agent_type").alias("agent_type"),
        f("agent_subject_type").alias("agent_subject_type"),
        f("agent_parent_app_id").alias("agent_parent_app_id"),
        f("agent_subject_parent_id").alias("agent_subject_parent_id"),
        f("resource_id").alias("resource_id"),
        f("resource_display_name").alias("resource_display_name"),
        f("ip").alias("ip_address"),
        to_int(f("asn")).alias("autonomous_system_number"),
        country.alias("country"),
        state.alias("state"),
        city.alias("city"),
        to_float(f("lat")).alias("latitude"),
        to_float(f("lon")).alias("longitude"),
        f("user_agent").alias("user_agent"),
        f("client_app_used").alias("client_app_used"),
        f("device_id").alias("device_id"),
        f("device_os").alias("device_os"),
        f("device_browser").alias("device_browser"),
        to_bool(f("device_is_compliant")).alias("device_is_compliant"),
        to_bool(f("device_is_managed")).alias("device_is_managed"),
        interactive.alias("is_interactive"),
        error_code.alias("error_code"),
        f("failure_reason").alias("failure_reason"),
        succeeded.alias("succeeded"),
        f("ca_status").alias("conditional_access_status"),
        f("risk_level").alias("risk_level"),
        f("risk_state").alias("risk_state"),
        f("client_credential_type").alias("client_credential_type"),
        f("credential_key_id").alias("credential_key_id"),
        f("auth_protocol").alias("authentication_protocol"),
        f("incoming_token_type").alias("incoming_token_type"),
        f("correlation_id").alias("correlation_id"),
        f("unique_token_id").alias("unique_token_id"),
        f("session_id").alias("session_id"),
        to_int(f("sign_in_count")).fill_null(1).alias("sign_in_count"),
    ]


def _audits(frame: pl.DataFrame) -> list[pl.Expr]:
    by_agent = agent_kind(f("init_user_agent_type"), f("init_app_agent_type"))
    has_user = f("init_user_id").is_not_null() | f("init_user_upn").is_not_null()
    has_app = (
        f("init_app_id").is_not_null()
        | f("init_app_sp_id").is_not_null()
        | f("init_app_name").is_not_null()
    )
    kind = pl.coalesce(
        by_agent,
        pl.when(has_user)
        .then(pl.lit("human"))
        .when(has_app)
        .then(pl.lit("service_principal"))
        .otherwise(pl.lit("unknown")),
    )
    initiator_id = (
        pl.when(has_user)
        .then(pl.coalesce(f("init_user_id"), f("init_user_upn")))
        .otherwise(pl.coalesce(f("init_app_sp_id"), f("init_app_id")))
    )
    initiator_name = (
        pl.when(has_user)
        .then(pl.coalesce(f("init_user_upn"), f("init_user_name")))
        .otherwise(f("init_app_name"))
    )
    time = pl.coalesce(pl.col("__t_activity_time"), pl.col("__t_env_time"))
    return [
        pl.col("id").alias("event_id"),
        *common(frame, time),
        f("activity").alias("activity"),
        f("audit_category").alias("category"),
        f("operation_type").alias("operation_type"),
        f("result").alias("result"),
        f("result_reason").alias("result_reason"),
        f("logged_by_service").alias("logged_by_service"),
        f("correlation_id").alias("correlation_id"),
        kind.alias("initiator_kind"),
        initiator_id.alias("initiator_id"),
        initiator_name.alias("initiator_name"),
        f("init_app_id").alias("initiator_app_id"),
        pl.coalesce(f("init_user_ip"), opt(frame, "env_ip")).alias("initiator_ip"),
        pl.coalesce(f("init_user_agent_type"), f("init_app_agent_type")).alias(
            "initiator_agent_type"
        ),
        pl.col("user_agent"),
        pl.col("additional_details"),
        pl.col("targets"),
        pl.col("target_ids"),
    ]


def _activity_graph(frame: pl.DataFrame) -> list[pl.Expr]:
    scopes = to_list(f("scopes"))
    delegated = f("user_id").is_not_null() | (scopes.list.len().fill_null(0) > 0)
    token_type = pl.when(delegated).then(pl.lit("delegated")).otherwise(pl.lit("app"))
    actor_id = (
        pl.when(delegated)
        .then(pl.coalesce(f("user_id"), f("sp_id"), f("app_id")))
        .otherwise(pl.coalesce(f("sp_id"), f("app_id")))
    )
    actor_kind = pl.when(delegated).then(pl.lit("human")).otherwise(pl.lit("service_principal"))
    time = pl.coalesce(pl.col("__t_time_generated"), pl.col("__t_env_time"))
    return [
        pl.coalesce(f("request_id"), f("operation_id"), f("id")).alias("event_id"),
        *common(frame, time),
        f("kind").alias("source_log"),
        actor_kind.alias("actor_kind"),
        pl.lit("log_category").alias("actor_kind_source"),
        actor_id.alias("actor_id"),
        f("app_id").alias("app_id"),
        f("sp_id").alias("service_principal_id"),
        f("user_id").alias("user_id"),
        f("upn").alias("user_principal_name"),
        token_type.alias("token_type"),
        f("method").str.to_uppercase().alias("operation"),
        f("request_uri").alias("request_uri"),
        resource_path_expr(f("request_uri")).alias("resource_path"),
        f("api_version").alias("api_version"),
        to_int(f("status_code")).alias("status_code"),
        to_int(f("response_size")).alias("response_size_bytes"),
        to_int(pl.coalesce(f("duration_ms"), opt(frame, "env_duration_ms"))).alias("duration_ms"),
        f("ip").alias("ip_address"),
        f("user_agent").alias("user_agent"),
        scopes.alias("scopes"),
        to_list(f("roles")).alias("roles"),
        f("sign_in_activity_id").alias("sign_in_activity_id"),
        f("session_id").alias("session_id"),
        f("operation_id").alias("operation_id"),
        pl.lit(None, pl.String).alias("sensitivity_label_id"),
    ]


def _risk_events(frame: pl.DataFrame) -> list[pl.Expr]:
    kind = f("kind")
    risky_user = kind == "risky_user"
    # a risky-user (or risky-agent) record is its current state: each update is its own event
    state = risky_user | ((kind == "agent_risk") & f("risk_event_type").is_null())
    event_id = (
        pl.when(state & f("risk_last_updated").is_not_null())
        .then(pl.concat_str([f("id"), pl.lit("@"), f("risk_last_updated")]))
        .otherwise(f("id"))
    )
    actor_id = (
        pl.when(risky_user)
        .then(f("id"))
        .when(kind == "service_principal_risk")
        .then(f("risk_sp_id"))
        .when(kind == "agent_risk")
        .then(pl.coalesce(f("risk_agent_id"), f("risk_sp_id")))
        .otherwise(pl.coalesce(f("user_id"), f("risk_sp_id")))
    )
    actor_kind = (
        pl.when(kind == "service_principal_risk")
        .then(pl.lit("service_principal"))
        .when(kind == "agent_risk")
        .then(pl.lit("agent_identity"))
        .otherwise(pl.lit("human"))
    )
    time = pl.coalesce(
        pl.col("__t_activity_time"),
        pl.col("__t_risk_last_updated"),
        pl.col("__t_detected_time"),
        pl.col("__t_env_time"),
    )
    return [
        event_id.alias("event_id"),
        *common(frame, time),
        kind.alias("risk_kind"),
        actor_kind.alias("actor_kind"),
        actor_id.alias("actor_id"),
        f("upn").alias("user_principal_name"),
        f("user_display_name").alias("user_display_name"),
        f("risk_event_type").alias("risk_event_type"),
        f("risk_level").alias("risk_level"),
        f("risk_state").alias("risk_state"),
        f("risk_detail").alias("risk_detail"),
        f("ip").alias("ip_address"),
        f("country").alias("country"),
        pl.col("__t_detected_time").alias("detected_time"),
    ]


_OWNER = (
    r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _agent_facts(frame: pl.DataFrame) -> list[pl.Expr]:
    """Defender's agent inventory: each snapshot of an agent is one fact (id @ time)."""
    agent_id = pl.coalesce(f("inv_agent_id"), f("inv_ai_agent_id"))
    time = pl.col("__t_inv_time")
    stamp = time.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    return [
        pl.when(agent_id.is_not_null())
        .then(pl.concat_str([agent_id, pl.lit("@"), stamp.fill_null("")]))
        .alias("event_id"),
        *common(frame, time),
        f("kind").alias("fact_source"),
        agent_id.alias("agent_id"),
        f("inv_agent_name").alias("agent_name"),
        f("inv_platform").alias("platform"),
        f("inv_entra_agent_id").alias("entra_agent_id"),
        f("inv_blueprint_id").alias("entra_blueprint_id"),
        f("inv_source_agent_id").alias("source_agent_id"),
        f("inv_description").alias("description"),
        f("inv_status").alias("status"),
        f("inv_published_status").alias("published_status"),
        pl.col("__t_inv_created").alias("created_time"),
        pl.col("__t_inv_modified").alias("last_modified_time"),
        f("inv_created_by").alias("created_by"),
        f("inv_owners")
        .str.extract_all(_OWNER)
        .fill_null(pl.lit([], pl.List(pl.String)))
        .alias("owners"),
        f("inv_environment_id").alias("environment_id"),
    ]


TIME_FIELDS = (
    "created",
    "env_time",
    "activity_time",
    "time_generated",
    "risk_last_updated",
    "detected_time",
    "inv_time",
    "inv_created",
    "inv_modified",
)


#: how each table's canonical columns are built; a dialect may build a table its own way
#: (``Dialect.normalisers``: Microsoft 365 records' activity rows)
NORMALISERS: dict[str, Normaliser] = {
    "signins": Normaliser(_signins, time_field="created", id_label="id"),
    "audits": Normaliser(_audits, time_field="activity_time", id_label="id"),
    "activity": Normaliser(_activity_graph, time_field="time_generated", id_label="request_id"),
    "risk_events": Normaliser(_risk_events, time_field="activity_time", id_label="id"),
    "agent_facts": Normaliser(_agent_facts, time_field="inv_time", id_label="AgentId/AIAgentId"),
}


def normaliser(table: str, dialect: Dialect) -> Normaliser:
    """How ``table``'s rows are built from records of ``dialect``."""
    return dialect.normalisers.get(table) or NORMALISERS[table]


def attach_targets(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``targets``, ``target_ids``, ``additional_details`` and ``user_agent`` decoded from
    ``targets_json`` and ``details_json`` (audits)."""
    src = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("idx"), "targets_json", "details_json"
    )
    con.register("targets", src.to_arrow())
    try:
        out = pl.from_arrow(con.sql(sql("targets.sql")).to_arrow_table())
    finally:
        con.unregister("targets")
    assert isinstance(out, pl.DataFrame)
    return frame.with_columns(
        out.get_column(name)
        for name in ("targets", "target_ids", "additional_details", "user_agent")
    )


def _context_column(frame: pl.DataFrame, context: dict[str, object], name: str) -> pl.Expr:
    """``name`` from ``context`` (one value for the batch) or, when absent there, per row from
    the frame's column of that name (a batch coalesced from several files)."""
    if name in context:
        return pl.lit(context[name], pl.String).alias(name)
    return pl.col(name).cast(pl.String).alias(name)


@dataclass(frozen=True)
class _Columns:
    """What the expression builders look at in a frame: which columns it has."""

    columns: tuple[str, ...]


@cache
def _table_exprs(built_by: Normaliser, columns: tuple[str, ...]) -> list[pl.Expr]:
    """A table's canonical column expressions for a frame with ``columns`` (built once:
    polars expressions are plans, reused for every batch of the same shape)."""
    return built_by.build(cast(pl.DataFrame, _Columns(columns)))


def normalise(
    con: duckdb.DuckDBPyConnection,
    frame: pl.DataFrame,
    table: str,
    dialect: str,
    context: dict[str, object],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Canonical rows of ``table`` (every column but ``raw`` and the dedupe flag, plus ``_row``)
    and the rows to quarantine (_row, line_no, reason).

    ``frame`` holds the extracted fields plus line_no, _row (the record's index in its batch,
    where the caller takes ``raw`` from), category, kind. ``context`` gives ingest_time and
    source_file / source_format (each either there or a column of ``frame``).
    """
    if table == "audits":
        frame = attach_targets(con, frame)
    frame = parse_time_columns(frame, TIME_FIELDS, "__t_")
    spec = registry.get(dialect)
    built_by = normaliser(table, spec)
    exprs = _table_exprs(built_by, tuple(frame.columns))
    schema = TABLES[table]
    ingest_time = context["ingest_time"]
    assert isinstance(ingest_time, datetime)
    built = frame.select(
        pl.col("line_no"),
        pl.col("_row"),
        pl.col("category").alias("log_category"),
        pl.lit(ingest_time, pl.Datetime("us", "UTC")).alias("ingest_time"),
        _context_column(frame, context, "source_format"),
        _context_column(frame, context, "source_file"),
        pl.col(built_by.time_field).alias("_time_text"),
        *exprs,
    )
    id_path = spec.id_label or built_by.id_label
    reason = (
        pl.when(pl.col("event_id").is_null())
        .then(pl.lit(f"record without an id (field '{id_path}' missing or empty)"))
        .when(pl.col("event_time").is_null())
        .then(
            pl.lit(f"record without a usable time (field '{built_by.time_field}' ")
            + pl.coalesce(
                pl.lit("is '") + pl.col("_time_text").str.slice(0, 60) + pl.lit("')"),
                pl.lit("missing)"),
            )
        )
        .otherwise(None)
    )
    built = built.with_columns(reason.alias("_reason"))
    bad = built.filter(pl.col("_reason").is_not_null()).select(
        "_row", "line_no", pl.col("_reason").alias("reason")
    )
    good = built.filter(pl.col("_reason").is_null()) if bad.height else built
    good = good.with_columns(pl.col("line_no").alias("source_line"))
    # conflicting_duplicate is set by dedupe, once the lake's versions are known
    columns = [n for n in schema.names if n not in ("raw", CONFLICT_COLUMN)]
    return good.select(*columns, "_row"), bad
