"""The planted story: one or more labelled incidents for every rule of DESIGN.md section 7a,
placed in the last days of the period, and benign look-alikes a good detector leaves alone.

Each incident says in its description what a detector should see. Incidents that need history
say how much: AA-G04 (dormant agent) needs ``days >= 40`` (active on the first three days, then
silent for 30+), every other incident needs ``days >= 7`` so that a week of learning precedes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from pipeline.generate import audits as au
from pipeline.generate import world
from pipeline.generate.cast import HUMAN_CALLS, Actor, Tenant
from pipeline.generate.frames import AUDIT, empty, frame
from pipeline.generate.ids import ips, token_ids, uuid, uuids
from pipeline.generate.traffic import (
    GRAPH_BASE,
    HOUR_US,
    HUMAN_SCOPES,
    US,
    actor_signins,
    day_start_us,
    fill_paths,
    human_signins,
    obo_signins,
    to_time,
)

G04_MIN_DAYS = 40
MIN_DAYS = 7


@dataclass
class Watch:
    """Evidence drawn from ordinary traffic: the sign-ins of an identity over some days."""

    label: str
    column: str  # sign-in column to match
    value: str
    first_day: int
    last_day: int


@dataclass
class Plan:
    start: date
    days: int
    signins: list[pl.DataFrame] = field(default_factory=list)
    graph: list[pl.DataFrame] = field(default_factory=list)
    audits: list[dict] = field(default_factory=list)  # rows of the AUDIT frame
    incidents: list[dict] = field(default_factory=list)
    benign: list[dict] = field(default_factory=list)
    watches: list[Watch] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    governance: dict = field(default_factory=dict)  # ground truth of issue 13 (labels.json)

    def day_us(self, day_index: int, hour: float = 0.0) -> int:
        return day_start_us(self.start + timedelta(days=day_index)) + int(hour * HOUR_US)

    def iso(self, us: int) -> str:
        return (datetime(1970, 1, 1) + timedelta(microseconds=int(us))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )


def _ids(actor: Actor) -> list[str]:
    return [x for x in (actor.object_id, actor.app_id, actor.upn) if x]


def _person_ids(p: dict) -> list[str]:
    return [p["id"], p["upn"]]


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


def _spread(rng: np.random.Generator, start_us: int, minutes: float, n: int) -> np.ndarray:
    return np.sort(start_us + rng.integers(0, int(minutes * 60 * US), n))


def _hourly_signins(
    tenant: Tenant, rng: np.random.Generator, actor: Actor, times: np.ndarray, **kw
) -> tuple[pl.DataFrame, np.ndarray]:
    """One token per hour touched by ``times``; returns the sign-ins and each call's sign-in."""
    hours = times // HOUR_US
    uniq, which = np.unique(hours, return_inverse=True)
    first = np.array([times[which == i].min() for i in range(len(uniq))]) - 90 * US
    s = actor_signins(tenant, actor, first, rng, **kw)
    return s, which


def _actor_calls(
    tenant, rng, actor: Actor, times, paths, *, signin_kw=None, **kw
) -> tuple[pl.DataFrame, pl.DataFrame]:
    s, which = _hourly_signins(tenant, rng, actor, times, **(signin_kw or {}))
    kw.setdefault("roles", actor.roles)
    kw.setdefault("region", actor.place.region)
    g = calls(tenant, rng, s[which], times, paths, **kw)
    return s, g


def _label(
    plan: Plan,
    lid: str,
    rule: str,
    rules: list[str],
    culprit: list[str],
    s: pl.DataFrame | None,
    g: pl.DataFrame | None,
    description: str,
    *,
    related: list[str] | None = None,
    extra_evidence: list[str] | None = None,
    window: tuple[int, int] | None = None,
    family: str = "",
    **extra,
) -> dict:
    times, evidence = [], []
    for f in (s, g):
        if f is not None and not f.is_empty():
            times.append(f["time"].cast(pl.Int64).to_numpy())
            evidence.extend(f["id" if "category" in f.columns else "request_id"].to_list())
            (plan.signins if "category" in f.columns else plan.graph).append(f)
    evidence.extend(extra_evidence or [])
    if window is None:
        allt = np.concatenate(times)
        window = (int(allt.min()), int(allt.max()))
    label = {
        "id": lid,
        "family": family or FAMILY[rule],
        "rule_ids": rules,
        "related_rule_ids": related or [],
        "culprit_ids": culprit,
        "window_start": plan.iso(window[0]),
        "window_end": plan.iso(window[1] + US - 1),
        "evidence_event_ids": evidence,
        "description": description,
        **extra,
    }
    plan.incidents.append(label)
    return label


