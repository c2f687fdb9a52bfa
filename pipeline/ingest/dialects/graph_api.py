"""Microsoft Graph resources as the API returns them, and the admin center's JSON downloads.

``signIn``, ``directoryAudit``, summarized sign-ins, ``riskyUser``, ``riskDetection`` and
``microsoftGraphActivityLogs`` records: camelCase fields, nested objects. The record names no
category: its fields tell what it is. A record of no other dialect is read as this one (the
registry asks it last). A Graph record's small ``agent`` object is taken whole and read by the
second path: DuckDB finds a key by scanning its object, and one lookup of an absent ``agent``
costs less than five of its absent fields.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.dialects.base import Dialect
from pipeline.ingest.exprs import event_types_has, present, user_signin_category

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


def graph_fields(prefix: str) -> dict[str, list[str]]:
    """GRAPH_RELATIVE under ``prefix`` (``$.`` for a bare record, ``$.properties.`` in an
    Azure Monitor envelope)."""
    return {name: [f"{prefix}{p}" for p in paths] for name, paths in GRAPH_RELATIVE.items()}


class GraphApi(Dialect):
    name = "graph"
    title = "Microsoft Graph API"
    source_format = "graph"
    fields = graph_fields("$.")

    def recognise(self, record: dict) -> bool:
        return True  # the fallback: a record of no other dialect

    def category(self) -> pl.Expr:
        return (
            pl.when(present("activity") & present("activity_time"))
            .then(pl.lit("AuditLogs"))
            .when(present("request_uri") & present("method"))
            .then(pl.lit("MicrosoftGraphActivityLogs"))
            .when(present("risk_event_type"))
            .then(
                pl.when(present("user_id") | present("upn"))
                .then(pl.lit("UserRiskEvents"))
                .when(present("risk_agent_name"))  # agentRiskDetection
                .then(pl.lit("AgentRiskEvents"))
                .otherwise(pl.lit("ServicePrincipalRiskEvents"))
            )
            .when(present("risk_last_updated"))
            .then(
                pl.when(present("risk_agent_name"))
                .then(pl.lit("RiskyAgents"))
                .otherwise(pl.lit("RiskyUsers"))
            )
            .when(present("created"))
            .then(
                pl.when(event_types_has("managedIdentity"))
                .then(pl.lit("ManagedIdentitySignInLogs"))
                .when(event_types_has("servicePrincipal"))
                .then(pl.lit("ServicePrincipalSignInLogs"))
                .when(~present("user_id") & ~present("upn") & present("sp_id"))
                .then(pl.lit("ServicePrincipalSignInLogs"))
                .otherwise(user_signin_category())
            )
            .otherwise(None)
        )


DIALECT = GraphApi()
