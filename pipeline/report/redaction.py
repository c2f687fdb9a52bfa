"""``report_mode = "redacted"``: the report with people's names, addresses and URIs masked."""

from __future__ import annotations

from pipeline.report.model import AgentBadge, ReportData
from pipeline.siem.redact import PEOPLE, Redactor


def _name(redactor: Redactor, name: str | None, kind: str) -> str | None:
    if name is None:
        return None
    if kind in PEOPLE:
        return redactor.upn(name) if "@" in name else redactor.token("user", name)
    return redactor.text(name)


def _badge(redactor: Redactor, badge: AgentBadge | None) -> AgentBadge | None:
    """The badge with its people (owners, approvers) and free text masked."""
    if badge is None:
        return None
    packages = [
        {**p, "approved_by": [redactor.person(x) for x in p.get("approved_by") or []]}
        for p in badge.access_packages
    ]
    return badge.model_copy(
        update={
            "owners": [redactor.person(o) for o in badge.owners],
            "creation_channel_evidence": redactor.text(badge.creation_channel_evidence)
            if badge.creation_channel_evidence
            else None,
            "access_packages": packages,
        }
    )


def redact_report(data: ReportData, redactor: Redactor) -> ReportData:
    """The same report with every user name, e-mail, IP and URI replaced by its stable token."""
    findings = [redactor.finding(f) for f in data.findings]
    identities = [
        row.model_copy(
            update={
                "name": _name(redactor, row.name, row.kind),
                "sponsor": redactor.person(row.sponsor) if row.sponsor else None,
            }
        )
        for row in data.identities
    ]
    agents = [
        a.model_copy(
            update={
                "name": _name(redactor, a.name, a.kind),
                "sponsor": redactor.person(a.sponsor) if a.sponsor else None,
                "owner": redactor.person(a.owner) if a.owner else None,
                "badge": _badge(redactor, a.badge),
                "touched": [
                    t.model_copy(update={"resource": redactor.text(t.resource)}) for t in a.touched
                ],
            }
        )
        for a in data.agents
    ]
    run = data.run.model_copy(update={"inputs": [redactor.text(i) for i in data.run.inputs]})
    ingest = data.ingest.model_copy(
        update={
            "reasons": [
                r.model_copy(update={"reason": redactor.text(r.reason)})
                for r in data.ingest.reasons
            ]
        }
    )
    return data.model_copy(
        update={
            "findings": findings,
            "identities": identities,
            "agents": agents,
            "run": run,
            "ingest": ingest,
            "redacted": True,
        }
    )
