"""The governance part of the story (issue 13): where each agent came from, which access
packages it holds, and the incidents and look-alikes around both.

- Creation channels: blueprint principals created by the products that own them (Azure AI
  Foundry, Copilot Studio, Security Copilot) or by a person; a third-party app arriving through
  an admin's consent; the expected ``creation_channel`` of every agent is written to labels.json
  (``creation_channels``) so a test can compare it with the ``identities`` view.
- Entitlement Management: each sponsored agent's sponsor requests one of the packages the agent
  declares, approves it, and it is fulfilled with an expiry (ground truth in
  ``access_assignments`` of labels.json); one agent requests for itself, one is assigned
  directly by an administrator.
- Incidents (AA-G06): an auto-approved privileged package without expiry; a package outside the
  agent's declared ``access_packages``. (AA-G07): a burst of agent identities created by one
  blueprint principal; a blueprint principal that arrived through a user's (non-admin) consent.
- Look-alikes: a package approved by the sponsor with an expiry in the last days; a blueprint
  creating a couple of agent identities a day; a blueprint principal consented by an admin.

Everything here draws from its own random stream, so the rest of a seed's story is unchanged.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase

import numpy as np

from pipeline.generate import entitlement as em
from pipeline.generate.cast import Actor, Tenant
from pipeline.generate.ids import uuid
from pipeline.generate.story import Plan, Watch, _label, creation_day
from pipeline.generate.traffic import US

AGENT_KINDS = ("agent_identity", "agent_user", "classic_agent")
#: the product apps that create a blueprint's principal (pool name, display name)
MAKERS = {
    "azure-ai-foundry": ("foundry_app", "Azure AI Foundry"),
    "copilot-studio": ("copilot_studio_app", "Power Virtual Agents Service"),
    "security-copilot": ("security_copilot_app", "Microsoft Security Copilot"),
}
BLUEPRINT_AGENT_TYPE = "agentIdentityBlueprintPrincipal"
BURST = 36  # agent identities one blueprint principal creates in the AA-G07 burst
BURST_MINUTES = 50
_EPOCH = datetime(1970, 1, 1)


def _app(object_id: str, name: str, app_id: str) -> dict:
    return {"object_id": object_id, "name": name, "app_id": app_id}


def _maker(tenant: Tenant, channel: str) -> dict:
    pool, name = MAKERS[channel]
    obj, app = tenant.pools[pool]
    return _app(obj, name, app)


def declared_package(agent: Actor, packages: dict[str, em.Package]) -> em.Package | None:
    """The first non-privileged package the agent's declared globs match, or None."""
    for p in packages.values():
        if not p.privileged and any(fnmatchcase(p.name, g) for g in agent.access_packages):
            return p
    return None


