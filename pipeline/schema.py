"""The canonical lake tables, declared once (DESIGN.md section 4).

Every table is an Arrow schema. Writers cast to it before writing Parquet; readers (DuckDB views,
detectors, the report) rely on these exact column names and types. Bump ``SCHEMA_VERSION`` when a
column changes; it is stored in every Parquet file's metadata under ``agentaudit.schema_version``.
"""

from __future__ import annotations

import pyarrow as pa

#: 2: event tables gained ``conflicting_duplicate`` (files of version 1 read it as false);
#:    audits gained user_agent and additional_details, their targets modified (maps by name)
SCHEMA_VERSION = "2"
METADATA_KEY = b"agentaudit.schema_version"

TS = pa.timestamp("us", tz="UTC")
STR = pa.string()
STRS = pa.list_(pa.string())
I64 = pa.int64()
F64 = pa.float64()

# Columns every event table starts with.
COMMON: list[tuple[str, pa.DataType]] = [
    ("event_id", STR),
    ("event_time", TS),
    ("ingest_time", TS),
    ("tenant_id", STR),
    ("source_format", STR),  # storage | eventhub | graph | loganalytics | portal | m365 | …
    ("source_file", STR),
    ("source_line", pa.int64()),
    ("log_category", STR),  # the Entra category the record came from, e.g. SignInLogs
]

SIGNINS: list[tuple[str, pa.DataType]] = [
    # interactive | non_interactive | service_principal | managed_identity | adfs | other
    ("log_type", STR),
    ("actor_kind", STR),
    ("actor_kind_source", STR),  # entra_agent_fields | registry | log_category | none
    ("actor_id", STR),
    ("actor_name", STR),
    ("user_id", STR),
    ("user_principal_name", STR),
    ("user_display_name", STR),
    ("user_type", STR),
    ("app_id", STR),
    ("app_display_name", STR),
    ("service_principal_id", STR),
    ("service_principal_name", STR),
    ("agent_type", STR),
    ("agent_subject_type", STR),
    ("agent_parent_app_id", STR),
    ("agent_subject_parent_id", STR),
    ("resource_id", STR),
    ("resource_display_name", STR),
    ("ip_address", STR),
    ("autonomous_system_number", pa.int64()),
    ("country", STR),
    ("state", STR),
    ("city", STR),
    ("latitude", pa.float64()),
    ("longitude", pa.float64()),
    ("user_agent", STR),
    ("client_app_used", STR),
    ("device_id", STR),
    ("device_os", STR),
    ("device_browser", STR),
    ("device_is_compliant", pa.bool_()),
    ("device_is_managed", pa.bool_()),
    ("is_interactive", pa.bool_()),
    ("error_code", pa.int64()),
    ("failure_reason", STR),
    ("succeeded", pa.bool_()),
    ("conditional_access_status", STR),
    ("risk_level", STR),
    ("risk_state", STR),
    ("client_credential_type", STR),
    ("credential_key_id", STR),
    ("authentication_protocol", STR),
    ("incoming_token_type", STR),
    ("correlation_id", STR),
    ("unique_token_id", STR),
    ("session_id", STR),
    ("sign_in_count", pa.int64()),
]

CHANGE = pa.struct([("old_value", STR), ("new_value", STR)])
MODIFIED_PROPERTY = pa.struct([("name", STR), ("old_value", STR), ("new_value", STR)])
TARGET = pa.struct(
    [
        ("id", STR),
        ("type", STR),
        ("display_name", STR),
        ("user_principal_name", STR),
        ("agent_type", STR),
        ("modified_properties", pa.list_(MODIFIED_PROPERTY)),
        # the same, keyed by property name (the first of repeated names): modified['KeyDescription']
        ("modified", pa.map_(STR, CHANGE)),
    ]
)

AUDITS: list[tuple[str, pa.DataType]] = [
    ("activity", STR),
    ("category", STR),  # the directory audit's own category (UserManagement, …)
    ("operation_type", STR),
    ("result", STR),
    ("result_reason", STR),
    ("logged_by_service", STR),
    ("correlation_id", STR),
    ("initiator_kind", STR),
    ("initiator_id", STR),
    ("initiator_name", STR),
    ("initiator_app_id", STR),
    ("initiator_ip", STR),
    ("initiator_agent_type", STR),
    ("user_agent", STR),  # the initiator's client, from additionalDetails' User-Agent
    ("additional_details", pa.map_(STR, STR)),  # additionalDetails keyed by name
    ("targets", pa.list_(TARGET)),
    ("target_ids", STRS),
]

