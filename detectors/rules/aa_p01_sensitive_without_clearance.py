"""AA-P01: a registered agent reads a resource the catalogue marks sensitive without the clearance.

Each agent declares ``pii_clearance``: the sensitivity tags it may touch (``financial``,
``mail``, …). A successful read of a resource whose catalogue tag is not among them is a PII
touch, even when a blanket entry (``Microsoft Graph``, ``graph:/users/**``) allows the resource;
a path the agent's ``allowed_resources`` name specifically (a glob without ``**``) is a reviewed
grant and is not judged. The personal-data tags are judged by default; ``tags`` under
``[detectors.AA-P01]`` widens or narrows them.
"""

from __future__ import annotations

from typing import Any

from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
from detectors.rules.aa_p03_bulk_sensitive_read import TAG_WORDS
from detectors.sql_rule import (
    STANDING_WORDS,
    SqlRule,
    agent_of,
    on_behalf_of,
    plural,
    registry_keys,
    standing,
    who,
)
from pipeline.sensitivity import is_glob, matches


def named_explicitly(allowed: list[str], resource_path: str | None) -> bool:
    """Whether a specific ``graph:`` glob of the agent (no ``**``) names this path: a reviewed,
    deliberate grant. Blanket globs such as ``graph:/users/**`` do not count."""
    if not resource_path:
        return False
    return any(
        is_glob(p) and "**" not in p and matches(p, resource_path=resource_path) for p in allowed
    )


def _label(row: dict[str, Any]) -> str:
    if row["resource_path"]:
        return f"Graph {row['resource_path']}"
    return str(row["resource"] or row["resource_id"])


class SensitiveWithoutClearance(SqlRule):
    id = "AA-P01"
    family = "pii_touch"
    severity = "high"
    title = "Sensitive data read without the matching pii_clearance"
    attacks = ("T1530", "T1114.002")
    runbook = (
        "Check with the sponsor whether the agent needs this data; either grant the clearance in "
        "the registry after a privacy review, or remove the Graph permission that allows it."
    )
    defaults = {
        "tags": ["pii", "hr", "financial", "mail", "health", "secrets", "credentials"],
        "min_history_days": 3,
    }

    def detect(self, ctx: DetectContext) -> list[Finding]:
        judged = {t.lower() for t in self.params(ctx)["tags"]}
        keys = registry_keys(ctx.config)
        if not keys:
            return []
        rows = self.frame(ctx, keys=sorted(keys))
        if rows.is_empty():
            return []
        uncleared = [
            (r["sensitivity"] or "").lower() in judged
            and (r["sensitivity"] or "").lower()
            not in {c.lower() for c in agent_of(keys, r).pii_clearance}
            and not named_explicitly(agent_of(keys, r).allowed_resources, r["resource_path"])
            for r in rows.iter_rows(named=True)
        ]
        rows = rows.filter(uncleared)
        min_days = int(self.params(ctx)["min_history_days"])
        out: list[Finding] = []
        for group in rows.partition_by("identity_id"):
            group = group.sort("requests", descending=True)
            first = group.row(0, named=True)
            agent = agent_of(keys, first)
            items = list(group.iter_rows(named=True))
            states = [standing(r, min_days) for r in items]
            fresh = [r for r, st in zip(items, states, strict=True) if st == "new"]
            shown = fresh or items
            tags = sorted({r["sensitivity"] for r in shown})
            reads = sum(r["requests"] for r in shown)
            words = ", ".join(TAG_WORDS.get(t, t) for t in tags)
            where = ", ".join(_label(r) for r in shown[:3])
            clearance = ", ".join(agent.pii_clearance) or "none"
            note = "" if fresh else f"; {STANDING_WORDS[states[0]]}"
            out.append(
                self.make(
                    ctx,
                    first,
                    on_behalf_of=on_behalf_of(first),
                    window_start=min(r["window_start"] for r in shown),
                    window_end=max(r["window_end"] for r in shown),
                    evidence=[e for r in shown for e in r["evidence"]],
                    explanation=(
                        f"{who(first)} read {words} ({plural(reads, 'request')}: {where}) "
                        f"without clearance for it; its pii_clearance is {clearance}{note}."
                    ),
                    baseline=[
                        BaselineFact(
                            name="pii_clearance",
                            description="sensitivity tags the registry clears this agent for",
                            value=clearance,
                            observed=", ".join(tags),
                        ),
                        BaselineFact(
                            name="uncleared_resources_new",
                            description="uncleared sensitive resources it never read before",
                            value=0,
                            observed=len(fresh),
                        ),
                    ],
                    rarity=0.8 if fresh else 0.2,
                    sensitivity=",".join(tags),
                    reach=min(1.0, reads / 1000 + len(shown) / 10),
                    base_severity=None if fresh else "low",
                    details={"tags": ",".join(tags), "requests": reads, "new": len(fresh)},
                )
            )
        return out


_CONFIG = """
[[agents]]
id = "agent-fin"
name = "Finance agent"
pii_clearance = ["financial"]
"""


def _call(i: int, path: str) -> dict:
    return {
        "event_id": f"p01-{i}",
        "event_time": f"2026-03-10T10:{i:02d}:00Z",
        "actor_id": "agent-fin",
        "service_principal_id": "agent-fin",
        "actor_kind": "agent_identity",
        "actor_kind_source": "registry",
        "token_type": "app",
        "operation": "GET",
        "request_uri": f"https://graph.microsoft.com/v1.0{path}",
        "resource_path": path,
        "status_code": 200,
    }


CASES = [
    Case(
        name="the finance agent reads mailboxes and HR managers",
        fires=True,
        day="2026-03-10",
        config=_CONFIG,
        rows={"activity": [_call(1, "/users/{id}/messages"), _call(2, "/users/{id}/manager")]},
        check=lambda fs: "mail" in str(fs[0].details.get("tags")),
    ),
    Case(
        name="the finance agent reads SharePoint files only (not a personal-data tag)",
        fires=False,
        day="2026-03-10",
        config=_CONFIG,
        rows={"activity": [_call(1, "/sites/{id}/drive/root"), _call(2, "/sites/{id}/drive")]},
    ),
]
