"""Entra log categories and the lake table each one lands in.

Names are compared case-insensitively; Azure Monitor (``SignInLogs``), Log Analytics
(``SigninLogs``, ``AADNonInteractiveUserSignInLogs``) and the record kinds derived for Graph API,
portal and Microsoft 365 records all map here (each dialect's ``category`` tells a record's
category: pipeline/ingest/dialects/). A category not listed is quarantined with its name.
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


@cache
def route_exprs() -> tuple[pl.Expr, pl.Expr]:
    """(table, kind) expressions from the ``category`` column (null when unknown)."""
    key = pl.col("category").str.strip_chars().str.to_lowercase()
    tables = {k: v[0] for k, v in CATEGORY_TABLE.items()}
    kinds = {k: v[1] for k, v in CATEGORY_TABLE.items()}
    table = key.replace_strict(tables, default=None, return_dtype=pl.String)
    kind = key.replace_strict(kinds, default=None, return_dtype=pl.String)
    return table.alias("table"), kind.alias("kind")
