"""`agentaudit export`: stdout, file, help, usage errors and the exit code when spooling."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner
from siem_findings import DAY, catalogue

from detectors.store import write_day
from pipeline.cli import cli


def test_export_to_stdout_keeps_stdout_for_findings(workspace):
    write_day(workspace, DAY, catalogue()[:4])
    result = CliRunner().invoke(
        cli, ["export", "--workspace", str(workspace.root), "--format", "ocsf", "-o", "-"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all(json.loads(x)["class_uid"] == 2004 for x in lines)
    assert "4 finding(s)" in result.stderr


def test_export_help_and_usage_errors(workspace):
    runner = CliRunner()
    help_text = runner.invoke(cli, ["export", "--help"]).output
    assert "Example" in help_text and "--hec-token" in help_text and "--redact" in help_text
    bad = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "export", "-w", str(workspace.root), "--date", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode in (1, 2)  # the library's UsageError (2) once main() is the entry


def test_export_exits_1_when_findings_wait_in_the_spool(workspace):
    write_day(workspace, DAY, catalogue()[:2])
    workspace.config_file.write_text("[siem]\ntimeout_seconds = 0.5\n")
    # a closed local port: the connection is refused, every retry fails fast
    result = CliRunner().invoke(
        cli,
        ["export", "-w", str(workspace.root), "--url", "http://127.0.0.1:9/collector"],
    )
    assert result.exit_code == 1
    assert "kept in the spool" in result.output
