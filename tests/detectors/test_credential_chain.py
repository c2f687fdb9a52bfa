"""The textbook credential abuse, end to end on a lake with no history: a person adds a secret to
an app registration from PowerShell, grants delegated Mail.ReadWrite on Microsoft Graph, and the
app reads mail. Records written here by hand in the shapes Microsoft documents (Graph
directoryAudit, Microsoft 365 unified audit MailItemsAccessed)."""

from __future__ import annotations

import json

import pytest

from detectors import store
from detectors.engine import detect
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

APP_ID = "5b1f0d36-2c1e-4b8e-9f0e-3f6a9d2c7e11"
APP_OBJECT = "c0a4e6b2-7d1f-4c3a-8e5b-2f9d1a6b3c40"
SP_OBJECT = "9e7d3c1b-5a2f-4e6d-b8c9-0a1b2c3d4e5f"
GRAPH_SP = "1f2e3d4c-5b6a-4789-8abc-def012345678"
POWERSHELL = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.4111"
EVE = {
    "id": "e1e1e1e1-0000-4000-8000-000000000001",
    "displayName": None,
    "userPrincipalName": "eve@contoso.com",
    "ipAddress": "198.51.100.7",
}


def _audit(id_: str, when: str, activity: str, targets: list, details: list, corr: str) -> dict:
    return {
        "id": id_,
        "category": "ApplicationManagement",
        "correlationId": corr,
        "result": "success",
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": when,
        "loggedByService": "Core Directory",
        "operationType": "Update",
        "initiatedBy": {"app": None, "user": EVE},
        "targetResources": targets,
        "additionalDetails": details,
    }


def _prop(name: str, new: str, old: str | None = None) -> dict:
    return {"displayName": name, "oldValue": old, "newValue": new}


CREDENTIAL = _audit(
    "Directory_cred_1",
    "2026-11-02T09:14:03.51Z",
    "Update application – Certificates and secrets management ",
    [
        {
            "id": APP_OBJECT,
            "displayName": "Invoice helper",
            "type": "Application",
            "modifiedProperties": [
                _prop(
                    "KeyDescription",
                    '["[KeyIdentifier=4f1b, KeyType=Password, KeyUsage=Verify, DisplayName=ps]"]',
                    "[]",
                ),
                _prop("Included Updated Properties", '"KeyDescription"'),
            ],
        }
    ],
    [{"key": "User-Agent", "value": POWERSHELL}, {"key": "AppId", "value": APP_ID}],
    "corr-1",
)
DELEGATED_GRANT = _audit(
    "Directory_grant_1",
    "2026-11-02T09:20:41.02Z",
    "Add delegated permission grant",
    [
        {
            "id": GRAPH_SP,
            "displayName": "Microsoft Graph",
            "type": "ServicePrincipal",
            "modifiedProperties": [
                _prop("DelegatedPermissionGrant.Scope", '" Mail.ReadWrite User.Read"', '""'),
                _prop("DelegatedPermissionGrant.ConsentType", '"AllPrincipals"', '""'),
            ],
        }
    ],
    [{"key": "User-Agent", "value": POWERSHELL}],
    "corr-2",
)
CONSENT = _audit(
    "Directory_consent_1",
    "2026-11-02T09:20:41.40Z",
    "Consent to application",
    [
        {
            "id": SP_OBJECT,
            "displayName": "Invoice helper",
            "type": "ServicePrincipal",
            "modifiedProperties": [
                _prop("ConsentContext.IsAdminConsent", '"True"'),
                _prop(
                    "ConsentAction.Permissions",
                    f'"[] => [[Id: x, ClientId: {SP_OBJECT}, PrincipalId: , ResourceId: '
                    f"{GRAPH_SP}, ConsentType: AllPrincipals, Scope:  Mail.ReadWrite User.Read, "
                    'CreatedDateTime: , LastModifiedDateTime ]]; "',
                ),
                _prop("TargetId.ServicePrincipalNames", f'"{APP_ID}"'),
            ],
        }
    ],
    [{"key": "User-Agent", "value": POWERSHELL}],
    "corr-2",
)


