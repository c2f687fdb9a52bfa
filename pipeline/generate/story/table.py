"""The story table: every planted incident, benign look-alike and piece of routine history the
story needs, in the order they are planted. A new incident is one function (in the module of
its family) and one entry here; ``evaluate`` reads its expected rules from this table too.

Entries that share a random stream (``stream="story"`` or ``"governance"``, the streams the
story had before the table) must keep their order, or every seed's tenant changes; a new entry
leaves ``stream`` empty and draws from a stream of its own wherever it stands.
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np

from pipeline.generate import lifecycle, provisioning
from pipeline.generate.cast import Tenant
from pipeline.generate.entry import BENIGN, HISTORY, INCIDENT, Context, Entry
from pipeline.generate.plan import Plan
from pipeline.generate.story import (
    attribution,
    behaviour,
    blueprints,
    credentials,
    lookalikes,
    packages,
    pii,
    resources,
    signins,
    tokens,
)

MIN_DAYS = 7  # every incident but AA-G04 needs a week of learning before it
#: the shared random streams (name -> seed suffix)
SHARED_STREAMS = {"story": 0x5709, "governance": 0x60F7}


def _incident(id_, build, rules, related=(), stream="story") -> Entry:
    return Entry(id_, INCIDENT, build, tuple(rules), tuple(related), stream)


def _benign(id_, build, must_not_fire, stream="story") -> Entry:
    return Entry(id_, BENIGN, build, tuple(must_not_fire), (), stream)


def _history(name, build, stream) -> Entry:
    return Entry(name, HISTORY, build, (), (), stream)


TABLE: tuple[Entry, ...] = (
    _history("agent-lives", lifecycle.agent_lives, "story"),
    _incident("INC-R01-helpdesk-devices", resources.helpdesk_devices, ["AA-R01"], ["AA-R02"]),
    _incident("INC-R02-access-new-paths", resources.access_new_paths, ["AA-R02"]),
    _incident(
        "INC-R03-inventory-enumeration",
        resources.inventory_enumeration,
        ["AA-R03"],
        ["AA-R02", "AA-P03", "AA-M01", "AA-S04"],
    ),
    _incident(
        "INC-R04-mailbox-over-limit",
        resources.mailbox_over_limit,
        ["AA-R04"],
        ["AA-P03", "AA-M01"],
    ),
    _incident("INC-G02-notes-mail-grant", credentials.notes_mail_grant, ["AA-G02"]),
    _incident(
        "INC-P01-notes-reads-cfo-mail",
        pii.notes_reads_cfo_mail,
        ["AA-P01"],
        ["AA-R02", "AA-M01"],
    ),
    _incident(
        "INC-P02-support-pii-in-uri", pii.support_pii_in_uri, ["AA-P02"], ["AA-R02", "AA-R01"]
    ),
    _incident(
        "INC-P03-payroll-bulk-profiles",
        pii.payroll_bulk_profiles,
        ["AA-P03"],
        ["AA-R03", "AA-M01", "AA-R02"],
    ),
    _incident(
        "INC-A01-sales-obo", attribution.sales_obo, ["AA-A01"], ["AA-R01", "AA-R02", "AA-P01"]
    ),
    _incident(
        "INC-A02-human-scripted", attribution.human_scripted, ["AA-A02"], ["AA-S04", "AA-M01"]
    ),
    _incident(
        "INC-A03-ocr-shared-secret",
        attribution.ocr_shared_secret,
        ["AA-A03"],
        ["AA-S01", "AA-S02"],
    ),
    _incident(
        "INC-A04-shadow-agent",
        attribution.shadow_agent,
        ["AA-A04"],
        ["AA-P01", "AA-R02", "AA-S01"],
    ),
    _incident(
        "INC-A05-orphan-graph-activity",
        attribution.orphan_graph_activity,
        ["AA-A05"],
        ["AA-R03", "AA-P01"],
    ),
    _incident(
        "INC-G01-recon-new-secret",
        credentials.recon_new_secret,
        ["AA-G01"],
        ["AA-S01", "AA-S02"],
    ),
    _incident(
        "INC-G03-finance-changed-by-stranger",
        credentials.finance_changed_by_stranger,
        ["AA-G03"],
    ),
    _incident("INC-G04-dormant-legacy", credentials.dormant_legacy, ["AA-G04"]),
    _incident("INC-G05-ca-gap", credentials.ca_gap, ["AA-G05"]),
    _incident(
        "INC-S01-translation-new-country",
        signins.translation_new_country,
        ["AA-S01"],
        ["AA-S02", "AA-M01"],
    ),
    _incident("INC-S02-impossible-travel", signins.impossible_travel, ["AA-S02"], ["AA-S01"]),
    _incident("INC-S03-password-spray", signins.password_spray, ["AA-S03"], ["AA-S01"]),
    _incident(
        "INC-S03-agent-secret-guessing",
        signins.agent_secret_guessing,
        ["AA-S03"],
        ["AA-S01", "AA-S04"],
    ),
    _incident("INC-S04-finance-at-night", signins.finance_at_night, ["AA-S04"], ["AA-M01"]),
    _incident(
        "INC-M01-knowledge-odd-day",
        behaviour.knowledge_odd_day,
        ["AA-M01"],
        ["AA-R02", "AA-S01", "AA-S04", "AA-R04", "AA-P03"],
    ),
    _history("channels-and-packages", provisioning.channels_and_packages, "governance"),
    _incident(
        "INC-G06-auto-approved-privileged-package",
        packages.auto_approved_privileged,
        ["AA-G06"],
        stream="governance",
    ),
    _incident(
        "INC-G06-package-outside-declared",
        packages.outside_declared,
        ["AA-G06"],
        stream="governance",
    ),
    _benign(
        "BEN-package-approved-by-sponsor",
        packages.approved_by_sponsor,
        ["AA-G06"],
        stream="governance",
    ),
    _incident("INC-A04-unsponsored-agents", attribution.unsponsored_agents, ["AA-A04"]),
    _history("foundry-pace", provisioning.foundry_pace, "governance"),
    _benign(
        "BEN-steady-blueprint-creations",
        blueprints.steady_creations,
        ["AA-G07"],
        stream="governance",
    ),
    _incident("INC-G07-identity-burst", blueprints.identity_burst, ["AA-G07"], stream="governance"),
    _incident(
        "INC-G07-user-consented-blueprint",
        blueprints.user_consented_blueprint,
        ["AA-G07"],
        ["AA-G02"],
        stream="governance",
    ),
    _benign(
        "BEN-admin-consented-blueprint",
        blueprints.admin_consented_blueprint,
        ["AA-G07"],
        stream="governance",
    ),
    _benign(
        "BEN-new-agent-onboarded",
        lookalikes.new_agent_onboarded,
        ["AA-A04", "AA-G03", "AA-R01"],
    ),
    _benign("BEN-allowed-obo-agent", lookalikes.allowed_obo_agent, ["AA-A01"]),
    _benign("BEN-traveller-with-mfa", lookalikes.traveller_with_mfa, ["AA-S02"]),
    _benign("BEN-helpdesk-busy-day", lookalikes.helpdesk_busy_day, ["AA-R04", "AA-P03"]),
    # issue 18: token and session replay (streams of their own)
    _incident(
        "INC-S05-replayed-agent-token",
        tokens.replayed_agent_token,
        ["AA-S05"],
        ["AA-S01", "AA-M01"],
        stream="",
    ),
    _incident(
        "INC-S05-stolen-user-session",
        tokens.stolen_user_session,
        ["AA-S05"],
        ["AA-S01", "AA-S02"],
        stream="",
    ),
    _benign("BEN-dual-stack-client", tokens.dual_stack_client, ["AA-S05"], stream=""),
    _benign("BEN-provider-address-pool", tokens.provider_address_pool, ["AA-S05"], stream=""),
)

_BY_ID = {e.id: e for e in TABLE}
assert len(_BY_ID) == len(TABLE), "story table: two entries with one id"

#: every rule some incident expects
ALL_RULES = sorted({r for e in TABLE if e.kind == INCIDENT for r in e.rules})


def entry(entry_id: str) -> Entry | None:
    """The table's entry of a label id, or None (a label the generator did not write)."""
    return _BY_ID.get(entry_id)


def build_plan(tenant: Tenant, start: date, days: int, seed: int) -> Plan:
    """Plant every entry of the table, in order; returns the rows and the labels."""
    plan = Plan(start=start, days=days)
    shared = {k: np.random.default_rng([seed, v]) for k, v in SHARED_STREAMS.items()}
    for e in TABLE:
        rng = shared[e.stream] if e.stream else _own_stream(seed, e.id)
        e.build(Context(tenant, plan, rng, e))
    return plan


def _own_stream(seed: int, entry_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(entry_id.encode())])
