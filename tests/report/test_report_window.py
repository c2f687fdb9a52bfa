"""The report covers every day judged since the previous report: a backlog of several days shows
every day's findings (not only the last day's), and a day without data says so."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from report_fixtures import FINANCE, HELPDESK, SHADOW, findings

from detectors.finding import Finding, finding_id
from detectors.store import write_day
from pipeline.errors import UsageError
from pipeline.report import gather, write_report

D1, D2, D3 = "2026-11-24", "2026-11-25", "2026-11-26"


def on_day(f: Finding, day: str, severity: str | None = None) -> Finding:
    """``f`` moved to ``day`` (same hour), with the id such a finding would have."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC, hour=f.window_start.hour)
    end = start + (f.window_end - f.window_start)
    return f.model_copy(
        update={
            "window_start": start,
            "window_end": end,
            "severity": severity or f.severity,
            "finding_id": finding_id(f.rule_id, f.identity.id, start, end),
        }
    )


def by_rule(rule: str) -> Finding:
    return next(f for f in findings() if f.rule_id == rule)


@pytest.fixture
def backlog(workspace):
    """Three days judged by one run: a critical on each of the first two, a low on the last."""
    days = {
        D1: [on_day(by_rule("AA-P01"), D1)],  # critical, Finance
        D2: [on_day(by_rule("AA-M01"), D2, "critical")],  # the shadow agent
        D3: [on_day(by_rule("AA-S01"), D3)],  # low, helpdesk
    }
    for day, fs in days.items():
        write_day(workspace, day, fs)
    runs = workspace.lake / "_runs"
    runs.mkdir(parents=True)
    manifest = {"run_id": "20261127T010000Z-abc123", "days_judged": list(days)}
    (runs / "20261127T010000Z-abc123.json").write_text(json.dumps(manifest))
    return days


def test_a_three_day_backlog_shows_every_days_findings(workspace, backlog):
    data = gather(workspace)  # default: the latest run's window
    assert data.days == [D1, D2, D3] and data.day == D3 and data.covers == f"{D1} to {D3}"
    assert {f.finding_id for f in data.findings} == {
        f.finding_id for fs in backlog.values() for f in fs
    }
    assert data.by_severity["critical"] == 2
    assert [f.severity for f in data.findings][:2] == ["critical", "critical"]
    path = write_report(workspace)
    assert path.name == f"report-{D1}_{D3}.html"
    html = path.read_text()
    assert f"covers {D1} to {D3} (3 days judged)" in html
    assert f"<title>agentaudit report · {D1} to {D3}</title>" in html
    for fs in backlog.values():
        assert f'href="#f-{fs[0].finding_id}"' in html  # a row of the table opens each card
    # the agents of the earlier days' findings are listed with them
    agents = {a.id: a for a in data.agents}
    assert agents[FINANCE.id.lower()].finding_ids and agents[SHADOW.id.lower()].finding_ids


def test_the_nightly_run_reports_every_day_it_judged(workspace, backlog, monkeypatch, tmp_path):
    """The run stage hands the days detect judged to the report (not only the last one)."""
    import detectors.engine
    from detectors.engine import DetectSummary
    from pipeline.run import run_nightly

    def judged(ws, days=None, run_id=None, **_):
        return DetectSummary(run_id=run_id, days=[D1, D2, D3], by_severity={"critical": 2})

    monkeypatch.setattr(detectors.engine, "detect", judged)
    (tmp_path / "exports").mkdir()
    summary = run_nightly(workspace, [str(tmp_path / "exports")])
    assert summary.report and Path(summary.report).name == f"report-{D1}_{D3}.html"
    html = Path(summary.report).read_text()
    assert html.count('class="badge critical"') >= 2 + 2  # two table rows, two cards
    assert all(f"f-{fs[0].finding_id}" in html for fs in backlog.values())


def test_a_window_with_a_gap_names_it(workspace, backlog):
    data = gather(workspace, days=[D3, D1])
    assert data.days == [D1, D3] and data.skipped_days == [D2]
    assert backlog[D2][0].finding_id not in {f.finding_id for f in data.findings}
    assert "1 day in between reported before" in write_report(workspace, days=[D1, D3]).read_text()


def test_since_and_date_choose_the_window(workspace, backlog):
    assert gather(workspace, since=D2).days == [D2, D3]
    assert gather(workspace, D2, since=D1).days == [D1, D2]
    assert gather(workspace, D2).days == [D2] and len(gather(workspace, D2).findings) == 1
    with pytest.raises(UsageError, match=f"--since {D3} is after the report's last day {D1}"):
        gather(workspace, D1, since=D3)
    with pytest.raises(UsageError, match=f"no data for 2026-12-01: the lake holds data from {D1}"):
        gather(workspace, "2026-12-01")
    with pytest.raises(UsageError, match="no data for 2026-12-01 to 2026-12-03"):
        gather(workspace, "2026-12-03", since="2026-12-01")
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        gather(workspace, since="last week")


