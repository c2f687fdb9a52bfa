"""The access_assignments view: Entitlement Management audits, ingested from every export shape,
correlated into one row per identity x access package assignment."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ingest.entitlement_records import (  # tests/ingest: the records in every shape
    OWNER,
    SHAPES,
    SPONSOR,
    assignment,
    bad_records,
    em_audit,
    package,
    policy,
    prop,
    request,
    resource_role,
    sponsor_chain,
    subject,
    user,
)
from ingest.entitlement_records import (
    catalog as catalog_target,
)

from pipeline import catalog
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _assignments(ws: Workspace, folder: Path, shape: str, recs: list[dict]) -> list[dict]:
    SHAPES[shape][0](folder, recs)
    summary = ingest_paths(ws, [folder])
    assert summary.quarantined == 0, summary.quarantine_reasons
    con = catalog.connect(ws, read_only=True)
    try:
        cur = con.execute("SELECT * FROM access_assignments ORDER BY first_event_time, event_ids")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _by_package(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["access_package"]: r for r in rows}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_sponsor_request_approved_by_owner_in_every_shape(tmp_path, workspace, shape) -> None:
    chain = sponsor_chain(shape)
    (row,) = _assignments(workspace, tmp_path / "in", shape, chain)
    assert row["identity_id"] == "agent-1" and row["identity_name"] == "Finance agent"
    assert row["identity_kind"] == "agent_identity"
    assert row["kind_source"] == "entra_agent_fields"
    assert row["access_package"] == "Finance reporting" and row["access_package_id"] == "ap-1"
    assert row["catalog"] == "Agents"
    assert row["policy"] == "Sponsors request, manager approves" and row["policy_id"] == "pol-1"
    assert row["request_id"] == f"{shape}-req" and row["assignment_id"] == f"{shape}-asg"
    assert row["request_path"] == "sponsor_on_behalf"
    assert row["requested_by"] == SPONSOR
    assert row["approved_by"] == [OWNER]  # a stage and the final approval: one approver
    assert row["auto_approved"] is False
    assert row["status"] == "delivered"
    assert row["requested_at"] == _at("2026-03-10T09:00:00Z")
    assert row["assigned_at"] == _at("2026-03-10T09:31:00Z")
    assert row["expires_at"] == _at("2026-06-10T10:00:00Z")
    assert row["removed_at"] is None
    assert row["resources"] == ["group: Finance readers"]
    assert row["privileged"] is False
    assert row["event_ids"] == [r["id"] for r in chain]
    assert row["problems"] == []


def _self_request_auto_approved() -> list[dict]:
    """An agent user asks for a package itself; the policy approves automatically; the package
    hands out an app role of Microsoft Graph and never expires."""
    me = subject("agent-u", "Mail agent user", "User", "agentIDuser")
    pkg = package("ap-mail", "Mail sender")
    req = request("u-req", "UserAdd")
    return [
        em_audit(
            "u1",
            "User requests access package assignment",
            [pkg, policy("pol-auto", "No approval"), catalog_target(), req, me],
            user("mail-agent@contoso.com", "agent-u"),
            "2026-03-11T08:00:00Z",
            "u-c1",
        ),
        em_audit(
            "u2",
            "Auto approve access package assignment request",
            [pkg, req, me],
            when="2026-03-11T08:00:01Z",
            correlation="u-c1",
        ),
        em_audit(
            "u3",
            "Fulfill access package assignment request",
            [pkg, req, assignment("u-asg"), me],
            when="2026-03-11T08:01:00Z",
            correlation="u-c2",
        ),
        em_audit(
            "u4",
            "Fulfill access package resource assignment",
            [
                pkg,
                assignment("u-asg"),
                resource_role("Mail.Send", "AadApplication", "Microsoft Graph"),
                me,
            ],
            when="2026-03-11T08:01:02Z",
            correlation="u-c2",
        ),
    ]


def _admin_direct_extended_then_removed() -> list[dict]:
    """An administrator assigns a directory-role package directly; it is extended (the
    assignment only) and later removed (logged with only the package and the agent)."""
    agent = subject("agent-2", "Ops agent")
    pkg = package("ap-ops", "Directory readers")
    return [
        em_audit(
            "d1",
            "Administrator directly assigns user to access package",
            [pkg, policy("pol-admin", "Admin only"), request("d-req", "AdminAdd"), agent],
            user("admin@contoso.com"),
            "2026-03-12T10:00:00Z",
            "d-c1",
        ),
        em_audit(
            "d2",
            "Fulfill access package assignment request",
            [pkg, request("d-req", "AdminAdd"), assignment("d-asg", "2026-04-12T10:00:00Z"), agent],
            when="2026-03-12T10:01:00Z",
            correlation="d-c1",
        ),
        em_audit(
            "d3",
            "Fulfill access package resource assignment",
            [pkg, assignment("d-asg"), resource_role("Global Reader", "DirectoryRole"), agent],
            when="2026-03-12T10:01:01Z",
            correlation="d-c1",
        ),
        em_audit(
            "d4",
            "Extend access package assignment",
            [pkg, assignment("d-asg", "2026-05-12T10:00:00Z"), agent],
            user("admin@contoso.com"),
            "2026-04-01T09:00:00Z",
            "d-c2",
        ),
        em_audit(
            "d5",
            "Remove access package assignment",
            [pkg, agent],
            user("admin@contoso.com"),
            "2026-04-20T09:00:00Z",
            "d-c3",
        ),
    ]


def _package_management() -> list[dict]:
    """Policy and package changes: not assignments, but they say whether a policy wants approval
    and what a package hands out."""
    no_approval = policy("pol-auto", "No approval")
    no_approval["modifiedProperties"] = [prop("IsApprovalRequiredForAdd", "False", "True")]
    return [
        em_audit(
            "p1",
            "Update access package assignment policy",
            [no_approval, package("ap-mail", "Mail sender")],
            user("admin@contoso.com"),
            "2026-03-01T08:00:00Z",
            "p-c1",
            operationType="UpdateEntitlementGrantPolicy",
        ),
        em_audit(
            "p2",
            "Create access package resource role scope",
            [
                package("ap-auto", "Everyone in Reports"),
                resource_role("Reports viewers", "AadGroup"),
            ],
            user("admin@contoso.com"),
            "2026-03-01T08:05:00Z",
            "p-c2",
        ),
    ]


def _automatic_and_denied() -> list[dict]:
    """An automatic assignment policy grants a package with no request; another request is
    denied and never fulfilled."""
    agent = subject("agent-3", "Reports agent")
    auto_pkg = package("ap-auto", "Everyone in Reports")
    denied_pkg = package("ap-hr", "HR records")
    return [
        em_audit(
            "a1",
            "Fulfill access package assignment",
            [auto_pkg, assignment("a-asg"), agent],
            when="2026-03-13T01:00:00Z",
            correlation="a-c1",
            details=[{"key": "ExpirationDateTime", "value": "noExpiration"}],
        ),
        em_audit(
            "h1",
            "User requests an access package assignment on behalf of service principal",
            [denied_pkg, request("h-req", "UserAdd"), agent],
            user(SPONSOR),
            "2026-03-13T02:00:00Z",
            "h-c1",
        ),
        em_audit(
            "h2",
            "Deny access package assignment request",
            [denied_pkg, request("h-req"), agent],
            user(OWNER),
            "2026-03-13T03:00:00Z",
            "h-c2",
        ),
    ]


@pytest.mark.parametrize("shape", ["graph", "la_csv"])
def test_request_paths_expiry_and_removal(tmp_path, workspace, shape) -> None:
    recs = _package_management() + _self_request_auto_approved()
    recs += _admin_direct_extended_then_removed()
    rows = _by_package(
        _assignments(workspace, tmp_path / "in", shape, recs + _automatic_and_denied())
    )

    mail = rows["Mail sender"]
    assert mail["identity_id"] == "agent-u" and mail["identity_kind"] == "agent_user"
    assert mail["request_path"] == "self" and mail["requested_by"] == "mail-agent@contoso.com"
    assert mail["auto_approved"] is True and mail["approved_by"] == []
    assert mail["expires_at"] is None  # nothing says it ends: never
    assert mail["resources"] == ["app role: Mail.Send on Microsoft Graph"]
    assert mail["privileged"] is True and mail["policy"] == "No approval"
    assert mail["policy_requires_approval"] is False  # the policy's own update says so

    ops = rows["Directory readers"]
    assert ops["request_path"] == "admin_direct" and ops["requested_by"] == "admin@contoso.com"
    assert ops["approved_by"] == [] and ops["auto_approved"] is False
    assert ops["expires_at"] == _at("2026-05-12T10:00:00Z")  # the extension replaced it
    assert ops["removed_at"] == _at("2026-04-20T09:00:00Z") and ops["status"] == "removed"
    assert ops["resources"] == ["directory role: Global Reader"] and ops["privileged"] is True
    assert ops["event_ids"] == ["d1", "d2", "d3", "d4", "d5"]

    auto = rows["Everyone in Reports"]
    assert auto["request_path"] == "auto" and auto["requested_by"] is None
    assert auto["assigned_at"] == _at("2026-03-13T01:00:00Z") and auto["expires_at"] is None
    assert auto["privileged"] is False and auto["problems"] == []
    assert auto["resources"] == ["group: Reports viewers"]  # from the package's role scope
    assert auto["policy_requires_approval"] is None and ops["policy_requires_approval"] is None

    hr = rows["HR records"]
    assert hr["status"] == "denied" and hr["assigned_at"] is None
    assert hr["request_path"] == "sponsor_on_behalf" and hr["requested_by"] == SPONSOR
    assert len(rows) == 4


def test_registry_decides_the_kind_of_a_classic_service_principal(tmp_path, workspace) -> None:
    workspace.config_file.write_text(
        '[[agents]]\nid = "SP-CLASSIC"\nkind = "agent_identity"\naccess_packages = ["Finance *"]\n'
    )
    classic = subject("sp-classic", "Legacy bot", "ServicePrincipal", None)
    recs = [
        em_audit(
            "c1",
            "Fulfill access package assignment request",
            [package(), request("c-req"), assignment("c-asg"), classic],
        )
    ]
    (row,) = _assignments(workspace, tmp_path / "in", "graph", recs)
    assert row["identity_id"] == "sp-classic"
    assert (row["identity_kind"], row["kind_source"]) == ("agent_identity", "registry")
    con = catalog.connect(workspace, read_only=True)
    try:
        assert con.execute("SELECT access_packages FROM registry").fetchall() == [(["Finance *"],)]
    finally:
        con.close()


@pytest.mark.parametrize("shape", ["graph", "la_csv"])
def test_bad_records_are_kept_and_flagged(tmp_path, workspace, shape) -> None:
    unreadable = em_audit(
        "bad-expiry",
        "Extend access package assignment",
        [package("ap-x", "X"), assignment("x-asg", "next tuesday"), subject("agent-4", "Four")],
    )
    rows = _assignments(workspace, tmp_path / "in", shape, [*bad_records(), unreadable])
    by_event = {r["event_ids"][0]: r for r in rows}
    assert sorted(by_event) == sorted(
        ["no-target", "empty-targets", "unknown", "bad-props", "junk-props", "bad-expiry"]
    )
    assert all(len(r["event_ids"]) == 1 for r in rows)
    no_identity = "no target identity (no user, service principal or agent among the targets)"
    for event in ("no-target", "empty-targets"):
        assert by_event[event]["identity_id"] is None
        assert by_event[event]["problems"] == [no_identity, "no targetResources"]
    assert by_event["unknown"]["problems"] == [
        "unknown activity: Reticulate access package splines"
    ]
    assert by_event["unknown"]["identity_id"] == "agent-1"
    assert by_event["bad-props"]["problems"] == ["malformed modifiedProperties"]
    assert by_event["bad-props"]["identity_id"] == "agent-2"
    assert by_event["junk-props"]["problems"] == ["malformed modifiedProperties"]
    assert by_event["bad-expiry"]["problems"] == ["unreadable expiry: next tuesday"]
    assert by_event["bad-expiry"]["expires_at"] is None


def test_an_empty_lake_has_an_empty_view(workspace) -> None:
    con = catalog.connect(workspace, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM access_assignments").fetchone() == (0,)
        cols = {d[0] for d in con.execute("SELECT * FROM access_assignments").description}
    finally:
        con.close()
    assert {
        "identity_id",
        "identity_kind",
        "access_package",
        "catalog",
        "policy",
        "request_path",
        "requested_by",
        "approved_by",
        "assigned_at",
        "expires_at",
        "removed_at",
        "resources",
        "privileged",
        "event_ids",
        "problems",
    } <= cols
