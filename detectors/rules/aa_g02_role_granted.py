"""AA-G02: a role, app role or consent granted to an agent or service principal."""

from __future__ import annotations

import re
from typing import ClassVar

from detectors.cases import audit_row, audit_target
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import SqlRule, fact, label, owner_pairs, plural, with_registry

GRANT_ACTIVITIES = (
    r"add app role assignment to service principal|consent to application"
    r"|add delegated permission grant|add (eligible )?member to role|add oauth2permissiongrant"
    r"|add app role assignment grant"
)
#: roles and permissions that reach the whole tenant
PRIVILEGED = (
    r"global administrator|privileged role administrator|privileged authentication administrator"
    r"|application administrator|cloud application administrator|security administrator"
    r"|rolemanagement\.readwrite|application\.readwrite\.all|approleassignment\.readwrite\.all"
    r"|directory\.readwrite\.all|user\.readwrite\.all|mail\.readwrite|mail\.send"
    r"|files\.readwrite\.all|sites\.fullcontrol\.all|sites\.readwrite\.all|full_access_as_app"
    r"|group\.readwrite\.all|groupmember\.readwrite\.all"
)
#: delegated or application scopes that reach people's data: mail, files, sites, the directory
DATA_SCOPES = (
    r"\b(mail|files|sites|directory|notes|chat|calendars|contacts|mailboxsettings)\.[a-z]"
    r"|\.readwrite\.all\b|full_access_as_app|rolemanagement\."
)

#: the OpenID Connect scopes every app that signs a person in asks for: they reach no data
SIGN_IN_SCOPES = frozenset({"openid", "profile", "email", "offline_access", "user.read"})


def only_sign_in(granted: str | None) -> bool:
    """True when the grant names permissions and all are sign-in scopes (a routine consent)."""
    names = {g.lower() for g in re.split(r"[\s,]+", granted or "") if g}
    return bool(names) and names <= SIGN_IN_SCOPES


TOML = """
[[agents]]
id = "sp-helpdesk"
name = "Helpdesk agent"
kind = "agent_identity"
sponsor = "it-lead@contoso.com"
owner = "owner@contoso.com"
"""


def _grant(event_id: str, initiator: str, role: str, activity: str, target_type: str) -> dict:
    """An app role assignment as Entra logs it: on the resource API (Microsoft Graph), naming
    the client that received the role in its ServicePrincipal.* properties."""
    graph = audit_target(
        "sp-graph",
        target_type,
        "Microsoft Graph",
        props=[
            ("AppRole.Value", f'"{role}"'),
            ("ServicePrincipal.ObjectID", "sp-helpdesk"),
            ("ServicePrincipal.DisplayName", "Helpdesk agent"),
        ],
    )
    return audit_row(event_id, "2026-03-10T10:00:00Z", activity, [graph], by=initiator)


