"""``ReportData``: everything the HTML template shows, gathered once (``pipeline.report.gather``).

The template only formats these values; it computes nothing. Every text here may come from a log
field and is escaped by the template (jinja2 autoescape).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from detectors.finding import FAMILIES, SEVERITIES, Finding


def open_by_severity(findings: list[Finding]) -> dict[str, int]:
    """Unsuppressed findings per severity, most severe first (every severity present)."""
    out = dict.fromkeys(reversed(SEVERITIES), 0)
    for f in findings:
        if f.suppressed is None:
            out[f.severity] += 1
    return out


class DayActivity(BaseModel):
    day: str  # YYYY-MM-DD
    events: int = 0
    failures: int = 0
    sensitive: int = 0


class ResourceUse(BaseModel):
    resource: str
    events: int
    sensitivity: str | None = None
    allowed: bool | None = None  # None: the agent is not registered, so it has no scope


class AgentBadge(BaseModel):
    """The auditor's facts about an agent (its agent_inventory row), at the top of its card."""

    creation_channel: str | None = None
    creation_channel_evidence: str | None = None
    owners: list[str] = Field(default_factory=list)
    credential_count: int = 0
    credential_types: list[str] = Field(default_factory=list)
    oldest_credential_days: int | None = None
    credential_soonest_expiry: str | None = None
    access_packages: list[dict[str, Any]] = Field(default_factory=list)
    granted_permissions: list[str] = Field(default_factory=list)
    unused_permissions: list[dict[str, Any]] = Field(default_factory=list)
    pii_categories: list[str] = Field(default_factory=list)
    ca_coverage: float | None = None
    last_signin: str | None = None


class AgentSection(BaseModel):
    id: str
    name: str | None = None
    kind: str = "unknown"
    kind_source: str | None = None
    creation_channel: str | None = None
    registered: bool = False
    sponsor: str | None = None
    owner: str | None = None
    purpose: str | None = None
    blueprint: str | None = None
    app_id: str | None = None
    allowed_resources: list[str] = Field(default_factory=list)
    pii_clearance: list[str] = Field(default_factory=list)
    touched: list[ResourceUse] = Field(default_factory=list)
    activity: list[DayActivity] = Field(default_factory=list)
    finding_ids: list[str] = Field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    badge: AgentBadge | None = None

    @property
    def out_of_scope(self) -> int:
        return sum(1 for r in self.touched if r.allowed is False)

    @property
    def total_events(self) -> int:
        return sum(d.events for d in self.activity)

    @property
    def channel(self) -> str | None:
        """How it was created: the inventory badge's evidence, else the identity catalogue's."""
        return (self.badge.creation_channel if self.badge else None) or self.creation_channel

    @property
    def accountable(self) -> str | None:
        """Who answers for it: its sponsor, else its owner."""
        return self.sponsor or self.owner


class IdentityRow(BaseModel):
    id: str
    name: str | None = None
    kind: str = "unknown"
    registered: bool = False
    agent_like: bool = False  # an agent kind, or registered as an agent
    creation_channel: str | None = None  # agents: azure-ai-foundry, copilot-studio, …
    sponsor: str | None = None
    last_seen: str | None = None
    events: int | None = None
    signins: int | None = None
    ca_not_applied: int | None = None  # agent sign-ins no Conditional Access policy covered
    credential_changes: int = 0
    permission_changes: int = 0
    dormant: bool = False
    hygiene: list[str] = Field(default_factory=list)  # finding ids of AA-G04 / AA-G05

    @property
    def idle(self) -> bool:
        """A registered agent with no activity at all in the report window."""
        return self.registered and not self.events

    @property
    def shadow(self) -> bool:
        return self.agent_like and (not self.registered or not self.sponsor)

    @property
    def ca_coverage(self) -> str:
        if self.ca_not_applied is None or not self.signins:
            return "no sign-ins"
        if self.ca_not_applied == 0:
            return "covered"
        return f"{self.ca_not_applied} of {self.signins} not covered"


class TableHealth(BaseModel):
    table: str
    rows: int
    days: int
    first_day: str | None = None
    last_day: str | None = None


class ReasonCount(BaseModel):
    reason: str
    rows: int


class IngestHealth(BaseModel):
    tables: list[TableHealth] = Field(default_factory=list)
    files: int | None = None  # input files recorded in the ingest manifests
    rows_read: int | None = None
    duplicates: int | None = None
    quarantined: int = 0
    reasons: list[ReasonCount] = Field(default_factory=list)


class StageTime(BaseModel):
    name: str
    seconds: float


class RunInfo(BaseModel):
    run_id: str | None = None
    started: str | None = None
    finished: str | None = None
    inputs: list[str] = Field(default_factory=list)
    stages: list[StageTime] = Field(default_factory=list)
    days_judged: list[str] = Field(default_factory=list)
    versions: dict[str, str] = Field(default_factory=dict)
    rows_read: int | None = None
    rows_written: int | None = None


class ReportData(BaseModel):
    workspace: str
    day: str | None  # the window's last day (activity and inventory end there)
    #: every day the report covers, oldest first: the days judged since the previous report
    days: list[str] = Field(default_factory=list)
    generated_at: datetime
    tenants: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)  # most severe first
    agents: list[AgentSection] = Field(default_factory=list)  # those given a section
    agents_total: int = 0  # every agent of the window (0: as many as ``agents``)
    identities: list[IdentityRow] = Field(default_factory=list)
    ingest: IngestHealth = Field(default_factory=IngestHealth)
    run: RunInfo = Field(default_factory=RunInfo)
    redacted: bool = False
    activity_days: int = 30
    notes: dict[str, str] = Field(default_factory=dict)  # section → why it shows no data

    @property
    def first_day(self) -> str | None:
        return self.days[0] if self.days else self.day

    @property
    def covers(self) -> str | None:
        """The window as a heading says it: "2026-11-24 to 2026-11-26", or one day."""
        if not self.day:
            return None
        first = self.first_day or self.day
        return self.day if first == self.day else f"{first} to {self.day}"

    @property
    def skipped_days(self) -> list[str]:
        """Days between the first and last that the window leaves out (reported before)."""
        if len(self.days) < 2:
            return []
        first, last = date.fromisoformat(self.days[0]), date.fromisoformat(self.days[-1])
        every = {(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}
        return sorted(every - set(self.days))

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed is None]

    @property
    def by_severity(self) -> dict[str, int]:
        return open_by_severity(self.findings)

    @property
    def by_family(self) -> dict[str, dict[str, int]]:
        """family → severity → open findings (every family and severity present)."""
        out = {fam: dict.fromkeys(reversed(SEVERITIES), 0) for fam in FAMILIES}
        for f in self.open_findings:
            out[f.family][f.severity] += 1
        return out

    @property
    def unaccountable_count(self) -> int:
        """Open findings that no sponsor, owner or delegating user answers for."""
        return sum(1 for f in self.open_findings if f.accountable_basis == "none")

    @property
    def suppressed_count(self) -> int:
        return sum(1 for f in self.findings if f.suppressed is not None)
