"""AA-A04: a shadow agent: an agent (or agent-like identity) outside the registry or unsponsored."""

from __future__ import annotations

from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import AGENT_KINDS, SqlRule, agent_keys, agent_registry, fact, label, plural

#: names that say "agent" (regex over the lower-cased identity name)
AGENT_NAMES = r"\b(agent|agentic|bot|copilot|gpt|assistant|llm|autopilot|openai|claude|gemini)\b"
#: user agents of agent frameworks (regex over the lower-cased user agent)
AGENT_UAS = r"langchain|langgraph|openai|semantic-kernel|autogen|crewai|llamaindex|mcp"

TOML = """
[[agents]]
id = "agent-known"
name = "Known agent"
kind = "agent_identity"
sponsor = "owner@contoso.com"
"""


def _signin(event_id: str, sp: str, name: str, agent_type: str | None, ua: str = "") -> dict:
    return {
        "event_id": event_id,
        "event_time": "2026-03-10T10:00:00Z",
        "log_type": "service_principal",
        "service_principal_id": sp,
        "service_principal_name": name,
        "app_id": f"app-{sp}",
        "agent_type": agent_type,
        "user_agent": ua or None,
        "succeeded": True,
    }


class ShadowAgent(SqlRule):
    id = "AA-A04"
    standing = True
    family = "attribution_gap"
    severity = "medium"
    title = "Shadow agent: active agent missing from the registry or without a sponsor"
    attacks = ("T1078.004", "T1136.003")
    runbook = (
        "Find who created the agent (audit log) and what it is for; register it with a sponsor, "
        "owner and allowed resources, or disable it."
    )
    defaults: ClassVar[dict] = {
        "name_pattern": AGENT_NAMES,
        "ua_pattern": AGENT_UAS,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="an agent identity Entra knows but the registry does not",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={"signins": [_signin("s1", "agent-rogue", "Rogue agent", "agenticAppInstance")]},
            check=lambda fs: len(fs) == 1 and fs[0].identity.id == "agent-rogue",
        ),
        Case(
            name="a classic service principal named like a bot using LangChain",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={"signins": [_signin("s2", "sp-bot", "Sales GPT bot", None, "langchain/0.2")]},
            check=lambda fs: len(fs) == 1 and fs[0].details.get("reason") == "agent_like",
        ),
        Case(
            name="a registered, sponsored agent and an ordinary backup service principal",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "signins": [
                    _signin("s3", "agent-known", "Known agent", "agenticAppInstance"),
                    _signin("s4", "sp-backup", "Nightly backup", None, "azsdk-python/1.0"),
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        agents = agent_registry(ctx)
        return {
            "agent_kinds": AGENT_KINDS,
            "registered": [k for a in agents for k in agent_keys(a)],
            "blueprints": [a.blueprint.lower() for a in agents if getattr(a, "blueprint", None)],
            "unsponsored": [
                k for a in agents if not getattr(a, "sponsor", None) for k in agent_keys(a)
            ],
            "name_pattern": str(p["name_pattern"]),
            "ua_pattern": str(p["ua_pattern"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        kind = r["identity_kind"].replace("_", " ")
        if r["reason"] == "unregistered":
            why = f"{kind} {label(r)} is not in the agent registry"
        elif r["reason"] == "no_sponsor":
            why = f"registered {kind} {label(r)} has no sponsor"
        else:
            cue = "its name" if r["agent_name"] else f"its user agent {r['top_user_agent']}"
            why = f"service principal {label(r)} looks like an agent ({cue}) but is unregistered"
        since = (
            f"seen since {r['first_seen_before']:%Y-%m-%d}"
            if r["first_seen_before"]
            else "first seen today"
        )
        touched = (
            f", {r['n_sensitive']} of them sensitive ({r['sensitivities']})"
            if (r["n_sensitive"])
            else ""
        )
        explanation = (
            f"{why}; it made {plural(r['n_events'], 'request')} to "
            f"{plural(r['n_resources'], 'resource')} today{touched} ({since})."
        )
        severity = "high" if r["n_sensitive"] and r["reason"] != "no_sponsor" else "medium"
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact("registered", "agent is in the registry", True, r["is_registered"]),
                fact("sponsor", "accountable human", "required", r["sponsor"]),
                fact(
                    "sensitive_requests",
                    "requests to sensitive resources today",
                    0,
                    r["n_sensitive"],
                ),
            ],
            severity=severity,
            details={"reason": r["reason"], "events": r["n_events"]},
        )
