"""The Entra admin center's sign-in downloads as CSV (Download → CSV on the sign-in logs).

English headers compared without case or extra spaces (``Date (UTC)``, ``Request ID`` …), one
row per sign-in: user downloads and service-principal / managed-identity downloads. The
location is one ``City, State, Country`` cell and the result a ``Status`` text.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.dialects.base import Dialect, normalise_header, unique_names
from pipeline.ingest.exprs import present, user_signin_category

# Admin center sign-in download headers, compared after base.normalise_header (lower case,
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


def _key(header: str) -> str:
    return "$." + '"' + header.replace('"', "") + '"'


#: headers (normalised) that say admin center download
MARKERS = {"date (utc)", "request id"}


class AdminCenterCsv(Dialect):
    name = "portal"
    title = "Entra admin center downloads (CSV)"
    source_format = "portal"
    fields = {k: [_key(h) for h in v] for k, v in PORTAL_HEADERS.items()}
    padded = True

    def recognise_header(self, keys: set[str]) -> bool:
        return bool(keys & MARKERS)

    def csv_columns(self, headers: list[str]) -> list[str]:
        return unique_names([normalise_header(h) for h in headers])

    def category(self) -> pl.Expr:
        return (
            pl.when(~present("created"))
            .then(None)
            .when(present("user_id") | present("upn"))
            .then(user_signin_category())
            .when(present("mi_type") | present("mi_id"))
            .then(pl.lit("ManagedIdentitySignInLogs"))
            .otherwise(pl.lit("ServicePrincipalSignInLogs"))
        )


DIALECT = AdminCenterCsv()
