"""Access packages (AA-G06): an auto-approved privileged package without expiry, a package
outside the agent's declared ``access_packages``; and the sanctioned look-alike."""

from __future__ import annotations

from pipeline.generate.entry import Context, actor_ids
from pipeline.generate.provisioning import assign, audit_us, people_by_upn
from pipeline.generate.traffic import US


def _sponsored(ctx: Context, agent_key: str, pkg_key: str, day: int, hour: float, approve: bool):
    """The agent's sponsor requests package ``pkg_key`` for it (and approves it, or not)."""
    a = ctx.tenant.actor(agent_key)
    pkg = ctx.plan.packages[pkg_key]
    sponsor = people_by_upn(ctx.tenant)[a.sponsor]
    when = ctx.plan.day_us(ctx.last - day, hour)
    events = assign(ctx, when, pkg, a, "sponsor_on_behalf", sponsor, sponsor if approve else None)
    return a, pkg, events


def _package_label(ctx: Context, agent, events: list[dict], description: str) -> None:
    ctx.label(
        actor_ids(agent),
        None,
        None,
        description,
        extra_evidence=[e["id"] for e in events],
        window=(audit_us(events[0]), audit_us(events[-1])),
    )


def auto_approved_privileged(ctx: Context) -> None:
    a, pkg, ev = _sponsored(ctx, "access_requests", "helpdesk_admin", 1, 15.2, approve=False)
    _package_label(
        ctx,
        a,
        ev,
        f"The IT access request agent receives the access package '{pkg.name}' (User "
        "Administrator directory role and Microsoft Graph User.ReadWrite.All): the policy "
        "auto-approves it (no person approved) and the assignment never expires.",
    )


def outside_declared(ctx: Context) -> None:
    a, pkg, ev = _sponsored(ctx, "translation", "finance_payments", 2, 11.0, approve=True)
    _package_label(
        ctx,
        a,
        ev,
        f"The document translation agent (access_packages = {a.access_packages}) is assigned "
        f"'{pkg.name}' in the Finance catalogue, a package its registry entry does not "
        "declare; requested and approved by its sponsor, with an expiry.",
    )


def approved_by_sponsor(ctx: Context) -> None:
    a, pkg, ev = _sponsored(ctx, "studio_hr", "productivity_files", 1, 10.3, approve=True)
    ctx.benign(
        actor_ids(a),
        audit_us(ev[0]),
        audit_us(ev[-1]) + US - 1,
        f"The HR policy Q&A agent's sponsor requests '{pkg.name}' "
        "for it (declared: 'Productivity agents - *'), approves it, and the assignment expires "
        f"after {pkg.expiry_days} days.",
    )
