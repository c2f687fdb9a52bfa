"""Entitlement Management directory audits written by hand, in every shape we read.

``em_audit`` builds one record as Microsoft Graph's ``directoryAudit`` resource spells it (the
audit activity reference's names, ``targetResources`` with ``type`` / ``agentType`` and
``modifiedProperties`` whose values are JSON text); ``as_storage``, ``as_eventhub``,
``as_log_analytics`` and ``csv_text`` turn it into the Azure Monitor (storage and Event Hub)
envelope and the Log Analytics ``AuditLogs`` row (JSON or CSV, nested values as JSON text).
The target helpers (``package``, ``policy``, ``catalog``, ``request``, ``assignment``,
``subject``, ``resource_role``) name what the ``access_assignments`` view reads; ``SHAPES``
writes records into a folder in each shape, ``sponsor_chain`` is the benign story and
``bad_records`` the records that must be kept and flagged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .records import write_lines

TENANT = "4d3bac44-0230-4732-9e70-cc00736f0a97"
EM_APP = {"displayName": "Entitlement Management", "servicePrincipalId": "em-service"}


def prop(name: str, new: Any, old: Any = None) -> dict:
    """A modifiedProperty as Entra writes it: values are JSON text (strings quoted)."""
    return {
        "displayName": name,
        "oldValue": None if old is None else json.dumps(old),
        "newValue": None if new is None else json.dumps(new),
    }


def _target(kind: str, ident: str, name: str | None, props: list[dict] | None = None) -> dict:
    return {"id": ident, "type": kind, "displayName": name, "modifiedProperties": props or []}


def package(ident: str = "ap-1", name: str = "Finance reporting") -> dict:
    return _target("AccessPackage", ident, name)


def policy(ident: str = "pol-1", name: str = "Sponsors request, manager approves") -> dict:
    return _target("AccessPackageAssignmentPolicy", ident, name)


def catalog(ident: str = "cat-1", name: str = "Agents") -> dict:
    return _target("AccessPackageCatalog", ident, name)


def request(ident: str = "req-1", request_type: str = "UserAdd", expires: str | None = None):
    props = [prop("RequestType", request_type)]
    if expires is not None:
        props.append(prop("Schedule.Expiration.EndDateTime", expires))
    return _target("AccessPackageAssignmentRequest", ident, None, props)


def assignment(ident: str = "asg-1", expires: str | None = None, state: str = "Delivered"):
    props = [prop("State", state)]
    if expires is not None:
        props.append(prop("ExpirationDateTime", expires))
    return _target("AccessPackageAssignment", ident, None, props)


def subject(
    ident: str = "agent-1",
    name: str = "Finance agent",
    kind: str = "ServicePrincipal",
    agent_type: str | None = "agenticAppInstance",
) -> dict:
    t = _target(kind, ident, name)
    if agent_type is not None:
        t["agentType"] = agent_type
    return t


def resource_role(name: str, origin: str, resource: str | None = None, ident: str = "") -> dict:
    """A resource role the package hands out: OriginSystem AadGroup, AadApplication (an app role
    or API permission of ``resource``), DirectoryRole or SharePointOnline."""
    props = [prop("OriginSystem", origin)]
    if resource is not None:
        props.append(prop("AccessPackageResource.DisplayName", resource))
    return _target("AccessPackageResourceRole", ident or f"role-{name}", name, props)


def user(upn: str, ident: str | None = None) -> dict:
    return {"user": {"id": ident or f"id-{upn}", "userPrincipalName": upn, "ipAddress": "1.2.3.4"}}


def em_audit(
    event_id: str,
    activity: str,
    targets: list[dict] | None,
    initiated_by: dict | None = None,
    when: str = "2026-03-10T10:00:00Z",
    correlation: str = "corr-1",
    details: list[dict] | None = None,
    **extra: Any,
) -> dict:
    """One Graph ``directoryAudit`` of the EntitlementManagement category."""
    rec = {
        "id": event_id,
        "category": "EntitlementManagement",
        "correlationId": correlation,
        "result": "success",
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": when,
        "loggedByService": "Entitlement Management",
        "operationType": "Add",
        "initiatedBy": initiated_by or {"app": EM_APP},
        "targetResources": targets,
        "additionalDetails": details or [],
    }
    rec.update(extra)
    return rec


def as_storage(rec: dict) -> dict:
    """The Azure Monitor diagnostic-settings envelope (storage account, one JSON per line)."""
    return {
        "time": rec["activityDateTime"],
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": rec["activityDisplayName"],
        "operationVersion": "1.0",
        "category": "AuditLogs",
        "tenantId": TENANT,
        "resultSignature": "None",
        "correlationId": rec["correlationId"],
        "Level": 4,
        "properties": {"tenantId": TENANT, **rec},
    }


def as_eventhub(recs: list[dict]) -> dict:
    """One Event Hub body: the same envelopes under ``records``."""
    return {"records": [as_storage(r) for r in recs]}


def as_log_analytics(rec: dict) -> dict:
    """A Log Analytics ``AuditLogs`` row: nested values as JSON text."""
    return {
        "TenantId": TENANT,
        "TimeGenerated": rec["activityDateTime"],
        "Id": rec["id"],
        "OperationName": rec["activityDisplayName"],
        "ActivityDisplayName": rec["activityDisplayName"],
        "ActivityDateTime": rec["activityDateTime"],
        "Category": rec["category"],
        "AADOperationType": rec["operationType"],
        "Result": rec["result"],
        "ResultReason": rec["resultReason"],
        "LoggedByService": rec["loggedByService"],
        "CorrelationId": rec["correlationId"],
        "InitiatedBy": json.dumps(rec["initiatedBy"]),
        # a record without targetResources: an empty cell, as a CSV download writes it
        "TargetResources": json.dumps(rec["targetResources"]) if "targetResources" in rec else "",
        "AdditionalDetails": json.dumps(rec["additionalDetails"]),
        "Type": "AuditLogs",
    }


def csv_text(rows: list[dict]) -> str:
    """Rows as a CSV download (the header is the union of their keys)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


