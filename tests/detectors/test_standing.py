"""Hygiene rules raise one standing finding per agent while the condition lasts (AA-G04, AA-G05,
AA-A04), over real nightly runs: day after day the same finding id, updated, never a copy."""

from __future__ import annotations

from datetime import date

from detectors import store
from detectors.cases import case_table
from detectors.engine import detect, discover_rules
from detectors.rules.aa_g05_ca_not_applied import ConditionalAccessNotApplied
from pipeline.lake import write_partitioned
from pipeline.workspace import Workspace


def _signin(event_id: str, day: int, ca: str = "notApplied") -> dict:
    return {
        "event_id": event_id,
        "event_time": f"2026-03-{day:02d}T09:00:00Z",
        "log_type": "service_principal",
        "service_principal_id": "agent-a",
        "app_id": "app-agent-a",
        "agent_type": "agenticAppInstance",
        "resource_display_name": "Microsoft Graph",
        "conditional_access_status": ca,
        "succeeded": True,
    }


def _night(ws: Workspace, day: int, ca: str = "notApplied") -> list:
    """One nightly run: that day's sign-ins land, then the day is judged."""
    rows = [_signin(f"s{day}", day, ca)]
    write_partitioned(ws, "signins", case_table("signins", rows), f"n{day}", "event_time")
    detect(ws, days=[date(2026, 3, day)], rules=[ConditionalAccessNotApplied])
    return [f for f in store.read_findings(ws) if f.rule_id == "AA-G05"]


def test_one_finding_stands_while_the_condition_lasts(workspace) -> None:
    (first,) = _night(workspace, 10)
    (second,) = _night(workspace, 11)
    assert second.finding_id == first.finding_id
    assert second.window_start == first.window_start
    assert second.window_end > first.window_end
    assert set(second.evidence_event_ids) == {"s10", "s11"}
    assert second.details["standing_since"] == first.window_start.isoformat()
    # it moved to the newest night's file: the older night no longer holds a copy
    assert store.read_findings(workspace, "2026-03-10") == []
    # re-running a night changes nothing
    detect(workspace, days=[date(2026, 3, 11)], rules=[ConditionalAccessNotApplied])
    (again,) = [f for f in store.read_findings(workspace) if f.rule_id == "AA-G05"]
    assert again.finding_id == first.finding_id and again.window_end == second.window_end


def test_a_night_without_the_condition_ends_it_and_a_return_is_new(workspace) -> None:
    (first,) = _night(workspace, 10)
    assert _night(workspace, 11, ca="success") == [first]  # covered: the finding ends
    found = _night(workspace, 12)
    assert len(found) == 2 and found[1].finding_id != first.finding_id


def test_the_hygiene_rules_are_the_standing_ones() -> None:
    assert {r.id for r in discover_rules() if r.standing} == {"AA-G04", "AA-G05", "AA-A04"}


def test_a_run_over_several_days_counts_a_standing_finding_once(workspace) -> None:
    """The run's headline counts what the lake holds, not each day's copy before it moved."""
    rows = [_signin(f"s{day}", day) for day in (10, 11, 12)]
    write_partitioned(workspace, "signins", case_table("signins", rows), "n", "event_time")
    days = [date(2026, 3, d) for d in (10, 11, 12)]
    summary = detect(workspace, days=days, rules=[ConditionalAccessNotApplied])
    held = [f for f in store.read_findings(workspace) if f.rule_id == "AA-G05"]
    assert len(held) == 1
    assert summary.findings == 1 and summary.by_rule == {"AA-G05": 1}
