"""Finding → OCSF 1.8.0 Detection Finding (class 2004), as DESIGN.md section 7 maps it.

Every attribute used here was checked against the compiled schema in ``../shared/ocsf/``. Two of
them come from profiles: ``actor`` from ``host`` and ``risk_score`` / ``attacks`` / ``is_alert`` /
``action_id`` / ``disposition_id`` from ``security_control``; a line therefore declares those
profiles next to ``cloud`` (whose ``cloud`` object is then required).

The accountable human (``Finding.accountable``) sits on the agent as the affected resource:
``resources[0]`` is the acting identity (``uid``, ``name``, ``type`` = its kind) and its ``owner``
(an OCSF ``user``, type User) names the accountable human; ``resources[0].tags`` holds
``{"name": "accountable_basis", "value": "sponsor" | "owner" | "delegating_user" | "none"}``.
An unaccountable finding has no ``owner`` (nobody answers for it) and the basis ``none``;
``unmapped.accountable`` repeats both (``name``: the person or "unaccountable", ``basis``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from detectors.finding import BaselineFact, Finding, Identity
from pipeline import __version__

OCSF_VERSION = "1.8.0"
PROFILES = ["cloud", "host", "security_control"]
PRODUCT = {"name": "agentaudit", "vendor_name": "agentaudit", "version": __version__}

CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE  # 200401

SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_CAPTIONS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

#: analytic.type_id: 1 Rule, 2 Behavioral, 4 Learning (ML/DL)
ANALYTIC_TYPES = {1: "Rule", 2: "Behavioral", 4: "Learning (ML/DL)"}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SUB_TECHNIQUE = re.compile(r"^T\d{4}\.\d{3}$")
_TECHNIQUE = re.compile(r"^T\d{4}$")
_TACTIC = re.compile(r"^TA\d{4}$")


def epoch_ms(moment: datetime) -> int:
    """OCSF timestamp_t: milliseconds since the epoch (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@cache
def rule_metadata() -> dict[str, tuple[bool, str]]:
    """rule id → (behavioural, runbook) from the rules in ``detectors/rules/``; {} if unloadable."""
    try:
        from detectors.engine import discover_rules

        return {r.id: (bool(r.behavioural), str(r.runbook or "")) for r in discover_rules()}
    except Exception:  # the export still works; the analytic type falls back to the finding
        return {}


def runbook_of(finding: Finding) -> str:
    """The rule's runbook line; a rule read at run time (Sigma) carries it in the details."""
    known = rule_metadata().get(finding.rule_id, (False, ""))[1]
    return known or str(finding.details.get("runbook") or "")


def analytic_type_id(finding: Finding) -> int:
    """Learning for the isolation forest, Behavioral for baseline rules, Rule otherwise."""
    if finding.family == "behaviour_anomaly":
        return 4
    known = rule_metadata().get(finding.rule_id)
    if known is not None:
        return 2 if known[0] else 1
    return 2 if finding.baseline else 1


@cache
def attack_objects(attacks: tuple[str, ...]) -> list[dict[str, Any]]:
    """MITRE ids → OCSF attack objects (technique, sub-technique or tactic); shared, read-only."""
    out: list[dict[str, Any]] = []
    for raw in attacks:
        uid = raw.strip().upper()
        if _SUB_TECHNIQUE.match(uid):
            out.append({"technique": {"uid": uid[:5]}, "sub_technique": {"uid": uid}})
        elif _TECHNIQUE.match(uid):
            out.append({"technique": {"uid": uid}})
        elif _TACTIC.match(uid):
            out.append({"tactic": {"uid": uid}})
    return out


def _user(identity: Identity) -> dict[str, Any]:
    user: dict[str, Any] = {"uid": identity.id, "type": identity.kind, "type_id": 99}
    if identity.name:
        user["name"] = identity.name
    return user


def _actor(identity: Identity) -> dict[str, Any]:
    actor: dict[str, Any] = {"user": _user(identity)}
    if identity.app_id:
        actor["app_uid"] = identity.app_id
    return actor


def resources(finding: Finding) -> list[dict[str, Any]]:
    """The acting identity as the finding's affected resource, owned by its accountable human."""
    ident = finding.identity
    resource: dict[str, Any] = {
        "uid": ident.id,
        "type": ident.kind,
        "tags": [{"name": "accountable_basis", "value": finding.accountable_basis}],
    }
    if ident.name:
        resource["name"] = ident.name
    if finding.accountable_basis != "none":
        resource["owner"] = {"name": finding.accountable, "type": "User", "type_id": 1}
    return [resource]


def _text(value: float | str | None) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def anomaly_analyses(finding: Finding) -> list[dict[str, Any]]:
    """The baseline facts as one OCSF anomaly analysis: observed values against normal ones."""
    facts: tuple[BaselineFact, ...] = finding.baseline
    anomalies = [
        {
            "observation_parameter": f.name,
            "observed_pattern": f.description,
            "observations": [{"value": _text(f.observed)}],
        }
        for f in facts
        if f.observed is not None
    ]
    baselines = [
        {
            "observation_parameter": f.name,
            "observed_pattern": f.description,
            "observations": [{"value": _text(f.value)}],
        }
        for f in facts
        if f.value is not None
    ]
    if not anomalies:
        return []
    analysis: dict[str, Any] = {
        "analysis_targets": [{"name": finding.identity.id, "type": finding.identity.kind}],
        "anomalies": anomalies,
    }
    if baselines:
        analysis["baselines"] = baselines
    return [analysis]


def _evidences(finding: Finding, total: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "name": "acting identity and evidence events",
            "actor": _actor(finding.identity),
            "data": {"event_ids": list(finding.evidence_event_ids), "event_count": total},
        }
    ]
    if finding.on_behalf_of is not None:
        out.append({"name": "on behalf of", "user": _user(finding.on_behalf_of)})
    return out


