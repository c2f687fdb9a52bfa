"""deploy/sentinel/: generated from the one column list; the naming rules of a custom table; the
agent inventory as a watchlist CSV."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from siem_findings import catalogue

from detectors.cases import build_workspace
from detectors.rule import Case
from pipeline.cli import cli
from pipeline.siem import sentinel_deploy
from pipeline.siem.sentinel import (
    COLUMN_NAMES,
    COLUMNS,
    RESERVED,
    STREAM,
    TABLE,
    TACTICS,
    TYPES,
    sentinel_row,
)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "sentinel"


def test_the_committed_artefacts_are_what_the_generator_writes(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pipeline.siem.sentinel_deploy", str(tmp_path)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(sentinel_deploy.artefacts())
    for name in names:
        assert (DEPLOY / name).read_text() == (tmp_path / name).read_text(), (
            f"deploy/sentinel/{name} drifted: run python -m pipeline.siem.sentinel_deploy"
        )


def _resource(template: dict, kind: str) -> dict:
    (found,) = [r for r in template["resources"] if r["type"] == kind]
    return found


def test_the_template_parses_and_its_table_and_stream_are_the_row_format():
    template = json.loads((DEPLOY / "azuredeploy.json").read_text())
    table = _resource(template, "Microsoft.OperationalInsights/workspaces/tables")
    assert table["properties"]["schema"]["name"] == TABLE
    columns = table["properties"]["schema"]["columns"]
    assert [c["name"] for c in columns] == list(COLUMN_NAMES)
    assert {c["name"]: c["type"] for c in columns}["TimeGenerated"] == "dateTime"
    dcr = _resource(template, "Microsoft.Insights/dataCollectionRules")
    stream = dcr["properties"]["streamDeclarations"][STREAM]["columns"]
    assert [c["name"] for c in stream] == list(COLUMN_NAMES)
    assert {c["name"]: c["type"] for c in stream}["TimeGenerated"] == "datetime"
    (flow,) = dcr["properties"]["dataFlows"]
    assert flow["transformKql"] == "source" and flow["outputStream"] == STREAM
    assert dcr["kind"] == "Direct"  # the DCR's own logs ingestion endpoint
    assert "logsIngestion" in template["outputs"]["logsIngestionEndpoint"]["value"]
    # every row the export writes has exactly the table's columns
    assert all(list(sentinel_row(f)) == [c["name"] for c in columns] for f in catalogue())


def test_no_column_breaks_the_custom_table_naming_rules():
    assert len(set(COLUMN_NAMES)) == len(COLUMN_NAMES)
    assert COLUMN_NAMES[0] == "TimeGenerated"
    lowered = {r.lower() for r in RESERVED}
    for column in COLUMNS:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,44}", column.name), column.name
        assert column.name.lower() not in lowered, column.name
        assert column.type in TYPES, column
        assert column.description


def test_the_analytics_rule_maps_entities_to_columns_its_query_projects():
    template = json.loads((DEPLOY / "azuredeploy.json").read_text())
    rule = _resource(template, "Microsoft.OperationalInsights/workspaces/providers/alertRules")
    props = rule["properties"]
    query = (DEPLOY / "agentaudit-findings.rule.kql").read_text()
    assert props["query"] == query and query.lstrip().startswith("//")
    projected = set(re.findall(r"\w+", query.split("| project", 1)[1]))
    mapped = {m["columnName"] for e in props["entityMappings"] for m in e["fieldMappings"]}
    assert {e["entityType"] for e in props["entityMappings"]} == {
        "Account",
        "CloudApplication",
        "IP",
    }
    assert mapped | set(props["customDetails"].values()) <= projected
    assert props["alertDetailsOverride"]["alertSeverityColumnName"] in projected
    assert set(props["tactics"]) <= set(TACTICS.values())
    assert props["incidentConfiguration"]["createIncident"] is True
    assert "arg_max(TimeGenerated, *) by SystemAlertId" in query  # a resent row counts once


def test_the_asim_parser_fills_the_alert_event_schema():
    parser = (DEPLOY / "ASimAlertEventAgentAudit.kql").read_text()
    for field in (
        'EventType = "Alert"',
        'EventSchema = "AlertEvent"',
        'EventSchemaVersion = "0.1"',
        "EventUid = SystemAlertId",
        "EventStartTime = StartTime",
        "EventEndTime = EndTime",
        "EventSeverity",
        "AttackTactics = Tactics",
        "AttackTechniques",
    ):
        assert field in parser, field
    template = json.loads((DEPLOY / "azuredeploy.json").read_text())
    function = _resource(template, "Microsoft.OperationalInsights/workspaces/savedSearches")
    assert function["properties"]["functionAlias"] == "ASimAlertEventAgentAudit"
    assert function["properties"]["query"] == parser
    used = set(re.findall(r"= (?:\w+\()?([A-Z]\w+)", parser)) & set(COLUMN_NAMES)
    assert {"SystemAlertId", "StartTime", "EndTime", "Tactics", "AlertSeverity"} <= used


REGISTRY = """
[[agents]]
id = "sp-notes"
name = "=HYPERLINK(\\"http://evil.example\\")"
kind = "agent_identity"
sponsor = "kim@contoso.com"
owner = "lee@contoso.com"
allowed_resources = ["Microsoft Graph", "SharePoint"]
"""


def test_the_inventory_as_a_sentinel_watchlist(tmp_path):
    signin = {
        "event_id": "signin-1",
        "event_time": "2026-03-10T09:00:00Z",
        "log_type": "service_principal",
        "actor_id": "sp-notes",
        "service_principal_id": "sp-notes",
        "actor_kind": "agent_identity",
        "resource_display_name": "Microsoft Graph",
        "conditional_access_status": "success",
        "succeeded": True,
    }
    from pipeline import baselines

    case = Case(
        name="w", fires=False, day="2026-03-10", config=REGISTRY, rows={"signins": [signin]}
    )
    ws = build_workspace(case, tmp_path / "ws")
    baselines.update(ws)
    out = CliRunner().invoke(cli, ["inventory", "-w", str(ws.root), "--format", "watchlist"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    (row,) = [r for r in rows if r["SearchKey"] == "sp-notes"]
    assert list(rows[0])[0] == "SearchKey"
    assert row["sponsor"] == "kim@contoso.com" and row["owners"] == "lee@contoso.com"
    assert row["declared_resources"] == "Microsoft Graph; SharePoint"
    assert row["credentials_count"] == "0" and "findings_high" in row
    assert row["name"].startswith("'=")  # a spreadsheet does not run it
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", k) for k in row)
