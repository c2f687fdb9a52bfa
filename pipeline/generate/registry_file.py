"""The tenant's ``agentaudit.toml``: workspace paths, the agent registry (what the tenant
declares; shadow agents are deliberately missing) and the sensitivity of the tenant's paths."""

from __future__ import annotations

import json

from pipeline.generate.cast import Tenant

#: Sensitivity of the Graph paths and resources this tenant's agents use.
RESOURCES: list[tuple[str, str, str]] = [
    ("graph:/me/messages", "mail", "the signed-in mailbox"),
    ("graph:/me/messages/**", "mail", "messages of the signed-in mailbox"),
    ("graph:/me/mailFolders/**", "mail", "mail folders of the signed-in mailbox"),
    ("graph:/users/*/messages", "mail", "anyone's mailbox"),
    ("graph:/users/*/messages/**", "mail", "messages in anyone's mailbox"),
    ("graph:/users/*/mailFolders/**", "mail", "mail folders of anyone's mailbox"),
    ("graph:/users", "pii", "the user directory with profile attributes"),
    ("graph:/users/*", "pii", "a user's profile"),
    ("graph:/directoryRoles", "directory", "directory roles"),
    ("graph:/directoryRoles/**", "directory", "directory role members"),
    ("graph:/servicePrincipals", "directory", "service principals"),
    ("graph:/applications", "directory", "app registrations"),
    ("Dynamics 365 Finance", "financial", "the finance ERP"),
    ("Azure Key Vault", "secrets", "secrets and keys"),
]


def _q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def registry_toml(tenant: Tenant) -> str:
    """The workspace configuration text for a generated tenant."""
    out = [
        f"# agentaudit workspace of the synthetic tenant {tenant.tenant_id} (seed {tenant.seed}).",
        "# Made by `agentaudit generate`; shadow agents are deliberately absent from [[agents]].",
        "",
        "[workspace]",
        'lake = "lake"',
        'inputs = ["input"]',
        "",
    ]
    kinds = {
        "agent_identity": "agent_identity",
        "agent_user": "agent_user",
        "classic_agent": "service_principal",
    }
    for a in tenant.actors:
        if not a.declared or a.kind not in kinds:
            continue
        out.append("[[agents]]")
        out.append(f"id = {_q(a.object_id)}")
        out.append(f"app_id = {_q(a.app_id)}")
        out.append(f"name = {_q(a.name)}")
        out.append(f"kind = {_q(kinds[a.kind])}")
        if a.blueprint:
            out.append(f"blueprint = {_q(tenant.blueprints[a.blueprint].app_id)}")
        if a.sponsor:
            out.append(f"sponsor = {_q(a.sponsor)}")
        if a.owner:
            out.append(f"owner = {_q(a.owner)}")
        if a.purpose:
            out.append(f"purpose = {_q(a.purpose)}")
        out.append(f"allowed_resources = {_q(a.allowed)}")
        out.append(f"pii_clearance = {_q(a.clearance)}")
        out.append(f"on_behalf_of = {'true' if a.on_behalf_of else 'false'}")
        if a.hours != (0, 24):
            out.append(f'active_hours = "{a.hours[0]:02d}:00-{a.hours[1]:02d}:00"')
        if a.limit:
            out.append(f"daily_request_limit = {a.limit}")
        out.append(f"countries = {_q(a.countries)}")
        if a.access_packages:
            out.append(f"access_packages = {_q(a.access_packages)}")
        out.append("")
    for match, tag, why in RESOURCES:
        out.append("[[resources]]")
        out.append(f"match = {_q(match)}")
        out.append(f"sensitivity = {_q(tag)}")
        out.append(f"description = {_q(why)}")
        out.append("")
    return "\n".join(out)
