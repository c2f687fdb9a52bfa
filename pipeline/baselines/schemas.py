"""Arrow schemas of the rollups under lake/rollups/ (kept apart so the catalog can import them)."""

from __future__ import annotations

import pyarrow as pa

STR = pa.string()
I64 = pa.int64()
F64 = pa.float64()

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
        ("first_time", pa.timestamp("us", tz="UTC")),
        ("last_time", pa.timestamp("us", tz="UTC")),
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
        ("first_time", pa.timestamp("us", tz="UTC")),
        ("last_time", pa.timestamp("us", tz="UTC")),
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
        ("last_seen", pa.timestamp("us", tz="UTC")),
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
