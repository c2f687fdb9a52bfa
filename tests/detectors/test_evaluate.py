"""evaluate(): recall per family and incident, precision at medium+, benign traps, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from detectors import store
from detectors.evaluate import evaluate
from detectors.finding import Finding, Identity, finding_id
from pipeline.cli import cli
from pipeline.errors import AgentAuditError

T = datetime(2026, 11, 19, 10, tzinfo=UTC)
LABELS = {
    "incidents": [
        {
            "id": "INC-1",
            "family": "pii_touch",
            "rule_ids": ["AA-P01"],
            "culprit_ids": ["agent-1", "app-1"],
            "window_start": "2026-11-19T09:00:00Z",
            "window_end": "2026-11-19T11:00:00Z",
            "evidence_event_ids": ["e1"],
        },
        {
            "id": "INC-2",
            "family": "signin_anomaly",
            "rule_ids": ["AA-S01"],
            "culprit_ids": ["bob@example.com"],
            "window_start": "2026-11-20T00:00:00Z",
            "window_end": "2026-11-20T01:00:00Z",
            "evidence_event_ids": [],
        },
    ],
    "benign": [
        {
            "id": "BEN-1",
            "identity_ids": ["agent-2"],
            "window_start": "2026-11-19T00:00:00Z",
            "window_end": "2026-11-19T23:59:59Z",
            "must_not_fire": ["AA-S04"],
        }
    ],
}


def _f(rule: str, who: str, severity: str, app: str | None = None) -> Finding:
    return Finding(
        finding_id=finding_id(rule, who, T, T),
        rule_id=rule,
        family="pii_touch",
        title="t",
        severity=severity,
        score=60,
        identity=Identity(id=who, app_id=app),
        window_start=T,
        window_end=T,
        explanation="e",
    )


@pytest.fixture
def ws(workspace):
    (workspace.root / "labels.json").write_text(json.dumps(LABELS))
    found = [
        _f("AA-P01", "object-of-agent-1", "high", app="APP-1"),  # names the culprit by app id
        _f("AA-R02", "agent-1", "medium"),  # a second true positive
        _f("AA-S04", "agent-2", "low"),  # a benign trap's banned rule, even at low
        _f("AA-R01", "someone-else", "high"),  # a false positive
        _f("AA-G05", "someone-else", "low"),  # below medium: not judged for precision
    ]
    store.write_day(workspace, "2026-11-19", found)
    return workspace


def test_recall_precision_and_benign_traps(ws) -> None:
    report = evaluate(ws)
    assert [i.detected for i in report.incidents] == [True, False]
    assert report.incidents[0].rules_fired == ["AA-P01", "AA-R02"]
    assert report.incidents[0].by_expected_rule
    assert report.recall == 0.5
    assert report.recall_by_family() == {"pii_touch": (1, 1), "signin_anomaly": (0, 1)}
    assert (report.true_positives, report.false_positives) == (2, 1)
    assert report.precision == pytest.approx(2 / 3)
    assert report.benign[0].flagged and report.benign_flagged == 1
    assert not report.meets_bar()
    table = report.table()
    assert "INC-2" in table and "NO" in table and "precision at medium+ 0.67" in table


def test_missing_or_broken_labels_name_the_file(ws, tmp_path) -> None:
    with pytest.raises(AgentAuditError, match="no labels file"):
        evaluate(ws, labels=tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"benign": []}')
    with pytest.raises(AgentAuditError, match="incidents"):
        evaluate(ws, labels=bad)


def test_cli_prints_the_table(ws) -> None:
    out = CliRunner().invoke(cli, ["evaluate", "-w", str(ws.root)])
    assert out.exit_code == 0, out.output
    assert "recall 0.50" in out.output and "benign traps flagged 1/1" in out.output