FAMILY = {
    **dict.fromkeys(["AA-R01", "AA-R02", "AA-R03", "AA-R04"], "unexpected_resource_access"),
    **dict.fromkeys(["AA-P01", "AA-P02", "AA-P03"], "pii_touch"),
    **dict.fromkeys(["AA-A01", "AA-A02", "AA-A03", "AA-A04", "AA-A05"], "attribution_gap"),
    **dict.fromkeys(
        ["AA-G01", "AA-G02", "AA-G03", "AA-G04", "AA-G05", "AA-G06", "AA-G07"],
        "credential_or_privilege_change",
    ),
    **dict.fromkeys(["AA-S01", "AA-S02", "AA-S03", "AA-S04"], "signin_anomaly"),
    "AA-M01": "behaviour_anomaly",
}
ALL_RULES = sorted(FAMILY)


def creation_day(actor: Actor, days: int) -> int:
    """The day an agent is created: day 0, or the day before an agent that only starts work
    in the last days (the onboarded agent, the unsponsored agents of issue 13) is first active."""
    first = actor.active_days[0] if actor.active_days else 0
    return max(0, first - 1) if actor.key == "onboarded" or 0 < first < days - 1 else 0


def lifecycle(tenant: Tenant, plan: Plan, rng: np.random.Generator) -> None:
    """Audit history of every agent: born on day 0 (or when the story adds it), rotated later."""
    owner_of = {p["upn"]: p for p in tenant.humans.iter_rows(named=True)}
    admin = tenant.human(tenant.admin)
    for i, actor in enumerate(tenant.actors):
        if actor.kind == "managed_identity" or actor.key == "shadow":
            continue
        by = owner_of.get(actor.owner or "", admin)
        when = plan.day_us(creation_day(actor, plan.days), 0.05)
        when += i * 300 * US
        plan.audits.extend(au.created(tenant, rng, when, by, actor))
        # a routine rotation in the middle of the learning period, by the owner
        if actor.credential_type in ("clientSecret", "certificate") and plan.days >= 10:
            day = int(rng.integers(2, max(3, plan.days - 7)))
            actor_key = uuid(rng)
            plan.audits.append(
                au.credential_added(
                    tenant,
                    rng,
                    plan.day_us(day, 9.5) + i * 60 * US,
                    by,
                    actor,
                    actor_key,
                    f"rotation-{day}",
                )
            )


