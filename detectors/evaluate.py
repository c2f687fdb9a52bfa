"""How good are the findings? Compare them with a generated tenant's labels.json.

``labels.json`` (written by ``agentaudit generate``) lists the planted ``incidents`` (id, family,
expected rule_ids, culprit_ids: every id naming the culprit, window_start / window_end, evidence
event ids) and the ``benign`` look-alikes (identity_ids, window, must_not_fire rule ids).

* An incident is **detected** when an unsuppressed finding of any severity names one of its
  culprits (identity id, app id, name, or the person it acted for) and overlaps its window.
* **Precision at medium+**: an unsuppressed finding at medium or above is a true positive when it
  names a culprit of some incident and overlaps that incident's window; every other one is false.
* A **benign trap is flagged** when a finding at medium or above names one of its identities inside
  its window, or a rule in its ``must_not_fire`` fires there at all.

The rules an incident expects and a look-alike bans come from the generator's story table
(``pipeline.generate.story``), the one place they are written; labels.json supplies who, when and
which events. A label the table does not know (a hand-made labels file) brings its own
``rule_ids`` / ``family`` / ``must_not_fire``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detectors import store
from detectors.finding import Finding, severity_rank
from pipeline.errors import AgentAuditError
from pipeline.generate.entry import BENIGN, INCIDENT
from pipeline.generate.story import entry as story_entry
from pipeline.workspace import Workspace

MEDIUM = severity_rank("medium")


@dataclass
class IncidentResult:
    id: str
    family: str
    rule_ids: list[str]
    detected: bool
    by_expected_rule: bool
    rules_fired: list[str]
    max_severity: str | None


@dataclass
class BenignResult:
    id: str
    flagged: bool
    findings: list[str]  # "AA-X01 severity" of the findings that hit it


@dataclass
class EvaluationReport:
    labels: str
    incidents: list[IncidentResult] = field(default_factory=list)
    benign: list[BenignResult] = field(default_factory=list)
    true_positives: int = 0
    false_positives: int = 0
    findings_total: int = 0
    false_positive_rules: dict[str, int] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return (
            sum(i.detected for i in self.incidents) / len(self.incidents) if self.incidents else 1.0
        )

    @property
    def precision(self) -> float:
        judged = self.true_positives + self.false_positives
        return self.true_positives / judged if judged else 1.0

    @property
    def benign_flagged(self) -> int:
        return sum(b.flagged for b in self.benign)

    def recall_by_family(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for inc in self.incidents:
            hit, total = out.get(inc.family, (0, 0))
            out[inc.family] = (hit + inc.detected, total + 1)
        return dict(sorted(out.items()))

    def meets_bar(self, recall_floor: float = 0.9, precision_floor: float = 0.8) -> bool:
        return (
            self.recall >= recall_floor
            and self.precision >= precision_floor
            and self.benign_flagged == 0
        )

    def table(self) -> str:
        lines = [f"labels: {self.labels}", "", f"{'family':<32} {'recall':>8}  detected/total"]
        for family, (hit, total) in self.recall_by_family().items():
            lines.append(f"{family:<32} {hit / total:8.2f}  {hit}/{total}")
        lines += ["", f"{'incident':<28} {'family':<31} {'detected':<9} rules fired (expected)"]
        for inc in self.incidents:
            mark = "yes" if inc.detected else "NO"
            if inc.detected and not inc.by_expected_rule:
                mark = "yes*"
            fired = ",".join(inc.rules_fired) or "-"
            lines.append(
                f"{inc.id:<28} {inc.family:<31} {mark:<9} {fired} ({','.join(inc.rule_ids)})"
            )
        lines += ["", f"{'benign trap':<28} flagged  findings"]
        for b in self.benign:
            lines.append(f"{b.id:<28} {'YES' if b.flagged else 'no':<8} {', '.join(b.findings)}")
        fp = ", ".join(f"{k} {v}" for k, v in sorted(self.false_positive_rules.items()))
        lines += [
            "",
            f"recall {self.recall:.2f} ({sum(i.detected for i in self.incidents)}/"
            f"{len(self.incidents)} incidents)",
            f"precision at medium+ {self.precision:.2f} ({self.true_positives} true, "
            f"{self.false_positives} false{': ' + fp if fp else ''})",
            f"benign traps flagged {self.benign_flagged}/{len(self.benign)}",
            "(* detected, but not by one of the incident's expected rules)",
        ]
        return "\n".join(lines)


def _time(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise AgentAuditError(f"{where}: not an ISO 8601 time ({value!r}); fix the label") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def load_labels(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise AgentAuditError(
            f"{path}: no labels file; pass --labels FILE (the labels.json that "
            "`agentaudit generate` wrote beside the tenant)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AgentAuditError(f"{path}: not valid JSON ({exc}); regenerate it") from exc
    if not isinstance(data, dict) or not isinstance(data.get("incidents"), list):
        raise AgentAuditError(f"{path}: field 'incidents' (a list) is missing; not a labels file")
    return data


def _names(f: Finding) -> set[str]:
    keys = {f.identity.id, f.identity.app_id, f.identity.name}
    if f.on_behalf_of is not None:
        keys.add(f.on_behalf_of.id)
    return {k.lower() for k in keys if k}


def _overlaps(f: Finding, start: datetime, end: datetime) -> bool:
    return f.window_start <= end and f.window_end >= start


def _expected(label: dict) -> tuple[list[str], str]:
    """An incident's expected rules and family: the story table's, else the label's own."""
    e = story_entry(str(label.get("id")))
    if e is not None and e.kind == INCIDENT:
        return list(e.rules), e.family
    return list(label.get("rule_ids") or []), str(label.get("family"))


