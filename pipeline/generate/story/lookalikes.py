"""Benign look-alikes of the story: what a good detector leaves alone."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.generate import world
from pipeline.generate.entry import Context, actor_ids, person_ids
from pipeline.generate.jobs import HUMAN_CALLS
from pipeline.generate.planted import actor_calls, calls, one_ip, spread
from pipeline.generate.traffic import HOUR_US, HUMAN_SCOPES, US, human_signins


def new_agent_onboarded(ctx: Context) -> None:
    L = ctx.last
    ctx.benign(
        actor_ids(ctx.tenant.actor("onboarded")),
        ctx.plan.day_us(L - 3),
        ctx.plan.day_us(L + 1) - US,
        "A new agent created by its owner with a sponsor, declared in the "
        "registry, starting work within its allowed resources: properly onboarded.",
    )


def allowed_obo_agent(ctx: Context) -> None:
    ctx.benign(
        actor_ids(ctx.tenant.actor("calendar")),
        ctx.plan.day_us(0),
        ctx.plan.day_us(ctx.last + 1) - US,
        "The calendar assistant acts with people's delegated tokens every "
        "weekday; its registry entry allows it (on_behalf_of = true).",
    )


def traveller_with_mfa(ctx: Context) -> None:
    """A person flying from home to London, signing in with MFA on arrival; a regular: an
    earlier two-day visit in the learning period (then a travel day home), and the trip that
    ends the period."""
    tenant, plan, rng, L = ctx.tenant, ctx.plan, ctx.rng, ctx.last
    p = tenant.human_by_role("traveller")
    people = tenant.humans.filter(pl.col("role") == "traveller")
    london = world.PLACES[4]
    first = max(1, (L - 2) // 2)
    earlier = (first, first + 1)
    away = (L - 2, L - 1, L)
    arrivals = {first, L - 2}
    for d in (*earlier, first + 2, *away):
        tenant.quiet.setdefault(d, set()).add(p["idx"])
    ip = one_ip(rng, london)
    for d in (*earlier, *away):
        hour = 14.0 if d in arrivals else 9.0  # arrival day: after a night flight and a transfer
        t0 = plan.day_us(d, hour) + int(rng.integers(0, 30 * 60 * US))
        s1 = human_signins(
            tenant,
            people,
            np.array([t0]),
            rng,
            interactive=True,
            place_override=london,
            ip=ip,
            mfa=True,
        )
        hours = t0 + np.arange(1, 8) * HOUR_US
        s2 = human_signins(
            tenant,
            people[np.zeros(7, dtype=np.int64)],
            hours,
            rng,
            interactive=False,
            place_override=london,
            ip=np.repeat(ip, 7),
        )
        # the same Graph use as at home: ~2.2 calls per token times the person's activity
        per = rng.poisson(2.2 * p["activity"], 7)
        tt = np.repeat(hours, per) + rng.integers(60 * US, 50 * 60 * US, int(per.sum()))
        g = calls(
            tenant,
            rng,
            s2[np.repeat(np.arange(7), per)],
            tt,
            [c[1] for c in HUMAN_CALLS],
            delegated=True,
            scopes=HUMAN_SCOPES,
            region=london.region,
            user_agent=world.RICH_CLIENT[0],
        )
        plan.signins.extend([s1, s2])
        plan.graph.append(g)
    ctx.benign(
        person_ids(p),
        plan.day_us(L - 2),
        plan.day_us(L + 1) - US,
        f"A person based in {world.PLACES[p['place']].city} flies to London: "
        "last home activity the day before, first London sign-in at 14:00 UTC with MFA "
        "(at least 14 hours later: a plausible speed), then ordinary working days there to "
        "the end of the period. The person visited the London office once before, in the "
        "learning period.",
    )


def helpdesk_busy_day(ctx: Context) -> None:
    """Normal volume swing: the helpdesk agent has a busy (but ordinary) Monday-like day."""
    tenant, plan, L = ctx.tenant, ctx.plan, ctx.last
    a = tenant.actor("helpdesk")
    t = spread(ctx.rng, plan.day_us(L - 3, 8.0), 9 * 60, int(a.volume * 0.5))
    s, g = actor_calls(tenant, ctx.rng, a, t, [c[1] for c in a.calls])
    plan.signins.append(s)
    plan.graph.append(g)
    ctx.benign(
        actor_ids(a),
        plan.day_us(L - 3),
        plan.day_us(L - 2) - US,
        "The helpdesk triage agent handles 1.5x its usual volume on one day "
        "with its usual paths, hours and addresses, well under its daily_request_limit.",
    )
