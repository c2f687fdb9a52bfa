"""AA-G01: a credential added to an agent, its blueprint, a service principal or a user."""

from __future__ import annotations

from typing import ClassVar

from detectors.finding import Finding
from detectors.rule import Case, DetectContext, Rule
from detectors.rules._finding_rows import (
    AGENT_KINDS,
    day_bounds,
    fact,
    label,
    make_finding,
    owner_pairs,
    plural,
    query_rows,
    sql_beside,
    with_registry,
)

SQL = sql_beside(__file__)

#: audit activity names that add a credential (regex over the lower-cased activity)
CREDENTIAL_ACTIVITIES = (
    r"service principal credentials|certificates and secrets management|application password"
    r"|federated identity credential|key ?credential|password ?credential|add .*secret"
)

TOML = """
[[agents]]
id = "sp-finance"
name = "Finance agent"
kind = "service_principal"
sponsor = "cfo@contoso.com"
owner = "owner@contoso.com"
"""


def _audit(event_id: str, time: str, activity: str, initiator: str, target: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "activity": activity,
        "category": "ApplicationManagement",
        "result": "success",
        "initiator_kind": "user",
        "initiator_id": f"id-{initiator}",
        "initiator_name": initiator,
        "targets": [
            {
                "id": target,
                "type": "ServicePrincipal",
                "display_name": "Finance agent",
                "modified_properties": [
                    {"name": "KeyDescription", "old_value": "[]", "new_value": "[key]"}
                ],
            }
        ],
        "target_ids": [target],
    }


def _signin(event_id: str, time: str, ip: str, asn: int, country: str) -> dict:
    return {
        "event_id": event_id,
        "event_time": time,
        "log_type": "service_principal",
        "service_principal_id": "sp-finance",
        "app_id": "app-finance",
        "ip_address": ip,
        "autonomous_system_number": asn,
        "country": country,
        "succeeded": True,
    }


class CredentialAdded(Rule):
    id = "AA-G01"
    family = "credential_or_privilege_change"
    severity = "high"
    title = "Credential added to an agent or service principal"
    attacks = ("T1098.001",)
    runbook = (
        "Ask the initiator and the agent's owner whether the new secret or certificate was "
        "planned; if not, remove it, revoke the identity's tokens and review every sign-in that "
        "used it."
    )
    defaults: ClassVar[dict] = {
        "activity_pattern": CREDENTIAL_ACTIVITIES,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="stranger adds a secret to the finance agent, then it signs in from a new network",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "signins": [
                    _signin("s-old", "2026-03-09T08:00:00Z", "10.0.0.1", 8075, "US"),
                    _signin("s-new", "2026-03-10T11:00:00Z", "203.0.113.9", 64500, "RU"),
                ],
                "audits": [
                    _audit(
                        "g1",
                        "2026-03-10T10:00:00Z",
                        "Add service principal credentials",
                        "mallory@contoso.com",
                        "sp-finance",
                    )
                ],
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "sp-finance"
                and fs[0].severity == "critical"
                and fs[0].evidence_event_ids == ("g1", "s-new")
            ),
        ),
        Case(
            name="owner rotates the secret: reported, but low",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    _audit(
                        "g2",
                        "2026-03-10T10:00:00Z",
                        "Update application – Certificates and secrets management ",
                        "owner@contoso.com",
                        "sp-finance",
                    )
                ],
            },
            check=lambda fs: len(fs) == 1 and fs[0].severity == "low",
        ),
        Case(
            name="removing a credential and updating a user are not credential additions",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    _audit(
                        "g3",
                        "2026-03-10T10:00:00Z",
                        "Remove service principal credentials",
                        "mallory@contoso.com",
                        "sp-finance",
                    ),
                    _audit("g4", "2026-03-10T10:05:00Z", "Update user", "x@contoso.com", "u1"),
                ],
            },
        ),
    ]

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        rows = query_rows(
            ctx,
            SQL,
            {
                **day_bounds(ctx),
                "activity_pattern": str(p["activity_pattern"]),
                "owner_pairs": owner_pairs(ctx),
                "max_evidence": int(p["max_evidence"]),
            },
        )
        findings = []
        for raw in rows:
            r = with_registry(ctx, raw, raw["target_type"], raw["target_agent_type"])
            is_user = r["identity_kind"] in ("human", "guest")
            registered = ctx.config.agent(str(r["identity_id"])) is not None
            agent = r["identity_kind"] in AGENT_KINDS or registered
            if r["n_new_place"]:
                severity = "critical"  # added, then used from a place the identity never used
            elif is_user:
                severity = "medium"  # an app password bypasses MFA for that person
            elif (registered and not r["all_by_owner"]) or r["any_by_itself"]:
                severity = "high"  # someone else (or the agent itself) keyed a declared agent
            elif agent and not registered:
                severity = "medium"  # a shadow agent being given credentials
            else:
                severity = "low"  # rotation by the owner, or an SP whose owner is not declared
            who = "its owner or sponsor" if r["all_by_owner"] else r["initiators"] or "unknown"
            if r["any_by_itself"]:
                who += " (the identity itself)"
            used = (
                f"; it then signed in {plural(r['n_new_place'], 'time')} from a new place "
                f"({r['new_ips']}{', ' + r['new_countries'] if r['new_countries'] else ''})"
                if r["n_new_place"]
                else ""
            )
            explanation = (
                f"{plural(r['n_changes'], 'credential change')} ({r['activities'].strip()}) "
                f"gave {r['identity_kind'].replace('_', ' ')} {label(r)} a new credential, "
                f"made by {who}{used}."
            )
            findings.append(
                make_finding(
                    self,
                    ctx,
                    r,
                    explanation,
                    [
                        fact(
                            "changed_by_owner",
                            "change made by the registered owner or sponsor",
                            True,
                            r["all_by_owner"],
                        ),
                        fact(
                            "new_place_signins",
                            "sign-ins after the change from an IP and "
                            "network never seen for this identity",
                            0,
                            r["n_new_place"],
                        ),
                    ],
                    severity=severity,
                    details={
                        "activities": r["activities"],
                        "initiators": r["initiators"],
                        "new_place_signins": r["n_new_place"],
                    },
                )
            )
        return findings
