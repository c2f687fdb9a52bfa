"""Building blocks of planted traffic: Graph calls made with a sign-in's token, times spread
over a span, an agent's hourly tokens and its calls, and sizes that follow ``--scale``."""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from pipeline.generate import world
from pipeline.generate.cast import Actor, Tenant
from pipeline.generate.frames import frame
from pipeline.generate.ids import ips, uuids
from pipeline.generate.traffic import GRAPH_BASE, HOUR_US, US, actor_signins, fill_paths, to_time


def calls(
    tenant: Tenant,
    rng: np.random.Generator,
    signin: pl.DataFrame,
    times: np.ndarray,
    paths: list[str] | np.ndarray,
    *,
    method: str | np.ndarray = "GET",
    size: int = 4000,
    status: int | np.ndarray = 200,
    delegated: bool = False,
    roles: str = "",
    scopes: str = "",
    user_agent: str = world.AGENT_SDK_UA,
    region: str = "West Europe",
) -> pl.DataFrame:
    """Graph calls made with ``signin``'s token (one sign-in row per call, or a single row)."""
    n = len(times)
    if len(signin) == 1:
        signin = signin[np.zeros(n, dtype=np.int64)]
    paths = np.asarray(paths)
    if len(paths) != n:
        paths = paths[rng.integers(0, len(paths), n)]
    uri = fill_paths(tenant, pl.Series(np.char.add(GRAPH_BASE, paths)), rng)
    return frame(
        "graph",
        n,
        time=to_time(np.asarray(times)),
        request_id=uuids(rng, n),
        client_request_id=uuids(rng, n),
        method=method if isinstance(method, str) else np.asarray(method),
        uri=uri,
        api_version="v1.0",
        status=status if isinstance(status, int) else np.asarray(status),
        duration_ms=rng.lognormal(12.3, 0.6, n).astype(np.int64),
        size=(size * rng.lognormal(0, 0.3, n)).astype(np.int64),
        sign_in_id=signin["token_id"],
        token_issued_at=signin["time"].dt.truncate("1s"),
        app_id=signin["app_id"],
        sp_id=None if delegated else signin["sp_id"],
        user_id=signin["user_id"] if delegated else None,
        idtyp="user" if delegated else "app",
        roles="" if delegated else roles,
        scopes=scopes if delegated else "",
        ip=signin["ip"],
        user_agent=user_agent,
        region=region,
        client_auth_method="0" if delegated else "2",
        device_id="",
        session_id=signin["session_id"].fill_null("") if delegated else "",
    )


def spread(rng: np.random.Generator, start_us: int, minutes: float, n: int) -> np.ndarray:
    """``n`` sorted times within ``minutes`` of ``start_us``."""
    return np.sort(start_us + rng.integers(0, int(minutes * 60 * US), n))


def hourly_signins(
    tenant: Tenant, rng: np.random.Generator, actor: Actor, times: np.ndarray, **kw
) -> tuple[pl.DataFrame, np.ndarray]:
    """One token per hour touched by ``times``; returns the sign-ins and each call's sign-in."""
    hours = times // HOUR_US
    uniq, which = np.unique(hours, return_inverse=True)
    first = np.array([times[which == i].min() for i in range(len(uniq))]) - 90 * US
    s = actor_signins(tenant, actor, first, rng, **kw)
    return s, which


def actor_calls(
    tenant, rng, actor: Actor, times, paths, *, signin_kw=None, **kw
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """An agent's Graph calls at ``times`` with hourly tokens: (sign-ins, calls)."""
    s, which = hourly_signins(tenant, rng, actor, times, **(signin_kw or {}))
    kw.setdefault("roles", actor.roles)
    kw.setdefault("region", actor.place.region)
    g = calls(tenant, rng, s[which], times, paths, **kw)
    return s, g


def one_ip(rng: np.random.Generator, place: world.Place) -> np.ndarray:
    """One address in ``place``'s network, as the one-element array sign-in builders take."""
    return np.array([str(ips(rng, np.array([place.prefix]))[0])])


def planted_size(tenant: Tenant, full: int, floor: int) -> int:
    """Size of a volume incident: ``full`` at normal volume, shrunk with --scale (the
    baselines it must stand out from shrink too), never below ``floor``."""
    return max(floor, int(full * min(1.0, tenant.scale)))


def json_list(values: list[str]) -> str:
    return json.dumps(values)


def km(a: world.Place, b: world.Place) -> float:
    la1, lo1, la2, lo2 = map(np.radians, (a.lat, a.lon, b.lat, b.lon))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return float(2 * 6371 * np.arcsin(np.sqrt(h)))
