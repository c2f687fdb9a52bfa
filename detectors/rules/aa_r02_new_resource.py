"""AA-R02: an identity touches a resource new to its baseline and rare among its peers.

The UEBA "first time for the identity, uncommon among its peers" signal: an agent of the finance
blueprint that suddenly opens Key Vault or reads mailboxes, when none of its sibling agents ever
did. Peers are the identities of the same blueprint, else of the same creation channel (when
known: creation_channels), else of the same kind. Behavioural: it needs
the identity's own history. People are left out by default (their Graph use is exploratory by
nature); set ``kinds`` under ``[detectors.AA-R02]`` to include them.
"""

from __future__ import annotations

import polars as pl

from detectors.cases import audit_row, audit_target
from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, on_behalf_of, who


def readable(rkey: str) -> str:
    return f"Graph {rkey[6:]}" if rkey.startswith("graph:") else rkey


class NewRareResource(SqlRule):
    id = "AA-R02"
    family = "unexpected_resource_access"
    severity = "medium"
    title = "Resource new to the identity and rare among its peers"
    attacks = ("T1530", "T1526")
    runbook = (
        "Ask the identity's owner whether the new resource belongs to its job; if it does, add "
        "it to allowed_resources, if not, revoke the permission that let it in."
    )
    behavioural = True
    defaults = {
        "min_history_days": 5,
        "max_peer_share": 0.1,  # used by at most 10 % of its peers
        "max_tenant_share": 0.05,  # when it has no peers: by at most 5 % of the tenant
        "kinds": [
            "agent_identity",
            "agent_user",
            "agent_blueprint",
            "service_principal",
            "managed_identity",
        ],
    }

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        rows = self.frame(ctx, kinds=list(p["kinds"]))
        if rows.is_empty():
            return []
        peer_share = pl.col("peer_users") / pl.col("peer_count").cast(pl.Float64)
        tenant_share = pl.col("tenant_users") / pl.col("tenant_identities").cast(pl.Float64)
        rare = (
            pl.when(pl.col("peer_count") > 0)
            .then(peer_share <= float(p["max_peer_share"]))
            .otherwise(tenant_share <= float(p["max_tenant_share"]))
        )
        rows = rows.filter((pl.col("history_days") >= int(p["min_history_days"])) & rare)
        lookback = ctx.lookback_days
        out: list[Finding] = []
        for group in rows.partition_by("identity_id"):
            group = group.sort(["sensitivity", "requests"], descending=True, nulls_last=True)
            first = group.row(0, named=True)
            facts = []
            phrases = []
            for row in group.iter_rows(named=True):
                peers = (
                    f"used by {row['peer_users']} of its {row['peer_count']} peers"
                    if row["peer_count"]
                    else f"used by {row['tenant_users']} of {row['tenant_identities']} "
                    "identities in the tenant"
                )
                phrases.append(
                    f"resource {readable(row['rkey'])} never used by this identity in "
                    f"{lookback} days; {peers}"
                )
                facts.append(
                    BaselineFact(
                        name="new_resource",
                        description=f"{readable(row['rkey'])}: {peers}",
                        value=0,
                        observed=row["requests"],
                    )
                )
            more = f" (and {len(phrases) - 2} more)" if len(phrases) > 2 else ""
            sens = [s for s in group.get_column("sensitivity").to_list() if s]
            peer_fraction = (
                (first["peer_users"] / first["peer_count"]) if first["peer_count"] else 0
            )
            out.append(
                self.make(
                    ctx,
                    first,
                    on_behalf_of=on_behalf_of(first),
                    window_start=group.get_column("window_start").min(),
                    window_end=group.get_column("window_end").max(),
                    evidence=[e for ev in group.get_column("evidence") for e in ev],
                    explanation=f"{who(first)}: " + "; ".join(phrases[:2]) + more + ".",
                    baseline=facts[:20],
                    rarity=1.0 - min(1.0, peer_fraction * 5),
                    sensitivity=",".join(sorted(set(sens))) or None,
                    reach=min(1.0, group.height / 5),
                    details={
                        "new_resources": ", ".join(readable(r) for r in group.get_column("rkey")),
                        "history_days": first["history_days"],
                    },
                )
            )
        return out


