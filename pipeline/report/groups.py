"""Findings at scale: a day with thousands of findings is shown grouped per rule and blueprint
(or, for identities of no blueprint, per identity kind: their peer group's fallback), the most
severe few of each group in full and the rest counted, with the exact ``agentaudit sql`` command
that lists the whole group from the lake."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from detectors.finding import SEVERITIES, Finding, severity_rank

#: the report groups its findings from this many on (fewer read well as cards and rows)
GROUP_FROM = 500
#: findings of each group shown in full
TOP_PER_GROUP = 5
#: where the finding's blueprint sits in the stored finding (bound as a parameter, so the
#: query needs no quotes inside the shell's single quotes)
BLUEPRINT_PATH = "$.identity.blueprint"
LIST_COLUMNS = (
    "date, severity, score, identity_id, identity_name, window_start, window_end, explanation"
)


@dataclass
class FindingGroup:
    """One rule's findings on the identities of one blueprint (or kind, without blueprint)."""

    rule_id: str
    title: str
    family: str
    blueprint: str | None  # None: grouped by ``kind``
    kind: str | None  # the identity kind of a group without blueprint
    findings: list[Finding] = field(default_factory=list)  # most severe first

    @property
    def label(self) -> str:
        if self.blueprint is not None:
            return f"blueprint {self.blueprint}"
        return f"{self.kind} (no blueprint)"

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def suppressed(self) -> int:
        return sum(1 for f in self.findings if f.suppressed is not None)

    @property
    def identities(self) -> int:
        return len({f.identity.id for f in self.findings})

    @property
    def by_severity(self) -> dict[str, int]:
        """Findings per severity, most severe first (only the severities present)."""
        out = {s: 0 for s in reversed(SEVERITIES)}
        for f in self.findings:
            out[f.severity] += 1
        return {s: n for s, n in out.items() if n}

    @property
    def top(self) -> list[Finding]:
        return self.findings[:TOP_PER_GROUP]

    @property
    def rest(self) -> int:
        return max(0, self.count - TOP_PER_GROUP)

    def query(self) -> str:
        """The SQL over the catalog's ``findings`` view that lists this group (values bound)."""
        where = "date BETWEEN $first AND $last AND rule_id = $rule AND "
        if self.blueprint is not None:
            where += "json_extract_string(finding_json, $field) = $blueprint"
        else:
            where += "identity_kind = $kind AND json_extract_string(finding_json, $field) IS NULL"
        return f"SELECT {LIST_COLUMNS} FROM findings WHERE {where} ORDER BY score DESC, finding_id"

    def params(self, first: str, last: str) -> dict[str, str]:
        out = {"first": first, "last": last, "rule": self.rule_id, "field": BLUEPRINT_PATH}
        if self.blueprint is not None:
            out["blueprint"] = self.blueprint
        else:
            out["kind"] = self.kind or ""
        return out

    def command(self, first: str, last: str) -> str:
        """The shell command that lists the whole group, every value quoted for the shell."""
        args = ["agentaudit", "sql"]
        for name, value in self.params(first, last).items():
            args += ["-p", f"{name}={value}"]
        return shlex.join([*args, self.query()])


def group_findings(findings: list[Finding]) -> list[FindingGroup]:
    """``findings`` (most severe first) grouped per rule and blueprint / kind; the groups with the
    most severe findings first, then the largest."""
    groups: dict[tuple[str, str | None, str | None], FindingGroup] = {}
    for f in findings:
        blueprint = f.identity.blueprint
        kind = None if blueprint is not None else f.identity.kind
        key = (f.rule_id, blueprint, kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = FindingGroup(f.rule_id, f.title, f.family, blueprint, kind)
        group.findings.append(f)
    return sorted(
        groups.values(),
        key=lambda g: (
            -max(severity_rank(f.severity) for f in g.findings),
            -g.count,
            g.rule_id,
            g.label,
        ),
    )
