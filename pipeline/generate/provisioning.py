"""Where each agent came from and the access it holds (issue 13), as routine history: blueprint
principals created by the products that own them, each agent's creation channel (with its
consent for a third-party app), sponsors requesting declared access packages, and agent
identities created at the blueprints' usual pace. The ground truth goes to labels.json
(``creation_channels``, ``access_assignments``); the incidents and look-alikes around it are
entries of ``story/packages.py`` and ``story/blueprints.py``.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase

from pipeline.generate import entitlement as em
from pipeline.generate.cast import AGENT_KINDS, Actor, Blueprint, Tenant
from pipeline.generate.entry import Context
from pipeline.generate.ids import uuid
from pipeline.generate.lifecycle import creation_day
from pipeline.generate.traffic import US

#: the product apps that create a blueprint's principal (pool name, display name)
MAKERS = {
    "azure-ai-foundry": ("foundry_app", "Azure AI Foundry"),
    "copilot-studio": ("copilot_studio_app", "Power Virtual Agents Service"),
    "security-copilot": ("security_copilot_app", "Microsoft Security Copilot"),
}
BLUEPRINT_AGENT_TYPE = "agentIdentityBlueprintPrincipal"
_EPOCH = datetime(1970, 1, 1)


def app(object_id: str, name: str, app_id: str) -> dict:
    """An application as an audit initiator or requester."""
    return {"object_id": object_id, "name": name, "app_id": app_id}


def _maker(tenant: Tenant, channel: str) -> dict:
    pool, name = MAKERS[channel]
    obj, app_id = tenant.pools[pool]
    return app(obj, name, app_id)


def declared_package(agent: Actor, packages: dict[str, em.Package]) -> em.Package | None:
    """The first non-privileged package the agent's declared globs match, or None."""
    for p in packages.values():
        if not p.privileged and any(fnmatchcase(p.name, g) for g in agent.access_packages):
            return p
    return None


def channel_row(
    object_id: str,
    app_id: str,
    name: str,
    kind: str,
    channel: str,
    registered: bool,
    *,
    sponsor: str | None = None,
    evidence: list[str] | None = None,
) -> dict:
    """Ground truth of one principal's creation channel. ``evidence``: the sources its
    records carry, among blueprint (a product's blueprint), tags (servicePrincipal tags in
    the creation audit), audit (the creating event: consent, or an admin's or product's
    'Add service principal'); empty when nothing tells (a shadow agent)."""
    return {
        "id": object_id,
        "app_id": app_id,
        "name": name,
        "kind": kind,
        "creation_channel": channel,
        "registered": registered,
        "sponsor": sponsor,
        "evidence": evidence if evidence is not None else ["audit"],
    }


def _evidence(tenant: Tenant, a: Actor) -> list[str]:
    if a.key == "shadow":  # no creation audit, an undeclared blueprint: nothing tells
        return []
    bp = tenant.blueprints.get(a.blueprint or "")
    out = ["blueprint"] if bp is not None and bp.channel in MAKERS else []
    return out + (["tags"] if a.tags else []) + ["audit"]


def assign(ctx: Context, when, pkg, agent, path, requester, approver) -> list[dict]:
    """One access package flow, its audits planted and its ground truth recorded."""
    events = em.flow(
        ctx.tenant, ctx.rng, when, pkg, agent, path=path, requester=requester, approver=approver
    )
    ctx.plan.audits.extend(events)
    ctx.plan.governance["access_assignments"].append(
        em.expected(pkg, agent, path, requester, approver, events)
    )
    return events


def audit_us(row: dict) -> int:
    """An AUDIT row's time as microseconds since the epoch."""
    delta = row["time"] - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def people_by_upn(tenant: Tenant) -> dict[str, dict]:
    return {p["upn"]: p for p in tenant.humans.iter_rows(named=True)}


