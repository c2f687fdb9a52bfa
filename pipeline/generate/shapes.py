"""Write records in the export shapes Entra offers (DESIGN.md section 2; issue 2's formats).

- ``storage``: diagnostic settings → storage account, JSON lines in
  ``insights-logs-<category>/tenantId=<tid>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json``;
- ``eventhub``: diagnostic settings → Event Hub, message bodies ``{"records": [...]}``;
- ``graph``: Microsoft Graph API pages (``signIns``, ``directoryAudits``: ``{"value": [...]}``);
- ``loganalytics-csv``: Log Analytics / Sentinel rows (PascalCase columns, nested values as JSON);
  one row in QUERY_SHARE is written as a hunting query exports it instead
  (``query_<table>_<day>.csv``: a projected column added, some left out, ``Type`` overwritten or
  dropped);
- ``portal-csv``: the Entra admin center's sign-in downloads (English headers, UTF-8 BOM);
- ``mixed``: each day in a different one of the above.
Graph activity has no Graph API and no portal download: in ``graph`` and ``portal-csv`` it is
written as the storage account writes it. Microsoft 365 audit records are JSON arrays, as the
Management Activity API returns them, in every shape; the mail reads of every other day are
Sentinel ``OfficeActivity`` rows instead (``loganalytics/OfficeActivity_<day>``: CSV in
``loganalytics-csv``, else a JSON array as a query's export), each event written once.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

FORMATS = ("storage", "eventhub", "graph", "loganalytics-csv", "portal-csv", "mixed")
EVENTHUB_BODY_BYTES = 256 * 1024
QUERY_SHARE = 5  # one Log Analytics row in this many is written as a query's projection
MIXED_ORDER = ("storage", "eventhub", "graph", "loganalytics-csv", "portal-csv")

FOLDER = {
    "SignInLogs": "insights-logs-signinlogs",
    "NonInteractiveUserSignInLogs": "insights-logs-noninteractiveusersigninlogs",
    "ServicePrincipalSignInLogs": "insights-logs-serviceprincipalsigninlogs",
    "ManagedIdentitySignInLogs": "insights-logs-managedidentitysigninlogs",
    "AuditLogs": "insights-logs-auditlogs",
    "MicrosoftGraphActivityLogs": "insights-logs-microsoftgraphactivitylogs",
}
LA_TABLE = {
    "SignInLogs": "SigninLogs",
    "NonInteractiveUserSignInLogs": "AADNonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs": "AADServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs": "AADManagedIdentitySignInLogs",
    "AuditLogs": "AuditLogs",
    "MicrosoftGraphActivityLogs": "MicrosoftGraphActivityLogs",
}
EVENT_TYPES = {
    "SignInLogs": "interactiveUser",
    "NonInteractiveUserSignInLogs": "nonInteractiveUser",
    "ServicePrincipalSignInLogs": "servicePrincipal",
    "ManagedIdentitySignInLogs": "managedIdentity",
}
PORTAL_FILE = {
    "SignInLogs": "InteractiveSignIns",
    "NonInteractiveUserSignInLogs": "NonInteractiveSignIns",
    "ServicePrincipalSignInLogs": "ApplicationSignIns",
    "ManagedIdentitySignInLogs": "MSISignIns",
}
#: Columns of the admin center's sign-in download, spelled as the portal writes them: the
#: doubled space and trailing space are real, and "Incoming token type" appears twice.
PORTAL_COLUMNS: list[tuple[str, str]] = [
    ("Date (UTC)", "createdDateTime"),
    ("Request ID", "id"),
    ("User agent", "userAgent"),
    ("Correlation ID", "correlationId"),
    ("User ID", "userId"),
    ("User", "userDisplayName"),
    ("Username", "userPrincipalName"),
    ("User type", "userType"),
    ("Cross tenant access type", "crossTenantAccessType"),
    ("Incoming token type", "incomingTokenType"),
    ("Authentication Protocol", "authenticationProtocol"),
    ("Unique token identifier", "uniqueTokenIdentifier"),
    ("Client credential type", "clientCredentialType"),
    ("Application", "appDisplayName"),
    ("Application ID ", "appId"),
    ("Resource", "resourceDisplayName"),
    ("Resource ID ", "resourceId"),
    ("Resource tenant ID", "resourceTenantId"),
    ("Home tenant ID", "homeTenantId"),
    ("IP address", "ipAddress"),
    ("Location", "_location"),
    ("Status", "_status"),
    ("Sign-in error code", "_error"),
    ("Failure reason", "_failure"),
    ("Client app", "clientAppUsed"),
    ("Device ID", "_device_id"),
    ("Browser", "_browser"),
    ("Operating System", "_os"),
    ("Authentication requirement", "authenticationRequirement"),
    ("Session ID", "sessionId"),
    ("Autonomous system  number", "autonomousSystemNumber"),
    ("Conditional Access", "conditionalAccessStatus"),
    ("Service principal ID", "servicePrincipalId"),
    ("Service principal name", "servicePrincipalName"),
    ("Credential key ID", "servicePrincipalCredentialKeyId"),
    ("Agent type", "_agent_type"),
    ("Agent subject type", "_agent_subject_type"),
    ("Agent parent app ID", "_agent_parent"),
    ("Agent subject parent ID", "_agent_subject_parent"),
    ("Incoming token type", "incomingTokenType"),
]


class Writer:
    """Appends one day of rendered records at a time; knows which files it made."""

    def __init__(
        self,
        input_dir: Path,
        fmt: str,
        tenant_id: str,
        *,
        gzip_files: bool = False,
        corrupt: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.root = input_dir
        self.fmt = fmt
        self.tenant_id = tenant_id
        self.gzip = gzip_files
        self.corrupt = corrupt
        self.seed = seed
        self.rng = np.random.default_rng([seed, 0xBAD])
        self.files: set[Path] = set()
        self.corrupt_lines = 0

    def shape_of(self, day_index: int) -> str:
        if self.fmt == "mixed":
            return MIXED_ORDER[day_index % len(MIXED_ORDER)]
        return self.fmt

    # -- plumbing ---------------------------------------------------------------------------
    def _append(self, path: Path, text: str | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8") if isinstance(text, str) else text
        if self.gzip:
            path = path.with_name(path.name + ".gz")
            # mtime 0 and no file name in the header: same seed, same bytes
            with (
                open(path, "ab") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as fh,
            ):
                fh.write(data)
        else:
            with open(path, "ab") as fh:
                fh.write(data)
        self.files.add(path)

    def _append_lines(self, path: Path, lines: pl.Series) -> None:
        """JSON lines straight from polars (no Python string per record)."""
        if self.corrupt > 0:
            self._append(path, "\n".join(self._maybe_corrupt(lines.to_list())) + "\n")
            return
        buf = io.BytesIO()
        lines.to_frame("json").write_csv(buf, include_header=False, quote_style="never")
        self._append(path, buf.getvalue())

    def _maybe_corrupt(self, lines: list[str]) -> list[str]:
        """Damage a fraction of lines the way real pipelines do: truncation, junk, bad bytes."""
        if self.corrupt <= 0 or not lines:
            return lines
        hit = np.nonzero(self.rng.random(len(lines)) < self.corrupt)[0]
        for i in hit:
            kind = int(self.rng.integers(0, 4))
            line = lines[i]
            if kind == 0:
                lines[i] = line[: max(1, int(len(line) * self.rng.uniform(0.1, 0.9)))]
            elif kind == 1:
                lines[i] = line.replace('"', "", 3)
            elif kind == 2:
                lines[i] = "\ufffd\x00garbage " + line[::7]
            else:
                lines[i] = line + "}"
        self.corrupt_lines += len(hit)
        return lines

    # -- entry points -------------------------------------------------------------------------
    def start_day(self, day_index: int) -> None:
        """Corruption draws depend on the day only, so days can be written in any order."""
        self.rng = np.random.default_rng([self.seed, 0xBAD, day_index])

    def write(self, day_index: int, day: date, records: pl.DataFrame) -> None:
        """``records``: columns time, category, json (the storage-shaped record)."""
        if records.is_empty():
            return
        shape = self.shape_of(day_index)
        for (category,), part in records.sort("time", maintain_order=True).group_by(
            "category", maintain_order=True
        ):
            if (
                shape == "storage"
                or (category == "MicrosoftGraphActivityLogs" and shape in ("graph", "portal-csv"))
                or (category == "AuditLogs" and shape == "portal-csv")
            ):
                self._storage(category, part)
            elif shape == "eventhub":
                self._eventhub(category, day, part)
            elif shape == "graph":
                self._graph(category, day, part)
            elif shape == "loganalytics-csv":
                self._loganalytics(category, day, part)
            elif shape == "portal-csv":
                self._portal(category, day, part)

    def write_m365(self, day: date, records: list[dict]) -> None:
        if not records:
            return
        path = self.root / "m365" / f"audit-{day.isoformat()}.json"
        text = json.dumps(records, separators=(",", ":"))
        self._append(path, text + "\n")

    def write_office_activity(self, day_index: int, day: date, records: list[dict]) -> None:
        """Microsoft 365 audit records as rows of Sentinel's OfficeActivity table."""
        if not records:
            return
        rows = [office_activity_row(r, self.tenant_id) for r in records]
        folder = self.root / "loganalytics"
        if self.shape_of(day_index) == "loganalytics-csv":
            self._write_csv(folder / f"OfficeActivity_{day.isoformat()}.csv", rows)
        else:
            text = json.dumps(rows, separators=(",", ":"))
            self._append(folder / f"OfficeActivity_{day.isoformat()}.json", text + "\n")

    # -- shapes ---------------------------------------------------------------------------------
    def _storage(self, category: str, part: pl.DataFrame) -> None:
        hours = part.with_columns(pl.col("time").dt.strftime("y=%Y/m=%m/d=%d/h=%H").alias("_h"))
        for (hour,), rows in hours.group_by("_h", maintain_order=True):
            path = (
                self.root
                / FOLDER[category]
                / f"tenantId={self.tenant_id}"
                / hour
                / "m=00"
                / "PT1H.json"
            )
            self._append_lines(path, rows["json"])

    def _eventhub(self, category: str, day: date, part: pl.DataFrame) -> None:
        """Message bodies as diagnostic settings send them: batches of records, each body well
        under Event Hub's 1 MB event limit."""
        path = self.root / "eventhub" / category.lower() / f"{day.isoformat()}.json"
        rows = part["json"].to_list()
        bodies, batch, size = [], [], 0
        for row in rows:
            if batch and (size + len(row) > EVENTHUB_BODY_BYTES or len(batch) >= 200):
                bodies.append('{"records":[' + ",".join(batch) + "]}")
                batch, size = [], 0
            batch.append(row)
            size += len(row) + 1
        if batch:
            bodies.append('{"records":[' + ",".join(batch) + "]}")
        self._append(path, "\n".join(self._maybe_corrupt(bodies)) + "\n")

    def _graph(self, category: str, day: date, part: pl.DataFrame) -> None:
        resource = "auditLogs/directoryAudits" if category == "AuditLogs" else "auditLogs/signIns"
        props = part.select(pl.col("json").str.json_path_match("$.properties").alias("p"))[
            "p"
        ].to_list()
        if category in EVENT_TYPES:
            tag = f',"signInEventTypes":["{EVENT_TYPES[category]}"]}}'
            props = [p[:-1] + tag for p in props]
        name = "directoryAudits" if category == "AuditLogs" else f"signIns-{category}"
        for k, i in enumerate(range(0, len(props), 1000)):
            page = props[i : i + 1000]
            nxt = (
                f',"@odata.nextLink":"https://graph.microsoft.com/beta/{resource}'
                f'?$skiptoken={k + 1}"'
                if i + 1000 < len(props)
                else ""
            )
            body = (
                f'{{"@odata.context":"https://graph.microsoft.com/beta/$metadata#{resource}"'
                f'{nxt},"value":[' + ",".join(page) + "]}"
            )
            path = self.root / "graph" / f"{name}-{day.isoformat()}-p{k:03d}.json"
            self._append(path, body + "\n")

    def _loganalytics(self, category: str, day: date, part: pl.DataFrame) -> None:
        table = LA_TABLE[category]
        rows = [_la_row(json.loads(t), table) for t in part["json"].to_list()]
        queried = [_query_row(r, table) for r in rows[QUERY_SHARE - 1 :: QUERY_SHARE]]
        rows = [r for i, r in enumerate(rows) if i % QUERY_SHARE != QUERY_SHARE - 1]
        folder = self.root / "loganalytics"
        self._write_csv(folder / f"{table}_{day.isoformat()}.csv", rows)
        self._write_csv(folder / f"query_{table}_{day.isoformat()}.csv", queried)

    def _write_csv(self, path: Path, rows: list[dict]) -> None:
        """Rows as a Log Analytics CSV export: a header of every row's columns, then the rows."""
        if not rows:
            return
        columns: list[str] = []
        for r in rows:
            for k in r:
                if k not in columns:
                    columns.append(k)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        lines = buf.getvalue().splitlines()
        text = "\n".join(lines[:1] + self._maybe_corrupt(lines[1:])) + "\n"
        self._append(path, text)

    def _portal(self, category: str, day: date, part: pl.DataFrame) -> None:
        rows = []
        for t in part["json"].to_list():
            p = json.loads(t)["properties"]
            rows.append([_portal_value(p, key) for _, key in PORTAL_COLUMNS])
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([h for h, _ in PORTAL_COLUMNS])
        w.writerows(rows)
        lines = buf.getvalue().split("\r\n")
        body = "\r\n".join(lines[:1] + self._maybe_corrupt(lines[1:]))
        path = self.root / "portal" / f"{PORTAL_FILE[category]}_{day.isoformat()}.csv"
        self._append(path, "\ufeff" + body)


