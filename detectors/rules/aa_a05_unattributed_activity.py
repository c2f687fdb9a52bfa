"""AA-A05: activity that cannot be tied to any sign-in or identity."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, fact, label, plural


def _uti(name: str) -> str:
    """A token id as Entra prints it (22 base64url characters), named for the case."""
    return (name + "A" * 22)[:22]


def _signin(event_id: str, time: str, token: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "service_principal",
        "service_principal_id": "sp-sync",
        "app_id": "app-sync",
        "unique_token_id": _uti(token),
        "succeeded": True,
    }


def _call(event_id: str, time: str, token: str | None) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "source_log": "graph",
        "service_principal_id": "sp-sync",
        "app_id": "app-sync",
        "token_type": "app",
        "operation": "GET",
        "request_uri": "https://graph.microsoft.com/v1.0/users",
        "resource_path": "/users",
        "status_code": 200,
        "sign_in_activity_id": token and _uti(token),
    }


SIGNINS = [
    _signin("s0", "2026-03-09T02:00:00Z", "tok-yesterday"),
    _signin("s1", "2026-03-10T08:00:00Z", "tok-1"),
    _signin("s2", "2026-03-10T20:00:00Z", "tok-2"),  # sign-ins were collected after the calls
]


class UnattributedActivity(SqlRule):
    id = "AA-A05"
    family = "attribution_gap"
    severity = "medium"
    title = "Activity that cannot be tied to a sign-in or identity"
    attacks = ("T1550.001", "T1528")
    runbook = (
        "Look for where the token came from (a stolen or replayed token, a gap in log "
        "collection); check the diagnostic settings export every sign-in category, then revoke "
        "the identity's sessions."
    )
    #: token_hours: how long a token may live (24 hours; tokens under continuous access
    #: evaluation live up to 28); delay_hours: how late a sign-in record may arrive
    defaults: ClassVar[dict] = {
        "token_hours": 28,
        "delay_hours": 4,
        "min_events": 1,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="Graph calls carrying a token no collected sign-in minted",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": SIGNINS,
                "activity": [
                    _call("a1", "2026-03-10T08:05:00Z", "tok-1"),
                    _call("a2", "2026-03-10T09:00:00Z", "tok-stolen"),
                    _call("a3", "2026-03-10T09:01:00Z", "tok-stolen"),
                    # one token printed with base64 padding and a space: still tok-1's
                    {
                        **_call("a4", "2026-03-10T09:02:00Z", None),
                        "sign_in_activity_id": f" {_uti('tok-1')}== ",
                    },
                    # a malformed id is kept and links to nothing: it is no orphan token
                    {
                        **_call("a5", "2026-03-10T09:03:00Z", None),
                        "sign_in_activity_id": "not a token; drop",
                    },
                ],
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "sp-sync"
                and fs[0].evidence_event_ids == ("a2", "a3")
            ),
        ),
        Case(
            name="every call traces to a sign-in, and calls before sign-in coverage are not judged",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [_signin("s1", "2026-03-10T08:00:00Z", "tok-1")],
                "activity": [
                    _call("a1", "2026-03-10T08:05:00Z", "tok-1"),
                    _call("a2", "2026-03-10T09:00:00Z", "tok-older"),
                ],
            },
        ),
        Case(
            name="a token from yesterday, a call whose sign-in may still be on its way, and a "
            "delegated token where no user sign-ins were exported are not gaps",
            fires=False,
            day="2026-03-10",
            rows={
                "signins": [
                    _signin("s0", "2026-03-09T02:00:00Z", "tok-0"),
                    _signin("s1", "2026-03-09T07:00:00Z", "tok-26h"),  # 26 hours before a call
                    _signin("s2", "2026-03-10T21:00:00Z", "tok-2"),
                    {
                        **_signin("u1", "2026-03-08T09:00:00Z", "tok-u"),
                        "log_type": "interactive",
                    },
                    {
                        **_signin("u2", "2026-03-11T09:00:00Z", "tok-u2"),
                        "log_type": "interactive",
                    },
                ],
                "activity": [
                    _call("a1", "2026-03-10T09:00:00Z", "tok-26h"),
                    _call("a2", "2026-03-10T23:30:00Z", "tok-late"),  # sign-ins end at 21:00
                    {
                        **_call("a3", "2026-03-10T10:00:00Z", "tok-d"),
                        "token_type": "delegated",
                        "user_id": "u-1",
                    },
                ],
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        hours = int(p["token_hours"])
        delay = int(p["delay_hours"])
        coverage_end = (ctx.day_start + timedelta(days=1)) + timedelta(hours=delay)
        return {
            "coverage_start": ctx.day_start - timedelta(hours=hours),
            "coverage_start_day": (ctx.day_start - timedelta(hours=hours)).date(),
            "coverage_end": coverage_end,
            "coverage_end_day": coverage_end.date(),
            "token_hours": hours,
            "delay_hours": delay,
            "min_events": int(p["min_events"]),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        hours = q["token_hours"]
        parts = []
        if r["n_orphans"]:
            parts.append(
                f"{plural(r['n_orphans'], 'call')} used {plural(r['n_tokens'], 'token')} "
                f"that no sign-in of the last {hours} hours issued"
            )
        if r["n_actorless"]:
            parts.append(f"{plural(r['n_actorless'], 'event')} name no actor at all")
        who = "Unidentified activity" if r["identity_id"] == "unknown" else f"For {label(r)}"
        explanation = (
            f"{who}: {' and '.join(parts)} (resources: {r['resources'] or 'unknown'}; "
            f"from {r['ips'] or 'unknown addresses'})."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "orphan_token_calls",
                    "calls whose token matches no sign-in",
                    0,
                    r["n_orphans"],
                ),
                fact("actorless_events", "events without an identity", 0, r["n_actorless"]),
            ],
            severity="high" if r["n_sensitive"] else self.severity,
            details={"gaps": r["gaps"], "events": r["n_events"]},
        )
