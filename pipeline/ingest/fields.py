"""Where each field sits in each record dialect.

A *dialect* is the shape of one record once a file is split into records:

- ``azure_monitor``: the diagnostic-settings envelope (storage ``PT1H.json`` lines and Event Hub
  records): ``time``, ``category``, ``tenantId`` … and the Graph-shaped record under ``properties``;
- ``graph``: a Microsoft Graph resource as the API returns it (``signIn``, ``directoryAudit``,
  summarized sign-ins, ``riskyUser``, ``riskDetection``), also the admin center's JSON download;
- ``loganalytics``: Log Analytics / Sentinel rows, PascalCase columns, nested values as JSON text;
- ``portal``: the admin center's CSV download (English headers, normalised by ``csv_reader``);
- ``m365``: Microsoft 365 unified audit records (``AuditData``).

Each field maps to one or more *specs*, tried in order (the first non-empty wins). A spec is a
DuckDB JSON path, optionally followed by ``|`` and a second path applied to the JSON text found
there (Log Analytics keeps nested values as JSON strings). A Graph record's small ``agent``
object is taken whole and read by the second path: DuckDB finds a key by scanning its object,
and one lookup of an absent ``agent`` costs less than five of its absent fields.
"""

from __future__ import annotations

# Field name -> path relative to a Graph-shaped record (no leading "$.").
GRAPH_RELATIVE: dict[str, list[str]] = {
    "id": ["id"],
    "tenant_id": ["tenantId"],
    # sign-ins
    "created": ["createdDateTime", "aggregatedEventDateTime", "lastSignInDateTime"],
    "user_id": ["userId"],
    "upn": ["userPrincipalName"],
    "user_display_name": ["userDisplayName"],
    "user_type": ["userType"],
    "app_id": ["appId"],
    "app_display_name": ["appDisplayName"],
    "sp_id": ["servicePrincipalId"],
    "sp_name": ["servicePrincipalName"],
    "agent_type": ["agent|$.agentType"],
    "agent_subject_type": ["agent|$.agentSubjectType"],
    "agent_parent_app_id": ["agent|$.parentAppId", "agent|$.agentParentAppId"],
    "agent_subject_parent_id": ["agent|$.agentSubjectParentId"],
    "resource_id": ["resourceId"],
    "resource_display_name": ["resourceDisplayName"],
    "ip": ["ipAddress"],
    "asn": ["autonomousSystemNumber"],
    "country": ["location.countryOrRegion"],
    "state": ["location.state"],
    "city": ["location.city"],
    "lat": ["location.geoCoordinates.latitude"],
    "lon": ["location.geoCoordinates.longitude"],
    "user_agent": ["userAgent"],
    "client_app_used": ["clientAppUsed"],
    "device_id": ["deviceDetail.deviceId"],
    "device_os": ["deviceDetail.operatingSystem"],
    "device_browser": ["deviceDetail.browser"],
    "device_is_compliant": ["deviceDetail.isCompliant"],
    "device_is_managed": ["deviceDetail.isManaged"],
    "is_interactive": ["isInteractive"],
    "error_code": ["status.errorCode"],
    "failure_reason": ["status.failureReason"],
    "ca_status": ["conditionalAccessStatus"],
    "risk_level": ["riskLevelDuringSignIn", "riskLevel"],
    "risk_state": ["riskState"],
    "client_credential_type": ["clientCredentialType"],
    "credential_key_id": ["servicePrincipalCredentialKeyId"],
    "auth_protocol": ["authenticationProtocol"],
    "incoming_token_type": ["incomingTokenType"],
    "correlation_id": ["correlationId"],
    "unique_token_id": ["uniqueTokenIdentifier"],
    "session_id": ["sessionId", "C_Sid", "c_Sid"],
    "sign_in_count": ["signInCount"],
    "event_types": ["signInEventTypes"],
    # audits
    "activity_time": ["activityDateTime"],
    "activity": ["activityDisplayName"],
    "audit_category": ["category"],
    "operation_type": ["operationType"],
    "result": ["result"],
    "result_reason": ["resultReason"],
    "logged_by_service": ["loggedByService"],
    "init_user_id": ["initiatedBy.user.id"],
    "init_user_upn": ["initiatedBy.user.userPrincipalName"],
    "init_user_name": ["initiatedBy.user.displayName"],
    "init_user_ip": ["initiatedBy.user.ipAddress"],
    "init_user_agent_type": ["initiatedBy.user.agentType"],
    "init_app_id": ["initiatedBy.app.appId"],
    "init_app_sp_id": ["initiatedBy.app.servicePrincipalId"],
    "init_app_name": ["initiatedBy.app.displayName", "initiatedBy.app.servicePrincipalName"],
    "init_app_agent_type": ["initiatedBy.app.agentType"],
    "targets_json": ["targetResources"],
    "details_json": ["additionalDetails"],
    # Graph activity
    "time_generated": ["timeGenerated"],
    "request_id": ["requestId"],
    "operation_id": ["operationId"],
    "method": ["requestMethod"],
    "request_uri": ["requestUri"],
    "api_version": ["apiVersion"],
    "status_code": ["responseStatusCode"],
    "response_size": ["responseSizeBytes"],
    "duration_ms": ["durationMs"],
    "scopes": ["scopes"],
    "roles": ["roles"],
    "sign_in_activity_id": ["signInActivityId"],
    "token_idtyp": ["C_Idtyp"],
    # risk
    "risk_event_type": ["riskEventType"],
    "risk_detail": ["riskDetail"],
    # riskyUser: riskLastUpdatedDateTime; riskyAgent: riskLastModifiedDateTime
    "risk_last_updated": ["riskLastUpdatedDateTime", "riskLastModifiedDateTime"],
    "detected_time": ["detectedDateTime"],
    "risk_sp_id": ["servicePrincipalId", "appId"],
    # agentRiskDetection: agentId; riskyAgent: its own id is the agent's
    "risk_agent_id": ["agentId", "agent|$.agentSubjectParentId", "id"],
    "risk_agent_name": ["agentDisplayName"],
}

