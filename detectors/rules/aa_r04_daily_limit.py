"""AA-R04: a registered agent makes more requests in a day than its declared daily_request_limit.

The usage-based limit of the registry: an agent declared to make at most 5,000 calls a day that
makes 40,000 is either broken (a loop) or doing something it was not built for (bulk export).
Not behavioural: the limit is declared, so it applies from the agent's first day.
"""

from __future__ import annotations

from detectors.finding import BaselineFact, Finding
from detectors.rule import Case, DetectContext
from detectors.scoring import ratio_rarity
from detectors.sql_rule import SqlRule, plural, who


class DailyLimitExceeded(SqlRule):
    id = "AA-R04"
    family = "unexpected_resource_access"
    severity = "medium"
    title = "Agent above its declared daily request limit"
    attacks = ("T1530", "T1119")
    runbook = (
        "Compare the day's calls with the agent's purpose; if it is not a known batch, disable "
        "the agent's credentials and ask its sponsor what changed."
    )
    defaults = {"tolerance": 1.0}  # fire above limit * tolerance

    def detect(self, ctx: DetectContext) -> list[Finding]:
        limits: dict[str, int] = {}
        for agent in ctx.config.agents:
            if agent.daily_request_limit:
                for key in (agent.id, agent.app_id):
                    if key:
                        limits[key.lower()] = agent.daily_request_limit
        if not limits:
            return []
        rows = self.frame(ctx, keys=sorted(limits))
        tolerance = float(self.params(ctx)["tolerance"])
        out: list[Finding] = []
        for row in rows.iter_rows(named=True):
            limit = limits.get(str(row["identity_id"]).lower()) or limits.get(
                str(row["app_id"] or "").lower()
            )
            if limit is None or row["requests"] <= limit * tolerance:
                continue
            ratio = row["requests"] / limit
            out.append(
                self.make(
                    ctx,
                    row,
                    window_start=row["window_start"],
                    window_end=row["window_end"],
                    evidence=row["evidence"],
                    explanation=(
                        f"{who(row)} made {plural(row['requests'], 'request')} on {ctx.day}, "
                        f"{ratio:.1f}x its declared daily limit of {limit:,}; "
                        f"95th percentile of its previous days is {row['p95_requests']:,.0f}."
                    ),
                    baseline=[
                        BaselineFact(
                            name="daily_request_limit",
                            description="requests a day the registry allows",
                            value=limit,
                            observed=row["requests"],
                        ),
                        BaselineFact(
                            name="daily_requests_p95",
                            description=f"95th percentile of {row['history_days']} previous days",
                            value=round(row["p95_requests"], 1),
                            observed=row["requests"],
                        ),
                    ],
                    rarity=max(ratio_rarity(ratio, 1.0), 0.3),
                    reach=min(1.0, ratio / 10),
                    details={"limit": limit, "requests": row["requests"]},
                )
            )
        return out


_CONFIG = """
[[agents]]
id = "agent-r04"
name = "Invoice agent"
daily_request_limit = 3
"""


def _calls(n: int, prefix: str) -> list[dict]:
    return [
        {
            "event_id": f"{prefix}-{i}",
            "event_time": f"2026-03-10T09:{i:02d}:00Z",
            "actor_id": "agent-r04",
            "actor_kind": "agent_identity",
            "actor_kind_source": "registry",
            "operation": "GET",
            "request_uri": "https://graph.microsoft.com/v1.0/sites/s1/drive/root/children",
            "resource_path": "/sites/{id}/drive/root/children",
            "status_code": 200,
        }
        for i in range(n)
    ]


CASES = [
    Case(
        name="six requests against a limit of three",
        fires=True,
        day="2026-03-10",
        config=_CONFIG,
        rows={"activity": _calls(6, "r04-over")},
        check=lambda fs: fs[0].details.get("requests") == 6,
    ),
    Case(
        name="three requests, exactly the limit",
        fires=False,
        day="2026-03-10",
        config=_CONFIG,
        rows={"activity": _calls(3, "r04-ok")},
    ),
]
