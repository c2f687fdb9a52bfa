"""``gather(workspace, day)``: read everything the report shows into one ``ReportData``.

Findings come from the lake (``detectors.store``); agents, inventory and activity from the DuckDB
catalog (``pipeline.catalog.connect``); table sizes from Parquet footers; quarantine reasons,
ingest manifests and the last run manifest from their files. A part that is missing (no catalog
yet, a view not built, no manifest) leaves its section empty with a note; it never fails the
report.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from detectors.finding import Finding, severity_rank
from detectors.store import read_findings
from pipeline.errors import UsageError
from pipeline.lake import DAY, valid_day
from pipeline.report.model import (
    AgentBadge,
    AgentSection,
    DayActivity,
    IdentityRow,
    IngestHealth,
    ReasonCount,
    ReportData,
    ResourceUse,
    RunInfo,
    StageTime,
    TableHealth,
)
from pipeline.schema import AGENT_KINDS
from pipeline.sql import sql_file
from pipeline.workspace import Workspace

WINDOW_DAYS = 30
CA_DAYS = 7  # Conditional Access coverage: the agent sign-ins of the last week
TOUCHED_PER_AGENT = 15
#: agents given a section of their own (the most severe findings first); the inventory counts all
AGENT_SECTIONS = 60
EVENT_TABLES = ("signins", "audits", "activity", "risk_events")
LAKE_TABLES = (*EVENT_TABLES, "findings")
HYGIENE_RULES = ("AA-G04", "AA-G05")
CREDENTIAL_RULES = ("AA-G01",)
PERMISSION_RULES = ("AA-G02", "AA-G03")
DORMANT_RULE = "AA-G04"
APPS = ("service_principal", "managed_identity")


def sql(name: str) -> str:
    return sql_file(__file__, f"sql/{name}")


def finding_days(workspace: Workspace) -> list[str]:
    return _partition_days(workspace, ("findings",))


def data_days(workspace: Workspace) -> list[str]:
    """Every day the lake holds events or findings for."""
    return _partition_days(workspace, (*EVENT_TABLES, "findings"))


def _partition_days(workspace: Workspace, tables: tuple[str, ...]) -> list[str]:
    return sorted(
        {
            p.name[5:]
            for t in tables
            for p in workspace.table_dir(t).glob("date=*")
            if DAY.match(p.name[5:])
        }
    )


def _no_data(workspace: Workspace, what: str) -> UsageError:
    days = data_days(workspace)
    held = (
        f"the lake holds data from {days[0]} to {days[-1]}"
        if days
        else "the lake holds no data yet: run agentaudit run (or ingest, then detect) first"
    )
    return UsageError(f"no data for {what}: {held}")


def last_run_days(workspace: Workspace) -> list[str]:
    """The days judged by the latest run that judged any (the window of its nightly report)."""
    for path in sorted((workspace.lake / "_runs").glob("*.json"), reverse=True):
        try:
            days = json.loads(path.read_text()).get("days_judged")
        except (OSError, ValueError, AttributeError):
            continue  # an unreadable manifest says nothing about a window
        if isinstance(days, list) and days:
            return sorted(str(d) for d in days if DAY.match(str(d)))
    return []


def choose_days(
    workspace: Workspace,
    day: str | date | None = None,
    *,
    since: str | date | None = None,
    days: list[str] | None = None,
) -> list[str]:
    """The days a report covers, oldest first.

    ``days``: given by the nightly run (the days it judged: every day since the previous report).
    ``since`` (and ``day`` as its end, default the latest day with data): every day in between.
    ``day`` alone: that day. Nothing: the window of the latest run's report, plus any day judged
    after it outside a run; with no run yet the latest day with findings (else with events).
    A day or range the lake holds nothing for is a ``UsageError``.
    """
    if days:
        return sorted({valid_day(str(d), "day") for d in days})
    end = valid_day(str(day), "--date") if day is not None else None
    if since is not None:
        start = valid_day(str(since), "--since")
        held = data_days(workspace)
        end = end or (held[-1] if held else start)
        if start > end:
            raise UsageError(f"--since {start} is after the report's last day {end}")
        if not any(start <= d <= end for d in held):
            raise _no_data(workspace, f"{start} to {end}")
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    if end is not None:
        if end not in data_days(workspace):
            raise _no_data(workspace, end)
        return [end]
    judged = finding_days(workspace)
    window = last_run_days(workspace)
    if window:
        return sorted(set(window) | {d for d in judged if d > window[-1]})
    if judged:
        return [judged[-1]]
    held = data_days(workspace)
    return [held[-1]] if held else []


def window_findings(workspace: Workspace, days: list[str]) -> list[Finding]:
    """The findings of every day in ``days``, each once (a standing finding moves to the newest
    day's file; should a copy remain in an older one, the newest wins)."""
    held = set(finding_days(workspace))
    by_id: dict[str, Finding] = {}
    for d in days:
        if d in held:
            for f in read_findings(workspace, d):
                by_id[f.finding_id] = f
    return most_severe_first(list(by_id.values()))


def most_severe_first(findings: list[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (
            f.suppressed is not None,
            -severity_rank(f.severity),
            -f.score,
            f.rule_id,
            f.window_start,
            f.finding_id,
        ),
    )


class _Catalog:
    """The catalog connection, or None; each query returns None when its view is missing."""

    def __init__(self, workspace: Workspace, notes: dict[str, str], config=None) -> None:
        self.notes = notes
        self.con: duckdb.DuckDBPyConnection | None = None
        try:
            from pipeline.catalog import connect

            self.con = connect(workspace, read_only=True, config=config)
        except Exception as exc:  # no catalog module or lake yet: the report still renders
            notes["catalog"] = f"catalog not available ({type(exc).__name__}: {exc})"

    def rows(self, name: str, params: list[Any]) -> list[dict[str, Any]] | None:
        if self.con is None:
            return None
        try:
            rel = self.con.execute(sql(name), params)
            cols = [d[0] for d in rel.description]
            return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]
        except duckdb.Error as exc:
            self.notes[name] = f"{name}: {str(exc).splitlines()[0]}"
            return None

    def first_rows(self, names: tuple[str, ...], params: list[Any]) -> list[dict[str, Any]]:
        """The rows of the first query that returns any (rollups first, then raw events)."""
        for i, name in enumerate(names):
            rows = self.rows(name, params)
            if rows:
                for earlier in names[:i]:
                    self.notes.pop(earlier, None)
                return rows
        return []

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _config(workspace: Workspace):
    from pipeline.config import load_config

    return load_config(workspace)


def _allowed(patterns: list[str], use: dict[str, Any]) -> bool:
    from pipeline.sensitivity import matches

    return any(
        matches(p, use.get("resource"), use.get("resource_id"), use.get("resource_path"))
        for p in patterns
    )


def _tag(config: Any, use: dict[str, Any]) -> str | None:
    from pipeline.sensitivity import tag_for

    return tag_for(config, use.get("resource"), use.get("resource_id"), use.get("resource_path"))


def _window(day: str | None) -> tuple[str, str]:
    end = date.fromisoformat(day) if day else datetime.now(UTC).date()
    return (end - timedelta(days=WINDOW_DAYS - 1)).isoformat(), end.isoformat()


#: the parts a report is made of, for progress: findings, identities, agents (gather), the page
REPORT_PARTS = 4


def gather(
    workspace: Workspace,
    day: str | date | None = None,
    run: dict[str, Any] | None = None,
    *,
    since: str | date | None = None,
    days: list[str] | None = None,
    config=None,
    on_step: Callable[[int, int, str], None] | None = None,
) -> ReportData:
    """Everything the report of a window of days shows (``choose_days``: by default the latest
    run's window; ``day`` alone: that day; ``since`` … ``day``: a range; ``days``: as given).

    ``run``: the summary of the run in progress (``RunSummary.model_dump(mode="json")``), shown
    as run information instead of the last finished run's manifest. ``config``: the workspace's
    ``Config`` when the caller has it (read from agentaudit.toml otherwise). ``on_step(done,
    total, part)`` is called as each of the report's parts is gathered (for progress bars).
    """
    step = on_step or (lambda *_: None)
    covered = choose_days(workspace, day, since=since, days=days)
    chosen = covered[-1] if covered else None
    notes: dict[str, str] = {}
    config = config if config is not None else _config(workspace)
    findings = window_findings(workspace, covered)
    first, last = _window(chosen)
    history = [
        f
        for d in finding_days(workspace)
        if first <= d <= last
        for f in read_findings(workspace, d)
    ]
    step(1, REPORT_PARTS, "findings")
    catalog = _Catalog(workspace, notes, config)
    try:
        identities = _identities(catalog, config, findings, history, first, last)
        step(2, REPORT_PARTS, "identities")
        agents = _agents(catalog, config, identities, findings, first, last, AGENT_SECTIONS)
        step(3, REPORT_PARTS, "agents")
    finally:
        catalog.close()
    data = ReportData(
        workspace=workspace.root.name,
        day=chosen,
        days=covered,
        generated_at=datetime.now(UTC),
        tenants=sorted({f.tenant_id for f in findings if f.tenant_id}),
        findings=findings,
        agents=agents,
        agents_total=sum(1 for r in identities if r.agent_like),
        identities=identities,
        ingest=_ingest(workspace, notes),
        run=run_info(run) if run else _run(workspace, {f.run_id for f in findings if f.run_id}),
        activity_days=WINDOW_DAYS,
        notes=notes,
    )
    if config.workspace.report_mode == "redacted":
        from pipeline.report.redaction import redact_report
        from pipeline.siem.redact import Redactor

        data = redact_report(data, Redactor.for_workspace(workspace))
    return data


def _identities(
    catalog: _Catalog,
    config: Any,
    findings: list[Finding],
    history: list[Finding],
    first: str,
    last: str,
) -> list[IdentityRow]:
    registry = {a.id.lower(): a for a in config.agents}
    seen = catalog.first_rows(("identities_view", "identities_seen"), [first, last])
    ca_first = (date.fromisoformat(last) - timedelta(days=CA_DAYS - 1)).isoformat()
    coverage = {r["identity_id"]: r for r in catalog.rows("ca_coverage", [ca_first, last]) or []}
    rows: dict[str, IdentityRow] = {}
    for r in seen:
        ident = str(r["identity_id"])
        agent = registry.get(ident)
        cov = coverage.get(ident, {})
        rows[ident] = IdentityRow(
            id=ident,
            name=r.get("name") or (agent.name if agent else None),
            kind=r.get("kind") or "unknown",
            registered=bool(r.get("registered")) or agent is not None,
            sponsor=r.get("sponsor") or (agent.sponsor if agent else None),
            creation_channel=r.get("creation_channel"),
            last_seen=_iso(r.get("last_seen")),
            events=r.get("events"),
            signins=cov.get("signins"),
            ca_not_applied=cov.get("ca_not_applied"),
        )
    for ident, agent in registry.items():  # declared agents never seen are listed too
        rows.setdefault(
            ident,
            IdentityRow(
                id=ident, name=agent.name, kind=agent.kind, registered=True, sponsor=agent.sponsor
            ),
        )
    for f in findings + history:  # identities only findings know of (e.g. from older days)
        key = f.identity.id.lower()
        if key not in rows:
            rows[key] = IdentityRow(
                id=key,
                name=f.identity.name,
                kind=f.identity.kind,
                registered=key in registry,
                sponsor=f.identity.sponsor,
            )
    changes: dict[str, Counter] = defaultdict(Counter)
    for f in history:
        changes[f.identity.id.lower()][f.rule_id] += 1
    for f in findings:
        if f.rule_id in HYGIENE_RULES:
            rows[f.identity.id.lower()].hygiene.append(f.finding_id)
    for key, row in rows.items():
        row.agent_like = row.kind in AGENT_KINDS or key in registry
        c = changes.get(key, Counter())
        row.credential_changes = sum(c[r] for r in CREDENTIAL_RULES)
        row.permission_changes = sum(c[r] for r in PERMISSION_RULES)
        row.dormant = c[DORMANT_RULE] > 0
    if not seen:
        catalog.notes.setdefault(
            "identities", "no activity in the window (or the catalog is not built yet)"
        )
    flagged = {f.identity.id.lower() for f in findings + history}
    kept = [r for r in rows.values() if r.agent_like or r.kind in APPS or r.id in flagged]
    if len(kept) < len(rows):
        catalog.notes["people"] = (
            f"{len(rows) - len(kept):,} people and unresolved identities without findings "
            "are not listed (agentaudit identities lists them all)"
        )
    # agents grouped by creation channel (shadow ones first in each), then apps and people
    return sorted(
        kept,
        key=lambda r: (
            not r.agent_like,
            r.creation_channel or "unknown" if r.agent_like else "",
            not r.shadow,
            r.kind,
            (r.name or r.id).lower(),
        ),
    )


def _agents(
    catalog: _Catalog,
    config: Any,
    identities: list[IdentityRow],
    findings: list[Finding],
    first: str,
    last: str,
    limit: int | None = None,
) -> list[AgentSection]:
    registry = {a.id.lower(): a for a in config.agents}
    by_identity: dict[str, list[str]] = defaultdict(list)
    for f in findings:
        by_identity[f.identity.id.lower()].append(f.finding_id)
    # agents with the most severe open findings first (then the most findings), then by name:
    # only the first ``limit`` get a section (an onboarding day brings tens of thousands)
    severity = {f.finding_id: severity_rank(f.severity) for f in findings if f.suppressed is None}

    def weight(row: IdentityRow) -> tuple[tuple[int, ...], int, str]:
        own = by_identity.get(row.id, [])
        ranks = Counter(severity[i] for i in own if i in severity)
        return tuple(-ranks[r] for r in range(4, -1, -1)), -len(own), (row.name or row.id).lower()

    agents = sorted((r for r in identities if r.agent_like), key=weight)[:limit]
    ids = [a.id for a in agents]
    activity: dict[str, dict[str, DayActivity]] = defaultdict(dict)
    touched: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        names = ("rollup_activity_by_day", "activity_by_day")
        for r in catalog.first_rows(names, [ids, first, last]):
            activity[r["identity_id"]][r["day"]] = DayActivity(
                day=r["day"], events=r["events"], failures=r["failures"], sensitive=r["sensitive"]
            )
        names = ("rollup_touched_resources", "touched_resources")
        for r in catalog.first_rows(names, [ids, first, last, TOUCHED_PER_AGENT]):
            touched[r["identity_id"]].append(r)
    badges = {r["identity_id"]: _badge(r) for r in (catalog.rows("agent_badges", [ids]) or [])}
    days = [(date.fromisoformat(first) + timedelta(days=i)).isoformat() for i in range(WINDOW_DAYS)]
    out = []
    for row in agents:
        spec = registry.get(row.id)
        allowed = list(spec.allowed_resources) if spec else []
        uses = [
            ResourceUse(
                resource=str(u["resource"]),
                events=int(u["events"]),
                sensitivity=u.get("sensitivity") or _tag(config, u),
                allowed=_allowed(allowed, u) if spec else None,
            )
            for u in touched.get(row.id, [])
        ]
        out.append(
            AgentSection(
                id=row.id,
                name=row.name,
                kind=row.kind,
                creation_channel=row.creation_channel,
                registered=row.registered,
                sponsor=row.sponsor,
                owner=spec.owner if spec else None,
                purpose=spec.purpose if spec else None,
                blueprint=spec.blueprint if spec else None,
                app_id=spec.app_id if spec else None,
                allowed_resources=allowed,
                pii_clearance=list(spec.pii_clearance) if spec else [],
                touched=uses,
                activity=[activity[row.id].get(d, DayActivity(day=d)) for d in days],
                finding_ids=by_identity.get(row.id, []),
                last_seen=row.last_seen,
                badge=badges.get(row.id),
            )
        )
    return out


def _badge(row: dict[str, Any]) -> AgentBadge:
    """An agent_inventory row as the card's badge (columns the view lacks stay empty)."""
    creds = row.get("credentials") or {}
    return AgentBadge(
        creation_channel=row.get("creation_channel"),
        creation_channel_evidence=row.get("creation_channel_evidence"),
        owners=list(row.get("owners") or []),
        credential_count=creds.get("count") or 0,
        credential_types=list(creds.get("types") or []),
        oldest_credential_days=creds.get("oldest_age_days"),
        credential_soonest_expiry=_iso(creds.get("soonest_expiry")),
        access_packages=[dict(p) for p in row.get("access_packages") or []],
        granted_permissions=list(row.get("granted_permissions") or []),
        unused_permissions=[dict(p) for p in row.get("unused_permissions") or []],
        pii_categories=list(row.get("pii_categories") or []),
        ca_coverage=row.get("conditional_access_coverage"),
        last_signin=_iso(row.get("last_signin")),
    )


def _ingest(workspace: Workspace, notes: dict[str, str]) -> IngestHealth:
    health = IngestHealth()
    for table in LAKE_TABLES:
        per_day: dict[str, int] = {}
        for path in workspace.table_dir(table).glob("date=*/*.parquet"):
            try:
                n = pq.read_metadata(path).num_rows
            except Exception:  # a file being replaced right now: counted next time
                continue
            d = path.parent.name[5:]
            per_day[d] = per_day.get(d, 0) + n
        if per_day:
            health.tables.append(
                TableHealth(
                    table=table,
                    rows=sum(per_day.values()),
                    days=len(per_day),
                    first_day=min(per_day),
                    last_day=max(per_day),
                )
            )
    quarantine = list(workspace.quarantine.glob("**/*.parquet"))
    if quarantine:
        try:
            glob = str(workspace.quarantine / "**" / "*.parquet")
            with duckdb.connect() as con:
                rows = con.execute(sql("quarantine_reasons"), [glob]).fetchall()
            health.reasons = [ReasonCount(reason=str(r), rows=int(n)) for r, n in rows]
            health.quarantined = sum(r.rows for r in health.reasons)
        except duckdb.Error as exc:
            notes["quarantine"] = f"quarantine: {str(exc).splitlines()[0]}"
    _manifests(workspace.lake / "_manifest", health)
    if not health.tables:
        notes.setdefault("ingest", "the lake holds no tables yet: run agentaudit ingest")
    return health


def _manifests(folder: Path, health: IngestHealth) -> None:
    """Sum what the ingest manifests record, one JSON file per ingested file content
    (``lake/_manifest/files/<sha256>.json``); unreadable or unknown shapes are skipped."""
    files = 0
    totals: Counter = Counter()
    for path in sorted((folder / "files").glob("*.json")):
        try:
            rec = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(rec, dict):
            continue
        files += 1
        for key in ("rows_read", "duplicates"):
            value = rec.get(key)
            if isinstance(value, int):
                totals[key] += value
    if files:
        health.files = files
        health.rows_read = totals.get("rows_read", 0)
        health.duplicates = totals.get("duplicates", 0)


def _run(workspace: Workspace, finding_runs: set[str]) -> RunInfo:
    """The manifest of the run that produced the findings; while that run is still going (its
    manifest is written at its end) only its id; with no findings, the latest run."""
    runs = sorted((workspace.lake / "_runs").glob("*.json"))
    matching = [p for p in runs if p.stem in finding_runs]
    if matching:
        chosen = matching[-1]
    elif finding_runs:
        return RunInfo(run_id=", ".join(sorted(finding_runs)))
    elif runs:
        chosen = runs[-1]
    else:
        return RunInfo()
    try:
        doc = json.loads(chosen.read_text())
    except (OSError, ValueError):
        return RunInfo()
    return run_info(doc)


def _when(value: Any) -> str | None:
    """An ISO time from a manifest as "YYYY-MM-DD HH:MM:SS UTC" (other text shown as is)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_info(doc: dict[str, Any]) -> RunInfo:
    """A run manifest (``pipeline.run.RunSummary`` as a dict) as the report shows it."""
    return RunInfo(
        run_id=doc.get("run_id"),
        started=_when(doc.get("started")),
        finished=_when(doc.get("finished")),
        inputs=[str(i) for i in doc.get("inputs") or []],
        stages=[
            StageTime(name=str(s.get("name")), seconds=float(s.get("seconds") or 0))
            for s in doc.get("stages") or []
            if isinstance(s, dict)
        ],
        days_judged=[str(d) for d in doc.get("days_judged") or []],
        versions={str(k): str(v) for k, v in (doc.get("versions") or {}).items()},
        rows_read=doc.get("rows_read"),
        rows_written=doc.get("rows_written"),
    )
