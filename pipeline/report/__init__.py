"""The analyst's HTML report (issue 6): ``gather`` reads, ``render`` formats, ``write_report``
writes one self-contained file under ``reports/``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import Config, load_config
from pipeline.report.gather import gather
from pipeline.report.model import ReportData
from pipeline.report.render import render
from pipeline.workspace import Workspace

__all__ = ["ReportData", "gather", "render", "write_report"]


def write_report(
    workspace: Workspace,
    day: str | date | None = None,
    out: str | Path | None = None,
    *,
    run: dict[str, Any] | None = None,
    config: Config | None = None,
) -> Path:
    """Write the report of ``day`` (default: the latest day with findings) and return its path.

    ``out`` defaults to ``reports/report-<day>.html``; the file is written atomically with the
    workspace's ``file_mode`` (0600 by default): it names people and what they touched.
    ``run``: the nightly run's summary so far, for the run information section; ``config``: the
    run's ``Config`` (read from agentaudit.toml when not given).
    """
    from pipeline.siem.spool import write_private

    config = config if config is not None else load_config(workspace)
    data = gather(workspace, day, run=run, config=config)
    html = render(data)
    path = Path(out) if out else workspace.reports / f"report-{data.day or 'empty'}.html"
    mode = config.workspace.file_mode_int
    write_private(path, html.encode("utf-8"), mode)
    return path.resolve() if not path.is_absolute() else path