def _calls(actor: str, blueprint: str, day: str, path: str, n: int = 3) -> list[dict]:
    return [
        {
            "event_id": f"{actor}-{day}-{path}-{i}",
            "event_time": f"{day}T10:{i:02d}:00Z",
            "actor_id": actor,
            "service_principal_id": actor,
            "app_id": f"app-{actor}",
            "actor_kind": "service_principal",
            "token_type": "app",
            "operation": "GET",
            "request_uri": f"https://graph.microsoft.com/v1.0{path}",
            "resource_path": path,
            "status_code": 200,
        }
        for i in range(n)
    ]


_DAYS = [f"2026-03-0{d}" for d in range(1, 10)]
_PEERS = ["sp-a", "sp-b", "sp-c", "sp-d"]
_ROUTINE = [
    row for actor in _PEERS for d in _DAYS for row in _calls(actor, "bp", d, "/sites/{id}/drive")
]

_FLEET = [f"sp-{i}" for i in range(20)]
_BOTS = ["bot-1", "bot-2", "bot-3"]


def _bot_created(bot: str) -> dict:
    """A legacy Copilot Studio bot: a classic service principal with its power-virtual-agents
    tag, which makes its creation channel (not its kind) its peer group."""
    tagged = audit_target(bot, props=[("Tags", f'["power-virtual-agents-{bot}"]')])
    return audit_row(
        f"created-{bot}",
        "2026-03-01T08:00:00Z",
        "Add service principal",
        [tagged],
        by="Power Virtual Agents Service",
        by_kind="service_principal",
        category=None,
    )


CASES = [
    Case(
        name="a service principal reads mailboxes none of the tenant ever read",
        fires=True,
        day="2026-03-10",
        rows={
            "activity": _ROUTINE
            + _calls("sp-a", "bp", "2026-03-10", "/sites/{id}/drive")
            + _calls("sp-a", "bp", "2026-03-10", "/users/{id}/messages")
        },
        check=lambda fs: "messages" in fs[0].explanation,
    ),
    Case(
        name="a resource new to the identity but used by every peer is not rare",
        fires=False,
        day="2026-03-10",
        rows={
            "activity": _ROUTINE
            + [
                row
                for actor in _PEERS[1:]
                for d in _DAYS
                for row in _calls(actor, "bp", d, "/groups/{id}/members", 1)
            ]
            + _calls("sp-a", "bp", "2026-03-10", "/groups/{id}/members")
        },
    ),
    Case(
        name="a Copilot Studio bot reads what its fellow bots read, though 20 other service "
        "principals never did: not rare among the peers of its creation channel",
        fires=False,
        day="2026-03-10",
        rows={
            "audits": [_bot_created(b) for b in _BOTS],
            "activity": [
                row
                for actor in _FLEET + _BOTS
                for d in _DAYS
                for row in _calls(actor, "", d, "/sites/{id}/drive", 1)
            ]
            + [row for bot in _BOTS[1:] for d in _DAYS for row in _calls(bot, "", d, "/chats", 1)]
            + _calls("bot-1", "", "2026-03-10", "/chats"),
        },
    ),
    Case(
        name="the same read by a service principal of no channel is rare among its kind",
        fires=True,
        day="2026-03-10",
        rows={
            "activity": [
                row
                for actor in _FLEET + _BOTS
                for d in _DAYS
                for row in _calls(actor, "", d, "/sites/{id}/drive", 1)
            ]
            + [row for bot in _BOTS[1:] for d in _DAYS for row in _calls(bot, "", d, "/chats", 1)]
            + _calls("bot-1", "", "2026-03-10", "/chats"),
        },
        check=lambda fs: len(fs) == 1 and fs[0].identity.id == "bot-1",
    ),
]
