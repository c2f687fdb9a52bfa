"""AA-G06: an access package granted to an agent outside its governance.

Entitlement Management hands an agent groups, app roles (API permissions) or directory roles
through an access package. The grant is a finding when the package is not among the agent's
declared ``access_packages`` (only when it declares any), when nobody accountable approved it
(auto-approved, no approver at all, or an approver who is neither its sponsor nor an owner), or
when it grants a directory role or API permission and never expires. High when the package is
privileged, else medium. The assignments come from the ``access_assignments`` view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from detectors.cases import audit_row
from detectors.finding import Finding
from detectors.rule import Case, DetectContext
from detectors.sql_rule import AGENT_KINDS, SqlRule, fact, label, owner_pairs, plural, with_registry

TOML = """
[[agents]]
id = "agent-fin"
name = "Finance agent"
kind = "agent_identity"
sponsor = "cfo@contoso.com"
owner = "owner@contoso.com"
access_packages = ["Finance reporting", "Agents - *"]
"""

_AGENT = {
    "id": "agent-fin",
    "type": "ServicePrincipal",
    "display_name": "Finance agent",
    "agent_type": "agenticAppInstance",
}


def _prop(name: str, value: str) -> dict:
    return {"name": name, "old_value": None, "new_value": value}


def _em(event_id: str, time: str, activity: str, targets: list[dict], by: str | None) -> dict:
    """A lake audits row of the EntitlementManagement category; ``by`` a person, else the
    Entitlement Management service."""
    return audit_row(
        event_id,
        time,
        activity,
        targets,
        by=by or "Entitlement Management",
        by_kind="human" if by else "service_principal",
        category="EntitlementManagement",
        initiator_id=f"id-{by}" if by else "em-service",
    )


def _grant(
    prefix: str,
    package: str = "Finance reporting",
    approver: str | None = "owner@contoso.com",
    expires: str | None = "2026-06-10T10:00:00Z",
    resource: tuple[str, str] = ("Finance readers", "AadGroup"),
    agent: dict | None = None,
) -> list[dict]:
    """Request on behalf (by the sponsor) → approval (or auto approval) → fulfil with resource."""
    who = agent or _AGENT
    pkg = {"id": f"ap-{package}", "type": "AccessPackage", "display_name": package}
    req = {"id": f"{prefix}-req", "type": "AccessPackageAssignmentRequest"}
    pol = {"id": "pol-1", "type": "AccessPackageAssignmentPolicy", "display_name": "Sponsors ask"}
    asg = {
        "id": f"{prefix}-asg",
        "type": "AccessPackageAssignment",
        "modified_properties": [_prop("ExpirationDateTime", expires)] if expires else [],
    }
    role = {
        "id": f"role-{resource[0]}",
        "type": "AccessPackageResourceRole",
        "display_name": resource[0],
        "modified_properties": [_prop("OriginSystem", resource[1])],
    }
    approval = (
        _em(
            f"{prefix}2",
            "2026-03-10T09:30:00Z",
            "Approve access package assignment request",
            [pkg, req, who],
            approver,
        )
        if approver
        else _em(
            f"{prefix}2",
            "2026-03-10T09:30:00Z",
            "Auto approve access package assignment request",
            [pkg, req, who],
            None,
        )
    )
    return [
        _em(
            f"{prefix}1",
            "2026-03-10T09:00:00Z",
            "User requests an access package assignment on behalf of service principal",
            [pkg, pol, req, who],
            "cfo@contoso.com",
        ),
        approval,
        _em(
            f"{prefix}3",
            "2026-03-10T09:31:00Z",
            "Fulfill access package assignment request",
            [pkg, req, asg, who],
            None,
        ),
        _em(
            f"{prefix}4",
            "2026-03-10T09:31:05Z",
            "Fulfill access package resource assignment",
            [pkg, asg, role, who],
            None,
        ),
    ]


def _direct(prefix: str, resource: tuple[str, str], admin: str = "it-admin@contoso.com") -> list:
    """An administrator assigns the package directly (no request, no approval), then fulfil."""
    events = _grant(prefix, approver=None, resource=resource)
    events[0] = {
        **events[0],
        "activity": "Administrator directly assigns user to access package",
        "initiator_id": f"id-{admin}",
        "initiator_name": admin,
    }
    return [events[0], *events[2:]]  # no approval event


def _fires_with(*words: str, severity: str = "medium"):
    def check(fs: list[Finding]) -> bool:
        return (
            len(fs) == 1
            and fs[0].identity.id == "agent-fin"
            and fs[0].severity == severity
            and all(w in fs[0].explanation for w in words)
        )

    return check


class AccessPackageGrant(SqlRule):
    id = "AA-G06"
    family = "credential_or_privilege_change"
    severity = "medium"
    title = "Access package granted to an agent outside its declared scope or approval"
    attacks = ("T1098", "T1078.004")
    runbook = (
        "Ask the agent's sponsor whether it needs the package; remove the assignment (Identity "
        "Governance > Access packages > Assignments) when not, add the package to its declared "
        "access_packages when it does, and give privileged packages an approver and an expiry."
    )
    defaults: ClassVar[dict] = {"max_evidence": 200}

    cases: ClassVar[list[Case]] = [
        Case(
            name="an admin directly assigns a plain declared package: a decision of its own",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _direct("d", ("Finance readers", "AadGroup"))},
        ),
        Case(
            name="an administrator directly assigns a directory role package: sponsor not asked",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _direct("dr", ("User Administrator", "DirectoryRole"))},
            check=_fires_with("it-admin@contoso.com", "neither its sponsor nor", severity="high"),
        ),
        Case(
            name="sponsor requests, owner approves, it expires: governed",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _grant("ok")},
        ),
        Case(
            name="a package the agent does not declare",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _grant("out", package="HR records")},
            check=_fires_with("HR records", "outside its declared access_packages"),
        ),
        Case(
            name="a package matching a declared glob",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _grant("glob", package="agents - reporting")},
        ),
        Case(
            name="declaring no access_packages: any package is in scope",
            fires=False,
            day="2026-03-10",
            config=TOML.replace('access_packages = ["Finance reporting", "Agents - *"]\n', ""),
            rows={"audits": _grant("undeclared", package="HR records")},
        ),
        Case(
            name="auto-approved",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    _em(
                        "pol",
                        "2026-03-01T08:00:00Z",
                        "Update access package assignment policy",
                        [
                            {
                                "id": "pol-1",
                                "type": "AccessPackageAssignmentPolicy",
                                "modified_properties": [_prop("IsApprovalRequiredForAdd", "False")],
                            }
                        ],
                        "admin@contoso.com",
                    ),
                    *_grant("auto", approver=None),
                ]
            },
            check=_fires_with(
                "auto-approved",
                "Finance reporting",
                "requested by cfo@",
                "its policy 'Sponsors ask' requires no approval",
            ),
        ),
        Case(
            name="approved by someone who is neither sponsor nor owner",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _grant("stranger", approver="mallory@contoso.com")},
            check=_fires_with("approved by mallory@contoso.com", "neither its sponsor nor"),
        ),
        Case(
            name="auto-approved privileged package without expiry: high",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": _grant(
                    "priv",
                    approver=None,
                    expires=None,
                    resource=("Mail.Send", "AadApplication"),
                )
            },
            check=_fires_with("never expires", "app role: Mail.Send", severity="high"),
        ),
        Case(
            name="a directory role with no expiry, approved by the owner",
            fires=True,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": _grant("role", expires=None, resource=("Global Reader", "DirectoryRole"))
            },
            check=_fires_with("directory role: Global Reader", "never expires", severity="high"),
        ),
        Case(
            name="a directory role that expires, approved by the owner",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _grant("role-exp", resource=("Global Reader", "DirectoryRole"))},
        ),
        Case(
            name="a group without expiry is not privileged",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={"audits": _grant("grp", expires=None)},
        ),
        Case(
            name="an unregistered agent identity: no sponsor or owner to approve",
            fires=True,
            day="2026-03-10",
            config="",
            rows={"audits": _grant("shadow")},
            check=_fires_with("owner@contoso.com is neither", "it is not registered"),
        ),
        Case(
            name="a person's auto-approved package is not an agent's",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": _grant(
                    "human",
                    approver=None,
                    agent={"id": "user-1", "type": "User", "display_name": "Ann"},
                )
            },
        ),
        Case(
            name="a record missing its target is kept and does not crash the rule",
            fires=False,
            day="2026-03-10",
            config=TOML,
            rows={
                "audits": [
                    {
                        **_em(
                            "nt",
                            "2026-03-10T09:31:00Z",
                            "Fulfill access package assignment request",
                            [],
                            None,
                        ),
                        "targets": None,
                        "target_ids": None,
                    },
                    *_grant("ok2"),
                ]
            },
        ),
    ]

    def bind(self, ctx: DetectContext, p: dict) -> dict:
        return {
            "agent_kinds": AGENT_KINDS,
            "owner_pairs": owner_pairs(ctx),
            "max_evidence": int(p["max_evidence"]),
        }

    def finding(self, ctx: DetectContext, raw: dict, q: dict) -> Finding:
        r = with_registry(ctx, raw, raw["target_type"], raw["target_agent_type"])
        if r.get("identity_kind") == "unknown":
            r["identity_kind"] = raw["assigned_kind"]
        parts = [_describe(a, raw["declared"] or [], raw["registered"]) for a in raw["assignments"]]
        explanation = (
            f"{plural(raw['n_assignments'], 'access package assignment')} to "
            f"{r['identity_kind'].replace('_', ' ')} {label(r)}: " + " ".join(parts)
        )
        packages = ", ".join(a["package"] for a in raw["assignments"])
        return self.make(
            ctx,
            r,
            explanation,
            [
                fact(
                    "declared_access_packages",
                    "access packages the registry declares for it",
                    raw["declared"] or "none declared",
                    packages,
                ),
                fact(
                    "approved_by_sponsor_or_owner",
                    "every grant approved by its sponsor or an owner",
                    True,
                    not raw["any_unapproved"],
                ),
                fact(
                    "privileged",
                    "a package grants a directory role or API permission",
                    False,
                    raw["any_privileged"],
                ),
                fact(
                    "privileged_without_expiry",
                    "a privileged package never expires",
                    False,
                    raw["any_no_expiry"],
                ),
            ],
            severity="high" if raw["any_privileged"] else "medium",
            details={
                "access_packages": packages,
                "outside_declared": raw["any_outside"],
                "unapproved": raw["any_unapproved"],
                "privileged_without_expiry": raw["any_no_expiry"],
            },
        )


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else str(value)


def _describe(a: dict[str, Any], declared: list[str], registered: bool) -> str:
    """One assignment in words: package, path, requester, approvers, expiry, resources, and
    what it broke."""
    path = a["path"].replace("_", " ")
    facts = [f"via {path}"]
    if a["requested_by"]:
        facts.append(f"requested by {a['requested_by']}")
    if a["auto_approved"] or not a["approvers"]:
        facts.append("auto-approved" if a["auto_approved"] else "with no recorded approver")
        if a["policy_requires_approval"] is False:
            facts.append(f"its policy '{a['policy']}' requires no approval")
    else:
        facts.append("approved by " + ", ".join(a["approvers"]))
    facts.append(f"expires {_when(a['expires_at'])}" if a["expires_at"] else "never expires")
    facts.append("grants " + (", ".join(a["resources"]) or "no resources the logs name"))
    broke = []
    if a["outside"]:
        broke.append("outside its declared access_packages (" + ", ".join(declared) + ")")
    if a["no_human_approval"]:
        broke.append("no sponsor or owner approved it")
    elif a["strangers"]:
        broke.append(
            ", ".join(a["strangers"])
            + " is neither its sponsor nor an owner"
            + ("" if registered else " (the registry names neither: it is not registered)")
        )
    if a["no_expiry"]:
        broke.append("it grants a directory role or API permission without an expiry")
    return f"'{a['package']}' ({'; '.join(facts)}): " + "; ".join(broke) + "."
