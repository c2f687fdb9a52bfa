"""Issue 13 in the generated tenant: Entitlement Management flows in every export shape,
agents from every creation channel, and the AA-G06 / AA-G07 incidents and look-alikes."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import get_args

import pytest

from pipeline.config import CreationChannel, load_config
from pipeline.generate import entitlement as em
from pipeline.generate import generate_tenant
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace
from tests.ingest.records import lake_rows

KW = dict(days=8, agents=24, humans=40, scale=0.05, seed=5)
SHAPES = ["storage", "eventhub", "graph", "loganalytics-csv", "portal-csv"]
CHANNELS = set(get_args(CreationChannel))


def _ingested(root: Path, fmt: str) -> tuple[dict, list[dict]]:
    """Generate a tenant in ``fmt``, ingest it; (labels, audits rows of the lake)."""
    summary = generate_tenant(root / "t", fmt=fmt, **KW)
    ws = Workspace.at(root / "ws")
    ws.lake.mkdir(parents=True)
    done = ingest_paths(ws, [root / "t" / "input"])
    assert done.quarantined == 0, done.quarantine_reasons
    assert done.rows_written == summary.events
    labels = json.loads((root / "t" / "labels.json").read_text())
    return labels, lake_rows(ws, "audits")


@pytest.fixture(scope="module")
def storage(tmp_path_factory) -> tuple[dict, list[dict], Path]:
    root = tmp_path_factory.mktemp("gov")
    labels, audits = _ingested(root, "storage")
    return labels, audits, root / "t"


def _by_type(row: dict) -> dict[str, dict]:
    return {t["type"]: t for t in row["targets"]}


def _new(target: dict, name: str) -> str | None:
    change = dict(target["modified"] or {}).get(name)
    return change["new_value"] if change else None


def _em_rows(audits: list[dict]) -> list[dict]:
    return [a for a in audits if a["category"] == em.CATEGORY]


@pytest.mark.parametrize("fmt", SHAPES)
def test_entitlement_flows_land_in_audits_in_every_shape(tmp_path, fmt):
    labels, audits = _ingested(tmp_path, fmt)
    rows = {a["event_id"]: a for a in _em_rows(audits)}
    assert rows, f"{fmt}: no Entitlement Management audits"
    assert {a["logged_by_service"] for a in rows.values()} == {em.SERVICE}
    assert {em.FULFILL, em.FULFILL_RESOURCE, em.APPROVE, em.AUTO_APPROVE} <= {
        a["activity"] for a in rows.values()
    }
    for truth in labels["access_assignments"]:
        events = [rows[i] for i in truth["event_ids"]]  # every event of the flow landed
        assert {e["correlation_id"] for e in events} == {truth["correlation_id"]}
        fulfil = next(e for e in events if e["activity"] == em.FULFILL)
        t = _by_type(fulfil)
        assert {
            "AccessPackage",
            "AccessPackageAssignmentPolicy",
            "AccessPackageCatalog",
            "AccessPackageAssignmentRequest",
            "AccessPackageAssignment",
        } <= set(t)
        assert t["AccessPackage"]["display_name"] == truth["access_package"]
        assert t["AccessPackageCatalog"]["display_name"] == truth["catalog"]
        subject = next(x for x in fulfil["targets"] if x["id"] == truth["identity_id"])
        assert subject["agent_type"] in ("agenticAppInstance", "agentIDuser")
        assert subject["type"] == (
            "User" if subject["agent_type"] == "agentIDuser" else "ServicePrincipal"
        )
        assignment = t["AccessPackageAssignment"]
        assert _new(assignment, "Schedule.Expiration.EndDateTime") == truth["expires_at"]
        expected_type = "noExpiration" if truth["expires_at"] is None else "afterDateTime"
        assert _new(assignment, "Schedule.Expiration.Type") == expected_type
        granted = [e for e in events if e["activity"] == em.FULFILL_RESOURCE]
        assert len(granted) == len(truth["resources"])


def test_request_paths_approvers_and_expiry(storage):
    labels, audits, _ = storage
    rows = {a["event_id"]: a for a in _em_rows(audits)}
    truths = labels["access_assignments"]
    assert {t["request_path"] for t in truths} == {
        "self",
        "sponsor_on_behalf",
        "admin_direct",
        "auto",
    }
    for truth in truths:
        events = [rows[i] for i in truth["event_ids"]]
        activities = [e["activity"] for e in events]
        first = events[0]
        if truth["request_path"] == "auto":
            assert em.AUTO_APPROVE in activities and em.APPROVE not in activities
            assert truth["approved_by"] == [] and truth["expires_at"] is None
            assert truth["privileged"]
            assert {r.split(":")[0] for r in truth["resources"]} == {"DirectoryRole", "AppRole"}
        elif truth["request_path"] == "admin_direct":
            assert activities[0] == em.REQUEST_ACTIVITY["admin_direct"]
            assert em.APPROVE not in activities and em.AUTO_APPROVE not in activities
            assert _new(_by_type(first)["AccessPackageAssignmentRequest"], "RequestType") == (
                "adminAdd"
            )
        else:
            assert activities[0] == em.REQUEST_ACTIVITY[truth["request_path"]]
            approve = next(e for e in events if e["activity"] == em.APPROVE)
            assert approve["initiator_name"] and truth["approved_by"]
            assert em.APPROVAL_STAGE in activities and truth["expires_at"]
        if truth["request_path"] == "self":  # the agent itself asks
            assert (
                first["initiator_kind"] == "service_principal"
                and first["initiator_id"] == truth["identity_id"]
            )
        if truth["request_path"] == "sponsor_on_behalf":
            assert first["initiator_kind"] == "human"
            assert truth["requested_by"] == truth["approved_by"][0]  # the sponsor, both times


def test_registry_declares_access_packages_and_incidents_break_them(storage):
    labels, _, tenant = storage
    cfg = load_config(tenant)
    declared = {a.id: a.access_packages for a in cfg.agents}
    assert sum(1 for v in declared.values() if v) >= 10
    incidents = {i["id"]: i for i in labels["incidents"]}
    truth = {(t["identity_id"], t["access_package"]): t for t in labels["access_assignments"]}

    def held(lid: str) -> dict:
        inc = incidents[lid]
        assert inc["rule_ids"] == ["AA-G06"]
        assert inc["family"] == "credential_or_privilege_change"
        return next(
            t
            for (i, _), t in truth.items()
            if i in inc["culprit_ids"] and set(t["event_ids"]) <= set(inc["evidence_event_ids"])
        )

    outside = held("INC-G06-package-outside-declared")
    globs = declared[outside["identity_id"]]
    assert globs and not any(fnmatchcase(outside["access_package"], g) for g in globs)
    auto = held("INC-G06-auto-approved-privileged-package")
    assert any(fnmatchcase(auto["access_package"], g) for g in declared[auto["identity_id"]])
    assert auto["request_path"] == "auto" and auto["expires_at"] is None
    # routine assignments stay inside what each agent declares
    routine = [
        t
        for t in labels["access_assignments"]
        if not any(set(t["event_ids"]) <= set(i["evidence_event_ids"]) for i in incidents.values())
    ]
    assert routine
    for t in routine:
        assert any(fnmatchcase(t["access_package"], g) for g in declared[t["identity_id"]])
        assert t["request_path"] == "auto" or t["expires_at"]
    benign = next(b for b in labels["benign"] if b["id"] == "BEN-package-approved-by-sponsor")
    assert benign["must_not_fire"] == ["AA-G06"]


def _creations(audits: list[dict]) -> dict[str, dict]:
    """'Add service principal' events by created object id."""
    out = {}
    for a in audits:
        if a["activity"] == "Add service principal" and a["target_ids"]:
            out.setdefault(a["target_ids"][0], a)
    return out


def test_creation_channels_with_the_evidence_each_carries(storage):
    labels, audits, tenant = storage
    channels = labels["creation_channels"]
    assert {c["creation_channel"] for c in channels} == CHANNELS
    created = _creations(audits)
    consents = [a for a in audits if a["activity"] == "Consent to application"]
    by_channel = defaultdict(list)
    for c in channels:
        by_channel[c["creation_channel"]].append(c)
    # Copilot Studio: the power-virtual-agents-<bot id> tag, with or without agentType
    studio = [
        c for c in by_channel["copilot-studio"] if c["kind"] != "blueprint" and c["registered"]
    ]
    assert {c["kind"] for c in studio} == {"agent_identity", "classic_agent"}
    for c in studio:
        tags = json.loads(_new(created[c["id"]]["targets"][0], "Tags"))
        assert any(t.startswith("power-virtual-agents-") for t in tags)
    # Foundry and Security Copilot: blueprint principals created by the product's app
    for channel, maker in (
        ("azure-ai-foundry", "Azure AI Foundry"),
        ("security-copilot", "Microsoft Security Copilot"),
        ("copilot-studio", "Power Virtual Agents Service"),
    ):
        bp = next(c for c in by_channel[channel] if c["kind"] == "blueprint")
        row = created[bp["id"]]
        assert row["initiator_kind"] == "service_principal" and row["initiator_name"] == maker
        assert row["targets"][0]["agent_type"] == "agentIdentityBlueprintPrincipal"
        assert json.loads(_new(row["targets"][0], "Tags")) == ["AgenticApp"]
    foundry_agents = [c for c in by_channel["azure-ai-foundry"] if c["kind"] == "agent_identity"]
    assert any(c["registered"] for c in foundry_agents)
    # a third-party app: an admin's consent, right after it appeared
    vendor = next(c for c in by_channel["third-party-consent"] if c["registered"])
    consent = next(a for a in consents if vendor["id"] in a["target_ids"])
    assert _new(consent["targets"][0], "ConsentContext.IsAdminConsent") == "True"
    # admin or API: created by the administrator with the Azure CLI
    script = next(c for c in by_channel["admin-or-api"] if c["name"] == "Release pipeline agent")
    assert created[script["id"]]["user_agent"].startswith("azure-cli/")
    # some registered agents have no sponsor
    cfg = load_config(tenant)
    unsponsored = [a for a in cfg.agents if not a.sponsor]
    assert len(unsponsored) >= 2
    truth = {c["id"]: c for c in channels}
    assert all(truth[a.id]["sponsor"] is None for a in unsponsored)
    # the evidence each one's records carry; nothing tells of the shadow agent's origin
    shadow = next(c for c in channels if c["creation_channel"] == "unknown")
    assert not shadow["registered"] and shadow["evidence"] == []
    assert "tags" in truth[studio[0]["id"]]["evidence"]
    assert all(c["evidence"] for c in channels if c["creation_channel"] != "unknown")


def _when(row: dict) -> datetime:
    t = row["event_time"]
    return t if isinstance(t, datetime) else datetime.fromisoformat(str(t))


def test_identity_burst_and_consented_blueprints(storage):
    labels, audits, _ = storage
    incidents = {i["id"]: i for i in labels["incidents"]}
    benign = {b["id"]: b for b in labels["benign"]}
    by_initiator = defaultdict(list)
    for a in audits:
        if a["activity"] == "Add service principal" and a["initiator_kind"] == "service_principal":
            by_initiator[a["initiator_id"]].append(_when(a))
    burst = incidents["INC-G07-identity-burst"]
    assert burst["rule_ids"] == ["AA-G07"] and burst["family"] == "credential_or_privilege_change"
    principal = burst["culprit_ids"][0]
    times = sorted(by_initiator[principal])
    last = times[-1]
    in_hour = [t for t in times if (last - t).total_seconds() <= 3600]
    before = [t for t in times if (last - t).days >= 1]
    assert len(in_hour) >= 30
    assert len(before) <= KW["days"]  # a few a week before the burst
    steady = benign["BEN-steady-blueprint-creations"]
    s_times = sorted(by_initiator[steady["identity_ids"][0]])
    assert len(s_times) == 2 * KW["days"]
    assert (
        max(sum(1 for u in s_times if 0 <= (u - t).total_seconds() <= 3600) for t in s_times) <= 2
    )

    consents = {a["target_ids"][0]: a for a in audits if a["activity"] == "Consent to application"}
    user = incidents["INC-G07-user-consented-blueprint"]
    row = consents[user["culprit_ids"][0]]
    assert _new(row["targets"][0], "ConsentContext.IsAdminConsent") == "False"
    assert row["initiator_kind"] == "human"
    assert row["targets"][0]["agent_type"] == "agentIdentityBlueprintPrincipal"
    assert set(user["evidence_event_ids"]) >= {row["event_id"]}
    admin = benign["BEN-admin-consented-blueprint"]
    row = consents[admin["identity_ids"][0]]
    assert _new(row["targets"][0], "ConsentContext.IsAdminConsent") == "True"
    assert admin["must_not_fire"] == ["AA-G07"]
