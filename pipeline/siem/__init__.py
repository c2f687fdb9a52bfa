"""The SIEM export: findings as OCSF 1.8.0 Detection Finding JSON lines (DESIGN.md section 7),
to a file, stdout, or an HTTP collector (Splunk HEC or any NDJSON endpoint) through a spool.
"""

from pipeline.siem.export import ExportSummary, export, ocsf_events
from pipeline.siem.ocsf import to_ocsf
from pipeline.siem.redact import Redactor

__all__ = ["ExportSummary", "Redactor", "export", "ocsf_events", "to_ocsf"]
