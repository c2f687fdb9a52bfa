"""``agentaudit export``: findings as OCSF JSON lines to a file, stdout or an HTTP collector."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from pydantic import BaseModel

from detectors.finding import Finding
from detectors.store import ORDER, iter_findings
from pipeline.config import Config, load_config
from pipeline.errors import UsageError
from pipeline.lake import valid_day
from pipeline.siem.ocsf import to_ocsf
from pipeline.siem.push import HttpSink, check_url, display_url, push
from pipeline.siem.redact import Redactor
from pipeline.siem.sentinel import delivery_key as sentinel_key
from pipeline.siem.sentinel import sentinel_row
from pipeline.siem.sentinel_push import SentinelSink, fitted, requests_of
from pipeline.siem.spool import write_private
from pipeline.workspace import Workspace

FORMATS = ("ocsf", "sentinel")


class ExportSummary(BaseModel):
    findings: int
    format: str = "ocsf"
    day: str | None = None
    out: str | None = None  # the file written, "-" for stdout
    url: str | None = None
    sent: int = 0
    skipped: int = 0  # already delivered earlier: not sent twice
    spooled: int = 0  # undelivered, waiting in siem/spool/ for the next export
    from_spool: int = 0
    batches: int = 0
    requests: int = 0
    error: str | None = None
    redacted: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.spooled == 0 and self.error is None

    def headline(self) -> str:
        parts = [f"{self.findings} finding(s) as {self.format.upper()}"]
        if self.out and self.out != "-":
            parts.append(f"written to {self.out}")
        if self.url:
            parts.append(
                f"{self.sent} sent to {self.url} in {self.batches} batch(es)"
                f" ({self.skipped} already delivered, {self.from_spool} from the spool)"
            )
            if self.spooled:
                parts.append(f"{self.spooled} kept in the spool for the next export: {self.error}")
        if self.redacted:
            parts.append("redacted")
        return "; ".join(parts)


def sentinel_rows(findings: list[Finding], redactor: Redactor | None = None) -> list[dict]:
    """The ``AgentAuditFinding_CL`` rows of ``findings`` in a stable order (redacted if asked),
    each small enough for one Logs Ingestion call."""
    return list(_sentinel_rows(_sorted(findings), redactor))


def _sentinel_rows(ordered: Iterable[Finding], redactor: Redactor | None) -> Iterator[dict]:
    now = datetime.now(UTC)
    for f in _redacted(ordered, redactor):
        yield fitted(sentinel_row(f, now))


def _array(rows: Iterable[dict]) -> Iterator[str]:
    """A JSON array, one row a line: what the Logs Ingestion API receives, readable."""
    sep = "[\n"
    for row in rows:
        yield sep + json.dumps(row, separators=(",", ":"), ensure_ascii=False)
        sep = ",\n"
    yield "[]\n" if sep == "[\n" else "\n]\n"


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: tuple(getattr(f, c) for c in ORDER))


def _redacted(findings: Iterable[Finding], redactor: Redactor | None) -> Iterator[Finding]:
    return iter(findings) if redactor is None else (redactor.finding(f) for f in findings)


def ocsf_events(findings: list[Finding], redactor: Redactor | None = None) -> list[dict]:
    """The OCSF objects of ``findings`` in a stable order, redacted when a redactor is given."""
    return [to_ocsf(f) for f in _redacted(_sorted(findings), redactor)]


def _lines(events: Iterable[dict]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"


class _Counted:
    """An iterable that counts what passed through it: the summary's number of findings, known
    once a streamed export has written them (a list's length from the start)."""

    def __init__(self, items: Iterable) -> None:
        self.items = items
        self.n = len(items) if isinstance(items, list) else 0

    def __iter__(self) -> Iterator:
        self.n = 0
        for item in self.items:
            self.n += 1
            yield item


def _deliver_text(chunks: Iterable[str], out: str | Path, stream: IO[str] | None, mode: int) -> str:
    """Stream ``chunks`` to stdout (``out`` is ``-``) or atomically into the file ``out``: the
    file is written as the findings are read, never held whole. Returns what summary.out says."""
    if str(out) == "-":
        target = stream or sys.stdout
        for chunk in chunks:
            target.write(chunk)
        target.flush()
        return "-"
    path = Path(out)
    write_private(path, (chunk.encode() for chunk in chunks), mode)
    return str(path)


def export(
    workspace: Workspace,
    fmt: str = "ocsf",
    out: str | Path | None = None,
    url: str | None = None,
    hec_token: str | None = None,
    day: str | None = None,
    redact: bool = False,
    *,
    dcr_endpoint: str | None = None,
    dcr_id: str | None = None,
    dcr_stream: str | None = None,
    stream: IO[str] | None = None,
    sink: HttpSink | None = None,
    config: Config | None = None,
) -> ExportSummary:
    """Export findings (all, or one day's) as OCSF 1.8.0 Detection Finding JSON lines.

    ``out``: a file (written atomically, mode from ``file_mode``, 0600 by default), ``"-"`` for
    stdout, or None: ``siem/findings-<day|all>.ocsf.jsonl`` unless ``url`` is given. ``url``:
    push to an HTTP collector (Splunk HEC when a token is given or configured) through the spool.

    ``fmt="sentinel"``: ``AgentAuditFinding_CL`` rows, a JSON array per file (default
    ``siem/findings-<day|all>.sentinel.json``), or pushed to the Logs Ingestion API when
    ``dcr_endpoint`` is given (``dcr_id`` and ``dcr_stream`` default to ``[siem.sentinel]``).
    """
    if fmt == "sentinel":
        return _export_sentinel(
            workspace, out, day, redact, dcr_endpoint, dcr_id, dcr_stream, stream, sink, config
        )
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not supported; use one of: {', '.join(FORMATS)}")
    day = valid_day(str(day)) if day is not None else None
    if url is not None:
        check_url(url)
    config = config if config is not None else load_config(workspace)
    redactor = Redactor.for_workspace(workspace) if redact else None
    events = _Counted(to_ocsf(f) for f in _redacted(iter_findings(workspace, day), redactor))
    if url is not None:  # a push sends and spools batches of a list
        events = _Counted(list(events))
    # the summary goes into run manifests: the URL without a query string that may hold a token
    shown = display_url(url) if url is not None else None
    summary = ExportSummary(findings=0, day=day, redacted=redact, url=shown)

    if out is None and url is None:
        out = workspace.siem / f"findings-{day or 'all'}.ocsf.jsonl"
    if out is not None:
        summary.out = _deliver_text(_lines(events), out, stream, config.workspace.file_mode_int)
    summary.findings = events.n

    if url is not None:
        settings = config.siem
        token = hec_token
        if token is None and settings.hec_token_env:
            token = os.environ.get(settings.hec_token_env) or None
        sink = sink or HttpSink(
            url,
            hec_token=token,
            timeout=settings.timeout_seconds,
            verify_tls=settings.verify_tls,
        )
        result = push(workspace, events.items, sink, batch_size=settings.batch_size)
        _delivered(summary, result)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _delivered(summary: ExportSummary, result) -> None:
    """What a push delivered, spooled or skipped, into the export's summary."""
    for name in ("sent", "skipped", "spooled", "from_spool", "batches", "requests", "error"):
        setattr(summary, name, getattr(result, name))


def _export_sentinel(
    workspace: Workspace,
    out: str | Path | None,
    day: str | None,
    redact: bool,
    endpoint: str | None,
    dcr_id: str | None,
    dcr_stream: str | None,
    stream: IO[str] | None,
    sink: HttpSink | None,
    config: Config | None = None,
) -> ExportSummary:
    started = time.perf_counter()
    day = valid_day(str(day)) if day is not None else None
    config = config if config is not None else load_config(workspace)
    settings = config.siem.sentinel
    if endpoint is not None or sink is not None:
        sink = sink or SentinelSink(
            endpoint or "",
            dcr_id or (settings.dcr_id if settings else ""),
            dcr_stream or (settings.stream if settings else "Custom-AgentAuditFinding_CL"),
            timeout=settings.timeout_seconds if settings else 30.0,
            verify_tls=config.siem.verify_tls,
        )
    redactor = Redactor.for_workspace(workspace) if redact else None
    rows = _Counted(_sentinel_rows(iter_findings(workspace, day), redactor))
    if sink is not None:  # a push sends and spools batches of a list
        rows = _Counted(list(rows))
    shown = display_url(sink.url) if sink is not None else None
    summary = ExportSummary(findings=0, format="sentinel", day=day, redacted=redact, url=shown)
    if out is None and sink is None:
        out = workspace.siem / f"findings-{day or 'all'}.sentinel.json"
    if out is not None:
        summary.out = _deliver_text(_array(rows), out, stream, config.workspace.file_mode_int)
    summary.findings = rows.n
    if sink is not None:
        result = push(
            workspace, rows.items, sink, key=sentinel_key, update=lambda row: row, split=requests_of
        )
        _delivered(summary, result)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
