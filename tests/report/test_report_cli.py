"""`agentaudit report`: thin command, help with an example, exit codes."""

from __future__ import annotations

from click.testing import CliRunner
from report_fixtures import DAY, findings

from detectors.store import write_day
from pipeline.cli import cli


def test_report_command_writes_the_file(workspace, tmp_path):
    write_day(workspace, DAY, findings())
    out = tmp_path / "morning.html"
    result = CliRunner().invoke(
        cli, ["report", "--workspace", str(workspace.root), "--date", DAY, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output and out.read_text().startswith("<!DOCTYPE html>")


def test_report_help_has_an_example():
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0 and "Example" in result.output and "--date" in result.output
