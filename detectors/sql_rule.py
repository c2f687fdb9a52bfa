"""SQL rules: a rule that is its metadata, its SQL file beside it and its cases.

A ``SqlRule`` runs the ``.sql`` file named like its module (``aa_r01_outside_allowed.sql`` beside
``aa_r01_outside_allowed.py``) over the catalog, with the history views already pointed at the
days before the judged one (``pipeline.baselines.set_history``), and turns each result row into a
``Finding``; the loop is over findings (a handful a day), never over events. A rule gives:

- ``bind(ctx, p)``: the query's parameters from its thresholds ``p`` and the registry (and
  ``rows(ctx, q)`` when the rows need more than the one query);
- ``finding(ctx, row, q)``: the Finding of one row (None drops it), where ``q`` is the thresholds
  overlaid with what ``bind`` returned (so a value computed once is at hand for every row);
- or, when it judges whole groups of rows, its own ``detect`` over ``self.query`` / ``self.frame``.

Rows name their identity with the columns of ``IDENTITY_COLUMNS`` and their window with
``window_start``, ``window_end`` and ``evidence`` (a list of event ids); ``self.make`` builds the
Finding from them. Bound to every query that names them: ``$day`` (the judged day), ``$day_start``
and ``$day_end`` (its UTC bounds) and ``$lookback_days``; values are always bound parameters,
never formatted into the text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import polars as pl

from detectors.finding import BaselineFact, Finding, Identity
from detectors.rule import DetectContext, Rule, build_finding
from detectors.scoring import ANCHORS
from pipeline.sql import bound, sql_file

AGENT_KINDS = ["agent_identity", "agent_user", "agent_blueprint"]
HUMAN_KINDS = ["human", "guest"]

#: result-row columns that describe the identity of a finding, and its Identity field
IDENTITY_COLUMNS = {
    "identity_id": "id",
    "identity_kind": "kind",
    "identity_name": "name",
    "app_id": "app_id",
    "blueprint": "blueprint",
    "sponsor": "sponsor",
    "kind_source": "kind_source",
}
KIND_SOURCES = ("entra_agent_fields", "registry", "sp_tags", "log_category", "none")


class SqlRule(Rule):
    """Base class of the rules whose judgement is a SQL file (see the module docstring)."""

    #: the SQL file beside the rule's module; empty: the one named like the module
    sql: ClassVar[str] = ""

    # --- what a rule gives -------------------------------------------------------------------

    def bind(self, ctx: DetectContext, p: dict[str, Any]) -> dict[str, Any]:
        """The query's parameters (those it does not name are left out)."""
        return {}

    def finding(self, ctx: DetectContext, row: dict[str, Any], q: dict[str, Any]) -> Finding | None:
        raise NotImplementedError(f"{self.id}: give finding() or detect()")

    def rows(self, ctx: DetectContext, q: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows to judge: the rule's query with ``q`` bound (a rule may add to them)."""
        return self.query(ctx, **q)

    # --- what the base does ------------------------------------------------------------------

    def detect(self, ctx: DetectContext) -> list[Finding]:
        p = self.params(ctx)
        q = {**p, **self.bind(ctx, p)}
        return [f for row in self.rows(ctx, q) if (f := self.finding(ctx, row, q)) is not None]

    def text(self, name: str | None = None) -> str:
        """The rule's SQL (or the file ``name`` beside it)."""
        module = sys.modules[type(self).__module__]
        return sql_file(module.__file__ or "", name or self.sql or None)

    def _bind(self, ctx: DetectContext, text: str, params: dict[str, Any]) -> dict[str, Any]:
        start = ctx.day_start
        values = {
            "day": ctx.day,
            "day_start": start,
            "day_end": start + timedelta(days=1),
            "lookback_days": ctx.lookback_days,
            **params,
        }
        return bound(text, values)

    def query(self, ctx: DetectContext, sql: str | None = None, **params: Any) -> list[dict]:
        """Rows of the rule's SQL (or of the file ``sql`` beside it) as dicts."""
        text = self.text(sql)
        return ctx.engine.rows(text, self._bind(ctx, text, params))

    def frame(self, ctx: DetectContext, sql: str | None = None, **params: Any) -> pl.DataFrame:
        """The same as ``query``, as a polars frame (for rules that work over whole columns)."""
        text = self.text(sql)
        return pl.from_arrow(ctx.engine.arrow(text, self._bind(ctx, text, params)))

    def make(
        self,
        ctx: DetectContext,
        row: dict[str, Any],
        explanation: str,
        baseline: Iterable[BaselineFact] = (),
        *,
        severity: str | None = None,
        base_severity: str | None = None,
        rarity: float | None = None,
        sensitivity: float | str | None = None,
        reach: float | None = None,
        on_behalf_of: Identity | None = None,
        details: dict[str, Any] | None = None,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
        evidence: Iterable[Any] | None = None,
    ) -> Finding:
        """The Finding of ``row``: its identity columns, window and evidence (unless given).

        Either score components (``rarity``, ``sensitivity``, ``reach``: see detectors.scoring,
        optionally from a ``base_severity`` other than the rule's), or a ``severity`` the rule
        decided itself (the score is then that severity's anchor).
        """
        start = _utc(window_start if window_start is not None else row.get("window_start"), None)
        start = start or ctx.day_start
        end = _utc(window_end if window_end is not None else row.get("window_end"), None) or start
        ids = row.get("evidence") if evidence is None else evidence
        flat = {
            k: (v if v is None or isinstance(v, str | float | int | bool) else str(v))
            for k, v in (details or {}).items()
        }
        if severity is not None:
            rarity = sensitivity = reach = None
        finding = build_finding(
            self,
            ctx,
            identity=identity(row),
            window_start=start,
            window_end=end,
            evidence=[str(e) for e in (ids or []) if e is not None],
            explanation=explanation,
            baseline=baseline,
            on_behalf_of=on_behalf_of,
            rarity=rarity,
            sensitivity=sensitivity,
            reach=reach,
            details=flat,
            base_severity=base_severity,
        )
        if severity is not None and severity != finding.severity:
            finding = finding.model_copy(update={"severity": severity, "score": ANCHORS[severity]})
        return finding


def _utc(value: Any, fallback: datetime | None) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return fallback


# --- the identity of a row ---------------------------------------------------------------------


def identity(row: dict[str, Any], prefix: str = "") -> Identity:
    """The Identity described by the identity columns of a result row (optionally prefixed,
    e.g. ``target_identity_id``); empty values count as absent."""
    fields = {
        dst: row.get(prefix + src) for src, dst in IDENTITY_COLUMNS.items() if row.get(prefix + src)
    }
    fields["id"] = str(fields.get("id") or "unknown")
    if fields.get("kind_source") not in KIND_SOURCES:
        fields.pop("kind_source", None)
    return Identity(**fields)


def on_behalf_of(row: dict[str, Any]) -> Identity | None:
    """The person whose delegated token a row's identity used (``on_behalf_of_id``), if any."""
    obo = row.get("on_behalf_of_id")
    return Identity(id=str(obo), kind="human") if obo else None


def label(row: dict[str, Any], prefix: str = "") -> str:
    """How an explanation names an identity in full: 'name (id)', else its id."""
    name = row.get(f"{prefix}identity_name")
    ident = row.get(f"{prefix}identity_id") or "an unknown identity"
    return f"{name} ({ident})" if name and name != ident else str(ident)


def who(row: dict[str, Any]) -> str:
    """A short readable name for the identity of a row: its name, else its id."""
    name = row.get("identity_name") or row.get("identity_id") or "unknown identity"
    return str(name)


# --- explanations ------------------------------------------------------------------------------


def plural(n: float | None, word: str) -> str:
    """'1 request', '3 requests', '2.5 requests', '2 addresses', '4 identities'."""
    n = n or 0
    text = f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"
    if n == 1:
        return f"{text} {word}"
    if word.endswith(("s", "x", "ch", "sh")):
        return f"{text} {word}es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return f"{text} {word[:-1]}ies"
    return f"{text} {word}s"


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


# --- the agent registry ------------------------------------------------------------------------


def agent_registry(ctx: DetectContext) -> list[Any]:
    """The [[agents]] of agentaudit.toml (empty when there is no config)."""
    return list(getattr(ctx.config, "agents", None) or [])


def agent_keys(agent: Any) -> list[str]:
    """Every id an agent entry may be known by in the logs (object id, app id), lower case."""
    keys = [getattr(agent, "id", None), getattr(agent, "app_id", None)]
    return [str(k).lower() for k in keys if k]


def registry_keys(config: Any, where: Any = None) -> dict[str, Any]:
    """Registered agents by lower-case object id and app id (only those ``where(agent)`` keeps)."""
    out: dict[str, Any] = {}
    for agent in getattr(config, "agents", None) or []:
        if where is not None and not where(agent):
            continue
        for key in (agent.id, agent.app_id):
            if key:
                out[key.lower()] = agent
    return out


def agent_of(keys: dict[str, Any], row: dict[str, Any]) -> Any:
    """The registry entry a result row's identity (object id, else app id) belongs to."""
    return keys.get(str(row.get("identity_id") or "").lower()) or keys.get(
        str(row.get("app_id") or "").lower()
    )


def owner_pairs(ctx: DetectContext) -> list[str]:
    """'<agent key>|<owner or sponsor>' (lower case) per registered agent: who may change it."""
    pairs = []
    for agent in agent_registry(ctx):
        people = [getattr(agent, "owner", None), getattr(agent, "sponsor", None)]
        for key in agent_keys(agent):
            pairs += [f"{key}|{p.lower()}" for p in people if p]
    return pairs


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


def standing(row: dict[str, Any], min_days: int) -> str:
    """How a registry violation stands against history: 'recurring' (the identity touched the same
    resource on earlier days), 'new' (it did not, and there is a baseline to say so: the identity
    is established, or the tenant is and the identity is genuinely new) or 'unbaselined' (neither
    the identity nor the tenant has ``min_days`` of history: nothing to compare with yet)."""
    if row.get("seen_days", 0) > 0:
        return "recurring"
    if row.get("history_days", 0) >= min_days or row.get("tenant_days", 0) >= min_days:
        return "new"
    return "unbaselined"


STANDING_WORDS = {
    "recurring": "it did the same on earlier days (a standing exception: fix the agent or its "
    "registry entry)",
    "unbaselined": "there is no baseline yet to tell whether this is new",
}
