"""One ordinary day of the tenant, vectorised: sign-ins that mint tokens, and the Graph calls
made with them (every Graph record names the sign-in behind its token).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl

from pipeline.generate import world
from pipeline.generate.cast import Actor, Tenant
from pipeline.generate.frames import SIGNIN, empty, frame
from pipeline.generate.ids import token_ids, uuids
from pipeline.generate.jobs import HUMAN_CALLS, Call

GRAPH_BASE = "https://graph.microsoft.com/v1.0"
US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
STATUS = {"GET": 200, "POST": 200, "PATCH": 204, "PUT": 201, "DELETE": 204}
SIGNIN_CATEGORY = {
    "agent_identity": "ServicePrincipalSignInLogs",
    "classic_agent": "ServicePrincipalSignInLogs",
    "service_principal": "ServicePrincipalSignInLogs",
    "managed_identity": "ManagedIdentitySignInLogs",
    "agent_user": "NonInteractiveUserSignInLogs",
}


def day_start_us(day: date) -> int:
    return int((datetime(day.year, day.month, day.day) - datetime(1970, 1, 1)).total_seconds()) * US


def to_time(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us"))


def agent_block(tenant: Tenant, actor: Actor) -> dict[str, str | None]:
    """The ``properties.agent`` values of an actor's own sign-ins (none for classic kinds)."""
    if actor.kind == "agent_identity":
        bp = tenant.blueprints[actor.blueprint]
        return {
            "agent_type": "agenticAppInstance",
            "agent_parent_app_id": bp.app_id,
            "agent_subject_type": "agenticAppInstance",
            "agent_subject_parent_id": bp.principal_id,
        }
    if actor.kind == "agent_user":
        parent = tenant.actor(actor.parent)
        bp = tenant.blueprints[actor.blueprint]
        return {
            "agent_type": "agenticAppInstance",
            "agent_parent_app_id": bp.app_id,
            "agent_subject_type": "agentIDuser",
            "agent_subject_parent_id": parent.object_id,
        }
    return {}


def actor_signins(
    tenant: Tenant,
    actor: Actor,
    times_us: np.ndarray,
    rng: np.random.Generator,
    *,
    resource: tuple[str, str] | None = None,
    ip: np.ndarray | str | None = None,
    place: world.Place | None = None,
    error_code: int = 0,
    failure_reason: str | None = None,
    ca_status: str | None = None,
    cred_key_id: str | None = None,
    user_agent: str | None = None,
) -> pl.DataFrame:
    """Sign-ins of a non-human identity at the given times (one token each)."""
    n = len(times_us)
    place = place or actor.place
    resource = resource or actor.resources[0]
    if ip is None:
        ip = np.array(actor.addresses)[rng.integers(0, len(actor.addresses), n)]
    elif not isinstance(ip, str) and len(ip) == 1:
        ip = np.repeat(np.asarray(ip), n)
    kind = actor.kind
    if ca_status is None:
        if kind in ("agent_identity", "agent_user"):
            ca_status = "success" if actor.ca_covered else "notApplied"
        else:
            ca_status = "notApplied"
    agent = agent_block(tenant, actor)
    common = dict(
        time=to_time(times_us),
        category=SIGNIN_CATEGORY[kind],
        id=uuids(rng, n),
        correlation_id=uuids(rng, n),
        token_id=token_ids(rng, n),
        app_id=actor.app_id,
        resource_id=resource[0],
        resource_name=resource[1],
        ip=ip,
        city=place.city,
        state=place.state,
        country=place.country,
        lat=place.lat,
        lon=place.lon,
        asn=place.asn,
        interactive=False,
        error_code=error_code,
        failure_reason=failure_reason,
        ca_status=ca_status,
        mfa=False,
        incoming_token_type="none",
        processing_ms=rng.integers(0, 120, n),
        **agent,
    )
    if kind == "agent_user":
        parent = tenant.actor(actor.parent)
        return frame(
            "signin",
            n,
            session_id=uuids(rng, n),
            identity=actor.name,
            user_id=actor.object_id,
            upn=actor.upn,
            user_name=actor.name,
            user_type="Member",
            app_name=parent.name,
            sp_id=parent.object_id,
            user_agent=user_agent or world.AGENT_SDK_UA,
            client_app="Mobile Apps and Desktop clients",
            os="Linux",
            browser="",
            device_id="",
            cred_type="none",
            **common,
        )
    return frame(
        "signin",
        n,
        identity=actor.name,
        app_name=actor.name,
        sp_id=actor.object_id,
        sp_name=actor.name,
        cred_type=actor.credential_type,
        cred_key_id=cred_key_id or actor.credential_key_id,
        user_agent=user_agent,
        **common,
    )