ENVELOPE: dict[str, list[str]] = {
    "category": ["$.category", "$.Category"],
    "env_time": ["$.time"],
    "env_tenant_id": ["$.tenantId"],
    "env_ip": ["$.callerIpAddress"],
    "env_duration_ms": ["$.durationMs"],
    "env_result_type": ["$.resultType"],
}


def _graph(prefix: str) -> dict[str, list[str]]:
    return {name: [f"{prefix}{p}" for p in paths] for name, paths in GRAPH_RELATIVE.items()}


def _azure_monitor() -> dict[str, list[str]]:
    out = _graph("$.properties.")
    out.update(ENVELOPE)
    out["ip"] = out["ip"] + ["$.callerIpAddress"]
    out["duration_ms"] = out["duration_ms"] + ["$.durationMs"]
    out["tenant_id"] = ["$.tenantId", "$.properties.tenantId"]
    return out


LOGANALYTICS: dict[str, list[str]] = {
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
    # Defender advanced hunting's agent inventory: AgentsInfo, and AIAgentsInfo before it
    "inv_time": ["$.Timestamp", '$."Timestamp [UTC]"', "$.TimeGenerated"],
    "inv_agent_id": ["$.AgentId"],
    "inv_ai_agent_id": ["$.AIAgentId"],
    "inv_agent_name": ["$.AgentName", "$.AIAgentName"],
    "inv_platform": ["$.Platform"],
    "inv_entra_agent_id": ["$.EntraAgentId"],
    "inv_blueprint_id": ["$.EntraBlueprintId"],
    "inv_source_agent_id": ["$.SourceAgentId"],
    "inv_description": ["$.AgentDescription"],
    "inv_status": ["$.LifecycleStatus", "$.AgentStatus"],
    "inv_published_status": ["$.PublishedStatus"],
    "inv_created": ["$.CreatedDateTime", "$.AgentCreationTime"],
    "inv_modified": ["$.LastUpdatedDateTime", "$.LastModifiedTime"],
    "inv_created_by": ["$.CreatorAccountUpn"],
    "inv_owners": ["$.Owners", "$.OwnerAccountUpns"],
    "inv_environment_id": ["$.EnvironmentId"],
}

