"""Graph activity linked to the sign-in that issued its token, and sign-ins to their session
(token_events, token_uses, session_uses), from records in each export shape.

The records are written by hand after Microsoft's documentation: the Graph ``signIn`` resource
(``uniqueTokenIdentifier``, ``sessionId``), the Azure Monitor / Event Hub envelope with the same
fields under ``properties`` (and ``signInActivityId``, ``C_Sid`` / ``sessionId`` on
``MicrosoftGraphActivityLogs``), and the Log Analytics columns (``UniqueTokenIdentifier``,
``SessionId``, ``SignInActivityId``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline import catalog
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace
from tests.ingest.records import lake_rows, write_lines

TENANT = "4d3bac44-0230-4732-9e70-cc00736f0a97"
USER = "76cbae99-9c68-4843-856f-3feb9e9867af"
SP = "fa32171d-e39b-4a6e-baf2-66c216643e05"
APP = "5a807f24-c9de-44ee-a3a7-329e88a00ffc"
USER_TOKEN = "k2VQkGgw3Uq1Zc5bN0aR9A"
SP_TOKEN = "6jrFn7lsRUCRkUKjEJ5MAA"
SESSION = "0f8f3e52-8c0a-4b1e-a9a4-6e2d6f1c9b11"


def _graph_signin(event_id: str, token: str, **more) -> dict:
    """A ``signIn`` resource as GET /auditLogs/signIns returns it."""
    return {
        "id": event_id,
        "createdDateTime": "2026-03-10T09:00:00Z",
        "userId": USER,
        "userPrincipalName": "ann@contoso.com",
        "appId": APP,
        "appDisplayName": "Report portal",
        "ipAddress": "198.51.100.7",
        "autonomousSystemNumber": 3320,
        "location": {"city": "Berlin", "countryOrRegion": "DE"},
        "status": {"errorCode": 0},
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "uniqueTokenIdentifier": token,
        "sessionId": SESSION,
        "correlationId": "3b5e0c1a-1f0e-4f4f-8d6c-2b1a0c9d8e7f",
        "signInEventTypes": ["interactiveUser"],
        "tenantId": TENANT,
        **more,
    }


def _monitor(category: str, properties: dict, time: str = "2026-03-10T09:00:00Z") -> dict:
    """The diagnostic-settings envelope (storage PT1H.json lines, Event Hub records)."""
    return {
        "time": time,
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity" if "SignIn" in category else "Microsoft Graph Activity",
        "category": category,
        "tenantId": TENANT,
        "callerIpAddress": properties.get("ipAddress"),
        "properties": properties,
    }


def _monitor_call(request_id: str, time: str, token: str | None, ip: str, **more) -> dict:
    return _monitor(
        "MicrosoftGraphActivityLogs",
        {
            "timeGenerated": time,
            "requestId": request_id,
            "operationId": request_id,
            "requestMethod": "GET",
            "requestUri": "https://graph.microsoft.com/v1.0/users",
            "responseStatusCode": 200,
            "apiVersion": "v1.0",
            "appId": APP,
            "servicePrincipalId": SP,
            "ipAddress": ip,
            "userAgent": "python-requests/2.32.3",
            "signInActivityId": token,
            "C_Idtyp": "app",
            "tenantId": TENANT,
            **more,
        },
        time,
    )


def _views(ws: Workspace) -> tuple[dict, dict, list[dict]]:
    con = catalog.connect(ws, read_only=True)
    try:
        cur = con.execute("SELECT * FROM token_uses")
        names = [d[0] for d in cur.description]
        tokens = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
        cur = con.execute("SELECT * FROM session_uses")
        names = [d[0] for d in cur.description]
        sessions = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
        cur = con.execute("SELECT * FROM token_events ORDER BY event_id")
        names = [d[0] for d in cur.description]
        events = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return tokens, sessions, events


def test_graph_api_signins_link_to_azure_monitor_activity(tmp_path: Path, workspace) -> None:
    page = {"value": [_graph_signin("g-1", USER_TOKEN)]}
    (tmp_path / "signins.json").write_text(json.dumps(page))
    calls = [
        _monitor_call("c-1", "2026-03-10T09:05:00Z", USER_TOKEN, "198.51.100.7", C_Sid=SESSION),
        _monitor_call("c-2", "2026-03-10T09:06:00Z", USER_TOKEN + "==", "198.51.100.7"),
    ]
    for call in calls:
        call["properties"].update(userId=USER, servicePrincipalId=None, C_Idtyp="user")
    write_lines(tmp_path / "graph.json", calls)
    ingest_paths(workspace, [tmp_path])
    tokens, sessions, _ = _views(workspace)
    token = tokens[USER_TOKEN]
    assert token["issuing_event_id"] == "g-1"
    assert token["calls"] == 2  # base64 padding some exports keep does not break the link
    assert token["asns"] == [3320] and token["countries"] == ["DE"]
    assert token["identity_id"] == USER.lower() and token["session_id"] == SESSION
    session = sessions[SESSION]
    assert session["signins"] == 1 and session["calls"] == 1
    assert session["tokens"] == [USER_TOKEN] and session["signin_event_ids"] == ["g-1"]


def test_azure_monitor_and_event_hub_properties(tmp_path: Path, workspace) -> None:
    sp_signin = _monitor(
        "ServicePrincipalSignInLogs",
        {
            "id": "sp-1",
            "createdDateTime": "2026-03-10T09:00:00Z",
            "appId": APP,
            "servicePrincipalId": SP,
            "servicePrincipalName": "Report agent",
            "ipAddress": "20.40.1.10",
            "autonomousSystemNumber": 8075,
            "location": {"countryOrRegion": "US"},
            "status": {"errorCode": 0},
            "uniqueTokenIdentifier": SP_TOKEN,
            "tenantId": TENANT,
        },
    )
    user_signin = _monitor("SignInLogs", _graph_signin("u-1", USER_TOKEN))
    write_lines(tmp_path / "PT1H.json", [sp_signin, user_signin])
    hub = {
        "records": [
            _monitor_call("c-1", "2026-03-10T09:05:00Z", SP_TOKEN, "20.40.1.10"),
            _monitor_call("c-2", "2026-03-10T09:06:00Z", SP_TOKEN, "203.0.113.66"),
            _monitor_call(
                "c-3", "2026-03-10T09:07:00Z", USER_TOKEN, "198.51.100.7", sessionId=SESSION
            ),
        ]
    }
    (tmp_path / "eventhub.json").write_text(json.dumps(hub))
    ingest_paths(workspace, [tmp_path])
    tokens, sessions, events = _views(workspace)
    assert tokens[SP_TOKEN]["issuing_event_id"] == "sp-1"
    assert tokens[SP_TOKEN]["calls"] == 2
    assert tokens[SP_TOKEN]["addresses"] == ["20.40.1.10", "203.0.113.66"]
    # the call from an address no sign-in reports has no network owner to say
    assert tokens[SP_TOKEN]["asns"] == [8075]
    by_id = {e["event_id"]: e for e in events}
    assert by_id["c-1"]["asn"] == 8075 and by_id["c-1"]["asn_source"] == "address"
    assert by_id["c-2"]["asn"] is None
    assert by_id["c-1"]["issuing_event_id"] == "sp-1"
    assert sessions[SESSION]["calls"] == 1 and sessions[SESSION]["signins"] == 1


LA_SIGNIN = {
    "TenantId": TENANT,
    "Type": "SigninLogs",
    "Id": "la-1",
    "CreatedDateTime": "2026-03-10T09:00:00Z",
    "UserId": USER,
    "UserPrincipalName": "ann@contoso.com",
    "AppId": APP,
    "IPAddress": "2001:db8:3320::7",
    "AutonomousSystemNumber": 3320,
    "LocationDetails": '{"countryOrRegion":"DE"}',
    "ResultType": "0",
    "Status": '{"errorCode":0}',
    "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "UniqueTokenIdentifier": USER_TOKEN,
    "SessionId": SESSION,
    "IsInteractive": "true",
}
LA_CALL = {
    "TenantId": TENANT,
    "Type": "MicrosoftGraphActivityLogs",
    "TimeGenerated": "2026-03-10T09:05:00Z",
    "RequestId": "la-c-1",
    "OperationId": "la-c-1",
    "RequestMethod": "GET",
    "RequestUri": "https://graph.microsoft.com/v1.0/me/messages",
    "ResponseStatusCode": 200,
    "AppId": APP,
    "UserId": USER,
    "IPAddress": "2001:db8:3320::7",
    "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "SignInActivityId": USER_TOKEN,
    "SessionId": SESSION,
    "Scopes": "Mail.Read User.Read",
}


def test_log_analytics_columns(tmp_path: Path, workspace) -> None:
    (tmp_path / "la.json").write_text(json.dumps([LA_SIGNIN, LA_CALL]))
    ingest_paths(workspace, [tmp_path])
    tokens, sessions, _ = _views(workspace)
    assert tokens[USER_TOKEN]["issuing_event_id"] == "la-1"
    assert tokens[USER_TOKEN]["calls"] == 1 and tokens[USER_TOKEN]["asns"] == [3320]
    assert sessions[SESSION]["signins"] == 1 and sessions[SESSION]["calls"] == 1


@pytest.mark.parametrize("token", [None, "", "   ", "not a token; drop table", "abc"])
def test_missing_or_malformed_token_id_kept_and_not_linked(
    tmp_path: Path, workspace: Workspace, token: str | None
) -> None:
    calls = [
        _monitor_call("c-ok", "2026-03-10T09:05:00Z", SP_TOKEN, "20.40.1.10"),
        _monitor_call("c-bad", "2026-03-10T09:06:00Z", token, "203.0.113.66"),
    ]
    write_lines(tmp_path / "graph.json", calls)
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.quarantined == 0
    assert {r["event_id"] for r in lake_rows(workspace, "activity")} == {"c-ok", "c-bad"}
    tokens, _, events = _views(workspace)
    assert set(tokens) == {SP_TOKEN} and tokens[SP_TOKEN]["calls"] == 1
    bad = [e for e in events if e["event_id"] == "c-bad"]
    if token and token.strip():  # a malformed id is kept as written, linked to nothing
        assert len(bad) == 1 and bad[0]["token_id"] is None
        assert bad[0]["token_id_raw"] == token.strip()
    else:  # no id at all: nothing to link, the row is in the lake only
        assert bad == []