def build_plan(tenant: Tenant, start: date, days: int, seed: int) -> Plan:
    """Plant every incident and benign look-alike; returns the rows and the labels."""
    rng = np.random.default_rng([seed, 0x5709])
    plan = Plan(start=start, days=days)
    L = days - 1
    A = tenant.actor
    H = tenant.human_by_role
    lifecycle(tenant, plan, rng)

    # AA-R01: a registered agent calls Graph paths outside its allowed_resources.
    a = A("helpdesk")
    t = _spread(rng, plan.day_us(L - 1, 13.1), 40, 30)
    s, g = _actor_calls(
        tenant,
        rng,
        a,
        t,
        ["/deviceManagement/managedDevices?$top=100", "/deviceManagement/managedDevices/{item}"],
    )
    _label(
        plan,
        "INC-R01-helpdesk-devices",
        "AA-R01",
        ["AA-R01"],
        _ids(a),
        s,
        g,
        "The IT helpdesk triage agent, registered for /users and /groups lookups only, reads "
        "/deviceManagement/managedDevices 30 times in 40 minutes: resource_path "
        "/deviceManagement/managedDevices(/{id}) matches none of its allowed_resources.",
        related=["AA-R02"],
    )

    # AA-R02: a resource new to the identity and rare among its peers (same blueprint).
    a = A("access_requests")
    t = _spread(rng, plan.day_us(L - 2, 10.2), 55, 40)
    s, g = _actor_calls(tenant, rng, a, t, ["/users/{user}/ownedDevices", "/groups/{group}/owners"])
    _label(
        plan,
        "INC-R02-access-new-paths",
        "AA-R02",
        ["AA-R02"],
        _ids(a),
        s,
        g,
        "The IT access request agent starts reading /users/{id}/ownedDevices and "
        "/groups/{id}/owners (40 calls): paths inside its allowed_resources but never used by "
        "it before and by none of its helpdesk-blueprint peers.",
    )

    # AA-R03: directory enumeration far above baseline.
    a = A("inventory")
    paths = [
        "/users?$top=999&$skiptoken={item}",
        "/groups?$top=999&$skiptoken={item}",
        "/directoryRoles",
        "/directoryRoles/{group}/members",
        "/servicePrincipals?$top=999&$skiptoken={item}",
        "/applications?$top=999&$skiptoken={item}",
    ]
    n_recon = _planted(tenant, 1200, 300)
    t = _spread(rng, plan.day_us(L, 1.2), 110, n_recon)
    s, g = _actor_calls(tenant, rng, a, t, paths, size=250_000)
    _label(
        plan,
        "INC-R03-inventory-enumeration",
        "AA-R03",
        ["AA-R03"],
        _ids(a),
        s,
        g,
        "The IT inventory agent pages through all users, groups, directory roles and their "
        f"members, service principals and applications: {n_recon:,} list calls in under two "
        f"hours against a baseline of about {int(a.volume)} a night.",
        related=["AA-R02", "AA-P03", "AA-M01", "AA-S04"],
    )

    # AA-R04: usage above daily_request_limit.
    a = A("mail_triage")
    n_mail = max(_planted(tenant, 3200, 0), int(a.limit * 1.6))
    t = _spread(rng, plan.day_us(L - 1, 0.2), 23.5 * 60, n_mail)
    s, g = _actor_calls(
        tenant,
        rng,
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
    _label(
        plan,
        "INC-R04-mailbox-over-limit",
        "AA-R04",
        ["AA-R04"],
        _ids(a),
        s,
        g,
        f"The mailbox triage agent user makes about {n_mail + int(a.volume):,} Graph requests "
        f"in a day ({n_mail:,} planted on top of its usual ~{int(a.volume)}), above its declared "
        f"daily_request_limit of {a.limit}.",
        related=["AA-P03", "AA-M01"],
    )

    # AA-G02 then AA-P01: mail permission granted, then mail read without mail clearance.
    a = A("meeting_notes")
    admin = tenant.human(tenant.admin)
    grant = au.audit(
        tenant,
        rng,
        plan.day_us(L - 2, 16.3),
        "Add app role assignment to service principal",
        admin,
        a,
        operation_type="Assign",
        mods=[
            ("AppRole.Value", None, au._q("Mail.Read")),
            ("AppRole.Id", None, au._q("810c84a8-4a9e-49e6-bf7d-12d183f40d01")),
            ("ServicePrincipal.DisplayName", None, au._q("Microsoft Graph")),
            ("ServicePrincipal.ObjectID", None, au._q(a.object_id)),
        ],
    )
    plan.audits.append(grant)
    _label(
        plan,
        "INC-G02-notes-mail-grant",
        "AA-G02",
        ["AA-G02"],
        _ids(a),
        None,
        None,
        "The identity administrator grants the application permission Mail.Read (app role "
        "on Microsoft Graph) to the meeting notes agent: 'Add app role assignment to service "
        "principal' targeting the agent.",
        extra_evidence=[grant["id"]],
        window=(plan.day_us(L - 2, 16.3), plan.day_us(L - 2, 16.3)),
    )
    cfo = H("cfo")
    t = _spread(rng, plan.day_us(L - 1, 15.0), 30, 25)
    paths = [f"/users/{cfo['id']}/messages?$top=50", f"/users/{cfo['id']}/messages/{{msg}}"]
    s, g = _actor_calls(tenant, rng, a, t, paths, size=30_000)
    _label(
        plan,
        "INC-P01-notes-reads-cfo-mail",
        "AA-P01",
        ["AA-P01"],
        _ids(a),
        s,
        g,
        "The meeting notes agent (pii_clearance: none) reads the CFO's mailbox: 25 calls to "
        "/users/{id}/messages, which the workspace catalogue marks 'mail'.",
        related=["AA-R02", "AA-M01"],
    )

    # AA-P02: personal data inside request URIs.
    a = A("support")
    pii = [
        "/users?$filter=mobilePhone%20eq%20%27%2B14255550147%27",
        "/users?$filter=mail%20eq%20%27jane.roe@fabrikam.com%27",
        "/sites/{site_support}/lists/{list_tickets}/items?$filter=fields/IBAN%20eq%20"
        "%27DE89370400440532013000%27",
        "/sites/{site_support}/lists/{list_tickets}/items?$filter=fields/CardNumber%20eq%20"
        "%274111111111111111%27",
        "/sites/{site_support}/lists/{list_tickets}/items?$filter=fields/NationalId%20eq%20"
        "%27078-05-1120%27",
        "/users/customer.lookup@fabrikam.com/contacts?$filter=businessPhones/any(p:p%20eq%20"
        "%27%2B44%2020%207946%200958%27)",
    ]
    t = _spread(rng, plan.day_us(L - 2, 16.0), 50, 12)
    s, g = _actor_calls(tenant, rng, a, t, np.array(pii * 2)[:12])
    _label(
        plan,
        "INC-P02-support-pii-in-uri",
        "AA-P02",
        ["AA-P02"],
        _ids(a),
        s,
        g,
        "The customer support agent puts personal data into request URIs: a phone number, "
        "e-mail addresses, an IBAN, a card number and a national id in $filter values "
        "(URL-encoded).",
        related=["AA-R02", "AA-R01"],
    )

    # AA-P03: bulk read of sensitive resources far above baseline.
    a = A("payroll")
    n_bulk = _planted(tenant, 2400, 300)
    t = _spread(rng, plan.day_us(L, 4.1), 85, n_bulk)
    s, g = _actor_calls(
        tenant,
        rng,
        a,
        t,
        ["/users/{user}?$select=id,employeeId,department,jobTitle,birthday,employeeHireDate"],
        size=1400,
    )
    _label(
        plan,
        "INC-P03-payroll-bulk-profiles",
        "AA-P03",
        ["AA-P03"],
        _ids(a),
        s,
        g,
        f"The payroll export agent reads {n_bulk:,} user profiles (catalogue: pii) in 85 minutes; "
        f"its baseline is about {int(a.volume)} reads a night.",
        related=["AA-R03", "AA-M01", "AA-R02"],
    )

    # AA-A01: OBO by an agent the registry does not allow to act for people.
    a = A("sales")
    victim = H("obo_victim")
    people = tenant.humans.filter(pl.col("role") == "obo_victim")
    t = _spread(rng, plan.day_us(L - 2, 14.0), 50, 35)
    s = obo_signins(tenant, a, people, np.array([t[0] - 60 * US]), rng)
    g = calls(
        tenant,
        rng,
        s,
        t,
        ["/me/messages?$top=50", "/me/drive/root/children", "/me/people"],
        delegated=True,
        scopes="Mail.Read Files.Read.All People.Read User.Read",
        region=a.place.region,
    )
    _label(
        plan,
        "INC-A01-sales-obo",
        "AA-A01",
        ["AA-A01"],
        _ids(a),
        s,
        g,
        "The sales pipeline agent (on_behalf_of = false) obtains a delegated token for a "
        "person (non-interactive sign-in of the person whose client is the agent app, "
        "incomingTokenType onBehalfOf) and makes 35 delegated Graph calls carrying both the "
        "agent's app id and the person's user id.",
        related=["AA-R01", "AA-R02", "AA-P01"],
        on_behalf_of_ids=_person_ids(victim),
    )

    # AA-A02: a human account behaving like automation.
    p = H("scripted_human")
    people = tenant.humans.filter(pl.col("role") == "scripted_human")
    for d in (L - 1, L):
        tenant.quiet.setdefault(d, set()).add(p["idx"])
    t_sign = plan.day_us(L - 1, 0) + np.arange(0, 48 * 6) * 10 * 60 * US + 7 * US
    s = human_signins(
        tenant,
        people[np.zeros(len(t_sign), dtype=np.int64)],
        t_sign,
        rng,
        interactive=False,
        apps=[("1950a258-227b-4e31-a9cf-717495945fc2", "Microsoft Azure PowerShell")],
        user_agent="python-requests/2.32.3",
    )
    t = np.repeat(t_sign, 2) + np.tile([30 * US, 330 * US], len(t_sign))
    g = calls(
        tenant,
        rng,
        s[np.repeat(np.arange(len(t_sign)), 2)],
        t,
        ["/users/{user}", "/me/messages?$top=10"],
        delegated=True,
        scopes="User.Read.All Mail.Read",
        user_agent="python-requests/2.32.3",
        region="East US",
    )
    _label(
        plan,
        "INC-A02-human-scripted",
        "AA-A02",
        ["AA-A02"],
        _person_ids(p),
        s,
        g,
        "A person's account runs like a script for two days: a non-interactive sign-in every "
        "10 minutes around the clock (python-requests user agent, Azure PowerShell client), "
        "Graph calls at a fixed 5-minute cadence, and no interactive sign-in at all.",
        related=["AA-S04", "AA-M01"],
    )

    # AA-A03: one credential used from many hosts and networks at once.
    a = A("ocr")
    places = [
        world.CLOUD_PLACES[2],
        world.HOSTILE_PLACES[1],
        world.HOSTILE_PLACES[4],
        world.PLACES[6],
        world.PLACES[8],
        world.CLOUD_PLACES[0],
    ]
    sig, gr = [], []
    uas = [
        world.GRAPH_SDK_UA,
        "python-requests/2.32.3",
        "curl/8.5.0",
        "PowerShell/7.4.6",
        "Go-http-client/2.0",
        world.GRAPH_SDK_UA,
    ]
    for k, pl_ in enumerate(places):
        tt = _spread(rng, plan.day_us(L - 1, 10.0) + k * 7 * 60 * US, 8, 4)
        ip = str(ips(rng, np.array([pl_.prefix]))[0])
        s1 = actor_signins(
            tenant, a, np.array([tt[0] - 30 * US]), rng, ip=np.array([ip]), place=pl_
        )
        sig.append(s1)
        gr.append(
            calls(
                tenant,
                rng,
                s1,
                tt,
                ["/drives/{drive_fin}/items/{item}/content"],
                roles=a.roles,
                user_agent=uas[k],
                region=pl_.region,
                size=200_000,
            )
        )
    _label(
        plan,
        "INC-A03-ocr-shared-secret",
        "AA-A03",
        ["AA-A03"],
        _ids(a),
        pl.concat(sig),
        pl.concat(gr),
        "The invoice OCR agent's one client secret (same servicePrincipalCredentialKeyId) "
        "is used within one hour from six addresses in six networks and five countries, "
        "with five different user agents.",
        related=["AA-S01", "AA-S02"],
    )

    # AA-A04: a shadow agent (agentic sign-ins, not in the registry).
    a = A("shadow")
    plan.watches.append(Watch("INC-A04-shadow-agent", "sp_id", a.object_id, L - 2, L))
    _label(
        plan,
        "INC-A04-shadow-agent",
        "AA-A04",
        ["AA-A04"],
        _ids(a),
        None,
        None,
        "An agent identity ('growth-autopilot', agentType agenticAppInstance under a blueprint "
        "nobody declared) signs in and calls Graph for the last three days; it is absent from "
        "agentaudit.toml and has no sponsor.",
        window=(plan.day_us(L - 2), plan.day_us(L + 1) - US),
        related=["AA-P01", "AA-R02", "AA-S01"],
    )

    # AA-A05: activity tied to no sign-in and no known identity.
    ghost_app, ghost_sp = uuid(rng), uuid(rng)
    t = _spread(rng, plan.day_us(L - 2, 20.0), 45, 40)
    hostile = world.HOSTILE_PLACES[0]
    fake = frame(
        "signin",
        1,
        time=to_time(np.array([t[0] - 120 * US])),
        token_id=token_ids(rng, 1),
        app_id=ghost_app,
        sp_id=ghost_sp,
        ip=str(ips(rng, np.array([hostile.prefix]))[0]),
    )
    g = calls(
        tenant,
        rng,
        fake,
        t,
        ["/users?$top=999", "/groups?$top=999", "/users/{user}/messages?$top=10"],
        roles="User.Read.All Group.Read.All Mail.Read",
        user_agent="python-requests/2.31.0",
        region=hostile.region,
    )
    plan.graph.append(g)
    _label(
        plan,
        "INC-A05-orphan-graph-activity",
        "AA-A05",
        ["AA-A05"],
        [ghost_app, ghost_sp],
        None,
        None,
        "40 app-only Graph calls whose signInActivityId matches no sign-in and whose appId / "
        "servicePrincipalId never signed in anywhere in the logs.",
        extra_evidence=g["request_id"].to_list(),
        window=(int(t.min()), int(t.max())),
        related=["AA-R03", "AA-P01"],
    )

    # AA-G01: a credential added to an agent, then used from a new place.
    a = A("finance_recon")
    owner = H("platform_owner")
    new_key = uuid(rng)
    cred = au.credential_added(tenant, rng, plan.day_us(L - 1, 9.2), owner, a, new_key, "temp")
    plan.audits.append(cred)
    lagos = world.HOSTILE_PLACES[2]
    t = _spread(rng, plan.day_us(L - 1, 11.5), 30, 20)
    s, g = _actor_calls(
        tenant,
        rng,
        a,
        t,
        ["/drives/{drive_fin}/items/{item}/content"],
        signin_kw=dict(
            place=lagos,
            ip=np.array([str(ips(rng, np.array([lagos.prefix]))[0])]),
            cred_key_id=new_key,
        ),
        region=lagos.region,
    )
    _label(
        plan,
        "INC-G01-recon-new-secret",
        "AA-G01",
        ["AA-G01"],
        _ids(a),
        s,
        g,
        "A new client secret is added to the finance reconciliation agent ('Add service "
        "principal credentials'), and two hours later sign-ins using that new key id come "
        "from Lagos (NG, a network the agent never used).",
        extra_evidence=[cred["id"]],
        related=["AA-S01", "AA-S02"],
    )

    # AA-G03: an agent changed by someone who is neither its owner nor its sponsor.
    a = A("finance")
    mallory = H("mallory")
    change = au.audit(
        tenant,
        rng,
        plan.day_us(L - 1, 19.4),
        "Update service principal",
        mallory,
        a,
        mods=[
            ("ReplyUrls", "[]", json_list(["https://finance-agent.example.net/callback"])),
            ("Included Updated Properties", None, au._q("ReplyUrls")),
        ],
    )
    plan.audits.append(change)
    _label(
        plan,
        "INC-G03-finance-changed-by-stranger",
        "AA-G03",
        ["AA-G03"],
        _ids(a) + _person_ids(mallory),
        None,
        None,
        "A user who is neither owner nor sponsor of the finance automation agent updates its "
        "service principal (new reply URL).",
        extra_evidence=[change["id"]],
        window=(plan.day_us(L - 1, 19.4), plan.day_us(L - 1, 19.4)),
    )

    # AA-G04: a dormant agent still enabled with credentials.
    a = A("legacy_expense")
    if days >= G04_MIN_DAYS:
        plan.watches.append(Watch("INC-G04-dormant-legacy", "sp_id", a.object_id, 0, 2))
        _label(
            plan,
            "INC-G04-dormant-legacy",
            "AA-G04",
            ["AA-G04"],
            _ids(a),
            None,
            None,
            "The legacy expense agent was active only on the first three days; it has been "
            f"silent for {days - 3} days yet is still enabled (no disable or credential "
            "removal in the audit log) with the credential added at its creation.",
            window=(plan.day_us(33), plan.day_us(L + 1) - US),
        )
    else:
        a.active_days = (days + 1, days + 1)  # never active: no half-told story
        plan.skipped.append(f"AA-G04 needs --days >= {G04_MIN_DAYS}")

    # AA-G05: agent sign-ins that no Conditional Access policy covers.
    a = next((x for x in tenant.actors if x.key == "research_001"), A("knowledge"))
    a.ca_gap_from = L - 2
    excl = au.audit(
        tenant,
        rng,
        plan.day_us(L - 3, 22.5),
        "Update conditional access policy",
        admin,
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
    plan.watches.append(Watch("INC-G05-ca-gap", "sp_id", a.object_id, L - 2, L))
    _label(
        plan,
        "INC-G05-ca-gap",
        "AA-G05",
        ["AA-G05"],
        _ids(a),
        None,
        None,
        f"From {plan.iso(plan.day_us(L - 2))[:10]} every sign-in of '{a.name}' has "
        "conditionalAccessStatus notApplied (it was excluded from the agent policy), while "
        "all other agent identities' sign-ins are covered (success).",
        window=(plan.day_us(L - 2), plan.day_us(L + 1) - US),
        extra_evidence=[excl["id"]],
    )

    # AA-S01: sign-in from a country and network new to the identity.
    a = A("translation")
    sp = world.HOSTILE_PLACES[1]
    t = _spread(rng, plan.day_us(L - 1, 11.2), 45, 25)
    s, g = _actor_calls(
        tenant,
        rng,
        a,
        t,
        ["/search/query", "/drives/{drive_kb}/items/{item}/content"],
        signin_kw=dict(place=sp, ip=np.array([str(ips(rng, np.array([sp.prefix]))[0])])),
        region=sp.region,
    )
    _label(
        plan,
        "INC-S01-translation-new-country",
        "AA-S01",
        ["AA-S01"],
        _ids(a),
        s,
        g,
        f"The document translation agent, always seen from {a.place.city} "
        f"({a.place.country}, AS{a.place.asn}), signs in from Sao Paulo (BR, AS20473) and "
        "works from there for 45 minutes.",
        related=["AA-S02", "AA-M01"],
    )

    # AA-S02: impossible travel of a person.
    p = H("impossible_traveller")
    people = tenant.humans.filter(pl.col("role") == "impossible_traveller")
    home = world.PLACES[p["place"]]
    mos = world.HOSTILE_PLACES[0]
    t0 = plan.day_us(L - 1, 14.1)
    s_home = human_signins(tenant, people, np.array([t0]), rng, interactive=True)
    s_far = human_signins(
        tenant,
        people,
        np.array([t0 + 38 * 60 * US]),
        rng,
        interactive=True,
        place_override=mos,
        ip=np.array([str(ips(rng, np.array([mos.prefix]))[0])]),
        mfa=False,
    )
    g = calls(
        tenant,
        rng,
        s_far,
        _spread(rng, t0 + 40 * 60 * US, 15, 8),
        ["/me/messages?$top=50", "/me/drive/root/children"],
        delegated=True,
        scopes="Mail.Read Files.Read.All",
        user_agent=world.BROWSERS[0][0],
        region=mos.region,
    )
    _label(
        plan,
        "INC-S02-impossible-travel",
        "AA-S02",
        ["AA-S02"],
        _person_ids(p),
        pl.concat([s_home, s_far]),
        g,
        f"Two successful interactive sign-ins of the same person 38 minutes apart: "
        f"{home.city} ({home.country}) then Moscow (RU), about "
        f"{int(_km(home, mos)):,} km apart; the person's own activity from home goes on the "
        "same day, so later pairs are impossible too (the window runs to the end of the day).",
        related=["AA-S01"],
        window=(t0, plan.day_us(L) - US),
    )

    # AA-S03 (1): password spray from one address against many people.
    hanoi = world.HOSTILE_PLACES[4]
    ip = np.array([str(ips(rng, np.array([hanoi.prefix]))[0])])
    targets = tenant.humans[20:50] if len(tenant.humans) >= 50 else tenant.humans[10:40]
    who = np.concatenate([np.arange(len(targets)), np.arange(len(targets))])
    t = _spread(rng, plan.day_us(L - 2, 3.15), 14, len(who))
    s = human_signins(
        tenant,
        targets[who],
        t,
        rng,
        interactive=True,
        place_override=hanoi,
        ip=np.repeat(ip, len(who)),
        error_code=50126,
        failure_reason="Error validating credentials due to invalid username or password.",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        mfa=False,
        apps=[world.HUMAN_APPS[0]],
    )
    _label(
        plan,
        "INC-S03-password-spray",
        "AA-S03",
        ["AA-S03"],
        [ip[0]] + targets["id"].to_list() + targets["upn"].to_list(),
        s,
        None,
        f"Password spray: {len(who)} failed interactive sign-ins (error 50126) against "
        f"{len(targets)} different people from one address in Hanoi (VN) within 14 minutes.",
        related=["AA-S01"],
        source_ip=ip[0],
    )

    # AA-S03 (2): a burst of failed client-credential sign-ins against one agent.
    a = A("support")
    lag = world.HOSTILE_PLACES[2]
    t = _spread(rng, plan.day_us(L - 1, 2.0), 12, 45)
    s = actor_signins(
        tenant,
        a,
        t,
        rng,
        place=lag,
        ip=np.repeat(str(ips(rng, np.array([lag.prefix]))[0]), 45),
        error_code=7000215,
        failure_reason="Invalid client secret provided. Ensure the secret "
        "being sent in the request is the client secret value, not the client secret ID.",
        ca_status="notApplied",
    )
    _label(
        plan,
        "INC-S03-agent-secret-guessing",
        "AA-S03",
        ["AA-S03"],
        _ids(a),
        s,
        None,
        "45 failed client-credential sign-ins (error 7000215, invalid client secret) "
        "against the customer support agent in 12 minutes from one address in Lagos.",
        related=["AA-S01", "AA-S04"],
    )

    # AA-S04: activity outside declared active hours.
    a = A("finance")
    t = _spread(rng, plan.day_us(L, 1.5), 60, 60)
    s, g = _actor_calls(
        tenant,
        rng,
        a,
        t,
        [
            "/drives/{drive_fin}/items/{item}/content",
            "/sites/{site_fin}/lists/{list_spend}/items?$expand=fields&$top=50",
        ],
        size=120_000,
    )
    _label(
        plan,
        "INC-S04-finance-at-night",
        "AA-S04",
        ["AA-S04"],
        _ids(a),
        s,
        g,
        f"The finance automation agent (active_hours {a.hours[0]:02d}:00-{a.hours[1]:02d}:00 "
        "UTC, never active at night) signs in and makes 60 calls between 01:30 and 02:30 UTC.",
        related=["AA-M01"],
    )

    # AA-M01: a day unlike any other for the knowledge base agent.
    a = A("knowledge")
    us_cloud = world.CLOUD_PLACES[0]
    n_odd = _planted(tenant, 1100, 150)
    t = _spread(rng, plan.day_us(L - 2, 0.5), 22 * 60, n_odd)
    status = np.where(rng.random(n_odd) < 0.25, 403, 200)
    s, g = _actor_calls(
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
        signin_kw=dict(
            place=us_cloud, ip=np.array([str(x) for x in ips(rng, np.array([us_cloud.prefix] * 1))])
        ),
        region=us_cloud.region,
    )
    _label(
        plan,
        "INC-M01-knowledge-odd-day",
        "AA-M01",
        ["AA-M01"],
        _ids(a),
        s,
        g,
        "The knowledge base agent's day is unlike its history on every feature at once: "
        "about 5x its volume, five new sites and drives, a new address and region (US), "
        "a quarter of requests failing with 403, and activity through the night.",
        related=["AA-R02", "AA-S01", "AA-S04", "AA-R04", "AA-P03"],
    )

    from pipeline.generate import governance  # it builds on this module's labels

    governance.plant(tenant, plan, seed)
    _benign(tenant, plan, rng)
    return plan


def _planted(tenant: Tenant, full: int, floor: int) -> int:
    """Size of a volume incident: ``full`` at normal volume, shrunk with --scale (the
    baselines it must stand out from shrink too), never below ``floor``."""
    return max(floor, int(full * min(1.0, tenant.scale)))


def json_list(values: list[str]) -> str:
    import json

    return json.dumps(values)


def _km(a: world.Place, b: world.Place) -> float:
    la1, lo1, la2, lo2 = map(np.radians, (a.lat, a.lon, b.lat, b.lon))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return float(2 * 6371 * np.arcsin(np.sqrt(h)))


def _benign(tenant: Tenant, plan: Plan, rng: np.random.Generator) -> None:
    L = plan.days - 1
    A = tenant.actor
    a = A("onboarded")
    plan.benign.append(
        {
            "id": "BEN-new-agent-onboarded",
            "description": "A new agent created by its owner with a sponsor, declared in the "
            "registry, starting work within its allowed resources: properly onboarded.",
            "identity_ids": _ids(a),
            "window_start": plan.iso(plan.day_us(L - 3)),
            "window_end": plan.iso(plan.day_us(L + 1) - US),
            "must_not_fire": ["AA-A04", "AA-G03", "AA-R01"],
        }
    )
    a = A("calendar")
    plan.benign.append(
        {
            "id": "BEN-allowed-obo-agent",
            "description": "The calendar assistant acts with people's delegated tokens every "
            "weekday; its registry entry allows it (on_behalf_of = true).",
            "identity_ids": _ids(a),
            "window_start": plan.iso(plan.day_us(0)),
            "window_end": plan.iso(plan.day_us(L + 1) - US),
            "must_not_fire": ["AA-A01"],
        }
    )
    # A person flying from home to London, signing in with MFA on arrival.
    p = tenant.human_by_role("traveller")
    people = tenant.humans.filter(pl.col("role") == "traveller")
    london = world.PLACES[4]
    # A regular: an earlier two-day visit in the learning period (then a travel day home), and
    # the trip that ends the period.
    first = max(1, (L - 2) // 2)
    earlier = (first, first + 1)
    away = (L - 2, L - 1, L)
    arrivals = {first, L - 2}
    for d in (*earlier, first + 2, *away):
        tenant.quiet.setdefault(d, set()).add(p["idx"])
    ip = np.array([str(ips(rng, np.array([london.prefix]))[0])])
    sig, gr = [], []
    for d in (*earlier, *away):
        hour = 14.0 if d in arrivals else 9.0  # arrival day: after a night flight and a transfer
        t0 = plan.day_us(d, hour) + int(rng.integers(0, 30 * 60 * US))
        s1 = human_signins(
            tenant,
            people,
            np.array([t0]),
            rng,
            interactive=True,
            place_override=london,
            ip=ip,
            mfa=True,
        )
        hours = t0 + np.arange(1, 8) * HOUR_US
        s2 = human_signins(
            tenant,
            people[np.zeros(7, dtype=np.int64)],
            hours,
            rng,
            interactive=False,
            place_override=london,
            ip=np.repeat(ip, 7),
        )
        # the same Graph use as at home: ~2.2 calls per token times the person's activity
        per = rng.poisson(2.2 * p["activity"], 7)
        tt = np.repeat(hours, per) + rng.integers(60 * US, 50 * 60 * US, int(per.sum()))
        gr.append(
            calls(
                tenant,
                rng,
                s2[np.repeat(np.arange(7), per)],
                tt,
                [c[1] for c in HUMAN_CALLS],
                delegated=True,
                scopes=HUMAN_SCOPES,
                region=london.region,
                user_agent=world.RICH_CLIENT[0],
            )
        )
        sig.extend([s1, s2])
    plan.signins.extend(sig)
    plan.graph.extend(gr)
    plan.benign.append(
        {
            "id": "BEN-traveller-with-mfa",
            "description": f"A person based in {world.PLACES[p['place']].city} flies to London: "
            "last home activity the day before, first London sign-in at 14:00 UTC with MFA "
            "(at least 14 hours later: a plausible speed), then ordinary working days there to "
            "the end of the period. The person visited the London office once before, in the "
            "learning period.",
            "identity_ids": _person_ids(p),
            "window_start": plan.iso(plan.day_us(L - 2)),
            "window_end": plan.iso(plan.day_us(L + 1) - US),
            "must_not_fire": ["AA-S02"],
        }
    )
    # Normal volume swing: the helpdesk agent has a busy (but ordinary) Monday-like day.
    a = A("helpdesk")
    t = _spread(rng, plan.day_us(L - 3, 8.0), 9 * 60, int(a.volume * 0.5))
    s, g = _actor_calls(tenant, rng, a, t, [c[1] for c in a.calls])
    plan.signins.append(s)
    plan.graph.append(g)
    plan.benign.append(
        {
            "id": "BEN-helpdesk-busy-day",
            "description": "The helpdesk triage agent handles 1.5x its usual volume on one day "
            "with its usual paths, hours and addresses, well under its daily_request_limit.",
            "identity_ids": _ids(a),
            "window_start": plan.iso(plan.day_us(L - 3)),
            "window_end": plan.iso(plan.day_us(L - 2) - US),
            "must_not_fire": ["AA-R04", "AA-P03"],
        }
    )


def day_rows(plan: Plan, stream: str, day_index: int) -> pl.DataFrame:
    """The planted rows of one stream that fall on ``day_index``."""
    parts = {"signin": plan.signins, "graph": plan.graph, "audit": plan.audits}[stream]
    if not parts:
        return empty(stream)
    lo, hi = plan.day_us(day_index), plan.day_us(day_index + 1)
    key = f"_{stream}_all"
    cache = plan.__dict__.get(key)
    if cache is None:
        cache = pl.DataFrame(parts, schema=AUDIT) if stream == "audit" else pl.concat(parts)
        plan.__dict__[key] = cache
    t = pl.col("time").cast(pl.Int64)
    return cache.filter((t >= lo) & (t < hi))
