"""Sentinel's ``OfficeActivity`` rows (issue 12): the Microsoft 365 unified audit record as a Log
Analytics table, written by hand from the table's column reference. They land in ``activity``
exactly as the Management Activity API's records do, the id taken from ``OfficeId``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows
from .test_query_rows import APP_ID, SP_SIGNIN_PROJECTED, TENANT, USER_ID, _csv

#: an app reading a mailbox with an application permission (no signed-in user)
OFFICE_MAIL_APP = {
    "TenantId": "la-workspace-id",
    "TimeGenerated": "2026-03-02T11:00:00.123Z",
    "OfficeId": "office-mail-app-1",
    "RecordType": "ExchangeItemAggregated",
    "Operation": "MailItemsAccessed",
    "OrganizationId": TENANT,
    "OfficeWorkload": "Exchange",
    "ResultStatus": "Succeeded",
    "UserType": "Application",
    "UserKey": APP_ID,
    "UserId": APP_ID,
    "AppId": APP_ID,
    "ClientAppId": APP_ID,
    "Client_IPAddress": "20.190.1.2",
    "ClientInfoString": "Client=REST;Client=RESTSystem;;",
    "MailboxOwnerUPN": "ceo@contoso.com",
    "MailboxGuid": "5b7d0a34-8c2e-4f19-a6d5-3e9b1c7f2a80",
    "Folders": json.dumps(
        [{"FolderItems": [{"InternetMessageId": "<m1@contoso.com>"}], "Path": "\\Inbox"}]
    ),
    "Type": "OfficeActivity",
}

#: a person opening a file in SharePoint
OFFICE_FILE_USER = {
    "TenantId": "la-workspace-id",
    "TimeGenerated": "2026-03-02T11:05:00Z",
    "OfficeId": "office-file-1",
    "RecordType": "SharePointFileOperation",
    "Operation": "FileAccessed",
    "OrganizationId": TENANT,
    "OfficeWorkload": "SharePoint",
    "UserType": "Regular",
    "UserKey": USER_ID,
    "UserId": "analyst@contoso.com",
    "ClientIP": "20.1.2.3",
    "OfficeObjectId": "https://contoso.sharepoint.com/sites/Finance/Shared Documents/Q1.xlsx",
    "Site_Url": "https://contoso.sharepoint.com/sites/Finance/",
    "UserAgent": "Microsoft Office/16.0",
    "Type": "OfficeActivity",
}


def _check_mail_app(row: dict) -> None:
    assert row["event_id"] == "office-mail-app-1" and row["source_log"] == "m365"
    assert row["source_format"] == "loganalytics" and row["operation"] == "MailItemsAccessed"
    assert row["actor_kind"] == "service_principal" and row["actor_id"] == APP_ID
    assert row["app_id"] == APP_ID and row["token_type"] == "app" and row["user_id"] is None
    assert row["request_uri"] == "\\Inbox" and row["ip_address"] == "20.190.1.2"
    assert row["tenant_id"] == TENANT
    assert row["event_time"] == datetime(2026, 3, 2, 11, 0, 0, 123000, tzinfo=UTC)


def test_office_activity_json(tmp_path: Path, workspace: Workspace) -> None:
    no_id = {k: v for k, v in OFFICE_FILE_USER.items() if k != "OfficeId"}
    other = dict(OFFICE_FILE_USER, OfficeId="office-other", Operation="UserLoggedIn")
    (tmp_path / "office.json").write_text(
        json.dumps([OFFICE_MAIL_APP, OFFICE_FILE_USER, no_id, other])
    )
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"activity": 2} and summary.quarantined == 2
    rows = {r["event_id"]: r for r in lake_rows(workspace, "activity")}
    _check_mail_app(rows["office-mail-app-1"])
    f = rows["office-file-1"]
    assert f["actor_kind"] == "human" and f["user_id"] == USER_ID
    assert f["user_principal_name"] == "analyst@contoso.com" and f["token_type"] == "delegated"
    assert f["resource_path"] == "/sites/finance/shared documents/q1.xlsx"
    assert f["ip_address"] == "20.1.2.3" and f["user_agent"] == "Microsoft Office/16.0"
    reasons = sorted(q["reason"] for q in quarantine_rows(workspace))
    assert any("UserLoggedIn" in r for r in reasons)
    assert any("'OfficeId'" in r for r in reasons)


def test_office_activity_csv(tmp_path: Path, workspace: Workspace) -> None:
    row = dict(OFFICE_MAIL_APP, Client_IPAddress="20.190.1.2:50112")
    row["TimeGenerated [UTC]"] = "3/2/2026, 11:00:00.123 AM"
    del row["TimeGenerated"]
    (tmp_path / "OfficeActivity.csv").write_text(_csv([row, OFFICE_FILE_USER]))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"activity": 2}, summary.quarantine_reasons
    rows = {r["event_id"]: r for r in lake_rows(workspace, "activity")}
    _check_mail_app(rows["office-mail-app-1"])
    assert rows["office-file-1"]["actor_kind"] == "human"


def test_office_activity_and_the_m365_record_of_one_event_land_once(tmp_path, workspace) -> None:
    # the same event as the Management Activity API returns it (same content, other shape)
    api = {
        "CreationTime": "2026-03-02T11:00:00.123",
        "ClientInfoString": OFFICE_MAIL_APP["ClientInfoString"],
        "Id": "office-mail-app-1",
        "Operation": "MailItemsAccessed",
        "OrganizationId": TENANT,
        "RecordType": 50,
        "UserType": 5,
        "UserKey": APP_ID,
        "UserId": APP_ID,
        "Workload": "Exchange",
        "AppId": APP_ID,
        "ClientIPAddress": "20.190.1.2",
        "Folders": [{"Path": "\\Inbox"}],
    }
    (tmp_path / "m365.json").write_text(json.dumps([api]))
    (tmp_path / "office.json").write_text(json.dumps([OFFICE_MAIL_APP]))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"activity": 1} and summary.duplicates == 1


def test_union_query_of_office_activity_and_entra_rows(tmp_path: Path, workspace) -> None:
    signin = dict(SP_SIGNIN_PROJECTED, Type="AADServicePrincipalSignInLogs")
    (tmp_path / "entra_first.json").write_text(json.dumps([signin, OFFICE_MAIL_APP]))
    other = dict(signin, Id="sp-signin-2")
    file_row = dict(OFFICE_FILE_USER)
    (tmp_path / "office_first.json").write_text(json.dumps([file_row, other]))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"activity": 2, "signins": 2}, summary.quarantine_reasons
    rows = {r["event_id"]: r for r in lake_rows(workspace, "activity")}
    _check_mail_app(rows["office-mail-app-1"])
    assert {r["source_line"] for r in lake_rows(workspace, "signins")} == {1, 2}
