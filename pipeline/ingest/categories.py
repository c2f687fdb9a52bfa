"""Entra log categories and the lake table each one lands in.

Names are compared case-insensitively; Azure Monitor (``SignInLogs``), Log Analytics
(``SigninLogs``, ``AADNonInteractiveUserSignInLogs``) and the record kinds derived for Graph API,
portal and Microsoft 365 records all map here. A category not listed is quarantined with its name.
"""

from __future__ import annotations

from functools import cache

import polars as pl

#: category (lower case) -> (table, kind). kind is the sign-in log_type, the risk_kind, or the
#: activity source_log; audits have no kind.
CATEGORY_TABLE: dict[str, tuple[str, str]] = {
    "signinlogs": ("signins", "interactive"),
    "noninteractiveusersigninlogs": ("signins", "non_interactive"),
    "aadnoninteractiveusersigninlogs": ("signins", "non_interactive"),
    "serviceprincipalsigninlogs": ("signins", "service_principal"),
    "aadserviceprincipalsigninlogs": ("signins", "service_principal"),
    "microsoftserviceprincipalsigninlogs": ("signins", "service_principal"),
    "managedidentitysigninlogs": ("signins", "managed_identity"),
    "aadmanagedidentitysigninlogs": ("signins", "managed_identity"),
    "adfssigninlogs": ("signins", "adfs"),
    "auditlogs": ("audits", ""),
    "microsoftgraphactivitylogs": ("activity", "graph"),
    "m365dataaccess": ("activity", "m365"),
    "riskyusers": ("risk_events", "risky_user"),
    "aadriskyusers": ("risk_events", "risky_user"),
    "userriskevents": ("risk_events", "user_risk_event"),
    "aaduserriskevents": ("risk_events", "user_risk_event"),
    "riskyserviceprincipals": ("risk_events", "service_principal_risk"),
    "aadriskyserviceprincipals": ("risk_events", "service_principal_risk"),
    "serviceprincipalriskevents": ("risk_events", "service_principal_risk"),
    "aadserviceprincipalriskevents": ("risk_events", "service_principal_risk"),
    "riskyagents": ("risk_events", "agent_risk"),
    "agentriskevents": ("risk_events", "agent_risk"),
    "aadriskyagents": ("risk_events", "agent_risk"),
    "aadagentriskevents": ("risk_events", "agent_risk"),
    "agentsinfo": ("agent_facts", "agents_info"),
    "aiagentsinfo": ("agent_facts", "ai_agents_info"),
}

#: Microsoft 365 unified audit operations that are data access (-> activity).
M365_OPERATIONS = (
    "FileAccessed",
    "FileAccessedExtended",
    "FileDownloaded",
    "FilePreviewed",
    "MailItemsAccessed",
    "CopilotInteraction",
)


def _present(name: str) -> pl.Expr:
    return pl.col(name).is_not_null()


def _event_types_has(kind: str) -> pl.Expr:
    return pl.col("event_types").fill_null("").str.contains(f"(?i)\\b{kind}\\b")


#: what a Log Analytics row without a known ``Type`` is recognised by (named in its quarantine)
LA_SHAPES = (
    "RequestUri + RequestMethod (Graph activity), "
    "ActivityDisplayName/OperationName + InitiatedBy/TargetResources/Category (audit), "
    "AppId + ResultType + IPAddress/UserPrincipalName/ServicePrincipalId (sign-in), "
    "AIAgentId, or AgentId + AgentName + Platform/EntraAgentId (Defender agent inventory)"
)


