"""The story table: one entry per incident, look-alike and piece of routine history; labels and
evaluate both take their rule ids from it; a new entry changes nothing else a seed makes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from detectors import store
from detectors.evaluate import evaluate
from detectors.finding import Finding, Identity, finding_id
from pipeline.generate import story
from pipeline.generate.cast import build_tenant
from pipeline.generate.entry import BENIGN, FAMILY, HISTORY, INCIDENT, Context, Entry
from pipeline.generate.story import table

START = date(2026, 11, 13)
DAYS = 8


def _plan(entries=None):
    tenant = build_tenant(5, DAYS, 24, 40, scale=0.05)
    if entries is None:
        return story.build_plan(tenant, START, DAYS, 5)
    saved = table.TABLE
    table.TABLE = entries
    try:
        return story.build_plan(tenant, START, DAYS, 5)
    finally:
        table.TABLE = saved


@pytest.fixture(scope="module")
def plan():
    return _plan()


def test_every_entry_is_named_and_ruled() -> None:
    ids = [e.id for e in story.TABLE]
    assert len(ids) == len(set(ids))
    for e in story.TABLE:
        assert e.kind in (INCIDENT, BENIGN, HISTORY), e.id
        assert callable(e.build)
        if e.kind == INCIDENT:
            assert e.id.startswith("INC-") and e.rules and all(r in FAMILY for r in e.rules)
            assert e.family == FAMILY[e.rules[0]]
        elif e.kind == BENIGN:
            assert e.id.startswith("BEN-") and e.rules
        else:
            assert not e.rules and e.stream, e.id  # history feeds a shared stream
        assert not e.stream or e.stream in table.SHARED_STREAMS
    assert story.entry("INC-R01-helpdesk-devices").rules == ("AA-R01",)
    assert story.entry("INC-nothing") is None


def test_labels_follow_the_table(plan) -> None:
    """Every label is its entry's, in table order, with the table's rules; AA-G04 is skipped
    on a short period, and every other incident entry writes its label."""
    incidents = [e for e in story.TABLE if e.kind == INCIDENT]
    written = [i["id"] for i in plan.incidents]
    assert written == [e.id for e in incidents if e.id != "INC-G04-dormant-legacy"]
    assert plan.skipped == ["AA-G04 needs --days >= 40"]
    for label in plan.incidents:
        e = story.entry(label["id"])
        assert label["rule_ids"] == list(e.rules)
        assert label["related_rule_ids"] == list(e.related)
        assert label["family"] == e.family
    benign = [e for e in story.TABLE if e.kind == BENIGN]
    assert [b["id"] for b in plan.benign] == [e.id for e in benign]
    for b in plan.benign:
        assert b["must_not_fire"] == list(story.entry(b["id"]).rules)


def _extra(ctx: Context) -> None:
    a = ctx.tenant.actor("helpdesk")
    ctx.rng.integers(0, 10, 1000)  # draws that must not shift anyone else's
    ctx.benign([a.object_id], ctx.plan.day_us(ctx.last), ctx.plan.day_us(ctx.last, 1), "x")


def test_a_new_entry_changes_nothing_else(plan) -> None:
    """One function and one entry, anywhere in the table, on its own stream: every other
    label and planted row is what it was."""
    extra = Entry("BEN-extra", BENIGN, _extra, ("AA-R04",))
    grown = _plan((extra, *story.TABLE))
    assert grown.benign[0]["id"] == "BEN-extra"
    assert grown.benign[1:] == plan.benign and grown.incidents == plan.incidents
    assert len(grown.audits) == len(plan.audits)
    assert [a["id"] for a in grown.audits] == [a["id"] for a in plan.audits]
    # on a shared stream instead, the rest of that stream moves
    shared = _plan((replace(extra, stream="story"), *story.TABLE))
    assert shared.incidents != plan.incidents


T = datetime(2026, 11, 19, 13, 30, tzinfo=UTC)


def test_evaluate_takes_the_rules_from_the_table(workspace) -> None:
    """A labels file whose rule ids disagree with the table is judged by the table's."""
    labels = {
        "incidents": [
            {
                "id": "INC-R01-helpdesk-devices",
                "family": "pii_touch",
                "rule_ids": ["AA-P01"],
                "culprit_ids": ["agent-1"],
                "window_start": "2026-11-19T13:00:00Z",
                "window_end": "2026-11-19T14:00:00Z",
            }
        ],
        "benign": [
            {
                "id": "BEN-helpdesk-busy-day",
                "identity_ids": ["agent-2"],
                "window_start": "2026-11-19T00:00:00Z",
                "window_end": "2026-11-19T23:59:59Z",
                "must_not_fire": [],
            }
        ],
    }
    (workspace.root / "labels.json").write_text(json.dumps(labels))
    found = [
        Finding(
            finding_id=finding_id(rule, who, T, T),
            rule_id=rule,
            family=FAMILY[rule],
            title="t",
            severity="low",
            score=20,
            identity=Identity(id=who),
            window_start=T,
            window_end=T,
            explanation="e",
        )
        for rule, who in (("AA-R01", "agent-1"), ("AA-R04", "agent-2"))
    ]
    store.write_day(workspace, "2026-11-19", found)
    report = evaluate(workspace)
    inc = report.incidents[0]
    assert inc.rule_ids == ["AA-R01"] and inc.by_expected_rule
    assert inc.family == "unexpected_resource_access"
    assert report.benign[0].flagged  # AA-R04 is banned by the table, even at low