SPONSOR = "cfo-office@contoso.com"
OWNER = "platform-team@contoso.com"


def sponsor_chain(prefix: str = "s", expires: str | None = "2026-06-10T10:00:00Z") -> list[dict]:
    """The benign story: the sponsor requests a package on behalf of the agent, the owner
    approves (a stage, then the request), Entra fulfils the assignment (with an expiry) and its
    group membership."""
    common = [package(), policy(), catalog()]
    req = request(f"{prefix}-req", "UserAdd", expires)
    agent = subject()
    return [
        em_audit(
            f"{prefix}1",
            "User requests an access package assignment on behalf of service principal",
            [*common, req, agent],
            user(SPONSOR),
            "2026-03-10T09:00:00Z",
            f"{prefix}-c1",
        ),
        em_audit(
            f"{prefix}2",
            "Approval stage completed for access package assignment request",
            [package(), req, agent],
            user(OWNER),
            "2026-03-10T09:30:00Z",
            f"{prefix}-c2",
        ),
        em_audit(
            f"{prefix}3",
            "Approve access package assignment request",
            [package(), req, agent],
            user(OWNER),
            "2026-03-10T09:30:01Z",
            f"{prefix}-c2",
        ),
        em_audit(
            f"{prefix}4",
            "Fulfill access package assignment request",
            [package(), req, assignment(f"{prefix}-asg", expires), agent],
            when="2026-03-10T09:31:00Z",
            correlation=f"{prefix}-c3",
        ),
        em_audit(
            f"{prefix}5",
            "Fulfill access package resource assignment",
            [
                package(),
                assignment(f"{prefix}-asg"),
                resource_role("Finance readers", "AadGroup"),
                agent,
            ],
            when="2026-03-10T09:31:05Z",
            correlation=f"{prefix}-c3",
        ),
    ]


def bad_records() -> list[dict]:
    """Records that must be kept and flagged: no targetResources, empty targets, an unknown
    activity, modifiedProperties that is not a list, entries without a name."""
    broken_props = subject("agent-2", "Broken agent")
    broken_props["modifiedProperties"] = "not a list"
    junk_entry = subject("agent-3", "Junk agent")
    junk_entry["modifiedProperties"] = ["junk", {"displayName": None, "newValue": "x"}]
    missing = em_audit("no-target", "Fulfill access package assignment request", None)
    del missing["targetResources"]
    return [
        missing,
        em_audit("empty-targets", "Approve access package assignment request", []),
        em_audit("unknown", "Reticulate access package splines", [package(), subject()]),
        em_audit(
            "bad-props", "Fulfill access package assignment request", [package(), broken_props]
        ),
        em_audit("junk-props", "Extend access package assignment", [package(), junk_entry]),
    ]


def _storage(folder: Path, recs: list[dict]) -> None:
    tree = folder / "insights-logs-auditlogs" / "y=2026" / "m=03" / "d=10" / "PT1H.json"
    write_lines(tree, [as_storage(r) for r in recs])


def _eventhub(folder: Path, recs: list[dict]) -> None:
    write_lines(folder / "bodies.jsonl", [as_eventhub(recs[:2]), as_eventhub(recs[2:])])


def _graph(folder: Path, recs: list[dict]) -> None:
    page = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
        "value": recs,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "directoryAudits.json").write_text(json.dumps(page))


def _la_json(folder: Path, recs: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auditlogs.json").write_text(json.dumps([as_log_analytics(r) for r in recs]))


def _la_csv(folder: Path, recs: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auditlogs.csv").write_text(csv_text([as_log_analytics(r) for r in recs]))


#: shape -> (writer of records into a folder, the source_format it lands with)
SHAPES: dict[str, tuple[Callable[[Path, list[dict]], None], str]] = {
    "storage": (_storage, "storage"),
    "eventhub": (_eventhub, "eventhub"),
    "graph": (_graph, "graph"),
    "la_json": (_la_json, "loganalytics"),
    "la_csv": (_la_csv, "loganalytics"),
}
