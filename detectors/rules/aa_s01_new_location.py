"""AA-S01: a sign-in from a country, network (ASN) or IP new to the identity."""

from __future__ import annotations

import json
from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import AGENT_KINDS, SqlRule, agent_keys, agent_registry, fact, label, plural


def _signin(event_id: str, day: str, ip: str, asn: int, country: str, mfa: bool = False) -> dict:
    requirement = "multiFactorAuthentication" if mfa else "singleFactorAuthentication"
    return {
        "event_id": event_id,
        "event_time": f"{day}T09:00:00Z",
        "log_type": "interactive",
        "user_id": "user-ann",
        "user_principal_name": "ann@contoso.com",
        "app_id": "app-outlook",
        "ip_address": ip,
        "autonomous_system_number": asn,
        "country": country,
        "succeeded": True,
        "raw": json.dumps({"properties": {"authenticationRequirement": requirement}}),
    }


#: nine days of three MFA sign-ins from Germany: enough history to leave the learning period
HISTORY = [
    {
        **_signin(f"h{d}-{n}", f"2026-03-0{d}", "198.51.100.7", 3320, "DE", mfa=True),
        "event_time": f"2026-03-0{d}T0{7 + n}:00:00Z",
    }
    for d in range(1, 10)
    for n in range(3)
]


class NewSigninLocation(SqlRule):
    id = "AA-S01"
    family = "signin_anomaly"
    severity = "medium"
    title = "Sign-in from a country or network new to the identity"
    attacks = ("T1078",)
    runbook = (
        "Ask the identity's owner (or the agent's sponsor) whether the location is expected; if "
        "not, revoke its sessions and credentials and check what it did after signing in."
    )
    behavioural = True
    defaults: ClassVar[dict] = {"max_evidence": 100}

    cases: ClassVar[list[Case]] = [
        Case(
            name="sign-in without MFA from a country and network never seen",
            fires=True,
            day="2026-03-10",
            rows={"signins": [*HISTORY, _signin("n1", "2026-03-10", "203.0.113.5", 9009, "KP")]},
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "user-ann"
                and fs[0].evidence_event_ids == ("n1",)
                and fs[0].severity in ("medium", "high")
            ),
        ),
        Case(
            name="a traveller signs in with MFA from Paris, where colleagues sign in: low, "
            "not an incident",
            fires=True,
            day="2026-03-10",
            rows={
                "signins": [
                    *HISTORY,
                    # a colleague who works from France
                    *[
                        {
                            **_signin(f"b{d}", f"2026-03-0{d}", "192.0.2.10", 3215, "FR", True),
                            "user_id": "user-bob",
                            "user_principal_name": "bob@contoso.com",
                        }
                        for d in range(1, 10)
                    ],
                    _signin("t1", "2026-03-10", "192.0.2.77", 3215, "FR", mfa=True),
                ]
            },
            check=lambda fs: (
                len(fs) == 1 and fs[0].severity == "low" and "MFA" in fs[0].explanation
            ),
        ),
        Case(
            name="sign-in from the usual country and network",
            fires=False,
            day="2026-03-10",
            rows={"signins": [*HISTORY, _signin("n2", "2026-03-10", "198.51.100.8", 3320, "DE")]},
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        declared, declaring = [], []
        for agent in agent_registry(ctx):
            countries = [c.lower() for c in getattr(agent, "countries", None) or []]
            for key in agent_keys(agent) if countries else []:
                declaring.append(key)
                declared += [f"{key}|{c}" for c in countries]
        return {
            "declared": declared,
            "declaring": declaring,
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, r: dict, q: dict) -> Finding:
        agent = r["identity_kind"] in AGENT_KINDS or r["kind_source"] == "registry"
        plausible = (r["min_tenant_identities"] or 0) > 0
        if r["n_outside_declared"]:
            severity = "high"
        elif r["n_new_country"]:
            if r["any_mfa"] and plausible and not agent:
                severity = "low"  # a person travelling, with MFA, to a place others use
            else:
                severity = "high" if agent else "medium"
        else:
            severity = "medium" if agent else "low"
        parts = []
        if r["new_countries"]:
            parts.append(f"country {r['new_countries']}")
        if r["new_asns"]:
            parts.append(f"network AS{r['new_asns']}")
        if r["outside_countries"]:
            parts.append(f"outside its declared countries ({r['outside_countries']})")
        mfa = " (with MFA)" if r["any_mfa"] else " without MFA" if not agent else ""
        explanation = (
            f"{label(r)} signed in {plural(r['n_signins'], 'time')}{mfa} from "
            f"{' and '.join(parts)}, new to it (usual countries: "
            f"{r['usual_countries'] or 'none recorded'})."
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "usual_countries",
                    "countries in its history",
                    r["usual_countries"],
                    r["new_countries"],
                ),
                fact(
                    "new_networks",
                    "sign-ins from networks (ASN) never seen",
                    0,
                    r["n_new_asn"],
                ),
                fact("new_ips", "sign-ins from IPs never seen", 0, r["n_new_ip"]),
                fact(
                    "tenant_identities_in_country",
                    "identities of the tenant seen in the new country",
                    None,
                    r["min_tenant_identities"],
                ),
            ],
            severity=severity,
            details={
                "new_countries": r["new_countries"],
                "new_asns": r["new_asns"],
                "mfa": bool(r["any_mfa"]),
            },
        )
