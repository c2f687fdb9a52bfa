"""The analyst's HTML report (issue 6): ``gather`` reads, ``render`` formats, ``write_report``
writes one self-contained file under ``reports/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import Config, load_config
from pipeline.report.gather import REPORT_PARTS, gather
from pipeline.report.model import ReportData
from pipeline.report.render import render
from pipeline.workspace import Workspace

__all__ = ["ReportData", "gather", "latest_report", "render", "report_name", "write_report"]


def report_name(data: ReportData) -> str:
    """``report-<day>.html`` for one day, ``report-<first>_<last>.html`` for a window."""
    if not data.day:
        return "report-empty.html"
    first = data.first_day or data.day
    return f"report-{data.day}.html" if first == data.day else f"report-{first}_{data.day}.html"


def write_report(
    workspace: Workspace,
    day: str | date | None = None,
    out: str | Path | None = None,
    *,
    run: dict[str, Any] | None = None,
    since: str | date | None = None,
    days: list[str] | None = None,
    config: Config | None = None,
    on_step: Callable[[int, int, str], None] | None = None,
) -> Path:
    """Write the report of a window of days and return its path (``gather`` says which days:
    by default the latest run's window).

    ``out`` defaults to ``reports/report-<day>.html`` (``report-<first>_<last>.html`` for more
    than one day); the file is written atomically with the workspace's ``file_mode`` (0600 by
    default): it names people and what they touched.
    ``run``: the nightly run's summary so far, for the run information section; ``config``: the
    run's ``Config`` (read from agentaudit.toml when not given); ``on_step(done, total, part)``:
    called as each part of the report is made (for progress bars).
    """
    from pipeline.siem.spool import write_private

    config = config if config is not None else load_config(workspace)
    data = gather(workspace, day, run=run, since=since, days=days, config=config, on_step=on_step)
    html = render(data)
    if on_step:
        on_step(REPORT_PARTS, REPORT_PARTS, "page")
    path = Path(out) if out else workspace.reports / report_name(data)
    mode = config.workspace.file_mode_int
    write_private(path, html.encode("utf-8"), mode)
    return path.resolve() if not path.is_absolute() else path


def latest_report(workspace: Workspace) -> Path | None:
    """The report the latest run that wrote one wrote, while it exists; else the newest file in
    ``reports/``; None when there is none."""
    for manifest in sorted((workspace.lake / "_runs").glob("*.json"), reverse=True):
        try:
            written = json.loads(manifest.read_text()).get("report")
        except (OSError, ValueError, AttributeError):
            continue
        if written and Path(written).is_file():
            return Path(written)
    reports = sorted(workspace.reports.glob("report-*.html"), key=lambda p: p.stat().st_mtime)
    return reports[-1] if reports else None
