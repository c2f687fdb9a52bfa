"""End to end (slow): a generated tenant through the nightly run; every SIEM line validated,
then pushed to a flaky local collector; the report checked for every section."""

from __future__ import annotations

import json

import pytest
from collector import Collector
from ocsf_validator import validate_lines

from pipeline.siem import export
from pipeline.siem.push import HttpSink
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tenant(tmp_path_factory) -> Workspace:
    from pipeline.generate import generate_tenant
    from pipeline.run import run_nightly

    folder = tmp_path_factory.mktemp("tenant")
    generate_tenant(folder, days=12, seed=11, scale=0.2)
    ws = Workspace.at(folder)
    run_nightly(ws)
    return ws


def test_every_line_of_the_nightly_siem_file_is_valid_ocsf(tenant, validator):
    files = sorted(tenant.siem.glob("findings-*.ocsf.jsonl"))
    assert files
    lines = 0
    for path in files:
        text = path.read_text()
        lines += len(text.splitlines())
        assert validate_lines(validator, text) == [], path
    assert lines > 0
    families = {
        json.loads(x)["finding_info"]["types"][0] for x in files[-1].read_text().splitlines()
    }
    assert families


def test_the_nightly_findings_reach_a_flaky_collector_exactly_once(tenant):
    collector = Collector()
    collector.plan = [503, 200, 0, 500, 500, 200]
    try:
        sink = HttpSink(collector.url, retries=3, backoff=0.001, sleep=lambda _s: None)
        first = export(tenant, url=collector.url, sink=sink)
        second = export(tenant, url=collector.url, sink=HttpSink(collector.url, retries=0))
    finally:
        collector.close()
    assert first.ok and first.sent == first.findings > 0
    assert second.sent == 0 and second.skipped == first.findings
    assert len(collector.uids()) == len(set(collector.uids())) == first.findings


def test_the_nightly_report_has_every_section(tenant):
    reports = sorted(tenant.reports.glob("report-*.html"))
    assert reports
    html = reports[-1].read_text()
    for section in ("summary", "findings", "agents", "inventory", "ingest", "run"):
        assert f'id="{section}"' in html
    assert html.count("<script") == 1  # the report's own (findings table), allowed by its hash