_LA_RENAME = {
    "ipAddress": "IPAddress",
    "location": "LocationDetails",
    "riskEventTypes_v2": "RiskEventTypes_V2",
    "id": "Id",
    # Graph activity: the storage account's token claims are columns of their own in the table
    "C_Sid": "SessionId",
    "C_DeviceId": "DeviceId",
}


def _la_row(record: dict, table: str) -> dict:
    """A Log Analytics row: envelope columns, then properties in PascalCase, nested as JSON."""
    row = {
        "TenantId": record.get("tenantId", ""),
        "SourceSystem": "Azure AD",
        "TimeGenerated": record["time"],
        "ResourceId": record.get("resourceId", ""),
        "OperationName": record.get("operationName", ""),
        "OperationVersion": record.get("operationVersion", ""),
        "Category": record.get("category", ""),
        "ResultType": record.get("resultType", ""),
        "ResultSignature": record.get("resultSignature", ""),
        "ResultDescription": record.get("resultDescription", ""),
        "DurationMs": record.get("durationMs", 0),
        "CorrelationId": record.get("correlationId", ""),
        "Identity": record.get("identity", ""),
        "Level": record.get("Level", record.get("level", "")),
        "Location": record.get("location", ""),
    }
    for key, value in record["properties"].items():
        if key.startswith("__UDI"):
            continue
        name = _LA_RENAME.get(key, key[:1].upper() + key[1:])
        if table == "MicrosoftGraphActivityLogs" and key == "location":
            name = "Location"
        if isinstance(value, (dict, list)):
            value = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        row[name] = value
    row["Type"] = table
    return row


