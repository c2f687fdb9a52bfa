"""AA-S05: one token or session used from two places, by two clients, or after it was revoked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from detectors.cases import audit_row, audit_target
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, fact, label, plural

#: networks (ASNs) one provider announces: uses from any of them are one place
PROVIDER_ASNS: dict[str, tuple[int, ...]] = {
    "Microsoft": (8075, 8068, 8069, 8070, 8071, 8072, 8073, 8074, 3598, 6584, 12076, 23468),
    "Amazon": (16509, 14618, 8987, 7224, 38895),
    "Google": (15169, 396982, 19527, 36040, 36384, 43515, 139070),
    "Cloudflare": (13335, 209242, 395747),
    "Akamai": (20940, 16625, 16702, 21342, 32787, 63949),
    "Zscaler": (62044, 53813, 22616),
    "Oracle": (31898, 792),
}

#: audit activities that end a person's sessions (regex over the lower-cased activity)
REVOKE_ACTIVITIES = (
    r"update stsrefreshtokenvalidfrom timestamp|revoke .*(sign-?in )?sessions?"
    r"|revoke .*refresh tokens?|invalidate all refresh tokens"
)
#: audit activities that take a credential away or end the identity (regex, lower case)
REMOVAL_ACTIVITIES = (
    r"remove service principal credentials|remove .*(password|key|certificate|secret"
    r"|federated identity) ?credential|^\s*(hard )?delete (service principal|application"
    r"|agent identity|agent user|user)\b|^\s*disable (account|service principal|agent identity)"
)

#: base64url, 22 characters, as Entra prints uniqueTokenIdentifier and signInActivityId
TOKEN = "6jrFn7lsRUCRkUKjEJ5MAA"
SESSION = "5a1f7e0c-3d2b-4c8e-9f60-1b2c3d4e5f60"
EDGE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/126.0"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
AGENT_UA = "azsdk-python-identity/1.17 Python/3.12 (Linux-6.8-x86_64)"


def _agent_signin(event_id: str, time: str, ip: str, asn: int, token: str = TOKEN) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "service_principal",
        "service_principal_id": "sp-report",
        "service_principal_name": "Report agent",
        "app_id": "app-report",
        "agent_type": "AgenticAppInstance",
        "ip_address": ip,
        "autonomous_system_number": asn,
        "country": "US",
        "user_agent": AGENT_UA,
        "unique_token_id": token,
        "succeeded": True,
    }


def _call(event_id: str, time: str, ip: str, token: str | None = TOKEN, **more: Any) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "source_log": "graph",
        "service_principal_id": "sp-report",
        "app_id": "app-report",
        "token_type": "app",
        "operation": "GET",
        "request_uri": "https://graph.microsoft.com/v1.0/users",
        "resource_path": "/users",
        "status_code": 200,
        "ip_address": ip,
        "user_agent": AGENT_UA,
        "sign_in_activity_id": token,
        **more,
    }


def _user_signin(event_id: str, time: str, ip: str, asn: int, country: str, **more: Any) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "non_interactive",
        "user_id": "user-ann",
        "user_principal_name": "ann@contoso.com",
        "app_id": "app-outlook",
        "ip_address": ip,
        "autonomous_system_number": asn,
        "country": country,
        "user_agent": EDGE,
        "session_id": SESSION,
        "succeeded": True,
        **more,
    }


def _provider_signins() -> list[dict]:
    """Another app signing in from Microsoft's AS8068: what tells a Graph call's address."""
    return [
        {
            **_agent_signin("m1", "2026-03-10T07:00:00Z", "52.112.76.5", 8068, "T3" * 11),
            "service_principal_id": "sp-teams",
            "app_id": "app-teams",
            "agent_type": None,
        }
    ]


def _one(fs: list[Finding], severity: str, evidence: set[str], *words: str) -> bool:
    """One finding on Ann, of ``severity``, with exactly ``evidence``, naming ``words``."""
    return (
        len(fs) == 1
        and fs[0].identity.id == "user-ann"
        and fs[0].severity == severity
        and set(fs[0].evidence_event_ids) == evidence
        and all(w in fs[0].explanation for w in words)
    )


CASES = [
    Case(
        name="an agent's token replayed from a network its sign-ins never come from, on a lake "
        "with no history",
        fires=True,
        day="2026-03-10",
        rows={
            "signins": [_agent_signin("s1", "2026-03-10T09:00:00Z", "20.40.1.10", 8075)],
            "activity": [
                _call("a1", "2026-03-10T09:01:00Z", "20.40.1.10"),
                _call("a2", "2026-03-10T09:02:00Z", "20.40.1.10"),
                _call("a3", "2026-03-10T09:20:00Z", "203.0.113.66", user_agent="curl/8.5.0"),
                _call("a4", "2026-03-10T09:21:00Z", "203.0.113.66", user_agent="curl/8.5.0"),
            ],
        },
        check=lambda fs: (
            len(fs) == 1
            and fs[0].identity.id == "sp-report"
            and fs[0].severity == "high"
            and {"a3", "a4"} <= set(fs[0].evidence_event_ids)
            and TOKEN in fs[0].explanation
            and "203.0.0.0/16" in fs[0].explanation
            and "come from (Microsoft, 20.40.0.0/16)" in fs[0].explanation
            and "curl" in fs[0].explanation
        ),
    ),
    Case(
        name="a person's session cookie replayed from another country by a script",
        fires=True,
        day="2026-03-10",
        rows={
            "signins": [
                _user_signin("u1", "2026-03-10T08:00:00Z", "198.51.100.7", 3320, "DE"),
                _user_signin(
                    "u2",
                    "2026-03-10T08:20:00Z",
                    "203.0.113.9",
                    9009,
                    "NL",
                    user_agent="python-requests/2.32.3",
                ),
                _user_signin("u3", "2026-03-10T08:25:00Z", "198.51.100.7", 3320, "DE"),
            ]
        },
        check=lambda fs: _one(fs, "high", {"u1", "u2", "u3"}, SESSION, "AS9009", "python-requests"),
    ),
    Case(
        name="a person's session cookie turning up two hours later in another country, in "
        "another browser on another system, on a lake with no history",
        fires=True,
        day="2026-03-10",
        rows={
            "signins": [
                _user_signin("u1", "2026-03-10T08:00:00Z", "198.51.100.7", 3320, "DE"),
                _user_signin(
                    "u2", "2026-03-10T10:05:00Z", "203.0.113.9", 14061, "SG", user_agent=FIREFOX
                ),
            ],
            "activity": [
                _call(
                    "a1",
                    "2026-03-10T08:10:00Z",
                    "198.51.100.7",
                    None,
                    user_id="user-ann",
                    service_principal_id=None,
                    token_type="delegated",
                    user_agent=EDGE,
                    session_id=SESSION,
                ),
            ],
        },
        check=lambda fs: _one(fs, "high", {"a1", "u2"}, SESSION, "AS14061", "linux"),
    ),
    Case(
        name="benign: a traveller's laptop in another country hours later (one client), and "
        "their phone's own session",
        fires=False,
        day="2026-03-10",
        rows={
            "signins": [
                _user_signin("u1", "2026-03-10T06:00:00Z", "198.51.100.7", 3320, "DE"),
                _user_signin("u2", "2026-03-10T16:00:00Z", "203.0.113.9", 2856, "GB"),
                _user_signin(
                    "u3",
                    "2026-03-10T16:30:00Z",
                    "192.0.2.80",
                    12576,
                    "GB",
                    user_agent=PHONE,
                    session_id="6b2f8e1d-4e3c-4d9f-a071-2c3d4e5f6071",
                ),
            ],
        },
    ),
    Case(
        name="a session used hours after the person's sessions were revoked",
        fires=True,
        day="2026-03-10",
        rows={
            "signins": [
                _user_signin("u1", "2026-03-10T08:00:00Z", "198.51.100.7", 3320, "DE"),
                _user_signin("u2", "2026-03-10T13:00:00Z", "198.51.100.7", 3320, "DE"),
            ],
            "audits": [
                audit_row(
                    "r1",
                    "2026-03-10T10:00:00Z",
                    "Update StsRefreshTokenValidFrom Timestamp",
                    [audit_target("user-ann", "User", "ann@contoso.com")],
                    by="soc@contoso.com",
                    category="UserManagement",
                )
            ],
        },
        check=lambda fs: (
            len(fs) == 1
            and fs[0].severity == "critical"
            and set(fs[0].evidence_event_ids) == {"r1", "u2"}
            and "revoked" in fs[0].explanation
        ),
    ),
    Case(
        name="benign: a dual-stack agent and person, and one provider's many addresses",
        fires=False,
        day="2026-03-10",
        rows={
            "signins": [
                _agent_signin("s1", "2026-03-10T09:00:00Z", "20.40.1.10", 8075),
                _agent_signin("s2", "2026-03-10T09:30:00Z", "2001:db8:40::10", 8075, "T2" * 11),
                *_provider_signins(),
                # a person on one laptop: IPv4 and IPv6 of one provider, then the office's
                # network an hour later, and a phone between Wi-Fi and mobile data
                _user_signin("u1", "2026-03-10T08:00:00Z", "198.51.100.7", 3320, "DE"),
                _user_signin("u2", "2026-03-10T08:05:00Z", "2001:db8:3320::7", 3320, "DE"),
                _user_signin("u3", "2026-03-10T08:50:00Z", "192.0.2.44", 680, "DE"),
                _user_signin("u4", "2026-03-10T08:55:00Z", "192.0.2.45", 680, "DE"),
                _user_signin("u5", "2026-03-10T09:00:00Z", "100.64.7.7", 6805, "DE"),
                _user_signin("u6", "2026-03-10T09:03:00Z", "192.0.2.46", 680, "DE"),
            ],
            "activity": [
                _call("a1", "2026-03-10T09:01:00Z", "20.40.1.10"),
                _call("a2", "2026-03-10T09:05:00Z", "20.40.9.200"),  # same /16, no sign-in
                _call("a3", "2026-03-10T09:10:00Z", "52.112.76.5"),  # Microsoft's AS8068
                _call("a4", "2026-03-10T09:12:00Z", "::ffff:20.40.1.10"),  # IPv4-mapped
                _call("a5", "2026-03-10T09:31:00Z", "2001:db8:40::99", "T2" * 11),
            ],
        },
    ),
    Case(
        name="calls with a missing or malformed token id are kept and link to nothing",
        fires=False,
        day="2026-03-10",
        rows={
            "signins": [_agent_signin("s1", "2026-03-10T09:00:00Z", "20.40.1.10", 8075)],
            "activity": [
                _call("a1", "2026-03-10T09:01:00Z", "20.40.1.10"),
                _call("a2", "2026-03-10T09:20:00Z", "203.0.113.66", token=None),
                _call("a3", "2026-03-10T09:21:00Z", "203.0.113.66", token="  "),
                _call("a4", "2026-03-10T09:22:00Z", "203.0.113.66", token="not a token; drop"),
            ],
        },
    ),
]


class TokenReplay(SqlRule):
    id = "AA-S05"
    family = "signin_anomaly"
    severity = "high"
    title = "Token or session replayed from another place"
    attacks = ("T1550.001", "T1539", "T1528")
    runbook = (
        "Revoke the identity's sessions (and, for an agent or service principal, rotate its "
        "credentials), then review every call the token or session made from the other place."
    )
    #: token_hours: how long a token may live (28 with continuous access evaluation);
    #: window_minutes: two uses of one session this close from two owners are concurrent;
    #: session_hours: a person's session used this far apart from another owner, country and
    #: client at once has moved to another machine;
    #: grace_minutes: how long a token issued before a revocation may still work (60-90 min)
    defaults: ClassVar[dict] = {
        "token_hours": 28,
        "window_minutes": 60,
        "session_hours": 24,
        "grace_minutes": 90,
        "owner_of": [f"{asn}|{owner}" for owner, asns in PROVIDER_ASNS.items() for asn in asns],
        "revoke_pattern": REVOKE_ACTIVITIES,
        "removal_pattern": REMOVAL_ACTIVITIES,
        "max_keys_named": 3,
        "max_evidence": 200,
    }
    cases: ClassVar[list[Case]] = CASES

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        hours = int(p["token_hours"])
        issued = ctx.day_start - timedelta(hours=hours)
        return {
            "issued_start": issued,
            "issued_start_day": issued.date(),
            "since_day": ctx.day - timedelta(days=ctx.lookback_days),
            "token_hours": hours,
            "window_minutes": int(p["window_minutes"]),
            "session_hours": int(p["session_hours"]),
            "grace_minutes": int(p["grace_minutes"]),
            "owner_of": [str(pair) for pair in p["owner_of"]],
            "revoke_pattern": str(p["revoke_pattern"]),
            "removal_pattern": str(p["removal_pattern"]),
        }

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        q = {**p, **self.bind(ctx, p)}
        by_identity: dict[str, list[dict]] = {}
        for r in self.query(ctx, **q):
            by_identity.setdefault(str(r["identity_id"]), []).append(r)
        return [self._finding(ctx, keys, q) for keys in by_identity.values()]

    def _finding(self, ctx: DetectContext, keys: list[dict], q: dict) -> Finding:
        first = keys[0]
        reasons = {r for k in keys for r in k["reasons"]}
        if "revoked" in reasons:
            severity = "critical"
        elif reasons & {"owners", "outside"}:
            severity = "high"
        else:
            severity = "medium"
        named = int(q["max_keys_named"])
        parts = [_describe(k) for k in keys[:named]]
        more = f"; and {plural(len(keys) - named, 'more key')}" if len(keys) > named else ""
        explanation = f"{label(first)}: " + "; ".join(parts) + more + "."
        evidence = list(dict.fromkeys(e for k in keys for e in k["flagged_ids"]))
        return self.make(
            ctx,
            first,
            explanation,
            [
                fact("keys", "tokens and sessions used from two places or clients", 1, len(keys)),
                fact(
                    "sign_in_networks",
                    "networks its sign-ins come from",
                    first.get("home_owners") or first.get("home_nets") or None,
                    first.get("outside_places"),
                ),
            ],
            severity=severity,
            window_start=min(k["window_start"] for k in keys),
            window_end=max(k["window_end"] for k in keys),
            evidence=evidence[: int(q["max_evidence"])],
            details={
                "reasons": ", ".join(sorted(reasons)),
                "keys": ", ".join(f"{k['key_type']} {k['key']}" for k in keys),
                "places": first["places"],
                "clients": first["clients"],
            },
        )


def _describe(k: dict) -> str:
    """One key's story: 'token X (issued by sign-in s1) was used from ... by ...'."""
    issued = f" (issued by sign-in {k['issuing_id']})" if k.get("issuing_id") else ""
    said = []
    if "outside" in k["reasons"]:
        home = ", ".join([*(k.get("home_owners") or []), *(k.get("home_nets") or [])]) or "none"
        said.append(
            f"used from {k['outside_places']}, outside the networks its sign-ins come from ({home})"
        )
    if "owners" in k["reasons"]:
        said.append(f"used from networks of different owners ({k['places']})")
    if "clients" in k["reasons"]:
        said.append(f"used by different clients ({k['clients']})")
    if "revoked" in k["reasons"]:
        said.append(f"used after {k['cut_by']} (sessions revoked or a credential removed)")
    where = f"addresses {k['addresses']}" if k.get("addresses") else "no address"
    if k.get("countries"):
        where += f", countries {k['countries']}"
    if k.get("clients") and "clients" not in k["reasons"]:
        where += f", clients {k['clients']}"
    counted = [(k["n_calls"], "Graph call"), (k["n_signins"], "sign-in")]
    uses = " and ".join(plural(n, word) for n, word in counted if n)
    return f"{k['key_type']} {k['key']}{issued} " + " and ".join(said) + f" ({uses}; {where})"
