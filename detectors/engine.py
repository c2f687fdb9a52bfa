"""The detection engine: every enabled rule, day by day, each day judged on the history before it.

``detect(workspace, days)`` finds every ``Rule`` subclass under ``detectors/rules/``, refreshes
the baselines, and for each judged day points the catalog's history views at the days strictly
before it (``pipeline.baselines.set_history``, over ``[detectors.baseline] lookback_days``), so
ingesting 30 days at once and detecting gives the same findings as 30 nightly runs. On identities
still learning their baseline, behavioural rules keep only their strong findings, at low severity
and saying the baseline is thin; early-life rules fire as usual. Findings are scored
(detectors.scoring), deduplicated by id, named their accountable human (detectors.accountable),
marked by suppressions (detectors.suppress) and written with ``detectors.store.write_day`` (a
day's file is replaced, so re-running never duplicates).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from detectors import accountable, standing, store
from detectors.finding import Finding, severity_counts
from detectors.rule import DetectContext, Rule
from detectors.scoring import ANCHORS, rescore, risk_boost
from detectors.settings import check_detector_settings
from detectors.suppress import apply_suppressions
from pipeline.config import Config, load_config
from pipeline.errors import AgentAuditError
from pipeline.sql import bound, sql_file
from pipeline.workspace import Workspace


@dataclass
class DetectSummary:
    """What one detect run did: the library returns it, the CLI prints it."""

    run_id: str
    days: list[str] = field(default_factory=list)
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_family: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
    expired_suppressions: list[str] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rule_seconds: dict[str, float] = field(default_factory=dict)  # summed over the days
    #: rollup / catalog / day_events / suppress+write: where the rest of the time went
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def _add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + now - since
        return now

    def headline(self) -> str:
        days = (
            f"{len(self.days)} day(s) {self.days[0]}..{self.days[-1]}" if self.days else "no days"
        )
        sev = severity_counts(self.by_severity)
        return (
            f"detect: {self.findings} finding(s) ({sev}) over {days}, "
            f"{self.suppressed} suppressed, {len(self.rules_run)} rules, {self.seconds:.1f} s"
        )

    def lines(self) -> list[str]:
        out = [
            f"  {rule:<8} {self.by_rule.get(rule, 0):6d} finding(s) {secs:7.2f} s"
            for rule, secs in sorted(self.rule_seconds.items())
        ]
        out += [f"  expired suppression: {e}" for e in self.expired_suppressions]
        out += [f"  error: {e}" for e in self.errors]
        return out


def discover_rules() -> list[type[Rule]]:
    """Every concrete Rule subclass defined in a module of ``detectors/rules/``, by id."""
    import detectors.rules as package

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, Rule)
                and obj is not Rule
                and obj.__module__ == module.__name__
                and getattr(obj, "id", None)
            ):
                if obj.id in found and found[obj.id] is not obj:
                    raise AgentAuditError(
                        f"{module.__file__}: rule id {obj.id} is defined twice "
                        f"(also in {found[obj.id].__module__}); give each rule its own id"
                    )
                found[obj.id] = obj
    return [found[k] for k in sorted(found)]


def rule_cases(rule: type[Rule]) -> list:
    """The rule's cases: its ``cases`` attribute, else its module's ``CASES``."""
    if rule.cases:
        return list(rule.cases)
    module = importlib.import_module(rule.__module__)
    return list(getattr(module, "CASES", ()))


def detect(
    workspace: Workspace | str | Path,
    days: list[date] | None = None,
    run_id: str | None = None,
    *,
    rules: list[type[Rule]] | None = None,
    config: Config | None = None,
    keep_other_rules: bool = False,
    on_step: Callable[[int, int, str], None] | None = None,
    engine: Any = None,
) -> DetectSummary:
    """Run every enabled rule over ``days`` (default: days with data and no findings yet, plus the
    latest day) and write their findings; returns what was found. ``config``: the workspace's
    ``Config`` when the caller has it (read from agentaudit.toml otherwise).
    ``keep_other_rules``: a day's file keeps the findings of rules not run now (a one-off run of
    some rules). ``on_step(done, total, what)`` is called after each rule run on a day (for
    progress bars). ``engine``: what runs the rules' SQL (pipeline.engines; default DuckDB over
    the catalog); a Spark engine gets its history views set for each judged day too."""
    from pipeline import baselines, catalog

    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    started = time.perf_counter()
    run = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    summary = DetectSummary(run_id=run)
    config = config if config is not None else load_config(ws)
    from pipeline.sigma.detector import sigma_detectors  # [sigma] rules of agentaudit.toml

    every_rule = discover_rules() + sigma_detectors(ws, config)
    check_detector_settings(config, every_rule, ws.config_file)  # a typo is an error, not ignored
    rule_classes = rules if rules is not None else every_rule
    enabled = [r for r in rule_classes if config.detector_enabled(r.id)]
    summary.rules_run = [r.id for r in enabled]
    standing_ids = {r.id for r in enabled if r.standing}

    t = time.perf_counter()
    baselines.update(ws, config=config)
    t = summary._add("rollup", t)
    con = catalog.connect(ws, read_only=False, config=config)
    summary._add("catalog", t)
    try:
        available = baselines.days_with_events(ws)
        judged = sorted(set(days)) if days is not None else _default_days(ws, available)
        tenant = _tenant(con)
        steps = iter(range(1, len(judged) * len(enabled) + 1))

        def step(rule_id: str, day: date) -> None:
            if on_step:
                on_step(next(steps), len(judged) * len(enabled), f"{rule_id} on {day}")

        held: dict[str, Finding] = {}  # the findings the lake holds after this run, by id
        for day in judged:
            found = _judge_day(con, config, enabled, day, run, tenant, summary, step, engine)
            t = time.perf_counter()
            found, moved = standing.carry(ws, day, found, standing_ids)
            found = accountable.assign(con, found)  # every rule's findings, in one place
            found, outcome = apply_suppressions(found, config.suppressions, day)
            summary.suppressed += outcome.suppressed
            for label in outcome.expired:
                if label not in summary.expired_suppressions:
                    summary.expired_suppressions.append(label)
            ran = set(summary.rules_run)  # a one-off run keeps the other rules' findings
            kept = (
                store.with_other_rules(ws, day.isoformat(), found, ran)
                if keep_other_rules
                else found
            )
            store.write_day(ws, day.isoformat(), kept, config.workspace.file_mode_int)
            standing.remove_moved(ws, moved, config.workspace.file_mode_int)
            summary._add("write", t)
            summary.days.append(day.isoformat())
            for ids in moved.values():  # a standing finding moved on: counted once, where it is
                for fid in ids:
                    held.pop(fid, None)
            held.update((f.finding_id, f) for f in found)
    finally:
        con.close()
    summary.findings = len(held)
    for f in held.values():
        summary.by_severity[f.severity] = summary.by_severity.get(f.severity, 0) + 1
        summary.by_family[f.family] = summary.by_family.get(f.family, 0) + 1
        summary.by_rule[f.rule_id] = summary.by_rule.get(f.rule_id, 0) + 1
    summary.seconds = time.perf_counter() - started
    return summary


def _judge_day(con, config, rules, day, run, tenant, summary, step, engine=None) -> list[Finding]:
    from pipeline import baselines

    t = time.perf_counter()
    lookback = config.baseline_settings()["lookback_days"]
    baselines.set_history(con, day, lookback)  # the day's history and events, for every rule
    if engine is not None:
        engine.set_history(day, lookback)
    summary._add("history+day_events", t)
    learning = _learning_identities(con)
    out: list[Finding] = []
    for rule_cls in rules:
        ctx = DetectContext(
            con=con,
            day=day,
            config=config,
            run_id=run,
            params=config.detector_params(rule_cls.id),
            tenant_id=tenant,
            lookback_days=lookback,
            engine=engine,
        )
        started = time.perf_counter()
        try:
            found = _detect_on(rule_cls, ctx, con, summary)
        except AgentAuditError:
            raise
        except Exception as exc:  # one broken rule must not silence the others
            summary.errors.append(f"{rule_cls.id} on {day}: {type(exc).__name__}: {exc}")
            continue
        finally:
            took = time.perf_counter() - started
            summary.rule_seconds[rule_cls.id] = summary.rule_seconds.get(rule_cls.id, 0.0) + took
            step(rule_cls.id, day)
        found = [_rescored(f, rule_cls) for f in found]
        if rule_cls.behavioural and learning:
            found = [g for f in found if (g := _while_learning(f, learning)) is not None]
        out.extend(found)
    return _risk_boosted(con, day, dedupe(out))


def _detect_on(rule_cls: type[Rule], ctx: DetectContext, con, summary: DetectSummary) -> list:
    """The rule's findings on the context's engine; a rule whose SQL another engine (Spark)
    cannot run yet is judged by DuckDB instead, and the summary says so."""
    try:
        return rule_cls().detect(ctx)
    except AgentAuditError:
        raise
    except Exception as exc:
        if ctx.engine is None or getattr(ctx.engine, "name", "duckdb") == "duckdb":
            raise
        from pipeline.engines import DuckEngine

        summary.errors.append(
            f"{rule_cls.id} on {ctx.day}: judged by DuckDB, {ctx.engine.name} could not run it "
            f"({type(exc).__name__})"
        )
        ctx.engine = DuckEngine(con)
        return rule_cls().detect(ctx)


def _risk_boosted(con, day: date, findings: list[Finding]) -> list[Finding]:
    """Every rule's findings raised where Identity Protection flagged their identity that day
    (detectors/scoring.py ``risk_boost``, once here, not per rule)."""
    if not findings:
        return findings
    text = sql_file(__file__, "risk_signals")
    cur = con.execute(text, bound(text, {"day": day}))
    names = [d[0] for d in cur.description]
    signals = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    if not signals:
        return findings
    return [risk_boost(f, signals) for f in findings]


def _rescored(finding: Finding, rule_cls: type[Rule]) -> Finding:
    base = str(finding.details.get("base_severity") or rule_cls.severity)
    score, severity = rescore(base, finding.details)
    if not any(k.startswith("score_") for k in finding.details):
        return finding  # the rule scored it itself
    if score == finding.score and severity == finding.severity:
        return finding
    return finding.model_copy(update={"score": score, "severity": severity})


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per id (rule, identity, window): the highest score wins, evidence merged."""
    best: dict[str, Finding] = {}
    for f in findings:
        old = best.get(f.finding_id)
        if old is None:
            best[f.finding_id] = f
            continue
        keep, other = (f, old) if f.score > old.score else (old, f)
        merged = tuple(dict.fromkeys(keep.evidence_event_ids + other.evidence_event_ids))
        best[f.finding_id] = keep.model_copy(update={"evidence_event_ids": merged[:500]})
    return sorted(best.values(), key=lambda f: (-f.score, f.rule_id, f.identity.id))


