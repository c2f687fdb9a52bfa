"""Unexpected resource access (AA-R01..R04): paths outside the registry, new and rare paths,
directory enumeration, a day over the declared request limit."""

from __future__ import annotations

from pipeline.generate.entry import Context, actor_ids
from pipeline.generate.planted import actor_calls, planted_size, spread


def helpdesk_devices(ctx: Context) -> None:
    a = ctx.tenant.actor("helpdesk")
    t = spread(ctx.rng, ctx.plan.day_us(ctx.last - 1, 13.1), 40, 30)
    s, g = actor_calls(
        ctx.tenant,
        ctx.rng,
        a,
        t,
        ["/deviceManagement/managedDevices?$top=100", "/deviceManagement/managedDevices/{item}"],
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        "The IT helpdesk triage agent, registered for /users and /groups lookups only, reads "
        "/deviceManagement/managedDevices 30 times in 40 minutes: resource_path "
        "/deviceManagement/managedDevices(/{id}) matches none of its allowed_resources.",
    )


def access_new_paths(ctx: Context) -> None:
    a = ctx.tenant.actor("access_requests")
    t = spread(ctx.rng, ctx.plan.day_us(ctx.last - 2, 10.2), 55, 40)
    s, g = actor_calls(
        ctx.tenant, ctx.rng, a, t, ["/users/{user}/ownedDevices", "/groups/{group}/owners"]
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        "The IT access request agent starts reading /users/{id}/ownedDevices and "
        "/groups/{id}/owners (40 calls): paths inside its allowed_resources but never used by "
        "it before and by none of its helpdesk-blueprint peers.",
    )


def inventory_enumeration(ctx: Context) -> None:
    a = ctx.tenant.actor("inventory")
    paths = [
        "/users?$top=999&$skiptoken={item}",
        "/groups?$top=999&$skiptoken={item}",
        "/directoryRoles",
        "/directoryRoles/{group}/members",
        "/servicePrincipals?$top=999&$skiptoken={item}",
        "/applications?$top=999&$skiptoken={item}",
    ]
    n_recon = planted_size(ctx.tenant, 1200, 300)
    t = spread(ctx.rng, ctx.plan.day_us(ctx.last, 1.2), 110, n_recon)
    s, g = actor_calls(ctx.tenant, ctx.rng, a, t, paths, size=250_000)
    ctx.label(
        actor_ids(a),
        s,
        g,
        "The IT inventory agent pages through all users, groups, directory roles and their "
        f"members, service principals and applications: {n_recon:,} list calls in under two "
        f"hours against a baseline of about {int(a.volume)} a night.",
    )


def mailbox_over_limit(ctx: Context) -> None:
    a = ctx.tenant.actor("mail_triage")
    n_mail = max(planted_size(ctx.tenant, 3200, 0), int(a.limit * 1.6))
    t = spread(ctx.rng, ctx.plan.day_us(ctx.last - 1, 0.2), 23.5 * 60, n_mail)
    s, g = actor_calls(
        ctx.tenant,
        ctx.rng,
        a,
        t,
        [
            "/me/messages/{msg}",
            "/me/mailFolders/inbox/messages?$top=25&$select=subject,from,receivedDateTime",
        ],
        size=9000,
        delegated=True,
        scopes=a.scopes,
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        f"The mailbox triage agent user makes about {n_mail + int(a.volume):,} Graph requests "
        f"in a day ({n_mail:,} planted on top of its usual ~{int(a.volume)}), above its declared "
        f"daily_request_limit of {a.limit}.",
    )