def channels_and_packages(ctx: Context) -> None:
    tenant, plan, rng = ctx.tenant, ctx.plan, ctx.rng
    plan.packages = em.packages(rng)
    people = people_by_upn(tenant)
    admin = tenant.human(tenant.admin)
    truth_channels: list[dict] = []
    plan.governance = {"creation_channels": truth_channels, "access_assignments": []}

    # -- blueprint principals, created by the product that owns each blueprint ---------------
    owner = tenant.human_by_role("platform_owner")
    for k, bp in enumerate(b for b in tenant.blueprints.values() if b.declared):
        maker = _maker(tenant, bp.channel) if bp.channel in MAKERS else owner
        details = [("CreatedByAppId", maker["app_id"])] if bp.channel in MAKERS else []
        target = em.principal(bp.principal_id, bp.name, bp.app_id, BLUEPRINT_AGENT_TYPE)
        plan.audits.append(
            em.principal_created(
                tenant,
                rng,
                plan.day_us(0, 0.01) + k * 60 * US,
                maker,
                target,
                tags=["AgenticApp"],
                details=details,
            )
        )
        truth_channels.append(
            channel_row(bp.principal_id, bp.app_id, bp.name, "blueprint", bp.channel, True)
        )

    # -- agents: every channel, with the evidence that should decide it -----------------------
    for i, a in enumerate(tenant.actors):
        if not a.channel:
            continue
        truth_channels.append(
            channel_row(
                a.object_id,
                a.app_id,
                a.name,
                a.kind,
                a.channel,
                a.declared,
                sponsor=a.sponsor,
                evidence=_evidence(tenant, a),
            )
        )
        if a.channel == "third-party-consent":  # consented right after it appeared (day 0)
            by = people.get(a.owner or "", admin)
            when = plan.day_us(creation_day(a, plan.days), 0.05) + i * 300 * US + 20 * US
            target = em.principal(a.object_id, a.name, a.app_id, "")
            plan.audits.append(
                em.consent(
                    tenant,
                    rng,
                    when,
                    by,
                    target,
                    admin=True,
                    scopes="User.Read offline_access openid",
                    resource_id=tenant.pools["graph_sp"][0],
                )
            )

    # -- routine Entitlement Management: sponsors request declared packages for their agents --
    hi = max(2, plan.last - 6)
    for a in tenant.actors:
        if a.kind not in AGENT_KINDS or not a.declared or not a.sponsor:
            continue
        pkg = declared_package(a, plan.packages)
        if pkg is None:
            continue
        sponsor = people[a.sponsor]
        when = plan.day_us(int(rng.integers(1, hi)), float(rng.uniform(9, 16)))
        if a.key == "knowledge":  # assigned directly by the identity administrator
            path, requester, approver = "admin_direct", admin, None
        elif a.key == "meeting_notes":  # the agent asks for itself; its sponsor approves
            path, requester, approver = "self", app(a.object_id, a.name, a.app_id), sponsor
        else:
            path, requester, approver = "sponsor_on_behalf", sponsor, sponsor
        assign(ctx, when, pkg, a, path, requester, approver)


def create_identity(ctx: Context, bp: Blueprint, when: int, name: str) -> dict:
    """An agent identity created by blueprint principal ``bp``: its audit and its truth."""
    obj, app_id = uuid(ctx.rng), uuid(ctx.rng)
    row = em.principal_created(
        ctx.tenant,
        ctx.rng,
        when,
        app(bp.principal_id, bp.name, bp.app_id),
        em.principal(obj, name, app_id, "agenticAppInstance"),
        tags=["AgenticInstance"],
    )
    ctx.plan.audits.append(row)
    ctx.plan.governance["creation_channels"].append(
        channel_row(obj, app_id, name, "agent_identity", bp.channel, False)
    )
    return row


def foundry_pace(ctx: Context) -> None:
    """The Foundry research blueprint's ordinary pace: an agent identity every third day."""
    foundry = ctx.tenant.blueprints["research"]
    for n, d in enumerate(range(1, ctx.last - 1, 3), 1):
        when = ctx.plan.day_us(d, float(ctx.rng.uniform(9, 17)))
        create_identity(ctx, foundry, when, f"Research agent run {n:03d}")
