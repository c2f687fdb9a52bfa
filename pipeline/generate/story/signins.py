"""Sign-in anomalies (AA-S01..S04): a new country and network, impossible travel, password
spray and secret guessing, activity outside declared hours."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.generate import world
from pipeline.generate.entry import Context, actor_ids, person_ids
from pipeline.generate.planted import actor_calls, calls, km, one_ip, spread
from pipeline.generate.traffic import US, actor_signins, human_signins


def translation_new_country(ctx: Context) -> None:
    a = ctx.tenant.actor("translation")
    sp = world.HOSTILE_PLACES[1]
    t = spread(ctx.rng, ctx.plan.day_us(ctx.last - 1, 11.2), 45, 25)
    s, g = actor_calls(
        ctx.tenant,
        ctx.rng,
        a,
        t,
        ["/search/query", "/drives/{drive_kb}/items/{item}/content"],
        signin_kw=dict(place=sp, ip=one_ip(ctx.rng, sp)),
        region=sp.region,
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        f"The document translation agent, always seen from {a.place.city} "
        f"({a.place.country}, AS{a.place.asn}), signs in from Sao Paulo (BR, AS20473) and "
        "works from there for 45 minutes.",
    )


def impossible_travel(ctx: Context) -> None:
    tenant, rng, plan = ctx.tenant, ctx.rng, ctx.plan
    p = tenant.human_by_role("impossible_traveller")
    people = tenant.humans.filter(pl.col("role") == "impossible_traveller")
    home = world.PLACES[p["place"]]
    mos = world.HOSTILE_PLACES[0]
    t0 = plan.day_us(ctx.last - 1, 14.1)
    s_home = human_signins(tenant, people, np.array([t0]), rng, interactive=True)
    s_far = human_signins(
        tenant,
        people,
        np.array([t0 + 38 * 60 * US]),
        rng,
        interactive=True,
        place_override=mos,
        ip=one_ip(rng, mos),
        mfa=False,
    )
    g = calls(
        tenant,
        rng,
        s_far,
        spread(rng, t0 + 40 * 60 * US, 15, 8),
        ["/me/messages?$top=50", "/me/drive/root/children"],
        delegated=True,
        scopes="Mail.Read Files.Read.All",
        user_agent=world.BROWSERS[0][0],
        region=mos.region,
    )
    ctx.label(
        person_ids(p),
        pl.concat([s_home, s_far]),
        g,
        f"Two successful interactive sign-ins of the same person 38 minutes apart: "
        f"{home.city} ({home.country}) then Moscow (RU), about "
        f"{int(km(home, mos)):,} km apart; the person's own activity from home goes on the "
        "same day, so later pairs are impossible too (the window runs to the end of the day).",
        window=(t0, plan.day_us(ctx.last) - US),
    )


def password_spray(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    hanoi = world.HOSTILE_PLACES[4]
    ip = one_ip(rng, hanoi)
    targets = tenant.humans[20:50] if len(tenant.humans) >= 50 else tenant.humans[10:40]
    who = np.concatenate([np.arange(len(targets)), np.arange(len(targets))])
    t = spread(rng, ctx.plan.day_us(ctx.last - 2, 3.15), 14, len(who))
    s = human_signins(
        tenant,
        targets[who],
        t,
        rng,
        interactive=True,
        place_override=hanoi,
        ip=np.repeat(ip, len(who)),
        error_code=50126,
        failure_reason="Error validating credentials due to invalid username or password.",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        mfa=False,
        apps=[world.HUMAN_APPS[0]],
    )
    ctx.label(
        [ip[0]] + targets["id"].to_list() + targets["upn"].to_list(),
        s,
        None,
        f"Password spray: {len(who)} failed interactive sign-ins (error 50126) against "
        f"{len(targets)} different people from one address in Hanoi (VN) within 14 minutes.",
        source_ip=ip[0],
    )


def agent_secret_guessing(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    a = tenant.actor("support")
    lag = world.HOSTILE_PLACES[2]
    t = spread(rng, ctx.plan.day_us(ctx.last - 1, 2.0), 12, 45)
    s = actor_signins(
        tenant,
        a,
        t,
        rng,
        place=lag,
        ip=np.repeat(one_ip(rng, lag)[0], 45),
        error_code=7000215,
        failure_reason="Invalid client secret provided. Ensure the secret "
        "being sent in the request is the client secret value, not the client secret ID.",
        ca_status="notApplied",
    )
    ctx.label(
        actor_ids(a),
        s,
        None,
        "45 failed client-credential sign-ins (error 7000215, invalid client secret) "
        "against the customer support agent in 12 minutes from one address in Lagos.",
    )


def finance_at_night(ctx: Context) -> None:
    a = ctx.tenant.actor("finance")
    t = spread(ctx.rng, ctx.plan.day_us(ctx.last, 1.5), 60, 60)
    s, g = actor_calls(
        ctx.tenant,
        ctx.rng,
        a,
        t,
        [
            "/drives/{drive_fin}/items/{item}/content",
            "/sites/{site_fin}/lists/{list_spend}/items?$expand=fields&$top=50",
        ],
        size=120_000,
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        f"The finance automation agent (active_hours {a.hours[0]:02d}:00-{a.hours[1]:02d}:00 "
        "UTC, never active at night) signs in and makes 60 calls between 01:30 and 02:30 UTC.",
    )
