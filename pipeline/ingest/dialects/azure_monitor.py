"""Azure Monitor diagnostic settings: the envelope around a Graph-shaped record.

Storage account exports (``PT1H.json`` JSON lines under ``insights-logs-<category>/…``) and
Event Hub bodies (``{"records": [...]}``, or one record per line) carry the same envelope:
``time``, ``category``, ``tenantId``, ``callerIpAddress`` … and the record under ``properties``.
The envelope names the log category, so a batch can be extracted for one table's fields.
"""

from __future__ import annotations

import polars as pl

from pipeline.ingest.dialects.base import Dialect
from pipeline.ingest.dialects.graph_api import graph_fields

ENVELOPE: dict[str, list[str]] = {
    "category": ["$.category", "$.Category"],
    "env_time": ["$.time"],
    "env_tenant_id": ["$.tenantId"],
    "env_ip": ["$.callerIpAddress"],
    "env_duration_ms": ["$.durationMs"],
    "env_result_type": ["$.resultType"],
}


def _fields() -> dict[str, list[str]]:
    out = graph_fields("$.properties.")
    out.update(ENVELOPE)
    out["ip"] = out["ip"] + ["$.callerIpAddress"]
    out["duration_ms"] = out["duration_ms"] + ["$.durationMs"]
    out["tenant_id"] = ["$.tenantId", "$.properties.tenantId"]
    return out


class AzureMonitor(Dialect):
    name = "azure_monitor"
    title = "Azure Monitor diagnostic settings"
    source_format = "eventhub"
    fields = _fields()
    category_fields = ("category",)
    names_category = True

    def recognise(self, record: dict) -> bool:
        keys = set(record)
        return "properties" in keys and bool({"category", "operationName", "time"} & keys)

    def source_format_of(self, wrapper: str | None, first_line: bytes, path_hint: str) -> str:
        """storage: ``PT1H.json`` lines (``time`` first, or under an ``insights-logs-`` folder);
        eventhub: ``{"records": [...]}`` bodies and records written by a consumer."""
        if "insights-logs-" in path_hint.lower():
            return "storage"
        if wrapper == "records":
            return "eventhub"
        stripped = first_line.lstrip(b"{ \t")
        return "storage" if stripped.startswith(b'"time"') else "eventhub"

    def category(self) -> pl.Expr:
        return pl.col("category")


DIALECT = AzureMonitor()
