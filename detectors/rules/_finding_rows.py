"""Rule query rows to Findings, shared by the attribution, credential and sign-in rules.

Each of those rules runs one ``.sql`` file beside it that returns ONE row per identity and window,
with the identity columns of ``detectors.query.IDENTITY_COLUMNS`` plus ``window_start``,
``window_end``, ``evidence`` (a list of event ids) and whatever facts the rule explains itself
with. This module runs that query with its values bound as parameters and turns each row into a
``Finding``; the loop here is over findings (a handful a day), never over events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from detectors.finding import BaselineFact, Finding, Identity
from detectors.query import identity, plural  # noqa: F401 (plural: re-exported to the rules)
from detectors.rule import DetectContext, Rule, build_finding
from detectors.scoring import ANCHORS
from pipeline.sql import bound, sql_file

AGENT_KINDS = ["agent_identity", "agent_user", "agent_blueprint"]
HUMAN_KINDS = ["human", "guest"]


def sql_beside(module_file: str) -> str:
    """The text of the ``.sql`` file with the same name as the rule module."""
    return sql_file(module_file)


def day_bounds(ctx: DetectContext) -> dict[str, Any]:
    """The judged day as bound parameters: ``day`` (date), ``day_start`` and ``day_end`` (UTC)."""
    start = ctx.day_start
    return {"day": ctx.day, "day_start": start, "day_end": start + timedelta(days=1)}


def query_rows(ctx: DetectContext, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``sql`` with named parameters ($name) bound; rows as dicts."""
    cur = ctx.con.execute(sql, bound(sql, params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def agent_registry(ctx: DetectContext) -> list[Any]:
    """The [[agents]] of agentaudit.toml (empty when there is no config)."""
    return list(getattr(ctx.config, "agents", None) or [])


def agent_keys(agent: Any) -> list[str]:
    """Every id an agent entry may be known by in the logs (object id, app id), lower case."""
    keys = [getattr(agent, "id", None), getattr(agent, "app_id", None)]
    return [str(k).lower() for k in keys if k]


def _utc(value: Any, fallback: datetime) -> datetime:
    if value is None:
        return fallback
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return fallback


def fact(name: str, description: str, value: Any = None, observed: Any = None) -> BaselineFact:
    """A baseline fact; values that are not numbers become text."""

    def norm(v: Any) -> float | str | None:
        if v is None or isinstance(v, float | str):
            return v
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, int):
            return float(v)
        if isinstance(v, list | tuple):
            return ", ".join(str(x) for x in v)
        return str(v)

    return BaselineFact(
        name=name, description=description, value=norm(value), observed=norm(observed)
    )


def make_finding(
    rule: Rule,
    ctx: DetectContext,
    row: dict[str, Any],
    explanation: str,
    baseline: list[BaselineFact] | tuple[BaselineFact, ...] = (),
    *,
    severity: str | None = None,
    rarity: float | None = None,
    sensitivity: float | str | None = None,
    reach: float | None = None,
    on_behalf_of: Identity | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """One Finding for one result row of a rule query, through ``detectors.rule.build_finding``.

    Either give score components (rarity, sensitivity, reach: the engine scores from them) or an
    explicit ``severity`` the rule decided itself (then the score is that severity's anchor).
    """
    start = _utc(row.get("window_start"), ctx.day_start)
    end = _utc(row.get("window_end"), start)
    flat = {
        k: (v if v is None or isinstance(v, str | float | int | bool) else str(v))
        for k, v in (details or {}).items()
    }
    if severity is not None:
        rarity = sensitivity = reach = None
    finding = build_finding(
        rule,
        ctx,
        identity=identity(row),
        window_start=start,
        window_end=end,
        evidence=[str(e) for e in (row.get("evidence") or []) if e is not None],
        explanation=explanation,
        baseline=baseline,
        on_behalf_of=on_behalf_of,
        rarity=rarity,
        sensitivity=sensitivity,
        reach=reach,
        details=flat,
    )
    if severity is not None and severity != finding.severity:
        finding = finding.model_copy(update={"severity": severity, "score": ANCHORS[severity]})
    return finding


def label(row: dict[str, Any], prefix: str = "") -> str:
    """How an explanation names an identity: its name, else its id."""
    name = row.get(f"{prefix}identity_name")
    ident = row.get(f"{prefix}identity_id") or "an unknown identity"
    return f"{name} ({ident})" if name and name != ident else str(ident)


#: Entra agent types (case-insensitive; agenticAppBuilder is the retired name) to actor kinds
ENTRA_AGENT_TYPES = {
    "agenticappinstance": "agent_identity",
    "agentiduser": "agent_user",
    "agenticapp": "agent_blueprint",
    "agentidentityblueprintprincipal": "agent_blueprint",
    "agenticappbuilder": "agent_blueprint",
}
#: audit target types to actor kinds
TARGET_TYPES = {
    "serviceprincipal": "service_principal",
    "application": "application",
    "user": "human",
    "agentidentity": "agent_identity",
    "agentuser": "agent_user",
    "agentidentityblueprint": "agent_blueprint",
}


def with_registry(
    ctx: DetectContext, row: dict[str, Any], target_type: str | None, agent_type: str | None
) -> dict[str, Any]:
    """The row with identity kind, name, sponsor and kind source filled in for an audit target:
    Entra's agent type first, then the registry, then the audit's own target type."""
    out = dict(row)
    ident = str(row.get("identity_id") or "")
    spec = ctx.config.agent(ident) if ident and hasattr(ctx.config, "agent") else None
    entra = ENTRA_AGENT_TYPES.get((agent_type or "").lower())
    if entra:
        out["identity_kind"], out["kind_source"] = entra, "entra_agent_fields"
    elif spec is not None:
        out["identity_kind"], out["kind_source"] = spec.kind, "registry"
    else:
        kind = TARGET_TYPES.get((target_type or "").lower().replace(" ", ""), "unknown")
        out["identity_kind"] = kind
        out["kind_source"] = "log_category" if kind != "unknown" else "none"
    if spec is not None:
        out["identity_name"] = out.get("identity_name") or spec.name
        out["sponsor"] = spec.sponsor
        out["app_id"] = spec.app_id
        out["blueprint"] = spec.blueprint
    return out


def owner_pairs(ctx: DetectContext) -> list[str]:
    """'<agent key>|<owner or sponsor>' (lower case) per registered agent: who may change it."""
    pairs = []
    for agent in agent_registry(ctx):
        people = [getattr(agent, "owner", None), getattr(agent, "sponsor", None)]
        for key in agent_keys(agent):
            pairs += [f"{key}|{p.lower()}" for p in people if p]
    return pairs