ACTIVITY: list[tuple[str, pa.DataType]] = [
    ("source_log", STR),  # graph | m365
    ("actor_kind", STR),
    ("actor_kind_source", STR),
    ("actor_id", STR),
    ("app_id", STR),
    ("service_principal_id", STR),
    ("user_id", STR),
    ("user_principal_name", STR),
    ("token_type", STR),  # app | delegated
    ("operation", STR),
    ("request_uri", STR),
    ("resource_path", STR),
    ("api_version", STR),
    ("status_code", pa.int64()),
    ("response_size_bytes", pa.int64()),
    ("duration_ms", pa.int64()),
    ("ip_address", STR),
    ("user_agent", STR),
    ("scopes", STRS),
    ("roles", STRS),
    ("sign_in_activity_id", STR),
    ("session_id", STR),
    ("operation_id", STR),
    ("sensitivity_label_id", STR),
]

RISK_EVENTS: list[tuple[str, pa.DataType]] = [
    ("risk_kind", STR),  # risky_user | user_risk_event | service_principal_risk | agent_risk
    ("actor_kind", STR),
    ("actor_id", STR),
    ("user_principal_name", STR),
    ("user_display_name", STR),
    ("risk_event_type", STR),
    ("risk_level", STR),
    ("risk_state", STR),
    ("risk_detail", STR),
    ("ip_address", STR),
    ("country", STR),
    ("detected_time", TS),
]

#: Microsoft Defender's agent inventory (advanced hunting AgentsInfo, and AIAgentsInfo before it):
#: one row per agent per snapshot, facts the identities can be joined with (entra_agent_id is
#: the agent identity's object id, entra_blueprint_id its blueprint).
AGENT_FACTS: list[tuple[str, pa.DataType]] = [
    ("fact_source", STR),  # agents_info | ai_agents_info
    ("agent_id", STR),
    ("agent_name", STR),
    ("platform", STR),
    ("entra_agent_id", STR),
    ("entra_blueprint_id", STR),
    ("source_agent_id", STR),
    ("description", STR),
    ("status", STR),  # LifecycleStatus (AgentsInfo) or AgentStatus (AIAgentsInfo)
    ("published_status", STR),
    ("created_time", TS),
    ("last_modified_time", TS),
    ("created_by", STR),
    ("owners", STRS),  # UPNs or object ids
    ("environment_id", STR),
]

QUARANTINE: list[tuple[str, pa.DataType]] = [
    ("ingest_time", TS),
    ("source_file", STR),
    ("source_line", pa.int64()),
    ("source_format", STR),
    ("reason", STR),
    ("raw_text", STR),
]

#: true on a later version of an event already stored with other content (same event key,
#: different fields): kept so no version is lost; count events WHERE NOT conflicting_duplicate
CONFLICT_COLUMN = "conflicting_duplicate"
FLAGS: list[tuple[str, pa.DataType]] = [(CONFLICT_COLUMN, pa.bool_())]
#: columns added to the event tables after schema version 1, with the value older files mean
ADDED_COLUMNS: dict[str, str] = {CONFLICT_COLUMN: "false"}
#: field metadata key of a column added to a table after its files were first written: the SQL
#: value older files mean (the event tables list theirs in ADDED_COLUMNS)
ADDED_DEFAULT = b"added_default"

RAW: list[tuple[str, pa.DataType]] = [("raw", STR)]


def _schema(*parts: list[tuple[str, pa.DataType]]) -> pa.Schema:
    fields = [pa.field(name, typ) for part in parts for name, typ in part]
    return pa.schema(fields, metadata={METADATA_KEY: SCHEMA_VERSION.encode()})


TABLES: dict[str, pa.Schema] = {
    "signins": _schema(COMMON, SIGNINS, FLAGS, RAW),
    "audits": _schema(COMMON, AUDITS, FLAGS, RAW),
    "activity": _schema(COMMON, ACTIVITY, FLAGS, RAW),
    "risk_events": _schema(COMMON, RISK_EVENTS, FLAGS, RAW),
    "agent_facts": _schema(COMMON, AGENT_FACTS, FLAGS, RAW),
}
QUARANTINE_SCHEMA = _schema(QUARANTINE)

