"""AA-G04: a dormant agent, silent for N days yet still holding credentials or permissions."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.rules.aa_g01_credential_added import CREDENTIAL_ACTIVITIES
from detectors.rules.aa_g02_role_granted import GRANT_ACTIVITIES
from detectors.sql_rule import AGENT_KINDS, SqlRule, agent_keys, agent_registry, fact, label, plural

LAST_EVENTS_SQL = "aa_g04_dormant_agent_last_events"

RETIRE_ACTIVITIES = r"^\s*(delete|hard delete|disable|remove) (service principal|application|agent)"


def _signin(event_id: str, sp: str, time: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "service_principal",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "agent_type": "agenticAppInstance",
        "client_credential_type": "clientSecret",
        "credential_key_id": f"key-{sp}",
        "succeeded": True,
    }


class DormantAgent(SqlRule):
    id = "AA-G04"
    standing = True
    family = "credential_or_privilege_change"
    severity = "low"
    title = "Dormant agent still holds credentials or permissions"
    attacks = ("T1078.004",)
    runbook = (
        "Ask the agent's sponsor whether it is still needed; if not, disable it and remove its "
        "credentials and role assignments; if so, record why it is idle."
    )
    defaults: ClassVar[dict] = {"dormant_days": 30}

    cases: ClassVar[list[Case]] = [
        Case(
            name="agent last signed in 40 days ago and was never disabled",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("old1", "agent-sleepy", "2026-01-29T09:00:00Z"),
                    _signin("now1", "agent-busy", "2026-03-10T09:00:00Z"),
                    _signin("now0", "agent-busy", "2026-03-09T09:00:00Z"),
                ]
            },
            check=lambda fs: (
                [f.identity.id for f in fs] == ["agent-sleepy"]
                and fs[0].evidence_event_ids == ("old1",)
            ),
        ),
        Case(
            name="agent silent 40 days but deleted afterwards is not dormant",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [_signin("old1", "agent-gone", "2026-01-29T09:00:00Z")],
                "audits": [
                    {
                        "event_id": "del1",
                        "event_time": "2026-02-01T09:00:00Z",
                        "activity": "Delete service principal",
                        "result": "success",
                        "targets": [{"id": "agent-gone", "type": "ServicePrincipal"}],
                    }
                ],
            },
        ),
        Case(
            name="agent active 10 days ago is not dormant",
            fires=False,
            day="2026-03-10",
            rows={"signins": [_signin("s1", "agent-ok", "2026-02-28T09:00:00Z")]},
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        agents = agent_registry(ctx)
        return {
            "cutoff": ctx.day_start - timedelta(days=int(p["dormant_days"])),
            "agent_kinds": AGENT_KINDS,
            "registered": [k for a in agents for k in agent_keys(a)],
            "disabled": [
                k for a in agents if not getattr(a, "enabled", True) for k in agent_keys(a)
            ],
            "grant_pattern": f"{CREDENTIAL_ACTIVITIES}|{GRANT_ACTIVITIES}",
            "retire_pattern": RETIRE_ACTIVITIES,
        }

    def rows(self, ctx: DetectContext, q: dict) -> list[dict]:
        """The dormant agents, each with its last event and its grants as evidence."""
        rows = self.query(ctx, **q)
        last_events: dict[str, str] = {}
        for last_day in sorted({r["last_day"] for r in rows}):
            ids = [r["identity_id"] for r in rows if r["last_day"] == last_day]
            for hit in self.query(ctx, LAST_EVENTS_SQL, last_day=last_day, ids=ids):
                last_events[hit["identity_id"]] = hit["last_event"]
        for r in rows:
            last = last_events.get(r["identity_id"])
            r["evidence"] = ([last] if last else []) + list(r["grant_evidence"] or [])
        return rows

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        days = int(q["dormant_days"])
        holds = []
        if r["n_credentials"]:
            holds.append(plural(r["n_credentials"], "credential") + " it signed in with")
        elif r["signed_in"]:
            holds.append("the credential it signed in with")
        if r["n_grants"]:
            holds.append(plural(r["n_grants"], "credential or permission grant"))
        explanation = (
            f"Agent {label(r)} has been silent for {r['days_silent']} days (last seen "
            f"{r['last_time']:%Y-%m-%d}) but was never disabled or deleted and still holds "
            f"{' and '.join(holds)}."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "dormant_days",
                    "days of silence that make an agent dormant",
                    days,
                    r["days_silent"],
                ),
                fact(
                    "events_before",
                    "events seen before it went silent",
                    None,
                    r["n_events"],
                ),
            ],
            severity=self.severity,
            details={"days_silent": r["days_silent"], "grants": r["grants"]},
        )
