"""A Sigma rule written here, run nightly through ``[sigma] rules`` on a generated tenant with a
planted event: a finding with the event as evidence, its accountable human, ATT&CK ids and
runbook, in the report, OCSF and Sentinel output, and passing through the suppressions; a
one-off ``agentaudit sigma run`` keeps the other rules' findings."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from detectors import store
from pipeline.cli import cli
from pipeline.config import load_config
from pipeline.workspace import Workspace
from tests.sigma.records import audit, eventhub_audit
from tests.sigma.rules import rule_text, write_rule

SIGMA_ID = "5f1e0b7a-8d3c-4c5e-9a61-2f4b7c9d0e11"
RULE_ID = "SIGMA-5f1e0b7a"
PLANTED = "planted-disable-mfa-1"
DAY = "2026-11-20"  # the generated tenant's last day

RULE = rule_text(
    {
        "selection": {
            "operationName": "Disable Strong Authentication",
            "properties.result": "success",
        }
    },
    title="Strong authentication disabled by an agent",
    id=SIGMA_ID,
    level="high",
    tags=["attack.persistence", "attack.t1556.006"],
    falsepositives=["An administrator turning MFA off during a planned migration"],
    description="Someone turned off per-user MFA.",
)


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    from detectors.engine import detect
    from pipeline.generate import generate_tenant
    from pipeline.ingest import ingest_paths

    root = tmp_path_factory.mktemp("tenant") / "t"
    generate_tenant(root, days=7, agents=24, humans=40, scale=0.05, seed=5, fmt="eventhub")
    ws = Workspace.at(root)
    agent = next(a for a in load_config(ws).agents if a.sponsor)
    planted = audit(PLANTED, "Disable Strong Authentication", category="UserManagement", hour=11)
    planted["activityDateTime"] = f"{DAY}T11:00:00Z"
    planted["initiatedBy"] = {
        "app": {"servicePrincipalId": agent.id, "appId": agent.app_id, "displayName": agent.name}
    }
    planted["targetResources"] = [{"id": "user-77", "type": "User", "displayName": "Erin"}]
    (root / "input" / "planted.json").write_text(json.dumps({"records": [eventhub_audit(planted)]}))
    write_rule(root / "sigma-rules", "mfa_disabled", RULE)
    with ws.config_file.open("a", encoding="utf-8") as fh:
        fh.write('\n[sigma]\nrules = ["sigma-rules"]\n')
    ingest_paths(ws, [root / "input"])
    detect(ws, days=[date.fromisoformat(DAY)])  # the nightly run's detect stage, on its last day
    return ws, agent


def _sigma(ws: Workspace) -> list:
    return [f for f in store.read_findings(ws, DAY) if f.rule_id == RULE_ID]


def test_the_nightly_run_raises_the_sigma_finding(tenant):
    ws, agent = tenant
    (finding,) = _sigma(ws)
    assert finding.title == "Strong authentication disabled by an agent"
    assert finding.severity == "high"
    assert finding.family == "credential_or_privilege_change"
    assert finding.evidence_event_ids == (PLANTED,)
    assert finding.identity.id == agent.id
    assert finding.attacks == ("T1556.006", "TA0003")
    assert (finding.accountable, finding.accountable_basis) == (agent.sponsor, "sponsor")
    assert "planned migration" in str(finding.details["runbook"])
    assert "matched 1 audit event by" in finding.explanation


def test_it_reaches_the_report_ocsf_and_sentinel(tenant):
    from pipeline.report import gather, render
    from pipeline.siem.ocsf import to_ocsf
    from pipeline.siem.sentinel import sentinel_row

    ws, _agent = tenant
    (finding,) = _sigma(ws)
    event = to_ocsf(finding)
    assert event["finding_info"]["analytic"]["uid"] == RULE_ID
    assert {a["technique"]["uid"] for a in event["attacks"] if "technique" in a} >= {"T1556"}
    assert "planned migration" in event["remediation"]["desc"]
    assert {"uid": PLANTED} in event["finding_info"]["related_events"]
    row = sentinel_row(finding)
    assert "planned migration" in row["RemediationSteps"]
    assert "Strong authentication disabled by an agent" in render(gather(ws))


def test_suppressions_apply_and_sigma_run_keeps_the_other_rules(tenant):
    from detectors.engine import detect

    ws, agent = tenant
    others = sorted(f.finding_id for f in store.read_findings(ws, DAY) if f.rule_id != RULE_ID)
    assert others  # the built-in rules found something that day
    with ws.config_file.open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[[suppressions]]\nrule = "{RULE_ID}"\nidentity = "{agent.id}"\n'
            'reason = "planned MFA migration"\nowner = "soc@contoso.com"\n'
        )
    detect(ws, days=[date.fromisoformat(DAY)])
    (finding,) = _sigma(ws)
    assert finding.suppressed is not None and finding.suppressed.reason == "planned MFA migration"

    result = CliRunner().invoke(
        cli,
        ["sigma", "run", str(ws.root / "sigma-rules"), "--workspace", str(ws.root), "--date", DAY],
    )
    assert result.exit_code == 0, result.output
    assert "sigma run: 1 of 1 rule(s) ran" in result.output
    assert "1 finding(s)" in result.output and "1 suppressed" in result.output
    assert (
        sorted(f.finding_id for f in store.read_findings(ws, DAY) if f.rule_id != RULE_ID) == others
    )
    assert len(_sigma(ws)) == 1
