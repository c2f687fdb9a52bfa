"""Standing findings: one finding per identity for as long as a hygiene condition lasts.

A hygiene rule (a dormant agent that keeps its credentials, sign-ins no Conditional Access policy
covers, a shadow agent) judges a condition that holds for days or months. Raising it afresh each
night buries the analyst in copies; instead the finding raised on the first night stands: each
later night that the rule fires again for the same identity takes over the standing finding's id
and first-seen time, extends its window and evidence, and moves it to the newest day's file (the
copy in the older day's file is removed), so the SIEM receives an update of one finding, not a new
one. A night on which the rule does not fire for the identity ends the finding; a later return of
the condition is a new finding.

"Continues" means: the standing finding is in the file of the judged day itself (a re-run) or of
the latest judged day before it.
"""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq

from detectors import store
from detectors.finding import Finding
from detectors.rule import MAX_EVIDENCE
from pipeline.workspace import Workspace


def _day_files(ws: Workspace) -> dict[str, object]:
    folder = ws.table_dir(store.TABLE)
    return {p.parent.name.removeprefix("date="): p for p in folder.glob("date=*/*.parquet")}


def _standing_in(path, rule_ids: set[str]) -> dict[tuple[str, str], Finding]:
    table = pq.read_table(path, columns=["rule_id", "finding_json"])
    out = {}
    for rule_id, text in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True):
        if rule_id in rule_ids:
            f = Finding.model_validate_json(text)
            out[(f.rule_id, f.identity.id)] = f
    return out


def carry(
    ws: Workspace, day: date, found: list[Finding], rule_ids: set[str]
) -> tuple[list[Finding], dict[str, set[str]]]:
    """``found`` with each standing rule's finding continuing an open one where there is one;
    and, per older day, the finding ids to remove from its file once ``day`` is written."""
    if not rule_ids or not any(f.rule_id in rule_ids for f in found):
        return found, {}
    files = _day_files(ws)
    today = day.isoformat()
    earlier = sorted(d for d in files if d < today)
    open_: dict[tuple[str, str], tuple[str, Finding]] = {}
    for d in ([earlier[-1]] if earlier else []) + ([today] if today in files else []):
        for key, f in _standing_in(files[d], rule_ids).items():
            open_[key] = (d, f)  # today's own copy (a re-run) wins over the day before
    out, moved = [], {}
    for f in found:
        held = open_.get((f.rule_id, f.identity.id)) if f.rule_id in rule_ids else None
        if held is None:
            out.append(f)
            continue
        d, old = held
        evidence = tuple(dict.fromkeys(old.evidence_event_ids + f.evidence_event_ids))
        out.append(
            f.model_copy(
                update={
                    "finding_id": old.finding_id,
                    "window_start": min(old.window_start, f.window_start),
                    "window_end": max(old.window_end, f.window_end),
                    "evidence_event_ids": evidence[-MAX_EVIDENCE:],
                    "details": {**f.details, "standing_since": old.window_start.isoformat()},
                }
            )
        )
        if d != today:
            moved.setdefault(d, set()).add(old.finding_id)
    return out, moved


def remove_moved(ws: Workspace, moved: dict[str, set[str]], mode: int | None = None) -> None:
    """Rewrite each older day's file without the standing findings that moved on (``mode``: the
    workspace's file_mode, read from agentaudit.toml when not given)."""
    for day, ids in moved.items():
        keep = [f for f in store.read_findings(ws, day) if f.finding_id not in ids]
        store.write_day(ws, day, keep, mode)
