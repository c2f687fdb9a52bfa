"""Findings to Microsoft Sentinel against a local stand-in of the Logs Ingestion API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from collector import IngestionService
from siem_findings import DAY, HOSTILE, catalogue, make_finding

from detectors.store import write_day
from pipeline.errors import UsageError
from pipeline.siem import export
from pipeline.siem.sentinel import COLUMN_NAMES, TRUNCATED
from pipeline.siem.sentinel_push import SentinelSink, token_provider
from pipeline.siem.spool import Spool

REPO = Path(__file__).resolve().parents[2]
BIG = "x" * 100_000  # evidence far over the 64 KB a field holds


@pytest.fixture
def service():
    s = IngestionService(COLUMN_NAMES)
    yield s
    s.close()


@pytest.fixture
def ws(workspace):
    write_day(workspace, DAY, [make_finding(n) for n in range(25)])
    return workspace


def sink(service: IngestionService, slept: list[float] | None = None, **kw) -> SentinelSink:
    return SentinelSink(
        service.endpoint,
        service.dcr,
        service.stream,
        token=lambda: service.token,
        backoff=0.001,
        sleep=(slept if slept is not None else []).append,
        **kw,
    )


def push(ws, service, **kw):
    s = sink(service, **kw)
    return export(ws, fmt="sentinel", sink=s), s


def test_rows_reach_the_service_as_it_expects_them(ws, service):
    summary, s = push(ws, service)
    assert summary.ok and summary.sent == 25 and summary.requests == 1, summary.error
    assert service.problems == []
    assert sorted(service.ids()) == sorted(set(service.ids())) and len(service.ids()) == 25
    row = service.rows[0]
    assert row["ProviderName"] == "agentaudit" and row["AlertSeverity"] == "High"
    assert row["Entities"][0]["Type"] == "account" and row["Entities"][1]["Type"] == (
        "cloud-application"
    )
    assert "Collection" in row["Tactics"] and json.loads(row["Techniques"])[0] == "T1078.004"
    assert row["ExtendedProperties"]["Accountable"] == "cfo-office@contoso.com"
    assert "s3cret" not in summary.headline() and "api-version" not in (summary.url or "")


def test_big_evidence_is_cut_with_a_marker_and_every_call_stays_under_1_mb(workspace, service):
    findings = [make_finding(n, explanation=f"{n} " + BIG, title=BIG[:70_000]) for n in range(30)]
    write_day(workspace, DAY, findings)
    summary, s = push(workspace, service)
    assert summary.ok and summary.sent == 30, summary.error
    assert service.problems == [] and summary.requests > 1
    assert all(raw <= 1_000_000 and zipped <= 1_000_000 for raw, zipped in service.sizes)
    assert s.sizes == service.sizes  # what we measured is what the service received
    for row in service.rows:
        assert TRUNCATED.split("{")[0] in row["Description"]
        assert len(row["Description"].encode()) <= 64 * 1024
        n = row["Description"].split(" ")[0]
        assert row["Description"].startswith(f"{n} xxxx")


def test_429_honours_retry_after_and_500s_are_retried(ws, service):
    service.plan = [429, 500, 503, 0]
    slept: list[float] = []
    summary, s = push(ws, service, slept=slept)
    assert summary.ok and summary.sent == 25 and summary.requests == 5
    assert slept[0] == 7.0  # the service's Retry-After, not our backoff
    assert len(slept) == 4 and all(d < 1 for d in slept[1:])
    assert len(service.ids()) == 25


def test_service_down_spools_then_the_next_export_delivers_once(ws, service):
    service.always = 503
    down, _ = push(ws, service, retries=2)
    assert down.sent == 0 and down.spooled == 25 and "503" in down.error
    service.always = None
    write_day(ws, "2026-11-27", [make_finding(n, day="2026-11-27") for n in range(40, 43)])
    up, _ = push(ws, service)
    assert up.ok and up.sent == 28 and up.from_spool == 25
    again, _ = push(ws, service)
    assert again.sent == 0 and again.skipped == 28
    assert len(service.ids()) == 28 == len(set(service.ids()))


def test_a_wrong_token_is_not_retried_and_waits_in_the_spool(ws, service):
    s = SentinelSink(service.endpoint, service.dcr, service.stream, token=lambda: "wrong")
    result = export(ws, fmt="sentinel", sink=s)
    assert result.spooled == 25 and "HTTP 400" in result.error and service.requests == 1


def test_token_from_the_environment_and_the_cli(ws, service, monkeypatch):
    from click.testing import CliRunner

    from pipeline.cli import cli

    monkeypatch.setenv("AGENTAUDIT_SENTINEL_TOKEN", service.token)
    assert token_provider()() == service.token
    args = ["export", "-w", str(ws.root), "--format", "sentinel", "--dcr-endpoint"]
    args += [service.endpoint, "--dcr-id", service.dcr, "--stream", service.stream]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "25 sent" in result.output and service.problems == []


def test_redact_works_for_sentinel_too(ws, service):
    summary = export(ws, fmt="sentinel", sink=sink(service), redact=True)
    assert summary.redacted and summary.sent == 25
    text = json.dumps(service.rows)
    assert "alice@contoso.com" not in text and "203.0.113." not in text


def test_the_file_is_the_json_array_the_api_receives(ws, tmp_path, capsys):
    out = tmp_path / "rows.json"
    summary = export(ws, fmt="sentinel", out=out)
    rows = json.loads(out.read_text())
    assert summary.out == str(out) and len(rows) == 25
    assert all(list(r) == list(COLUMN_NAMES) for r in rows)
    default = export(ws, fmt="sentinel", day=DAY)
    assert default.out.endswith(f"findings-{DAY}.sentinel.json")


def test_hostile_values_survive_the_round_trip_as_data(workspace, service, tmp_path):
    nasty = 'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 esc \x1b[31m ' + HOSTILE
    findings = catalogue() + [
        make_finding(200, explanation=nasty, title=nasty, details={"note": nasty, "ip": nasty}),
        make_finding(201, explanation="é" * 40_000 + "\u202e" + "🙂" * 20_000),
    ]
    write_day(workspace, DAY, findings)
    export(workspace, fmt="sentinel", out=tmp_path / "rows.json")
    written = {r["SystemAlertId"]: r for r in json.loads((tmp_path / "rows.json").read_text())}
    summary, _ = push(workspace, service)
    assert summary.ok and service.problems == []
    for row in service.rows:
        mine = written[row["SystemAlertId"]]
        assert {**row, "TimeGenerated": None} == {**mine, "TimeGenerated": None}
    by_id = {r["SystemAlertId"]: r for r in service.rows}
    assert by_id[findings[-2].finding_id]["Description"] == nasty
    assert by_id[findings[-2].finding_id]["ExtendedProperties"]["Details"]["note"] == nasty
    multibyte = by_id[findings[-1].finding_id]["Description"]
    assert multibyte.startswith("é" * 1000) and "truncated by agentaudit" in multibyte
    assert len(multibyte.encode()) <= 64 * 1024


def test_bad_destinations_are_usage_errors(ws):
    with pytest.raises(UsageError, match="https"):
        export(ws, fmt="sentinel", dcr_endpoint="http://ingest.example.invalid", dcr_id="dcr-1")
    with pytest.raises(UsageError, match="dcr-id"):
        export(ws, fmt="sentinel", dcr_endpoint="https://ingest.example.invalid", dcr_id=" ")


KILLED_EXPORT = """
import sys
from pipeline.cli import main
sys.argv = ["agentaudit", "export", "-w", sys.argv[1], "--format", "sentinel",
            "--dcr-endpoint", sys.argv[2], "--dcr-id", sys.argv[3], "--stream", sys.argv[4]]
