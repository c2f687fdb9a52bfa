"""AA-R01: a registered agent touches a resource outside its declared ``allowed_resources``.

The registry says what each agent is for; anything else it touches (or tries to) is, by
definition, unexpected. ``allowed_resources`` entries are resource ids or display names (checked
against sign-ins) and ``graph:`` path globs (checked against Graph activity). When an agent lists
``graph:`` globs, only those Graph paths are allowed; when it lists Microsoft Graph without any
glob, every Graph path is. Not behavioural: the declaration holds from the agent's first day.
"""

from __future__ import annotations

from typing import Any

from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
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
from pipeline.sensitivity import GRAPH_APP_ID, is_glob, matches

GRAPH_NAMES = {GRAPH_APP_ID, "microsoft graph"}
#: Microsoft 365 workloads reached without Graph, and the Graph globs that grant the same data
WORKLOADS = {
    "office 365 sharepoint online": ("/drive", "graph:/sites", "graph:/drives"),
    "office 365 exchange online": ("/messages", "/mailfolders"),
}


def allowed(patterns: list[str], resource: Any, resource_id: Any, resource_path: Any) -> bool:
    """Whether an agent's ``allowed_resources`` cover one (resource, id, path) it touched."""
    globs = [p for p in patterns if is_glob(p)]
    names = [p for p in patterns if not is_glob(p)]
    graph_listed = any(n.strip().lower() in GRAPH_NAMES for n in names)
    if resource_path:
        if globs:
            return any(matches(g, resource_path=resource_path) for g in globs)
        return graph_listed
    if any(matches(n, resource=resource, resource_id=resource_id) for n in names):
        return True
    hints = WORKLOADS.get((resource or "").strip().lower())
    if hints and any(h in g.lower() for g in globs for h in hints):
        return True  # the same data through another API the agent is allowed
    is_graph = (resource_id or "").lower() in GRAPH_NAMES or (resource or "").lower() in GRAPH_NAMES
    return is_graph and bool(globs)


def label(row: dict[str, Any]) -> str:
    if row["resource_path"]:
        return f"Graph {row['resource_path']}"
    return str(row["resource"] or row["resource_id"] or "unknown resource")


class OutsideAllowedResources(SqlRule):
    id = "AA-R01"
    family = "unexpected_resource_access"
    severity = "high"
    title = "Agent touched a resource outside its allowed_resources"
    attacks = ("T1078.004", "T1530")
    runbook = (
        "Confirm with the agent's sponsor whether the resource belongs to its purpose; if not, "
        "remove the permission that allowed it and review what it read."
    )
    defaults = {"min_history_days": 3}

    def detect(self, ctx: DetectContext) -> list[Finding]:
        keys = registry_keys(ctx.config, lambda a: bool(a.allowed_resources))
        if not keys:
            return []
        rows = self.frame(ctx, keys=sorted(keys))
        if rows.is_empty():
            return []
        outside = [
            not allowed(
                agent_of(keys, r).allowed_resources,
                r["resource"],
                r["resource_id"],
                r["resource_path"],
            )
            for r in rows.iter_rows(named=True)
        ]
        rows = rows.filter(outside)
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
            listed = ", ".join(
                f"{label(r)} ({plural(r['requests'], 'request')})" for r in shown[:3]
            )
            more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
            denied = sum(r["requests"] - r["succeeded_requests"] for r in items)
            denied_text = f" ({denied:,} of them denied)" if denied else ""
            tags = sorted({r["sensitivity"] for r in items if r["sensitivity"]})
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
                        f"{who(first)} touched {plural(len(shown), 'resource')} outside its "
                        f"allowed_resources{denied_text}: {listed}{more}; it is allowed only "
                        f"{', '.join(agent.allowed_resources)}{note}."
                    ),
                    baseline=[
                        BaselineFact(
                            name="allowed_resources",
                            description="what the registry allows this agent",
                            value=", ".join(agent.allowed_resources),
                            observed=", ".join(label(r) for r in shown[:10]),
                        ),
                        BaselineFact(
                            name="outside_resources_new",
                            description="resources outside the allowed list it never touched "
                            "before (the others recur in its history)",
                            value=0,
                            observed=len(fresh),
                        ),
                    ],
                    rarity=0.9 if fresh else 0.2,
                    sensitivity=",".join(tags) or None,
                    reach=min(1.0, len(shown) / 5),
                    base_severity=None if fresh else "low",
                    details={
                        "outside_resources": len(items),
                        "new_outside_resources": len(fresh),
                        "denied_requests": denied,
                    },
                )
            )
        return out


_CONFIG = """
[[agents]]
id = "agent-fin"
name = "Finance agent"
allowed_resources = ["Microsoft Graph", "graph:/sites/*/drive/**", "Dynamics 365 Finance"]
"""


def _call(i: int, path: str) -> dict:
    return {
        "event_id": f"r01-{i}",
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


def _signin(i: int, resource: str) -> dict:
    return {
        "event_id": f"r01-s{i}",
        "event_time": f"2026-03-10T09:{i:02d}:00Z",
        "log_type": "service_principal",
        "actor_id": "agent-fin",
        "service_principal_id": "agent-fin",
        "actor_kind": "agent_identity",
        "resource_display_name": resource,
        "succeeded": True,
    }


CASES = [
    Case(
        name="the finance agent opens Key Vault and reads a mailbox",
        fires=True,
        day="2026-03-10",
        config=_CONFIG,
        rows={
            "signins": [_signin(1, "Microsoft Graph"), _signin(2, "Azure Key Vault")],
            "activity": [_call(1, "/sites/{id}/drive/root"), _call(2, "/users/{id}/messages")],
        },
        check=lambda fs: fs[0].details.get("outside_resources") == 2,
    ),
    Case(
        name="the finance agent stays inside Graph drive paths and Dynamics",
        fires=False,
        day="2026-03-10",
        config=_CONFIG,
        rows={
            "signins": [_signin(1, "Microsoft Graph"), _signin(2, "Dynamics 365 Finance")],
            "activity": [_call(1, "/sites/{id}/drive/root"), _call(2, "/sites/{id}/drive/items")],
        },
    ),
]