def observables(finding: Finding) -> list[dict[str, Any]]:
    """The values a SIEM pivots on: who acted, for whom, who answers for it, in which tenant."""
    out = [
        {
            "name": "actor.user.uid",
            "type_id": 31,
            "type": "User Object: uid",
            "value": finding.identity.id,
        },
    ]
    if finding.identity.name:
        out.append(
            {
                "name": "actor.user.name",
                "type_id": 4,
                "type": "User Name",
                "value": finding.identity.name,
            }
        )
    if finding.on_behalf_of is not None:
        out.append(
            {
                "name": "evidences[1].user.uid",
                "type_id": 31,
                "type": "User Object: uid",
                "value": finding.on_behalf_of.id,
            }
        )
    if finding.accountable_basis != "none":
        out.append(
            {
                "name": "resources[0].owner.name",
                "type_id": 4,
                "type": "User Name",
                "value": finding.accountable,
            }
        )
    if finding.tenant_id:
        out.append(
            {
                "name": "cloud.account.uid",
                "type_id": 35,
                "type": "Account Object: uid",
                "value": finding.tenant_id,
            }
        )
    return out


def _unmapped(finding: Finding, total: int) -> dict[str, Any]:
    ident = finding.identity
    out: dict[str, Any] = {
        "family": finding.family,
        "score": finding.score,
        "run_id": finding.run_id,
        "window_start": finding.window_start.isoformat(),
        "window_end": finding.window_end.isoformat(),
        "evidence_total": total,
        "identity": {
            "kind": ident.kind,
            "kind_source": ident.kind_source,
            "blueprint": ident.blueprint,
            "sponsor": ident.sponsor,
        },
        "attacks": list(finding.attacks),
        "details": dict(finding.details),
        "accountable": {"name": finding.accountable, "basis": finding.accountable_basis},
    }
    if finding.on_behalf_of is not None:
        obo = finding.on_behalf_of
        out["on_behalf_of"] = {"id": obo.id, "name": obo.name, "kind": obo.kind}
    if finding.suppressed is not None:
        out["suppression"] = finding.suppressed.model_dump()
    unobserved = [f.model_dump() for f in finding.baseline if f.observed is None]
    if unobserved:
        out["baseline"] = unobserved
    return out


def to_ocsf(finding: Finding) -> dict[str, Any]:
    """One Detection Finding object for one Finding (deterministic: same finding, same JSON)."""
    severity_id = SEVERITY_IDS[finding.severity]
    suppressed = finding.suppressed is not None
    total = int(finding.details.get("evidence_total") or len(finding.evidence_event_ids))
    type_id = analytic_type_id(finding)
    attacks = attack_objects(finding.attacks)
    info: dict[str, Any] = {
        "uid": finding.finding_id,
        "title": finding.title,
        "desc": finding.explanation,
        "types": [finding.family],
        "analytic": {
            "uid": finding.rule_id,
            "name": finding.title,
            "type_id": type_id,
            "type": ANALYTIC_TYPES[type_id],
        },
        "first_seen_time": epoch_ms(finding.window_start),
        "last_seen_time": epoch_ms(finding.window_end),
        "related_events": [{"uid": e} for e in finding.evidence_event_ids],
        "related_events_count": total,
    }
    if attacks:
        info["attacks"] = attacks
    cloud: dict[str, Any] = {"provider": "Azure"}
    metadata: dict[str, Any] = {
        "product": dict(PRODUCT),
        "version": OCSF_VERSION,
        "profiles": list(PROFILES),
        "log_name": "agentaudit findings",
    }
    if finding.tenant_id:
        cloud["account"] = {"uid": finding.tenant_id}
        metadata["tenant_uid"] = finding.tenant_id
    event: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": TYPE_UID,
        "type_name": "Detection Finding: Create",
        "time": epoch_ms(finding.window_end),
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTIONS[severity_id],
        "status_id": 3 if suppressed else 1,
        "status": "Suppressed" if suppressed else "New",
        "message": finding.explanation,
        "risk_score": round(finding.score),
        "is_alert": not suppressed,
        "action_id": 3,
        "action": "Observed",
        "disposition_id": 15,
        "disposition": "Detected",
        "finding_info": info,
        "actor": _actor(finding.identity),
        "resources": resources(finding),
        "evidences": _evidences(finding, total),
        "observables": observables(finding),
        "metadata": metadata,
        "cloud": cloud,
        "unmapped": _unmapped(finding, total),
    }
    if suppressed and finding.suppressed is not None:
        event["status_detail"] = finding.suppressed.reason
    if attacks:
        event["attacks"] = attacks
    runbook = runbook_of(finding)
    if runbook:
        event["remediation"] = {"desc": runbook}
    analyses = anomaly_analyses(finding)
    if analyses:
        event["anomaly_analyses"] = analyses
    return event
