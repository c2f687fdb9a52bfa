"""Who lives in the synthetic tenant: people, agents of every Entra Agent ID kind, service
principals and managed identities (their entries in ``roster.py``), each with the job that
shapes its traffic.

Everything is drawn from one seeded generator, so a seed always makes the same tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipeline.errors import UsageError
from pipeline.generate import roster, world
from pipeline.generate.ids import ips, uuid, uuids
from pipeline.generate.jobs import Call

DOMAIN = "contoso-labs.com"
#: the kinds that are agents (the others: service principals, managed identities)
AGENT_KINDS = ("agent_identity", "agent_user", "classic_agent")


@dataclass
class Actor:
    """A non-human identity with its job."""

    key: str
    name: str
    kind: str  # agent_identity | agent_user | classic_agent | service_principal | managed_identity
    object_id: str
    app_id: str
    place: world.Place
    addresses: list[str]
    volume: float  # Graph calls on an average weekday (0 = only sign-ins)
    calls: list[Call]
    resources: list[tuple[str, str]]
    hours: tuple[int, int]  # UTC, start inclusive, end exclusive
    declared: bool = True
    blueprint: str | None = None  # blueprint key
    upn: str | None = None  # agent users
    parent: str | None = None  # agent users: the agent identity's key
    sponsor: str | None = None
    owner: str | None = None
    purpose: str = ""
    allowed: list[str] = field(default_factory=list)
    clearance: list[str] = field(default_factory=list)
    on_behalf_of: bool = False
    obo_people: list[int] = field(default_factory=list)  # human indexes it acts for
    limit: int | None = None
    weekend: float = 0.35  # weekend volume factor
    roles: str = ""
    scopes: str = ""
    credential_key_id: str = ""
    credential_type: str = "clientAssertion"
    active_days: tuple[int, int] | None = None  # first and last day index it is active
    ca_covered: bool = True
    ca_gap_from: int | None = None  # from this day index its sign-ins escape Conditional Access
    countries: list[str] = field(default_factory=list)
    # governance (issue 13): how it came to be, and the access packages it may hold
    channel: str = "admin-or-api"  # expected creation_channel (ground truth of labels.json)
    tags: list[str] = field(default_factory=list)  # servicePrincipal tags set at creation
    creation_details: list[tuple[str, str]] = field(default_factory=list)  # additionalDetails
    access_packages: list[str] = field(default_factory=list)  # registry globs


@dataclass(frozen=True)
class Blueprint:
    key: str
    name: str
    app_id: str
    principal_id: str
    declared: bool = True
    channel: str = "admin-or-api"  # how its agents are made (see governance.CHANNELS)


@dataclass
class Tenant:
    tenant_id: str
    seed: int
    days: int
    humans: pl.DataFrame
    actors: list[Actor]
    blueprints: dict[str, Blueprint]
    pools: dict[str, list[str]]
    admin: int  # index of the identity administrator (a human)
    quiet: dict[int, set[int]] = field(default_factory=dict)  # day -> people the story moves
    scale: float = 1.0  # the volume factor everyone's ordinary traffic was drawn with

    def actor(self, key: str) -> Actor:
        for actor in self.actors:
            if actor.key == key:
                return actor
        raise KeyError(key)

    def human(self, idx: int) -> dict:
        return self.humans.row(idx, named=True)

    def human_by_role(self, role: str) -> dict:
        return self.humans.filter(pl.col("role") == role).row(0, named=True)


#: People with a part in the story (sponsors, owners, incident victims), by role name.
ROLES = (
    "cfo",
    "platform_owner",
    "it_owner",
    "research_owner",
    "productivity_owner",
    "identity_admin",
    "mallory",
    "traveller",
    "impossible_traveller",
    "scripted_human",
    "obo_victim",
)
MIN_HUMANS = 40


def _people(rng: np.random.Generator, n: int) -> pl.DataFrame:
    first = rng.choice(world.FIRST_NAMES, n)
    last = rng.choice(world.LAST_NAMES, n)
    names = [f"{a} {b}" for a, b in zip(first, last, strict=True)]
    upns, seen = [], {}
    for a, b in zip(first, last, strict=True):
        base = f"{a}.{b}".lower().replace(" ", "").replace("-", "")
        seen[base] = seen.get(base, 0) + 1
        suffix = "" if seen[base] == 1 else str(seen[base])
        upns.append(f"{base}{suffix}@{DOMAIN}")
    # Most staff in the first four offices, the rest spread out.
    weights = np.array([4, 4, 3, 3, 2, 1, 1, 1, 1, 1], dtype=float)
    place = rng.choice(len(world.PLACES), n, p=weights / weights.sum())
    place[: len(ROLES)] = [1, 1, 3, 0, 2, 1, 4, 0, 1, 2, 3]  # the cast's homes, fixed
    prefixes = np.array([world.PLACES[p].prefix for p in place])
    ua = rng.integers(0, len(world.BROWSERS), n)
    roles = list(ROLES) + [""] * (n - len(ROLES))
    start_local = rng.integers(7, 10, n)
    return pl.DataFrame(
        {
            "idx": np.arange(n),
            "id": uuids(rng, n),
            "upn": upns,
            "name": names,
            "role": roles,
            "place": place,
            "ip": ips(rng, prefixes),
            "ua": ua,
            "device_id": uuids(rng, n),
            # office hours in UTC: local start minus the place's offset
            "start_utc": (start_local - np.array([world.PLACES[p].utc_offset for p in place])) % 24,
            "activity": rng.gamma(4.0, 0.25, n),  # how busy this person is (mean 1)
        }
    )


def _draw(rng: np.random.Generator, entry: dict, upn, days: int, **fmt: str) -> Actor:
    """The Actor of a roster entry, its ids drawn from ``rng`` in this order: object id, app
    id, two addresses in its network, credential key id."""
    kw = {k: list(v) if isinstance(v, list) else v for k, v in entry.items()}
    for who in ("sponsor", "owner"):
        if who in kw:
            kw[who] = upn(kw[who])
    if "tags" in kw:
        kw["tags"] = [t.format(**fmt) for t in kw["tags"]]
    last = kw.pop("last_days", None)
    if last is not None:
        kw["active_days"] = (days - last, days - 1)
    place = kw["place"]
    return Actor(
        object_id=uuid(rng),
        app_id=uuid(rng),
        addresses=[str(a) for a in ips(rng, np.array([place.prefix] * 2))],
        credential_key_id=uuid(rng),
        countries=[place.country],
        **kw,
    )


def build_tenant(seed: int, days: int, agents: int, humans: int, scale: float = 1.0) -> Tenant:
    """The tenant for ``seed``: at least the story's cast, grown to ``agents`` and ``humans``."""
    if humans < MIN_HUMANS:
        raise UsageError(f"--humans {humans}: the story needs at least {MIN_HUMANS} people")
    rng = np.random.default_rng([seed, 0xC457])
    tenant_id = uuid(rng)
    people = _people(rng, humans)

    def upn(role: str) -> str:
        return people.filter(pl.col("role") == role)["upn"][0]

    blueprints = {
        key: Blueprint(key, name, uuid(rng), uuid(rng), declared)
        for key, name, declared in roster.BLUEPRINTS
    }
    cast = [_draw(rng, entry, upn, days) for entry in roster.CORE]
    # The mailbox agent user belongs to its own agent identity (its parent).
    mail_parent = _draw(rng, roster.MAIL_PARENT, upn, days)
    mail = next(a for a in cast if a.key == "mail_triage")
    mail.parent, mail.upn, mail.app_id = (
        "mail_identity",
        f"ap-mailbox-agent@{DOMAIN}",
        mail_parent.app_id,
    )
    cast.insert(0, mail_parent)
    declared_core = sum(1 for a in cast if a.kind in AGENT_KINDS)
    extra = agents - declared_core
    if extra < 0:
        raise UsageError(f"--agents {agents}: the story needs at least {declared_core} agents")
    for i in range(extra):
        volume = float(rng.uniform(40, 260))
        hours = (int(rng.integers(4, 9)), int(rng.integers(17, 23)))
        weekend = float(rng.uniform(0.05, 0.5))
        cast.append(_draw(rng, roster.research_assistant(i, volume, hours, weekend), upn, days))
    governance_pools = _governance_cast(seed, days, cast, blueprints, upn)
    for a in cast:
        a.volume *= scale
    # People's Graph use shrinks less than agents' volume: a person signs in every working hour
    # anyway, and a day with no call at all is not what people look like.
    people = people.with_columns(pl.col("activity") * max(scale, 0.5))
    pools = {"user": people["id"].to_list(), **_pools(rng), **governance_pools}
    admin = int(people.filter(pl.col("role") == "identity_admin")["idx"][0])
    return Tenant(tenant_id, seed, days, people, cast, blueprints, pools, admin, scale=scale)


