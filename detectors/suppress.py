"""Suppressions from agentaudit.toml: a suppressed finding is kept and marked, never deleted.

A ``[[suppressions]]`` entry matches a finding when its ``rule`` is the finding's rule id (or "*")
and its ``identity`` (when given) is the finding's identity id, app id or name (case-insensitive).
It applies while the judged day is on or before ``expires``; after that it stops applying and the
finding says so in ``details["suppression_expired"]``, so an analyst sees that a known exception
has lapsed instead of silently losing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from detectors.finding import Finding, Suppression


@dataclass
class SuppressionOutcome:
    """What the suppressions did to one day's findings."""

    suppressed: int = 0
    expired_matches: int = 0
    expired: list[str] = field(default_factory=list)  # "rule identity (expired YYYY-MM-DD)"


def matches(spec: Any, finding: Finding) -> bool:
    """Does suppression ``spec`` (a pipeline.config.SuppressionSpec) cover ``finding``?"""
    if spec.rule not in ("*", finding.rule_id):
        return False
    if not spec.identity:
        return True
    want = spec.identity.strip().lower()
    ident = finding.identity
    return any(want == (v or "").lower() for v in (ident.id, ident.app_id, ident.name))


def apply_suppressions(
    findings: Iterable[Finding], specs: Sequence[Any], day: date
) -> tuple[list[Finding], SuppressionOutcome]:
    """Mark the findings an active suppression covers; note the ones only an expired one covers."""
    outcome = SuppressionOutcome()
    out: list[Finding] = []
    for finding in findings:
        hits = [s for s in specs if matches(s, finding)]
        active = [s for s in hits if s.expires is None or day <= s.expires]
        if active:
            spec = active[0]
            mark = Suppression(
                reason=spec.reason,
                owner=spec.owner,
                expires=spec.expires.isoformat() if spec.expires else None,
            )
            out.append(finding.model_copy(update={"suppressed": mark}))
            outcome.suppressed += 1
        elif hits:
            lapsed = max(hits, key=lambda s: s.expires)
            note = (
                f"suppression '{lapsed.reason}' (owner {lapsed.owner or 'unknown'}) expired on "
                f"{lapsed.expires.isoformat()} and no longer applies"
            )
            details = {**finding.details, "suppression_expired": note}
            out.append(finding.model_copy(update={"details": details}))
            outcome.expired_matches += 1
            label = f"{lapsed.rule} {lapsed.identity or '*'} (expired {lapsed.expires})"
            if label not in outcome.expired:
                outcome.expired.append(label)
        else:
            out.append(finding)
    return out, outcome
