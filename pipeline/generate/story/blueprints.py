"""Agent identity sprawl (AA-G07): a burst of agent identities from one blueprint principal, a
blueprint principal arriving through a user's consent; and their look-alikes (a blueprint's
steady pace, an admin's consent)."""

from __future__ import annotations

import numpy as np

from pipeline.generate import entitlement as em
from pipeline.generate.entry import Context
from pipeline.generate.ids import uuid
from pipeline.generate.provisioning import BLUEPRINT_AGENT_TYPE, channel_row, create_identity
from pipeline.generate.traffic import US

BURST = 36  # agent identities one blueprint principal creates in the AA-G07 burst
BURST_MINUTES = 50


def steady_creations(ctx: Context) -> None:
    """Copilot Studio's shared blueprint: two agent identities a day."""
    studio = ctx.tenant.blueprints["copilot_studio"]
    n = 0
    for d in range(ctx.plan.days):
        for h in sorted(ctx.rng.uniform(8, 18, 2)):
            create_identity(ctx, studio, ctx.plan.day_us(d, float(h)), f"Team agent {n:03d}")
            n += 1
    ctx.benign(
        [studio.principal_id, studio.app_id],
        ctx.plan.day_us(ctx.last - 2),
        ctx.plan.day_us(ctx.last + 1) - US,
        "Copilot Studio's shared blueprint creates two agent identities every "
        "day of the period, as makers publish agents: a steady pace, no burst.",
    )


def identity_burst(ctx: Context) -> None:
    foundry = ctx.tenant.blueprints["research"]
    start = ctx.plan.day_us(ctx.last - 1, 2.2)
    times = np.sort(start + ctx.rng.integers(0, BURST_MINUTES * 60 * US, BURST))
    burst = [
        create_identity(ctx, foundry, int(t), f"Research agent clone {k + 1:03d}")
        for k, t in enumerate(times)
    ]
    ctx.label(
        [foundry.principal_id, foundry.app_id],
        None,
        None,
        f"The Foundry research blueprint's principal creates {BURST} agent identities ('Add "
        f"service principal', agentType agenticAppInstance) within {BURST_MINUTES} minutes, "
        "against its usual pace of about two a week.",
        extra_evidence=[r["id"] for r in burst],
        window=(int(times[0]), int(times[-1])),
    )


def _consented(ctx: Context, by: dict, name: str, when: int, is_admin: bool):
    """A third-party blueprint principal created and consented to by ``by``."""
    tenant, rng = ctx.tenant, ctx.rng
    obj, app_id = uuid(rng), uuid(rng)
    target = em.principal(obj, name, app_id, BLUEPRINT_AGENT_TYPE)
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
    ctx.plan.audits.extend([created, granted])
    ctx.plan.governance["creation_channels"].append(
        channel_row(obj, app_id, name, "blueprint", "third-party-consent", False)
    )
    return [obj, app_id], created, granted


def user_consented_blueprint(ctx: Context) -> None:
    plain = [p for p in ctx.tenant.humans.iter_rows(named=True) if not p["role"]]
    user, name = plain[5], "Prospect Outreach Agent Blueprint"
    when = ctx.plan.day_us(ctx.last - 2, 13.4)
    ids, created, granted = _consented(ctx, user, name, when, is_admin=False)
    ctx.label(
        ids,
        None,
        None,
        f"A user who is no administrator ({user['upn']}) consents to the third-party "
        f"blueprint '{name}' for themselves ('Consent to application', "
        "ConsentContext.IsAdminConsent = False): its blueprint principal, which can "
        "create agent identities, arrived in the tenant through a user's consent.",
        extra_evidence=[created["id"], granted["id"]],
        window=(when, when + 15 * US),
    )


def admin_consented_blueprint(ctx: Context) -> None:
    admin, name = ctx.tenant.human(ctx.tenant.admin), "Travel Booking Agent Blueprint"
    when = ctx.plan.day_us(ctx.last - 1, 9.5)
    ids, _, _ = _consented(ctx, admin, name, when, is_admin=True)
    ctx.benign(
        ids,
        when,
        when + 15 * US + US - 1,
        f"The identity administrator consents, for the whole "
        f"tenant, to the blueprint '{name}' (ConsentContext.IsAdminConsent = "
        "True): a blueprint principal arriving the sanctioned way.",
    )
