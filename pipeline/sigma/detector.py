"""Sigma rules as detectors: each translated rule becomes a ``Rule`` the engine runs nightly.

``sigma_detectors(workspace, config)`` reads the rule files ``[sigma] rules`` names (at run time,
from the user's checkout), translates them and returns one ``Rule`` class per rule that runs on
the lake: rule id ``SIGMA-<first 8 of the Sigma id>``, the Sigma title, level → severity, ATT&CK
tags → techniques, false positives → runbook. The engine calls it where it assembles its rules,
so Sigma findings get the accountable human, suppressions, the report, OCSF and Sentinel like
any other. Rules that cannot run are left out (``agentaudit sigma check`` says why).

On a judged day the rules of one table share one pass over the day's events
(``sigma_day_<table>.sql``: the columns any of them reads, and the acting identity); each rule
then filters that (``sigma_match.sql``) and raises one finding per identity with the matched
events as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from detectors.finding import Finding
from detectors.rule import DetectContext, Rule
from detectors.sql_rule import SqlRule, label, on_behalf_of, plural
from pipeline.sigma.views import TABLES, sql_text

if TYPE_CHECKING:  # pySigma and sqlglot load only when a workspace names Sigma rules
    from pipeline.sigma.translate import Translation

#: how many distinct activities an explanation names
SHOWN = 3


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class DayTables:
    """The per-day tables the Sigma rules of one load share: each made once per day and run."""

    columns: dict[str, set[str]] = field(default_factory=dict)  # service -> view columns read
    made: dict[str, tuple] = field(default_factory=dict)  # service -> (run, connection, day)

    @staticmethod
    def name(service: str) -> str:
        return f"sigma_day_{service}"

    def table(self, ctx: DetectContext, service: str) -> str:
        from pipeline.sigma.fields import MAP_COLUMNS

        name = self.name(service)
        key = (ctx.run_id, id(ctx.con), ctx.day)
        if self.made.get(service) != key:
            wanted: list[str] = []
            for col in sorted(self.columns.get(service, ())):
                wanted.append(f"v.{_quote(col)}")
                if col in MAP_COLUMNS[service]:
                    wanted.append(f"v.{_quote(MAP_COLUMNS[service][col])}")
            cols = ", ".join(wanted) or "NULL AS aa_nothing"
            ctx.con.execute(
                sql_text(f"sigma_day_{service}").replace("{columns}", cols), {"day": ctx.day}
            )
            self.made[service] = key
        return name


class SigmaRule(SqlRule):
    """A Sigma rule translated for the lake; subclasses are made per rule by ``detector_for``.
    Its SQL is ``sigma_match.sql`` over the day table with the rule's condition in it."""

    translation: ClassVar[Translation]
    day_tables: ClassVar[DayTables]

    def text(self, name: str | None = None) -> str:
        t = self.translation
        table = DayTables.name(t.service or "")
        return sql_text("sigma_match").replace("{day_table}", table).replace("{where}", t.where)

    def bind(self, ctx: DetectContext, p: dict[str, Any]) -> dict[str, Any]:
        self.day_tables.table(ctx, self.translation.service or "")  # made once a day per table
        return dict(self.translation.params)

    def finding(self, ctx: DetectContext, row: dict[str, Any], q: dict[str, Any]) -> Finding:
        t = self.translation
        what = list(row.get("what") or [])
        shown = "; ".join(what[:SHOWN]) + (
            f" and {len(what) - SHOWN} more" if len(what) > SHOWN else ""
        )
        explanation = (
            f'Sigma rule "{t.title}" matched {plural(row["matched"], TABLES[t.service or ""].noun)}'
            f" by {label(row)}" + (f": {shown}." if shown else ".")
        )
        return self.make(
            ctx,
            row,
            explanation,
            severity=t.severity,
            on_behalf_of=on_behalf_of(row),
            details={
                "sigma_id": t.sigma_id or "",
                "sigma_file": str(t.path),
                "sigma_level": t.level or "",
                "table": TABLES[t.service or ""].view,
                "matched": int(row["matched"]),
                "runbook": self.runbook,
            },
        )


def runbook(t: Translation) -> str:
    """The runbook line of a Sigma rule: its description and its known false positives."""
    parts = [f"Sigma rule {t.sigma_id or t.title} ({t.path.name})."]
    if t.description:
        parts.append(t.description.strip().rstrip(".") + ".")
    fps = [
        f.strip().rstrip(".")
        for f in t.falsepositives
        if f.strip() and f.strip().lower() not in ("unknown", "none")
    ]
    if fps:
        parts.append("Known false positives: " + "; ".join(fps) + ".")
    parts.append(
        "Check the matched events against them; where one explains a finding, suppress it "
        f'(rule = "{t.rule_id}") with a reason and an expiry.'
    )
    return " ".join(parts)


def detector_for(t: Translation, day_tables: DayTables) -> type[SigmaRule]:
    """The Rule class of one translated rule (its columns join the shared day table)."""
    day_tables.columns.setdefault(t.service or "", set()).update(t.columns)
    attrs: dict[str, Any] = {
        "id": t.rule_id,
        "family": t.family,
        "severity": t.severity,
        "title": t.title,
        "attacks": t.attacks,
        "runbook": runbook(t),
        "translation": t,
        "day_tables": day_tables,
        "__module__": __name__,
        "__doc__": f"Sigma rule {t.sigma_id}: {t.title} ({t.path})",
    }
    return type(f"Sigma_{t.rule_id.replace('-', '_')}", (SigmaRule,), attrs)


def detectors_for(translations: list[Translation]) -> list[type[SigmaRule]]:
    """One detector per translation that runs; those that cannot run are left out."""
    shared = DayTables()
    return [detector_for(t, shared) for t in translations if t.ok]


def sigma_detectors(workspace: Any, config: Any) -> list[type[Rule]]:
    """The detectors of the Sigma rules ``[sigma] rules`` names in agentaudit.toml (none when
    it names none); a file that is no YAML stops the run with its file and line."""
    paths = config.sigma_paths(workspace)
    if not paths:
        return []
    from pipeline.sigma.rules import SigmaFileError, load
    from pipeline.sigma.translate import translate_all

    try:
        return list(detectors_for(translate_all(load(paths))))
    except SigmaFileError as exc:
        raise SigmaFileError(f"[sigma] rules in {workspace.config_file}: {exc}") from exc