#: what a hunting query adds to each table's rows (`extend`), and what its `project` leaves out
_QUERY_EXTRA = {
    "AuditLogs": ("InitiatingUser", "InitiatedBy", ("user", "userPrincipalName")),
    "MicrosoftGraphActivityLogs": ("RequestPath", "RequestUri", ()),
}
_QUERY_DROPPED = ("SourceSystem", "OperationVersion", "Level", "ResultSignature", "Identity")


def _query_row(row: dict, table: str) -> dict:
    """``row`` as a query's export: a projected column added, some left out, and ``Type``
    overwritten (``<table>_CL``, a custom table the query read from) or dropped (Graph activity,
    which has no ``Category`` either). Its own columns still tell its table."""
    out = {k: v for k, v in row.items() if k not in _QUERY_DROPPED}
    name, source, path = _QUERY_EXTRA.get(table, ("AccountName", "UserPrincipalName", ()))
    value = out.get(source) or out.get("ServicePrincipalName") or ""
    if path and value:
        obj = json.loads(value)
        for key in path:
            obj = obj.get(key) if isinstance(obj, dict) else None
        value = obj or ""
    if table == "MicrosoftGraphActivityLogs":
        value = str(value).split("?", 1)[0]
        out.pop("Category", None)
        out.pop("Type", None)
    else:
        out["Type"] = f"{table}_CL"
    out[name] = value
    return out


