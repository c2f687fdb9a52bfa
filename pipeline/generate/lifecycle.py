"""The audit history of every agent: born on day 0 (or the day before the story first needs it),
its read permissions granted by its owner, a routine rotation in the learning period."""

from __future__ import annotations

from pipeline.generate import audits as au
from pipeline.generate.cast import Actor
from pipeline.generate.entry import Context
from pipeline.generate.ids import uuid
from pipeline.generate.traffic import US

#: application permissions the story grants later (INC-G02), not when the agent is created
GRANTED_LATER = {"meeting_notes": ("Mail.Read",)}


def creation_day(actor: Actor, days: int) -> int:
    """The day an agent is created: day 0, or the day before an agent that only starts work
    in the last days (the onboarded agent, the unsponsored agents of issue 13) is first active."""
    first = actor.active_days[0] if actor.active_days else 0
    return max(0, first - 1) if actor.key == "onboarded" or 0 < first < days - 1 else 0


def agent_lives(ctx: Context) -> None:
    tenant, plan, rng = ctx.tenant, ctx.plan, ctx.rng
    owner_of = {p["upn"]: p for p in tenant.humans.iter_rows(named=True)}
    admin = tenant.human(tenant.admin)
    for i, actor in enumerate(tenant.actors):
        if actor.kind == "managed_identity" or actor.key == "shadow":
            continue
        by = owner_of.get(actor.owner or "", admin)
        when = plan.day_us(creation_day(actor, plan.days), 0.05)
        when += i * 300 * US
        # the owner grants its read permissions as it provisions it; write permissions and
        # those of ownerless apps were granted before the logs begin
        roles = [
            r
            for r in actor.roles.split()
            if actor.owner and "ReadWrite" not in r and r not in GRANTED_LATER.get(actor.key, ())
        ]
        plan.audits.extend(au.created(tenant, rng, when, by, actor, roles))
        # a routine rotation in the middle of the learning period, by the owner
        if actor.credential_type in ("clientSecret", "certificate") and plan.days >= 10:
            day = int(rng.integers(2, max(3, plan.days - 7)))
            actor_key = uuid(rng)
            plan.audits.append(
                au.credential_added(
                    tenant,
                    rng,
                    plan.day_us(day, 9.5) + i * 60 * US,
                    by,
                    actor,
                    actor_key,
                    f"rotation-{day}",
                )
            )
