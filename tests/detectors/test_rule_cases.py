"""THE parametrised test: every rule under detectors/rules/ runs each of its cases.

A case is a tiny workspace (rows per lake table, an agentaudit.toml) run through the real engine
with only that rule enabled; it must fire (an unsuppressed finding) or stay quiet as it says.
"""

from __future__ import annotations

import pytest

from detectors.cases import judge, run_case
from detectors.engine import discover_rules, rule_cases
from detectors.finding import ACCOUNTABLE_BASES, UNACCOUNTABLE

RULES = discover_rules()
PARAMS = [
    pytest.param(rule, case, id=f"{rule.id}:{case.name}")
    for rule in RULES
    for case in rule_cases(rule)
]


def test_every_rule_has_a_positive_and_a_negative_case() -> None:
    missing = []
    for rule in RULES:
        cases = rule_cases(rule)
        if not any(c.fires for c in cases) or not any(not c.fires for c in cases):
            missing.append(rule.id)
    assert not missing, f"rules without both a firing and a quiet case: {missing}"


def test_every_rule_has_its_metadata() -> None:
    for rule in RULES:
        assert rule.id.startswith("AA-"), rule
        assert rule.title and rule.runbook, f"{rule.id} needs a title and a runbook line"
        assert rule.severity in ("info", "low", "medium", "high", "critical"), rule.id
        assert rule.attacks, f"{rule.id} names no MITRE technique"


@pytest.mark.parametrize(("rule", "case"), PARAMS)
def test_rule_case(rule, case, tmp_path) -> None:
    findings = run_case(rule, case, tmp_path / "ws")
    problem = judge(case, findings)
    assert problem is None, f"{rule.id} / {case.name}: {problem}"
    for f in findings:
        assert f.rule_id == rule.id and f.family == rule.family
        assert f.explanation.strip(), "every finding explains itself"
        assert 0 <= f.score <= 100
        # every rule's findings name who answers for them (the engine fills it, not the rule)
        assert f.accountable.strip() and f.accountable_basis in ACCOUNTABLE_BASES
        assert (f.accountable == UNACCOUNTABLE) == (f.accountable_basis == "none")
