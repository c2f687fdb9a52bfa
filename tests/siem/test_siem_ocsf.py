"""OCSF mapping: every emitted line validated (the ``validator`` fixture: against our copy of the
Detection Finding part of OCSF 1.8.0 always, against the compiled schema when it is found)."""

from __future__ import annotations

import copy
import io
import json
import stat

import pytest
from ocsf_validator import validate_lines
from siem_findings import DAY, TENANT, catalogue, make_finding

from detectors.store import iter_findings, write_day
from pipeline.errors import UsageError
from pipeline.siem import export, ocsf_events, to_ocsf
from pipeline.siem.ocsf import epoch_ms, rule_metadata


def test_every_catalogue_finding_is_valid_ocsf(validator):
    for finding in catalogue():
        event = to_ocsf(finding)
        assert validator.errors(event) == [], finding.rule_id


def test_mapping_follows_design_section_7():
    f = make_finding(1, severity="critical")
    e = to_ocsf(f)
    assert (e["class_uid"], e["type_uid"], e["category_uid"], e["activity_id"]) == (
        2004,
        200401,
        2,
        1,
    )
    assert e["severity_id"] == 5 and e["severity"] == "Critical"
    assert e["status_id"] == 1 and e["status"] == "New"
    assert e["risk_score"] == round(f.score)
    info = e["finding_info"]
    assert info["uid"] == f.finding_id
    assert info["analytic"]["uid"] == "AA-R01"
    behavioural, runbook = rule_metadata().get("AA-R01", (True, ""))
    assert info["analytic"]["type_id"] == (2 if behavioural else 1)
    if runbook:
        assert e["remediation"] == {"desc": runbook}
    assert info["types"] == ["unexpected_resource_access"]
    assert info["title"] == f.title
    assert info["first_seen_time"] == epoch_ms(f.window_start)
    assert info["last_seen_time"] == epoch_ms(f.window_end)
    assert [r["uid"] for r in info["related_events"]] == list(f.evidence_event_ids)
    assert {"technique": {"uid": "T1078"}, "sub_technique": {"uid": "T1078.004"}} in info["attacks"]
    assert {"tactic": {"uid": "TA0009"}} in info["attacks"]
    user = e["actor"]["user"]
    assert (user["uid"], user["name"], user["type"]) == (
        f.identity.id,
        f.identity.name,
        "agent_identity",
    )
    assert e["actor"]["app_uid"] == f.identity.app_id
    assert e["evidences"][0]["data"]["event_ids"] == list(f.evidence_event_ids)
    assert e["metadata"]["version"] == "1.8.0"
    assert e["metadata"]["product"]["name"] == "agentaudit"
    assert "cloud" in e["metadata"]["profiles"]
    assert e["cloud"] == {"provider": "Azure", "account": {"uid": TENANT}}
    assert e["unmapped"]["family"] == "unexpected_resource_access"
    assert e["unmapped"]["identity"]["sponsor"] == "cfo-office@contoso.com"
    assert e["unmapped"]["details"]["requests"] == 42
    assert e["time"] == epoch_ms(f.window_end)


def test_anomaly_analyses_come_from_the_baseline_facts():
    e = to_ocsf(make_finding(2))
    [analysis] = e["anomaly_analyses"]
    assert analysis["analysis_targets"][0]["type"] == "agent_identity"
    [anomaly] = analysis["anomalies"]  # only the fact with an observed value
    assert anomaly["observation_parameter"] == "distinct_resources_p95"
    assert anomaly["observations"] == [{"value": "11"}]
    normal = {
        b["observation_parameter"]: b["observations"][0]["value"] for b in analysis["baselines"]
    }
    assert normal == {"distinct_resources_p95": "3", "usual_country": "US"}
    no_facts = to_ocsf(make_finding(3, rule_id="AA-Z99", baseline=()))
    assert "anomaly_analyses" not in no_facts
    # a rule the export does not know: behavioural when it carries baseline facts
    assert no_facts["finding_info"]["analytic"]["type_id"] == 1
    assert to_ocsf(make_finding(3, rule_id="AA-Z99"))["finding_info"]["analytic"]["type_id"] == 2
    assert (
        to_ocsf(make_finding(3, family="behaviour_anomaly"))["finding_info"]["analytic"]["type_id"]
        == 4
    )


def test_suppressed_findings_keep_their_reason_and_obo_is_named():
    f = next(x for x in catalogue() if x.suppressed is not None)
    e = to_ocsf(f)
    assert e["status_id"] == 3 and e["status"] == "Suppressed" and e["is_alert"] is False
    assert e["status_detail"] == "approved pilot"
    assert e["unmapped"]["suppression"]["owner"] == "soc@contoso.com"
    assert e["evidences"][1]["user"]["name"] == "alice@contoso.com"
    assert e["unmapped"]["on_behalf_of"]["kind"] == "human"


