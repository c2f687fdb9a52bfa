"""Sentinel's ``OfficeActivity`` table: the unified audit record flattened into columns (nested
values as JSON text), its id in ``OfficeId``, its time in ``TimeGenerated``.

Read as the Microsoft 365 records are (m365_audit.py: same operations, same activity rows), from
a Log Analytics export: a union query's file may hold Entra rows beside these (log_analytics.py).
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.dialects import m365_audit
from pipeline.ingest.dialects.base import Dialect

FIELDS: dict[str, list[str]] = {
    **m365_audit.FIELDS,
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

#: columns only OfficeActivity has (the M365 audit record, flattened)
KEYS = frozenset({"OfficeId", "OfficeWorkload", "OfficeObjectId"})
CSV_MARKERS = {k.lower() for k in KEYS}


class OfficeActivity(Dialect):
    name = "officeactivity"
    title = "Sentinel OfficeActivity"
    source_format = "loganalytics"
    fields = FIELDS
    padded = True
    normalisers = m365_audit.NORMALISERS
    id_label = "OfficeId"
    mixed_with = "loganalytics"

    def recognise(self, record: dict) -> bool:
        kind = record.get("Type")
        return bool(KEYS & set(record)) or (
            isinstance(kind, str) and kind.lower() == "officeactivity"
        )

    def recognise_header(self, keys: set[str]) -> bool:
        # a CSV holding the whole record in AuditData is the unified audit export (m365_audit)
        return bool(keys & CSV_MARKERS) and not keys & m365_audit.CSV_MARKERS

    def category(self) -> pl.Expr:
        return m365_audit.category()

    def other_rows(self) -> pl.Expr:
        """Rows of another Log Analytics table among these (a union query's export)."""
        la_type = pl.col("la_type").str.strip_chars().str.to_lowercase()
        return la_type.is_not_null() & ~(la_type == "officeactivity")


DIALECT = OfficeActivity()
