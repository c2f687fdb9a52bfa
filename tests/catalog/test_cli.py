"""The catalog commands: init, sql, shell, identities, registry import, baseline."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from pipeline.catalog.shell import run_shell
from pipeline.cli import cli

from .rows import write

COMMANDS = [["init"], ["sql"], ["shell"], ["identities"], ["registry", "import"], ["baseline"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and ("Example:" in result.output or "Examples:" in result.output)


@pytest.fixture
def ws(workspace):
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "-w", str(workspace.root)]).exit_code == 0
    write(
        workspace,
        "signins",
        [
            dict(
                event_time="2026-06-01T08:00:00",
                log_type="service_principal",
                service_principal_id="sp-1",
                agent_type="agenticAppInstance",
            )
        ],
    )
    return workspace


def test_baseline_identities_and_sql(ws):
    runner = CliRunner()
    out = runner.invoke(cli, ["baseline", "-w", str(ws.root)])
    assert out.exit_code == 0 and "rolled up 1 day(s)" in out.output
    out = runner.invoke(cli, ["identities", "-w", str(ws.root), "--agents", "-f", "json"])
    assert out.exit_code == 0
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [(r["identity_id"], r["actor_kind"]) for r in rows] == [("sp-1", "agent_identity")]
    out = runner.invoke(cli, ["identities", "-w", str(ws.root), "--kind", "robot"])
    assert out.exit_code != 0
    out = runner.invoke(
        cli,
        [
            "sql",
            "-w",
            str(ws.root),
            "SELECT count(*) AS n FROM events WHERE identity_id = $i",
            "-p",
            "i=sp-1",
            "-f",
            "csv",
        ],
    )
    assert out.exit_code == 0 and out.stdout.splitlines()[:2] == ["n", "1"]


def test_registry_import_command(ws, tmp_path):
    export = tmp_path / "agents.json"
    export.write_text(json.dumps({"value": [{"id": "sp-1", "displayName": "Imported"}]}))
    out = CliRunner().invoke(cli, ["registry", "import", str(export), "-w", str(ws.root)])
    assert out.exit_code == 0 and "1 agents added" in out.output


def test_shell_reads_statements_and_dot_commands(ws):
    out = io.StringIO()
    script = (
        ".tables\n"
        "SELECT identity_id\n  FROM events;\n"
        ".format csv\n"
        "SELECT 1 AS one;\n"
        ".history 2026-06-02\n"
        "SELECT count(*) AS n FROM history_volume;\n"
        "SELECT broken FROM;\n"
        ".quit\n"
        "SELECT 'never reached';\n"
    )
    summary = run_shell(ws, stdin=io.StringIO(script), stdout=out)
    text = out.getvalue()
    assert "events" in text and "identities" in text
    assert "sp-1" in text
    assert "one\n1" in text
    assert "error:" in text and "never reached" not in text
    assert (summary.statements, summary.errors) == (4, 1)


@pytest.mark.parametrize(
    "command",
    [["findings"], ["sql", "SELECT 1"], ["report"], ["identities"], ["baseline"], ["export"]],
    ids=" ".join,
)
def test_a_folder_that_is_no_workspace_is_refused(tmp_path, command):
    """A typo'd --workspace used to print "0 findings" or even create the folder."""
    typo = tmp_path / "wrokspace"
    result = CliRunner().invoke(cli, [*command, "-w", str(typo)])
    assert result.exit_code == 2, result.output
    assert "is not an agentaudit workspace" in result.output and "agentaudit init" in result.output
    assert not typo.exists()