#: the Log Analytics columns that tell a table from a row's shape
SHAPE_FIELDS = tuple(k for k in LOGANALYTICS if k.startswith(("la_", "shape_")))
#: the agent inventory's fields; the ids and names also tell its shape
INVENTORY_FIELDS = tuple(k for k in LOGANALYTICS if k.startswith("inv_"))


def _portal_key(header: str) -> str:
    return "$." + '"' + header.replace('"', "") + '"'


# Admin center sign-in download headers, compared after csv_reader.normalise_header (lower case,
# single spaces, trimmed). Both user and service-principal / managed-identity downloads.
PORTAL_HEADERS: dict[str, list[str]] = {
    "created": ["date (utc)", "date"],
    "id": ["request id"],
    "user_agent": ["user agent"],
    "correlation_id": ["correlation id"],
    "user_id": ["user id"],
    "user_display_name": ["user"],
    "upn": ["username", "user principal name"],
    "user_type": ["user type"],
    "incoming_token_type": ["incoming token type"],
    "auth_protocol": ["authentication protocol"],
    "unique_token_id": ["unique token identifier"],
    "client_credential_type": ["client credential type"],
    "app_display_name": ["application"],
    "app_id": ["application id", "app id"],
    "resource_display_name": ["resource"],
    "resource_id": ["resource id"],
    "tenant_id": ["home tenant id", "resource tenant id", "tenant id"],
    "ip": ["ip address"],
    "location": ["location"],
    "status": ["status"],
    "error_code": ["sign-in error code"],
    "failure_reason": ["failure reason"],
    "client_app_used": ["client app"],
    "device_id": ["device id"],
    "device_browser": ["browser"],
    "device_os": ["operating system"],
    "device_is_compliant": ["compliant"],
    "device_is_managed": ["managed"],
    "session_id": ["session id"],
    "asn": ["autonomous system number"],
    "ca_status": ["conditional access"],
    "sp_id": ["service principal id", "managed identity id"],
    "sp_name": ["service principal name", "managed identity name"],
    "credential_key_id": ["credential key id", "client credential key id"],
    "mi_type": ["managed identity type"],
    "mi_id": ["managed identity id"],
    "agent_type": ["agent type"],
    "agent_subject_type": ["agent subject type"],
    "agent_parent_app_id": ["agent parent app id", "agent parent id"],
    "agent_subject_parent_id": ["agent subject parent id"],
    "risk_level": ["risk level during sign-in", "risk level"],
    "risk_state": ["risk state"],
    "sign_in_count": ["sign-in count", "sign-ins"],
    "is_interactive": ["is interactive"],
    "event_types": ["sign-in event types"],
}

M365: dict[str, list[str]] = {
    "id": ["$.Id"],
    "created": ["$.CreationTime", "$.CreationDate"],
    "operation": ["$.Operation"],
    "workload": ["$.Workload"],
    "record_type": ["$.RecordType"],
    "tenant_id": ["$.OrganizationId"],
    "upn": ["$.UserId", "$.MailboxOwnerUPN"],
    "user_key": ["$.UserKey"],
    "m365_user_type": ["$.UserType"],
    "ip": ["$.ClientIP", "$.ClientIPAddress", "$.ActorIpAddress"],
    "app_id": [
        "$.AppAccessContext.ClientAppId",
        "$.ClientAppId",
        "$.AppId",
        "$.ApplicationId",
    ],
    "user_agent": ["$.UserAgent", "$.ClientInfoString"],
    "session_id": ["$.AppAccessContext.AADSessionId", "$.SessionId"],
    "unique_token_id": ["$.AppAccessContext.UniqueTokenId"],
    "object_uri": [
        "$.ObjectId",
        "$.SiteUrl",
        "$.Folders[0].Path",
        "$.CopilotEventData.AccessedResources[0].Id",
        "$.CopilotEventData.AppHost",
    ],
    "sensitivity_label_id": [
        "$.SensitivityLabelId",
        "$.SensitivityLabelEventData.SensitivityLabelId",
        "$.CopilotEventData.AccessedResources[0].SensitivityLabelId",
    ],
    "result_status": ["$.ResultStatus"],
    "correlation_id": ["$.CorrelationId"],
    "app_identity": ["$.AppIdentity"],
}