#: Microsoft 365 RecordType and UserType numbers -> the names OfficeActivity keeps
_RECORD_TYPES = {6: "SharePointFileOperation", 50: "ExchangeItemAggregated"}
_USER_TYPES = {0: "Regular", 2: "Admin", 5: "Application"}
_OFFICE_RENAME = {
    "Id": "OfficeId",
    "Workload": "OfficeWorkload",
    "ObjectId": "OfficeObjectId",
    "SiteUrl": "Site_Url",
    "ClientIPAddress": "Client_IPAddress",
}


def office_activity_row(record: dict, tenant_id: str) -> dict:
    """A Management Activity API record as a row of Sentinel's OfficeActivity table: columns
    renamed (OfficeId, OfficeWorkload, Client_IPAddress …), numbers as names, nested values as
    JSON text, TimeGenerated the record's time."""
    workspace = str(uuid.uuid5(uuid.NAMESPACE_URL, f"workspace:{tenant_id}"))
    row: dict = {"TenantId": workspace, "SourceSystem": "OfficeActivityManager"}
    row["TimeGenerated"] = record["CreationTime"] + "Z"
    for key, value in record.items():
        if key == "CreationTime":
            continue
        if key == "RecordType":
            value = _RECORD_TYPES.get(value, str(value))
        elif key == "UserType":
            value = _USER_TYPES.get(value, str(value))
        elif isinstance(value, (dict, list)):
            value = json.dumps(value, separators=(",", ":"))
        elif isinstance(value, bool):
            value = "true" if value else "false"
        row[_OFFICE_RENAME.get(key, key)] = value
    row["Type"] = "OfficeActivity"
    return row


def _portal_value(p: dict, key: str) -> str:
    agent = p.get("agent") or {}
    loc = p.get("location") or {}
    dev = p.get("deviceDetail") or {}
    status = p.get("status") or {}
    special = {
        "_location": ", ".join(
            x for x in (loc.get("city"), loc.get("state"), loc.get("countryOrRegion")) if x
        ),
        "_status": "Success" if status.get("errorCode") == 0 else "Failure",
        "_error": str(status.get("errorCode", "")),
        "_failure": status.get("failureReason", "Other.") if status.get("errorCode") else "",
        "_device_id": dev.get("deviceId", ""),
        "_browser": dev.get("browser", ""),
        "_os": dev.get("operatingSystem", ""),
        "_agent_type": agent.get("agentType", ""),
        "_agent_subject_type": agent.get("agentSubjectType", ""),
        "_agent_parent": agent.get("parentAppId", ""),
        "_agent_subject_parent": agent.get("agentSubjectParentId") or "",
    }
    if key in special:
        return special[key]
    value = p.get(key, "")
    if key == "createdDateTime" and value:
        return value[:19] + "Z"
    return "" if value is None else str(value)
