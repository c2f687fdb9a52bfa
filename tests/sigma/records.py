"""Hand-written Entra records for the Sigma tests, one event per builder call, in the three
shapes the lake reads them from: Event Hub (Azure Monitor envelope, camelCase under
``properties``), Microsoft Graph (camelCase at the top) and Log Analytics / Sentinel (PascalCase
columns, nested values as objects)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

TENANT = "11111111-2222-3333-4444-555555555555"
DAY = "2026-03-10"
SHAPES = ("eventhub", "graph", "sentinel")


def audit(
    event_id: str,
    activity: str,
    *,
    initiator: str = "alice@contoso.com",
    category: str = "ApplicationManagement",
    result: str = "success",
    reason: str = "",
    targets: list[dict] | None = None,
    details: list[dict] | None = None,
    hour: int = 10,
) -> dict:
    """A Graph ``directoryAudit``; ``targets`` are Graph targetResources."""
    return {
        "id": event_id,
        "category": category,
        "correlationId": f"corr-{event_id}",
        "result": result,
        "resultReason": reason,
        "activityDisplayName": activity,
        "activityDateTime": f"{DAY}T{hour:02d}:00:00Z",
        "loggedByService": "Core Directory",
        "operationType": "Assign",
        "initiatedBy": {
            "user": {
                "id": f"id-{initiator}",
                "userPrincipalName": initiator,
                "ipAddress": "203.0.113.5",
            },
            "app": None,
        },
        "targetResources": targets or [],
        "additionalDetails": details or [],
    }


def target(tid: str, ttype: str, name: str, props: dict[str, str] | None = None) -> dict:
    return {
        "id": tid,
        "type": ttype,
        "displayName": name,
        "modifiedProperties": [
            {"displayName": k, "oldValue": None, "newValue": json.dumps(v)}
            for k, v in (props or {}).items()
        ],
    }


def signin(
    event_id: str,
    *,
    upn: str = "bob@contoso.com",
    error: int = 0,
    reason: str = "",
    user_agent: str = "Mozilla/5.0",
    protocol: str = "none",
    requirement: str = "singleFactorAuthentication",
    compliant: bool | None = True,
    trust_type: str | None = "Azure AD joined",
    hour: int = 9,
) -> dict:
    """A Graph ``signIn``."""
    device: dict = {"deviceId": f"dev-{event_id}", "operatingSystem": "Windows"}
    if compliant is not None:
        device["isCompliant"] = compliant
    if trust_type is not None:
        device["trustType"] = trust_type
    return {
        "id": event_id,
        "createdDateTime": f"{DAY}T{hour:02d}:00:00Z",
        "userId": f"id-{upn}",
        "userPrincipalName": upn,
        "userDisplayName": upn.split("@")[0],
        "appId": "app-1",
        "appDisplayName": "Outlook",
        "resourceId": "res-1",
        "resourceDisplayName": "Office 365 Exchange Online",
        "ipAddress": "198.51.100.7",
        "clientAppUsed": "Browser",
        "userAgent": user_agent,
        "authenticationProtocol": protocol,
        "authenticationRequirement": requirement,
        "conditionalAccessStatus": "success",
        "isInteractive": True,
        "status": {"errorCode": error, "failureReason": reason or None},
        "deviceDetail": device,
        "location": {"city": "Dublin", "countryOrRegion": "IE"},
        "networkLocationDetails": [],
        "riskState": "none",
        "riskLevelDuringSignIn": "none",
    }


def _pascal(record: dict) -> dict:
    return {k[0].upper() + k[1:]: v for k, v in record.items()}


def eventhub_audit(rec: dict) -> dict:
    return {
        "time": rec["activityDateTime"],
        "resourceId": "/tenants/" + TENANT + "/providers/Microsoft.aadiam",
        "operationName": rec["activityDisplayName"],
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": TENANT,
        "resultSignature": "None",
        "correlationId": rec["correlationId"],
        "level": "Informational",
        "properties": rec,
    }


def eventhub_signin(rec: dict) -> dict:
    return {
        "time": rec["createdDateTime"],
        "resourceId": "/tenants/" + TENANT + "/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "category": "SignInLogs",
        "tenantId": TENANT,
        "resultType": str(rec["status"]["errorCode"]),
        "callerIpAddress": rec["ipAddress"],
        "properties": rec,
    }


def sentinel_audit(rec: dict) -> dict:
    row = _pascal(rec)
    row.update(
        {
            "TenantId": TENANT,
            "TimeGenerated": rec["activityDateTime"],
            "OperationName": rec["activityDisplayName"],
            "AADOperationType": rec["operationType"],
            "Type": "AuditLogs",
            "SourceSystem": "Azure AD",
        }
    )
    return row


def sentinel_signin(rec: dict) -> dict:
    row = _pascal(rec)
    row.update(
        {
            "TenantId": TENANT,
            "TimeGenerated": rec["createdDateTime"],
            "ResultType": str(rec["status"]["errorCode"]),
            "ResultDescription": rec["status"]["failureReason"],
            "IPAddress": rec["ipAddress"],
            "LocationDetails": rec["location"],
            "Location": rec["location"]["countryOrRegion"],
            "Type": "SigninLogs",
            "Category": "SignInLogs",
        }
    )
    for key in ("IpAddress", "Location_", "Status"):
        row.pop(key, None)
    row["Status"] = rec["status"]
    return row


def write_shapes(
    folder: Path, audits: dict[str, list[dict]], signins: dict[str, list[dict]]
) -> None:
    """Files of ``folder`` with each shape's records, as the exports write them."""
    folder.mkdir(parents=True, exist_ok=True)
    hub = [eventhub_audit(r) for r in audits.get("eventhub", [])]
    hub += [eventhub_signin(r) for r in signins.get("eventhub", [])]
    if hub:
        (folder / "eventhub.json").write_text(json.dumps({"records": hub}))
    if audits.get("graph"):
        (folder / "directoryAudits.json").write_text(json.dumps({"value": audits["graph"]}))
    if signins.get("graph"):
        (folder / "signIns.json").write_text(json.dumps({"value": signins["graph"]}))
    rows = [sentinel_audit(r) for r in audits.get("sentinel", [])]
    rows += [sentinel_signin(r) for r in signins.get("sentinel", [])]
    if rows:
        (folder / "sentinel.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def lake(ws: Workspace, audits: dict[str, list[dict]], signins: dict[str, list[dict]]) -> None:
    """Ingest the records into the workspace's lake."""
    write_shapes(ws.root / "input", audits, signins)
    summary = ingest_paths(ws, [ws.root / "input"])
    assert summary.rows_written, summary