def pick_calls(
    rng: np.random.Generator, call_lists: list[list[Call]], owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row (owner = index into call_lists) draw one call: method, path, size."""
    flat: list[Call] = []
    keys: list[float] = []
    for i, calls in enumerate(call_lists):
        weights = np.array([c[2] for c in calls], dtype=float)
        cum = np.cumsum(weights) / weights.sum()
        cum[-1] = 1.0
        flat.extend(calls)
        keys.extend(i + cum * 0.999999)
    key = owner + rng.random(len(owner)) * 0.999999
    idx = np.searchsorted(np.array(keys), key, side="left")
    idx = np.minimum(idx, len(flat) - 1)
    methods = np.array([c[0] for c in flat])[idx]
    paths = np.array([c[1] for c in flat])[idx]
    sizes = np.array([c[3] for c in flat])[idx]
    return methods, paths, sizes


def fill_paths(tenant: Tenant, paths: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Replace {placeholders} with ids drawn from the tenant's pools, column-wise."""
    n = len(paths)
    df = pl.DataFrame({"p": paths})
    expr = pl.col("p")
    for name, pool in tenant.pools.items():
        if not paths.str.contains("{" + name + "}", literal=True).any():
            continue
        df = df.with_columns(pl.Series(f"v_{name}", np.array(pool)[rng.integers(0, len(pool), n)]))
        expr = expr.str.replace_all("{" + name + "}", pl.col(f"v_{name}"), literal=True)
    if paths.str.contains("{msg}", literal=True).any():
        # Exchange item ids: long base64 ("AAMkAGI2…AAA="), like the real ones
        msg = "AAMkAGI2" + token_ids(rng, n) + token_ids(rng, n) + "AAA="
        df = df.with_columns(msg.alias("v_msg"))
        expr = expr.str.replace_all("{msg}", pl.col("v_msg"), literal=True)
    if paths.str.contains("{n}", literal=True).any():
        df = df.with_columns(pl.Series("v_n", rng.integers(1, 9000, n).astype(str)))
        expr = expr.str.replace_all("{n}", pl.col("v_n"), literal=True)
    return df.select(expr).to_series()


def graph_calls(
    tenant: Tenant,
    rng: np.random.Generator,
    signins: pl.DataFrame,
    counts: np.ndarray,
    call_lists: list[list[Call]],
    owner: np.ndarray,
    *,
    delegated: np.ndarray,
    roles: np.ndarray,
    scopes: np.ndarray,
    user_agent: np.ndarray,
    region: np.ndarray,
    spread_us: int = 55 * 60 * US,
) -> pl.DataFrame:
    """``counts[i]`` Graph calls made with sign-in ``i``'s token in the hour after it."""
    rows = np.repeat(np.arange(len(counts)), counts)
    n = len(rows)
    if n == 0:
        return empty("graph")
    s = signins.select(
        "time", "token_id", "app_id", "sp_id", "user_id", "ip", "device_id", "session_id"
    )[rows]
    start = s["time"].cast(pl.Int64).to_numpy()
    # a token's calls follow its sign-in but stay in the same UTC day: each day's files are
    # written by one worker only
    room = (start // DAY_US + 1) * DAY_US - start
    times = start + 1 + (rng.random(n) * np.minimum(spread_us, room - 1)).astype(np.int64)
    methods, paths, sizes = pick_calls(rng, call_lists, owner[rows])
    uri = fill_paths(tenant, pl.Series(np.char.add(GRAPH_BASE, paths)), rng)
    status = np.vectorize(STATUS.get, otypes=[np.int64])(methods)
    miss = rng.random(n) < 0.01
    status = np.where(miss, 404, status)
    size = np.where(
        (status == 204) | miss,
        np.where(miss, 294, 0),
        (sizes * rng.lognormal(0, 0.35, n)).astype(np.int64),
    )
    dele = delegated[rows]
    user_id = s["user_id"].to_numpy()
    ids = uuids(rng, n)
    return frame(
        "graph",
        n,
        time=to_time(times),
        request_id=ids,
        client_request_id=uuids(rng, n),
        method=methods,
        uri=uri,
        api_version="v1.0",
        status=status,
        duration_ms=(rng.lognormal(12.3, 0.6, n)).astype(np.int64),
        size=size,
        sign_in_id=s["token_id"],
        token_issued_at=s["time"].dt.truncate("1s"),
        app_id=s["app_id"],
        sp_id=np.where(dele, None, s["sp_id"].to_numpy()),
        user_id=np.where(dele, user_id, None),
        idtyp=np.where(dele, "user", "app"),
        roles=np.where(dele, "", roles[rows]),
        scopes=np.where(dele, scopes[rows], ""),
        ip=s["ip"],
        user_agent=user_agent[rows],
        region=region[rows],
        client_auth_method=np.where(dele, "0", "2"),
        device_id=np.where(dele, s["device_id"].fill_null("").to_numpy(), ""),
        session_id=np.where(dele, s["session_id"].fill_null("").to_numpy(), ""),
    )


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


def _actor_table(tenant: Tenant, actors: list[Actor]) -> pl.DataFrame:
    """Static sign-in columns of every actor, one row each (built once per tenant)."""
    cached = getattr(tenant, "_actor_table", None)
    if cached is not None:
        return cached
    rows = []
    for a in actors:
        agent = agent_block(tenant, a)
        user = a.kind == "agent_user"
        parent = tenant.actor(a.parent) if user else None
        rows.append(
            {
                "category": SIGNIN_CATEGORY[a.kind],
                "identity": a.name,
                "user_id": a.object_id if user else None,
                "upn": a.upn if user else None,
                "user_name": a.name if user else None,
                "user_type": "Member" if user else None,
                "app_id": a.app_id,
                "app_name": parent.name if parent else a.name,
                "sp_id": parent.object_id if parent else a.object_id,
                "sp_name": None if user else a.name,
                "city": a.place.city,
                "state": a.place.state,
                "country": a.place.country,
                "lat": a.place.lat,
                "lon": a.place.lon,
                "asn": a.place.asn,
                "user_agent": world.AGENT_SDK_UA if user else None,
                "client_app": "Mobile Apps and Desktop clients" if user else None,
                "os": "Linux" if user else None,
                "browser": "" if user else None,
                "device_id": "" if user else None,
                "cred_type": "none" if user else a.credential_type,
                "cred_key_id": None if user else a.credential_key_id,
                "agent_type": agent.get("agent_type"),
                "agent_parent_app_id": agent.get("agent_parent_app_id"),
                "agent_subject_type": agent.get("agent_subject_type"),
                "agent_subject_parent_id": agent.get("agent_subject_parent_id"),
            }
        )
    table = pl.DataFrame(rows, schema={k: SIGNIN[k] for k in rows[0]})
    object.__setattr__(tenant, "_actor_table", table)
    return table


def actors_day(
    tenant: Tenant, day_index: int, day: date, rng: np.random.Generator, actors: list[Actor]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sign-ins and app-only / agent-user Graph calls of non-human identities for one day,
    for all of them at once: an (identity x hour) activity matrix, one token per active hour."""
    base = day_start_us(day)
    n = len(actors)
    table = _actor_table(tenant, actors)
    eligible = np.array(
        [
            not a.obo_people
            and (not a.active_days or a.active_days[0] <= day_index <= a.active_days[1])
            for a in actors
        ]
    )
    volume = np.array([a.volume for a in actors])
    weekend = np.array([a.weekend for a in actors]) if _weekend(day) else np.ones(n)
    factor = rng.lognormal(0, 0.12, n) * weekend
    p_active = np.where(volume > 0, np.minimum(1.0, 0.55 + 0.45 * factor), 0.8)
    h0 = np.array([a.hours[0] for a in actors])
    h1 = np.array([a.hours[1] for a in actors])
    hours = np.arange(24)
    active = (
        (hours >= h0[:, None])
        & (hours < h1[:, None])
        & eligible[:, None]
        & (rng.random((n, 24)) < p_active[:, None])
    )
    who, hour = np.nonzero(active)
    if len(who) == 0:
        return empty("signin"), empty("graph")
    times = base + hour * HOUR_US + rng.integers(0, 8 * 60 * US, len(who))
    rate = volume * factor / np.maximum(1, active.sum(axis=1))
    counts = rng.poisson(rate[who])
    # Tokens for the other resources an identity uses (no Graph calls behind them).
    n_res = np.array([len(a.resources) for a in actors])
    extra = (n_res[who] > 1) & (rng.random(len(who)) < 0.35)
    ex_who = who[extra]
    ex_times = (
        base + (times[extra] + rng.integers(60 * US, 40 * 60 * US, len(ex_who)) - base) % DAY_US
    )
    max_res = int(n_res.max())
    res_id = np.array(
        [[r[0] for r in a.resources] + [""] * (max_res - len(a.resources)) for a in actors]
    )
    res_name = np.array(
        [[r[1] for r in a.resources] + [""] * (max_res - len(a.resources)) for a in actors]
    )
    ex_pick = 1 + (rng.random(len(ex_who)) * (n_res[ex_who] - 1)).astype(np.int64)
    all_who = np.concatenate([who, ex_who])
    pick = np.concatenate([np.zeros(len(who), dtype=np.int64), ex_pick])
    all_times = np.concatenate([times, ex_times])
    m = len(all_who)
    addresses = np.array([(a.addresses * 2)[:2] for a in actors])
    agentic = np.array([a.kind in ("agent_identity", "agent_user") for a in actors])
    covered = np.array(
        [
            a.ca_covered and not (a.ca_gap_from is not None and day_index >= a.ca_gap_from)
            for a in actors
        ]
    )
    ca = np.where(agentic & covered, "success", "notApplied")
    is_user = np.array([a.kind == "agent_user" for a in actors])
    dynamic = pl.DataFrame(
        {
            "time": to_time(all_times),
            "id": uuids(rng, m),
            "correlation_id": uuids(rng, m),
            "token_id": token_ids(rng, m),
            "session_id": uuids(rng, m),
            "_user": is_user[all_who],
            "resource_id": res_id[all_who, pick],
            "resource_name": res_name[all_who, pick],
            "ip": addresses[all_who, rng.integers(0, 2, m)],
            "ca_status": ca[all_who],
            "processing_ms": rng.integers(0, 120, m),
        }
    )
    signins = (
        pl.concat([table[all_who], dynamic], how="horizontal")
        .with_columns(
            pl.when(pl.col("session_id") == "")
            .then(None)
            .otherwise(pl.col("session_id"))
            .alias("session_id"),
            pl.lit(False).alias("interactive"),
            pl.lit(0, dtype=pl.Int64).alias("error_code"),
            pl.lit(None, dtype=pl.String).alias("failure_reason"),
            pl.lit(False).alias("mfa"),
            pl.lit("none").alias("incoming_token_type"),
        )
        .select([pl.col(k).cast(v) for k, v in SIGNIN.items()])
    )
    all_counts = np.concatenate([counts, np.zeros(len(ex_who), dtype=np.int64)])
    lists = [a.calls or [("GET", "/organization", 1, 400)] for a in actors]
    roles = np.array([a.roles for a in actors])
    scopes = np.array([a.scopes for a in actors])
    ua = np.where(agentic, world.AGENT_SDK_UA, world.GRAPH_SDK_UA)
    region = np.array([a.place.region for a in actors])
    g = graph_calls(
        tenant,
        rng,
        signins,
        all_counts,
        lists,
        all_who,
        delegated=is_user[all_who],
        roles=roles[all_who],
        scopes=scopes[all_who],
        user_agent=ua[all_who],
        region=region[all_who],
    )
    return signins, g


def human_signins(
    tenant: Tenant,
    people: pl.DataFrame,
    times_us: np.ndarray,
    rng: np.random.Generator,
    *,
    interactive: bool,
    apps: list[tuple[str, str]] | None = None,
    resource: tuple[str, str] = world.GRAPH,
    place_override: world.Place | None = None,
    ip: np.ndarray | None = None,
    error_code: int = 0,
    failure_reason: str | None = None,
    user_agent: str | None = None,
    mfa: bool | None = None,
    agent: dict | None = None,
) -> pl.DataFrame:
    """Sign-ins of people (one row per row of ``people``) at the given times."""
    n = len(people)
    apps = apps or list(world.HUMAN_APPS)
    app = np.array(apps)[rng.integers(0, len(apps), n)]
    places = [place_override or world.PLACES[p] for p in people["place"].to_list()]
    browsers = np.array(world.BROWSERS)[people["ua"].to_numpy()]
    ua = browsers[:, 0] if interactive else np.full(n, world.RICH_CLIENT[0])
    if user_agent:
        ua = np.full(n, user_agent)
    agent = agent or {}
    return frame(
        "signin",
        n,
        time=to_time(times_us),
        category="SignInLogs" if interactive else "NonInteractiveUserSignInLogs",
        id=uuids(rng, n),
        correlation_id=uuids(rng, n),
        token_id=token_ids(rng, n),
        session_id=uuids(rng, n),
        identity=people["name"],
        user_id=people["id"],
        upn=people["upn"],
        user_name=people["name"],
        user_type="Member",
        app_id=app[:, 0],
        app_name=app[:, 1],
        sp_id="",
        resource_id=resource[0],
        resource_name=resource[1],
        ip=ip if ip is not None else people["ip"],
        city=[p.city for p in places],
        state=[p.state for p in places],
        country=[p.country for p in places],
        lat=[p.lat for p in places],
        lon=[p.lon for p in places],
        asn=[p.asn for p in places],
        user_agent=ua,
        client_app="Browser" if interactive else "Mobile Apps and Desktop clients",
        os=browsers[:, 1],
        browser=browsers[:, 2] if interactive else world.RICH_CLIENT[2],
        device_id=people["device_id"],
        interactive=interactive,
        error_code=error_code,
        failure_reason=failure_reason,
        ca_status="success" if error_code == 0 else "notApplied",
        mfa=interactive if mfa is None else mfa,
        cred_type="none",
        incoming_token_type="none" if interactive else "refreshToken",
        processing_ms=rng.integers(20, 300, n),
        **agent,
    )


HUMAN_SCOPES = (
    "Mail.ReadWrite Calendars.ReadWrite Files.ReadWrite.All User.Read.All Team.ReadBasic.All"
)


def humans_day(
    tenant: Tenant, day_index: int, day: date, rng: np.random.Generator, people: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """People's interactive morning sign-in, hourly token refreshes and delegated Graph calls."""
    base = day_start_us(day)
    quiet = tenant.quiet.get(day_index)
    if quiet:
        people = people.filter(~pl.col("idx").is_in(list(quiet)))
    n = len(people)
    p_work = 0.08 if _weekend(day) else 0.93
    works = rng.random(n) < p_work
    present = people.filter(pl.Series(works))
    m = len(present)
    if m == 0:
        return empty("signin"), empty("graph")
    start = present["start_utc"].to_numpy()
    first = start * HOUR_US + rng.integers(0, 50 * 60 * US, m)  # from midnight UTC
    # hourly refresh-token sign-ins over a 9 hour day
    hours = np.arange(1, 10)
    mask = rng.random((m, len(hours))) < 0.7
    who, h = np.nonzero(mask)
    times = first[who] + hours[h] * HOUR_US + rng.integers(-20 * 60 * US, 20 * 60 * US, len(who))
    # A working day that crosses midnight UTC (people far east) is cut at the day's edges: its
    # early hours are the tail of the shift begun the evening before.
    first = base + first % DAY_US
    times = base + times % DAY_US
    inter = human_signins(tenant, present, first, rng, interactive=True)
    refresh = human_signins(
        tenant,
        present[who],
        times,
        rng,
        interactive=False,
        apps=[world.HUMAN_APPS[1], world.HUMAN_APPS[4]],
    )
    activity = present["activity"].to_numpy()[who]
    counts = rng.poisson(2.2 * activity)
    g = graph_calls(
        tenant,
        rng,
        refresh,
        counts,
        [HUMAN_CALLS],
        np.zeros(len(who), dtype=np.int64),
        delegated=np.ones(len(who), dtype=bool),
        roles=np.full(len(who), ""),
        scopes=np.full(len(who), HUMAN_SCOPES),
        user_agent=np.full(len(who), world.RICH_CLIENT[0]),
        region=np.array([world.PLACES[p].region for p in present["place"].to_numpy()[who]]),
    )
    return pl.concat([inter, refresh]), g


def obo_day(
    tenant: Tenant, day_index: int, day: date, rng: np.random.Generator, actors: list[Actor]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Agents that act with people's delegated tokens: the person's sign-in names the agent app."""
    base = day_start_us(day)
    signins, graphs = [], []
    if _weekend(day):
        return empty("signin"), empty("graph")
    for actor in actors:
        if not actor.obo_people:
            continue
        people = tenant.humans[actor.obo_people]
        sessions = rng.integers(1, 4, len(people))
        who = np.repeat(np.arange(len(people)), sessions)
        hrs = rng.integers(actor.hours[0], actor.hours[1], len(who))
        times = base + hrs * HOUR_US + rng.integers(0, 50 * 60 * US, len(who))
        s = obo_signins(tenant, actor, people[who], times, rng)
        counts = rng.poisson(actor.volume / max(1, len(who)), len(who))
        g = graph_calls(
            tenant,
            rng,
            s,
            counts,
            [actor.calls],
            np.zeros(len(who), dtype=np.int64),
            delegated=np.ones(len(who), dtype=bool),
            roles=np.full(len(who), ""),
            scopes=np.full(len(who), actor.scopes),
            user_agent=np.full(len(who), world.AGENT_SDK_UA),
            region=np.full(len(who), actor.place.region),
        )
        signins.append(s)
        graphs.append(g)
    if not signins:
        return empty("signin"), empty("graph")
    return pl.concat(signins), pl.concat(graphs)


def obo_signins(
    tenant: Tenant,
    actor: Actor,
    people: pl.DataFrame,
    times: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """A person's non-interactive sign-in whose client is an agent acting on their behalf."""
    bp = tenant.blueprints[actor.blueprint]
    s = human_signins(
        tenant,
        people,
        times,
        rng,
        interactive=False,
        apps=[(actor.app_id, actor.name)],
        user_agent=world.AGENT_SDK_UA,
        agent={
            "agent_type": "agenticAppInstance",
            "agent_parent_app_id": bp.app_id,
            "agent_subject_type": "notAgentic",
            "agent_subject_parent_id": None,
        },
    )
    n = len(people)
    return s.with_columns(
        pl.lit(actor.object_id).alias("sp_id"),
        pl.Series("ip", np.array(actor.addresses)[rng.integers(0, 2, n)]),
        pl.lit(actor.place.city).alias("city"),
        pl.lit(actor.place.state).alias("state"),
        pl.lit(actor.place.country).alias("country"),
        pl.lit(actor.place.lat).alias("lat"),
        pl.lit(actor.place.lon).alias("lon"),
        pl.lit(actor.place.asn, dtype=pl.Int64).alias("asn"),
        pl.lit("onBehalfOf").alias("incoming_token_type"),
        pl.lit(False).alias("mfa"),
    )


def normal_day(
    tenant: Tenant,
    day_index: int,
    day: date,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Everything ordinary that happens on ``day``."""
    parts = [
        humans_day(tenant, day_index, day, rng, tenant.humans),
        actors_day(tenant, day_index, day, rng, tenant.actors),
        obo_day(tenant, day_index, day, rng, tenant.actors),
    ]
    return pl.concat([p[0] for p in parts]), pl.concat([p[1] for p in parts])
