"""Progress on the long steps (generation, baseline days, detection per rule): without a terminal
a line at most every tenth of the work, nothing when there is nothing to do or when not asked;
every count of findings the command line prints goes from critical down."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from detectors.engine import detect
from detectors.finding import severity_counts
from pipeline.baselines import update
from pipeline.cli import cli
from pipeline.ingest.progress import Progress, Steps
from pipeline.run import RunSummary
from tests.catalog.rows import write


def _lines(err: str, label: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{label}:")]


def test_steps_print_a_line_per_tenth_without_a_terminal(capsys):
    with Steps("detect", "rule runs") as step:
        for done in range(1, 96):
            step(done, 95, f"AA-R0{done % 4} on 2026-06-01")
    lines = _lines(capsys.readouterr().err, "detect")
    assert 9 <= len(lines) <= 11
    assert lines[-1] == "detect: 95/95 rule runs (100%), last AA-R03 on 2026-06-01"


def test_a_caller_that_skips_numbers_still_ends_at_the_total(capsys):
    with Steps("generate", "days") as step:
        step(3, 7)
        step(7, 7)
    assert _lines(capsys.readouterr().err, "generate")[-1] == "generate: 7/7 days (100%)"


@pytest.mark.parametrize(
    "work",
    [
        lambda: Steps("detect", "rule runs").close(),  # no step at all
        lambda: Steps("detect", "rule runs", enabled=False)(5, 5, "x"),  # --no-progress
        lambda: Progress(0, True).close(),  # nothing to count
    ],
    ids=["no steps", "disabled", "empty"],
)
def test_quiet_when_there_is_nothing_to_do_or_not_asked(capsys, work):
    work()
    assert capsys.readouterr().err == ""


def test_idle_units_print_nothing(capsys):
    progress = Progress(20, True, label="ingest", unit="files")
    for n in range(20):
        progress.advance(f"f{n}", idle=True)  # every file already ingested
    progress.close()
    assert capsys.readouterr().err == ""


@pytest.fixture
def ws(workspace):
    write(
        workspace,
        "signins",
        [
            dict(
                event_time=f"2026-06-0{d}T09:00:00",
                log_type="service_principal",
                service_principal_id="sp-1",
                service_principal_name="Backup",
            )
            for d in (1, 2)
        ],
    )
    update(workspace)
    return workspace


def test_detect_reports_each_rule_run_on_each_day(ws):
    calls: list[tuple[int, int, str]] = []
    summary = detect(ws, on_step=lambda done, total, what: calls.append((done, total, what)))
    runs = len(summary.days) * len(summary.rules_run)
    assert runs > 0 and len(calls) == runs
    assert [c[0] for c in calls] == list(range(1, runs + 1))
    assert {c[1] for c in calls} == {runs}
    assert calls[-1][2] == f"{summary.rules_run[-1]} on {summary.days[-1]}"


def test_detect_command_progress_only_when_asked(ws):
    runner = CliRunner()
    shown = runner.invoke(cli, ["detect", "-w", str(ws.root), "--progress"])
    assert shown.exit_code == 0, shown.output
    lines = _lines(shown.stderr, "detect")
    assert lines and "rule runs (100%)" in lines[-1] and len(lines) <= 11
    quiet = runner.invoke(cli, ["detect", "-w", str(ws.root)])  # no terminal: off by default
    assert quiet.exit_code == 0 and not _lines(quiet.stderr, "detect")


def test_severities_are_counted_from_critical_down():
    counts = {"low": 108, "critical": 2, "medium": 24, "high": 45, "info": 0}
    assert severity_counts(counts) == "2 critical, 45 high, 24 medium, 108 low"
    assert severity_counts({}) == "none"
    run = RunSummary(
        run_id="r",
        started="2026-06-01T00:00:00Z",
        inputs=[],
        findings_by_severity=counts,
        rows_written=1,
    )
    assert "findings: 2 critical, 45 high, 24 medium, 108 low" in run.headline()


def test_report_command_shows_each_part_of_the_report(ws):
    detect(ws)
    shown = CliRunner().invoke(cli, ["report", "-w", str(ws.root), "--progress"])
    assert shown.exit_code == 0, shown.output
    lines = _lines(shown.stderr, "report")
    assert lines and lines[-1] == "report: 4/4 parts (100%), last page"
    quiet = CliRunner().invoke(cli, ["report", "-w", str(ws.root)])
    assert quiet.exit_code == 0 and not _lines(quiet.stderr, "report")
