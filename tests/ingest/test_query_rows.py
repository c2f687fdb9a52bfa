"""Log Analytics / Sentinel rows as a query exports them (issue 12), written by hand from the
column lists of Microsoft's table reference (AuditLogs, SigninLogs, AADServicePrincipalSignInLogs,
MicrosoftGraphActivityLogs, OfficeActivity).

A query may project extra columns, overwrite ``Type`` (``project-rename``, a custom ``_CL``
table), drop it, or leave columns out: the row's own columns decide its table then.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows

TENANT = "0b6a1c3e-5f4d-4a9b-8c7e-2d1f0a9b8c7d"
SP_ID = "7c2e9a41-3b5d-4f68-9a1c-0e8d7b6f5a43"
APP_ID = "e4b1c2d3-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
USER_ID = "3f9d2b17-6c4e-4a8b-9d1f-5e7a3c2b1d0e"

#: an AuditLogs row from a hunting query: `extend InitiatingUser = …, ModifiedApplication = …`
AUDIT_PROJECTED = {
    "TimeGenerated": "2026-03-02T09:15:42.1234567Z",
    "ActivityDateTime": "2026-03-02T09:15:41.9876543Z",
    "Id": "Directory_6T1QH_44213881",
    "OperationName": "Add app role assignment to service principal",
    "Category": "ApplicationManagement",
    "Result": "success",
    "LoggedByService": "Core Directory",
    "CorrelationId": "a0f1e2d3-c4b5-4a69-8877-665544332211",
    "InitiatedBy": json.dumps(
        {"user": {"id": USER_ID, "userPrincipalName": "admin@contoso.com", "ipAddress": "1.2.3.4"}}
    ),
    "TargetResources": json.dumps(
        [
            {
                "id": SP_ID,
                "type": "ServicePrincipal",
                "displayName": "Invoice agent",
                "modifiedProperties": [
                    {"displayName": "AppRole.Value", "oldValue": None, "newValue": '"Mail.Read"'}
                ],
            }
        ]
    ),
    # the query's own columns
    "InitiatingUser": "admin@contoso.com",
    "ModifiedApplication": "Invoice agent",
    "PermissionsAddedTo": "Mail.Read",
    "Type": "AuditLogs_CL",
}

#: an AADServicePrincipalSignInLogs row, `project` keeping a few columns, Type renamed
SP_SIGNIN_PROJECTED = {
    "TimeGenerated": "2026-03-02T10:00:05.5Z",
    "Id": "sp-signin-1",
    "AppId": APP_ID,
    "ServicePrincipalId": SP_ID,
    "ServicePrincipalName": "Invoice agent",
    "ResultType": "0",
    "IPAddress": "20.190.1.2",
    "ResourceDisplayName": "Microsoft Graph",
    "ServicePrincipalCredentialKeyId": "key-1",
    "SignInCount": "",
    "Type": "Signins",
    "HoursSinceCredentialAdded": 2,
}

#: a SigninLogs row without Type nor Category (a `project` that left them out)
USER_SIGNIN_PROJECTED = {
    "TimeGenerated": "2026-03-02T10:05:00Z",
    "CreatedDateTime": "2026-03-02T10:04:58Z",
    "Id": "user-signin-1",
    "UserPrincipalName": "ceo@contoso.com",
    "UserId": USER_ID,
    "AppId": APP_ID,
    "AppDisplayName": "Invoice agent",
    "ResultType": "50126",
    "IsInteractive": "false",
    "RiskyUser": "yes",
}

#: a MicrosoftGraphActivityLogs row from a query, Type dropped, one column added
GRAPH_PROJECTED = {
    "TimeGenerated": "2026-03-02T10:06:07.25Z",
    "RequestId": "graph-req-1",
    "OperationId": "graph-op-1",
    "RequestMethod": "GET",
    "RequestUri": f"https://graph.microsoft.com/v1.0/users/{USER_ID}/messages",
    "ResponseStatusCode": 200,
    "AppId": APP_ID,
    "ServicePrincipalId": SP_ID,
    "IPAddress": "20.190.1.2",
    "Roles": "Mail.Read",
    "TargetMailbox": "ceo@contoso.com",
}

#: no Entra table has this shape (a SecurityEvent row, then a summarised row without Type)
NOT_ENTRA = {
    "TimeGenerated": "2026-03-02T10:07:00Z",
    "Computer": "host-1",
    "EventID": 4624,
    "Account": "CONTOSO\\admin",
    "Type": "SecurityEvent",
}
NOT_ENTRA_UNTYPED = {"TimeGenerated": "2026-03-02T10:08:00Z", "Account": "x", "count_": 3}
#: OperationName + Category, like an audit's, but Type names another table: not re-routed
AZURE_ACTIVITY = {
    "TimeGenerated": "2026-03-02T10:09:00Z",
    "OperationName": "Create or Update Virtual Machine",
    "Category": "Administrative",
    "CorrelationId": "c1",
    "Type": "AzureActivity",
}


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r))
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _check_audit(row: dict) -> None:
    assert row["event_id"] == AUDIT_PROJECTED["Id"]
    assert row["log_category"] == "AuditLogs" and row["category"] == "ApplicationManagement"
    assert row["activity"] == "Add app role assignment to service principal"
    assert row["event_time"] == datetime(2026, 3, 2, 9, 15, 41, 987654, tzinfo=UTC)
    assert row["initiator_kind"] == "human" and row["initiator_name"] == "admin@contoso.com"
    (target,) = row["targets"]
    assert target["id"] == SP_ID and target["modified_properties"][0]["new_value"] == "Mail.Read"
    raw = json.loads(row["raw"])
    assert raw["PermissionsAddedTo"] == "Mail.Read" and raw["InitiatingUser"] == "admin@contoso.com"


def test_projected_rows_json_take_their_table_from_their_shape(tmp_path: Path, workspace) -> None:
    untyped = {k: v for k, v in AUDIT_PROJECTED.items() if k not in ("Type", "TimeGenerated")}
    untyped["Id"] = "Directory_untyped"
    rows = [
        AUDIT_PROJECTED,
        untyped,
        SP_SIGNIN_PROJECTED,
        USER_SIGNIN_PROJECTED,
        GRAPH_PROJECTED,
        NOT_ENTRA,
        NOT_ENTRA_UNTYPED,
        AZURE_ACTIVITY,
    ]
    (tmp_path / "query.json").write_text(json.dumps(rows))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"audits": 2, "signins": 2, "activity": 1}
    assert summary.quarantined == 3

    audits = {r["event_id"]: r for r in lake_rows(workspace, "audits")}
    _check_audit(audits[AUDIT_PROJECTED["Id"]])
    assert audits["Directory_untyped"]["source_format"] == "loganalytics"
    assert "Type" not in json.loads(audits["Directory_untyped"]["raw"])

    signins = {r["event_id"]: r for r in lake_rows(workspace, "signins")}
    sp = signins["sp-signin-1"]
    assert sp["log_type"] == "service_principal" and sp["actor_kind"] == "service_principal"
    assert sp["actor_id"] == SP_ID and sp["succeeded"] is True
    assert sp["event_time"] == datetime(2026, 3, 2, 10, 0, 5, 500000, tzinfo=UTC)
    assert sp["log_category"] == "AADServicePrincipalSignInLogs"
    assert json.loads(sp["raw"])["HoursSinceCredentialAdded"] == 2
    user = signins["user-signin-1"]
    assert user["log_type"] == "non_interactive" and user["actor_id"] == USER_ID
    assert user["error_code"] == 50126 and user["succeeded"] is False

    (graph,) = lake_rows(workspace, "activity")
    assert graph["event_id"] == "graph-req-1" and graph["source_log"] == "graph"
    assert graph["resource_path"] == "/users/{id}/messages" and graph["token_type"] == "app"
    assert json.loads(graph["raw"])["TargetMailbox"] == "ceo@contoso.com"

    typed, untyped_q, azure = sorted(quarantine_rows(workspace), key=lambda q: q["source_line"])
    assert "'AzureActivity'" in azure["reason"]
    assert "'SecurityEvent'" in typed["reason"]
    for q in (typed, untyped_q):
        assert "RequestUri + RequestMethod" in q["reason"] and "InitiatedBy" in q["reason"]
        assert "AppId + ResultType" in q["reason"]
    assert untyped_q["reason"].startswith("Log Analytics row with no Entra shape")
    assert json.loads(untyped_q["raw_text"]) == NOT_ENTRA_UNTYPED


def test_projected_rows_csv(tmp_path: Path, workspace: Workspace) -> None:
    # no TimeGenerated and no Type at all: the Entra columns alone say it is Log Analytics
    audit = {k: v for k, v in AUDIT_PROJECTED.items() if k not in ("Type", "TimeGenerated")}
    audit["ActivityDateTime [UTC]"] = "3/2/2026, 9:15:41.987 AM"
    del audit["ActivityDateTime"]
    (tmp_path / "audit_query.csv").write_text(_csv([audit]))
    signin = dict(SP_SIGNIN_PROJECTED)
    signin["TimeGenerated [UTC]"] = signin.pop("TimeGenerated")
    (tmp_path / "signin_query.csv").write_text(_csv([signin, NOT_ENTRA]))
    graph = {k: v for k, v in GRAPH_PROJECTED.items() if k != "TimeGenerated"}
    graph["TimeGenerated [UTC]"] = "3/2/2026, 10:06:07.250 AM"
    graph["Type"] = "GraphCalls"
    (tmp_path / "graph_query.csv").write_text(_csv([graph]))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"audits": 1, "signins": 1, "activity": 1}
    assert summary.quarantined == 1
    (a,) = lake_rows(workspace, "audits")
    assert a["source_format"] == "loganalytics" and a["initiator_id"] == USER_ID
    assert a["event_time"] == datetime(2026, 3, 2, 9, 15, 41, 987000, tzinfo=UTC)
    assert json.loads(a["raw"])["ModifiedApplication"] == "Invoice agent"
    (s,) = lake_rows(workspace, "signins")
    assert s["log_type"] == "service_principal" and s["actor_id"] == SP_ID
    (g,) = lake_rows(workspace, "activity")
    assert g["operation"] == "GET" and g["status_code"] == 200
    assert g["event_time"] == datetime(2026, 3, 2, 10, 6, 7, 250000, tzinfo=UTC)
    (q,) = quarantine_rows(workspace)
    assert "'SecurityEvent'" in q["reason"] and q["source_line"] == 3


def test_log_analytics_query_api_response(tmp_path: Path, workspace: Workspace) -> None:
    """The query API's own JSON: tables of columns and rows (dynamic values as JSON text)."""
    rows = [AUDIT_PROJECTED, GRAPH_PROJECTED, NOT_ENTRA]
    names = list(dict.fromkeys(k for r in rows for k in r))
    body = {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [{"name": n, "type": "string"} for n in names],
                "rows": [[r.get(n) for n in names] for r in rows],
            }
        ]
    }
    (tmp_path / "response.json").write_text(json.dumps(body))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"audits": 1, "activity": 1} and summary.quarantined == 1
    (audit,) = lake_rows(workspace, "audits")
    assert audit["source_format"] == "loganalytics"
    _check_audit(audit)
    (graph,) = lake_rows(workspace, "activity")
    assert graph["event_id"] == "graph-req-1" and graph["source_line"] == 2
    (q,) = quarantine_rows(workspace)
    assert q["source_line"] == 3 and json.loads(q["raw_text"])["Computer"] == "host-1"
