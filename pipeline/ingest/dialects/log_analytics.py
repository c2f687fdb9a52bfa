"""Log Analytics / Sentinel rows: PascalCase columns, nested values as JSON text.

Rows of the Entra tables (``SigninLogs``, ``AADNonInteractiveUserSignInLogs``, ``AuditLogs``,
``MicrosoftGraphActivityLogs``, the risk tables …) exported as JSON or CSV, the query API's
``{"tables": [{"columns": [...], "rows": [...]}]}`` response (reader.py makes each row an object)
and a hunting query's export: extra projected columns, ``Type`` overwritten or dropped, columns
left out; the row's own columns then tell its table. Defender's agent inventory comes in the same
exports (defender_inventory.py); Sentinel's ``OfficeActivity`` rows are their own dialect
(office_activity.py) and may share a file with these.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.categories import CATEGORY_TABLE
from pipeline.ingest.dialects import defender_inventory
from pipeline.ingest.dialects.base import Dialect
from pipeline.ingest.exprs import present

ENTRA_FIELDS: dict[str, list[str]] = {
    "category": ["$.Type", "$.Category"],
    "env_time": ["$.TimeGenerated", '$."TimeGenerated [UTC]"'],
    "id": ["$.Id", "$.RequestId"],
    "tenant_id": ["$.TenantId", "$.AADTenantId"],
    "created": ["$.CreatedDateTime", '$."CreatedDateTime [UTC]"'],
    "user_id": ["$.UserId"],
    "upn": ["$.UserPrincipalName"],
    "user_display_name": ["$.UserDisplayName"],
    "user_type": ["$.UserType"],
    "app_id": ["$.AppId"],
    "app_display_name": ["$.AppDisplayName"],
    "sp_id": ["$.ServicePrincipalId"],
    "sp_name": ["$.ServicePrincipalName"],
    "agent_type": ["$.Agent|$.agentType", "$.AgentType"],
    "agent_subject_type": ["$.Agent|$.agentSubjectType", "$.AgentSubjectType"],
    "agent_parent_app_id": ["$.Agent|$.parentAppId", "$.AgentParentAppId"],
    "agent_subject_parent_id": ["$.Agent|$.agentSubjectParentId", "$.AgentSubjectParentId"],
    "resource_id": ["$.ResourceIdentity"],
    "resource_display_name": ["$.ResourceDisplayName"],
    "ip": ["$.IPAddress", "$.IpAddress", "$.CallerIpAddress"],
    "asn": ["$.AutonomousSystemNumber"],
    "country": ["$.LocationDetails|$.countryOrRegion", "$.Location"],
    "state": ["$.LocationDetails|$.state"],
    "city": ["$.LocationDetails|$.city"],
    "lat": ["$.LocationDetails|$.geoCoordinates.latitude"],
    "lon": ["$.LocationDetails|$.geoCoordinates.longitude"],
    "user_agent": ["$.UserAgent"],
    "client_app_used": ["$.ClientAppUsed"],
    "device_id": ["$.DeviceDetail|$.deviceId"],
    "device_os": ["$.DeviceDetail|$.operatingSystem"],
    "device_browser": ["$.DeviceDetail|$.browser"],
    "device_is_compliant": ["$.DeviceDetail|$.isCompliant"],
    "device_is_managed": ["$.DeviceDetail|$.isManaged"],
    "is_interactive": ["$.IsInteractive"],
    "error_code": ["$.Status|$.errorCode", "$.ResultType"],
    "failure_reason": ["$.Status|$.failureReason", "$.ResultDescription"],
    "ca_status": ["$.ConditionalAccessStatus"],
    "risk_level": ["$.RiskLevelDuringSignIn", "$.RiskLevel"],
    "risk_state": ["$.RiskState"],
    "client_credential_type": ["$.ClientCredentialType"],
    "credential_key_id": ["$.ServicePrincipalCredentialKeyId"],
    "auth_protocol": ["$.AuthenticationProtocol"],
    "incoming_token_type": ["$.IncomingTokenType"],
    "correlation_id": ["$.CorrelationId"],
    "unique_token_id": ["$.UniqueTokenIdentifier"],
    "session_id": ["$.SessionId"],
    "sign_in_count": ["$.SignInCount"],
    "event_types": ["$.SignInEventTypes"],
    "activity_time": ["$.ActivityDateTime", '$."ActivityDateTime [UTC]"'],
    "activity": ["$.ActivityDisplayName", "$.OperationName"],
    "audit_category": ["$.Category"],
    "operation_type": ["$.AADOperationType", "$.OperationType"],
    "result": ["$.Result"],
    "result_reason": ["$.ResultReason"],
    "logged_by_service": ["$.LoggedByService"],
    "init_user_id": ["$.InitiatedBy|$.user.id"],
    "init_user_upn": ["$.InitiatedBy|$.user.userPrincipalName"],
    "init_user_name": ["$.InitiatedBy|$.user.displayName"],
    "init_user_ip": ["$.InitiatedBy|$.user.ipAddress"],
    "init_user_agent_type": ["$.InitiatedBy|$.user.agentType"],
    "init_app_id": ["$.InitiatedBy|$.app.appId"],
    "init_app_sp_id": ["$.InitiatedBy|$.app.servicePrincipalId"],
    "init_app_name": ["$.InitiatedBy|$.app.displayName"],
    "init_app_agent_type": ["$.InitiatedBy|$.app.agentType"],
    "targets_json": ["$.TargetResources"],
    "details_json": ["$.AdditionalDetails"],
    "time_generated": ["$.TimeGenerated", '$."TimeGenerated [UTC]"'],
    "request_id": ["$.RequestId"],
    "operation_id": ["$.OperationId"],
    "method": ["$.RequestMethod"],
    "request_uri": ["$.RequestUri"],
    "api_version": ["$.ApiVersion"],
    "status_code": ["$.ResponseStatusCode"],
    "response_size": ["$.ResponseSizeBytes"],
    "duration_ms": ["$.DurationMs"],
    "scopes": ["$.Scopes"],
    "roles": ["$.Roles"],
    "sign_in_activity_id": ["$.SignInActivityId"],
    "token_idtyp": [],
    "risk_event_type": ["$.RiskEventType"],
    "risk_detail": ["$.RiskDetail"],
    "risk_last_updated": ["$.RiskLastUpdatedDateTime", "$.RiskLastModifiedDateTime"],
    "detected_time": ["$.DetectedDateTime"],
    "risk_sp_id": ["$.ServicePrincipalId", "$.AppId"],
    "risk_agent_id": ["$.AgentId", "$.Id"],
    "risk_agent_name": ["$.AgentDisplayName"],
    # the columns a query's projection leaves: which table the row came from (categories.py)
    "la_type": ["$.Type"],
    "la_category": ["$.Category"],
    "shape_request_uri": ["$.RequestUri"],
    "shape_request_method": ["$.RequestMethod"],
    "shape_activity": ["$.ActivityDisplayName", "$.OperationName"],
    "shape_initiated_by": ["$.InitiatedBy"],
    "shape_targets": ["$.TargetResources"],
    "shape_app_id": ["$.AppId"],
    "shape_result_type": ["$.ResultType"],
    "shape_ip": ["$.IPAddress"],
    "shape_upn": ["$.UserPrincipalName"],
    "shape_sp": ["$.ServicePrincipalId", "$.ServicePrincipalName"],
    "shape_interactive": ["$.IsInteractive"],
}

FIELDS = {**ENTRA_FIELDS, **defender_inventory.FIELDS}

#: the columns that tell a table from a row's shape (extracted for every table)
SHAPE_FIELDS = tuple(k for k in ENTRA_FIELDS if k.startswith(("la_", "shape_")))

#: Log Analytics columns of the Entra tables that a query's projection tends to keep
SHAPE_KEYS = (
    frozenset({"RequestUri", "ActivityDisplayName", "InitiatedBy", "TargetResources", "ResultType"})
    | defender_inventory.SHAPE_KEYS
)
#: CSV headers (normalised) that say Log Analytics
TIME_MARKERS = {"timegenerated", "timegenerated [utc]"}
SHAPE_MARKERS = {k.lower() for k in SHAPE_KEYS}

#: what a row without a known ``Type`` is recognised by (named in its quarantine)
LA_SHAPES = (
    "RequestUri + RequestMethod (Graph activity), "
    "ActivityDisplayName/OperationName + InitiatedBy/TargetResources/Category (audit), "
    "AppId + ResultType + IPAddress/UserPrincipalName/ServicePrincipalId (sign-in), "
    + defender_inventory.SHAPE_TEXT
)


def _known(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_lowercase().is_in(list(CATEGORY_TABLE)).fill_null(False)


def _category() -> pl.Expr:
    """A Log Analytics row's table: its ``Type`` (or sign-in ``Category``) when that names a
    known table, else its shape. A query may overwrite ``Type`` (``AuditLogs_CL``), drop it, add
    projected columns or leave columns out; the row's own columns still say what it is."""
    la_type, la_category = pl.col("la_type"), pl.col("la_category")
    graph = present("shape_request_uri") & present("shape_request_method")
    activity = present("shape_activity")
    audit_strong = activity & (present("shape_initiated_by") | present("shape_targets"))
    signin = (
        present("shape_app_id")
        & present("shape_result_type")
        & (present("shape_ip") | present("shape_upn") | present("shape_sp"))
    )
    sp_signin = present("shape_sp") & ~present("shape_upn")
    # OperationName + Category alone is also AzureActivity's or AzureDiagnostics' shape: trusted
    # only when Type is gone or a custom table's (``_CL``), not when it names another table
    untyped = ~present("la_type") | la_type.str.strip_chars().str.ends_with("_CL")
    interactive = pl.col("shape_interactive").str.to_lowercase()
    return (
        pl.when(_known(la_type))
        .then(la_type)
        .when(_known(la_category))
        .then(la_category)
        .when(graph)
        .then(pl.lit("MicrosoftGraphActivityLogs"))
        .when(audit_strong)
        .then(pl.lit("AuditLogs"))
        .when(signin)
        .then(
            pl.when(sp_signin)
            .then(pl.lit("AADServicePrincipalSignInLogs"))
            .when(interactive.is_in(["false", "0"]).fill_null(False))
            .then(pl.lit("AADNonInteractiveUserSignInLogs"))
            .otherwise(pl.lit("SigninLogs"))
        )
        .when(activity & present("la_category") & untyped)
        .then(pl.lit("AuditLogs"))
        # Defender's agent inventory, else no Entra shape: null or the unknown table's name
        # (quarantined)
        .otherwise(pl.coalesce(defender_inventory.category(), la_type))
    )


