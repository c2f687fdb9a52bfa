"""Every event names its identity when the catalogue knows the name (a Graph activity record
carries ids only), and one resolution of partial names serves `findings --identity` and the
notebook (pipeline.identities.match_identities)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from detectors.finding import Finding, Identity
from detectors.store import write_day
from pipeline.baselines import update
from pipeline.catalog import connect
from pipeline.cli import cli
from pipeline.errors import UsageError
from pipeline.identities import match_identities

from .rows import write

DAY = "2026-06-01T09:00:00"
ALICE = "A1B2C3D4-0000-0000-0000-00000000A11C"  # upper case in the export: ids compare lowered


@pytest.fixture
def ws(workspace):
    write(
        workspace,
        "signins",
        [
            dict(  # a person signs in: the sign-in names her
                event_time=DAY,
                log_type="interactive",
                user_id=ALICE,
                user_principal_name="Alice.Smith@contoso.com",
                app_id="app-outlook",
                app_display_name="Outlook",
            ),
            dict(  # a classic service principal signs in with its name
                event_time=DAY,
                log_type="service_principal",
                service_principal_id="sp-backup",
                service_principal_name="Nightly backup",
                app_id="app-backup",
            ),
        ],
    )
    write(
        workspace,
        "audits",
        [
            dict(
                event_time=DAY,
                activity="Update user",
                targets=[
                    dict(id="u-bob", type="User", user_principal_name="bob@contoso.com"),
                ],
            )
        ],
    )
    write(
        workspace,
        "activity",
        [
            # Graph activity: ids only
            dict(
                event_time=DAY,
                user_id=ALICE,
                app_id="app-outlook",
                token_type="delegated",
                operation_id="alice",
                resource_path="/me/messages",
            ),
            dict(
                event_time=DAY,
                service_principal_id="sp-backup",
                app_id="app-backup",
                token_type="app",
                operation_id="backup",
                resource_path="/sites",
            ),
            dict(
                event_time=DAY,
                user_id="u-bob",
                token_type="delegated",
                operation_id="bob",
                resource_path="/me",
            ),
            dict(
                event_time=DAY,
                service_principal_id="sp-nobody",
                token_type="app",
                operation_id="nobody",
                resource_path="/users",
            ),
        ],
    )
    update(workspace)
    return workspace


def _names(ws) -> dict[str, str | None]:
    con = connect(ws, read_only=True)
    try:
        rows = con.execute(
            "SELECT a.operation_id, e.identity_name FROM events e JOIN activity a USING (event_id)"
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def test_graph_activity_rows_are_named_from_what_the_catalogue_knows(ws):
    assert _names(ws) == {
        "alice": "Alice.Smith@contoso.com",  # a person, by her sign-ins
        "backup": "Nightly backup",  # a service principal, by its sign-ins
        "bob": "bob@contoso.com",  # a person only a directory audit names
        "nobody": None,  # nobody ever named it: the id stays the only handle
    }


def test_match_identities_takes_partial_names_ids_and_app_ids(ws):
    def ids(text):
        return [m.identity_id for m in match_identities(ws, text)]

    alice = ALICE.lower()
    assert ids("ALICE.smith") == [alice]  # part of the UPN, any case
    assert ids("backup") == ["sp-backup"]  # part of the display name
    assert ids("APP-BACK") == ["sp-backup"]  # part of the app id
    assert ids(ALICE[:8]) == [alice]  # part of the id, as exported (upper case)
    assert ids("no such one") == []
    con = connect(ws, read_only=True)
    try:  # the notebook passes its open connection
        (exact,) = [m for m in match_identities(con, "sp-backup") if m.exact]
        assert exact.name == "Nightly backup" and exact.actor_kind == "service_principal"
    finally:
        con.close()
    with pytest.raises(UsageError):
        match_identities(ws, "  ")


def test_findings_identity_accepts_the_same_partial_names(ws):
    # a finding that carries only the id: the catalogue's name still finds it
    t = datetime(2026, 6, 1, 9, tzinfo=UTC)
    finding = Finding(
        finding_id="f1",
        rule_id="AA-X99",
        family="pii_touch",
        title="t",
        severity="high",
        score=70,
        identity=Identity(id=ALICE.lower(), kind="human"),
        window_start=t,
        window_end=t,
        explanation="read mail",
    )
    write_day(ws, "2026-06-01", [finding])
    runner = CliRunner()
    for text in ("alice.SMITH", ALICE[:8], "contoso.com"):
        out = runner.invoke(cli, ["findings", "-w", str(ws.root), "--identity", text])
        assert out.exit_code == 0, out.output
        assert "1 finding(s)" in out.output and "by severity: 1 high" in out.output, text
    out = runner.invoke(cli, ["findings", "-w", str(ws.root), "--identity", "backup"])
    assert "0 finding(s)" in out.output
