"""The accountable human on every finding: sponsor, else owner, else the delegating user, else
``unaccountable`` (basis none); filled by the engine for every rule, stored in the findings lake,
and older findings files (written before the columns existed) still read."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from detectors import accountable, store
from detectors.cases import build_workspace, run_case
from detectors.finding import Finding, Identity
from detectors.rule import Case
from detectors.rules.aa_g05_ca_not_applied import ConditionalAccessNotApplied
from pipeline import catalog
from pipeline.workspace import Workspace

DAY = "2026-03-10"
CONFIG = """
[[agents]]
id = "agent-sponsored"
kind = "agent_identity"
name = "Sponsored agent"
sponsor = "cfo@contoso.example"
owner = "platform@contoso.example"

[[agents]]
id = "agent-declared-owner"
kind = "agent_identity"
owner = "platform@contoso.example"
"""


def _signin(n: int, sp: str, user: str | None = None, **extra) -> dict:
    row = {
        "event_id": f"s-{sp}-{n}",
        "event_time": f"{DAY}T{8 + n:02d}:00:00Z",
        "log_type": "service_principal",
        "service_principal_id": sp,
        "app_id": f"app-{sp}",
        "agent_type": "agenticAppInstance",
        "resource_display_name": "Microsoft Graph",
        "conditional_access_status": "notApplied",
        "succeeded": True,
    }
    if user:
        row.update(user_id=user, log_type="non_interactive")
    row.update(extra)
    return row


def _owner_added(sp: str, owner: dict) -> dict:
    return {
        "event_id": f"a-owner-{sp}",
        "event_time": f"{DAY}T07:00:00Z",
        "activity": "Add owner to service principal",
        "result": "success",
        "targets": [
            owner,
            {"id": sp, "type": "ServicePrincipal", "modified_properties": []},
        ],
    }


ROWS = {
    "signins": [
        _signin(1, "agent-sponsored"),
        _signin(1, "agent-declared-owner"),
        _signin(1, "agent-audit-owner"),
        _signin(1, "agent-inventory"),
        # an agent acting with people's delegated tokens: most of its evidence is for alice
        _signin(1, "agent-obo", user="u-alice"),
        _signin(2, "agent-obo", user="u-alice"),
        _signin(3, "agent-obo", user="u-bob"),
        # alice's own sign-in: the rollups learn her UPN
        {
            "event_id": "s-alice",
            "event_time": f"{DAY}T06:00:00Z",
            "log_type": "interactive",
            "user_id": "u-alice",
            "user_principal_name": "alice@contoso.example",
            "app_id": "app-office",
            "succeeded": True,
        },
        _signin(1, "agent-sp-owned"),
        _signin(1, "agent-nobody"),
    ],
    "audits": [
        _owner_added(
            "agent-audit-owner",
            {"id": "u-carl", "type": "User", "user_principal_name": "carl@contoso.example"},
        ),
        # owned by another service principal only: no human answers for it
        _owner_added("agent-sp-owned", {"id": "sp-automation", "type": "ServicePrincipal"}),
    ],
    "agent_facts": [
        {
            "event_time": f"{DAY}T00:00:00Z",
            "entra_agent_id": "agent-inventory",
            "owners": ["dana@contoso.example"],
        }
    ],
}

EXPECTED = {
    "agent-sponsored": ("cfo@contoso.example", "sponsor"),
    "agent-declared-owner": ("platform@contoso.example", "owner"),
    "agent-audit-owner": ("carl@contoso.example", "owner"),
    "agent-inventory": ("dana@contoso.example", "owner"),
    "agent-obo": ("alice@contoso.example", "delegating_user"),
    "agent-sp-owned": ("unaccountable", "none"),
    "agent-nobody": ("unaccountable", "none"),
}


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accountable") / "ws"
    case = Case(name="accountable", fires=True, rows=ROWS, day=DAY, config=CONFIG)
    findings = run_case(ConditionalAccessNotApplied, case, folder)
    return Workspace.at(folder), findings


def test_each_basis_through_the_engine(detected):
    _, findings = detected
    got = {f.identity.id: (f.accountable, f.accountable_basis) for f in findings}
    assert got == EXPECTED


def test_findings_view_and_lake_columns(detected):
    ws, _ = detected
    con = catalog.connect(ws, read_only=True)
    try:
        rows = con.execute(
            "SELECT identity_id, accountable, accountable_basis FROM findings"
        ).fetchall()
    finally:
        con.close()
    assert {r[0]: (r[1], r[2]) for r in rows} == EXPECTED


def _finding(ident: Identity, obo: Identity | None = None, fid: str = "f1") -> Finding:
    t = datetime(2026, 3, 10, 9, tzinfo=UTC)
    return Finding(
        finding_id=fid,
        rule_id="AA-X99",
        family="attribution_gap",
        title="t",
        severity="low",
        score=20,
        identity=ident,
        on_behalf_of=obo,
        window_start=t,
        window_end=t,
        explanation="e",
    )


def test_people_and_unknowns_outside_the_engine(tmp_path):
    """assign() also works on a bare catalog (no judged day): a human answers for their own
    finding, a named on-behalf-of user is the delegating user, an unknown actor is nobody's."""
    ws = build_workspace(Case(name="empty", fires=False, rows={}, day=DAY), tmp_path / "ws")
    con = catalog.connect(ws, read_only=True)
    try:
        got = accountable.assign(
            con,
            [
                _finding(Identity(id="u-erin", kind="human", name="erin@contoso.example"), fid="a"),
                _finding(
                    Identity(id="agent-x", kind="agent_identity"),
                    Identity(id="u-frank", kind="human", name="frank@contoso.example"),
                    fid="b",
                ),
                _finding(Identity(id="unknown", kind="unknown"), fid="c"),
                # the rule's own sponsor field (registry, via the events view) counts too
                _finding(
                    Identity(id="agent-y", kind="agent_identity", sponsor="cio@contoso.example"),
                    fid="d",
                ),
            ],
        )
    finally:
        con.close()
    assert [(f.accountable, f.accountable_basis) for f in got] == [
        ("erin@contoso.example", "delegating_user"),
        ("frank@contoso.example", "delegating_user"),
        ("unaccountable", "none"),
        ("cio@contoso.example", "sponsor"),
    ]


