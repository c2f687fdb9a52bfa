"""Attribution gaps (AA-A01..A05): a token for a person the registry does not allow, a person's
account run as a script, one secret used from many places, agents nobody registered or
sponsors, Graph activity tied to no sign-in."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.generate import world
from pipeline.generate.entry import Context, actor_ids, person_ids
from pipeline.generate.frames import frame
from pipeline.generate.ids import token_ids, uuid
from pipeline.generate.planted import calls, one_ip, spread
from pipeline.generate.traffic import US, actor_signins, human_signins, obo_signins, to_time

AGENT_KINDS = ("agent_identity", "agent_user", "classic_agent")


def sales_obo(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    a = tenant.actor("sales")
    victim = tenant.human_by_role("obo_victim")
    people = tenant.humans.filter(pl.col("role") == "obo_victim")
    t = spread(rng, ctx.plan.day_us(ctx.last - 2, 14.0), 50, 35)
    s = obo_signins(tenant, a, people, np.array([t[0] - 60 * US]), rng)
    g = calls(
        tenant,
        rng,
        s,
        t,
        ["/me/messages?$top=50", "/me/drive/root/children", "/me/people"],
        delegated=True,
        scopes="Mail.Read Files.Read.All People.Read User.Read",
        region=a.place.region,
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        "The sales pipeline agent (on_behalf_of = false) obtains a delegated token for a "
        "person (non-interactive sign-in of the person whose client is the agent app, "
        "incomingTokenType onBehalfOf) and makes 35 delegated Graph calls carrying both the "
        "agent's app id and the person's user id.",
        on_behalf_of_ids=person_ids(victim),
    )


def human_scripted(ctx: Context) -> None:
    tenant, rng, L = ctx.tenant, ctx.rng, ctx.last
    p = tenant.human_by_role("scripted_human")
    people = tenant.humans.filter(pl.col("role") == "scripted_human")
    for d in (L - 1, L):
        tenant.quiet.setdefault(d, set()).add(p["idx"])
    t_sign = ctx.plan.day_us(L - 1, 0) + np.arange(0, 48 * 6) * 10 * 60 * US + 7 * US
    s = human_signins(
        tenant,
        people[np.zeros(len(t_sign), dtype=np.int64)],
        t_sign,
        rng,
        interactive=False,
        apps=[("1950a258-227b-4e31-a9cf-717495945fc2", "Microsoft Azure PowerShell")],
        user_agent="python-requests/2.32.3",
    )
    t = np.repeat(t_sign, 2) + np.tile([30 * US, 330 * US], len(t_sign))
    g = calls(
        tenant,
        rng,
        s[np.repeat(np.arange(len(t_sign)), 2)],
        t,
        ["/users/{user}", "/me/messages?$top=10"],
        delegated=True,
        scopes="User.Read.All Mail.Read",
        user_agent="python-requests/2.32.3",
        region="East US",
    )
    ctx.label(
        person_ids(p),
        s,
        g,
        "A person's account runs like a script for two days: a non-interactive sign-in every "
        "10 minutes around the clock (python-requests user agent, Azure PowerShell client), "
        "Graph calls at a fixed 5-minute cadence, and no interactive sign-in at all.",
    )


def ocr_shared_secret(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    a = tenant.actor("ocr")
    places = [
        world.CLOUD_PLACES[2],
        world.HOSTILE_PLACES[1],
        world.HOSTILE_PLACES[4],
        world.PLACES[6],
        world.PLACES[8],
        world.CLOUD_PLACES[0],
    ]
    uas = [
        world.GRAPH_SDK_UA,
        "python-requests/2.32.3",
        "curl/8.5.0",
        "PowerShell/7.4.6",
        "Go-http-client/2.0",
        world.GRAPH_SDK_UA,
    ]
    sig, gr = [], []
    for k, place in enumerate(places):
        tt = spread(rng, ctx.plan.day_us(ctx.last - 1, 10.0) + k * 7 * 60 * US, 8, 4)
        ip = one_ip(rng, place)
        s1 = actor_signins(tenant, a, np.array([tt[0] - 30 * US]), rng, ip=ip, place=place)
        sig.append(s1)
        gr.append(
            calls(
                tenant,
                rng,
                s1,
                tt,
                ["/drives/{drive_fin}/items/{item}/content"],
                roles=a.roles,
                user_agent=uas[k],
                region=place.region,
                size=200_000,
            )
        )
    ctx.label(
        actor_ids(a),
        pl.concat(sig),
        pl.concat(gr),
        "The invoice OCR agent's one client secret (same servicePrincipalCredentialKeyId) "
        "is used within one hour from six addresses in six networks and five countries, "
        "with five different user agents.",
    )


def shadow_agent(ctx: Context) -> None:
    a, L = ctx.tenant.actor("shadow"), ctx.last
    ctx.watch("sp_id", a.object_id, L - 2, L)
    ctx.label(
        actor_ids(a),
        None,
        None,
        "An agent identity ('growth-autopilot', agentType agenticAppInstance under a blueprint "
        "nobody declared) signs in and calls Graph for the last three days; it is absent from "
        "agentaudit.toml and has no sponsor.",
        window=(ctx.plan.day_us(L - 2), ctx.plan.day_us(L + 1) - US),
    )


def orphan_graph_activity(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    ghost_app, ghost_sp = uuid(rng), uuid(rng)
    t = spread(rng, ctx.plan.day_us(ctx.last - 2, 20.0), 45, 40)
    hostile = world.HOSTILE_PLACES[0]
    fake = frame(
        "signin",
        1,
        time=to_time(np.array([t[0] - 120 * US])),
        token_id=token_ids(rng, 1),
        app_id=ghost_app,
        sp_id=ghost_sp,
        ip=str(one_ip(rng, hostile)[0]),
    )
    g = calls(
        tenant,
        rng,
        fake,
        t,
        ["/users?$top=999", "/groups?$top=999", "/users/{user}/messages?$top=10"],
        roles="User.Read.All Group.Read.All Mail.Read",
        user_agent="python-requests/2.31.0",
        region=hostile.region,
    )
    ctx.plan.graph.append(g)
    ctx.label(
        [ghost_app, ghost_sp],
        None,
        None,
        "40 app-only Graph calls whose signInActivityId matches no sign-in and whose appId / "
        "servicePrincipalId never signed in anywhere in the logs.",
        extra_evidence=g["request_id"].to_list(),
        window=(int(t.min()), int(t.max())),
    )


def unsponsored_agents(ctx: Context) -> None:
    """Registered agents that nobody sponsors start work in the last days."""
    L = ctx.last
    unsponsored = [
        a for a in ctx.tenant.actors if a.declared and a.kind in AGENT_KINDS and not a.sponsor
    ]
    first = min(a.active_days[0] for a in unsponsored)
    ctx.label(
        [x for a in unsponsored for x in actor_ids(a)],
        None,
        None,
        "Registered agents with no sponsor start work: "
        + ", ".join(f"'{a.name}'" for a in unsponsored)
        + ". Each is in agentaudit.toml with an owner but no accountable sponsor.",
        window=(ctx.plan.day_us(first), ctx.plan.day_us(L + 1) - US),
    )
    for a in unsponsored:
        ctx.watch("sp_id", a.object_id, first, L)