def _known(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_lowercase().is_in(list(CATEGORY_TABLE)).fill_null(False)


def _loganalytics_category() -> pl.Expr:
    """A Log Analytics row's table: its ``Type`` (or sign-in ``Category``) when that names a
    known table, else its shape. A query may overwrite ``Type`` (``AuditLogs_CL``), drop it, add
    projected columns or leave columns out; the row's own columns still say what it is."""
    la_type, la_category = pl.col("la_type"), pl.col("la_category")
    graph = _present("shape_request_uri") & _present("shape_request_method")
    activity = _present("shape_activity")
    audit_strong = activity & (_present("shape_initiated_by") | _present("shape_targets"))
    signin = (
        _present("shape_app_id")
        & _present("shape_result_type")
        & (_present("shape_ip") | _present("shape_upn") | _present("shape_sp"))
    )
    sp_signin = _present("shape_sp") & ~_present("shape_upn")
    # OperationName + Category alone is also AzureActivity's or AzureDiagnostics' shape: trusted
    # only when Type is gone or a custom table's (``_CL``), not when it names another table
    untyped = ~_present("la_type") | la_type.str.strip_chars().str.ends_with("_CL")
    agents_info = (
        _present("inv_agent_id")
        & _present("inv_agent_name")
        & (_present("inv_platform") | _present("inv_entra_agent_id"))
    )
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
        .when(activity & _present("la_category") & untyped)
        .then(pl.lit("AuditLogs"))
        .when(_present("inv_ai_agent_id"))
        .then(pl.lit("AIAgentsInfo"))
        .when(agents_info)
        .then(pl.lit("AgentsInfo"))
        .otherwise(la_type)  # no Entra shape: null or the unknown table's name (quarantined)
    )


@cache
def category_expr(dialect: str) -> pl.Expr:
    """The log category of each record (a string) from the fields extracted for ``dialect``."""
    if dialect == "azure_monitor":
        return pl.col("category")
    if dialect == "loganalytics":
        return _loganalytics_category()
    if dialect in ("m365", "officeactivity"):
        return (
            pl.when(pl.col("operation").is_in(M365_OPERATIONS))
            .then(pl.lit("M365DataAccess"))
            .when(_present("operation"))
            .then(pl.lit("M365 operation ") + pl.col("operation"))
            .otherwise(None)
        )
    user_signin = (
        pl.when(_event_types_has("nonInteractiveUser"))
        .then(pl.lit("NonInteractiveUserSignInLogs"))
        .when(_event_types_has("interactiveUser"))
        .then(pl.lit("SignInLogs"))
        .when(pl.col("is_interactive").fill_null("").str.to_lowercase() == "false")
        .then(pl.lit("NonInteractiveUserSignInLogs"))
        .otherwise(pl.lit("SignInLogs"))
    )
    if dialect == "portal":
        return (
            pl.when(~_present("created"))
            .then(None)
            .when(_present("user_id") | _present("upn"))
            .then(user_signin)
            .when(_present("mi_type") | _present("mi_id"))
            .then(pl.lit("ManagedIdentitySignInLogs"))
            .otherwise(pl.lit("ServicePrincipalSignInLogs"))
        )
    # graph
    return (
        pl.when(_present("activity") & _present("activity_time"))
        .then(pl.lit("AuditLogs"))
        .when(_present("request_uri") & _present("method"))
        .then(pl.lit("MicrosoftGraphActivityLogs"))
        .when(_present("risk_event_type"))
        .then(
            pl.when(_present("user_id") | _present("upn"))
            .then(pl.lit("UserRiskEvents"))
            .when(_present("risk_agent_name"))  # agentRiskDetection
            .then(pl.lit("AgentRiskEvents"))
            .otherwise(pl.lit("ServicePrincipalRiskEvents"))
        )
        .when(_present("risk_last_updated"))
        .then(
            pl.when(_present("risk_agent_name"))
            .then(pl.lit("RiskyAgents"))
            .otherwise(pl.lit("RiskyUsers"))
        )
        .when(_present("created"))
        .then(
            pl.when(_event_types_has("managedIdentity"))
            .then(pl.lit("ManagedIdentitySignInLogs"))
            .when(_event_types_has("servicePrincipal"))
            .then(pl.lit("ServicePrincipalSignInLogs"))
            .when(~_present("user_id") & ~_present("upn") & _present("sp_id"))
            .then(pl.lit("ServicePrincipalSignInLogs"))
            .otherwise(user_signin)
        )
        .otherwise(None)
    )


@cache
def route_exprs() -> tuple[pl.Expr, pl.Expr]:
    """(table, kind) expressions from the ``category`` column (null when unknown)."""
    key = pl.col("category").str.strip_chars().str.to_lowercase()
    tables = {k: v[0] for k, v in CATEGORY_TABLE.items()}
    kinds = {k: v[1] for k, v in CATEGORY_TABLE.items()}
    table = key.replace_strict(tables, default=None, return_dtype=pl.String)
    kind = key.replace_strict(kinds, default=None, return_dtype=pl.String)
    return table.alias("table"), kind.alias("kind")
