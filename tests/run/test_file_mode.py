"""`[workspace] file_mode`: the report and the SIEM export files get exactly that mode (default
0600, whatever the umask), so a team can share a reports folder."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from detectors.finding import Finding, Identity
from detectors.store import write_day
from pipeline.cli import cli


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(("setting", "expected"), [(None, 0o600), ('"0640"', 0o640)])
def test_report_and_siem_files_take_the_configured_mode(workspace, setting, expected):
    if setting:
        workspace.config_file.write_text(f"[workspace]\nfile_mode = {setting}\n")
    t = datetime(2026, 6, 1, 9, tzinfo=UTC)
    write_day(
        workspace,
        "2026-06-01",
        [
            Finding(
                finding_id="f1",
                rule_id="AA-X99",
                family="pii_touch",
                title="t",
                severity="high",
                score=70,
                identity=Identity(id="sp-1", kind="agent_identity"),
                window_start=t,
                window_end=t,
                explanation="read mail",
            )
        ],
    )
    old = os.umask(0o002)  # a permissive umask changes nothing
    try:
        runner = CliRunner()
        report = workspace.root / "shared" / "report.html"
        out = runner.invoke(cli, ["report", "-w", str(workspace.root), "-o", str(report)])
        assert out.exit_code == 0, out.output
        for fmt, name in (("ocsf", "f.ocsf.jsonl"), ("sentinel", "f.sentinel.json")):
            siem = workspace.root / "shared" / name
            args = ["export", "-w", str(workspace.root), "--format", fmt, "-o", str(siem)]
            out = runner.invoke(cli, args)
            assert out.exit_code == 0, out.output
            assert _mode(siem) == expected, fmt
    finally:
        os.umask(old)
    assert _mode(report) == expected
    # the findings in the lake too
    (written,) = workspace.table_dir("findings").glob("date=*/*.parquet")
    assert _mode(written) == expected