def _chars(rng: np.random.Generator, alphabet: str, n: int) -> str:
    return "".join(rng.choice(list(alphabet), n))


def _pools(rng: np.random.Generator) -> dict[str, list[str]]:
    """The ids Graph paths are filled with: groups, drive items, sites, drives, lists, plans."""
    site = DOMAIN.split(".")[0]
    drive = "abcdefghijkLMNOPQRSTUVWXYZ0123456789"
    return {
        "group": [str(g) for g in uuids(rng, 40)],
        "item": [f"01{_chars(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 32)}" for _ in range(400)],
        **{
            k: [f"{site}.sharepoint.com,{uuid(rng)},{uuid(rng)}"]
            for k in ("site_fin", "site_kb", "site_sales", "site_support")
        },
        **{k: [f"b!{_chars(rng, drive, 64)}"] for k in ("drive_fin", "drive_kb", "drive_hr")},
        **{k: [uuid(rng)] for k in ("list_spend", "list_deals", "list_tickets")},
        "plan": [_chars(rng, drive, 28) for _ in range(6)],
    }


def _governance_cast(seed, days, cast, blueprints, upn) -> dict[str, list[str]]:
    """Issue 13: agents of every creation channel (Copilot Studio, Security Copilot, a
    consented third-party app, an admin's script) beside the blueprint agents, and each
    agent's declared access packages. Drawn from a stream of their own, so the rest of the
    tenant of a seed is what it was before them."""
    rng = np.random.default_rng([seed, 0xC4A7])
    blueprints["copilot_studio"] = Blueprint(
        "copilot_studio", "Copilot Studio Agents", uuid(rng), uuid(rng), True, "copilot-studio"
    )
    blueprints["security_copilot"] = Blueprint(
        "security_copilot",
        "Microsoft Security Copilot Agents",
        uuid(rng),
        uuid(rng),
        True,
        "security-copilot",
    )
    for key, declared, channel in (
        ("research", True, "azure-ai-foundry"),
        ("growth", False, "unknown"),
    ):
        bp = blueprints[key]
        blueprints[key] = Blueprint(bp.key, bp.name, bp.app_id, bp.principal_id, declared, channel)
    bots = dict(bot=uuid(rng), legacy_bot=uuid(rng))
    channel_agents = [_draw(rng, entry, upn, days, **bots) for entry in roster.CHANNEL_AGENTS]
    cast.extend(channel_agents)
    for a in channel_agents:
        if not a.sponsor:  # unsponsored agents start work in the last days (AA-A04)
            a.active_days = (days - 3, days - 1)
    for a in cast:
        bp = blueprints.get(a.blueprint or "")
        if bp is not None and a.kind in ("agent_identity", "agent_user"):
            a.channel = bp.channel
        if a.kind == "agent_identity" and not a.tags:
            a.tags = ["AgenticInstance"]
        if a.declared and not a.access_packages:
            a.access_packages = list(roster.DECLARED_PACKAGES.get(a.blueprint or "", []))
        if a.kind in ("service_principal", "managed_identity"):
            a.channel = ""  # not an agent: no creation channel
    # the Entitlement Management service principal (initiator of automatic steps) and the
    # first-party apps that create blueprint principals for their products
    return {
        "em_service": [uuid(rng), uuid(rng)],
        "graph_sp": [uuid(rng)],  # Microsoft Graph's service principal in this tenant
        "foundry_app": [uuid(rng), uuid(rng)],
        "copilot_studio_app": [uuid(rng), uuid(rng)],
        "security_copilot_app": [uuid(rng), uuid(rng)],
    }
