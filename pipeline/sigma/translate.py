"""One Sigma rule → the DuckDB query that runs it on the lake, or why it cannot run.

pySigma's sqlite backend converts the rule through the agentaudit processing pipeline
(``pipeline.sigma.fields``: both spellings of every field onto the Sigma views' columns), with
``collate_nocase`` on so string equality ignores case; ``pipeline.sigma.render`` then writes the
condition for DuckDB with every value bound. A ``Translation`` is ``ok`` (it runs), ``unsupported``
(a logsource we have no table for, a correlation, a construct we cannot translate) or ``unbound``
(a field no column holds: the rule could never fire). Each also says whether its SQL transpiles
to Spark (sqlglot), for the day a Spark engine exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlglot
from sigma.backends.sqlite import sqliteBackend
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from pipeline.sigma.fields import processing_pipeline
from pipeline.sigma.render import Unsupported, render
from pipeline.sigma.rules import LoadedRule
from pipeline.sigma.views import PRODUCT, TABLES

Status = Literal["ok", "unsupported", "unbound"]

#: Sigma level → finding severity
SEVERITY = {
    "informational": "info",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "critical": "critical",
}
#: the finding family of a rule, by the table it reads
FAMILY = {"auditlogs": "credential_or_privilege_change", "signinlogs": "signin_anomaly"}
RULE_PREFIX = "SIGMA-"


@dataclass
class Translation:
    path: Path
    title: str
    rule_id: str  # SIGMA-<first 8 of the Sigma id>
    sigma_id: str | None
    status: Status
    reason: str = ""  # why unsupported; the unbound fields
    service: str | None = None
    level: str | None = None
    description: str = ""
    falsepositives: tuple[str, ...] = ()
    attacks: tuple[str, ...] = ()  # MITRE ids from the ATT&CK tags
    sqlite_sql: tuple[str, ...] = ()  # what the backend wrote
    where: str = ""  # the DuckDB condition over the view
    params: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    spark: str = ""  # "transpiles" or why not

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def view(self) -> str | None:
        return TABLES[self.service].view if self.service in TABLES else None

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.level or "", "medium")

    @property
    def family(self) -> str:
        return FAMILY.get(self.service or "", "credential_or_privilege_change")

    @property
    def sql(self) -> str:
        """The whole DuckDB query (the condition over the view), for --show-sql."""
        return f"SELECT * FROM {self.view} WHERE {self.where}" if self.where else ""

    def verdict(self) -> str:
        """ok / unsupported: why / binds to no real column: field."""
        if self.status == "ok":
            return "ok"
        if self.status == "unbound":
            return f"binds to no real column: {self.reason}"
        return f"unsupported: {self.reason}"


def rule_id_of(sigma_id: str | None, title: str) -> str:
    """``SIGMA-`` and the first 8 characters of the Sigma id (of a hash of the title without)."""
    key = (sigma_id or hashlib.sha256(title.encode()).hexdigest()).replace("-", "")
    return RULE_PREFIX + key[:8].lower()


#: tactic names ATT&CK gave a tactic later (v18: Defense Evasion became Stealth)
TACTIC_ALIASES = {"stealth": "TA0005"}


def _tactic_ids() -> dict[str, str]:
    from pipeline.siem.sentinel import TACTICS

    return {**{name.lower(): uid for uid, name in TACTICS.items()}, **TACTIC_ALIASES}


def attacks_of(tags: list[Any]) -> tuple[str, ...]:
    """ATT&CK tags (``attack.t1078.004``, ``attack.persistence``) → MITRE ids."""
    tactics = _tactic_ids()
    out: dict[str, None] = {}
    for tag in tags or ():
        if str(getattr(tag, "namespace", "")).lower() != "attack":
            continue
        name = str(tag.name).lower()
        bare = name.replace("_", "").replace("-", "")
        if name.startswith("t") and name[1:5].isdigit():
            out[name.upper()] = None
        elif bare in tactics:
            out[tactics[bare]] = None
        elif name.startswith("ta") and name[2:].isdigit():
            out[name.upper()] = None
    return tuple(sorted(out, key=lambda uid: uid.startswith("TA")))  # techniques first


def spark_verdict(translation: Translation) -> str:
    """Whether the DuckDB query transpiles to Spark SQL (sqlglot duckdb → spark)."""
    try:
        out = sqlglot.transpile(
            translation.sql,
            read="duckdb",
            write="spark",
            unsupported_level=sqlglot.ErrorLevel.RAISE,
        )[0]
    except sqlglot.errors.SqlglotError as exc:
        return f"does not transpile ({str(exc).splitlines()[0]})"
    if " GLOB " in out.upper():
        return "does not transpile (|cased needs GLOB, which Spark lacks)"
    return "transpiles"


def translate(path: Path, rule: Any) -> Translation:
    """The translation of one parsed rule of ``path``."""
    title = str(getattr(rule, "title", "") or path.stem)
    sigma_id = str(rule.id) if getattr(rule, "id", None) else None
    base = Translation(
        path=path,
        title=title,
        rule_id=rule_id_of(sigma_id, title),
        sigma_id=sigma_id,
        status="unsupported",
    )
    if isinstance(rule, SigmaCorrelationRule):
        base.reason = "a correlation rule (it counts events across rules; only single events run)"
        return base
    if not isinstance(rule, SigmaRule):
        base.reason = f"a Sigma {type(rule).__name__.removeprefix('Sigma').lower()}, not a rule"
        return base
    base.level = rule.level.name.lower() if rule.level else None
    base.description = str(rule.description or "")
    base.falsepositives = tuple(str(f) for f in rule.falsepositives or ())
    base.attacks = attacks_of(rule.tags)
    if rule.errors:
        base.reason = f"not a valid Sigma rule: {rule.errors[0]}"
        return base
    product, service = rule.logsource.product, rule.logsource.service
    base.service = service if product == PRODUCT and service in TABLES else None
    if base.service is None:
        source = "/".join(
            str(v) for v in (product, rule.logsource.category, service) if v is not None
        )
        base.reason = (
            f"logsource {source or 'empty'} has no table in the lake (agentaudit reads "
            + ", ".join(f"{PRODUCT}/{s}" for s in TABLES)
            + ")"
        )
        return base
    try:
        backend = sqliteBackend(processing_pipeline=processing_pipeline(), collate_nocase=True)
        base.sqlite_sql = tuple(backend.convert_rule(rule))
        rendered = render(list(base.sqlite_sql), base.service)
    except SigmaError as exc:
        text = str(exc).splitlines()[0]
        if "fulltext_field" in text:  # the backend's word for a value without a field
            text = "keyword search (a value without a field): the lake has no full-text column"
        base.reason = text
        return base
    except Unsupported as exc:
        base.reason = str(exc)
        return base
    base.where, base.params, base.columns = rendered.where, rendered.params, rendered.columns
    if rendered.unbound:
        base.status, base.reason = "unbound", ", ".join(rendered.unbound)
    else:
        base.status = "ok"
    base.spark = spark_verdict(base)
    return base


def translate_all(loaded: Iterable[LoadedRule]) -> list[Translation]:
    """Every loaded rule translated; a rule whose id another rule already has is unsupported
    (two detectors with one id would overwrite each other's findings)."""
    out: list[Translation] = []
    seen: dict[str, Translation] = {}
    for item in loaded:
        t = translate(item.path, item.rule)
        first = seen.get(t.rule_id)
        if first is not None:
            t.status, t.where, t.params = "unsupported", "", {}
            t.reason = f"its id {t.rule_id} is already the id of {first.path} ({first.title})"
        else:
            seen[t.rule_id] = t
        out.append(t)
    return out