def _mail_read(i: int) -> dict:
    return {
        "CreationTime": f"2026-11-02T10:0{i}:00",
        "Id": f"mia-{i}",
        "Operation": "MailItemsAccessed",
        "OrganizationId": "tenant-1",
        "RecordType": 50,
        "ResultStatus": "Succeeded",
        "UserKey": "a9b8c7d6-0000-4000-8000-0000000000ce",
        "UserType": 0,
        "Workload": "Exchange",
        "UserId": "ceo@contoso.com",
        "AppId": APP_ID,
        "ClientAppId": APP_ID,
        "ClientIPAddress": "203.0.113.50",
        "MailAccessType": "Bind",
        "Folders": [
            {"FolderItems": [{"InternetMessageId": f"<m{i}@contoso.com>"}], "Path": "\\Inbox"}
        ],
    }


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> list:
    folder = tmp_path_factory.mktemp("chain")
    (folder / "directory_audits.json").write_text(
        json.dumps({"value": [CREDENTIAL, DELEGATED_GRANT, CONSENT]})
    )
    (folder / "mail.json").write_text(json.dumps([_mail_read(i) for i in range(3)]))
    ws = Workspace.at(folder / "ws")
    summary = ingest_paths(ws, [folder / "directory_audits.json", folder / "mail.json"])
    assert summary.rows_written == {"audits": 3, "activity": 3} and summary.quarantined == 0
    detect(ws)
    return {f.rule_id: f for f in store.read_findings(ws)}


def test_each_step_is_a_finding_on_the_apps_service_principal(findings) -> None:
    cred, grant = findings["AA-G01"], findings["AA-G02"]
    assert cred.identity.id == grant.identity.id == SP_OBJECT
    assert cred.identity.app_id == grant.identity.app_id == APP_ID
    assert cred.severity == "high" and "scripted client" in cred.explanation
    assert APP_OBJECT in cred.explanation  # the app registration the secret went to
    assert grant.severity == "critical"
    assert "Mail.ReadWrite" in grant.explanation and "on Microsoft Graph" in grant.explanation


def test_nobody_blames_microsoft_graph(findings) -> None:
    assert all(f.identity.id != GRAPH_SP for f in findings.values())


def test_the_sequence_is_one_critical_finding_naming_all_three_steps(findings) -> None:
    chain = findings["AA-C01"]
    assert chain.severity == "critical" and chain.identity.id == SP_OBJECT
    assert chain.evidence_event_ids[0] == "Directory_cred_1"
    assert set(chain.evidence_event_ids[1:3]) == {"Directory_grant_1", "Directory_consent_1"}
    assert set(chain.evidence_event_ids[3:]) == {"mia-0", "mia-1", "mia-2"}
    for step in ("eve@contoso.com", "WindowsPowerShell", "Mail.ReadWrite", "MailItemsAccessed"):
        assert step in chain.explanation
    assert {"T1098.001", "T1528", "T1114.002"} <= set(chain.attacks)


def test_the_audits_keep_additional_details_and_properties_by_name(findings, tmp_path) -> None:
    from pipeline import catalog

    ws = Workspace.at(tmp_path / "ws")
    (tmp_path / "a.json").write_text(json.dumps({"value": [CREDENTIAL]}))
    ingest_paths(ws, [tmp_path / "a.json"])
    con = catalog.connect(ws, read_only=True)
    row = con.execute(
        "SELECT user_agent, additional_details['AppId'], "
        "targets[1].modified['KeyDescription'].new_value FROM audits"
    ).fetchone()
    con.close()
    assert row[0] == POWERSHELL and row[1] == APP_ID and "KeyType=Password" in row[2]
