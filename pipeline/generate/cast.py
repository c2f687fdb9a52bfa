"""Who lives in the synthetic tenant: people, agents of every Entra Agent ID kind, service
principals and managed identities, each with the job that shapes its traffic.

Everything is drawn from one seeded generator, so a seed always makes the same tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipeline.errors import UsageError
from pipeline.generate import world
from pipeline.generate.ids import ips, uuid, uuids

DOMAIN = "contoso-labs.com"
#: the kinds that are agents (the others: service principals, managed identities)
AGENT_KINDS = ("agent_identity", "agent_user", "classic_agent")

# A Graph call template: method, path (with {placeholders}), weight, mean response bytes.
Call = tuple[str, str, float, int]

FINANCE_CALLS: list[Call] = [
    ("GET", "/sites/{site_fin}/drive/root:/Invoices/Incoming:/children", 3, 5200),
    ("GET", "/drives/{drive_fin}/items/{item}/content", 6, 180_000),
    ("GET", "/sites/{site_fin}/lists/{list_spend}/items?$expand=fields&$top=50", 3, 24_000),
    ("PATCH", "/sites/{site_fin}/lists/{list_spend}/items/{n}/fields", 4, 900),
    ("PUT", "/drives/{drive_fin}/items/{item}/content", 0.3, 1200),
]
HELPDESK_CALLS: list[Call] = [
    ("GET", "/users/{user}", 6, 1400),
    ("GET", "/users/{user}/manager", 2, 1100),
    ("GET", "/users/{user}/memberOf", 2, 3800),
    ("GET", "/groups/{group}/members", 2, 6400),
]
INVENTORY_CALLS: list[Call] = [
    ("GET", "/users?$select=id,displayName,accountEnabled&$top=100", 2, 38_000),
    ("GET", "/groups?$select=id,displayName&$top=100", 1, 21_000),
    ("GET", "/devices?$select=id,displayName,operatingSystem&$top=100", 2, 30_000),
]
RESEARCH_CALLS: list[Call] = [
    ("POST", "/search/query", 5, 16_000),
    ("GET", "/sites/{site_kb}/pages/{item}", 3, 22_000),
    ("GET", "/drives/{drive_kb}/items/{item}", 3, 2100),
    ("GET", "/drives/{drive_kb}/items/{item}/content", 2, 90_000),
]
MAIL_CALLS: list[Call] = [
    (
        "GET",
        "/me/mailFolders/inbox/messages?$top=25&$select=subject,from,receivedDateTime",
        5,
        31_000,
    ),
    ("GET", "/me/messages/{msg}", 4, 9000),
    ("POST", "/me/messages/{msg}/move", 2, 600),
    ("PATCH", "/me/messages/{msg}", 1, 500),
]
NOTES_CALLS: list[Call] = [
    ("GET", "/users/{user}/events?$top=20", 4, 12_000),
    ("GET", "/users/{user}/onlineMeetings/{item}/transcripts", 2, 4000),
    ("GET", "/users/{user}/onlineMeetings/{item}/transcripts/{n}/content", 2, 48_000),
]
CALENDAR_CALLS: list[Call] = [
    ("GET", "/me/events?$top=10", 5, 8000),
    ("POST", "/me/calendar/getSchedule", 3, 2500),
    ("POST", "/me/events", 1, 1800),
]
SALES_CALLS: list[Call] = [
    ("GET", "/sites/{site_sales}/lists/{list_deals}/items?$expand=fields&$top=50", 4, 20_000),
    ("PATCH", "/sites/{site_sales}/lists/{list_deals}/items/{n}/fields", 2, 700),
]
OCR_CALLS: list[Call] = [
    ("GET", "/drives/{drive_fin}/items/{item}/content", 5, 210_000),
    ("PATCH", "/drives/{drive_fin}/items/{item}", 1, 900),
]
SUPPORT_CALLS: list[Call] = [
    ("GET", "/users/{user}?$select=displayName,department,officeLocation", 4, 900),
    ("GET", "/sites/{site_support}/lists/{list_tickets}/items/{n}?$expand=fields", 4, 3500),
    ("PATCH", "/sites/{site_support}/lists/{list_tickets}/items/{n}/fields", 2, 600),
]
PAYROLL_CALLS: list[Call] = [
    ("GET", "/users/{user}?$select=id,employeeId,department,jobTitle", 4, 1100),
    ("GET", "/drives/{drive_hr}/items/{item}/content", 1, 60_000),
]
KB_CALLS: list[Call] = [
    ("GET", "/sites/{site_kb}/pages/{item}", 4, 20_000),
    ("POST", "/search/query", 3, 15_000),
]
HUMAN_CALLS: list[Call] = [
    ("GET", "/me/messages?$top=25", 4, 28_000),
    ("GET", "/me/events?$top=10", 2, 7000),
    ("GET", "/me/drive/root/children", 2, 6000),
    ("GET", "/me/joinedTeams", 1, 3000),
    ("GET", "/users/{user}", 1, 1400),
    ("GET", "/me/photo/$value", 1, 4200),
]
BACKUP_CALLS: list[Call] = [("GET", "/users/delta?$select=id,displayName", 1, 52_000)]
HRSYNC_CALLS: list[Call] = [
    ("PATCH", "/users/{user}", 3, 300),
    ("GET", "/users/{user}?$select=id,employeeId,department", 2, 900),
]


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


def build_tenant(seed: int, days: int, agents: int, humans: int, scale: float = 1.0) -> Tenant:
    """The tenant for ``seed``: at least the story's cast, grown to ``agents`` and ``humans``."""
    if humans < MIN_HUMANS:
        raise UsageError(f"--humans {humans}: the story needs at least {MIN_HUMANS} people")
    rng = np.random.default_rng([seed, 0xC457])
    tenant_id = uuid(rng)
    people = _people(rng, humans)

    def upn(role: str) -> str:
        return people.filter(pl.col("role") == role)["upn"][0]

    def bp(key: str, name: str, declared: bool = True) -> Blueprint:
        return Blueprint(key, name, uuid(rng), uuid(rng), declared)

    blueprints = {
        b.key: b
        for b in (
            bp("finance", "Finance Operations Agent Blueprint"),
            bp("helpdesk", "IT Helpdesk Agent Blueprint"),
            bp("research", "Azure AI Foundry Research Assistant Agent Blueprint"),
            bp("productivity", "Productivity Copilot Agent Blueprint"),
            bp("growth", "Autonomous Growth Agent Blueprint", declared=False),
        )
    }
    cloud = world.CLOUD_PLACES

    def addresses(place: world.Place, n: int = 2) -> list[str]:
        return [str(a) for a in ips(rng, np.array([place.prefix] * n))]

    def actor(key: str, name: str, kind: str, place: world.Place, **kw) -> Actor:
        return Actor(
            key=key,
            name=name,
            kind=kind,
            object_id=uuid(rng),
            app_id=uuid(rng),
            place=place,
            addresses=addresses(place),
            credential_key_id=uuid(rng),
            countries=[place.country],
            **kw,
        )

    graph = [world.GRAPH]
    fin_allowed = [
        "Dynamics 365 Finance",
        "Microsoft Graph",
        "graph:/sites/*/drive/**",
        "graph:/sites/*/lists/**",
        "graph:/drives/*/items/**",
    ]
    cast = [
        actor(
            "finance",
            "Finance automation agent",
            "agent_identity",
            cloud[2],
            blueprint="finance",
            volume=420,
            calls=FINANCE_CALLS,
            resources=[world.GRAPH, world.DYNAMICS_FINANCE],
            hours=(6, 20),
            sponsor=upn("cfo"),
            owner=upn("platform_owner"),
            purpose="Ingests supplier invoices, categorises spend, flags anomalies and prepares "
            "the monthly financial summaries; finance systems only",
            allowed=fin_allowed,
            clearance=["financial"],
            limit=2000,
            weekend=0.15,
            roles="Sites.Selected Files.ReadWrite.All",
        ),
        actor(
            "finance_recon",
            "Finance reconciliation agent",
            "agent_identity",
            cloud[2],
            blueprint="finance",
            volume=260,
            calls=FINANCE_CALLS,
            resources=[world.GRAPH, world.DYNAMICS_FINANCE],
            hours=(5, 19),
            sponsor=upn("cfo"),
            owner=upn("platform_owner"),
            purpose="Reconciles ledger entries against invoices",
            allowed=fin_allowed,
            clearance=["financial"],
            limit=1500,
            weekend=0.1,
            roles="Sites.Selected",
        ),
        actor(
            "legacy_expense",
            "Legacy expense agent",
            "agent_identity",
            cloud[0],
            blueprint="finance",
            volume=120,
            calls=FINANCE_CALLS,
            resources=graph,
            hours=(8, 18),
            sponsor=upn("cfo"),
            owner=upn("platform_owner"),
            purpose="Expense report checks (replaced by the finance automation agent)",
            allowed=fin_allowed,
            clearance=["financial"],
            active_days=(0, 2),
            roles="Sites.Selected",
        ),
        actor(
            "helpdesk",
            "IT helpdesk triage agent",
            "agent_identity",
            cloud[1],
            blueprint="helpdesk",
            volume=300,
            calls=HELPDESK_CALLS,
            resources=graph,
            hours=(0, 24),
            sponsor=upn("it_owner"),
            owner=upn("platform_owner"),
            purpose="Triages helpdesk tickets: looks up users, managers and group memberships",
            allowed=[
                "Microsoft Graph",
                "graph:/users/*",
                "graph:/users/*/manager",
                "graph:/users/*/memberOf",
                "graph:/groups/*/members",
            ],
            clearance=["pii", "directory"],
            limit=1500,
            weekend=0.5,
            roles="User.Read.All GroupMember.Read.All",
        ),
        actor(
            "access_requests",
            "IT access request agent",
            "agent_identity",
            cloud[1],
            blueprint="helpdesk",
            volume=180,
            calls=HELPDESK_CALLS,
            resources=graph,
            hours=(6, 22),
            sponsor=upn("it_owner"),
            owner=upn("platform_owner"),
            purpose="Answers access requests with group membership facts",
            allowed=["Microsoft Graph", "graph:/users/**", "graph:/groups/**"],
            clearance=["pii", "directory"],
            limit=1000,
            roles="GroupMember.Read.All",
        ),
        actor(
            "inventory",
            "IT inventory agent",
            "agent_identity",
            cloud[1],
            blueprint="helpdesk",
            volume=40,
            calls=INVENTORY_CALLS,
            resources=graph,
            hours=(1, 4),
            sponsor=upn("it_owner"),
            owner=upn("platform_owner"),
            purpose="Nightly inventory of accounts, groups and devices",
            allowed=[
                "Microsoft Graph",
                "graph:/users",
                "graph:/users/**",
                "graph:/groups",
                "graph:/groups/**",
                "graph:/devices",
                "graph:/devices/**",
                "graph:/directoryRoles",
                "graph:/directoryRoles/**",
                "graph:/servicePrincipals",
                "graph:/applications",
            ],
            clearance=["pii", "directory"],
            weekend=1.0,
            roles="User.Read.All Group.Read.All Device.Read.All",
        ),
        actor(
            "mail_triage",
            "Mailbox triage agent",
            "agent_user",
            cloud[3],
            blueprint="productivity",
            volume=520,
            calls=MAIL_CALLS,
            resources=[world.GRAPH, world.EXCHANGE],
            hours=(0, 24),
            sponsor=upn("productivity_owner"),
            owner=upn("productivity_owner"),
            purpose="Sorts the shared accounts-payable mailbox and drafts replies",
            allowed=["Microsoft Graph", "Office 365 Exchange Online", "graph:/me/**"],
            clearance=["mail"],
            limit=1000,
            weekend=0.6,
            scopes="Mail.ReadWrite Mail.Send User.Read",
            credential_type="none",
        ),
        actor(
            "meeting_notes",
            "Meeting notes agent",
            "agent_identity",
            cloud[3],
            blueprint="productivity",
            volume=160,
            calls=NOTES_CALLS,
            resources=graph,
            hours=(7, 19),
            sponsor=upn("productivity_owner"),
            owner=upn("productivity_owner"),
            purpose="Summarises meeting transcripts into notes",
            allowed=["Microsoft Graph", "graph:/users/**"],
            clearance=[],
            limit=800,
            weekend=0.05,
            roles="Calendars.Read OnlineMeetingTranscript.Read.All Mail.Read",
        ),
        actor(
            "calendar",
            "Calendar assistant agent",
            "agent_identity",
            cloud[3],
            blueprint="productivity",
            volume=90,
            calls=CALENDAR_CALLS,
            resources=graph,
            hours=(7, 19),
            sponsor=upn("productivity_owner"),
            owner=upn("productivity_owner"),
            purpose="Schedules meetings for the people who invoke it, with their own token",
            allowed=["Microsoft Graph", "graph:/me/**"],
            clearance=[],
            on_behalf_of=True,
            obo_people=[11, 12, 13, 14, 15],
            weekend=0.05,
            scopes="Calendars.ReadWrite User.Read",
        ),
        actor(
            "sales",
            "Sales pipeline agent",
            "agent_identity",
            cloud[0],
            blueprint="productivity",
            volume=140,
            calls=SALES_CALLS,
            resources=graph,
            hours=(12, 23),
            sponsor=upn("productivity_owner"),
            owner=upn("productivity_owner"),
            purpose="Keeps the deals list up to date; app-only, never on behalf of people",
            allowed=["Microsoft Graph", "graph:/sites/*/lists/**"],
            clearance=[],
            on_behalf_of=False,
            weekend=0.1,
            roles="Sites.Selected",
        ),
        actor(
            "ocr",
            "Invoice OCR agent",
            "classic_agent",
            cloud[2],
            volume=200,
            calls=OCR_CALLS,
            resources=graph,
            hours=(6, 18),
            sponsor=upn("cfo"),
            owner=upn("platform_owner"),
            purpose="Reads scanned invoices and writes their text back (classic app registration)",
            allowed=["Microsoft Graph", "graph:/drives/*/items/**"],
            clearance=["financial"],
            weekend=0.1,
            roles="Files.ReadWrite.All",
            credential_type="clientSecret",
        ),
        actor(
            "support",
            "Customer support agent",
            "classic_agent",
            cloud[0],
            volume=240,
            calls=SUPPORT_CALLS,
            resources=graph,
            hours=(12, 24),
            sponsor=upn("it_owner"),
            owner=upn("it_owner"),
            purpose="Answers support tickets (classic app registration)",
            allowed=["Microsoft Graph", "graph:/users/*", "graph:/sites/*/lists/**"],
            clearance=["pii"],
            weekend=0.3,
            roles="User.Read.All Sites.Selected",
            credential_type="clientSecret",
        ),
        actor(
            "payroll",
            "Payroll export agent",
            "classic_agent",
            cloud[2],
            volume=45,
            calls=PAYROLL_CALLS,
            resources=graph,
            hours=(4, 6),
            sponsor=upn("cfo"),
            owner=upn("platform_owner"),
            purpose="Exports payroll attributes nightly (classic app registration)",
            allowed=["Microsoft Graph", "graph:/users/*", "graph:/drives/*/items/**"],
            clearance=["hr", "pii"],
            weekend=1.0,
            roles="User.Read.All Files.Read.All",
            credential_type="certificate",
        ),
        actor(
            "translation",
            "Document translation agent",
            "agent_identity",
            cloud[1],
            blueprint="research",
            volume=150,
            calls=RESEARCH_CALLS,
            resources=graph,
            hours=(6, 20),
            sponsor=upn("research_owner"),
            owner=upn("research_owner"),
            purpose="Translates knowledge-base documents",
            allowed=[
                "Microsoft Graph",
                "graph:/sites/**",
                "graph:/drives/**",
                "graph:/search/query",
            ],
            clearance=[],
            weekend=0.2,
            roles="Sites.Read.All",
        ),
        actor(
            "knowledge",
            "Knowledge base agent",
            "agent_identity",
            cloud[1],
            blueprint="research",
            volume=210,
            calls=KB_CALLS,
            resources=graph,
            hours=(6, 21),
            sponsor=upn("research_owner"),
            owner=upn("research_owner"),
            purpose="Answers questions from the knowledge base",
            allowed=["Microsoft Graph", "graph:/sites/**", "graph:/search/query"],
            clearance=[],
            weekend=0.3,
            roles="Sites.Read.All Calendars.Read",  # calendars: granted, never used
        ),
        actor(
            "backup",
            "Contoso backup service",
            "service_principal",
            cloud[0],
            volume=24,
            calls=BACKUP_CALLS,
            resources=[world.GRAPH, world.STORAGE, world.KEY_VAULT],
            hours=(0, 24),
            declared=False,
            weekend=1.0,
            roles="User.Read.All",
            credential_type="certificate",
        ),
        actor(
            "hr_sync",
            "Contoso HR sync service",
            "service_principal",
            cloud[2],
            volume=60,
            calls=HRSYNC_CALLS,
            resources=graph,
            hours=(2, 5),
            declared=False,
            weekend=1.0,
            roles="User.ReadWrite.All",
            credential_type="clientSecret",
        ),
        actor(
            "aks_mi",
            "aks-prod-identity",
            "managed_identity",
            cloud[0],
            volume=0,
            calls=[],
            resources=[world.KEY_VAULT, world.ARM],
            hours=(0, 24),
            declared=False,
            weekend=1.0,
            credential_type="managedIdentity",
        ),
        actor(
            "func_mi",
            "func-billing-identity",
            "managed_identity",
            cloud[2],
            volume=0,
            calls=[],
            resources=[world.STORAGE, world.SQL_DB],
            hours=(0, 24),
            declared=False,
            weekend=1.0,
            credential_type="managedIdentity",
        ),
        # Lives only in the last days of the period (see incidents): created properly...
        actor(
            "onboarded",
            "Onboarding assistant agent",
            "agent_identity",
            cloud[1],
            blueprint="helpdesk",
            volume=110,
            calls=HELPDESK_CALLS,
            resources=graph,
            hours=(6, 20),
            sponsor=upn("it_owner"),
            owner=upn("platform_owner"),
            purpose="Guides new joiners through their first week",
            allowed=[
                "Microsoft Graph",
                "graph:/users/*",
                "graph:/users/*/manager",
                "graph:/users/*/memberOf",
                "graph:/groups/*/members",
            ],
            clearance=["pii", "directory"],
            active_days=(days - 2, days - 1),
            roles="User.Read.All",
        ),
        # ...or not at all: a shadow agent nobody registered.
        actor(
            "shadow",
            "growth-autopilot",
            "agent_identity",
            world.HOSTILE_PLACES[3],
            blueprint="growth",
            volume=260,
            calls=RESEARCH_CALLS + HELPDESK_CALLS,
            resources=graph,
            hours=(0, 24),
            declared=False,
            active_days=(days - 3, days - 1),
            roles="User.Read.All Sites.Read.All",
        ),
    ]
    # The mailbox agent user belongs to its own agent identity (its parent).
    mail_parent = actor(
        "mail_identity",
        "Mailbox triage agent identity",
        "agent_identity",
        cloud[3],
        blueprint="productivity",
        volume=0,
        calls=[],
        resources=graph,
        hours=(0, 24),
        sponsor=upn("productivity_owner"),
        owner=upn("productivity_owner"),
        purpose="Parent identity of the mailbox triage agent user",
        allowed=["Microsoft Graph"],
        clearance=[],
    )
    for a in cast:
        if a.key == "mail_triage":
            a.parent = "mail_identity"
            a.upn = f"ap-mailbox-agent@{DOMAIN}"
            a.app_id = mail_parent.app_id
    cast.insert(0, mail_parent)
    for a in cast:
        if a.key in ("translation", "knowledge"):
            a.limit = int(a.volume * 4)
    declared_core = sum(
        1 for a in cast if a.kind in ("agent_identity", "agent_user", "classic_agent")
    )
    extra = agents - declared_core
    if extra < 0:
        raise UsageError(f"--agents {agents}: the story needs at least {declared_core} agents")
    for i in range(extra):
        cast.append(
            actor(
                f"research_{i + 1:03d}",
                f"Research assistant agent {i + 1:03d}",
                "agent_identity",
                cloud[i % len(cloud)],
                blueprint="research",
                volume=float(rng.uniform(40, 260)),
                calls=RESEARCH_CALLS,
                resources=graph,
                hours=(int(rng.integers(4, 9)), int(rng.integers(17, 23))),
                sponsor=upn("research_owner"),
                owner=upn("research_owner"),
                purpose="Searches and summarises the knowledge base for a team",
                allowed=[
                    "Microsoft Graph",
                    "graph:/sites/**",
                    "graph:/drives/**",
                    "graph:/search/query",
                    "graph:/planner/**",
                ],
                clearance=[],
                weekend=float(rng.uniform(0.05, 0.5)),
                roles="Sites.Read.All",
            )
        )
    governance_pools = _governance_cast(seed, days, cast, blueprints, upn, cloud)
    for a in cast:
        a.volume *= scale
    # People's Graph use shrinks less than agents' volume: a person signs in every working hour
    # anyway, and a day with no call at all is not what people look like.
    people = people.with_columns(pl.col("activity") * max(scale, 0.5))
    pools = {
        "user": people["id"].to_list(),
        "group": [str(g) for g in uuids(rng, 40)],
        "item": [
            f"01{''.join(rng.choice(list('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), 32))}"
            for _ in range(400)
        ],
        "site_fin": [f"{DOMAIN.split('.')[0]}.sharepoint.com,{uuid(rng)},{uuid(rng)}"],
        "site_kb": [f"{DOMAIN.split('.')[0]}.sharepoint.com,{uuid(rng)},{uuid(rng)}"],
        "site_sales": [f"{DOMAIN.split('.')[0]}.sharepoint.com,{uuid(rng)},{uuid(rng)}"],
        "site_support": [f"{DOMAIN.split('.')[0]}.sharepoint.com,{uuid(rng)},{uuid(rng)}"],
        "drive_fin": [f"b!{''.join(rng.choice(list('abcdefghijkLMNOPQRSTUVWXYZ0123456789'), 64))}"],
        "drive_kb": [f"b!{''.join(rng.choice(list('abcdefghijkLMNOPQRSTUVWXYZ0123456789'), 64))}"],
        "drive_hr": [f"b!{''.join(rng.choice(list('abcdefghijkLMNOPQRSTUVWXYZ0123456789'), 64))}"],
        "list_spend": [uuid(rng)],
        "list_deals": [uuid(rng)],
        "list_tickets": [uuid(rng)],
        "plan": [
            f"{''.join(rng.choice(list('abcdefghijkLMNOPQRSTUVWXYZ0123456789'), 28))}"
            for _ in range(6)
        ],
    }
    pools.update(governance_pools)
    admin = int(people.filter(pl.col("role") == "identity_admin")["idx"][0])
    return Tenant(tenant_id, seed, days, people, cast, blueprints, pools, admin, scale=scale)