main()
"""


def test_a_killed_export_resumes_and_every_finding_arrives_exactly_once(workspace, service):
    findings = [make_finding(n, explanation=f"{n} " + "y" * 60_000) for n in range(40)]
    write_day(workspace, DAY, findings)  # about 2.5 MB of rows: three calls
    service.plan = [204, -1]  # the second call never gets its answer: the export is killed
    env = {**os.environ, "AGENTAUDIT_SENTINEL_TOKEN": service.token}
    args = [str(workspace.root), service.endpoint, service.dcr, service.stream]
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert service.held.wait(60), "the export never reached its second call"
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    service.release.set()
    first = len(service.ids())
    assert 0 < first < 40
    spool = Spool(workspace, sink(service).url)
    assert len(spool.pending()) == 40 and len(spool.delivered()) == first
    summary, _ = push(workspace, service)
    assert summary.ok and summary.sent == 40 - first and summary.skipped == first
    assert sorted(service.ids()) == sorted(f.finding_id for f in findings)
    assert service.problems == []


def test_why_not_the_sdk_chunker_its_calls_can_pass_1_mb():
    """azure-monitor-ingestion sizes a chunk by its items without the JSON separators: small rows
    add up to a call over the limit. ``requests_of`` measures the array it sends."""
    helpers = pytest.importorskip("azure.monitor.ingestion._helpers")
    from pipeline.siem.sentinel_push import array_bytes, requests_of

    rows = [{"SystemAlertId": f"{n:032d}", "Note": "n" * 10} for n in range(30_000)]
    sdk_calls = [len(json.dumps(chunk).encode()) for chunk in helpers._split_chunks(rows)]
    assert max(sdk_calls) > helpers.MAX_CHUNK_SIZE_BYTES
    ours = [len(array_bytes(group)) for group in requests_of(rows)]
    assert max(ours) <= 1_000_000 and sum(len(g) for g in requests_of(rows)) == len(rows)


def test_cli_usage_errors_and_stdout(ws, monkeypatch, capsys):
    from click.testing import CliRunner

    from pipeline.cli import cli, main

    help_text = CliRunner().invoke(cli, ["export", "--help"]).output
    assert "--dcr-endpoint" in help_text and "sentinel" in help_text
    for args, message in (
        (["--dcr-endpoint", "https://x.example"], "--format sentinel"),
        (["--format", "sentinel", "--url", "https://x.example/"], "--dcr-endpoint"),
        (["--format", "sentinel", "--dcr-endpoint", "https://x.example"], "--dcr-id"),
    ):
        monkeypatch.setattr(sys, "argv", ["agentaudit", "export", "-w", str(ws.root), *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    out = CliRunner().invoke(cli, ["export", "-w", str(ws.root), "--format", "sentinel", "-o", "-"])
    assert out.exit_code == 0 and len(json.loads(out.stdout)) == 25
    assert "25 finding(s)" in out.stderr


def test_dynamic_values_of_any_shape_fit_a_field():
    from pipeline.siem.sentinel import FIELD_LIMIT, cut_dynamic

    shapes = [
        {"k": "v" * 200_000},
        {"ids": [f"evt-{n}" for n in range(50_000)]},
        {f"key-{n}": n for n in range(20_000)},
        [{"Type": "ip", "Address": "\x00" * 30_000}] * 4,
    ]
    for value in shapes:
        fitted = cut_dynamic(value)
        assert len(json.dumps(fitted, ensure_ascii=False).encode()) <= FIELD_LIMIT
        assert "truncated by agentaudit" in json.dumps(fitted, ensure_ascii=False)
