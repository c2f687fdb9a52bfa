"""Identity Protection's signals (risky agents, agent risk detections, risky service principals,
risky sign-ins) land where the engine reads them (risk_signals) and raise the score of any
finding on the same identity and day, once in the engine, named in the explanation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from detectors.cases import run_case
from detectors.rule import Case
from detectors.rules.aa_s05_token_replay import CASES, TokenReplay
from pipeline import catalog
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace
from tests.ingest.records import write_lines

TENANT = "4d3bac44-0230-4732-9e70-cc00736f0a97"
AGENT = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
SP = "fa32171d-e39b-4a6e-baf2-66c216643e05"
USER = "76cbae99-9c68-4843-856f-3feb9e9867af"

#: GET /identityProtection/riskyAgents (beta): the agent's own id, its state now
GRAPH_RISKY_AGENT = {
    "@odata.type": "#microsoft.graph.riskyAgentIdentity",
    "id": AGENT,
    "agentDisplayName": "Finance agent",
    "identityType": "agentIdentity",
    "isDeleted": False,
    "isEnabled": True,
    "isProcessing": False,
    "riskLevel": "high",
    "riskState": "atRisk",
    "riskDetail": "none",
    "riskLastModifiedDateTime": "2026-03-10T10:00:00Z",
}
#: GET /identityProtection/agentRiskDetections (beta): one detection, its agent by agentId
GRAPH_AGENT_DETECTION = {
    "id": "5d7e9f1a-0b2c-4d3e-8f4a-6b5c7d8e9f0a",
    "agentId": AGENT,
    "agentDisplayName": "Finance agent",
    "activityDateTime": "2026-03-10T09:30:00Z",
    "detectedDateTime": "2026-03-10T09:45:00Z",
    "riskEventType": "unfamiliarResourceAccess",
    "riskLevel": "medium",
    "riskState": "atRisk",
    "riskDetail": "none",
}
#: Log Analytics AADRiskyAgents
LA_RISKY_AGENT = {
    "TenantId": TENANT,
    "Type": "AADRiskyAgents",
    "TimeGenerated": "2026-03-10T11:00:00Z",
    "Id": AGENT,
    "AgentDisplayName": "Finance agent",
    "IdentityType": "AgentIdentity",
    "RiskLevel": "high",
    "RiskState": "atRisk",
    "RiskDetail": "none",
    "RiskLastModifiedDateTime": "2026-03-10T11:00:00Z",
}
#: Azure Monitor RiskyServicePrincipals: a risk dismissed says nothing, an open one does
MONITOR_RISKY_SP = [
    {
        "time": "2026-03-10T12:00:00Z",
        "category": "RiskyServicePrincipals",
        "tenantId": TENANT,
        "properties": {
            "id": SP,
            "appId": "5a807f24-c9de-44ee-a3a7-329e88a00ffc",
            "servicePrincipalId": SP,
            "displayName": "Report app",
            "riskLevel": level,
            "riskState": state,
            "riskLastUpdatedDateTime": time,
            "activityDateTime": time,
        },
    }
    for level, state, time in (
        ("low", "dismissed", "2026-03-10T12:00:00Z"),
        ("medium", "atRisk", "2026-03-10T13:00:00Z"),
    )
]
#: a signIn with Identity Protection's verdict on it
GRAPH_RISKY_SIGNIN = {
    "id": "rs-1",
    "createdDateTime": "2026-03-10T08:00:00Z",
    "userId": USER,
    "userPrincipalName": "ann@contoso.com",
    "appId": "00000002-0000-0ff1-ce00-000000000000",
    "ipAddress": "203.0.113.9",
    "status": {"errorCode": 0},
    "riskLevelDuringSignIn": "medium",
    "riskState": "atRisk",
    "riskEventTypes_v2": ["anonymizedIPAddress", "unfamiliarFeatures"],
    "signInEventTypes": ["interactiveUser"],
    "tenantId": TENANT,
}


def _signals(ws: Workspace) -> list[dict]:
    con = catalog.connect(ws, read_only=True)
    try:
        cur = con.execute("SELECT * FROM risk_signals ORDER BY event_time, event_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_identity_protection_exports_land_in_risk_signals(tmp_path: Path, workspace) -> None:
    (tmp_path / "graph.json").write_text(
        json.dumps({"value": [GRAPH_RISKY_AGENT, GRAPH_AGENT_DETECTION]})
    )
    (tmp_path / "la.json").write_text(json.dumps([LA_RISKY_AGENT]))
    write_lines(tmp_path / "PT1H.json", MONITOR_RISKY_SP)
    routine = {  # a service principal's sign-in: "low" with riskState "none" is no verdict
        **GRAPH_RISKY_SIGNIN,
        "id": "routine-sp-signin",
        "riskLevelDuringSignIn": "low",
        "riskState": "none",
        "riskEventTypes_v2": [],
    }
    (tmp_path / "signins.json").write_text(json.dumps({"value": [GRAPH_RISKY_SIGNIN, routine]}))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.quarantined == 0
    got = {(s["risk_kind"], s["risk_level"]): s for s in _signals(workspace)}
    assert set(got) == {
        ("agent_risk", "high"),  # riskyAgent, in Graph and in Log Analytics
        ("agent_risk", "medium"),  # agentRiskDetection
        ("service_principal_risk", "medium"),  # the dismissed one is left out
        ("risky_signin", "medium"),
    }
    assert got[("agent_risk", "high")]["keys"] == [AGENT]
    assert got[("agent_risk", "medium")]["keys"] == [AGENT]
    assert got[("agent_risk", "medium")]["risk_event_types"] == ["unfamiliarResourceAccess"]
    assert got[("service_principal_risk", "medium")]["keys"] == [SP]
    signin = got[("risky_signin", "medium")]
    assert signin["keys"] == [USER]  # a person's risky sign-in is the person's, not the app's
    assert signin["risk_event_types"] == ["anonymizedIPAddress", "unfamiliarFeatures"]
    riskies = [s for s in _signals(workspace) if s["risk_kind"] == "agent_risk"]
    assert len({s["event_id"] for s in riskies}) == 3  # each state update its own event


REPLAY = CASES[0]  # an agent's token replayed: a high finding on sp-report


def _risk(event_id: str, time: str, actor: str, level: str, kind: str = "agent_risk") -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "risk_kind": kind,
        "actor_kind": "agent_identity",
        "actor_id": actor,
        "risk_event_type": "unfamiliarResourceAccess",
        "risk_level": level,
        "risk_state": "atRisk",
    }


def test_risk_raises_findings_on_the_same_identity_and_day(tmp_path: Path) -> None:
    (plain,) = run_case(TokenReplay, REPLAY, tmp_path / "plain")
    risky = replace(
        REPLAY,
        rows={
            **REPLAY.rows,
            "risk_events": [
                _risk("risk-1", "2026-03-10T10:00:00Z", "sp-report", "high"),
                _risk("risk-other-day", "2026-03-09T10:00:00Z", "sp-report", "high"),
                _risk("risk-other-identity", "2026-03-10T10:00:00Z", "sp-else", "high"),
            ],
        },
    )
    (boosted,) = run_case(TokenReplay, risky, tmp_path / "risky")
    assert plain.severity == "high" and "Identity Protection" not in plain.explanation
    assert boosted.score == plain.score + 15 and boosted.severity == "critical"
    assert "Identity Protection flagged this identity the same day: agent risk " in (
        boosted.explanation
    )
    assert "unfamiliarResourceAccess (high)" in boosted.explanation
    assert "risk-1" in boosted.evidence_event_ids
    assert "risk-other-day" not in boosted.evidence_event_ids
    assert "risk-other-identity" not in boosted.evidence_event_ids
    assert boosted.details["risk_boost"] == 15


def test_risk_without_a_finding_raises_nothing(tmp_path: Path) -> None:
    quiet = next(c for c in CASES if not c.fires)
    case = Case(
        name="risk alone",
        fires=False,
        day=quiet.day,
        rows={
            **quiet.rows,
            "risk_events": [_risk("r", "2026-03-10T10:00:00Z", "sp-report", "high")],
        },
    )
    assert run_case(TokenReplay, case, tmp_path) == []
