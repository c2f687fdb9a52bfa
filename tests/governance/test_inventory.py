"""The agent inventory (view ``agent_inventory`` and ``agentaudit inventory``): the auditor's
evidence per agent, above all the least-privilege list of permissions granted but unused."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from detectors.cases import build_workspace
from detectors.rule import Case
from pipeline import baselines, catalog
from pipeline.cli import cli
from pipeline.errors import UsageError

TOML = """
[[agents]]
id = "sp-notes"
name = "Meeting notes agent"
kind = "agent_identity"
sponsor = "kim@contoso.com"
owner = "lee@contoso.com"
allowed_resources = ["Microsoft Graph"]
"""

KEY = "[KeyIdentifier={id},KeyType={type},KeyUsage=Verify,DisplayName={name}{end}]"


def _key(key_id: str, key_type: str = "Password", end: str = "") -> str:
    return KEY.format(id=key_id, type=key_type, name="notes", end=f",EndDate={end}" if end else "")


def _credential(i: int, when: str, old: list[str], new: list[str]) -> dict:
    return {
        "event_id": f"cred-{i}",
        "event_time": when,
        "activity": "Update application – Certificates and secrets management ",
        "category": "ApplicationManagement",
        "result": "success",
        "initiator_kind": "human",
        "initiator_name": "lee@contoso.com",
        "targets": [
            {
                "id": "sp-notes",
                "type": "ServicePrincipal",
                "display_name": "Meeting notes agent",
                "modified_properties": [
                    {
                        "name": "KeyDescription",
                        "old_value": json.dumps(old),
                        "new_value": json.dumps(new),
                    }
                ],
            }
        ],
        "target_ids": ["sp-notes"],
    }


def _grant(
    i: int, when: str, role: str, activity: str = "Add app role assignment to service principal"
) -> dict:
    return {
        "event_id": f"grant-{i}",
        "event_time": when,
        "activity": activity,
        "category": "ApplicationManagement",
        "result": "success",
        "initiator_kind": "human",
        "initiator_name": "admin@contoso.com",
        "targets": [
            {
                "id": "sp-graph",
                "type": "ServicePrincipal",
                "display_name": "Microsoft Graph",
                "modified_properties": [
                    {"name": "AppRole.Value", "new_value": f'"{role}"'},
                    {"name": "ServicePrincipal.ObjectID", "new_value": "sp-notes"},
                ],
            }
        ],
        "target_ids": ["sp-graph"],
    }


def _call(i: int, path: str, day: str = "2026-03-10") -> dict:
    return {
        "event_id": f"call-{i}",
        "event_time": f"{day}T10:{i:02d}:00Z",
        "actor_id": "sp-notes",
        "service_principal_id": "sp-notes",
        "actor_kind": "agent_identity",
        "actor_kind_source": "registry",
        "token_type": "app",
        "operation": "GET",
        "request_uri": f"https://graph.microsoft.com/v1.0{path}",
        "resource_path": path,
        "status_code": 200,
    }


def _signin(i: int, ca: str) -> dict:
    return {
        "event_id": f"signin-{i}",
        "event_time": f"2026-03-10T09:{i:02d}:00Z",
        "log_type": "service_principal",
        "actor_id": "sp-notes",
        "service_principal_id": "sp-notes",
        "actor_kind": "agent_identity",
        "resource_display_name": "Microsoft Graph",
        "conditional_access_status": ca,
        "succeeded": True,
    }


ROWS = {
    "audits": [
        _credential(1, "2026-02-01T08:00:00Z", [], [_key("k1")]),
        _credential(
            2,
            "2026-03-05T08:00:00Z",
            [_key("k1")],
            [_key("k1"), _key("k2", "AsymmetricX509Cert", "2026-09-01T00:00:00Z")],
        ),
        _grant(1, "2026-02-01T09:00:00Z", "Mail.Read"),
        _grant(2, "2026-02-01T09:01:00Z", "Files.Read.All"),
        _grant(3, "2026-02-01T09:02:00Z", "Sites.Read.All"),
        _grant(
            4,
            "2026-03-01T09:00:00Z",
            "Sites.Read.All",
            "Remove app role assignment from service principal",
        ),
    ],
    "activity": [_call(1, "/users/{id}/messages"), _call(2, "/users/{id}/mailfolders/inbox")],
    "signins": [_signin(1, "success"), _signin(2, "notApplied")],
}


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    ws = build_workspace(
        Case(name="inventory", fires=False, day="2026-03-10", config=TOML, rows=ROWS),
        tmp_path_factory.mktemp("inventory") / "ws",
    )
    baselines.update(ws)
    return ws


def _row(ws) -> dict:
    con = catalog.connect(ws, read_only=True)
    try:
        rel = con.execute("SELECT * FROM agent_inventory WHERE identity_id = 'sp-notes'")
        cols = [d[0] for d in rel.description]
        rows = rel.fetchall()
    finally:
        con.close()
    assert len(rows) == 1
    return dict(zip(cols, rows[0], strict=True))


def test_credentials_are_counted_from_the_key_lists(tenant):
    creds = _row(tenant)["credentials"]
    assert creds["count"] == 2
    assert creds["types"] == ["AsymmetricX509Cert", "Password"]
    assert creds["oldest_age_days"] == 37  # k1, first seen 2026-02-01, judged on 2026-03-10
    assert creds["last_added"].isoformat().startswith("2026-03-05T08:00")
    assert creds["soonest_expiry"].isoformat().startswith("2026-09-01")


def test_unused_permissions_name_the_step_that_removes_them(tenant):
    row = _row(tenant)
    assert row["granted_permissions"] == ["Files.Read.All", "Mail.Read"]  # Sites.* was removed
    unused = row["unused_permissions"]
    assert [u["permission"] for u in unused] == ["Files.Read.All"]  # Mail.Read was used
    assert unused[0]["grant_kind"] == "app_role"
    assert "appRoleAssignments" in unused[0]["remove"]
    assert unused[0]["grant_event_id"] == "grant-2"


def test_the_badge_holds_what_an_auditor_asks(tenant):
    row = _row(tenant)
    assert row["sponsor"] == "kim@contoso.com"
    assert row["owners"] == ["lee@contoso.com"]
    assert row["registered"] is True
    assert row["conditional_access_coverage"] == pytest.approx(0.5)
    assert row["declared_resources"] == ["Microsoft Graph"]
    assert "/users/{id}/messages" in row["observed_resources"]
    assert "mail" in row["pii_categories"]
    assert row["last_signin"].isoformat().startswith("2026-03-10T09:02")


def _cli(ws, *args):
    result = CliRunner().invoke(cli, ["inventory", "-w", str(ws.root), *args])
    return result


def test_cli_csv_and_json_keys_are_snake_case(tenant):
    out = _cli(tenant, "--format", "csv")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {"sponsor", "owners", "credentials", "unused_permissions"} <= set(rows[0])
    assert all(k == k.lower() and " " not in k for k in rows[0])
    js = [json.loads(line) for line in _cli(tenant, "-f", "json").stdout.splitlines()]
    assert js[0]["unused_permissions"][0]["permission"] == "Files.Read.All"


def test_cli_badge_and_unknown_agent(tenant):
    out = _cli(tenant, "--agent", "meeting notes")
    assert out.exit_code == 0, out.output
    assert "Files.Read.All (app_role): DELETE /servicePrincipals/" in out.stdout
    assert "sponsor" in out.stdout and "kim@contoso.com" in out.stdout
    missing = _cli(tenant, "--agent", "nobody")
    assert isinstance(missing.exception, UsageError)  # main() turns it into exit code 2
    assert "no agent" in str(missing.exception)


def test_the_report_card_opens_on_the_badge(tenant):
    from pipeline.report import gather, render

    data = gather(tenant, "2026-03-10")
    (agent,) = [a for a in data.agents if a.id == "sp-notes"]
    assert agent.badge is not None
    assert [p["permission"] for p in agent.badge.unused_permissions] == ["Files.Read.All"]
    html = render(data)
    assert 'class="agent-badge"' in html
    assert "Granted, unused for 30 days" in html and "appRoleAssignments" in html


def test_a_generated_tenant_names_the_permission_granted_and_never_used(tmp_path):
    """The generator provisions each agent's read permissions; the knowledge base agent is given
    Calendars.Read it never uses: the least-privilege list names it, and how to remove it."""
    from pipeline.generate import generate_tenant
    from pipeline.ingest import ingest_paths
    from pipeline.workspace import Workspace

    generate_tenant(tmp_path / "t", days=8, agents=24, humans=40, scale=0.05, seed=5)
    ws = Workspace.at(tmp_path / "ws")
    ws.root.mkdir()
    (ws.root / "agentaudit.toml").write_text((tmp_path / "t" / "agentaudit.toml").read_text())
    ingest_paths(ws, [tmp_path / "t" / "input"])
    baselines.update(ws)
    out = _cli(ws, "--format", "json")
    assert out.exit_code == 0, out.output
    rows = {r["name"]: r for r in map(json.loads, out.stdout.splitlines())}
    kb = rows["Knowledge base agent"]
    assert kb["granted_permissions"] == ["Calendars.Read", "Sites.Read.All"]
    assert [u["permission"] for u in kb["unused_permissions"]] == ["Calendars.Read"]
    assert "appRoleAssignments" in kb["unused_permissions"][0]["remove"]
    used = [r for r in rows.values() if "Sites.Read.All" in r["granted_permissions"]]
    assert any(not r["unused_permissions"] for r in used)  # reading its sites counts as use
    held = [p for r in rows.values() for p in r["access_packages"]]
    assert held and all(p["access_package"] for p in held)
    assert any(p["expires_at"] for p in held)  # sponsors' requests come with an expiry

    from pipeline.report import gather, render

    data = gather(ws)
    agents = [r for r in data.identities if r.agent_like]
    channels = [r.creation_channel or "unknown" for r in agents]
    assert channels == sorted(channels)  # the inventory groups agents by creation channel
    assert {"azure-ai-foundry", "copilot-studio"} <= set(channels)
    assert "Agents by creation channel" in render(data)


def test_an_empty_workspace_says_what_to_do(workspace):
    out = _cli(workspace)
    assert out.exit_code == 0, out.output
    assert "no agents known yet" in out.stderr and out.stdout == ""


def test_a_redacted_report_masks_the_badge_people(tenant):
    from pipeline.report import gather
    from pipeline.report.redaction import redact_report
    from pipeline.siem.redact import Redactor

    data = redact_report(gather(tenant, "2026-03-10"), Redactor(b"k" * 32))
    (agent,) = [a for a in data.agents if a.id == "sp-notes"]
    assert agent.badge.owners and "lee@contoso.com" not in agent.badge.owners
    assert all(o.endswith("@redacted.invalid") for o in agent.badge.owners)