def plant(tenant: Tenant, plan: Plan, seed: int) -> None:
    rng = np.random.default_rng([seed, 0x60F7])
    packages = em.packages(rng)
    people = {p["upn"]: p for p in tenant.humans.iter_rows(named=True)}
    admin = tenant.human(tenant.admin)
    L = plan.days - 1
    truth_channels: list[dict] = []
    truth_assignments: list[dict] = []
    plan.governance = {"creation_channels": truth_channels, "access_assignments": truth_assignments}

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
            _channel_row(bp.principal_id, bp.app_id, bp.name, "blueprint", bp.channel, True)
        )

    # -- agents: every channel, with the evidence that should decide it -----------------------
    for i, a in enumerate(tenant.actors):
        if not a.channel:
            continue
        truth_channels.append(
            _channel_row(
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
    hi = max(2, L - 6)
    for a in tenant.actors:
        if a.kind not in AGENT_KINDS or not a.declared or not a.sponsor:
            continue
        pkg = declared_package(a, packages)
        if pkg is None:
            continue
        sponsor = people[a.sponsor]
        when = plan.day_us(int(rng.integers(1, hi)), float(rng.uniform(9, 16)))
        if a.key == "knowledge":  # assigned directly by the identity administrator
            path, requester, approver = "admin_direct", admin, None
        elif a.key == "meeting_notes":  # the agent asks for itself; its sponsor approves
            path, requester, approver = "self", _app(a.object_id, a.name, a.app_id), sponsor
        else:
            path, requester, approver = "sponsor_on_behalf", sponsor, sponsor
        _assign(tenant, plan, rng, when, pkg, a, path, requester, approver, truth_assignments)

    # -- AA-G06 (1): an auto-approved privileged package without expiry ----------------------
    a = tenant.actor("access_requests")
    pkg = packages["helpdesk_admin"]
    sponsor = people[a.sponsor]
    ev = _assign(
        tenant,
        plan,
        rng,
        plan.day_us(L - 1, 15.2),
        pkg,
        a,
        "sponsor_on_behalf",
        sponsor,
        None,
        truth_assignments,
    )
    _em_label(
        plan,
        "INC-G06-auto-approved-privileged-package",
        a,
        ev,
        f"The IT access request agent receives the access package '{pkg.name}' (User "
        "Administrator directory role and Microsoft Graph User.ReadWrite.All): the policy "
        "auto-approves it (no person approved) and the assignment never expires.",
    )

    # -- AA-G06 (2): a package outside the agent's declared access_packages --------------------
    a = tenant.actor("translation")
    pkg = packages["finance_payments"]
    sponsor = people[a.sponsor]
    ev = _assign(
        tenant,
        plan,
        rng,
        plan.day_us(L - 2, 11.0),
        pkg,
        a,
        "sponsor_on_behalf",
        sponsor,
        sponsor,
        truth_assignments,
    )
    _em_label(
        plan,
        "INC-G06-package-outside-declared",
        a,
        ev,
        f"The document translation agent (access_packages = {a.access_packages}) is assigned "
        f"'{pkg.name}' in the Finance catalogue, a package its registry entry does not "
        "declare; requested and approved by its sponsor, with an expiry.",
    )

    # -- look-alike: a declared package approved by the sponsor, with an expiry -----------------
    a = tenant.actor("studio_hr")
    pkg = packages["productivity_files"]
    sponsor = people[a.sponsor]
    ev = _assign(
        tenant,
        plan,
        rng,
        plan.day_us(L - 1, 10.3),
        pkg,
        a,
        "sponsor_on_behalf",
        sponsor,
        sponsor,
        truth_assignments,
    )
    plan.benign.append(
        {
            "id": "BEN-package-approved-by-sponsor",
            "description": f"The HR policy Q&A agent's sponsor requests '{pkg.name}' "
            "for it (declared: 'Productivity agents - *'), approves it, and the assignment expires "
            f"after {pkg.expiry_days} days.",
            "identity_ids": _actor_ids(a),
            "window_start": plan.iso(_us(ev[0])),
            "window_end": plan.iso(_us(ev[-1]) + US - 1),
            "must_not_fire": ["AA-G06"],
        }
    )

    # -- AA-A04: registered agents that nobody sponsors (they start work in the last days) ------
    unsponsored = [
        a for a in tenant.actors if a.declared and a.kind in AGENT_KINDS and not a.sponsor
    ]
    first = min(a.active_days[0] for a in unsponsored)
    _label(
        plan,
        "INC-A04-unsponsored-agents",
        "AA-A04",
        ["AA-A04"],
        [x for a in unsponsored for x in _actor_ids(a)],
        None,
        None,
        "Registered agents with no sponsor start work: "
        + ", ".join(f"'{a.name}'" for a in unsponsored)
        + ". Each is in agentaudit.toml with an owner but no accountable sponsor.",
        window=(plan.day_us(first), plan.day_us(L + 1) - US),
    )
    for a in unsponsored:
        plan.watches.append(Watch("INC-A04-unsponsored-agents", "sp_id", a.object_id, first, L))

    _identity_creations(tenant, plan, rng, truth_channels)
    _consented_blueprints(tenant, plan, rng, people, admin, truth_channels)


def _evidence(tenant: Tenant, a: Actor) -> list[str]:
    if a.key == "shadow":  # no creation audit, an undeclared blueprint: nothing tells
        return []
    bp = tenant.blueprints.get(a.blueprint or "")
    out = ["blueprint"] if bp is not None and bp.channel in MAKERS else []
    return out + (["tags"] if a.tags else []) + ["audit"]


def _actor_ids(a: Actor) -> list[str]:
    return [x for x in (a.object_id, a.app_id, a.upn) if x]


def _channel_row(
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


def _assign(tenant, plan, rng, when, pkg, agent, path, requester, approver, truth) -> list[dict]:
    events = em.flow(
        tenant, rng, when, pkg, agent, path=path, requester=requester, approver=approver
    )
    plan.audits.extend(events)
    truth.append(em.expected(pkg, agent, path, requester, approver, events))
    return events


def _us(row: dict) -> int:
    """An AUDIT row's time as microseconds since the epoch."""
    delta = row["time"] - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def _em_label(plan: Plan, lid: str, agent: Actor, events: list[dict], description: str) -> None:
    _label(
        plan,
        lid,
        "AA-G06",
        ["AA-G06"],
        _actor_ids(agent),
        None,
        None,
        description,
        extra_evidence=[e["id"] for e in events],
        window=(_us(events[0]), _us(events[-1])),
    )


def _identity_creations(tenant: Tenant, plan: Plan, rng, truth: list[dict]) -> None:
    """Agent identities created by blueprint principals: a few a week under the Foundry
    blueprint, two a day under Copilot Studio's shared blueprint, and the burst."""
    L = plan.days - 1

    def create(bp, when: int, name: str) -> dict:
        obj, app = uuid(rng), uuid(rng)
        by = _app(bp.principal_id, bp.name, bp.app_id)
        row = em.principal_created(
            tenant,
            rng,
            when,
            by,
            em.principal(obj, name, app, "agenticAppInstance"),
            tags=["AgenticInstance"],
        )
        plan.audits.append(row)
        truth.append(_channel_row(obj, app, name, "agent_identity", bp.channel, False))
        return row

    foundry = tenant.blueprints["research"]
    n = 0
    for d in range(1, L - 1, 3):  # the Foundry blueprint's ordinary pace: a couple a week
        n += 1
        create(foundry, plan.day_us(d, float(rng.uniform(9, 17))), f"Research agent run {n:03d}")
    studio = tenant.blueprints["copilot_studio"]
    steady = []
    for d in range(plan.days):
        for h in sorted(rng.uniform(8, 18, 2)):
            steady.append(create(studio, plan.day_us(d, float(h)), f"Team agent {len(steady):03d}"))
    plan.benign.append(
        {
            "id": "BEN-steady-blueprint-creations",
            "description": "Copilot Studio's shared blueprint creates two agent identities every "
            "day of the period, as makers publish agents: a steady pace, no burst.",
            "identity_ids": [studio.principal_id, studio.app_id],
            "window_start": plan.iso(plan.day_us(L - 2)),
            "window_end": plan.iso(plan.day_us(L + 1) - US),
            "must_not_fire": ["AA-G07"],
        }
    )
    start = plan.day_us(L - 1, 2.2)
    times = np.sort(start + rng.integers(0, BURST_MINUTES * 60 * US, BURST))
    burst = [
        create(foundry, int(t), f"Research agent clone {k + 1:03d}") for k, t in enumerate(times)
    ]
    _label(
        plan,
        "INC-G07-identity-burst",
        "AA-G07",
        ["AA-G07"],
        [foundry.principal_id, foundry.app_id],
        None,
        None,
        f"The Foundry research blueprint's principal creates {BURST} agent identities ('Add "
        f"service principal', agentType agenticAppInstance) within {BURST_MINUTES} minutes, "
        "against its usual pace of about two a week.",
        extra_evidence=[r["id"] for r in burst],
        window=(int(times[0]), int(times[-1])),
    )


def _consented_blueprints(tenant, plan, rng, people, admin, truth) -> None:
    """A blueprint principal consented by a user who is no administrator (AA-G07), and one
    consented by the identity administrator (the look-alike)."""
    L = plan.days - 1
    plain = [p for p in tenant.humans.iter_rows(named=True) if not p["role"]]
    user = plain[5]
    for lid, by, name, when, is_admin in (
        (
            "INC-G07-user-consented-blueprint",
            user,
            "Prospect Outreach Agent Blueprint",
            plan.day_us(L - 2, 13.4),
            False,
        ),
        (
            "BEN-admin-consented-blueprint",
            admin,
            "Travel Booking Agent Blueprint",
            plan.day_us(L - 1, 9.5),
            True,
        ),
    ):
        obj, app = uuid(rng), uuid(rng)
        target = em.principal(obj, name, app, BLUEPRINT_AGENT_TYPE)
        created = em.principal_created(
            tenant,
            rng,
            when,
            by,
            target,
            tags=["AgenticApp"],
            details=[("AppOwnerOrganizationId", uuid(rng))],
        )
        granted = em.consent(
            tenant,
            rng,
            when + 15 * US,
            by,
            target,
            admin=is_admin,
            scopes="User.Read offline_access openid",
            resource_id=tenant.pools["graph_sp"][0],
        )
        plan.audits.extend([created, granted])
        truth.append(_channel_row(obj, app, name, "blueprint", "third-party-consent", False))
        if is_admin:
            plan.benign.append(
                {
                    "id": lid,
                    "description": f"The identity administrator consents, for the whole "
                    f"tenant, to the blueprint '{name}' (ConsentContext.IsAdminConsent = "
                    "True): a blueprint principal arriving the sanctioned way.",
                    "identity_ids": [obj, app],
                    "window_start": plan.iso(when),
                    "window_end": plan.iso(when + 15 * US + US - 1),
                    "must_not_fire": ["AA-G07"],
                }
            )
        else:
            _label(
                plan,
                lid,
                "AA-G07",
                ["AA-G07"],
                [obj, app],
                None,
                None,
                f"A user who is no administrator ({by['upn']}) consents to the third-party "
                f"blueprint '{name}' for themselves ('Consent to application', "
                "ConsentContext.IsAdminConsent = False): its blueprint principal, which can "
                "create agent identities, arrived in the tenant through a user's consent.",
                extra_evidence=[created["id"], granted["id"]],
                window=(when, when + 15 * US),
                related=["AA-G02"],
            )
