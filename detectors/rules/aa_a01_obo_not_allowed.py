"""AA-A01: an agent acting with a person's delegated token where the registry does not allow it."""

from __future__ import annotations

from typing import ClassVar

from detectors.finding import Finding, Identity
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, agent_keys, agent_registry, fact, label, plural

AGENTS_TOML = """
[[agents]]
id = "agent-obo-ok"
name = "Meeting notes agent"
kind = "agent_identity"
sponsor = "pm@contoso.com"
on_behalf_of = true

[[agents]]
id = "agent-no-obo"
name = "Invoice agent"
kind = "agent_identity"
sponsor = "cfo@contoso.com"
on_behalf_of = false
"""


def _graph_call(event_id: str, sp: str, user: str, time: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "source_log": "graph",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "user_id": user,
        "token_type": "delegated",
        "operation": "GET",
        "request_uri": "https://graph.microsoft.com/v1.0/me/messages",
        "resource_path": "/me/messages",
        "status_code": 200,
    }


def _agent_signin(event_id: str, sp: str, time: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "service_principal",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "agent_type": "agenticAppInstance",
        "succeeded": True,
    }


class OboNotAllowed(SqlRule):
    id = "AA-A01"
    family = "attribution_gap"
    severity = "high"
    title = "Agent acted with a person's delegated token without permission"
    attacks = ("T1550.001", "T1078")
    runbook = (
        "Confirm with the agent's sponsor whether it may act for people; if not, revoke the "
        "delegated grants (oauth2PermissionGrants) and the user's sessions, then review what the "
        "agent read as that person."
    )
    defaults: ClassVar[dict] = {"max_evidence": 200}

    cases: ClassVar[list[Case]] = [
        Case(
            name="agent with on_behalf_of=false reads a person's mail with their token",
            fires=True,
            day="2026-03-10",
            config=AGENTS_TOML,
            rows={
                "signins": [_agent_signin("s1", "agent-no-obo", "2026-03-10T08:59:00Z")],
                "activity": [
                    _graph_call("a1", "agent-no-obo", "user-alice", "2026-03-10T09:00:00Z"),
                    _graph_call("a2", "agent-no-obo", "user-alice", "2026-03-10T09:05:00Z"),
                ],
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "agent-no-obo"
                and fs[0].on_behalf_of is not None
                and fs[0].on_behalf_of.id == "user-alice"
                and set(fs[0].evidence_event_ids) == {"a1", "a2"}
            ),
        ),
        Case(
            name="agent whose registry entry allows OBO is left alone",
            fires=False,
            day="2026-03-10",
            config=AGENTS_TOML,
            rows={
                "signins": [_agent_signin("s1", "agent-obo-ok", "2026-03-10T08:59:00Z")],
                "activity": [
                    _graph_call("a1", "agent-obo-ok", "user-bob", "2026-03-10T09:00:00Z"),
                ],
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        agents = agent_registry(ctx)
        allowed = [k for a in agents if getattr(a, "on_behalf_of", False) for k in agent_keys(a)]
        registered = [k for a in agents for k in agent_keys(a)]
        return {
            "obo_allowed": allowed,
            "registered": registered,
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        why = (
            "its registry entry says on_behalf_of = false"
            if r["is_registered"]
            else "it is not in the agent registry, so no one allowed it"
        )
        person = f"{r['person_name']} ({r['person_id']})" if r["person_name"] else r["person_id"]
        others = f" and {plural(r['n_people'] - 1, 'other person')}" if r["n_people"] > 1 else ""
        explanation = (
            f"Agent {label(r)} made {plural(r['n_events'], 'request')} with the delegated "
            f"token of {person}{others} ({r['resources'] or 'unknown resources'}), but {why}."
        )
        severity = "critical" if r["n_sensitive"] and r["n_people"] > 1 else "high"
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact("on_behalf_of_allowed", "registry allows acting for people", False),
                fact("registered", "agent is in the registry", r["is_registered"]),
                fact("people_acted_for", "distinct people", 0, r["n_people"]),
                fact(
                    "sensitive_requests",
                    "requests to sensitive resources",
                    0,
                    r["n_sensitive"],
                ),
            ],
            severity=severity,
            on_behalf_of=Identity(id=str(r["person_id"]), kind="human", name=r["person_name"]),
            details={
                "requests": r["n_events"],
                "people": r["n_people"],
                "resources": r["resources"],
            },
        )
