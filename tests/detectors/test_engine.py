"""The engine: batch == nightly, learning hold-back, suppressions, scoring, dedupe, CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from detectors import store
from detectors.cases import build_workspace, case_table
from detectors.engine import dedupe, detect
from detectors.finding import Finding, Identity
from detectors.rule import Case
from detectors.rules.aa_p03_bulk_sensitive_read import BulkSensitiveRead, _reads
from detectors.rules.aa_r03_directory_recon import DirectoryRecon, _enum, _routine
from detectors.rules.aa_r04_daily_limit import DailyLimitExceeded, _calls
from detectors.scoring import score_finding, sensitivity_weight
from pipeline.cli import cli
from pipeline.lake import write_partitioned

DAYS = [f"2026-03-{d:02d}" for d in range(1, 7)]
#: a short tenant: identities are established after 3 days
SHORT = "[detectors.baseline]\nmin_days = 3\n\n[detectors.AA-P03]\nmin_history_days = 3\n"


def _history_rows() -> list[dict]:
    """Six days: an HR sync with a bulk day on the 6th, an SP enumerating on the 4th and 6th."""
    rows = [r for d in DAYS[:-1] for r in _reads(d, 20, "hr")] + _reads(DAYS[-1], 600, "hr")
    rows += _routine(DAYS, "sp-old") + _enum(200, DAYS[3], "sp-old", "e4")
    rows += _enum(200, DAYS[-1], "sp-old", "e6")
    return rows


def _ids(ws) -> list[tuple[str, str, str]]:
    return sorted((f.finding_id, f.severity, f.explanation) for f in store.read_findings(ws))


def test_thirty_days_at_once_equals_nightly_runs(tmp_path) -> None:
    rows = _history_rows()
    rules = [BulkSensitiveRead, DirectoryRecon]
    batch = build_workspace(
        Case("b", True, {"activity": rows}, DAYS[-1], SHORT), tmp_path / "batch"
    )
    summary = detect(batch, rules=rules)
    assert summary.days == DAYS  # every day with data had no findings yet

    nightly = build_workspace(Case("n", True, {}, DAYS[0], SHORT), tmp_path / "nightly")
    for day in DAYS:
        part = [r for r in rows if r["event_time"].startswith(day)]
        write_partitioned(
            nightly, "activity", case_table("activity", part), f"b{day}", "event_time"
        )
        detect(nightly, rules=rules)
    assert _ids(batch) == _ids(nightly)
    found = {(f.rule_id, f.window_start.date().isoformat()) for f in store.read_findings(batch)}
    assert ("AA-P03", DAYS[-1]) in found
    assert ("AA-R03", DAYS[3]) in found  # the first enumeration day: far above its baseline
    # the 6th is judged on a history holding the 4th's enumeration: 200 is its normal now
    assert ("AA-R03", DAYS[-1]) not in found


def test_no_days_baseline_contains_the_day_itself(tmp_path) -> None:
    """Judging the 6th again after more days arrive gives the same answer."""
    rows = _history_rows()
    ws = build_workspace(Case("b", True, {"activity": rows}, DAYS[-1], SHORT), tmp_path / "ws")
    detect(ws, days=[date(2026, 3, 6)], rules=[BulkSensitiveRead])
    before = _ids(ws)
    later = [r for d in ("2026-03-07", "2026-03-08") for r in _reads(d, 600, "later")]
    write_partitioned(ws, "activity", case_table("activity", later), "later", "event_time")
    detect(ws, days=[date(2026, 3, 6)], rules=[BulkSensitiveRead])
    assert _ids(ws) == before and before


def test_behavioural_rules_say_so_while_an_identity_is_learning(tmp_path) -> None:
    # three quiet days then a bulk day: the rule's own minimum is lifted, the engine's learning
    # state (7 active days by default) knows the baseline is thin: the strong finding is kept at
    # low severity and says why, instead of the rule staying silent
    days = ["2026-03-07", "2026-03-08", "2026-03-09"]
    rows = [r for d in days for r in _reads(d, 20, "hr")] + _reads("2026-03-10", 600, "hr")
    config = "[detectors.AA-P03]\nmin_history_days = 0\n"
    ws = build_workspace(Case("l", True, {"activity": rows}, "2026-03-10", config), tmp_path / "ws")
    detect(ws, days=[date(2026, 3, 10)], rules=[BulkSensitiveRead])
    (held,) = store.read_findings(ws)
    assert held.severity == "low" and held.details["learning"] is True
    assert held.details["learning_days"] == 3 and held.details["severity_if_established"] == "high"
    assert "Baseline still learning (3 active days" in held.explanation
    # an early-life rule fires for a brand-new identity all the same
    fresh = _enum(120, "2026-03-10", "sp-new", "fresh")
    write_partitioned(ws, "activity", case_table("activity", fresh), "fresh", "event_time")
    detect(ws, days=[date(2026, 3, 10)], rules=[BulkSensitiveRead, DirectoryRecon])
    found = {f.rule_id: f for f in store.read_findings(ws)}
    assert set(found) == {"AA-P03", "AA-R03"} and "learning" not in found["AA-R03"].details


SUPPRESS = """
[[agents]]
id = "agent-r04"
daily_request_limit = 3