class RoleGranted(SqlRule):
    id = "AA-G02"
    family = "credential_or_privilege_change"
    severity = "high"
    title = "Role, app role or consent granted to an agent or service principal"
    attacks = ("T1098.003", "T1098")
    runbook = (
        "Check the grant against the agent's purpose and registry scope with its sponsor; remove "
        "roles or consented permissions it does not need and review what it did with them."
    )
    defaults: ClassVar[dict] = {
        "activity_pattern": GRANT_ACTIVITIES,
        "privileged_pattern": PRIVILEGED,
        "data_pattern": DATA_SCOPES,
        "max_evidence": 200,
    }

    cases: ClassVar[list[Case]] = [
        Case(
            name="someone grants Directory.ReadWrite.All to the helpdesk agent",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    _grant(
                        "r1",
                        "mallory@contoso.com",
                        "Directory.ReadWrite.All",
                        "Add app role assignment to service principal",
                        "ServicePrincipal",
                    )
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "sp-helpdesk"
                and fs[0].severity == "critical"
                and "Directory.ReadWrite.All" in fs[0].explanation
            ),
        ),
        Case(
            name="the owner grants a narrow permission during onboarding: low",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    _grant(
                        "r2",
                        "owner@contoso.com",
                        "User.Read.All",
                        "Add app role assignment to service principal",
                        "ServicePrincipal",
                    )
                ]
            },
            check=lambda fs: len(fs) == 1 and fs[0].severity == "low",
        ),
        Case(
            name="a delegated Mail.Read grant is logged on Graph: the client it went to is named",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    {
                        **_grant("d1", "eve@contoso.com", "", "Add delegated permission grant", ""),
                        "correlation_id": "corr-7",
                        "targets": [
                            {
                                "id": "sp-graph",
                                "type": "ServicePrincipal",
                                "display_name": "Microsoft Graph",
                                "modified_properties": [
                                    {
                                        "name": "DelegatedPermissionGrant.Scope",
                                        "new_value": " Mail.Read User.Read",
                                    },
                                ],
                            }
                        ],
                        "target_ids": ["sp-graph"],
                    },
                    {
                        **_grant("d2", "eve@contoso.com", "", "Consent to application", ""),
                        "event_time": "2026-03-10T10:00:01Z",
                        "correlation_id": "corr-7",
                        "targets": [
                            {
                                "id": "sp-helpdesk",
                                "type": "ServicePrincipal",
                                "display_name": "Helpdesk agent",
                                "modified_properties": [
                                    {
                                        "name": "ConsentAction.Permissions",
                                        "new_value": "[] => [[ClientId: sp-helpdesk, "
                                        "Scope:  Mail.Read User.Read, ]]; ",
                                    },
                                ],
                            }
                        ],
                        "target_ids": ["sp-helpdesk"],
                    },
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].identity.id == "sp-helpdesk"
                and fs[0].severity == "high"
                and "Mail.Read" in fs[0].explanation
                and "on Microsoft Graph" in fs[0].explanation
                and fs[0].evidence_event_ids == ("d1", "d2")
            ),
        ),
        Case(
            name="an administrator consents an app to sign-in scopes only: low, not high",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    {
                        **_grant("c1", "admin@contoso.com", "", "Consent to application", ""),
                        "targets": [
                            {
                                "id": "sp-new-app",
                                "type": "ServicePrincipal",
                                "display_name": "Travel booking blueprint",
                                "modified_properties": [
                                    {
                                        "name": "ConsentAction.Permissions",
                                        "new_value": "[] => [[ClientId: sp-new-app, "
                                        "Scope:  User.Read offline_access openid, ]]; ",
                                    },
                                ],
                            }
                        ],
                        "target_ids": ["sp-new-app"],
                    }
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].severity == "low"
                and "sign-in scopes only" in fs[0].explanation
            ),
        ),
        Case(
            name="its owner gives a new agent its first data permission: provisioning, low",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    {
                        **_grant("p0", "owner@contoso.com", "", "Add service principal", ""),
                        "event_time": "2026-03-10T09:58:00Z",
                        "targets": [
                            {
                                "id": "sp-helpdesk",
                                "type": "ServicePrincipal",
                                "display_name": "Helpdesk agent",
                            }
                        ],
                        "target_ids": ["sp-helpdesk"],
                    },
                    _grant(
                        "p1",
                        "owner@contoso.com",
                        "Files.Read.All",
                        "Add app role assignment to service principal",
                        "ServicePrincipal",
                    ),
                ]
            },
            check=lambda fs: (
                len(fs) == 1
                and fs[0].severity == "low"
                and "as it was created" in fs[0].explanation
            ),
        ),
        Case(
            name="a person added to a role is not an agent grant",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    {
                        **_grant("r3", "x@contoso.com", "Reader", "Add member to role", "User"),
                        "targets": [
                            {"id": "user-1", "type": "User", "display_name": "Ann"},
                            {"id": "role-1", "type": "Role", "display_name": "Reports Reader"},
                        ],
                    }
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "activity_pattern": str(p["activity_pattern"]),
            "privileged_pattern": str(p["privileged_pattern"]),
            "data_pattern": str(p["data_pattern"]),
            "owner_pairs": owner_pairs(ctx),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, raw: dict, q: dict) -> Finding:
        r = with_registry(ctx, raw, raw["target_type"], raw["target_agent_type"])
        r["app_id"] = r.get("app_id") or raw["grantee_app_id"]
        if r["any_privileged"]:
            severity = "high" if r["all_by_owner"] else "critical"
        elif r["any_data"]:
            # an owner giving a new agent its first permissions is provisioning: on record
            provisioned = r["all_by_owner"] and r["all_provisioning"]
            severity = "low" if provisioned else "medium" if r["all_by_owner"] else "high"
        elif only_sign_in(r["granted"]):
            severity = "low"  # User.Read, openid, …: what every sign-in app is consented
        else:
            severity = "low" if r["all_by_owner"] else "high"
        who = "its owner or sponsor" if r["all_by_owner"] else r["initiators"] or "unknown"
        if r["all_by_owner"] and r["all_provisioning"]:
            who += " as it was created"
        granted = r["granted"] or "unnamed permissions"
        on = f" on {r['resources']}" if r["resources"] else ""
        reach = (
            ", including tenant-wide privileges."
            if r["any_privileged"]
            else ", which reach people's data."
            if r["any_data"]
            else " (sign-in scopes only)."
            if only_sign_in(r["granted"])
            else "."
        )
        explanation = (
            f"{plural(r['n_grants'], 'grant')} ({r['activities']}) gave "
            f"{r['identity_kind'].replace('_', ' ')} {label(r)} {granted}{on}, made by {who}"
            + reach
        )
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "granted_by_owner",
                    "grant made by the registered owner or sponsor",
                    True,
                    r["all_by_owner"],
                ),
                fact(
                    "privileged",
                    "grant includes tenant-wide privileges",
                    False,
                    r["any_privileged"],
                ),
                fact(
                    "reaches_data",
                    "grant includes scopes that read or change mail, files, sites or the directory",
                    False,
                    r["any_data"],
                ),
            ],
            severity=severity,
            details={
                "granted": granted,
                "initiators": r["initiators"],
                "resources": r["resources"],
            },
        )
