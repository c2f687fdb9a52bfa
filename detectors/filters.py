"""Choosing findings to show (`agentaudit findings`): severity, family, identity, accountable
human and day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from detectors import store
from detectors.finding import FAMILIES, SEVERITIES, Finding, severity_rank
from pipeline.errors import UsageError
from pipeline.workspace import Workspace


def select_findings(
    workspace: Workspace | str | Path,
    *,
    severity: str | None = None,
    family: str | None = None,
    identity: str | None = None,
    day: str | None = None,
    include_suppressed: bool = True,
    accountable: str | None = None,
) -> list[Finding]:
    """Findings at or above ``severity``, of ``family``, naming ``identity`` (its id, app id or
    name, case-insensitive substring: ``pipeline.identities.match_identities``), whose
    accountable human contains ``accountable`` ("unaccountable": those nobody answers for), on
    ``day``; highest score first."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    if severity is not None and severity not in SEVERITIES:
        raise UsageError(f"--severity {severity!r}: use one of {', '.join(SEVERITIES)}")
    if family is not None and family not in FAMILIES:
        raise UsageError(f"--family {family!r}: use one of {', '.join(FAMILIES)}")
    if day is not None:
        try:
            date.fromisoformat(day)
        except ValueError as exc:
            raise UsageError(f"--date {day!r}: use YYYY-MM-DD, e.g. 2026-11-26") from exc
    out = store.read_findings(ws, day)
    if severity:
        floor = severity_rank(severity)
        out = [f for f in out if severity_rank(f.severity) >= floor]
    if family:
        out = [f for f in out if f.family == family]
    if identity:
        # the catalog's names too (a finding may carry only the id), as the notebook resolves
        from pipeline.identities import match_identities

        key = identity.strip().lower()
        known = {m.identity_id for m in match_identities(ws, identity)} if out else set()
        out = [
            f
            for f in out
            if f.identity.id.lower() in known
            or any(
                key in (v or "").lower()
                for v in (f.identity.id, f.identity.app_id, f.identity.name)
            )
        ]
    if accountable:
        key = accountable.lower()
        out = [f for f in out if key in f.accountable.lower()]
    if not include_suppressed:
        out = [f for f in out if f.suppressed is None]
    return sorted(out, key=lambda f: (-f.score, f.window_start, f.rule_id))
