"""The rule contract: one rule a file under ``detectors/rules/``, each with its cases.

A rule is a small class with its metadata and a ``detect`` method that judges one day against the
history before it, vectorised in DuckDB SQL (a ``.sql`` file beside the rule) or polars, and
returns one ``Finding`` per identity and window, never one per event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

import duckdb

from detectors.finding import Family, Finding, Severity


@dataclass
class DetectContext:
    """What a rule sees: the catalog, the day under judgement and the workspace settings."""

    con: duckdb.DuckDBPyConnection | None  # catalog views; history views set to before ``day``
    day: date  # the UTC day being judged
    config: Any  # pipeline.config.Config
    run_id: str
    params: dict[str, Any] = field(default_factory=dict)  # the rule's [detectors.<id>] settings
    tenant_id: str | None = None
    #: the history window the views cover ([detectors.baseline] lookback_days)
    lookback_days: int = 30
    #: what runs the rules' SQL (pipeline.engines): DuckDB over ``con`` unless given
    engine: Any = None

    def __post_init__(self) -> None:
        if self.engine is None:
            from pipeline.engines import DuckEngine

            self.engine = DuckEngine(self.con)

    @property
    def day_start(self) -> datetime:
        from datetime import UTC, time

        return datetime.combine(self.day, time.min, tzinfo=UTC)


class Rule:
    """Base class. Subclasses set the metadata and implement ``detect``."""

    id: ClassVar[str]
    family: ClassVar[Family]
    severity: ClassVar[Severity]
    title: ClassVar[str]
    attacks: ClassVar[tuple[str, ...]] = ()
    runbook: ClassVar[str] = ""
    #: behavioural rules' findings on identities still learning their baseline are weakened
    behavioural: ClassVar[bool] = False
    #: standing rules judge a lasting condition: one finding per identity while it lasts
    #: (detectors/standing.py), not one a night
    standing: ClassVar[bool] = False
    #: default parameters, overridden by [detectors.<id>] in agentaudit.toml
    defaults: ClassVar[dict[str, Any]] = {}
    #: the rule's scenarios (>= 1 firing, >= 1 not firing); a module-level ``CASES`` list works too
    cases: ClassVar[tuple[Case, ...]] = ()

    def params(self, ctx: DetectContext) -> dict[str, Any]:
        return {**self.defaults, **ctx.params}

    def detect(self, ctx: DetectContext) -> list[Finding]:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Case:
    """A hand-written scenario for a rule: rows per lake table, and whether the rule must fire.

    ``rows`` maps a table name (signins, audits, activity) to dicts of column values; columns not
    given are null (``event_time`` may be an ISO string). ``config`` is agentaudit.toml text.
    """

    name: str
    fires: bool
    rows: dict[str, list[dict[str, Any]]]
    day: str  # YYYY-MM-DD judged
    config: str = ""
    check: Callable[[list[Finding]], bool] | None = None


#: evidence ids kept on one finding; the rest are counted in details["evidence_total"]
MAX_EVIDENCE = 500


def build_finding(
    rule: Rule | type[Rule],
    ctx: DetectContext,
    *,
    identity: Any,
    window_start: datetime,
    window_end: datetime,
    evidence: Any,
    explanation: str,
    baseline: Any = (),
    on_behalf_of: Any = None,
    rarity: float | None = None,
    sensitivity: float | str | None = None,
    reach: float | None = None,
    details: dict[str, Any] | None = None,
    base_severity: str | None = None,
) -> Finding:
    """One finding of ``rule`` with its stable id, metadata and score (see detectors.scoring).

    ``rarity`` (0 common … 1 never seen anywhere), ``sensitivity`` (0 … 1, or a catalogue tag such
    as "secrets") and ``reach`` (0 … 1: how much the identity touched) feed the score; leave them
    out and the rule's declared severity decides. ``identity`` is an ``Identity`` or a dict of its
    fields; ``evidence`` any iterable of event ids (capped at MAX_EVIDENCE, total kept in details).
    ``base_severity`` replaces the rule's declared severity for this one finding (e.g. "low" for
    a recurring, already known violation); it is kept in details so re-scoring honours it.
    """
    from detectors.finding import Identity, finding_id
    from detectors.scoring import score_finding

    ident = identity if isinstance(identity, Identity) else Identity(**_clean(identity))
    obo = None
    if on_behalf_of is not None:
        obo = (
            on_behalf_of if isinstance(on_behalf_of, Identity) else Identity(**_clean(on_behalf_of))
        )
    ids = [e for e in dict.fromkeys(evidence or ()) if e]
    extra: dict[str, Any] = dict(details or {})
    if len(ids) > MAX_EVIDENCE:
        extra["evidence_total"] = len(ids)
        ids = ids[:MAX_EVIDENCE]
    base = base_severity or rule.severity
    score, severity, components = score_finding(
        base, rarity=rarity, sensitivity=sensitivity, reach=reach
    )
    extra.update(components)
    if base_severity:
        extra["base_severity"] = base_severity
    return Finding(
        finding_id=finding_id(rule.id, ident.id, window_start, window_end),
        rule_id=rule.id,
        family=rule.family,
        title=rule.title,
        severity=severity,
        score=score,
        identity=ident,
        on_behalf_of=obo,
        window_start=window_start,
        window_end=window_end,
        evidence_event_ids=tuple(ids),
        explanation=explanation,
        baseline=tuple(baseline),
        attacks=tuple(rule.attacks),
        run_id=ctx.run_id,
        tenant_id=ctx.tenant_id,
        details={k: v for k, v in extra.items() if isinstance(v, str | float | int | bool)},
    )


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Identity fields from a row: unknown keys dropped, empty kind/kind_source defaulted."""
    from detectors.finding import Identity

    out = {k: v for k, v in fields.items() if k in Identity.model_fields and v is not None}
    out["id"] = str(out.get("id") or "unknown")
    known = ("entra_agent_fields", "registry", "sp_tags", "log_category", "none")
    if out.get("kind_source") not in known:
        out.pop("kind_source", None)
    return out
