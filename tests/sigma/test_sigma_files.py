"""Sigma rule files: a file that is no YAML is an error naming the file and line; the CLI check
prints one line per rule and a summary, and its SQL on request."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.sigma.check import check
from pipeline.sigma.rules import SigmaFileError, load_file, rule_files
from tests.sigma.rules import rule_text, write_rule

BROKEN = """title: Broken rule
logsource:
  product: azure
  service: auditlogs
detection:
  selection:
    OperationName: Add user
   Category: UserManagement
  condition: selection
"""


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write_rule(tmp_path, "broken", BROKEN)
    with pytest.raises(SigmaFileError) as err:
        load_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:8:4: not valid YAML: ")  # the badly indented key
    assert "at line 6" in message  # the mapping it breaks


def test_a_yaml_list_is_not_a_rule(tmp_path):
    path = write_rule(tmp_path, "list", "- one\n- two\n")
    with pytest.raises(SigmaFileError, match="not a Sigma rule"):
        load_file(path)


def test_missing_path(tmp_path):
    with pytest.raises(SigmaFileError, match="no such Sigma rule file or folder"):
        rule_files([tmp_path / "nowhere"])


def test_check_lists_a_broken_file_and_goes_on(tmp_path):
    write_rule(tmp_path, "broken", BROKEN)
    write_rule(tmp_path, "good", rule_text({"selection": {"OperationName": "Add user"}}))
    report = check([tmp_path])
    assert not report.all_accounted
    assert [t.status for t in report.translations] == ["ok"]
    assert report.file_errors[0].startswith(f"{tmp_path / 'broken.yml'}:8:")


def test_cli_check(tmp_path):
    write_rule(
        tmp_path,
        "a",
        rule_text(
            {"selection": {"properties.message": "Add owner to application"}}, title="Owner added"
        ),
    )
    write_rule(tmp_path, "b", rule_text({"selection": {"Target|contains": "x"}}, title="No column"))
    result = CliRunner().invoke(cli, ["sigma", "check", str(tmp_path), "--show-sql"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    ok = next(i for i, line in enumerate(lines) if "  ok  (Owner added" in line)
    assert lines[ok].startswith("SIGMA-") and "spark: transpiles" in lines[ok]
    assert lines[ok + 1].strip() == (
        'SELECT * FROM sigma_auditlogs WHERE lower("ActivityDisplayName") = lower($p1)'
    )
    assert lines[ok + 2].strip() == "-- $p1 = 'Add owner to application'"
    assert any("binds to no real column: Target  (No column" in line for line in lines)
    assert lines[-1].startswith("2 rule(s) in 2 file(s): 1 ok, 0 unsupported, 1 bind")


def test_cli_check_broken_file_exits_1(tmp_path):
    write_rule(tmp_path, "broken", BROKEN)
    result = CliRunner().invoke(cli, ["sigma", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'broken.yml'}:8:" in result.output


def test_a_broken_file_in_the_config_stops_the_run_naming_it(workspace):
    from pipeline.config import load_config
    from pipeline.sigma.detector import sigma_detectors

    path = write_rule(workspace.root / "rules", "broken", BROKEN)
    write_rule(workspace.root / "rules", "good", rule_text({"selection": {"Category": "Policy"}}))
    workspace.config_file.write_text('[sigma]\nrules = ["rules"]\n')
    with pytest.raises(SigmaFileError) as err:
        sigma_detectors(workspace, load_config(workspace))
    assert str(err.value).startswith(f"[sigma] rules in {workspace.config_file}: {path}:8:4:")


def test_configured_rules_become_detectors(workspace):
    from pipeline.config import load_config
    from pipeline.sigma.detector import sigma_detectors

    write_rule(workspace.root / "rules", "good", rule_text({"selection": {"Category": "Policy"}}))
    write_rule(workspace.root / "rules", "never", rule_text({"selection": {"Nowhere": "x"}}))
    workspace.config_file.write_text('[sigma]\nrules = ["rules"]\n')
    (rule,) = sigma_detectors(workspace, load_config(workspace))
    assert rule.id.startswith("SIGMA-") and len(rule.id) == 14
    assert (rule.severity, rule.title) == ("high", "Test rule")
    assert sigma_detectors(workspace, load_config(workspace.root / "elsewhere")) == []