#: Sentinel's ``OfficeActivity`` table: the same unified audit record, flattened into columns
#: (nested values as JSON text), its id in ``OfficeId``, its time in ``TimeGenerated``.
OFFICE_ACTIVITY: dict[str, list[str]] = {
    **M365,
    "id": ["$.OfficeId", "$.Id", "$.SourceRecordId"],
    "created": ["$.TimeGenerated", '$."TimeGenerated [UTC]"', "$.CreationTime"],
    "workload": ["$.OfficeWorkload", "$.Workload"],
    "tenant_id": ["$.OrganizationId", "$.OfficeTenantId"],
    "ip": ["$.Client_IPAddress", "$.ClientIP", "$.ClientIPAddress", "$.ActorIpAddress"],
    "app_id": [
        "$.AppAccessContext|$.ClientAppId",
        "$.ClientAppId",
        "$.AppId",
        "$.ApplicationId",
        "$.AzureADAppId",
    ],
    "session_id": ["$.AppAccessContext|$.AADSessionId", "$.SessionId"],
    "unique_token_id": ["$.AppAccessContext|$.UniqueTokenId"],
    "object_uri": [
        "$.OfficeObjectId",
        "$.Site_Url",
        "$.Folders|$[0].Path",
        "$.Item|$.ParentFolder.Path",
        "$.CopilotEventData|$.AccessedResources[0].Id",
        "$.CopilotEventData|$.AppHost",
    ],
    "sensitivity_label_id": [
        "$.SensitivityLabelId",
        "$.SensitivityLabelEventData|$.SensitivityLabelId",
        "$.CopilotEventData|$.AccessedResources[0].SensitivityLabelId",
    ],
    "la_type": ["$.Type"],
}


DIALECT_FIELDS: dict[str, dict[str, list[str]]] = {
    "azure_monitor": _azure_monitor(),
    "graph": _graph("$."),
    "loganalytics": LOGANALYTICS,
    "portal": {k: [_portal_key(h) for h in v] for k, v in PORTAL_HEADERS.items()},
    "m365": M365,
    "officeactivity": OFFICE_ACTIVITY,
}


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


COMPILED: dict[str, CompiledDialect] = {
    name: CompiledDialect(name, fields) for name, fields in DIALECT_FIELDS.items()
}

#: every field name of every dialect (absent ones are null columns)
ALL_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(name for fields in DIALECT_FIELDS.values() for name in fields)
)

_ALWAYS = (
    "category",
    "id",
    "tenant_id",
    "env_time",
    "env_tenant_id",
    "env_ip",
    "env_duration_ms",
    *SHAPE_FIELDS,
    "inv_agent_id",
    "inv_ai_agent_id",
    "inv_agent_name",
    "inv_platform",
    "inv_entra_agent_id",
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

TABLE_FIELDS["agent_facts"] = _ALWAYS + INVENTORY_FIELDS

#: dialects whose records name their category, so that a batch can be extracted for one table
CATEGORY_DIALECTS = ("azure_monitor", "loganalytics")

COMPILED_FOR_TABLE: dict[tuple[str, str], CompiledDialect] = {
    (dialect, table): CompiledDialect(
        dialect, {k: v for k, v in DIALECT_FIELDS[dialect].items() if k in names}
    )
    for dialect in CATEGORY_DIALECTS
    for table, names in TABLE_FIELDS.items()
}
