"""AA-S04: activity outside the identity's declared or usual hours."""

from __future__ import annotations

from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import AGENT_KINDS, SqlRule, agent_keys, agent_registry, fact, label, plural

TOML = """
[[agents]]
id = "agent-reports"
name = "Reporting agent"
kind = "agent_identity"
sponsor = "cfo@contoso.com"
active_hours = "06:00-20:00"
"""


def _call(event_id: str, time: str, sp: str = "agent-reports") -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "source_log": "graph",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "token_type": "app",
        "operation": "GET",
        "request_uri": "https://graph.microsoft.com/v1.0/sites/root/drive/root/children",
        "resource_path": "/sites/{id}/drive/root/children",
        "status_code": 200,
    }


def _workday(user: str, day: str, prefix: str) -> list[dict]:
    return [
        {
            "event_id": f"{prefix}{day}-{h}",
            "event_time": f"{day}T{h:02d}:15:00Z",
            "log_type": "interactive",
            "user_id": user,
            "user_principal_name": f"{user}@contoso.com",
            "ip_address": "198.51.100.7",
            "country": "DE",
            "succeeded": True,
        }
        for h in range(8, 18)
    ]


HISTORY = [r for d in range(1, 10) for r in _workday("dora", f"2026-03-0{d}", "h")]


class OutsideHours(SqlRule):
    id = "AA-S04"
    family = "signin_anomaly"
    severity = "medium"
    title = "Activity outside declared or usual hours"
    attacks = ("T1078",)
    runbook = (
        "Check with the agent's sponsor (or the person) whether the off-hours work was planned; "
        "if not, treat the identity's credentials as exposed and review what it touched."
    )
    defaults: ClassVar[dict] = {
        "grace_minutes": 60,
        "min_events": 3,
        "min_history_events": 50,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="agent declared 06:00-20:00 reads files at 02:00",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "activity": [
                    _call("n1", "2026-03-10T02:10:00Z"),
                    _call("n2", "2026-03-10T02:20:00Z"),
                    _call("n3", "2026-03-10T02:30:00Z"),
                    _call("d1", "2026-03-10T10:00:00Z"),
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "agent-reports"
                and fs[0].evidence_event_ids == ("n1", "n2", "n3")
            ),
        ),
        Case(
            name="person who works 08-18 active at 03:00 for an hour",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    *HISTORY,
                    *[
                        {**r, "event_time": f"2026-03-10T03:{10 + i:02d}:00Z"}
                        for i, r in enumerate(_workday("dora", "2026-03-10", "n")[:5])
                    ],
                ]
            },
            check=lambda fs: len(fs) == 1 and fs[0].identity.id == "dora",
        ),
        Case(
            name="agent within its hours (or minutes past them) and a person in usual hours",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "activity": [
                    _call("d1", "2026-03-10T06:00:00Z"),
                    _call("d2", "2026-03-10T19:59:00Z"),
                ],
                "signins": [*HISTORY, *_workday("dora", "2026-03-10", "t")],
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        keys, starts, ends, declared = [], [], [], []
        for agent in agent_registry(ctx):
            minutes = getattr(agent, "active_minutes", None)
            if minutes is None:
                continue
            for key in agent_keys(agent):
                keys.append(key)
                starts.append(minutes[0])
                ends.append(minutes[1])
                declared.append(agent.active_hours)
        return {
            "keys": keys,
            "declared_hours": declared,  # for the explanations
            "starts": starts,
            "ends": ends,
            "grace_minutes": int(p["grace_minutes"]),
            "min_events": int(p["min_events"]),
            "min_history_events": int(p["min_history_events"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        declared = q["declared_hours"]
        if r["declared"]:
            window = declared[r["declared_at"] - 1]
            why = (
                f"outside its declared active hours {window} UTC (up to "
                f"{r['max_minutes_outside'] / 60:.1f} hours outside)"
            )
            usual = window
            severity = "high" if r["n_sensitive"] else "medium"
        else:
            hours = r["usual_hours"] or []
            usual = f"{min(hours):02d}:00-{max(hours) + 1:02d}:00" if hours else "none"
            why = f"in hours it never used before (its history covers {usual} UTC)"
            agent = r["identity_kind"] in AGENT_KINDS or r["kind_source"] == "registry"
            severity = "medium" if agent else "low"
        explanation = (
            f"{label(r)} was active {plural(r['n_events'], 'time')} at {r['hours']} UTC, {why}."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact("usual_hours", "declared or usual hours (UTC)", usual, r["hours"]),
                fact("events_outside", "events outside those hours", 0, r["n_events"]),
            ],
            severity=severity,
            details={"hours": r["hours"], "declared": bool(r["declared"])},
        )
