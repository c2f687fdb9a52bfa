"""Credential and privilege changes (AA-G01..G05): a new secret used from a new place, a mail
permission granted, an agent changed by a stranger, a dormant agent left enabled, sign-ins no
Conditional Access policy covers."""

from __future__ import annotations

from pipeline.generate import audits as au
from pipeline.generate import world
from pipeline.generate.entry import Context, actor_ids, person_ids
from pipeline.generate.ids import uuid
from pipeline.generate.planted import actor_calls, json_list, one_ip, spread
from pipeline.generate.traffic import US

G04_MIN_DAYS = 40


def notes_mail_grant(ctx: Context) -> None:
    tenant, when = ctx.tenant, ctx.plan.day_us(ctx.last - 2, 16.3)
    a = tenant.actor("meeting_notes")
    grant = au.app_role_granted(tenant, ctx.rng, when, tenant.human(tenant.admin), a, "Mail.Read")
    ctx.plan.audits.append(grant)
    ctx.label(
        actor_ids(a),
        None,
        None,
        "The identity administrator grants the application permission Mail.Read (app role "
        "on Microsoft Graph) to the meeting notes agent: 'Add app role assignment to service "
        "principal' on Graph's service principal, naming the agent in ServicePrincipal.ObjectID.",
        extra_evidence=[grant["id"]],
        window=(when, when),
    )


def recon_new_secret(ctx: Context) -> None:
    tenant, rng, plan = ctx.tenant, ctx.rng, ctx.plan
    a = tenant.actor("finance_recon")
    owner = tenant.human_by_role("platform_owner")
    new_key = uuid(rng)
    cred = au.credential_added(
        tenant, rng, plan.day_us(ctx.last - 1, 9.2), owner, a, new_key, "temp"
    )
    plan.audits.append(cred)
    lagos = world.HOSTILE_PLACES[2]
    t = spread(rng, plan.day_us(ctx.last - 1, 11.5), 30, 20)
    s, g = actor_calls(
        tenant,
        rng,
        a,
        t,
        ["/drives/{drive_fin}/items/{item}/content"],
        signin_kw=dict(place=lagos, ip=one_ip(rng, lagos), cred_key_id=new_key),
        region=lagos.region,
    )
    ctx.label(
        actor_ids(a),
        s,
        g,
        "A new client secret is added to the finance reconciliation agent ('Add service "
        "principal credentials'), and two hours later sign-ins using that new key id come "
        "from Lagos (NG, a network the agent never used).",
        extra_evidence=[cred["id"]],
    )


def finance_changed_by_stranger(ctx: Context) -> None:
    tenant, when = ctx.tenant, ctx.plan.day_us(ctx.last - 1, 19.4)
    a = tenant.actor("finance")
    mallory = tenant.human_by_role("mallory")
    change = au.audit(
        tenant,
        ctx.rng,
        when,
        "Update service principal",
        mallory,
        a,
        mods=[
            ("ReplyUrls", "[]", json_list(["https://finance-agent.example.net/callback"])),
            ("Included Updated Properties", None, au._q("ReplyUrls")),
        ],
    )
    ctx.plan.audits.append(change)
    ctx.label(
        actor_ids(a) + person_ids(mallory),
        None,
        None,
        "A user who is neither owner nor sponsor of the finance automation agent updates its "
        "service principal (new reply URL).",
        extra_evidence=[change["id"]],
        window=(when, when),
    )


def dormant_legacy(ctx: Context) -> None:
    """Needs ``days >= 40``: active on the first three days, then silent for 30+."""
    a, days = ctx.tenant.actor("legacy_expense"), ctx.plan.days
    if days < G04_MIN_DAYS:
        a.active_days = (days + 1, days + 1)  # never active: no half-told story
        ctx.plan.skipped.append(f"AA-G04 needs --days >= {G04_MIN_DAYS}")
        return
    ctx.watch("sp_id", a.object_id, 0, 2)
    ctx.label(
        actor_ids(a),
        None,
        None,
        "The legacy expense agent was active only on the first three days; it has been "
        f"silent for {days - 3} days yet is still enabled (no disable or credential "
        "removal in the audit log) with the credential added at its creation.",
        window=(ctx.plan.day_us(33), ctx.plan.day_us(ctx.last + 1) - US),
    )


def ca_gap(ctx: Context) -> None:
    tenant, plan, L = ctx.tenant, ctx.plan, ctx.last
    a = next((x for x in tenant.actors if x.key == "research_001"), tenant.actor("knowledge"))
    a.ca_gap_from = L - 2
    excl = au.audit(
        tenant,
        ctx.rng,
        plan.day_us(L - 3, 22.5),
        "Update conditional access policy",
        tenant.human(tenant.admin),
        {
            "target_id": world.CA_AGENTS[0],
            "target_name": world.CA_AGENTS[1],
            "target_type": "Policy",
            "target_upn": None,
        },
        category="Policy",
        mods=[("ConditionalAccessPolicy", None, json_list([f"excludeApplications:{a.app_id}"]))],
    )
    plan.audits.append(excl)
    ctx.watch("sp_id", a.object_id, L - 2, L)
    ctx.label(
        actor_ids(a),
        None,
        None,
        f"From {plan.iso(plan.day_us(L - 2))[:10]} every sign-in of '{a.name}' has "
        "conditionalAccessStatus notApplied (it was excluded from the agent policy), while "
        "all other agent identities' sign-ins are covered (success).",
        window=(plan.day_us(L - 2), plan.day_us(L + 1) - US),
        extra_evidence=[excl["id"]],
    )