#: actor_kind values (DESIGN.md section 5)
ACTOR_KINDS = (
    "human",
    "guest",
    "agent_identity",
    "agent_user",
    "agent_blueprint",
    "service_principal",
    "managed_identity",
    "unknown",
)
AGENT_KINDS = ("agent_identity", "agent_user", "agent_blueprint")


# --- the findings the detectors write (detectors/store.py): lake/findings/date=D/findings.parquet
#: the full Finding is kept as JSON next to flat columns that investigators query
FINDINGS = pa.schema(
    [
        ("finding_id", STR),
        ("rule_id", STR),
        ("family", STR),
        ("title", STR),
        ("severity", STR),
        ("score", pa.float64()),
        ("identity_id", STR),
        ("identity_kind", STR),
        ("identity_name", STR),
        ("app_id", STR),
        ("on_behalf_of_id", STR),
        ("window_start", TS),
        ("window_end", TS),
        ("evidence_event_ids", STRS),
        ("explanation", STR),
        ("attacks", STRS),
        ("run_id", STR),
        ("tenant_id", STR),
        ("suppressed", pa.bool_()),
        ("finding_json", STR),
        # added with the accountable human: files written before read as the findings
        # model reads them (Finding._older_finding): the person acted for, else nobody
        pa.field(
            "accountable",
            STR,
            metadata={ADDED_DEFAULT: b"coalesce(on_behalf_of_id, 'unaccountable')"},
        ),
        pa.field(
            "accountable_basis",
            STR,
            metadata={
                ADDED_DEFAULT: b"CASE WHEN on_behalf_of_id IS NULL THEN 'none' "
                b"ELSE 'delegating_user' END"
            },
        ),
    ]
)


# --- the rollups the baselines write (pipeline/baselines/rollup.py) under lake/rollups/
#: lake/rollups/identity_day/date=D/rollup.parquet: one row per identity and day
IDENTITY_DAY = pa.schema(
    [
        ("identity_id", STR),
        ("day", pa.date32()),
        ("identity_kind", STR),
        ("kind_source", STR),
        ("identity_name", STR),
        ("app_id", STR),
        ("blueprint", STR),
        ("registered", pa.bool_()),
        ("sponsor", STR),
        ("tenant_id", STR),
        ("events", I64),
        ("signins", I64),
        ("failed_signins", I64),
        ("requests", I64),
        ("failed_requests", I64),
        ("obo_events", I64),
        ("distinct_resources", I64),
        ("distinct_paths", I64),
        ("distinct_ips", I64),
        ("distinct_asns", I64),
        ("distinct_countries", I64),
        ("distinct_user_agents", I64),
        ("distinct_credential_keys", I64),
        ("distinct_obo_users", I64),
        ("bytes", I64),
        ("sensitive_events", I64),
        ("sensitive_share", F64),
        ("active_hours", I64),
        ("night_events", I64),
        ("first_time", TS),
        ("last_time", TS),
    ]
)

#: lake/rollups/identity_day_values/date=D/values.parquet: distinct values per identity and day
IDENTITY_DAY_VALUES = pa.schema(
    [
        ("identity_id", STR),
        ("day", pa.date32()),
        ("dimension", STR),  # resource | app | resource_path | ip | asn | country | …
        ("value", STR),
        ("events", I64),
        ("first_time", TS),
        ("last_time", TS),
    ]
)

#: lake/rollups/agent_directory/date=D/directory.parquet: agents seen in agent sign-ins, by key
AGENT_DIRECTORY = pa.schema(
    [
        ("key", STR),  # lower-case service principal id, app id or (agent users) user id
        ("kind", STR),
        ("identity_id", STR),
        ("blueprint", STR),
        ("name", STR),
        ("last_seen", TS),
    ]
)

#: lake/rollups/resource_paths/date=D/paths.parquet: distinct activity resource paths of a day
#: (the catalog tags each distinct path once per connection: tags follow agentaudit.toml)
RESOURCE_PATHS = pa.schema([("resource_path", STR), ("events", I64)])

ROLLUPS: dict[str, pa.Schema] = {
    "identity_day": IDENTITY_DAY,
    "identity_day_values": IDENTITY_DAY_VALUES,
    "agent_directory": AGENT_DIRECTORY,
    "resource_paths": RESOURCE_PATHS,
}

DIMENSIONS = (
    "resource",
    "app",
    "resource_path",
    "ip",
    "asn",
    "country",
    "user_agent",
    "credential_key",
    "hour_of_week",
    "obo_user",
)
