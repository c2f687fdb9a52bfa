"""Hand-written fixtures for every export shape without a public sample, checked field by field."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import (
    AGENT_KINDS,
    lake_rows,
    quarantine_rows,
    sample_records,
    with_agent,
    write_lines,
)


@pytest.fixture(scope="module")
def signin(samples_dir: Path) -> dict:
    return sample_records(samples_dir, "sign_in_logs.json")[0]


@pytest.fixture(scope="module")
def sp_signin(samples_dir: Path) -> dict:
    return sample_records(samples_dir, "service_principal_sign_in_logs.json")[0]


@pytest.fixture(scope="module")
def audit(samples_dir: Path) -> dict:
    return sample_records(samples_dir, "audit_logs.json")[0]


def test_insights_logs_tree_and_gzip(tmp_path: Path, workspace: Workspace, samples_dir) -> None:
    records = sample_records(samples_dir, "sign_in_logs.json")
    tree = tmp_path / "insights-logs-signinlogs" / "resourceId=" / "tenants" / "t" / "y=2025"
    write_lines(tree / "m=04" / "d=11" / "h=16" / "m=00" / "PT1H.json", records[:3])
    write_lines(tree / "m=04" / "d=11" / "h=17" / "m=00" / "PT1H.json", records[3:], gz=True)
    summary = ingest_paths(workspace, [tmp_path / "insights-logs-signinlogs"])
    assert summary.files_seen == 2 and summary.rows_written == {"signins": 5}
    rows = lake_rows(workspace, "signins")
    assert {r["source_format"] for r in rows} == {"storage"}
    assert [r["event_id"] for r in rows] == sorted(
        [r["event_id"] for r in rows], key=[x["properties"]["id"] for x in records].index
    ) or len(rows) == 5


def test_glob_input(tmp_path: Path, workspace: Workspace, signin: dict) -> None:
    write_lines(tmp_path / "a" / "one.log", [signin])
    other = copy.deepcopy(signin)
    other["properties"]["id"] = "other"
    write_lines(tmp_path / "b" / "two", [other, signin])
    write_lines(tmp_path / "b" / "copy", [signin])
    summary = ingest_paths(workspace, [str(tmp_path / "*" / "*")])
    assert summary.files_seen == 3
    # a file with the same content as one ingested before is skipped
    assert summary.files_skipped == 1
    # the same event in another file lands once
    assert summary.rows_written == {"signins": 2} and summary.duplicates == 1


def test_event_hub_records_bodies(tmp_path: Path, workspace: Workspace, signin, sp_signin) -> None:
    second = copy.deepcopy(signin)
    second["properties"]["id"] = "second-id"
    # one body per file, pretty printed, no extension
    (tmp_path / "body").write_text(json.dumps({"records": [signin, sp_signin]}, indent=2))
    # many bodies, one per line
    lines = [{"records": [second]}, {"records": []}, {"records": [sp_signin, signin]}]
    write_lines(tmp_path / "bodies.jsonl", lines)
    summary = ingest_paths(workspace, [tmp_path / "body", tmp_path / "bodies.jsonl"])
    by_file = {Path(f.file).name: f for f in summary.files}
    assert by_file["body"].rows_read == 2 and by_file["body"].source_format == "eventhub"
    assert by_file["bodies.jsonl"].rows_read == 3
    assert by_file["bodies.jsonl"].duplicates == 2  # sp_signin and signin again
    rows = lake_rows(workspace, "signins")
    assert sorted(r["log_type"] for r in rows) == [
        "interactive",
        "interactive",
        "service_principal",
    ]
    line3 = [r for r in rows if r["source_file"].endswith("bodies.jsonl")]
    assert [r["source_line"] for r in line3] == [1]
    sp = next(r for r in rows if r["log_type"] == "service_principal")
    assert sp["actor_kind"] == "service_principal"
    assert sp["actor_id"] == sp_signin["properties"]["servicePrincipalId"]
    assert sp["actor_name"] == "Datadog Audit Logs (AP1)"
    assert sp["country"] == "JP" and sp["city"] == "Tokyo"
    assert json.loads(sp["raw"]) == sp_signin


def _graph_signin(signin: dict, **changes) -> dict:
    rec = copy.deepcopy(signin["properties"])
    rec.update(changes)
    return rec


def test_graph_pages_arrays_and_lines(tmp_path: Path, workspace: Workspace, signin, sp_signin):
    user = _graph_signin(signin, signInEventTypes=["interactiveUser"])
    noninteractive = _graph_signin(
        signin, id="ni-1", signInEventTypes=["nonInteractiveUser"], isInteractive=False
    )
    sp = _graph_signin(sp_signin, signInEventTypes=["servicePrincipal"])
    mi = _graph_signin(sp_signin, id="mi-1", signInEventTypes=["managedIdentity"])
    page = {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
        "@odata.nextLink": "https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=x",
        "value": [user, noninteractive],
    }
    (tmp_path / "page.json").write_text(json.dumps(page))
    (tmp_path / "array.json").write_text(json.dumps([sp], indent=1))
    write_lines(tmp_path / "lines.json", [mi])
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"signins": 4} and summary.quarantined == 0
    rows = {r["event_id"]: r for r in lake_rows(workspace, "signins")}
    assert rows[user["id"]]["log_type"] == "interactive"
    assert rows["ni-1"]["log_type"] == "non_interactive"
    assert rows["ni-1"]["is_interactive"] is False
    assert rows[sp["id"]]["log_type"] == "service_principal"
    assert rows["mi-1"]["log_type"] == "managed_identity"
    assert {r["source_format"] for r in rows.values()} == {"graph"}
    assert rows[user["id"]]["event_time"] == datetime(2025, 4, 11, 16, 15, 30, 543135, tzinfo=UTC)
    assert rows[user["id"]]["tenant_id"] == user["tenantId"]
    # a one-line page: its records share line 1; a pretty-printed array numbers its records
    assert rows[user["id"]]["source_line"] == 1 and rows["ni-1"]["source_line"] == 1
    assert rows[sp["id"]]["source_line"] == 1


def test_graph_directory_audits_and_summarized_signins(tmp_path: Path, workspace, audit, signin):
    entry = copy.deepcopy(audit["properties"])
    (tmp_path / "audits.json").write_text(json.dumps({"value": [entry]}))
    summarized = {
        "id": "summary-1",
        "createdDateTime": "2025-04-11T00:00:00Z",
        "userId": "76cbae99-9c68-4843-856f-3feb9e9867af",
        "userPrincipalName": "harry.potter@hogwarts.com",
        "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "appDisplayName": "Azure Portal",
        "ipAddress": "68.198.218.175",
        "status": {"errorCode": 0},
        "signInCount": 42,
        "isInteractive": False,
    }
    write_lines(tmp_path / "summary.jsonl", [summarized])
    ingest_paths(workspace, [tmp_path])
    (row,) = lake_rows(workspace, "audits")
    assert row["event_id"] == entry["id"] and row["source_format"] == "graph"
    assert row["activity"] == "Update user" and row["initiator_kind"] == "service_principal"
    assert row["targets"][0]["modified_properties"][1]["new_value"] == "StrongAuthenticationMethod"
    (s,) = lake_rows(workspace, "signins")
    assert s["sign_in_count"] == 42 and s["log_type"] == "non_interactive"
    assert s["succeeded"] is True and s["actor_id"] == summarized["userId"]


def test_agent_signins_of_every_agent_type(tmp_path: Path, workspace, signin, sp_signin):
    records = []
    for n, (agent_type, _kind) in enumerate(AGENT_KINDS.items()):
        base = signin if agent_type == "agentIDuser" else sp_signin
        rec = with_agent(
            base,
            agent_type,
            agentSubjectParentId=f"parent-{n}",
            parentAppId=f"blueprint-app-{n}",
        )
        rec["properties"]["id"] = f"agent-signin-{n}"
        records.append(rec)
    lower = with_agent(sp_signin, "AGENTICAPPINSTANCE")
    lower["properties"]["id"] = "agent-upper"
    # the subject type wins over agentType: an agent user acting under an agent identity
    mixed = with_agent(signin, "agenticAppInstance", "agentIDuser")
    mixed["properties"]["id"] = "agent-mixed"
    plain = with_agent(sp_signin, "notAgentic")
    plain["properties"]["id"] = "not-agent"
    write_lines(tmp_path / "agents.json", [*records, lower, mixed, plain])
    summary = ingest_paths(workspace, [tmp_path / "agents.json"])
    assert summary.rows_written == {"signins": len(records) + 3}
    rows = {r["event_id"]: r for r in lake_rows(workspace, "signins")}
    for n, (agent_type, kind) in enumerate(AGENT_KINDS.items()):
        row = rows[f"agent-signin-{n}"]
        assert row["agent_type"] == agent_type
        assert row["agent_subject_type"] == agent_type
        assert row["actor_kind"] == kind, agent_type
        assert row["actor_kind_source"] == "entra_agent_fields"
        assert row["agent_subject_parent_id"] == f"parent-{n}"
        assert row["agent_parent_app_id"] == f"blueprint-app-{n}"
        if kind == "agent_user":
            assert row["actor_id"] == signin["properties"]["userId"]
        else:
            assert row["actor_id"] == sp_signin["properties"]["servicePrincipalId"]
    assert rows["agent-upper"]["actor_kind"] == "agent_identity"
    assert rows["agent-mixed"]["actor_kind"] == "agent_user"
    assert rows["not-agent"]["actor_kind"] == "service_principal"
    assert rows["not-agent"]["actor_kind_source"] == "log_category"


LA_SIGNIN = {
    "TenantId": "4d3bac44-0230-4732-9e70-cc00736f0a97",
    "SourceSystem": "Azure AD",
    "TimeGenerated": "2025-04-11T16:17:00.7397744Z",
    "OperationName": "Sign-in activity",
    "Category": "SignInLogs",
    "ResultType": "50126",
    "ResultDescription": "Invalid username or password.",
    "Identity": "Harry Potter",
    "Level": "4",
    "Location": "US",
    "AppDisplayName": "Azure Portal",
    "AppId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    "AutonomousSystemNumber": 6128,
    "ClientAppUsed": "Browser",
    "ConditionalAccessStatus": "notApplied",
    "CorrelationId": "6a88c69c-77cc-4f71-b1e2-155b84594b0b",
    "CreatedDateTime": "2025-04-11T16:15:30.5431359Z",
    "DeviceDetail": '{"deviceId":"","operatingSystem":"MacOs","browser":"Chrome 135.0.0",'
    '"isCompliant":false,"isManaged":"true"}',
    "IPAddress": "68.198.218.175",
    "IsInteractive": "true",
    "Id": "94cb51df-08a4-4a74-b42b-1210a7a12a00",
    "LocationDetails": '{"city":"Westfield","state":"New Jersey","countryOrRegion":"US",'
    '"geoCoordinates":{"latitude":40.64,"longitude":-74.33}}',
    "ResourceDisplayName": "Azure Resource Manager",
    "ResourceIdentity": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
    "ResourceId": "/tenants/4d3bac44-0230-4732-9e70-cc00736f0a97/providers/Microsoft.aadiam",
    "Status": '{"errorCode":50126,"failureReason":"Invalid username or password."}',
    "UserDisplayName": "Harry Potter",
    "UserId": "76cbae99-9c68-4843-856f-3feb9e9867af",
    "UserPrincipalName": "harry.potter@hogwarts.com",
    "UserType": "Member",
    "Agent": '{"agentType":"agentIDuser","agentSubjectType":"agentIDuser"}',
    "UniqueTokenIdentifier": "abc",
    "SessionId": "sess-1",
    "Type": "SigninLogs",
}


def _check_la_signin(row: dict) -> None:
    assert row["event_id"] == LA_SIGNIN["Id"]
    assert row["event_time"] == datetime(2025, 4, 11, 16, 15, 30, 543135, tzinfo=UTC)
    assert row["log_type"] == "interactive" and row["log_category"] == "SigninLogs"
    assert row["source_format"] == "loganalytics"
    assert row["error_code"] == 50126 and row["succeeded"] is False
    assert row["failure_reason"] == "Invalid username or password."
    assert row["city"] == "Westfield" and row["country"] == "US" and row["state"] == "New Jersey"
    assert row["latitude"] == pytest.approx(40.64) and row["longitude"] == pytest.approx(-74.33)
    assert row["device_os"] == "MacOs" and row["device_browser"] == "Chrome 135.0.0"
    assert row["device_is_compliant"] is False and row["device_is_managed"] is True
    assert row["is_interactive"] is True
    assert row["autonomous_system_number"] == 6128
    assert row["resource_id"] == "797f4846-ba00-4fd7-ba43-dac1f8f63013"
    assert row["actor_kind"] == "agent_user" and row["actor_kind_source"] == "entra_agent_fields"
    assert row["actor_id"] == LA_SIGNIN["UserId"]
    assert row["session_id"] == "sess-1" and row["unique_token_id"] == "abc"
    assert row["tenant_id"] == LA_SIGNIN["TenantId"]


def test_log_analytics_json(tmp_path: Path, workspace: Workspace) -> None:
    nested = dict(LA_SIGNIN, Id="nested-1")
    # the same row with nested values as objects (the Log Analytics API) instead of JSON text
    for key in ("DeviceDetail", "LocationDetails", "Status", "Agent"):
        nested[key] = json.loads(LA_SIGNIN[key])
    (tmp_path / "la.json").write_text(json.dumps([LA_SIGNIN, nested]))
    ingest_paths(workspace, [tmp_path / "la.json"])
    rows = {r["event_id"]: r for r in lake_rows(workspace, "signins")}
    _check_la_signin(rows[LA_SIGNIN["Id"]])
    obj = dict(rows["nested-1"], event_id=LA_SIGNIN["Id"])
    _check_la_signin(obj)


def _csv(rows: list[dict], bom: bool = False) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "") + out.getvalue()


def test_log_analytics_csv(tmp_path: Path, workspace: Workspace) -> None:
    row = dict(LA_SIGNIN)
    row["TimeGenerated [UTC]"] = "4/11/2025, 4:17:00.739 PM"
    del row["TimeGenerated"]
    row["CreatedDateTime [UTC]"] = row.pop("CreatedDateTime")
    audit = {
        "TenantId": "t",
        "TimeGenerated [UTC]": "4/11/2025, 8:16:11.051 AM",
        "Id": "Directory_1",
        "ActivityDateTime [UTC]": "4/11/2025, 8:16:11.051 AM",
        "ActivityDisplayName": "Add service principal credentials",
        "Category": "ApplicationManagement",
        "AADOperationType": "Update",
        "Result": "success",
        "LoggedByService": "Core Directory",
        "InitiatedBy": '{"user":{"id":"u1","userPrincipalName":"admin@contoso.com",'
        '"ipAddress":"1.2.3.4"}}',
        "TargetResources": '[{"id":"sp1","type":"ServicePrincipal","displayName":"Agent X",'
        '"modifiedProperties":[{"displayName":"KeyDescription","oldValue":"[]",'
        '"newValue":"\\"[\\\\\\"KeyIdentifier=abc\\\\\\"]\\""}]}]',
        "Type": "AuditLogs",
    }
    graph = {
        "TenantId": "t",
        "TimeGenerated [UTC]": "2025-04-11T06:20:56.3154034Z",
        "RequestId": "req-1",
        "OperationId": "op-1",
        "ApiVersion": "v1.0",
        "RequestMethod": "get",
        "ResponseStatusCode": "200",
        "IPAddress": "52.112.76.0",
        "RequestUri": "https://graph.microsoft.com/v1.0/users/a@b.com/messages?$top=1",
        "DurationMs": "12",
        "ResponseSizeBytes": "",
        "AppId": "app-1",
        "ServicePrincipalId": "sp-1",
        "UserId": "",
        "Roles": "Mail.Read",
        "Scopes": "",
        "Type": "MicrosoftGraphActivityLogs",
    }
    (tmp_path / "signins.csv").write_text(_csv([row]))
    (tmp_path / "audits.csv").write_text(_csv([audit]), encoding="utf-8")
    (tmp_path / "graph.csv").write_text(_csv([graph], bom=True))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.quarantined == 0, summary.quarantine_reasons
    (s,) = lake_rows(workspace, "signins")
    _check_la_signin(dict(s, event_time=s["event_time"]))
    assert s["source_line"] == 2
    (a,) = lake_rows(workspace, "audits")
    assert a["event_time"] == datetime(2025, 4, 11, 8, 16, 11, 51000, tzinfo=UTC)
    assert a["initiator_kind"] == "human" and a["initiator_name"] == "admin@contoso.com"
    assert a["initiator_ip"] == "1.2.3.4" and a["category"] == "ApplicationManagement"
    (target,) = a["targets"]
    assert target["type"] == "ServicePrincipal" and target["id"] == "sp1"
    # double-encoded JSON array in a string, decoded twice
    assert target["modified_properties"][0]["new_value"] == '["KeyIdentifier=abc"]'
    (g,) = lake_rows(workspace, "activity")
    assert g["event_id"] == "req-1" and g["operation"] == "GET"
    assert g["resource_path"] == "/users/{id}/messages"
    assert g["token_type"] == "app" and g["actor_id"] == "sp-1"
    assert g["roles"] == ["Mail.Read"] and g["scopes"] == []
    assert g["response_size_bytes"] is None and g["duration_ms"] == 12


PORTAL_HEADER = (
    "Date (UTC),Request ID,User agent,Correlation ID,User ID,User,Username,User type,"
    "Cross tenant access type,Incoming token type,Authentication Protocol,Unique token identifier,"
    "Client credential type,Application,Application ID ,Resource,Resource ID ,IP address,Location,"
    "Status,Sign-in error code,Failure reason,Client app,Device ID,Browser,Operating System,"
    "Compliant,Managed,Session ID,Autonomous system  number,Incoming token type,"
    "Conditional Access"
)


def test_portal_csv_download(tmp_path: Path, workspace: Workspace) -> None:
    rows = [
        "2025-04-11T16:15:30Z,req-a,Mozilla/5.0,corr-a,user-1,Harry Potter,"
        "harry.potter@hogwarts.com,Member,none,none,none,tok-a,none,Azure Portal,app-1,"
        'Azure Resource Manager,res-1,68.198.218.175,"Westfield, New Jersey, US",Success,0,,'
        "Browser,,Chrome 135.0.0,MacOs,FALSE,TRUE,sess-a,6128,primaryRefreshToken,Not Applied",
        "4/11/2025 5:00:00 PM,req-b,curl/8,corr-b,user-2,Guest Person,guest@other.com,Guest,"
        "b2bCollaboration,none,none,tok-b,none,Azure Portal,app-1,Azure Resource Manager,res-1,"
        '10.0.0.1,"Paris, FR",Failure,50126,Invalid username or password.,Browser,,,,,,,,none,'
        "Failure",
    ]
    text = "\ufeff" + PORTAL_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n"
    (tmp_path / "InteractiveSignIns_2025-04-11.csv").write_text(text, encoding="utf-8")
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"signins": 2}, summary.quarantine_reasons
    a, b = lake_rows(workspace, "signins")
    assert a["source_format"] == "portal" and a["log_type"] == "interactive"
    assert a["event_id"] == "req-a"
    assert a["event_time"] == datetime(2025, 4, 11, 16, 15, 30, tzinfo=UTC)
    assert a["app_id"] == "app-1" and a["resource_id"] == "res-1"  # "Application ID " trailing
    assert a["autonomous_system_number"] == 6128  # "Autonomous system  number" doubled space
    assert a["incoming_token_type"] == "none"  # first of the duplicate columns
    assert json.loads(a["raw"])["incoming token type #2"] == "primaryRefreshToken"
    assert a["city"] == "Westfield" and a["state"] == "New Jersey" and a["country"] == "US"
    assert a["succeeded"] is True and a["error_code"] == 0
    assert a["device_is_compliant"] is False and a["device_is_managed"] is True
    assert a["actor_kind"] == "human" and a["actor_id"] == "user-1"
    assert a["conditional_access_status"] == "Not Applied"
    assert b["event_time"] == datetime(2025, 4, 11, 17, 0, tzinfo=UTC)
    assert b["actor_kind"] == "guest" and b["succeeded"] is False and b["error_code"] == 50126
    assert b["city"] == "Paris" and b["country"] == "FR" and b["state"] is None


M365_FILE = {
    "CreationTime": "2025-04-11T10:00:00",
    "Id": "m365-file-1",
    "Operation": "FileAccessed",
    "OrganizationId": "tenant-1",
    "RecordType": 6,
    "UserKey": "i:0h.f|membership|10032000aaaa@live.com",
    "UserType": 0,
    "Workload": "SharePoint",
    "ClientIP": "20.1.2.3",
    "ObjectId": "https://contoso.sharepoint.com/sites/Finance/Shared Documents/Q1.xlsx",
    "UserId": "agent-user@contoso.com",
    "ApplicationId": "app-copilot",
    "SensitivityLabelId": "label-confidential",
    "UserAgent": "Microsoft Office/16.0",
    "AppAccessContext": {"AADSessionId": "sess-9", "ClientAppId": "client-app-1"},
}
M365_MAIL = {
    "CreationTime": "2025-04-11T11:00:00.123Z",
    "Id": "m365-mail-1",
    "Operation": "MailItemsAccessed",
    "OrganizationId": "tenant-1",
    "RecordType": 50,
    "ResultStatus": "Succeeded",
    "UserKey": "8a4de8b5-095c-47d0-a96f-a75130c61d53",
    "UserType": 0,
    "Workload": "Exchange",
    "UserId": "ceo@contoso.com",
    "AppId": "app-mail-reader",
    "ClientIPAddress": "20.1.2.4:51234",
    "ClientInfoString": "Client=REST;Client=RESTSystem;",
    "Folders": [{"FolderItems": [{"InternetMessageId": "<x@y>"}], "Path": "\\Inbox"}],
}
M365_COPILOT = {
    "CreationTime": "2025-04-11T12:00:00",
    "Id": "m365-copilot-1",
    "Operation": "CopilotInteraction",
    "OrganizationId": "tenant-1",
    "RecordType": 261,
    "UserKey": "user-key",
    "UserType": 0,
    "Workload": "Copilot",
    "UserId": "analyst@contoso.com",
    "ClientIP": "20.1.2.5",
    "CopilotEventData": {
        "AppHost": "BizChat",
        "AccessedResources": [
            {
                "Id": "https://contoso.sharepoint.com/sites/HR/Salaries.xlsx",
                "SensitivityLabelId": "hr",
            }
        ],
    },
}


def test_m365_audit_records(tmp_path: Path, workspace: Workspace) -> None:
    other = dict(M365_FILE, Id="m365-other", Operation="UserLoggedIn")
    (tmp_path / "m365.json").write_text(json.dumps([M365_FILE, M365_MAIL, M365_COPILOT, other]))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"activity": 3} and summary.quarantined == 1
    rows = {r["event_id"]: r for r in lake_rows(workspace, "activity")}
    f = rows["m365-file-1"]
    assert f["source_log"] == "m365" and f["source_format"] == "m365"
    assert f["operation"] == "FileAccessed" and f["token_type"] == "delegated"
    assert f["user_principal_name"] == "agent-user@contoso.com"
    assert f["actor_id"] == "agent-user@contoso.com"
    assert f["app_id"] == "client-app-1" and f["session_id"] == "sess-9"
    assert f["sensitivity_label_id"] == "label-confidential"
    assert f["resource_path"] == "/sites/finance/shared documents/q1.xlsx"
    assert f["event_time"] == datetime(2025, 4, 11, 10, 0, tzinfo=UTC)
    assert f["tenant_id"] == "tenant-1" and f["ip_address"] == "20.1.2.3"
    m = rows["m365-mail-1"]
    assert m["user_id"] == "8a4de8b5-095c-47d0-a96f-a75130c61d53"
    assert m["ip_address"] == "20.1.2.4" and m["app_id"] == "app-mail-reader"
    assert m["request_uri"] == "\\Inbox"
    c = rows["m365-copilot-1"]
    assert c["sensitivity_label_id"] == "hr" and c["operation"] == "CopilotInteraction"
    assert c["request_uri"] == "https://contoso.sharepoint.com/sites/HR/Salaries.xlsx"
    (q,) = quarantine_rows(workspace)
    assert "UserLoggedIn" in q["reason"]


def test_m365_purview_csv(tmp_path: Path, workspace: Workspace) -> None:
    rows = [
        {
            "RecordId": r["Id"],
            "CreationDate": r["CreationTime"],
            "RecordType": r["RecordType"],
            "Operation": r["Operation"],
            "UserId": r["UserId"],
            "AuditData": json.dumps(r),
        }
        for r in (M365_FILE, M365_MAIL)
    ]
    (tmp_path / "audit_export.csv").write_text(_csv(rows, bom=True))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"activity": 2}
    assert {r["operation"] for r in lake_rows(workspace, "activity")} == {
        "FileAccessed",
        "MailItemsAccessed",
    }


def test_unknown_category_quarantined_with_its_name(tmp_path: Path, workspace, signin) -> None:
    other = copy.deepcopy(signin)
    other["category"] = "ProvisioningLogs"
    write_lines(tmp_path / "mixed.json", [signin, other])
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"signins": 1} and summary.quarantined == 1
    (q,) = quarantine_rows(workspace)
    assert "'ProvisioningLogs'" in q["reason"]
    assert q["source_line"] == 2 and q["source_format"] == "storage"
    assert json.loads(q["raw_text"])["category"] == "ProvisioningLogs"
    assert any("ProvisioningLogs" in reason for reason in summary.quarantine_reasons)


def test_gzip_document(tmp_path: Path, workspace: Workspace, signin) -> None:
    (tmp_path / "export").write_bytes(gzip.compress(json.dumps({"records": [signin]}).encode()))
    summary = ingest_paths(workspace, [tmp_path / "export"])
    assert summary.rows_written == {"signins": 1}
