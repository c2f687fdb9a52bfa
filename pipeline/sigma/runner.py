"""``agentaudit sigma run``: Sigma rules once over the lake, findings written like the nightly run.

The rules are translated and run through the detection engine (``detectors.engine.detect``), so
their findings name the accountable human, pass through the suppressions and land in the day's
findings file beside the other rules' findings (those are kept), where the report and the SIEM
export read them. The workspace lock keeps it from overlapping a nightly run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import AgentAuditError
from pipeline.sigma.detector import detectors_for
from pipeline.sigma.rules import load
from pipeline.sigma.translate import Translation, translate_all
from pipeline.sigma.views import TABLES
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    from detectors.engine import DetectSummary


@dataclass
class SigmaRunSummary:
    translations: list[Translation] = field(default_factory=list)
    detect: DetectSummary | None = None

    def lines(self) -> list[str]:
        out = [
            f"  skipped {t.rule_id}: {t.verdict()} ({t.path})"
            for t in self.translations
            if not t.ok
        ]
        if self.detect is not None:
            out += self.detect.lines()
        return out

    def headline(self) -> str:
        ran = sum(1 for t in self.translations if t.ok)
        text = f"sigma run: {ran} of {len(self.translations)} rule(s) ran"
        return f"{text}; {self.detect.headline()}" if self.detect is not None else text


def lake_days(workspace: Workspace) -> list[date]:
    """The days holding audits or sign-ins (the partition folders; no data read)."""
    days: set[date] = set()
    for table in TABLES.values():
        for folder in workspace.table_dir(table.lake_table).glob("date=*"):
            try:
                days.add(date.fromisoformat(folder.name.removeprefix("date=")))
            except ValueError:
                continue
    return sorted(days)


def run_rules(
    workspace: Workspace,
    paths: Iterable[str | Path],
    days: list[date] | None = None,
    wait_seconds: float = 0.0,
) -> SigmaRunSummary:
    """Run the Sigma rules under ``paths`` over ``days`` (default: every day of audits or
    sign-ins in the lake) and write their findings; returns what ran and what was found."""
    from detectors.engine import detect
    from pipeline.lock import workspace_lock

    summary = SigmaRunSummary(translations=translate_all(load(paths)))
    rules = detectors_for(summary.translations)
    if not rules:
        raise AgentAuditError(
            f"none of the {len(summary.translations)} Sigma rule(s) runs on this lake; "
            "`agentaudit sigma check PATH` says why for each"
        )
    with workspace_lock(workspace.root, "agentaudit sigma run", wait_seconds):
        judged = days if days is not None else lake_days(workspace)
        summary.detect = detect(workspace, days=judged, rules=rules, keep_other_rules=True)
    return summary