class LogAnalytics(Dialect):
    name = "loganalytics"
    title = "Log Analytics / Sentinel"
    source_format = "loganalytics"
    fields = FIELDS
    category_fields = SHAPE_FIELDS + defender_inventory.SHAPE_FIELDS
    padded = True
    names_category = True
    mixed_with = "officeactivity"
    includes = ("defender_inventory",)
    no_category_reason = (
        f"Log Analytics row with no Entra shape (no known Type; looked for {LA_SHAPES})"
    )
    unknown_category_note = f"; nor of an Entra shape: looked for {LA_SHAPES}"

    def recognise(self, record: dict) -> bool:
        keys = set(record)
        if "TimeGenerated" in keys or ("Type" in keys and "TenantId" in keys):
            return True
        # a query's projection: PascalCase columns of an Entra table
        return any(isinstance(k, str) and k[:1].isupper() for k in keys) and (
            "Id" in keys or bool(SHAPE_KEYS & keys)
        )

    def recognise_header(self, keys: set[str]) -> bool:
        # a query's projection may leave out TimeGenerated and Type: Entra columns still tell
        return (
            bool(keys & TIME_MARKERS) or {"type", "tenantid"} <= keys or bool(keys & SHAPE_MARKERS)
        )

    def category(self) -> pl.Expr:
        return _category()

    def other_rows(self) -> pl.Expr:
        """OfficeActivity rows among the Entra rows (a union query's export)."""
        la_type = pl.col("la_type").str.strip_chars().str.to_lowercase()
        return la_type == "officeactivity"


DIALECT = LogAnalytics()
