"""Behaviour anomalies (AA-M01): a day unlike any other on every feature at once."""

from __future__ import annotations

import numpy as np

from pipeline.generate import world
from pipeline.generate.entry import Context, actor_ids
from pipeline.generate.planted import actor_calls, one_ip, planted_size, spread


def knowledge_odd_day(ctx: Context) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    a = tenant.actor("knowledge")
    us_cloud = world.CLOUD_PLACES[0]
    n_odd = planted_size(tenant, 1100, 150)
    t = spread(rng, ctx.plan.day_us(ctx.last - 2, 0.5), 22 * 60, n_odd)
    status = np.where(rng.random(n_odd) < 0.25, 403, 200)
    s, g = actor_calls(
        tenant,
        rng,
        a,
        t,
        [
            "/sites/{site_fin}/drive/root/children",
            "/sites/{site_sales}/lists/{list_deals}/items",
            "/sites/{site_kb}/pages/{item}",
            "/search/query",
            "/drives/{drive_hr}/items/{item}",
        ],
        status=status,
        size=60_000,
        signin_kw=dict(place=us_cloud, ip=one_ip(rng, us_cloud)),
        region=us_cloud.region,
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        "The knowledge base agent's day is unlike its history on every feature at once: "
        "about 5x its volume, five new sites and drives, a new address and region (US), "
        "a quarter of requests failing with 403, and activity through the night.",
    )
