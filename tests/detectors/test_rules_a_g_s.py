"""The attribution (AA-A0x), credential/privilege (AA-G0x) and sign-in (AA-S0x) rules beyond
their own cases: metadata, hostile field values, no peeking at later days, stable ids, and the
generated tenant's planted incidents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from detectors.cases import run_case
from detectors.engine import discover_rules, rule_cases
from detectors.finding import FAMILIES, SEVERITIES
from detectors.rule import Case
from detectors.rules.aa_a01_obo_not_allowed import OboNotAllowed
from detectors.rules.aa_g01_credential_added import CredentialAdded
from detectors.rules.aa_g03_changed_by_non_owner import ChangedByNonOwner
from detectors.rules.aa_s01_new_location import HISTORY as S01_HISTORY
from detectors.rules.aa_s01_new_location import NewSigninLocation
from detectors.rules.aa_s02_impossible_travel import ImpossibleTravel
from detectors.rules.aa_s03_failed_signin_burst import FailedSigninBurst

MINE = re.compile(r"^AA-(A0[1-5]|G0[1-5]|S0[1-4])$")
RULES = [r for r in discover_rules() if MINE.match(r.id)]
MITRE = re.compile(r"^T\d{4}(\.\d{3})?$")


def test_all_fourteen_rules_are_discovered() -> None:
    assert sorted(r.id for r in RULES) == sorted(
        [f"AA-A0{i}" for i in range(1, 6)]
        + [f"AA-G0{i}" for i in range(1, 6)]
        + [f"AA-S0{i}" for i in range(1, 5)]
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_metadata_and_cases(rule) -> None:
    assert rule.family in FAMILIES and rule.severity in SEVERITIES
    assert rule.title and len(rule.runbook) > 40
    assert rule.attacks and all(MITRE.match(a) for a in rule.attacks)
    cases = rule_cases(rule)
    assert any(c.fires for c in cases) and any(not c.fires for c in cases)
    module = Path(__import__(rule.__module__, fromlist=["_"]).__file__)
    sql = module.with_suffix(".sql")
    assert sql.is_file(), f"{rule.id}: its query lives beside it in {sql.name}"
    text = sql.read_text()
    # values are bound as $parameters, never formatted in: no Python format fields in the SQL
    assert not re.search(r"\{[a-z_]+\}|%s|%\(", text)
    expected = {"A": "attribution_gap", "G": "credential_or_privilege_change"}
    assert rule.family == expected.get(rule.id[3], "signin_anomaly")


def test_hygiene_rules_are_low() -> None:
    by_id = {r.id: r for r in RULES}
    assert by_id["AA-G04"].severity == by_id["AA-G05"].severity == "low"


HOSTILE = "x'); DROP TABLE audits; -- <script>alert(1)</script> .* (?"


def test_hostile_field_values_are_data_not_code(tmp_path) -> None:
    """Attacker-controlled names, initiators and activities flow through as text."""
    case = Case(
        name="hostile audit",
        fires=True,
        day="2026-03-10",
        rows={
            "audits": [
                {
                    "event_id": "h1",
                    "event_time": "2026-03-10T10:00:00Z",
                    "activity": "Add service principal credentials " + HOSTILE,
                    "result": "success",
                    "initiator_name": HOSTILE,
                    "targets": [
                        {"id": "sp-x", "type": "ServicePrincipal", "display_name": HOSTILE}
                    ],
                }
            ]
        },
    )
    findings = run_case(CredentialAdded, case, tmp_path / "ws")
    assert len(findings) == 1
    assert HOSTILE in findings[0].explanation
    assert findings[0].identity.name == HOSTILE


def test_a_day_is_judged_without_the_days_after_it(tmp_path) -> None:
    """A sign-in from a new country on the 11th does not change what the 10th saw."""
    later = {**S01_HISTORY[0], "event_id": "late", "event_time": "2026-03-11T09:00:00Z"}
    later.update(country="KP", autonomous_system_number=9009, ip_address="203.0.113.5")
    case = Case(
        name="future", fires=False, day="2026-03-10", rows={"signins": [*S01_HISTORY, later]}
    )
    assert run_case(NewSigninLocation, case, tmp_path / "ws") == []


def test_finding_ids_are_stable_across_runs(tmp_path) -> None:
    case = next(c for c in rule_cases(ImpossibleTravel) if c.fires)
    first = run_case(ImpossibleTravel, case, tmp_path / "one")
    second = run_case(ImpossibleTravel, case, tmp_path / "two")
    assert [f.finding_id for f in first] == [f.finding_id for f in second]
    assert len(first) == 1 and first[0].baseline


def test_obo_agent_missing_from_registry_is_flagged_and_named(tmp_path) -> None:
    """Registry absent (not only on_behalf_of = false): the agent is known from agent sign-ins."""
    case = next(c for c in rule_cases(OboNotAllowed) if c.fires)
    found = run_case(
        OboNotAllowed, Case(**{**case.__dict__, "config": "", "check": None}), tmp_path / "ws"
    )
    assert len(found) == 1
    assert "not in the agent registry" in found[0].explanation
    assert found[0].on_behalf_of is not None and found[0].on_behalf_of.id == "user-alice"


def test_registered_agent_changed_by_itself_is_high(tmp_path) -> None:
    case = next(c for c in rule_cases(ChangedByNonOwner) if c.fires)
    audit = dict(case.rows["audits"][0])
    audit.update(
        initiator_kind="app",
        initiator_name=None,
        initiator_id="agent-hr",
        activity="Remove owner from service principal",
    )
    found = run_case(
        ChangedByNonOwner,
        Case(**{**case.__dict__, "rows": {"audits": [audit]}, "check": None}),
        tmp_path / "ws",
    )
    assert [f.severity for f in found] == ["high"]


def test_spray_and_burst_on_one_day_are_separate_findings(tmp_path) -> None:
    burst = next(c for c in rule_cases(FailedSigninBurst) if c.name.startswith("twelve"))
    spray = next(c for c in rule_cases(FailedSigninBurst) if "spray" in c.name)
    rows = {"signins": burst.rows["signins"] + spray.rows["signins"]}
    found = run_case(
        FailedSigninBurst,
        Case(name="both", fires=True, day="2026-03-10", rows=rows),
        tmp_path / "ws",
    )
    assert sorted(f.details["shape"] for f in found) == ["burst", "spray"]
    assert len({f.finding_id for f in found}) == 2


# --- the generated tenant: every planted A/G/S incident is found, benign look-alikes are not ---


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from detectors import store
    from detectors.engine import detect
    from pipeline.generate import generate_tenant
    from pipeline.ingest import ingest_paths
    from pipeline.workspace import Workspace

    root = tmp_path_factory.mktemp("gen") / "tenant"
    generate_tenant(root, days=14, seed=11)
    ws = Workspace.at(root)
    ingest_paths(ws, [root / "input"])
    detect(ws, rules=RULES)
    labels = json.loads((root / "labels.json").read_text())
    return labels, store.read_findings(ws)


def _names(label: dict) -> set[str]:
    return {str(x).lower() for x in label.get("culprit_ids", []) + label.get("identity_ids", [])}


def _overlaps(f, label: dict) -> bool:
    from datetime import datetime

    start = datetime.fromisoformat(label["window_start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(label["window_end"].replace("Z", "+00:00"))
    return f.window_start <= end and f.window_end >= start


@pytest.mark.slow
def test_generated_incidents_are_detected(generated) -> None:
    labels, findings = generated
    missed = []
    for inc in labels["incidents"]:
        rules = [r for r in inc["rule_ids"] if MINE.match(r)]
        for rule in rules:
            hits = [
                f
                for f in findings
                if f.rule_id == rule and f.identity.id.lower() in _names(inc) and _overlaps(f, inc)
            ]
            if not hits:
                missed.append(f"{inc['id']} ({rule})")
    assert not missed, f"missed: {missed}"


@pytest.mark.slow
def test_generated_benign_look_alikes_stay_below_medium(generated) -> None:
    labels, findings = generated
    flagged = [
        f"{b['id']}: {f.rule_id} {f.severity}"
        for b in labels["benign"]
        for f in findings
        if f.rule_id in b["must_not_fire"]
        and f.identity.id.lower() in _names(b)
        and _overlaps(f, b)
        and SEVERITIES.index(f.severity) >= SEVERITIES.index("medium")
    ]
    assert not flagged


@pytest.mark.parametrize("table", ["audits", "signins", "activity"])
def test_rules_run_on_a_lake_holding_one_table_only(table, tmp_path) -> None:
    """A workspace that has ingested only one kind of log: every rule runs, none errs."""
    from detectors.cases import build_workspace
    from detectors.engine import detect

    source = {
        "audits": CredentialAdded,
        "signins": ImpossibleTravel,
        "activity": OboNotAllowed,
    }[table]
    case = next(c for c in rule_cases(source) if c.fires)
    rows = {table: case.rows[table]}
    ws = build_workspace(Case(name="one table", fires=True, day=case.day, rows=rows), tmp_path)
    from datetime import date

    summary = detect(ws, days=[date.fromisoformat(case.day)], rules=RULES, run_id="t")
    assert summary.errors == []


def test_a_service_that_always_fails_is_not_a_burst(tmp_path) -> None:
    """Failures far above the identity's own history fire; its usual failure rate does not."""

    def failures(day: str, n: int, prefix: str) -> list[dict]:
        return [
            {
                "event_id": f"{prefix}{day}-{i}",
                "event_time": f"{day}T10:{i % 60:02d}:00Z",
                "log_type": "service_principal",
                "service_principal_id": "sp-flaky",
                "app_id": "app-flaky",
                "ip_address": "10.0.0.5",
                "succeeded": False,
                "error_code": 7000222,
            }
            for i in range(n)
        ]

    history = [r for d in range(1, 10) for r in failures(f"2026-03-0{d}", 20, "h")]
    usual = Case(
        name="usual",
        fires=False,
        day="2026-03-10",
        rows={"signins": history + failures("2026-03-10", 25, "t")},
    )
    assert run_case(FailedSigninBurst, usual, tmp_path / "usual") == []
    surge = Case(
        name="surge",
        fires=True,
        day="2026-03-10",
        rows={"signins": history + failures("2026-03-10", 61, "t")},
    )
    found = run_case(FailedSigninBurst, surge, tmp_path / "surge")
    assert [f.identity.id for f in found] == ["sp-flaky"]
    assert any(b.name == "failed_per_day_max" and b.value == 20 for b in found[0].baseline)
