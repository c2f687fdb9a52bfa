"""Hand-made findings covering every family and severity, suppression, OBO, baselines, attacks,
no tenant, and hostile text, for the SIEM tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detectors.finding import (
    FAMILIES,
    SEVERITIES,
    BaselineFact,
    Finding,
    Identity,
    Suppression,
    finding_id,
)

TENANT = "72f988bf-0000-4000-8000-2d7cd011db47"
DAY = "2026-11-26"
HOSTILE = '<script>document.title="pwned"</script>"><img src=x onerror=alert(1)>'


def make_finding(
    n: int,
    *,
    rule_id: str = "AA-R01",
    family: str = "unexpected_resource_access",
    severity: str = "high",
    identity: Identity | None = None,
    day: str = DAY,
    **extra,
) -> Finding:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=n % 20)
    end = start + timedelta(hours=1)
    ident = identity or Identity(
        id=f"5b1c0000-0000-4000-8000-{n:012d}",
        kind="agent_identity",
        name=f"Finance agent {n}",
        app_id=f"9e2f0000-0000-4000-8000-{n:012d}",
        blueprint="c0de0000-0000-4000-8000-000000000001",
        sponsor="cfo-office@contoso.com",
        kind_source="entra_agent_fields",
    )
    fields = dict(
        finding_id=finding_id(rule_id, ident.id, start, end),
        rule_id=rule_id,
        family=family,
        title="Agent touched a resource outside its registered scope",
        severity=severity,
        score=min(100.0, 20.0 * SEVERITIES.index(severity) + 7.5),
        identity=ident,
        window_start=start,
        window_end=end,
        evidence_event_ids=(f"evt-{n}-1", f"evt-{n}-2"),
        explanation=f"Finance agent {n} read /users/alice@contoso.com/messages from 203.0.113.{n}",
        baseline=(
            BaselineFact(
                name="distinct_resources_p95",
                description="distinct resources a day",
                value=3.0,
                observed=11,
            ),
            BaselineFact(name="usual_country", description="usual country", value="US"),
        ),
        attacks=("T1078.004", "TA0009", "T1530"),
        run_id="20261127T010000Z-abc123",
        tenant_id=TENANT,
        details={"resource_path": "graph:/users/{id}/messages", "requests": 42},
        # as the engine fills it: the sponsor, when the identity has one
        accountable=ident.sponsor or "unaccountable",
        accountable_basis="sponsor" if ident.sponsor else "none",
    )
    fields.update(extra)
    return Finding(**fields)


def catalogue() -> list[Finding]:
    """One finding per family × severity plus the awkward cases."""
    out = []
    n = 0
    for family in FAMILIES:
        for severity in SEVERITIES:
            n += 1
            out.append(make_finding(n, rule_id=f"AA-X{n:02d}", family=family, severity=severity))
    human = Identity(
        id="aaaa-human", kind="human", name="alice@contoso.com", kind_source="log_category"
    )
    out.append(
        make_finding(
            100,
            rule_id="AA-A01",
            family="attribution_gap",
            on_behalf_of=human,
            suppressed=Suppression(
                reason="approved pilot", owner="soc@contoso.com", expires="2027-01-31"
            ),
        )
    )
    out.append(make_finding(101, rule_id="AA-M01", family="behaviour_anomaly", tenant_id=None))
    out.append(
        make_finding(
            102,
            rule_id="AA-G04",
            family="credential_or_privilege_change",
            severity="low",
            baseline=(),
            attacks=(),
            evidence_event_ids=(),
            identity=Identity(id="unknown"),
        )
    )
    out.append(
        make_finding(
            103,
            title=HOSTILE,
            explanation=HOSTILE,
            identity=Identity(id=HOSTILE, kind="unknown", name=HOSTILE, sponsor=HOSTILE),
            details={"note": HOSTILE, "flag": True, "ratio": 0.25, "missing": None},
            baseline=(
                BaselineFact(name=HOSTILE, description=HOSTILE, value=HOSTILE, observed=HOSTILE),
            ),
        )
    )
    return out