def _old_schema() -> pa.Schema:
    added = ("accountable", "accountable_basis")
    return pa.schema([f for f in store.SCHEMA if f.name not in added])


def _write_old(ws: Workspace, day: str, findings: list[Finding]) -> None:
    """A findings file as the store wrote it before findings named their accountable human."""
    table = store.to_arrow(findings)
    rows = table.drop_columns(["accountable", "accountable_basis"]).to_pylist()
    for row in rows:  # the JSON of that time had no accountable keys either
        row["finding_json"] = row["finding_json"].split(',"accountable"')[0] + "}"
    path = store.day_path(ws, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=_old_schema()), path)


@pytest.mark.parametrize("mixed", [False, True], ids=["only-old-files", "old-and-new-files"])
def test_older_findings_files_still_read(tmp_path, mixed):
    ws = build_workspace(Case(name="empty", fires=False, rows={}, day=DAY), tmp_path / "ws")
    obo = Identity(id="u-gina", kind="human")
    _write_old(
        ws,
        "2026-03-01",
        [
            _finding(Identity(id="agent-old", kind="agent_identity"), fid="old1"),
            _finding(Identity(id="agent-old", kind="agent_identity"), obo, fid="old2"),
        ],
    )
    if mixed:
        new = _finding(Identity(id="agent-new", kind="agent_identity"), fid="new1")
        store.write_day(
            ws,
            "2026-03-02",
            [
                new.model_copy(
                    update={"accountable": "hal@contoso.example", "accountable_basis": "owner"}
                )
            ],
        )
    con = catalog.connect(ws, read_only=True)
    try:
        rows = con.execute(
            "SELECT finding_id, accountable, accountable_basis FROM findings ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    expected = [("old1", "unaccountable", "none"), ("old2", "u-gina", "delegating_user")]
    if mixed:
        expected.insert(0, ("new1", "hal@contoso.example", "owner"))
    assert rows == expected
    read = {f.finding_id: (f.accountable, f.accountable_basis) for f in store.read_findings(ws)}
    assert read == {r[0]: (r[1], r[2]) for r in rows}


def test_findings_command_shows_and_filters_it(detected):
    from click.testing import CliRunner

    from pipeline.cli import cli

    ws, _ = detected
    runner = CliRunner()
    listed = runner.invoke(cli, ["findings", "-w", str(ws.root)])
    assert listed.exit_code == 0, listed.output
    assert "accountable: cfo@contoso.example (sponsor)" in listed.output
    assert "accountable: alice@contoso.example (delegating_user)" in listed.output
    assert "7 finding(s), 2 unaccountable" in listed.output
    nobody = runner.invoke(cli, ["findings", "-w", str(ws.root), "--accountable", "UNACCOUNTABLE"])
    assert "2 finding(s), 2 unaccountable" in nobody.output
    assert "agent-nobody" in nobody.output and "agent-sponsored" not in nobody.output
