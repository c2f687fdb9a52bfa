"""Microsoft Defender's agent inventory (advanced hunting ``AgentsInfo``, and ``AIAgentsInfo``
before it) lands in ``agent_facts``: one fact per agent and snapshot, not the quarantine. Rows
written by hand from the tables' column reference."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .records import lake_rows
from .test_query_rows import _csv

AGENT = "a7d3c1e5-2b4f-4e6a-9c8d-1f0e2d3c4b5a"
BLUEPRINT = "b1e2d3c4-5a6b-4c7d-8e9f-0a1b2c3d4e5f"

AGENTS_INFO = {
    "Timestamp": "2026-03-01T08:00:00Z",
    "AgentId": "agent-365-1",
    "AgentName": "Invoice agent",
    "Platform": "Microsoft Agent 365",
    "AgentDescription": "Reads supplier invoices",
    "Version": "3",
    "SourceAgentId": "cs-bot-17",
    "EntraAgentId": AGENT,
    "EntraBlueprintId": BLUEPRINT,
    "PublishedStatus": "Published",
    "LifecycleStatus": "Active",
    "Availability": "Specific groups",
    "CreatedDateTime": "2026-01-10T12:00:00Z",
    "LastUpdatedDateTime": "2026-02-27T16:30:00Z",
    "Owners": [{"id": "3f9d2b17-6c4e-4a8b-9d1f-5e7a3c2b1d0e", "upn": "owner@contoso.com"}],
    "Permissions": {"granted": ["Mail.Read"]},
    "InstanceCount": 2,
    "Model": "gpt-4o",
}

AI_AGENTS_INFO = {
    "Timestamp": "2026-03-01T09:00:00Z",
    "AIAgentId": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f",
    "AIAgentName": "HR helper",
    "AgentCreationTime": "2025-11-02T10:00:00Z",
    "CreatorAccountUpn": "maker@contoso.com",
    "OwnerAccountUpns": "maker@contoso.com, second@contoso.com",
    "LastModifiedTime": "2026-02-01T10:00:00Z",
    "AgentStatus": "Published",
    "UserAuthenticationType": "Microsoft",
    "EnvironmentId": "Default-0b6a1c3e",
    "Platform": "Copilot Studio",
}


def test_agents_info_json_and_sentinel_rows(tmp_path: Path, workspace: Workspace) -> None:
    sentinel = {k: v for k, v in AGENTS_INFO.items() if k != "Timestamp"}
    sentinel.update(TimeGenerated="2026-03-02T08:00:00Z", Type="AgentsInfo", TenantId="ws")
    (tmp_path / "hunting.json").write_text(json.dumps([AGENTS_INFO, AI_AGENTS_INFO]))
    (tmp_path / "sentinel.json").write_text(json.dumps([sentinel]))
    (tmp_path / "again.json").write_text(json.dumps([AGENTS_INFO], indent=1))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"agent_facts": 3}, summary.quarantine_reasons
    assert summary.quarantined == 0 and summary.duplicates == 1
    rows = sorted(lake_rows(workspace, "agent_facts"), key=lambda r: r["event_time"])
    first, ai, later = rows
    assert first["fact_source"] == "agents_info" and first["agent_id"] == "agent-365-1"
    assert first["event_time"] == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert first["entra_agent_id"] == AGENT and first["entra_blueprint_id"] == BLUEPRINT
    assert first["status"] == "Active" and first["published_status"] == "Published"
    assert first["owners"] == ["3f9d2b17-6c4e-4a8b-9d1f-5e7a3c2b1d0e", "owner@contoso.com"]
    assert first["created_time"] == datetime(2026, 1, 10, 12, tzinfo=UTC)
    assert json.loads(first["raw"])["Model"] == "gpt-4o"
    assert later["event_time"] == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert later["log_category"] == "AgentsInfo" and later["agent_id"] == "agent-365-1"
    assert ai["fact_source"] == "ai_agents_info" and ai["agent_name"] == "HR helper"
    assert ai["owners"] == ["maker@contoso.com", "second@contoso.com"]
    assert ai["created_by"] == "maker@contoso.com" and ai["status"] == "Published"
    assert ai["environment_id"] == "Default-0b6a1c3e"


def test_ai_agents_info_csv(tmp_path: Path, workspace: Workspace) -> None:
    (tmp_path / "AIAgentsInfo.csv").write_text(_csv([AI_AGENTS_INFO]))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"agent_facts": 1}, summary.quarantine_reasons
    (row,) = lake_rows(workspace, "agent_facts")
    assert row["agent_id"] == AI_AGENTS_INFO["AIAgentId"] and row["source_format"] == "loganalytics"
    assert row["last_modified_time"] == datetime(2026, 2, 1, 10, tzinfo=UTC)


def test_agent_facts_are_a_catalog_view(tmp_path: Path, workspace: Workspace) -> None:
    from pipeline import catalog

    con = catalog.connect(workspace)
    try:  # an empty lake: a typed placeholder
        assert con.execute("SELECT count(*) FROM agent_facts").fetchone() == (0,)
    finally:
        con.close()
    (tmp_path / "hunting.json").write_text(json.dumps([AGENTS_INFO]))
    ingest_paths(workspace, [tmp_path])
    con = catalog.connect(workspace)
    try:
        got = con.execute("SELECT agent_name, entra_agent_id FROM agent_facts").fetchall()
    finally:
        con.close()
    assert got == [("Invoice agent", AGENT)]


def test_advanced_hunting_api_response(tmp_path: Path, workspace: Workspace) -> None:
    """Microsoft Graph's runHuntingQuery answer: {"schema": [...], "results": [rows]}."""
    schema = [{"name": k, "type": "String"} for k in AI_AGENTS_INFO]
    body = {"schema": schema, "results": [AI_AGENTS_INFO]}
    (tmp_path / "hunting.json").write_text(json.dumps(body))
    summary = ingest_paths(workspace, [tmp_path])
    assert summary.rows_written == {"agent_facts": 1}, summary.quarantine_reasons
    (row,) = lake_rows(workspace, "agent_facts")
    assert row["fact_source"] == "ai_agents_info" and row["agent_name"] == "HR helper"


def test_the_inventory_tells_the_identities_view_about_an_agent(tmp_path: Path, workspace) -> None:
    from pipeline import catalog

    (tmp_path / "agents.json").write_text(json.dumps([dict(AGENTS_INFO, Type="AgentsInfo")]))
    ingest_paths(workspace, [tmp_path])
    con = catalog.connect(workspace, read_only=True)
    row = con.execute(
        "SELECT actor_kind, name, inventory_platform, inventory_status, inventory_owners "
        "FROM identities WHERE identity_id = ?",
        [AGENT],
    ).fetchone()
    con.close()
    assert row[:4] == ("agent_identity", "Invoice agent", "Microsoft Agent 365", "Active")
    assert row[4]
