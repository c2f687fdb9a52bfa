"""HTTP push against a local collector (127.0.0.1 only) that fails some requests."""

from __future__ import annotations

import stat

import pytest
from collector import Collector
from siem_findings import DAY, make_finding

from detectors.finding import Suppression
from detectors.store import write_day
from pipeline.errors import UsageError
from pipeline.siem import export
from pipeline.siem.push import HttpSink
from pipeline.siem.spool import Spool


@pytest.fixture
def collector():
    c = Collector()
    yield c
    c.close()


@pytest.fixture
def ws(workspace):
    workspace.config_file.write_text("[siem]\nbatch_size = 3\ntimeout_seconds = 5\n")
    write_day(workspace, DAY, [make_finding(n) for n in range(10)])
    return workspace


def sink(url: str, retries: int = 4, token: str | None = None) -> HttpSink:
    return HttpSink(url, hec_token=token, retries=retries, backoff=0.001, sleep=lambda _s: None)


def test_batches_and_retries_deliver_everything_once(ws, collector):
    collector.plan = [503, 0, 200, 429, 500]  # a busy collector, a dropped connection, a 429
    s = sink(collector.url)
    summary = export(ws, url=collector.url, sink=s)
    assert summary.ok and summary.sent == 10 and summary.batches == 4
    assert summary.requests == 4 + 4  # four batches, four retried failures
    assert sorted(collector.uids()) == sorted(set(collector.uids())) and len(collector.uids()) == 10
    assert len(s.delays) == 4
    assert all(d <= 0.001 * 2**3 for d in s.delays)
    assert collector.headers[0]["Content-Type"] == "application/x-ndjson"
    assert "Authorization" not in collector.headers[0]
    assert not Spool(ws, collector.url).pending_file.exists()


def test_backoff_grows_exponentially(collector):
    collector.always = 503
    slept: list[float] = []
    s = HttpSink(collector.url, retries=4, backoff=1.0, max_backoff=6.0, sleep=slept.append)
    with pytest.raises(Exception, match="HTTP 503"):
        s.send([{"time": 0}])
    assert len(slept) == 4 and collector.requests == 5
    for attempt, delay in enumerate(slept):
        cap = min(6.0, 2.0**attempt)
        assert cap / 2 <= delay <= cap


def test_collector_down_spools_then_next_export_delivers_without_duplicates(ws, collector):
    collector.always = 503
    down = export(ws, url=collector.url, sink=sink(collector.url, retries=2))
    assert down.sent == 0 and down.spooled == 10 and "503" in down.error and not down.ok
    spool = Spool(ws, collector.url)
    assert len(spool.pending()) == 10
    assert stat.S_IMODE(spool.pending_file.stat().st_mode) == 0o600

    collector.always = None
    up = export(ws, url=collector.url, sink=sink(collector.url))
    assert up.ok and up.sent == 10 and up.from_spool == 10 and up.skipped == 0
    again = export(ws, url=collector.url, sink=sink(collector.url))
    assert again.sent == 0 and again.skipped == 10
    assert len(collector.uids()) == 10 == len(set(collector.uids()))


def test_partial_delivery_resumes_where_it_stopped(ws, collector):
    collector.plan = [200, 503, 503, 503]
    first = export(ws, url=collector.url, sink=sink(collector.url, retries=2))
    assert first.sent == 3 and first.spooled == 7
    write_day(ws, "2026-11-27", [make_finding(n, day="2026-11-27") for n in range(50, 52)])
    second = export(ws, url=collector.url, sink=sink(collector.url))
    assert second.sent == 9 and second.from_spool == 7 and second.skipped == 3
    assert len(collector.uids()) == 12 == len(set(collector.uids()))


def test_non_retryable_error_stops_at_once(ws, collector):
    collector.always = 401
    summary = export(ws, url=collector.url, sink=sink(collector.url))
    assert collector.requests == 1 and summary.spooled == 10 and "401" in summary.error


def test_splunk_hec_envelopes_and_token(ws, collector, validator):
    summary = export(
        ws, url=collector.url, hec_token="tok-123", sink=sink(collector.url, token="tok-123")
    )
    assert summary.sent == 10
    assert collector.headers[0]["Authorization"] == "Splunk tok-123"
    for envelope in collector.received:
        assert envelope["sourcetype"] == "ocsf:detection_finding"
        assert envelope["time"] == envelope["event"]["time"] / 1000
        assert validator.errors(envelope["event"]) == []


def test_hec_token_from_configured_environment_variable(ws, collector, monkeypatch):
    ws.config_file.write_text('[siem]\nhec_token_env = "AA_TEST_HEC"\n')
    monkeypatch.setenv("AA_TEST_HEC", "from-env")
    export(ws, url=collector.url)
    assert collector.headers[0]["Authorization"] == "Splunk from-env"


def test_a_finding_that_changes_is_sent_again_as_an_update(ws, collector):
    export(ws, url=collector.url, sink=sink(collector.url))
    changed = [make_finding(n) for n in range(10)]
    changed[0] = changed[0].model_copy(update={"suppressed": Suppression(reason="known batch")})
    write_day(ws, DAY, changed)
    summary = export(ws, url=collector.url, sink=sink(collector.url))
    assert summary.sent == 1 and summary.skipped == 9
    update = collector.received[-1]
    assert update["activity_id"] == 2 and update["type_uid"] == 200402
    assert update["status_id"] == 3


def test_the_summary_never_holds_a_query_string(ws, collector):
    summary = export(ws, url=collector.url + "?token=s3cret", sink=sink(collector.url))
    assert "s3cret" not in summary.model_dump_json() and "s3cret" not in summary.headline()


def test_bad_urls_are_usage_errors(ws):
    with pytest.raises(UsageError, match="http"):
        export(ws, url="ftp://collector.example/x")
    with pytest.raises(UsageError, match="credentials"):
        export(ws, url="https://user:pw@collector.example/x")


def test_splunk_hec_raw_endpoint_gets_plain_lines(ws, collector):
    raw_url = collector.url.replace("/event", "/raw")
    summary = export(ws, url=raw_url, hec_token="tok", sink=sink(raw_url, token="tok"))
    assert summary.sent == 10
    assert collector.headers[0]["Authorization"] == "Splunk tok"
    assert collector.headers[0]["X-Splunk-Request-Channel"]
    assert all(r["class_uid"] == 2004 for r in collector.received)  # no {"event": …} envelope


def test_a_redirect_is_not_followed_and_nothing_is_lost(ws, collector):
    collector.always = 302
    summary = export(ws, url=collector.url, sink=sink(collector.url))
    assert summary.sent == 0 and summary.spooled == 10 and "HTTP 302" in summary.error
    assert collector.requests == 1


def test_two_exports_to_one_collector_never_interleave(ws, collector):
    from pipeline.errors import AgentAuditError

    with Spool(ws, collector.url).locked():
        with pytest.raises(AgentAuditError, match="another export to this collector"):
            export(ws, url=collector.url, sink=sink(collector.url))
    assert collector.requests == 0
    assert export(ws, url=collector.url, sink=sink(collector.url)).sent == 10
