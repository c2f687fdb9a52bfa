"""AA-G05: agent sign-ins that no Conditional Access policy covers (notApplied)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import AGENT_KINDS, SqlRule, agent_keys, agent_registry, fact, label, plural


def _signin(event_id: str, sp: str, ca: str, hour: int) -> dict:
    return {
        "event_id": event_id,
        "event_time": f"2026-03-10T{hour:02d}:00:00Z",
        "log_type": "service_principal",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "agent_type": "agenticAppInstance",
        "resource_display_name": "Microsoft Graph",
        "conditional_access_status": ca,
        "succeeded": True,
    }


class ConditionalAccessNotApplied(SqlRule):
    id = "AA-G05"
    standing = True
    family = "credential_or_privilege_change"
    severity = "low"
    title = "Agent sign-ins not covered by any Conditional Access policy"
    attacks = ("T1078.004",)
    runbook = (
        "Add the agent (or its blueprint) to a Conditional Access policy for workload identities "
        "that limits where and how it may sign in."
    )
    #: coverage_days: the days of sign-ins before the judged day whose coverage is compared
    defaults: ClassVar[dict] = {"coverage_days": 7, "max_evidence": 100}

    cases: ClassVar[list[Case]] = [
        Case(
            name="agent signs in three times without Conditional Access: one finding",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("s1", "agent-a", "notApplied", 8),
                    _signin("s2", "agent-a", "notApplied", 9),
                    _signin("s3", "agent-a", "notApplied", 10),
                    _signin("s4", "agent-b", "success", 10),
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "agent-a"
                and len(fs[0].evidence_event_ids) == 3
                and fs[0].severity == "low"
            ),
        ),
        Case(
            name="covered agents and a person without Conditional Access are left alone",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("s1", "agent-a", "success", 8),
                    {
                        "event_id": "h1",
                        "event_time": "2026-03-10T08:00:00Z",
                        "log_type": "interactive",
                        "user_id": "user-1",
                        "conditional_access_status": "notApplied",
                        "succeeded": True,
                    },
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "history_start": ctx.day_start - timedelta(days=int(p["coverage_days"])),
            "history_start_day": ctx.day - timedelta(days=int(p["coverage_days"])),
            "agent_kinds": AGENT_KINDS,
            "registered": [k for a in agent_registry(ctx) for k in agent_keys(a)],
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        before = (
            f"; {plural(r['n_covered_before'], 'sign-in')} in the previous "
            f"{q['coverage_days']} days were covered, so coverage was lost"
            if r["n_covered_before"]
            else ""
        )
        explanation = (
            f"{plural(r['n_uncovered'], 'sign-in')} of agent {label(r)} (of "
            f"{r['n_signins']} today, to {r['resources'] or 'unknown resources'}) were "
            f"not covered by any Conditional Access policy{before}."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "uncovered_signins",
                    "sign-ins with conditionalAccessStatus notApplied",
                    0,
                    r["n_uncovered"],
                ),
                fact(
                    "covered_before",
                    "covered sign-ins in the look-back",
                    r["n_covered_before"],
                    None,
                ),
            ],
            severity=self.severity,
            details={"uncovered": r["n_uncovered"], "signins": r["n_signins"]},
        )
