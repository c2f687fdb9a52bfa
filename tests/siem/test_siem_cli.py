"""`agentaudit export`: stdout, file, help, usage errors and the exit code when spooling."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from collector import Collector
from siem_findings import DAY, catalogue

from detectors.store import write_day
from pipeline.cli import cli, main


def test_export_to_stdout_keeps_stdout_for_findings(workspace):
    write_day(workspace, DAY, catalogue()[:4])
    result = CliRunner().invoke(
        cli, ["export", "--workspace", str(workspace.root), "--format", "ocsf", "-o", "-"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all(json.loads(x)["class_uid"] == 2004 for x in lines)
    assert "4 finding(s)" in result.stderr


def test_export_help_and_usage_errors(workspace, monkeypatch, capsys):
    help_text = CliRunner().invoke(cli, ["export", "--help"]).output
    assert "Example" in help_text and "--hec-token" in help_text and "--redact" in help_text
    for args, message in (
        (["--date", "26/11/2026"], "YYYY-MM-DD"),
        (["--url", "ftp://collector.example/x"], "http"),
    ):
        monkeypatch.setattr(sys, "argv", ["agentaudit", "export", "-w", str(workspace.root), *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err


def test_export_exits_1_when_findings_wait_in_the_spool(workspace):
    write_day(workspace, DAY, catalogue()[:2])
    collector = Collector()
    collector.always = 403  # a wrong token: not retried, everything waits in the spool
    try:
        result = CliRunner().invoke(
            cli, ["export", "-w", str(workspace.root), "--url", collector.url, "--hec-token", "t"]
        )
    finally:
        collector.close()
    assert result.exit_code == 1
    assert "2 kept in the spool" in result.output and "HTTP 403" in result.output
