"""The registry as tables, and its import from a Microsoft Graph export."""

from __future__ import annotations

import json

import pytest

from pipeline.config import load_config, parse_config
from pipeline.errors import UsageError
from pipeline.registry import import_graph_export, registry_tables

EXPORT = {
    "@odata.context": "https://graph.microsoft.com/beta/$metadata#servicePrincipals",
    "value": [
        {
            "@odata.type": "#microsoft.graph.agentIdentity",
            "id": "AAAA-1",
            "appId": "app-1",
            "displayName": "Invoice agent",
            "agentIdentityBlueprintId": "bp-9",
            "accountEnabled": True,
            "sponsors": [{"id": "s1", "userPrincipalName": "cfo@contoso.example"}],
        },
        {
            "@odata.type": "#microsoft.graph.agentUser",
            "id": "user-7",
            "userPrincipalName": "agent7@contoso.example",
            "displayName": 'Tricky "quoted" \\ name\nsecond line',
            "sponsors": [],
        },
        {"@odata.type": "#microsoft.graph.agentIdentity", "displayName": "no id"},
        {
            "@odata.type": "#microsoft.graph.agentIdentity",
            "id": "known-1",
            "displayName": "Known agent",
            "sponsors": [{"mail": "owner@contoso.example"}],
        },
    ],
}

EXISTING = """\
# my registry
[[agents]]
id = "known-1"   # declared by hand
purpose = "kept as written"
"""


def test_registry_tables():
    cfg = parse_config(
        '[[agents]]\nid = "SP-1"\napp_id = "APP-1"\nactive_hours = "22:00-06:00"\n'
        'pii_clearance = ["Financial"]\nallowed_resources = ["graph:/sites/**", "Exchange"]\n'
        '[[agents]]\nid = "sp-2"\napp_id = "sp-1"\n'
    )
    t = registry_tables(cfg)
    reg = t["registry"].to_pylist()
    assert reg[0]["id"] == "sp-1" and reg[0]["app_id"] == "app-1"
    assert (reg[0]["active_start_minute"], reg[0]["active_end_minute"]) == (1320, 360)
    assert reg[0]["pii_clearance"] == ["financial"]
    keys = {r["key"]: r["agent_id"] for r in t["registry_keys"].to_pylist()}
    # an object id wins over another agent's app id
    assert keys == {"sp-1": "sp-1", "sp-2": "sp-2", "app-1": "sp-1"}
    allowed = t["registry_allowed"].to_pylist()
    assert [(a["kind"], a["key"]) for a in allowed] == [("path", None), ("name", "exchange")]


def test_import_merges_into_the_toml(workspace, tmp_path):
    workspace.config_file.write_text(EXISTING)
    export = tmp_path / "agents.json"
    export.write_text(json.dumps(EXPORT))
    summary = import_graph_export(workspace, export)
    assert summary.records == 4
    assert summary.added == ["AAAA-1", "user-7"]
    assert summary.updated == ["known-1"]
    assert len(summary.skipped) == 1 and "no 'id'" in summary.skipped[0]
    text = workspace.config_file.read_text()
    assert text.startswith("# my registry") and "kept as written" in text
    cfg = load_config(workspace)
    agents = {a.id: a for a in cfg.agents}
    assert agents["AAAA-1"].kind == "agent_identity"
    assert agents["AAAA-1"].sponsor == "cfo@contoso.example"
    assert agents["AAAA-1"].blueprint == "bp-9"
    assert agents["user-7"].kind == "agent_user"
    assert agents["user-7"].name == 'Tricky "quoted" \\ name\nsecond line'
    assert agents["known-1"].purpose == "kept as written"
    assert agents["known-1"].sponsor == "owner@contoso.example"
    assert agents["known-1"].name == "Known agent"
    # importing again changes nothing
    again = import_graph_export(workspace, export)
    assert again.added == [] and again.updated == [] and again.unchanged == 3


def test_import_json_lines_without_a_config(workspace, tmp_path):
    export = tmp_path / "agents.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in EXPORT["value"][:2]) + "\n")
    summary = import_graph_export(workspace, export)
    assert summary.added == ["AAAA-1", "user-7"]
    assert [a.id for a in load_config(workspace).agents] == ["AAAA-1", "user-7"]


def test_import_errors(workspace, tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        import_graph_export(workspace, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "a"}\n{broken\n')
    with pytest.raises(Exception, match="bad.json:2"):
        import_graph_export(workspace, bad)