#: The access packages (registry globs) each blueprint's agents declare.
DECLARED_PACKAGES = {
    "finance": ["Finance agents - *"],
    "helpdesk": ["IT helpdesk - *"],
    "research": ["Research agents - *"],
    "productivity": ["Productivity agents - *"],
}


def _governance_cast(seed, days, cast, blueprints, upn, cloud) -> dict[str, list[str]]:
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
    research = blueprints["research"]
    blueprints["research"] = Blueprint(
        research.key,
        research.name,
        research.app_id,
        research.principal_id,
        True,
        "azure-ai-foundry",
    )
    growth = blueprints["growth"]
    blueprints["growth"] = Blueprint(
        growth.key, growth.name, growth.app_id, growth.principal_id, False, "unknown"
    )
    admin_upn = upn("identity_admin")

    def actor(key: str, name: str, kind: str, place: world.Place, **kw) -> Actor:
        return Actor(
            key=key,
            name=name,
            kind=kind,
            object_id=uuid(rng),
            app_id=uuid(rng),
            place=place,
            addresses=[str(a) for a in ips(rng, np.array([place.prefix] * 2))],
            credential_key_id=uuid(rng),
            countries=[place.country],
            **kw,
        )

    bot = uuid(rng)
    legacy_bot = uuid(rng)
    channel_agents = [
        actor(
            "studio_hr",
            "HR policy Q&A agent",
            "agent_identity",
            cloud[3],
            blueprint="copilot_studio",
            volume=60,
            calls=KB_CALLS,
            resources=[world.GRAPH],
            hours=(7, 19),
            sponsor=upn("productivity_owner"),
            owner=upn("productivity_owner"),
            purpose="Answers HR policy questions (built in Copilot Studio)",
            allowed=["Microsoft Graph", "graph:/sites/**", "graph:/search/query"],
            weekend=0.1,
            roles="Sites.Read.All",
            channel="copilot-studio",
            tags=[f"power-virtual-agents-{bot}", "AgenticInstance"],
            access_packages=["Productivity agents - *"],
        ),
        # a Copilot Studio agent from before Agent ID: no agentType, only its tag says it
        actor(
            "studio_faq",
            "IT FAQ bot",
            "classic_agent",
            cloud[3],
            volume=40,
            calls=KB_CALLS,
            resources=[world.GRAPH],
            hours=(7, 19),
            owner=upn("it_owner"),
            purpose="Answers IT questions in Teams (Copilot Studio, before Agent ID)",
            allowed=["Microsoft Graph", "graph:/sites/**", "graph:/search/query"],
            weekend=0.1,
            roles="Sites.Read.All",
            credential_type="clientSecret",
            channel="copilot-studio",
            tags=[f"power-virtual-agents-{legacy_bot}"],
        ),
        actor(
            "phish_triage",
            "Phishing triage agent",
            "agent_identity",
            cloud[0],
            blueprint="security_copilot",
            volume=50,
            calls=HELPDESK_CALLS[:1],
            resources=[world.GRAPH],
            hours=(0, 24),
            owner=admin_upn,
            purpose="Triages user-reported phishing (Security Copilot agent)",
            allowed=["Microsoft Graph", "graph:/users/*"],
            clearance=["pii"],
            weekend=1.0,
            roles="User.Read.All",
            channel="security-copilot",
            tags=["AgenticInstance"],
        ),
        actor(
            "vendor_scheduler",
            "Fabrikam Meeting Scheduler",
            "classic_agent",
            cloud[1],
            volume=50,
            calls=CALENDAR_CALLS[:1],
            resources=[world.GRAPH],
            hours=(7, 19),
            sponsor=upn("productivity_owner"),
            owner=admin_upn,
            purpose="A third-party scheduling assistant, admin-consented",
            allowed=["Microsoft Graph", "graph:/me/**", "graph:/users/*/events"],
            weekend=0.05,
            roles="Calendars.Read",
            credential_type="clientSecret",
            channel="third-party-consent",
            tags=["WindowsAzureActiveDirectoryIntegratedApp"],
        ),
        actor(
            "deploy_bot",
            "Release pipeline agent",
            "classic_agent",
            cloud[0],
            volume=30,
            calls=INVENTORY_CALLS[:1],
            resources=[world.GRAPH],
            hours=(0, 24),
            owner=admin_upn,
            purpose="Checks release approvers before deployments (created with the CLI)",
            allowed=["Microsoft Graph", "graph:/users"],
            clearance=["pii"],
            weekend=1.0,
            roles="User.Read.All",
            credential_type="certificate",
            channel="admin-or-api",
            creation_details=[("User-Agent", "azure-cli/2.67.0 (MSAL) Python/3.12.8")],
        ),
    ]
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
            a.access_packages = list(DECLARED_PACKAGES.get(a.blueprint or "", []))
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
