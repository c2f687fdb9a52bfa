"""gather / write_report on real workspaces: findings only, and the real Entra samples."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest
from report_fixtures import DAY, findings

from detectors.finding import Finding, Identity, finding_id
from detectors.store import write_day
from pipeline.errors import UsageError
from pipeline.report import gather, write_report

SP = "fa32171d-e39b-4a6e-baf2-66c216643e05"  # a service principal of the real Graph activity sample


def test_report_of_a_workspace_with_findings_only(workspace):
    write_day(workspace, "2026-11-25", findings()[:2])
    write_day(workspace, DAY, findings())
    path = write_report(workspace)  # default: the latest day with findings
    assert path == workspace.reports / f"report-{DAY}.html"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    html = path.read_text()
    assert "Agent activity report — 2026-11-26" in html
    data = gather(workspace, "2026-11-25")
    assert data.day == "2026-11-25" and len(data.findings) == 2
    assert data.ingest.tables[0].table == "findings"  # no event tables: their sections say so
    assert {a.id for a in data.agents} >= {findings()[0].identity.id.lower()}
    out = write_report(workspace, day="2026-11-25", out=workspace.root / "x" / "r.html")
    assert out.exists()


def test_report_of_an_empty_workspace_and_bad_days(workspace):
    path = write_report(workspace)
    assert "No findings" in path.read_text()
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        write_report(workspace, day="2026-13-01")
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        gather(workspace, "yesterday")


def test_report_of_the_real_samples(workspace, samples_dir):
    from pipeline import baselines
    from pipeline.ingest import ingest_paths

    workspace.config_file.write_text(
        f'[[agents]]\nid = "{SP}"\nname = "Directory sync agent"\nkind = "service_principal"\n'
        'sponsor = "it-ops@contoso.com"\nallowed_resources = ["graph:/users/*"]\n'
    )
    ingest_paths(workspace, [samples_dir])
    baselines.update(workspace)
    start = datetime(2025, 4, 11, tzinfo=UTC)
    end = datetime(2025, 4, 12, tzinfo=UTC)
    write_day(
        workspace,
        "2025-04-11",
        [
            Finding(
                finding_id=finding_id("AA-R01", SP, start, end),
                rule_id="AA-R01",
                family="unexpected_resource_access",
                title="Agent touched a resource outside its registered scope",
                severity="high",
                score=72,
                identity=Identity(id=SP, kind="service_principal", kind_source="registry"),
                window_start=start,
                window_end=end,
                explanation="Directory sync agent called /directoryobjects/getbyids.",
            )
        ],
    )
    data = gather(workspace, "2025-04-11")
    agent = next(a for a in data.agents if a.id == SP)
    assert agent.registered and agent.sponsor == "it-ops@contoso.com"
    assert agent.name == "Directory sync agent"
    scope = {t.resource: t.allowed for t in agent.touched}
    assert scope["/users/{id}"] is True
    assert scope["/directoryobjects/getbyids"] is False and scope["/$batch"] is False
    assert agent.out_of_scope == 2
    day = next(d for d in agent.activity if d.day == "2025-04-11")
    assert day.events == 23 and len(agent.activity) == 30
    assert agent.finding_ids == [data.findings[0].finding_id]
    # ingest health from the lake's own files
    rows = {t.table: t.rows for t in data.ingest.tables}
    for table in ("signins", "activity", "audits"):
        expect = sum(
            pq.read_metadata(p).num_rows
            for p in workspace.table_dir(table).glob("date=*/*.parquet")
        )
        assert rows[table] == expect > 0
    assert data.ingest.files and data.ingest.duplicates >= 1  # the sample's real duplicate
    assert data.ingest.quarantined >= 1 and data.ingest.reasons
    assert "service_principal" in {r.kind for r in data.identities}
    # the managed identities of the sample signed in on 2025-04-22: in that day's inventory only
    assert "managed_identity" not in {r.kind for r in data.identities}
    later = gather(workspace, "2025-04-22")
    assert "managed_identity" in {r.kind for r in later.identities}
    html = write_report(workspace, day="2025-04-11").read_text()
    assert "Directory sync agent" in html and "outside" in html


def test_redacted_report_mode_masks_people_and_addresses(workspace):
    workspace.config_file.write_text('[workspace]\nreport_mode = "redacted"\n')
    write_day(workspace, DAY, findings())
    html = write_report(workspace).read_text()
    for secret in ("alice@contoso.com", "bob@contoso.com", "cfo-office@contoso.com"):
        assert secret not in html
    assert "@redacted.invalid" in html and "redacted" in html
    assert "Finance reporting agent" in html  # agents keep their names
    assert write_report(workspace).read_text().count("upn-") == html.count("upn-")


def test_run_information_comes_from_the_run_that_made_the_findings(workspace):
    import json

    run_id = findings()[0].run_id
    write_day(workspace, DAY, findings())
    assert gather(workspace).run.run_id == run_id  # run still going: its id only
    runs = workspace.lake / "_runs"
    runs.mkdir(parents=True)
    (runs / "20261101T010000Z-old.json").write_text(json.dumps({"run_id": "20261101T010000Z-old"}))
    manifest = {
        "run_id": run_id,
        "started": "2026-11-27T01:00:02.5Z",
        "finished": "2026-11-27T01:02:31Z",
        "inputs": ["exports/"],
        "stages": [{"name": "ingest", "seconds": 61.2, "summary": {}}],
        "days_judged": [DAY],
        "versions": {"agentaudit": "0.1.0"},
        "rows_read": 1200,
        "rows_written": 1190,
    }
    (runs / f"{run_id}.json").write_text(json.dumps(manifest))
    info = gather(workspace).run
    assert info.run_id == run_id and info.started == "2026-11-27 01:00:02 UTC"
    assert info.stages[0].name == "ingest" and info.rows_read == 1200
    live = gather(workspace, run={**manifest, "run_id": "live", "finished": None}).run
    assert live.run_id == "live" and live.finished is None
    html = write_report(workspace, run={**manifest, "run_id": "live-run"}).read_text()
    assert "live-run" in html and "61.20" in html


def test_agent_activity_falls_back_to_events_before_the_rollups_exist(workspace, samples_dir):
    from pipeline.ingest import ingest_paths

    ingest_paths(workspace, [samples_dir / "azure-monitor-storage" / "ms_graph_activity_logs.json"])
    workspace.config_file.write_text(
        f'[[agents]]\nid = "{SP}"\nkind = "service_principal"\n'
        'allowed_resources = ["graph:/users/*"]\n'
    )
    data = gather(workspace, "2025-04-11")  # no `agentaudit baseline` yet: no rollups
    agent = next(a for a in data.agents if a.id == SP)
    assert next(d for d in agent.activity if d.day == "2025-04-11").events == 23
    assert {t.resource for t in agent.touched} >= {"/users/{id}", "/$batch"}
