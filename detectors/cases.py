"""The case harness: a rule's ``Case`` becomes a tiny workspace, and the rule runs over it.

``run_case(rule, case, folder)`` writes the case's rows into a fresh lake (cast to the canonical
schemas of pipeline/schema.py, columns not given are null), writes its agentaudit.toml, and runs
the real engine for the case's day with only that rule enabled, so a case exercises the same path
as a nightly run: catalog views, baselines, learning state, scoring, suppressions and the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from detectors import store
from detectors.engine import detect
from detectors.finding import Finding
from detectors.rule import Case, Rule
from pipeline.lake import write_partitioned
from pipeline.schema import TABLES
from pipeline.workspace import Workspace

CASE_TENANT = "00000000-0000-0000-0000-00000000ca5e"


def audit_target(
    target_id: str,
    target_type: str = "ServicePrincipal",
    name: str | None = None,
    *,
    agent_type: str | None = None,
    props: Iterable[tuple[Any, ...]] = (),
) -> dict[str, Any]:
    """One target of an audit row as Entra logs it; ``props`` its modified properties, each
    ``(name, new_value)`` or ``(name, old_value, new_value)``."""
    target: dict[str, Any] = {"id": target_id, "type": target_type}
    if name is not None:
        target["display_name"] = name
    if agent_type is not None:
        target["agent_type"] = agent_type
    modified = [
        {"name": p[0], "old_value": p[1] if len(p) == 3 else None, "new_value": p[-1]}
        for p in props
    ]
    if modified:
        target["modified_properties"] = modified
    return target


def audit_row(
    event_id: str,
    time: str,
    activity: str,
    targets: list[dict[str, Any]],
    *,
    by: str | None = None,
    by_kind: str = "human",
    category: str | None = "ApplicationManagement",
    **columns: Any,
) -> dict[str, Any]:
    """A case's audits row: ``activity`` by ``by`` (a name; ``by_kind`` its kind) on ``targets``
    (``audit_target``), successful; ``target_ids`` from the targets; ``columns`` any other audit
    column (``initiator_id``, ``user_agent``, ``additional_details``, ``result``, …)."""
    row: dict[str, Any] = {
        "event_id": event_id,
        "event_time": time,
        "activity": activity,
        "result": "success",
        "initiator_kind": by_kind,
        "initiator_name": by,
        "targets": targets,
        "target_ids": [t["id"] for t in targets if t.get("id")],
    }
    if category is not None:
        row["category"] = category
    row.update(columns)
    return row


def _timestamp(value: Any) -> Any:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _keyed(target: dict[str, Any]) -> dict[str, Any]:
    """A target with ``modified`` (properties by name, first of a repeated name) derived from
    its ``modified_properties`` as the ingest derives it, unless the case gave it."""
    if "modified" in target or not target.get("modified_properties"):
        return target
    keyed: dict[str, dict[str, Any]] = {}
    for m in target["modified_properties"]:
        if m.get("name") is not None and m["name"] not in keyed:
            keyed[m["name"]] = {"old_value": m.get("old_value"), "new_value": m.get("new_value")}
    return {**target, "modified": list(keyed.items())}


def case_table(table: str, rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Rows of one lake table as an Arrow table of its canonical schema; defaults filled in."""
    schema = TABLES[table]
    now = datetime.now(UTC)
    full = []
    for i, row in enumerate(rows):
        r: dict[str, Any] = {
            "event_id": f"{table}-{i}",
            "ingest_time": now,
            "tenant_id": CASE_TENANT,
            "source_format": "case",
            "source_file": "case",
            "source_line": i + 1,
            "raw": "{}",
        }
        if table == "signins":
            r["sign_in_count"] = 1
        r.update(row)
        for key in ("event_time", "ingest_time", "detected_time"):
            if key in r:
                r[key] = _timestamp(r[key])
        if table == "audits" and r.get("targets"):
            r["targets"] = [_keyed(t) for t in r["targets"]]
        unknown = set(r) - set(schema.names)
        if unknown:
            raise ValueError(f"case row for {table} has unknown columns {sorted(unknown)}")
        full.append(r)
    return pa.Table.from_pylist(full, schema=schema)


def build_workspace(case: Case, folder: Path) -> Workspace:
    """A workspace holding the case's rows and config."""
    ws = Workspace.at(folder)
    ws.root.mkdir(parents=True, exist_ok=True)
    if case.config:
        ws.config_file.write_text(case.config, encoding="utf-8")
    for table, rows in case.rows.items():
        if rows:
            write_partitioned(ws, table, case_table(table, rows), "case", "event_time")
    return ws


def run_case(rule: type[Rule], case: Case, folder: Path) -> list[Finding]:
    """Run ``rule`` alone over ``case`` in a fresh workspace under ``folder``; its findings."""
    ws = build_workspace(case, folder)
    day = date.fromisoformat(case.day)
    summary = detect(ws, days=[day], rules=[rule], run_id="case")
    if summary.errors:
        raise RuntimeError("; ".join(summary.errors))
    return [f for f in store.read_findings(ws, case.day) if f.rule_id == rule.id]


def judge(case: Case, findings: list[Finding]) -> str | None:
    """None when the findings are what the case expects, else what went wrong."""
    active = [f for f in findings if f.suppressed is None]
    if case.fires and not active:
        return "expected the rule to fire, it raised no (unsuppressed) finding"
    if not case.fires and active:
        return f"expected no finding, got {[f.explanation for f in active]}"
    if case.check is not None and not case.check(findings):
        return f"the case's check failed on {[f.explanation for f in findings]}"
    return None
