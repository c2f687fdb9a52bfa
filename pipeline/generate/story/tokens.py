"""Token and session replay (issue 18, AA-S05): an agent's access token replayed from another
network, a person's session replayed from another country; and their look-alikes: one client's
IPv4 and IPv6 addresses, one carrier's pool of addresses (people's sign-ins name the network,
``autonomousSystemNumber``; service principals' do not).

Graph activity names the token it was made with (``signInActivityId``, the ``uniqueTokenIdentifier``
of the sign-in that issued it) and, for a person's token, the session (``C_Sid``); sign-ins carry
both. A replayed token has no sign-in of its own where it is replayed: its thief never signed in.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.generate import world
from pipeline.generate.entry import Context, actor_ids, person_ids
from pipeline.generate.ids import ip6s, ips
from pipeline.generate.jobs import HUMAN_CALLS
from pipeline.generate.planted import calls, one_ip, spread
from pipeline.generate.traffic import HUMAN_SCOPES, US, actor_signins, human_signins

THIEF_UA = "python-requests/2.31.0"
THIEF_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
MINUTE = 60 * US


def _plain(ctx: Context, k: int) -> tuple[dict, pl.DataFrame]:
    """The ``k``-th person with no part in the rest of the story, and their row as a frame."""
    plain = ctx.tenant.humans.filter(pl.col("role") == "")
    return plain.row(k, named=True), plain[k]


def _human_calls(ctx: Context, signin: pl.DataFrame, times, *, ua: str, region: str, paths=None):
    return calls(
        ctx.tenant,
        ctx.rng,
        signin,
        times,
        paths or [c[1] for c in HUMAN_CALLS],
        delegated=True,
        scopes=HUMAN_SCOPES,
        user_agent=ua,
        region=region,
    )


def replayed_agent_token(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    a = tenant.actor("vendor_scheduler")
    issued = ctx.plan.day_us(ctx.last - 1, 10.0) + int(rng.integers(0, 10 * MINUTE))
    s = actor_signins(tenant, a, np.array([issued]), rng)
    paths = [c[1] for c in a.calls]
    own = calls(
        tenant,
        rng,
        s,
        spread(rng, issued + MINUTE, 25, 12),
        paths,
        roles=a.roles,
        region=a.place.region,
    )
    thief = world.HOSTILE_PLACES[1]
    stolen = s.with_columns(ip=pl.lit(str(one_ip(rng, thief)[0])))
    replayed = calls(
        tenant,
        rng,
        stolen,
        spread(rng, issued + 40 * MINUTE, 30, 20),
        paths,
        roles=a.roles,
        user_agent=THIEF_UA,
        region=thief.region,
    )
    ctx.label(
        actor_ids(a),
        s,
        pl.concat([own, replayed]),
        f"The third-party scheduling agent signs in from {a.place.city} (AS{a.place.asn}) "
        "and uses its token there; 40 minutes later, within the token's lifetime, the same "
        f"token (signInActivityId {s['token_id'][0]}) makes 20 calls from "
        f"{stolen['ip'][0]} in Sao Paulo (BR, AS{thief.asn}) with another user agent "
        f"({THIEF_UA}), an address none of the agent's sign-ins ever came from.",
        token_id=s["token_id"][0],
        replay_ips=[stolen["ip"][0]],
    )


def stolen_user_session(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    p, people = _plain(ctx, 2)
    home = world.PLACES[p["place"]]
    t0 = ctx.plan.day_us(ctx.last - 1, (p["start_utc"] + 2) % 24)
    signed = human_signins(tenant, people, np.array([t0]), rng, interactive=True)
    browser = signed["user_agent"][0]
    own = _human_calls(ctx, signed, spread(rng, t0 + MINUTE, 30, 8), ua=browser, region=home.region)
    thief = world.HOSTILE_PLACES[3]
    session = signed["session_id"][0]
    t1 = t0 + 95 * MINUTE
    replayed = human_signins(
        tenant,
        people,
        np.array([t1]),
        rng,
        interactive=False,
        place_override=thief,
        ip=one_ip(rng, thief),
        user_agent=THIEF_BROWSER,
    ).with_columns(session_id=pl.lit(session), device_id=pl.lit(""))
    theirs = _human_calls(
        ctx,
        replayed,
        spread(rng, t1 + MINUTE, 40, 25),
        ua=THIEF_BROWSER,
        region=thief.region,
        paths=["/me/messages?$top=50", "/me/messages/{msg}", "/me/drive/root/children"],
    )
    ctx.label(
        person_ids(p),
        pl.concat([signed, replayed]),
        pl.concat([own, theirs]),
        f"A person signs in from {home.city} ({home.country}, AS{home.asn}) and works; 95 "
        f"minutes later their session (sessionId {session}) refreshes a token from "
        f"Singapore (SG, AS{thief.asn}) with another browser, no device and no MFA, and that "
        "token reads their mail and files (Graph activity carrying the same session id).",
        session_id=session,
    )


def _routine_days(ctx: Context) -> list[int]:
    """Weekdays of the period: a look-alike's routine, learnt before the last days."""
    return [d for d in range(ctx.plan.days) if (ctx.plan.start.toordinal() + d) % 7 not in (5, 6)]


