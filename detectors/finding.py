"""The Finding contract (DESIGN.md section 7): the only thing the report and the SIEM consume."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")

Family = Literal[
    "unexpected_resource_access",
    "pii_touch",
    "attribution_gap",
    "credential_or_privilege_change",
    "signin_anomaly",
    "behaviour_anomaly",
]
FAMILIES: tuple[str, ...] = Family.__args__  # type: ignore[attr-defined]

KindSource = Literal["entra_agent_fields", "registry", "sp_tags", "log_category", "none"]

#: why a finding names its accountable human (DESIGN.md section 11): the agent's sponsor, else
#: an owner, else the person whose delegated token it used, else nobody ("unaccountable")
AccountableBasis = Literal["sponsor", "owner", "delegating_user", "none"]
ACCOUNTABLE_BASES: tuple[str, ...] = AccountableBasis.__args__  # type: ignore[attr-defined]
UNACCOUNTABLE = "unaccountable"


def severity_rank(severity: str) -> int:
    """0 for info … 4 for critical; for sorting and --fail-on."""
    return SEVERITIES.index(severity)


def severity_counts(counts: Mapping[str, int]) -> str:
    """``"2 critical, 45 high, 24 medium"``: non-zero counts from critical down, or "none"."""
    return ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts.get(s)) or "none"


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str = "unknown"
    name: str | None = None
    app_id: str | None = None
    blueprint: str | None = None
    sponsor: str | None = None
    kind_source: KindSource = "none"


class BaselineFact(BaseModel):
    """One fact about what is normal, e.g. name='distinct_resources_p95', value=3, observed=11."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    value: float | str | None = None  # what the baseline says is normal
    observed: float | str | None = None  # what was seen in the window


class Suppression(BaseModel):
    model_config = ConfigDict(frozen=True)

    reason: str
    owner: str | None = None
    expires: str | None = None


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    finding_id: str
    rule_id: str
    family: Family
    title: str
    severity: Severity
    score: float = Field(ge=0, le=100)
    identity: Identity
    on_behalf_of: Identity | None = None
    window_start: datetime
    window_end: datetime
    evidence_event_ids: tuple[str, ...] = ()
    explanation: str
    baseline: tuple[BaselineFact, ...] = ()
    attacks: tuple[str, ...] = ()
    run_id: str = ""
    tenant_id: str | None = None
    suppressed: Suppression | None = None
    details: dict[str, str | float | int | bool | None] = Field(default_factory=dict)
    #: who answers for it, filled by the engine for every rule (detectors.accountable)
    accountable: str = UNACCOUNTABLE
    accountable_basis: AccountableBasis = "none"

    @model_validator(mode="before")
    @classmethod
    def _older_finding(cls, data):
        """A finding stored before findings named their accountable human: the person it acted
        for when it says one (as the findings view reads older files), else nobody."""
        if isinstance(data, dict) and "accountable" not in data:
            obo = data.get("on_behalf_of")
            obo_id = obo.get("id") if isinstance(obo, dict) else getattr(obo, "id", None)
            if obo_id:
                return {**data, "accountable": obo_id, "accountable_basis": "delegating_user"}
        return data


def finding_id(rule_id: str, identity_id: str, window_start: datetime, window_end: datetime) -> str:
    """Stable id: the same rule, identity and window always give the same id."""
    key = "|".join([rule_id, identity_id, window_start.isoformat(), window_end.isoformat()])
    return hashlib.sha256(key.encode()).hexdigest()[:32]
