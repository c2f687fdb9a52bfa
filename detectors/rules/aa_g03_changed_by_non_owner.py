"""AA-G03: an agent created or changed by someone who is not its owner or sponsor."""

from __future__ import annotations

from typing import ClassVar

from detectors.cases import audit_row, audit_target
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.rules.aa_g01_credential_added import CREDENTIAL_ACTIVITIES
from detectors.rules.aa_g02_role_granted import GRANT_ACTIVITIES
from detectors.sql_rule import (
    SqlRule,
    agent_keys,
    agent_registry,
    fact,
    label,
    owner_pairs,
    plural,
    with_registry,
)

#: directory changes to an application, service principal or agent object
CHANGE_ACTIVITIES = (
    r"^\s*(add|update|delete|hard delete|remove|restore|disable|enable|set|create)\b"
    r".*(application|service principal|agent|blueprint|owner|policy|federated)"
)

TOML = """
[[agents]]
id = "agent-hr"
name = "HR onboarding agent"
kind = "agent_identity"
sponsor = "hr-lead@contoso.com"
owner = "owner@contoso.com"
"""


def _change(event_id: str, initiator: str, activity: str) -> dict:
    agent = audit_target(
        "agent-hr",
        name="HR onboarding agent",
        agent_type="agenticAppInstance",
        props=[("AppAddress", "[]", "[https://x]")],
    )
    return audit_row(
        event_id, "2026-03-10T13:00:00Z", activity, [agent], by=initiator, by_kind="user"
    )


class ChangedByNonOwner(SqlRule):
    id = "AA-G03"
    family = "credential_or_privilege_change"
    severity = "medium"
    title = "Agent created or changed by someone who is not its owner or sponsor"
    attacks = ("T1098", "T1578")
    runbook = (
        "Ask the agent's owner and sponsor whether they asked for the change; if not, revert it, "
        "check the initiator's account for compromise and review the agent's next actions."
    )
    defaults: ClassVar[dict] = {
        "change_pattern": CHANGE_ACTIVITIES,
        # credential and role grants are AA-G01 / AA-G02 findings already
        "exclude_pattern": f"{CREDENTIAL_ACTIVITIES}|{GRANT_ACTIVITIES}",
        "trusted_initiators": [],
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="a colleague who is not the owner changes the HR agent's reply URLs",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={"audits": [_change("c1", "eve@contoso.com", "Update service principal")]},
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "agent-hr"
                and fs[0].identity.kind == "agent_identity"
                and "eve@contoso.com" in fs[0].explanation
            ),
        ),
        Case(
            name="the owner updates the agent",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={"audits": [_change("c2", "owner@contoso.com", "Update service principal")]},
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        agents = agent_registry(ctx)
        with_owner = [
            k
            for a in agents
            if getattr(a, "owner", None) or getattr(a, "sponsor", None)
            for k in agent_keys(a)
        ]
        return {
            "change_pattern": str(p["change_pattern"]),
            "exclude_pattern": str(p["exclude_pattern"]),
            "registered": [k for a in agents for k in agent_keys(a)],
            "owner_pairs": owner_pairs(ctx),
            "with_owner": with_owner,
            "trusted": [str(t).lower() for t in p["trusted_initiators"]],
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, raw: dict, q: dict) -> Finding:
        r = with_registry(ctx, raw, raw["target_type"], raw["target_agent_type"])
        spec = ctx.config.agent(str(r["identity_id"]))
        owners = ", ".join(
            x for x in (getattr(spec, "owner", None), getattr(spec, "sponsor", None)) if x
        )
        severity = "high" if r["structural"] or r["any_by_itself"] else "medium"
        changed = r["properties"] or "no listed properties"
        explanation = (
            f"{r['initiators']} made {plural(r['n_changes'], 'change')} ({r['activities']}; "
            f"{changed}) to agent {label(r)}, whose owner and sponsor are {owners}."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact("owner_or_sponsor", "who may change this agent", owners, r["initiators"]),
            ],
            severity=severity,
            details={"initiators": r["initiators"], "activities": r["activities"]},
        )
