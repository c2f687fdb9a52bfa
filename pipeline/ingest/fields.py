"""The fields each table's normaliser reads, and a dialect's field map compiled into DuckDB paths.

A dialect (pipeline/ingest/dialects/) maps every canonical field it knows to specs tried in order
(the first non-empty wins); a spec is a DuckDB JSON path, optionally followed by ``|`` and a
second path applied to the JSON text found there. ``CompiledDialect`` flattens one dialect's
specs into the path list one DuckDB query extracts per record. ``TABLE_FIELDS`` names the
canonical fields each table's normaliser reads: a batch of records that name their category is
extracted for its table's fields only.
"""

from __future__ import annotations


class CompiledDialect:
    """One dialect's specs as a flat DuckDB path list plus, per field, where to look in it."""

    def __init__(self, name: str, fields: dict[str, list[str]]):
        self.name = name
        paths: list[str] = []
        index: dict[str, int] = {}
        self.fields: dict[str, list[tuple[int, str | None]]] = {}
        for field, specs in fields.items():
            candidates = []
            for spec in specs:
                outer, _, inner = spec.partition("|")
                if outer not in index:
                    index[outer] = len(paths)
                    paths.append(outer)
                candidates.append((index[outer], inner or None))
            self.fields[field] = candidates
        self.paths = paths


#: read for every table: the envelope's category, the record's id, tenant, time and caller
_ALWAYS = (
    "category",
    "id",
    "tenant_id",
    "env_time",
    "env_tenant_id",
    "env_ip",
    "env_duration_ms",
)
#: the fields each table's normaliser reads (a batch of one table extracts only these)
TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "signins": _ALWAYS
    + (
        "created",
        "user_id",
        "upn",
        "user_display_name",
        "user_type",
        "app_id",
        "app_display_name",
        "sp_id",
        "sp_name",
        "agent_type",
        "agent_subject_type",
        "agent_parent_app_id",
        "agent_subject_parent_id",
        "resource_id",
        "resource_display_name",
        "ip",
        "asn",
        "country",
        "state",
        "city",
        "lat",
        "lon",
        "user_agent",
        "client_app_used",
        "device_id",
        "device_os",
        "device_browser",
        "device_is_compliant",
        "device_is_managed",
        "is_interactive",
        "error_code",
        "failure_reason",
        "ca_status",
        "risk_level",
        "risk_state",
        "client_credential_type",
        "credential_key_id",
        "auth_protocol",
        "incoming_token_type",
        "correlation_id",
        "unique_token_id",
        "session_id",
        "sign_in_count",
        "event_types",
        "location",
        "status",
    ),  # fmt: skip
    "audits": _ALWAYS
    + (
        "activity_time",
        "activity",
        "audit_category",
        "operation_type",
        "result",
        "result_reason",
        "logged_by_service",
        "correlation_id",
        "init_user_id",
        "init_user_upn",
        "init_user_name",
        "init_user_ip",
        "init_user_agent_type",
        "init_app_id",
        "init_app_sp_id",
        "init_app_name",
        "init_app_agent_type",
        "targets_json",
        "details_json",
    ),  # fmt: skip
    "activity": _ALWAYS
    + (
        "time_generated",
        "request_id",
        "operation_id",
        "method",
        "request_uri",
        "api_version",
        "status_code",
        "response_size",
        "duration_ms",
        "scopes",
        "roles",
        "sign_in_activity_id",
        "session_id",
        "user_id",
        "upn",
        "app_id",
        "sp_id",
        "ip",
        "user_agent",
    ),  # fmt: skip
    "risk_events": _ALWAYS
    + (
        "activity_time",
        "risk_last_updated",
        "detected_time",
        "risk_event_type",
        "risk_level",
        "risk_state",
        "risk_detail",
        "ip",
        "country",
        "user_id",
        "upn",
        "user_display_name",
        "risk_sp_id",
        "risk_agent_id",
        "risk_agent_name",
    ),  # fmt: skip
}


TABLE_FIELDS["agent_facts"] = _ALWAYS + (
    "inv_time",
    "inv_agent_id",
    "inv_ai_agent_id",
    "inv_agent_name",
    "inv_platform",
    "inv_entra_agent_id",
    "inv_blueprint_id",
    "inv_source_agent_id",
    "inv_description",
    "inv_status",
    "inv_published_status",
    "inv_created",
    "inv_modified",
    "inv_created_by",
    "inv_owners",
    "inv_environment_id",
)  # fmt: skip


def table_fields(table: str | None) -> tuple[str, ...] | None:
    """The fields ``table``'s normaliser reads; None for every field (no table, or unknown)."""
    return TABLE_FIELDS.get(table) if table else None
