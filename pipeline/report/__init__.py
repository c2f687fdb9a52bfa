"""The analyst's HTML report (issue 6): ``gather`` reads, ``render`` formats, ``write_report``
writes one self-contained file under ``reports/``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

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
) -> Path:
    """Write the report of ``day`` (default: the latest day with findings) and return its path.

    ``out`` defaults to ``reports/report-<day>.html``; the file is written atomically with the
    workspace's ``file_mode`` (0600 by default): it names people and what they touched.
    ``run``: the nightly run's summary so far, for the run information section.
    """
    from pipeline.config import load_config
    from pipeline.siem.spool import write_private

    data = gather(workspace, day, run=run)
    html = render(data)
    path = Path(out) if out else workspace.reports / f"report-{data.day or 'empty'}.html"
    mode = load_config(workspace).workspace.file_mode_int
    write_private(path, html.encode("utf-8"), mode)
    return path.resolve() if not path.is_absolute() else path
