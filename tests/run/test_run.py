"""The nightly job end to end on a small generated tenant, through the real command line."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.generate import generate_tenant


def agentaudit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "tenant"
    generate_tenant(folder, days=8, agents=18, humans=40, seed=5, scale=0.02)
    return folder


@pytest.fixture(scope="module")
def first_run(tenant: Path) -> subprocess.CompletedProcess:
    return agentaudit("run", "--workspace", str(tenant), "--no-progress", "--fail-on", "medium")


def test_first_run_writes_report_siem_file_and_manifest(tenant: Path, first_run) -> None:
    # the planted incidents are medium and above: --fail-on medium exits 3 after doing all the work
    assert first_run.returncode == 3, first_run.stderr
    assert "findings at or above medium" in first_run.stderr
    out = first_run.stdout
    assert "rows read" in out and "report:" in out and "SIEM file:" in out
    report = Path(out.split("report:")[1].split()[0])
    siem = Path(out.split("SIEM file:")[1].split()[0])
    assert report.is_file() and "<html" in report.read_text()[:500].lower()
    assert stat.S_IMODE(report.stat().st_mode) == 0o600  # it names people
    lines = siem.read_text().splitlines()
    assert lines, "the planted incidents must reach the SIEM file"
    assert all(json.loads(line)["class_uid"] == 2004 for line in lines)
    manifests = list((tenant / "lake" / "_runs").glob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert [s["name"] for s in manifest["stages"]][:3] == ["ingest", "baseline", "detect"]
    assert manifest["rows_read"] > 1000 and manifest["changed"] is True
    assert manifest["versions"]["agentaudit"]


def test_second_run_over_the_same_inputs_changes_nothing_and_says_so(tenant: Path, first_run):
    assert first_run.returncode == 3
    findings_before = sorted(p.stat().st_mtime_ns for p in (tenant / "lake").rglob("findings/*/*"))
    again = agentaudit("run", "--workspace", str(tenant), "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "Nothing new" in again.stdout
    assert "report:    no new data; latest report: " in again.stdout and "None" not in again.stdout
    findings_after = sorted(p.stat().st_mtime_ns for p in (tenant / "lake").rglob("findings/*/*"))
    assert findings_after == findings_before


def test_fail_on_keeps_failing_while_findings_stay_open(tenant: Path, first_run) -> None:
    """Nothing new arrived, but the findings of the last judged days are still open and
    unsuppressed: a scheduler gating on --fail-on must not turn green on a quiet night."""
    assert first_run.returncode == 3
    result = agentaudit("run", "--workspace", str(tenant), "--no-progress", "--fail-on", "low")
    assert result.returncode == 3, result.stderr
    assert "Nothing new" in result.stdout and "findings at or above low" in result.stderr


def test_no_new_input_where_the_feed_is_expected_exits_4(tenant: Path, first_run) -> None:
    """A dead export feed must not look like a quiet night (expect_new_data = true)."""
    assert first_run.returncode == 3
    config = tenant / "agentaudit.toml"
    text = config.read_text()
    config.write_text(text.replace("[workspace]\n", "[workspace]\nexpect_new_data = true\n", 1))
    try:
        quiet = agentaudit("run", "--workspace", str(tenant), "--no-progress")
        assert quiet.returncode == 4, quiet.stderr
        assert "warning: no new rows arrived" in quiet.stderr and "export feed" in quiet.stderr
        # open findings at the --fail-on level win: exit 3, the warning still printed
        gated = agentaudit("run", "--workspace", str(tenant), "--no-progress", "--fail-on", "low")
        assert gated.returncode == 3 and "warning: no new rows arrived" in gated.stderr
        manifest = json.loads(max((tenant / "lake" / "_runs").glob("*.json")).read_text())
        assert manifest["no_new_input"] is True
    finally:
        config.write_text(text)


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    result = agentaudit("run", "--workspace", str(tmp_path), "--input", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "input not found" in result.stderr and "Traceback" not in result.stderr


def test_no_input_at_all_is_a_usage_error(tmp_path: Path) -> None:
    result = agentaudit("run", "--workspace", str(tmp_path))
    assert result.returncode == 2
    assert "--input" in result.stderr
