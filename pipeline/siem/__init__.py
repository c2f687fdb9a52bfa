"""The SIEM export: findings as OCSF 1.8.0 Detection Finding JSON lines (DESIGN.md section 7),
to a file, stdout, or an HTTP collector (Splunk HEC or any NDJSON endpoint) through a spool; or
as ``AgentAuditFinding_CL`` rows to Microsoft Sentinel's Logs Ingestion API (``sentinel``).
"""

from pipeline.siem.export import ExportSummary, export, ocsf_events, sentinel_rows
from pipeline.siem.ocsf import to_ocsf
from pipeline.siem.redact import Redactor
from pipeline.siem.sentinel import sentinel_row

__all__ = [
    "ExportSummary",
    "Redactor",
    "export",
    "ocsf_events",
    "sentinel_row",
    "sentinel_rows",
    "to_ocsf",
]