def _default_days(ws: Workspace, available: list[date]) -> list[date]:
    if not available:
        return []
    done = {
        p.parent.name.removeprefix("date=")
        for p in ws.table_dir(store.TABLE).glob("date=*/*.parquet")
    }
    todo = {d for d in available if d.isoformat() not in done}
    todo.add(available[-1])
    return sorted(todo)


def _learning_identities(con) -> dict[str, tuple[int, int]]:
    """Identities whose baseline is still thin: id -> (active days, events) before the day."""
    try:
        rows = con.execute(
            "SELECT identity_id, days_active, events FROM learning_state "
            "WHERE learning IS DISTINCT FROM false"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no learning_state view: nobody is held back
        return {}
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}


#: a behavioural finding on a learning identity is kept when it is at least this strong
LEARNING_KEEPS = ("medium", "high", "critical")


def _while_learning(finding: Finding, learning: dict[str, tuple[int, int]]) -> Finding | None:
    """A behavioural finding on an identity still learning its baseline: a weak one is dropped
    (everything is new to a new identity), a strong one is kept at low severity and says that
    its baseline is thin, instead of the rule staying silent."""
    held = learning.get(finding.identity.id)
    if held is None:
        return finding
    if finding.severity not in LEARNING_KEEPS:
        return None
    days, events = held
    note = (
        f" Baseline still learning ({days} active day{'s' if days != 1 else ''}, "
        f"{events:,} events before this day): judged against thin history."
    )
    return finding.model_copy(
        update={
            "severity": "low",
            "score": min(finding.score, ANCHORS["low"]),
            "explanation": finding.explanation + note,
            "details": {
                **finding.details,
                "learning": True,
                "learning_days": days,
                "severity_if_established": finding.severity,
            },
        }
    )


def _tenant(con) -> str | None:
    for table in ("signins", "activity", "audits"):
        try:
            row = con.execute(
                f"SELECT tenant_id FROM {table} WHERE tenant_id IS NOT NULL LIMIT 1"  # noqa: S608
            ).fetchone()
        except Exception:  # noqa: BLE001 - the view may not exist in an empty lake
            continue
        if row:
            return row[0]
    return None


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