def test_without_a_run_the_latest_day_and_later_judged_days(workspace, backlog):
    shutil.rmtree(workspace.lake / "_runs")
    assert gather(workspace).days == [D3]  # no run manifest: the latest day with findings
    runs = workspace.lake / "_runs"
    runs.mkdir()
    (runs / "20261126T010000Z-aaa.json").write_text(json.dumps({"days_judged": [D1]}))
    # days judged after the latest run (agentaudit detect by hand) join its window
    assert gather(workspace).days == [D1, D2, D3]


def agentaudit(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """The real entry point (exit codes, error lines) in process: exit code and its output."""
    from pipeline.cli import main

    monkeypatch.setattr("sys.argv", ["agentaudit", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out + out.err


def test_report_command_without_data_for_the_day_exits_2(workspace, backlog, capsys, monkeypatch):
    ws = str(workspace.root)
    code, out = agentaudit(capsys, monkeypatch, "report", "-w", ws, "--date", "2026-12-01")
    assert code == 2
    assert f"error: no data for 2026-12-01: the lake holds data from {D1} to {D3}" in out
    assert not list(workspace.reports.glob("*.html"))
    code, out = agentaudit(capsys, monkeypatch, "report", "-w", ws, "--since", D2)
    assert code == 0, out
    assert f"report-{D2}_{D3}.html" in out


def test_report_command_on_an_empty_lake_says_what_to_do(workspace, capsys, monkeypatch):
    code, out = agentaudit(capsys, monkeypatch, "report", "-w", str(workspace.root), "--date", D1)
    assert code == 2
    assert "no data for 2026-11-24: the lake holds no data yet: run agentaudit run" in out


def test_the_run_never_prints_none_for_the_report(workspace, backlog):
    from pipeline.cli.run import _report_status
    from pipeline.run import RunSummary

    quiet = RunSummary(run_id="r", started=datetime.now(UTC), inputs=[], changed=False)
    path, line = _report_status(workspace, quiet)
    assert path is None and line == "no report written: no new data, nothing judged yet"
    written = write_report(workspace)
    runs = workspace.lake / "_runs"
    manifest = {"run_id": "20261127T020000Z-def456", "days_judged": [D3], "report": str(written)}
    (runs / "20261127T020000Z-def456.json").write_text(json.dumps(manifest))
    path, line = _report_status(workspace, quiet)
    assert path == str(written) and line == f"no new data; latest report: {written}"
    busy = quiet.model_copy(update={"changed": True, "report": str(written)})
    assert _report_status(workspace, busy) == (str(written), str(written))


def test_a_long_window_lists_every_finding(workspace):
    """A first run over two months of history: every day's findings, the cards capped."""
    start = datetime.fromisoformat(D1)
    days = [(start - timedelta(days=i)).date().isoformat() for i in range(60)]
    for day in days:
        write_day(workspace, day, [on_day(by_rule("AA-S01"), day), on_day(by_rule("AA-A01"), day)])
    data = gather(workspace, days=days)
    assert len(data.findings) == 120 and data.days[0] == days[-1]
    html = write_report(workspace, days=days).read_text()
    assert len(re.findall(r"<tr data-rank=", html)) == 120
    assert HELPDESK.name in html


LATE = re.compile(r"/d=(18|19|20)/|2026-11-(18|19|20)")


@pytest.mark.slow
def test_a_real_backlog_arriving_at_once(tmp_path):
    """A generated tenant whose exports of its last three days arrive together, a night late:
    the second run judges the three days and its report lists every one of their findings."""
    from detectors.store import read_findings
    from pipeline.generate import generate_tenant
    from pipeline.run import run_nightly
    from pipeline.workspace import Workspace

    root = tmp_path / "tenant"
    generate_tenant(root, days=8, agents=18, humans=40, seed=5, scale=0.02)
    exports, held = root / "input", tmp_path / "held"
    late = [p.relative_to(exports) for p in exports.rglob("*") if LATE.search(str(p))]
    late = [p for p in late if (exports / p).is_file()]
    for rel in late:
        (held / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(exports / rel, held / rel)
    ws = Workspace.at(root)
    first = run_nightly(ws)
    assert first.days_judged[-1] == "2026-11-17"
    for rel in late:
        shutil.move(held / rel, exports / rel)
    second = run_nightly(ws)
    assert second.days_judged == ["2026-11-18", "2026-11-19", "2026-11-20"]
    html = Path(second.report).read_text()
    assert "covers 2026-11-18 to 2026-11-20 (3 days judged)" in html
    for day in second.days_judged:
        stored = read_findings(ws, day)
        assert stored, f"the generated tenant has findings on {day}"
        assert all(f'data-when="{f.window_start:%Y-%m-%dT%H:%M}"' in html for f in stored)
    rows = sum(len(read_findings(ws, d)) for d in second.days_judged)
    assert html.count("<tr data-rank=") == rows
