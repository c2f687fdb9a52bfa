"""The catalog on real Entra samples and on the generated sample tenant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import baselines, catalog
from pipeline.config import load_config
from pipeline.workspace import Workspace

ingest = pytest.importorskip("pipeline.ingest")

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "sample_data"


def _rollups_add_up(con) -> None:
    """Every event counts once: a later version of an event (conflicting_duplicate) is in the
    tables and the events view, and out of the rollups."""
    once = "date IS NOT NULL AND NOT conflicting_duplicate"
    raw = con.execute(
        f"SELECT (SELECT count(*) FROM signins WHERE {once}) "
        f"+ (SELECT count(*) FROM activity WHERE {once})"
    ).fetchall()[0][0]
    events = con.execute(
        "SELECT count(*) FROM events WHERE day IS NOT NULL AND NOT conflicting_duplicate"
    ).fetchall()[0][0]
    rolled = con.execute("SELECT sum(events) FROM identity_day").fetchall()[0][0]
    assert raw == events == rolled > 0
    rows, flagged = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE conflicting_duplicate) FROM events "
        "WHERE day IS NOT NULL"
    ).fetchall()[0]
    assert rows == events + flagged


def test_real_samples(samples_dir, tmp_path):
    ws = Workspace.at(tmp_path / "ws")
    ingest.ingest_paths(ws, [samples_dir])
    summary = baselines.update(ws)
    assert summary.days_rolled_up
    con = catalog.connect(ws, read_only=True)
    try:
        _rollups_add_up(con)
        kinds = dict(
            con.execute(
                "SELECT table_name || ':' || identity_kind, count(*) FROM events GROUP BY 1"
            ).fetchall()
        )
        # every category of the samples resolves to its kind, nothing stays unknown
        assert {
            "signins:human",
            "signins:guest",
            "signins:service_principal",
            "signins:managed_identity",
            "activity:service_principal",
        } <= set(kinds)
        assert "signins:unknown" not in kinds
        assert con.execute("SELECT count(*) FROM events WHERE identity_id IS NULL").fetchall() == [
            (0,)
        ]
        # Graph paths of the samples are tagged by the built-in catalogue
        tags = {r[0] for r in con.execute("SELECT DISTINCT sensitivity FROM events").fetchall()}
        assert {"pii", "directory"} <= tags
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_tenant(tmp_path_factory) -> Workspace:
    if not (SAMPLE_DATA / "input").is_dir() or not any((SAMPLE_DATA / "input").iterdir()):
        pytest.skip("sample_data/ has no input yet")
    root = tmp_path_factory.mktemp("sample") / "ws"
    shutil.copytree(SAMPLE_DATA, root, ignore=shutil.ignore_patterns("lake", "catalog.duckdb*"))
    ws = Workspace.at(root)
    ingest.ingest_paths(ws, [root / "input"])
    baselines.update(ws)
    return ws


def test_sample_tenant_agents_resolve_to_their_kind(sample_tenant):
    config = load_config(sample_tenant)
    con = catalog.connect(sample_tenant, read_only=True)
    try:
        _rollups_add_up(con)
        seen = dict(
            (r[0], r[1:])
            for r in con.execute(
                "SELECT identity_id, actor_kind, kind_source, events FROM identities"
            ).fetchall()
        )
        active = 0
        for agent in config.agents:
            kind, source, events = seen[agent.id.lower()]
            assert kind == agent.kind, agent.name
            if events:
                active += 1
                expected = "registry" if agent.kind == "service_principal" else None
                assert source == expected or source == "entra_agent_fields", agent.name
        assert active >= len(config.agents) // 2
        obo_allowed = {a.id.lower() for a in config.agents if a.on_behalf_of}
        pairs = {r[0] for r in con.execute("SELECT agent_id FROM obo_pairs").fetchall()}
        assert obo_allowed & pairs, "the agents allowed to act for people have OBO pairs"
    finally:
        con.close()