def _weekday_tokens(ctx: Context, p: dict, people: pl.DataFrame, hour: int, signin_ip, call_ips):
    """Each weekday of the period, a non-interactive sign-in of person ``p`` from
    ``signin_ip(k)`` (the k-th weekday) whose token makes six Graph calls from
    ``call_ips(k, 6)``, all with the sign-in's client."""
    home = world.PLACES[p["place"]]
    for k, d in enumerate(_routine_days(ctx)):
        t0 = ctx.plan.day_us(d, (p["start_utc"] + hour) % 24) + int(
            ctx.rng.integers(0, 30 * MINUTE)
        )
        s = human_signins(
            ctx.tenant, people, np.array([t0]), ctx.rng, interactive=False, ip=signin_ip(k)
        )
        t = spread(ctx.rng, t0 + MINUTE, 45, 6)
        used = s[np.zeros(len(t), dtype=np.int64)].with_columns(ip=pl.Series(call_ips(k, len(t))))
        ctx.plan.signins.append(s)
        ctx.plan.graph.append(_human_calls(ctx, used, t, ua=s["user_agent"][0], region=home.region))


def dual_stack_client(ctx: Context) -> None:
    """One laptop on a dual-stack office network: each token is used over IPv6 and IPv4."""
    p, people = _plain(ctx, 3)
    home = world.PLACES[p["place"]]
    v6 = np.array(ip6s(ctx.rng, home.asn, 1))
    both = np.array([v6[0], p["ip"]])
    _weekday_tokens(ctx, p, people, 1, lambda k: v6, lambda k, n: both[np.arange(n) % 2])
    ctx.benign(
        person_ids(p),
        ctx.plan.day_us(ctx.last - 2),
        ctx.plan.day_us(ctx.last + 1) - US,
        f"A person's laptop on the dual-stack office network in {home.city} signs in over "
        f"IPv6 ({v6[0]}) every weekday and uses each token over IPv6 and over IPv4 "
        f"({p['ip']}): two addresses of one client, both in AS{home.asn}, one user agent.",
    )


def provider_address_pool(ctx: Context) -> None:
    """A person on a mobile carrier whose address changes within the carrier's pool (carrier
    NAT): each token is used from several addresses of one network."""
    rng = ctx.rng
    p, people = _plain(ctx, 4)
    home = world.PLACES[p["place"]]
    pool = np.array([str(x) for x in ips(rng, np.array([home.prefix] * 4))])
    _weekday_tokens(
        ctx,
        p,
        people,
        3,
        lambda k: pool[[k % len(pool)]],
        lambda k, n: pool[rng.integers(0, len(pool), n)],
    )
    ctx.benign(
        person_ids(p),
        ctx.plan.day_us(ctx.last - 2),
        ctx.plan.day_us(ctx.last + 1) - US,
        f"A person's phone on a mobile carrier in {home.city} (AS{home.asn}) changes address "
        f"within the carrier's pool of {len(pool)}: each weekday's token is used from several "
        "of them, and the person's sign-ins come from each of them, all in one network.",
    )
