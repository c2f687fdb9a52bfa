"""AA-G01: a credential added to an agent, its blueprint, a service principal or a user."""

from __future__ import annotations

from typing import ClassVar

from detectors.cases import audit_row, audit_target
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import AGENT_KINDS, SqlRule, fact, label, owner_pairs, plural, with_registry

#: audit activity names that add a credential (regex over the lower-cased activity)
CREDENTIAL_ACTIVITIES = (
    r"service principal credentials|certificates and secrets management|application password"
    r"|federated identity credential|key ?credential|password ?credential|add .*secret"
)

#: user agents of scripted clients (lower case): PowerShell, the Azure CLI, SDKs, HTTP libraries
SCRIPTED_CLIENTS = (
    r"powershell|azurecli|azure-cli|python|curl/|wget/|go-http-client|okhttp|postman"
    r"|node-fetch|axios|java/|libwww|httpie|msgraph-sdk|aadinternals|roadtools"
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
    key = audit_target(target, name="Finance agent", props=[("KeyDescription", "[]", "[key]")])
    return audit_row(event_id, time, activity, [key], by=initiator, initiator_id=f"id-{initiator}")


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


def _as_its_principal(row: dict) -> tuple[dict, str | None]:
    """A credential on an app registration is a credential of its service principal: the row
    re-keyed to the principal when app_links ties the two by app id, and the registration's id."""
    if row["target_type"] != "application" or not row.get("linked_sp_id"):
        return row, None
    keyed = {**row, "identity_id": row["linked_sp_id"], "target_type": "serviceprincipal"}
    return keyed, str(row["identity_id"])


class CredentialAdded(SqlRule):
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
        "scripted_pattern": SCRIPTED_CLIENTS,
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
            name="a person keys an unregistered app registration from PowerShell: high at once",
            fires=True,
            day="2026-03-10",
            rows={
                "audits": [
                    {
                        **_audit(
                            "g5",
                            "2026-03-10T09:14:00Z",
                            "Update application – Certificates and secrets management ",
                            "eve@contoso.com",
                            "app-obj-1",
                        ),
                        "targets": [
                            {
                                "id": "app-obj-1",
                                "type": "Application",
                                "display_name": "Invoice helper",
                                "modified_properties": [
                                    {"name": "KeyDescription", "new_value": "[k]"}
                                ],
                            }
                        ],
                        "user_agent": "Mozilla/5.0 (Windows NT 10.0) WindowsPowerShell/5.1.22621",
                        "additional_details": [("AppId", "app-1")],
                    }
                ],
                # the app's service principal, known from its own sign-in
                "signins": [
                    {
                        **_signin("s-sp", "2026-03-09T08:00:00Z", "10.0.0.1", 8075, "US"),
                        "service_principal_id": "sp-obj-1",
                        "app_id": "app-1",
                    }
                ],
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].severity == "high"
                and fs[0].identity.id == "sp-obj-1"
                and fs[0].identity.app_id == "app-1"
                and "app-obj-1" in fs[0].explanation
                and "scripted client" in fs[0].explanation
            ),
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

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "activity_pattern": str(p["activity_pattern"]),
            "scripted_pattern": str(p["scripted_pattern"]),
            "owner_pairs": owner_pairs(ctx),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, raw: dict, q: dict) -> Finding:
        raw, registration = _as_its_principal(raw)
        r = with_registry(ctx, raw, raw["target_type"], raw["target_agent_type"])
        r["app_id"] = r.get("app_id") or raw["linked_app_id"]
        scripted = r["any_scripted"] and not r["all_by_owner"]
        is_user = r["identity_kind"] in ("human", "guest")
        registered = ctx.config.agent(str(r["identity_id"])) is not None
        agent = r["identity_kind"] in AGENT_KINDS or registered
        if r["n_new_place"]:
            severity = "critical"  # added, then used from a place the identity never used
        elif is_user:
            severity = "medium"  # an app password bypasses MFA for that person
        elif scripted:
            severity = "high"  # a person keyed a workload identity from a script
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
        if scripted:
            who += f" from a scripted client ({r['scripted_clients']})"
        explanation = (
            f"{plural(r['n_changes'], 'credential change')} ({r['activities'].strip()}) "
            f"gave {r['identity_kind'].replace('_', ' ')} {label(r)} a new credential"
            + (f" (on its app registration {registration})" if registration else "")
            + f", made by {who}{used}."
        )
        return self.make(
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
                    "scripted_client",
                    "change made by a person from a scripted client",
                    False,
                    scripted,
                ),
                fact(
                    "new_place_signins",
                    "sign-ins after the change from an IP and network never seen for this identity",
                    0,
                    r["n_new_place"],
                ),
            ],
            severity=severity,
            details={
                "activities": r["activities"],
                "initiators": r["initiators"],
                "new_place_signins": r["n_new_place"],
                "scripted_clients": r["scripted_clients"] if scripted else None,
                "app_registration_id": registration,
            },
        )