def _banned(trap: dict) -> set[str]:
    """The rules a look-alike must not fire: the story table's, else the label's own."""
    e = story_entry(str(trap.get("id")))
    if e is not None and e.kind == BENIGN:
        return set(e.rules)
    return set(trap.get("must_not_fire") or [])


def evaluate(
    workspace: Workspace | str | Path, labels: Path | str | None = None
) -> EvaluationReport:
    """Compare the workspace's findings with ``labels`` (default: <workspace>/labels.json)."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    path = Path(labels) if labels else ws.root / "labels.json"
    data = load_labels(path)
    findings = [f for f in store.read_findings(ws) if f.suppressed is None]
    report = EvaluationReport(labels=str(path), findings_total=len(findings))

    incidents = []
    for i, inc in enumerate(data["incidents"]):
        where = f"{path}: incidents[{i}]"
        if not isinstance(inc, dict) or "culprit_ids" not in inc:
            raise AgentAuditError(f"{where}: field 'culprit_ids' is missing")
        incidents.append(
            (
                inc,
                {str(c).lower() for c in inc["culprit_ids"] if c},
                _time(inc.get("window_start"), f"{where}.window_start"),
                _time(inc.get("window_end"), f"{where}.window_end"),
            )
        )

    for inc, culprits, start, end in incidents:
        hits = [f for f in findings if _names(f) & culprits and _overlaps(f, start, end)]
        expected, family = _expected(inc)
        fired = sorted({f.rule_id for f in hits})
        report.incidents.append(
            IncidentResult(
                id=str(inc.get("id")),
                family=family,
                rule_ids=expected,
                detected=bool(hits),
                by_expected_rule=bool(set(fired) & set(expected)),
                rules_fired=fired,
                max_severity=max((f.severity for f in hits), key=severity_rank, default=None),
            )
        )

    for f in findings:
        if severity_rank(f.severity) < MEDIUM:
            continue
        names = _names(f)
        if any(names & c and _overlaps(f, s, e) for _, c, s, e in incidents):
            report.true_positives += 1
        else:
            report.false_positives += 1
            report.false_positive_rules[f.rule_id] = (
                report.false_positive_rules.get(f.rule_id, 0) + 1
            )

    for j, trap in enumerate(data.get("benign") or []):
        where = f"{path}: benign[{j}]"
        ids = {str(x).lower() for x in trap.get("identity_ids") or [] if x}
        start = _time(trap.get("window_start"), f"{where}.window_start")
        end = _time(trap.get("window_end"), f"{where}.window_end")
        banned = _banned(trap)
        hits = [
            f
            for f in findings
            if _names(f) & ids
            and _overlaps(f, start, end)
            and (severity_rank(f.severity) >= MEDIUM or f.rule_id in banned)
        ]
        report.benign.append(
            BenignResult(
                id=str(trap.get("id")),
                flagged=bool(hits),
                findings=sorted({f"{f.rule_id} {f.severity}" for f in hits}),
            )
        )
    return report
