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

    con: duckdb.DuckDBPyConnection  # catalog views; history views already set to before ``day``
    day: date  # the UTC day being judged
    config: Any  # pipeline.config.Config
    run_id: str
    params: dict[str, Any] = field(default_factory=dict)  # the rule's [detectors.<id>] settings
    tenant_id: str | None = None

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
    #: behavioural rules hold back for identities still learning their baseline
    behavioural: ClassVar[bool] = False
    #: default parameters, overridden by [detectors.<id>] in agentaudit.toml
    defaults: ClassVar[dict[str, Any]] = {}

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
