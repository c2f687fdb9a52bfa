"""Findings in the lake: lake/findings/date=YYYY-MM-DD/findings.parquet.

A detect run over a day replaces that day's file, so re-running never duplicates a finding (ids
are stable). The full Finding is kept as JSON next to flat columns that investigators query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from detectors.finding import Finding
from pipeline.lake import write_parquet_atomic
from pipeline.schema import FINDINGS
from pipeline.workspace import Workspace

TABLE = "findings"

SCHEMA = FINDINGS  # pipeline/schema.py


def to_arrow(findings: Iterable[Finding]) -> pa.Table:
    rows = [
        {
            "finding_id": f.finding_id,
            "rule_id": f.rule_id,
            "family": f.family,
            "title": f.title,
            "severity": f.severity,
            "score": float(f.score),
            "identity_id": f.identity.id,
            "identity_kind": f.identity.kind,
            "identity_name": f.identity.name,
            "app_id": f.identity.app_id,
            "on_behalf_of_id": f.on_behalf_of.id if f.on_behalf_of else None,
            "window_start": f.window_start,
            "window_end": f.window_end,
            "evidence_event_ids": list(f.evidence_event_ids),
            "explanation": f.explanation,
            "attacks": list(f.attacks),
            "run_id": f.run_id,
            "tenant_id": f.tenant_id,
            "suppressed": f.suppressed is not None,
            "finding_json": f.model_dump_json(),
            "accountable": f.accountable,
            "accountable_basis": f.accountable_basis,
        }
        for f in findings
    ]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def day_path(workspace: Workspace, day: str) -> Path:
    return workspace.table_dir(TABLE) / f"date={day}" / "findings.parquet"


def write_day(
    workspace: Workspace, day: str, findings: Iterable[Finding], mode: int | None = None
) -> Path:
    """Replace the findings of ``day`` (YYYY-MM-DD) atomically, with the workspace's
    ``file_mode`` (0600 by default; ``mode`` when the caller has read it): findings name people
    and what they touched."""
    if mode is None:
        from pipeline.config import load_config

        mode = load_config(workspace).workspace.file_mode_int
    return write_parquet_atomic(to_arrow(findings), day_path(workspace, day), mode)


def _files(workspace: Workspace, day: str | None) -> list[Path]:
    """The findings files of one day, or of every day, in date order."""
    pattern = f"date={day}/*.parquet" if day else "date=*/*.parquet"
    return sorted(workspace.table_dir(TABLE).glob(pattern))


def read_findings(workspace: Workspace, day: str | None = None) -> list[Finding]:
    """All findings (or one day's), as Finding objects."""
    out: list[Finding] = []
    for path in _files(workspace, day):
        for text in pq.read_table(path, columns=["finding_json"]).column(0).to_pylist():
            out.append(Finding.model_validate_json(text))
    return out


def with_other_rules(
    workspace: Workspace, day: str, findings: list[Finding], rule_ids: set[str]
) -> list[Finding]:
    """``findings`` plus the day's stored findings of rules not in ``rule_ids``: what a one-off
    run of some rules writes, so the other rules' findings of that day stay."""
    kept = [f for f in read_findings(workspace, day) if f.rule_id not in rule_ids]
    return kept + list(findings)


#: the export order: window start, rule, finding id (what OCSF and Sentinel files list by)
ORDER = ("window_start", "rule_id", "finding_id")


def iter_findings(
    workspace: Workspace, day: str | None = None, batch_rows: int = 1000
) -> Iterator[Finding]:
    """All findings (or one day's) in the export order, made into Finding objects a batch at a
    time: the stored JSON stays in Arrow, so a day of tens of thousands of findings streams
    through an export without all its objects held at once."""
    parts = [pq.read_table(p, columns=[*ORDER, "finding_json"]) for p in _files(workspace, day)]
    if not parts:
        return
    table = pa.concat_tables(parts, promote_options="permissive")
    table = table.sort_by([(c, "ascending") for c in ORDER]).select(["finding_json"])
    for batch in table.to_batches(max_chunksize=batch_rows):
        for text in batch.column(0).to_pylist():
            yield Finding.model_validate_json(text)
