"""AA-R03: directory reconnaissance: enumeration of users, groups, roles or apps far above baseline.

Reading the directory (``/users``, ``/groups``, ``/directoryRoles``, ``/servicePrincipals``, …) is
the first step of most intrusions with a stolen app credential (MITRE T1087 / T1069). The rule
compares the day's enumeration requests with the identity's own daily history. It is an early-life
rule too: a new identity that immediately enumerates the directory fires without any baseline,
once the tenant has a baseline (on the first days of data every identity looks new). A new
registered agent whose ``allowed_resources`` name graph: paths of every collection it listed is
doing its declared job and is left alone; far above its own baseline, even that agent fires.
"""

from __future__ import annotations

from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
from detectors.scoring import ratio_rarity
from detectors.sql_rule import SqlRule, agent_of, on_behalf_of, plural, registry_keys, who


def declared(allowed: list[str], paths: list[str]) -> bool:
    """Whether an agent's graph: globs name the collection of every path it enumerated."""
    firsts = {
        p.lower()[6:].strip("/").split("/")[0] for p in allowed if p.lower().startswith("graph:/")
    }
    firsts.discard("**")
    return bool(paths) and all(p.strip("/").split("/")[0] in firsts for p in paths)


class DirectoryRecon(SqlRule):
    id = "AA-R03"
    family = "unexpected_resource_access"
    severity = "high"
    title = "Directory reconnaissance far above baseline"
    attacks = ("T1087.004", "T1069.003", "T1526")
    runbook = (
        "Check which objects were listed and whether the identity's purpose needs them; if not, "
        "revoke its Directory.Read / User.Read.All permissions and rotate its credentials."
    )
    defaults = {
        "min_requests": 40,  # a day below this is never reconnaissance
        "factor": 5.0,  # ... and it must be this many times the baseline's busiest day
        "min_history_days": 3,  # fewer days of history: judged as an early-life identity
    }

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        rows = self.frame(ctx, min_requests=int(p["min_requests"]))
        keys = registry_keys(ctx.config)
        out: list[Finding] = []
        for row in rows.iter_rows(named=True):
            agent = agent_of(keys, row)
            early = row["history_days"] < int(p["min_history_days"])
            if early and row["tenant_days"] < int(p["min_history_days"]):
                continue  # the tenant's first days: no way to tell a new identity from any other
            if early and agent is not None and declared(agent.allowed_resources, row["paths"]):
                continue  # a new agent doing the listing it was registered for
            typical = max(row["max_requests"], row["p95_requests"])
            if not early and row["requests"] < float(p["factor"]) * max(typical, 1.0):
                continue
            if early:
                base = (
                    f"it is new ({plural(row['history_days'], 'day')} of history) and enumerated "
                    "the directory at once"
                )
            else:
                base = (
                    f"its busiest day of the last {plural(row['history_days'], 'active day')} "
                    f"had {typical:,.0f}"
                )
            out.append(
                self.make(
                    ctx,
                    row,
                    on_behalf_of=on_behalf_of(row),
                    window_start=row["window_start"],
                    window_end=row["window_end"],
                    evidence=row["evidence"],
                    explanation=(
                        f"{who(row)} listed the directory {plural(row['requests'], 'time')} "
                        f"({row['collection_list']}; {row['distinct_uris']:,} distinct queries) "
                        f"on {ctx.day}; {base}."
                    ),
                    baseline=[
                        BaselineFact(
                            name="enumeration_requests_max",
                            description="directory enumeration requests, busiest previous day",
                            value=typical,
                            observed=row["requests"],
                        ),
                        BaselineFact(
                            name="history_days",
                            description="days of history for this identity",
                            value=row["history_days"],
                        ),
                    ],
                    rarity=1.0 if early else ratio_rarity(row["requests"], max(typical, 1.0)),
                    sensitivity="directory",
                    reach=min(1.0, row["collections"] / 4 + row["distinct_uris"] / 1000),
                    details={
                        "requests": row["requests"],
                        "early_life": early,
                        "collections": row["collection_list"],
                    },
                )
            )
        return out


def _enum(n: int, day: str, actor: str, prefix: str) -> list[dict]:
    paths = ["users", "groups", "directoryRoles", "servicePrincipals"]
    return [
        {
            "event_id": f"{prefix}-{day}-{i}",
            "event_time": f"{day}T10:{i % 60:02d}:{i // 60:02d}Z",
            "actor_id": actor,
            "service_principal_id": actor,
            "app_id": f"app-{actor}",
            "actor_kind": "service_principal",
            "token_type": "app",
            "operation": "GET",
            "request_uri": f"https://graph.microsoft.com/v1.0/{paths[i % 4]}?$skip={i}",
            "resource_path": f"/{paths[i % 4].lower()}",
            "status_code": 200,
        }
        for i in range(n)
    ]


def _routine(days: list[str], actor: str) -> list[dict]:
    return [
        {
            "event_id": f"routine-{d}-{i}",
            "event_time": f"{d}T08:{i:02d}:00Z",
            "actor_id": actor,
            "service_principal_id": actor,
            "app_id": f"app-{actor}",
            "actor_kind": "service_principal",
            "token_type": "app",
            "operation": "GET",
            "request_uri": "https://graph.microsoft.com/v1.0/sites/s1/drive/root",
            "resource_path": "/sites/{id}/drive/root",
            "status_code": 200,
        }
        for d in days
        for i in range(5)
    ]


_HISTORY = [f"2026-03-0{d}" for d in range(1, 10)]

CASES = [
    Case(
        name="a brand-new service principal lists users, groups and roles 120 times",
        fires=True,
        day="2026-03-10",
        rows={"activity": _routine(_HISTORY, "sp-old") + _enum(120, "2026-03-10", "sp-new", "r03")},
        check=lambda fs: fs[0].details.get("early_life") is True,
    ),
    Case(
        name="an established identity that never enumerated suddenly does",
        fires=True,
        day="2026-03-10",
        rows={
            "activity": _routine(_HISTORY, "sp-old") + _enum(200, "2026-03-10", "sp-old", "r03b")
        },
    ),
    Case(
        name="on the tenant's first day nobody can be told apart as new",
        fires=False,
        day="2026-03-10",
        rows={"activity": _enum(120, "2026-03-10", "sp-new", "r03f")},
    ),
    Case(
        name="a registered agent whose allowed_resources name the collections it lists",
        fires=False,
        day="2026-03-10",
        config='[[agents]]\nid = "sp-new"\nallowed_resources = ["graph:/users/*", '
        '"graph:/groups/*/members", "graph:/directoryRoles", "graph:/servicePrincipals/*"]\n',
        rows={"activity": _routine(_HISTORY, "sp-old") + _enum(120, "2026-03-10", "sp-new", "r03")},
    ),
    Case(
        name="a directory sync that lists 150 objects every day is its normal",
        fires=False,
        day="2026-03-10",
        rows={
            "activity": [
                row
                for d in [*_HISTORY, "2026-03-10"]
                for row in _enum(150, d, "sp-sync", f"sync-{d}")
            ]
        },
    ),
]