def test_same_finding_same_line():
    f = make_finding(4)
    assert json.dumps(to_ocsf(f), sort_keys=True) == json.dumps(to_ocsf(f), sort_keys=True)


def test_validator_rejects_what_the_schema_forbids(validator):
    good = to_ocsf(make_finding(5))
    assert validator.errors(good) == []

    def broken(mutate):
        event = copy.deepcopy(good)
        mutate(event)
        return validator.errors(event)

    assert any("time: required" in e for e in broken(lambda e: e.pop("time")))
    assert any(
        "finding_info.uid: required" in e for e in broken(lambda e: e["finding_info"].pop("uid"))
    )
    assert any("severity_id: 7" in e for e in broken(lambda e: e.update(severity_id=7)))
    assert any("is not a integer_t" in e for e in broken(lambda e: e.update(risk_score="80")))
    assert any(
        "must be an array" in e for e in broken(lambda e: e["finding_info"].update(types="x"))
    )
    assert any("not an attribute" in e for e in broken(lambda e: e.update(made_up=1)))
    assert any("cloud: required" in e for e in broken(lambda e: e.pop("cloud")))
    assert any(
        "belongs to profile 'host'" in e
        for e in broken(lambda e: e["metadata"].update(profiles=["cloud"]))
    )
    assert any("at least one" in e for e in broken(lambda e: e["actor"].clear()))
    assert any("does not match" in e for e in broken(lambda e: e.update(severity="Low")))
    assert any(
        "is not a timestamp_t" in e
        for e in broken(lambda e: e["finding_info"].update(first_seen_time="2026-01-01"))
    )
    assert any(
        "analysis_targets: required" in e
        for e in broken(lambda e: e["anomaly_analyses"][0].pop("analysis_targets"))
    )
    assert any("null" in e for e in broken(lambda e: e["actor"]["user"].update(name=None)))

    # without the cloud profile, the cloud object is no longer required
    def no_cloud(e):
        e["metadata"]["profiles"] = ["host", "security_control"]
        e.pop("cloud")

    assert broken(no_cloud) == []


def test_export_to_file_validates_every_line_and_is_private(workspace, validator):
    findings = catalogue()
    write_day(workspace, DAY, findings)
    summary = export(workspace, day=DAY)
    path = workspace.siem / f"findings-{DAY}.ocsf.jsonl"
    assert summary.out == str(path) and summary.findings == len(findings)
    text = path.read_text()
    assert len(text.splitlines()) == len(findings)
    assert validate_lines(validator, text) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = export(workspace, day=DAY)
    assert again.findings == len(findings) and path.read_text() == text


def test_export_streams_findings_of_many_days_in_one_order(workspace):
    """The export reads findings a batch at a time (never every Finding object at once) and lists
    them as the in-memory mapping does: by window start, rule and id, across day files."""
    other = "2026-11-25"
    later = [make_finding(n, rule_id=("AA-R01", "AA-P02")[n % 2]) for n in range(30, 0, -1)]
    earlier = [make_finding(n, day=other) for n in range(12)]
    write_day(workspace, DAY, later)
    write_day(workspace, other, earlier)
    batched = list(iter_findings(workspace, batch_rows=4))
    assert [f.finding_id for f in batched] == [
        f.finding_id
        for f in sorted(earlier + later, key=lambda f: (f.window_start, f.rule_id, f.finding_id))
    ]
    buf = io.StringIO()
    summary = export(workspace, out="-", stream=buf)
    assert summary.findings == len(batched)
    assert [json.loads(line) for line in buf.getvalue().splitlines()] == ocsf_events(batched)
    sentinel = io.StringIO()
    assert export(workspace, fmt="sentinel", out="-", stream=sentinel).findings == len(batched)
    assert len(json.loads(sentinel.getvalue())) == len(batched)


def test_export_to_stdout_and_bad_arguments(workspace, validator):
    write_day(workspace, DAY, catalogue()[:3])
    buf = io.StringIO()
    summary = export(workspace, out="-", stream=buf)
    assert summary.out == "-" and len(buf.getvalue().splitlines()) == 3
    assert validate_lines(validator, buf.getvalue()) == []
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        export(workspace, day="26/11/2026")
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        export(workspace, day="2026-13-45")
    with pytest.raises(UsageError, match="not supported"):
        export(workspace, fmt="cef")


def test_observables_name_the_actor_the_person_and_the_tenant():
    f = next(x for x in catalogue() if x.on_behalf_of is not None)
    obs = {(o["name"], o["type_id"]): o["value"] for o in to_ocsf(f)["observables"]}
    assert obs[("actor.user.uid", 31)] == f.identity.id
    assert obs[("evidences[1].user.uid", 31)] == f.on_behalf_of.id
    assert obs[("cloud.account.uid", 35)] == TENANT