[[suppressions]]
rule = "AA-R04"
identity = "agent-r04"
reason = "quarter-end batch"
owner = "soc@example.com"
expires = {expires}
"""


@pytest.mark.parametrize(("expires", "suppressed"), [("2026-03-31", True), ("2026-03-09", False)])
def test_suppressions_mark_and_expire(tmp_path, expires, suppressed) -> None:
    case = Case(
        "s", True, {"activity": _calls(6, "s")}, "2026-03-10", SUPPRESS.format(expires=expires)
    )
    ws = build_workspace(case, tmp_path / "ws")
    summary = detect(ws, days=[date(2026, 3, 10)], rules=[DailyLimitExceeded])
    (finding,) = store.read_findings(ws)  # kept either way, never deleted
    if suppressed:
        assert finding.suppressed is not None and finding.suppressed.reason == "quarter-end batch"
        assert summary.suppressed == 1 and not summary.expired_suppressions
    else:
        assert finding.suppressed is None
        assert "expired on 2026-03-09" in str(finding.details["suppression_expired"])
        assert summary.expired_suppressions == ["AA-R04 agent-r04 (expired 2026-03-09)"]


def test_disabled_rule_does_not_run(tmp_path) -> None:
    config = SUPPRESS.format(expires="2026-01-01") + "\n[detectors.AA-R04]\nenabled = false\n"
    case = Case("d", True, {"activity": _calls(6, "d")}, "2026-03-10", config)
    ws = build_workspace(case, tmp_path / "ws")
    summary = detect(ws, days=[date(2026, 3, 10)], rules=[DailyLimitExceeded])
    assert summary.rules_run == [] and store.read_findings(ws) == []


def test_score_combines_rarity_sensitivity_and_reach() -> None:
    assert score_finding("medium") == (55, "medium", {})
    low, _, _ = score_finding("medium", rarity=0.1, sensitivity=None, reach=0.1)
    high, sev, comps = score_finding("medium", rarity=1.0, sensitivity="secrets", reach=1.0)
    assert low < 55 < high and sev == "high" and comps["score_sensitivity"] == 1.0
    assert score_finding("high", rarity=1, sensitivity=1, reach=1)[1] == "critical"
    assert score_finding("low", rarity=0, sensitivity=0, reach=0)[1] == "info"
    assert sensitivity_weight("files,secrets") == 1.0 > sensitivity_weight("directory")
    assert sensitivity_weight(None) < sensitivity_weight("unknown-tag")


def _finding(score: float, evidence: tuple[str, ...]) -> Finding:
    t = datetime(2026, 3, 10, tzinfo=UTC)
    return Finding(
        finding_id="same",
        rule_id="AA-R04",
        family="unexpected_resource_access",
        title="t",
        severity="medium",
        score=score,
        identity=Identity(id="x"),
        window_start=t,
        window_end=t,
        evidence_event_ids=evidence,
        explanation="e",
    )


def test_dedupe_keeps_the_highest_score_and_merges_evidence() -> None:
    (kept,) = dedupe([_finding(40, ("a", "b")), _finding(70, ("b", "c"))])
    assert kept.score == 70 and kept.evidence_event_ids == ("b", "c", "a")


def test_cli_detect_and_findings(tmp_path) -> None:
    case = Case(
        "c", True, {"activity": _calls(6, "c")}, "2026-03-10", SUPPRESS.format(expires="2026-01-01")
    )
    ws = build_workspace(case, tmp_path / "ws")
    runner = CliRunner()
    out = runner.invoke(cli, ["detect", "-w", str(ws.root), "--date", "2026-03-10"])
    assert out.exit_code == 0, out.output
    assert "finding(s)" in out.output and "AA-R04" in out.output
    listed = runner.invoke(cli, ["findings", "-w", str(ws.root), "--severity", "medium"])
    assert listed.exit_code == 0 and "AA-R04" in listed.output
    mine = runner.invoke(cli, ["findings", "-w", str(ws.root), "--identity", "AGENT-R04"])
    assert "AA-R04" in mine.output
    none = runner.invoke(cli, ["findings", "-w", str(ws.root), "--identity", "nobody-at-all"])
    assert "0 finding(s)" in none.output
    bad = runner.invoke(cli, ["detect", "-w", str(ws.root), "--date", "yesterday"])
    assert bad.exit_code != 0
