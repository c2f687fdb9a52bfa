"""Entitlement Management audit events (category ``EntitlementManagement``, logged by the
``Entitlement Management`` service): an access package assignment from its request to its
fulfilment, every event of one flow sharing a correlationId.

A flow: the request (a sponsor on behalf of the agent, the agent itself, or an administrator
assigning directly), the approval (a stage completed and approved by a person, or the policy's
auto approval; none for a direct assignment), then ``Fulfill access package assignment request``
and one ``Fulfill access package resource assignment`` per resource the package grants.

Each event names its objects in ``targetResources`` by type, as Entra does: the
``AccessPackage``, its ``AccessPackageAssignmentPolicy`` and ``AccessPackageCatalog``, the
``AccessPackageAssignmentRequest``, once fulfilled the ``AccessPackageAssignment`` (with the
schedule: start, expiration type and end), each resource (a ``Group``, a ``DirectoryRole``, an API
permission on the resource's ``ServicePrincipal``, with Graph's ``originSystem`` name), and the
agent the package is for (``ServicePrincipal`` or ``User`` with its ``agentType``). Property
names follow Graph's accessPackageAssignmentRequest / accessPackageAssignment (``requestType``
userAdd / adminAdd, ``state``, ``schedule.expiration``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from pipeline.generate import audits as au
from pipeline.generate.cast import Actor, Tenant
from pipeline.generate.ids import uuid

CATEGORY = "EntitlementManagement"
SERVICE = "Entitlement Management"
MINUTE_US = 60_000_000
DAY_US = 86_400_000_000

REQUEST_ACTIVITY = {
    "self": "User requests access package assignment",
    "sponsor_on_behalf": (
        "User requests an access package assignment on behalf of service principal"
    ),
    "admin_direct": "Administrator directly assigns user to access package",
}
APPROVAL_STAGE = "Approval stage completed for access package assignment request"
APPROVE = "Approve access package assignment request"
AUTO_APPROVE = "Auto approve access package assignment request"
FULFILL = "Fulfill access package assignment request"
FULFILL_RESOURCE = "Fulfill access package resource assignment"

#: Graph accessPackageResource.originSystem of each resource kind
ORIGIN = {"Group": "AadGroup", "DirectoryRole": "DirectoryRole", "AppRole": "AadApplication"}


@dataclass(frozen=True)
class Resource:
    kind: str  # Group | DirectoryRole | AppRole (an API permission)
    id: str  # group id, role template id, or the resource API's service principal id
    name: str  # group / role display name, or the resource API's name
    role: str  # Member, the role name, or the permission value
    role_id: str = ""  # app role id of an API permission
    privileged: bool = False


@dataclass(frozen=True)
class Package:
    key: str
    name: str
    id: str
    catalog: str
    catalog_id: str
    policy: str
    policy_id: str
    resources: tuple[Resource, ...]
    auto_approve: bool = False
    expiry_days: int | None = 90  # None: the policy's assignments never expire

    @property
    def privileged(self) -> bool:
        return any(r.privileged for r in self.resources)


#: Well-known ids: the User Administrator role template and Graph's User.ReadWrite.All app role.
USER_ADMIN_ROLE = ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator")
USER_READWRITE_ALL = ("741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All")


def packages(rng: np.random.Generator) -> dict[str, Package]:
    """The tenant's access packages for agents: one or two per catalog, one privileged and
    auto-approved (the misconfiguration an incident uses)."""
    graph_sp = uuid(rng)

    def group(name: str) -> Resource:
        return Resource("Group", uuid(rng), name, "Member")

    def pkg(key, name, catalog, catalog_id, policy, resources, **kw) -> Package:
        return Package(
            key, name, uuid(rng), catalog, catalog_id, policy, uuid(rng), resources, **kw
        )

    fin, it, res, prod = (uuid(rng) for _ in range(4))
    sponsor_policy = "Agents: sponsor approval, 90 days"
    out = [
        pkg(
            "finance",
            "Finance agents - invoice archive",
            "Finance",
            fin,
            sponsor_policy,
            (group("Finance invoice archive readers"),),
        ),
        pkg(
            "finance_payments",
            "Finance agents - payments approval",
            "Finance",
            fin,
            sponsor_policy,
            (group("Payment run approvers"),),
        ),
        pkg(
            "helpdesk",
            "IT helpdesk - directory lookup",
            "IT",
            it,
            sponsor_policy,
            (group("Helpdesk directory readers"),),
        ),
        pkg(
            "helpdesk_admin",
            "IT helpdesk - directory administration",
            "IT",
            it,
            "Agents: auto-approve",
            (
                Resource("DirectoryRole", *USER_ADMIN_ROLE, "Member", privileged=True),
                Resource(
                    "AppRole",
                    graph_sp,
                    "Microsoft Graph",
                    USER_READWRITE_ALL[1],
                    USER_READWRITE_ALL[0],
                    privileged=True,
                ),
            ),
            auto_approve=True,
            expiry_days=None,
        ),
        pkg(
            "research",
            "Research agents - knowledge sites",
            "Research",
            res,
            "Agents: sponsor approval, 180 days",
            (group("Knowledge base readers"), group("Research drive readers")),
            expiry_days=180,
        ),
        pkg(
            "productivity",
            "Productivity agents - calendars",
            "Productivity",
            prod,
            sponsor_policy,
            (group("Calendar assistants"),),
        ),
        pkg(
            "productivity_files",
            "Productivity agents - team files",
            "Productivity",
            prod,
            sponsor_policy,
            (group("Team files readers"),),
        ),
    ]
    return {p.key: p for p in out}


def _iso(us: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(microseconds=int(us))).strftime("%Y-%m-%dT%H:%M:%SZ")


def subject(agent: Actor) -> dict:
    """The agent the package is for, as a target."""
    user = agent.kind == "agent_user"
    agent_type = {"agent_identity": "agenticAppInstance", "agent_user": "agentIDuser"}.get(
        agent.kind
    )
    return au.target(
        agent.object_id,
        agent.name,
        "User" if user else "ServicePrincipal",
        upn=agent.upn if user else None,
        agent_type=agent_type,
    )


def service_app(tenant: Tenant) -> dict:
    """The Entitlement Management service as the initiator of automatic steps."""
    return {
        "object_id": tenant.pools["em_service"][0],
        "name": SERVICE,
        "app_id": tenant.pools["em_service"][1],
    }


def flow(
    tenant: Tenant,
    rng: np.random.Generator,
    time_us: int,
    pkg: Package,
    agent: Actor,
    *,
    path: str,
    requester: dict,
    approver: dict | None = None,
) -> list[dict]:
    """The audit events of one assignment, request to fulfilment (rows of the AUDIT frame).

    ``path``: self | sponsor_on_behalf | admin_direct; ``requester``: a person's row, or the
    agent's own initiator dict for ``self``; ``approver``: the person approving (ignored when
    the package's policy auto-approves, and for a direct assignment).
    """
    corr = uuid(rng)
    request_id, assignment_id = uuid(rng), uuid(rng)
    service = service_app(tenant)
    expires = None if pkg.expiry_days is None else time_us + pkg.expiry_days * DAY_US
    schedule = [
        ("Schedule.StartDateTime", None, au._q(_iso(time_us))),
        ("Schedule.Expiration.Type", None, au._q("afterDateTime" if expires else "noExpiration")),
    ]
    if expires:
        schedule.append(("Schedule.Expiration.EndDateTime", None, au._q(_iso(expires))))
    package_targets = [
        au.target(pkg.id, pkg.name, "AccessPackage"),
        au.target(pkg.policy_id, pkg.policy, "AccessPackageAssignmentPolicy"),
        au.target(pkg.catalog_id, pkg.catalog, "AccessPackageCatalog"),
    ]
    request_type = "adminAdd" if path == "admin_direct" else "userAdd"
    details = [("AccessPackageId", pkg.id), ("AccessPackageAssignmentRequestId", request_id)]

    def request_target(state: str, extra: list | None = None) -> dict:
        return au.target(
            request_id,
            None,
            "AccessPackageAssignmentRequest",
            mods=[
                ("RequestType", None, au._q(request_type)),
                ("State", None, au._q(state)),
                *(extra or []),
            ],
        )

    def event(t: int, activity: str, by: dict, targets: list[dict], op: str = "Update") -> dict:
        first, *rest = targets
        return au.audit(
            tenant,
            rng,
            t,
            activity,
            by,
            {
                "target_id": first["id"],
                "target_name": first["displayName"],
                "target_type": first["type"],
                "target_upn": first.get("userPrincipalName"),
            },
            operation_type=op,
            category=CATEGORY,
            logged_by=SERVICE,
            correlation_id=corr,
            agent_type=first.get("agentType"),
            mods=[
                (m["displayName"], m["oldValue"], m["newValue"])
                for m in first["modifiedProperties"]
            ],
            details=details,
            extra_targets=rest,
        )

    justification = ("Justification", None, au._q(f"{agent.name}: {agent.purpose or pkg.name}"))
    t = time_us
    out = [
        event(
            t,
            REQUEST_ACTIVITY[path],
            requester,
            [
                *package_targets,
                request_target("submitted", [justification, *schedule]),
                subject(agent),
            ],
            op="Add" if path != "admin_direct" else "Assign",
        )
    ]
    if path != "admin_direct":
        t += int(rng.integers(2, 40)) * MINUTE_US
        if pkg.auto_approve:
            out.append(
                event(
                    t,
                    AUTO_APPROVE,
                    service,
                    [*package_targets, request_target("accepted"), subject(agent)],
                )
            )
        else:
            assert approver is not None, "a policy with approval needs an approver"
            stage = request_target("pendingApproval", [("ApprovalStage", None, au._q("1"))])
            out.append(event(t, APPROVAL_STAGE, approver, [*package_targets, stage]))
            out.append(
                event(
                    t + 2_000_000,
                    APPROVE,
                    approver,
                    [*package_targets, request_target("accepted"), subject(agent)],
                )
            )
    t += int(rng.integers(1, 5)) * MINUTE_US
    assignment = au.target(
        assignment_id,
        None,
        "AccessPackageAssignment",
        mods=[("State", None, au._q("delivered")), *schedule],
    )
    out.append(
        event(
            t,
            FULFILL,
            service,
            [*package_targets, request_target("delivered"), assignment, subject(agent)],
        )
    )
    for k, r in enumerate(pkg.resources):
        kind = "ServicePrincipal" if r.kind == "AppRole" else r.kind
        mods = [
            ("AccessPackageResource.OriginSystem", None, au._q(ORIGIN[r.kind])),
            ("AccessPackageResourceRole", None, au._q(r.role)),
        ]
        if r.role_id:
            mods.append(("AppRole.Id", None, au._q(r.role_id)))
        out.append(
            event(
                t + (k + 1) * 3_000_000,
                FULFILL_RESOURCE,
                service,
                [
                    au.target(r.id, r.name, kind, mods=mods),
                    *package_targets,
                    assignment,
                    subject(agent),
                ],
                op="Assign",
            )
        )
    return out


def expected(
    pkg: Package,
    agent: Actor,
    path: str,
    requester: dict,
    approver: dict | None,
    events: list[dict],
) -> dict:
    """What the ``access_assignments`` view should say of a flow (ground truth for tests)."""
    fulfil = next(e for e in events if e["activity"] == FULFILL)
    start = events[0]["time"]
    return {
        "identity_id": agent.object_id,
        "access_package": pkg.name,
        "catalog": pkg.catalog,
        "policy": pkg.policy,
        "request_path": "auto" if pkg.auto_approve and path != "admin_direct" else path,
        "requested_by": requester.get("upn") or requester.get("name"),
        "approved_by": []
        if pkg.auto_approve or path == "admin_direct" or not approver
        else [approver["upn"]],
        "assigned_at": fulfil["time"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires_at": None
        if pkg.expiry_days is None
        else (start + timedelta(days=pkg.expiry_days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [f"{r.kind}:{r.name}:{r.role}" for r in pkg.resources],
        "privileged": pkg.privileged,
        "correlation_id": fulfil["correlation_id"],
        "event_ids": [e["id"] for e in events],
    }


def consent(
    tenant: Tenant,
    rng: np.random.Generator,
    time_us: int,
    by: dict,
    principal: dict,
    *,
    admin: bool,
    scopes: str,
    resource_id: str,
) -> dict:
    """``Consent to application`` as Entra logs it: the ConsentContext flags and the granted
    permissions in ``ConsentAction.Permissions``, on the consented service principal."""
    grant_id = uuid(rng)
    consent_type = "AllPrincipals" if admin else "Principal"
    perms = (
        f"[] => [[Id: {grant_id}, ClientId: {principal['target_id']}, PrincipalId: "
        f"{'' if admin else by.get('id', '')}, ResourceId: {resource_id}, ConsentType: "
        f"{consent_type}, Scope: {scopes}, CreatedDateTime: , LastModifiedDateTime ]]; "
    )
    return au.audit(
        tenant,
        rng,
        time_us,
        "Consent to application",
        by,
        principal,
        operation_type="Assign",
        agent_type=principal.get("agent_type"),
        mods=[
            ("ConsentContext.IsAdminConsent", None, au._q(str(admin))),
            ("ConsentContext.IsAppOnly", None, au._q("False")),
            ("ConsentContext.OnBehalfOfAll", None, au._q(str(admin))),
            ("ConsentContext.Tags", None, au._q("WindowsAzureActiveDirectoryIntegratedApp")),
            ("ConsentAction.Permissions", None, au._q(perms)),
            ("TargetId.ServicePrincipalNames", None, au._q(principal["app_id"])),
        ],
    )


def principal_created(
    tenant: Tenant,
    rng: np.random.Generator,
    time_us: int,
    by: dict,
    principal: dict,
    *,
    tags: list[str],
    details: list[tuple[str, str]] | None = None,
) -> dict:
    """``Add service principal`` of a blueprint principal or agent identity (``principal``:
    target_id, target_name, app_id, agent_type)."""
    return au.audit(
        tenant,
        rng,
        time_us,
        "Add service principal",
        by,
        principal,
        operation_type="Add",
        agent_type=principal.get("agent_type"),
        mods=[
            ("AccountEnabled", "[]", "[true]"),
            ("AppPrincipalId", "[]", json.dumps([principal["app_id"]])),
            ("DisplayName", "[]", json.dumps([principal["target_name"]])),
            ("Tags", "[]", json.dumps(tags)),
        ],
        details=[("AppId", principal["app_id"]), *(details or [])],
    )


def principal(target_id: str, name: str, app_id: str, agent_type: str) -> dict:
    """A service principal as the AUDIT frame's first target (plus its app id)."""
    return {
        "target_id": target_id,
        "target_name": name,
        "target_type": "ServicePrincipal",
        "target_upn": None,
        "app_id": app_id,
        "agent_type": agent_type,
    }
