"""The nightly run pushes to Sentinel when [siem.sentinel] is set, once per finding."""

from __future__ import annotations

import pytest
from collector import IngestionService

from pipeline.config import load_config
from pipeline.errors import AgentAuditError
from pipeline.siem.sentinel import COLUMN_NAMES
from pipeline.workspace import Workspace


def _sentinel(service: IngestionService) -> str:
    return (
        f'\n[siem.sentinel]\nendpoint = "{service.endpoint}"\n'
        f'dcr_id = "{service.dcr}"\nstream = "{service.stream}"\n'
    )


def test_run_pushes_every_night_and_a_second_run_sends_nothing_twice(tmp_path, monkeypatch):
    from detectors.store import read_findings
    from pipeline.generate import generate_tenant
    from pipeline.run import run_nightly

    service = IngestionService(COLUMN_NAMES)
    try:
        folder = tmp_path / "tenant"
        generate_tenant(folder, days=8, agents=18, humans=40, seed=5, scale=0.02)
        ws = Workspace.at(folder)
        with open(ws.config_file, "a", encoding="utf-8") as fh:
            fh.write(_sentinel(service))
        monkeypatch.setenv("AGENTAUDIT_SENTINEL_TOKEN", service.token)
        service.plan = [503]  # one busy answer on the way: retried within the run
        summary = run_nightly(ws)
        stage = {s.name: s for s in summary.stages}["sentinel"]
        only = summary.days_judged[0] if len(summary.days_judged) == 1 else None
        expected = {f.finding_id for f in read_findings(ws, only)}
        assert stage.summary["sent"] == len(expected) > 0 and stage.summary["spooled"] == 0
        assert set(service.ids()) == expected and len(service.ids()) == len(expected)
        assert service.problems == []
        run_nightly(ws)  # nothing new: nothing is sent again
        assert len(service.ids()) == len(expected)
    finally:
        service.close()


def test_sentinel_settings_are_checked(workspace):
    workspace.config_file.write_text('[siem.sentinel]\nendpoint = "ftp://x"\ndcr_id = "dcr-1"\n')
    with pytest.raises(AgentAuditError, match="https"):
        load_config(workspace)
    workspace.config_file.write_text('[siem.sentinel]\nendpoint = "https://x"\ndcr = "dcr-1"\n')
    with pytest.raises(AgentAuditError, match="dcr"):
        load_config(workspace)
    workspace.config_file.write_text(
        '[siem.sentinel]\nendpoint = "https://x.ingest.monitor.azure.com"\ndcr_id = "dcr-1"\n'
    )
    settings = load_config(workspace).siem.sentinel
    assert settings.stream == "Custom-AgentAuditFinding_CL" and not settings.redact
