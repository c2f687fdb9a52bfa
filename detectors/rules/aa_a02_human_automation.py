"""AA-A02: a human account behaving like automation (a person's account run by a script)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import HUMAN_KINDS, SqlRule, fact, label, plural

#: user agents of scripts, SDKs and command-line tools (regex over the lower-cased user agent)
SCRIPTED_UA = (
    r"python-requests|python-urllib|aiohttp|httpx|curl/|wget/|powershell|go-http-client"
    r"|okhttp|axios|node-fetch|undici|java/|apache-httpclient|libwww-perl|postmanruntime"
    r"|langchain|openai|semantic-kernel|autogen|msal-python|azure-sdk|azsdk-python"
)


def _call(event_id: str, time: str, user: str, ua: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "source_log": "graph",
        "user_id": user,
        "user_principal_name": f"{user}@contoso.com",
        "app_id": "app-graph-explorer",
        "token_type": "delegated",
        "operation": "GET",
        "request_uri": "https://graph.microsoft.com/v1.0/users",
        "resource_path": "/users",
        "status_code": 200,
        "user_agent": ua,
    }


#: every 20 minutes, all day, from python-requests
SCRIPTED = [
    _call(f"a{i}", f"2026-03-10T{i // 3:02d}:{(i % 3) * 20:02d}:00Z", "sam", "python-requests/2.31")
    for i in range(72)
]
#: a person's ordinary day: bursts of browser calls between 09:00 and 17:00
PERSON = [
    _call(
        f"p{i}",
        f"2026-03-10T{9 + i % 8:02d}:{(i * 7) % 60:02d}:{i % 50:02d}Z",
        "pat",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edge/120.0",
    )
    for i in range(60)
]


class HumanAsAutomation(SqlRule):
    id = "AA-A02"
    family = "attribution_gap"
    severity = "medium"
    title = "Human account behaving like automation"
    attacks = ("T1078", "T1059")
    runbook = (
        "Ask the person whether a script or agent uses their account; move that automation to "
        "its own registered agent identity and revoke the person's tokens it holds."
    )
    defaults: ClassVar[dict] = {
        "min_events": 50,
        "min_hours": 18,
        "max_cv": 0.25,
        "ua_pattern": SCRIPTED_UA,
        "interactive_days": 7,
        "min_signals": 2,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="a person's token used by a script every 20 minutes around the clock",
            fires=True,
            day="2026-03-10",
            rows={"activity": SCRIPTED},
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "sam"
                and fs[0].severity == "high"
                and "python-requests" in fs[0].explanation
            ),
        ),
        Case(
            name="a person at work in a browser after an interactive sign-in",
            fires=False,
            day="2026-03-10",
            rows={
                "activity": PERSON,
                "signins": [
                    {
                        "event_id": "s1",
                        "event_time": "2026-03-10T08:55:00Z",
                        "log_type": "interactive",
                        "is_interactive": True,
                        "user_id": "pat",
                        "user_principal_name": "pat@contoso.com",
                        "succeeded": True,
                    }
                ],
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        days = int(p["interactive_days"])
        return {
            "interactive_start": ctx.day_start - timedelta(days=days),
            "interactive_start_day": ctx.day - timedelta(days=days),
            "human_kinds": HUMAN_KINDS,
            "min_events": int(p["min_events"]),
            "min_hours": int(p["min_hours"]),
            "max_cv": float(p["max_cv"]),
            "ua_pattern": str(p["ua_pattern"]),
            "min_signals": int(p["min_signals"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        days = int(q["interactive_days"])
        signs = []
        if r["round_the_clock"]:
            signs.append(f"active in {r['n_hours']} hours of the day")
        if r["machine_cadence"]:
            signs.append(f"calls every {r['mean_gap'] / 60:.0f} minutes like clockwork")
        if r["scripted"]:
            signs.append(f"scripted user agent {r['top_user_agent']}")
        if r["no_interactive"]:
            signs.append(f"no interactive sign-in in {days} days")
        explanation = (
            f"Person {label(r)} made {plural(r['n_events'], 'API call')} that look automated: "
            f"{'; '.join(signs)}."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "active_hours",
                    "hours of the day with activity",
                    q["min_hours"],
                    r["n_hours"],
                ),
                fact(
                    "cadence_cv",
                    "variation of the gaps between calls (0 = a clock)",
                    q["max_cv"],
                    None if r["gap_cv"] is None else round(r["gap_cv"], 3),
                ),
                fact(
                    "scripted_share",
                    "share of calls from scripted user agents",
                    0.5,
                    round(r["scripted_share"], 3),
                ),
                fact(
                    "interactive_signin",
                    f"interactive sign-in in the last {days} days",
                    True,
                    not r["no_interactive"],
                ),
            ],
            severity="high" if r["n_signals"] >= 3 else self.severity,
            details={"signals": r["n_signals"], "user_agent": r["top_user_agent"]},
        )
