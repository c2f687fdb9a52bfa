"""Hand-made report data: findings of every family and severity, agents with activity, an
inventory, ingest health and run information, plus hostile text in every field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from detectors.finding import (
    FAMILIES,
    SEVERITIES,
    BaselineFact,
    Finding,
    Identity,
    Suppression,
    finding_id,
)
from pipeline.report.model import (
    AgentSection,
    DayActivity,
    IdentityRow,
    IngestHealth,
    ReasonCount,
    ReportData,
    ResourceUse,
    RunInfo,
    StageTime,
    TableHealth,
)

DAY = "2026-11-26"
TENANT = "72f988bf-0000-4000-8000-2d7cd011db47"
SCRIPT = '<script>document.title="PWNED-SCRIPT"</script>'
IMG = '"><img src=x onerror="document.title=\'PWNED-IMG\'">'
HOSTILE = SCRIPT + IMG

FINANCE = Identity(
    id="5b1c0000-0000-4000-8000-000000000001",
    kind="agent_identity",
    name="Finance reporting agent",
    app_id="9e2f0000-0000-4000-8000-000000000001",
    blueprint="c0de0000-0000-4000-8000-000000000001",
    sponsor="cfo-office@contoso.com",
    kind_source="entra_agent_fields",
)
HELPDESK = Identity(
    id="6a2d0000-0000-4000-8000-000000000002",
    kind="service_principal",
    name="Helpdesk triage bot",
    app_id="7f3e0000-0000-4000-8000-000000000002",
    kind_source="registry",
)
SHADOW = Identity(
    id="8c4f0000-0000-4000-8000-000000000003",
    kind="agent_identity",
    name="copilot-sandbox-agent",
    kind_source="entra_agent_fields",
)
ALICE = Identity(id="a11ce000-0000-4000-8000-000000000009", kind="human", name="alice@contoso.com")

EXAMPLES = [
    (
        "AA-R01",
        "unexpected_resource_access",
        "high",
        FINANCE,
        "Agent touched a resource outside its registered scope",
        "Finance reporting agent read graph:/users/{id}/messages 412 times; its registry scope is "
        "SharePoint drives and Dynamics 365 Finance.",
    ),
    (
        "AA-P01",
        "pii_touch",
        "critical",
        FINANCE,
        "Sensitive data read without clearance",
        "Finance reporting agent read HR records (sensitivity hr) without hr clearance.",
    ),
    (
        "AA-A01",
        "attribution_gap",
        "medium",
        HELPDESK,
        "Agent acted with a person's token",
        "Helpdesk triage bot called Graph with alice@contoso.com's delegated token; the registry "
        "does not allow on-behalf-of use.",
    ),
    (
        "AA-A04",
        "attribution_gap",
        "medium",
        SHADOW,
        "Shadow agent: active but not registered",
        "copilot-sandbox-agent made 1,208 requests and is not in the agent registry.",
    ),
    (
        "AA-S01",
        "signin_anomaly",
        "low",
        HELPDESK,
        "Sign-in from a new country",
        "Helpdesk triage bot signed in from BR (AS 28573); it had only signed in from US and IE.",
    ),
    (
        "AA-M01",
        "behaviour_anomaly",
        "high",
        SHADOW,
        "Unusual day for this identity",
        "Volume 14× the identity's median and 9 distinct resources against 2 usually.",
    ),
    (
        "AA-G01",
        "credential_or_privilege_change",
        "high",
        FINANCE,
        "Credential added to an agent",
        "A client secret was added to Finance reporting agent by "
        "bob@contoso.com, who is neither its owner nor its sponsor.",
    ),
    (
        "AA-G04",
        "credential_or_privilege_change",
        "low",
        HELPDESK,
        "Dormant agent",
        "Helpdesk triage bot has had no activity for 41 days yet still holds 2 credentials.",
    ),
    (
        "AA-G05",
        "credential_or_privilege_change",
        "low",
        SHADOW,
        "Agent sign-ins not covered by Conditional Access",
        "37 of 37 sign-ins of copilot-sandbox-agent had conditionalAccessStatus notApplied.",
    ),
]


def _finding(
    i: int, rule: str, family: str, severity: str, ident: Identity, title: str, text: str, **extra
) -> Finding:
    start = datetime.fromisoformat(DAY).replace(tzinfo=UTC) + timedelta(hours=i)
    end = start + timedelta(hours=1)
    fields = dict(
        finding_id=finding_id(rule, ident.id, start, end),
        rule_id=rule,
        family=family,
        title=title,
        severity=severity,
        score=min(100.0, 18.0 * SEVERITIES.index(severity) + 11 + i),
        identity=ident,
        window_start=start,
        window_end=end,
        evidence_event_ids=tuple(f"{rule.lower()}-evt-{n:04d}" for n in range(3 + i)),
        explanation=text,
        baseline=(
            BaselineFact(
                name="requests_p95", description="requests a day (p95)", value=180.0, observed=412
            ),
            BaselineFact(
                name="distinct_resources",
                description="distinct resources a day",
                value=2,
                observed=9,
            ),
        ),
        attacks=("T1078.004",),
        run_id="20261127T010000Z-abc123",
        tenant_id=TENANT,
        details={"resource_path": "graph:/users/{id}/messages"},
    )
    fields.update(extra)
    return Finding(**fields)


def findings() -> list[Finding]:
    out = [_finding(i, *ex) for i, ex in enumerate(EXAMPLES)]
    out.append(
        _finding(
            12,
            "AA-S04",
            "signin_anomaly",
            "medium",
            FINANCE,
            "Activity outside declared hours",
            "Finance reporting agent was active at 02:10 UTC; declared hours are 06:00-20:00.",
            suppressed=Suppression(
                reason="quarter-end batch runs at night",
                owner="soc@contoso.com",
                expires="2027-01-31",
            ),
        )
    )
    return out


def hostile_findings() -> list[Finding]:
    """Findings whose every text field holds script and attribute-breaking payloads."""
    ident = Identity(
        id=HOSTILE,
        kind="agent_identity",
        name=HOSTILE,
        sponsor=HOSTILE,
        app_id=HOSTILE,
        blueprint=HOSTILE,
    )
    out = []
    for i, family in enumerate(FAMILIES):
        out.append(
            _finding(
                i,
                "AA-R01",
                family,
                SEVERITIES[i % 5],
                ident,
                HOSTILE,
                HOSTILE,
                on_behalf_of=Identity(id=HOSTILE, kind="human", name=HOSTILE),
                baseline=(
                    BaselineFact(
                        name=HOSTILE, description=HOSTILE, value=HOSTILE, observed=HOSTILE
                    ),
                ),
                attacks=(HOSTILE,),
                evidence_event_ids=(HOSTILE, "evt-ok"),
                details={HOSTILE: HOSTILE},
                suppressed=Suppression(reason=HOSTILE, owner=HOSTILE, expires=HOSTILE)
                if i == 0
                else None,
            )
        )
    return out


def _activity(seed: int, spike: int | None = None) -> list[DayActivity]:
    start = date.fromisoformat(DAY) - timedelta(days=29)
    out = []
    for i in range(30):
        d = start + timedelta(days=i)
        base = 300 + (seed * 37 + i * 53) % 120 if d.weekday() < 5 else 60 + (i * 7) % 30
        if spike is not None and i >= spike:
            base *= 4
        out.append(
            DayActivity(
                day=d.isoformat(),
                events=base,
                failures=(i * seed) % 9,
                sensitive=(base // 10 if spike is not None and i >= spike else 0),
            )
        )
    return out


def report_data(extra_findings: list[Finding] | None = None) -> ReportData:
    fs = findings() + list(extra_findings or [])
    fs.sort(key=lambda f: (f.suppressed is not None, -SEVERITIES.index(f.severity), -f.score))

    def ids(ident):
        return [f.finding_id for f in fs if f.identity.id == ident.id]

    agents = [
        AgentSection(
            id=FINANCE.id,
            name=FINANCE.name,
            kind=FINANCE.kind,
            registered=True,
            sponsor=FINANCE.sponsor,
            owner="platform-team@contoso.com",
            purpose="Monthly financial summaries",
            blueprint=FINANCE.blueprint,
            app_id=FINANCE.app_id,
            allowed_resources=[
                "Microsoft Graph",
                "graph:/sites/*/drive/**",
                "Dynamics 365 Finance",
            ],
            pii_clearance=["financial"],
            touched=[
                ResourceUse(
                    resource="graph:/sites/{id}/drive/items/{id}",
                    events=5210,
                    sensitivity="financial",
                    allowed=True,
                ),
                ResourceUse(resource="Dynamics 365 Finance", events=1900, allowed=True),
                ResourceUse(
                    resource="graph:/users/{id}/messages",
                    events=412,
                    sensitivity="mail",
                    allowed=False,
                ),
                ResourceUse(
                    resource="graph:/users/{id}/employeeinfo",
                    events=37,
                    sensitivity="hr",
                    allowed=False,
                ),
            ],
            activity=_activity(1, spike=27),
            finding_ids=ids(FINANCE),
            last_seen=f"{DAY} 23:41",
        ),
        AgentSection(
            id=SHADOW.id,
            name=SHADOW.name,
            kind=SHADOW.kind,
            registered=False,
            touched=[ResourceUse(resource="graph:/users", events=1208, sensitivity="directory")],
            activity=_activity(2, spike=29),
            finding_ids=ids(SHADOW),
            last_seen=f"{DAY} 22:05",
        ),
        AgentSection(
            id=HELPDESK.id,
            name=HELPDESK.name,
            kind=HELPDESK.kind,
            registered=True,
            sponsor="it-service@contoso.com",
            allowed_resources=["graph:/users/*/manager"],
            touched=[],
            activity=[DayActivity(day=d.day) for d in _activity(3)],
            finding_ids=ids(HELPDESK),
            last_seen="2026-10-16 09:12",
        ),
    ]
    identities = [
        IdentityRow(
            id=FINANCE.id,
            name=FINANCE.name,
            kind=FINANCE.kind,
            registered=True,
            agent_like=True,
            sponsor=FINANCE.sponsor,
            last_seen=f"{DAY} 23:41",
            events=210_442,
            signins=4120,
            ca_not_applied=0,
            credential_changes=1,
        ),
        IdentityRow(
            id=SHADOW.id,
            name=SHADOW.name,
            kind=SHADOW.kind,
            agent_like=True,
            last_seen=f"{DAY} 22:05",
            events=18_204,
            signins=37,
            ca_not_applied=37,
            hygiene=ids(SHADOW),
        ),
        IdentityRow(
            id=HELPDESK.id,
            name=HELPDESK.name,
            kind=HELPDESK.kind,
            registered=True,
            agent_like=True,
            sponsor="it-service@contoso.com",
            last_seen="2026-10-16 09:12",
            events=0,
            dormant=True,
            permission_changes=2,
        ),
        IdentityRow(
            id=ALICE.id,
            name=ALICE.name,
            kind="human",
            last_seen=f"{DAY} 17:02",
            events=3_310,
            signins=12,
            ca_not_applied=0,
        ),
    ]
    return ReportData(
        workspace="contoso-prod",
        day=DAY,
        generated_at=datetime(2026, 11, 27, 5, 0, tzinfo=UTC),
        tenants=[TENANT],
        findings=fs,
        agents=agents,
        identities=identities,
        ingest=IngestHealth(
            tables=[
                TableHealth(
                    table="signins", rows=1_204_331, days=30, first_day="2026-10-28", last_day=DAY
                ),
                TableHealth(
                    table="activity", rows=8_950_210, days=30, first_day="2026-10-28", last_day=DAY
                ),
                TableHealth(
                    table="audits", rows=48_120, days=30, first_day="2026-10-28", last_day=DAY
                ),
            ],
            files=62,
            rows_read=10_202_871,
            duplicates=210,
            quarantined=17,
            reasons=[
                ReasonCount(reason="event_time: not a timestamp ('12/31/9999 99:00')", rows=12),
                ReasonCount(reason="not JSON: unterminated string", rows=5),
            ],
        ),
        run=RunInfo(
            run_id="20261127T010000Z-abc123",
            started="2026-11-27 01:00:02",
            finished="2026-11-27 01:02:31",
            inputs=["/exports/entra/2026-11-26/"],
            stages=[
                StageTime(name=n, seconds=s)
                for n, s in [
                    ("ingest", 61.2),
                    ("baseline", 24.9),
                    ("detect", 48.3),
                    ("report", 2.1),
                    ("export", 0.4),
                ]
            ],
            days_judged=[DAY],
            versions={"agentaudit": "0.1.0", "duckdb": "1.1.3"},
            rows_read=1_021_402,
            rows_written=1_021_190,
        ),
    )
