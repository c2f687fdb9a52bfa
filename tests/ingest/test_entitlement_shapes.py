"""Entitlement Management audits land in `audits` from every export shape, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths

from .entitlement_records import OWNER, SHAPES, SPONSOR, bad_records, sponsor_chain
from .records import lake_rows


@pytest.mark.parametrize("shape", list(SHAPES))
def test_entitlement_management_chain_in_every_shape(tmp_path: Path, workspace, shape) -> None:
    write, source_format = SHAPES[shape]
    chain = sponsor_chain(shape)
    write(tmp_path / "in", chain)
    summary = ingest_paths(workspace, [tmp_path / "in"])
    assert summary.quarantined == 0, summary.quarantine_reasons
    assert summary.rows_written == {"audits": len(chain)}
    rows = {r["event_id"]: r for r in lake_rows(workspace, "audits")}
    assert set(rows) == {r["id"] for r in chain}
    for rec in chain:
        row = rows[rec["id"]]
        assert row["source_format"] == source_format
        assert row["category"] == "EntitlementManagement"
        assert row["activity"] == rec["activityDisplayName"]
        assert row["correlation_id"] == rec["correlationId"]
        assert row["event_time"] == datetime.fromisoformat(rec["activityDateTime"])
        assert [t["type"] for t in row["targets"]] == [t["type"] for t in rec["targetResources"]]
        agent = next(t for t in row["targets"] if t["type"] == "ServicePrincipal")
        assert agent["id"] == "agent-1" and agent["agent_type"] == "agenticAppInstance"
        assert "agent-1" in row["target_ids"]
        assert rec["id"] in row["raw"]
    request = rows[f"{shape}1"]
    assert request["initiator_kind"] == "human" and request["initiator_name"] == SPONSOR
    req_target = next(
        t for t in request["targets"] if t["type"] == "AccessPackageAssignmentRequest"
    )
    # JSON-in-string property values decoded, also by name
    assert req_target["modified"]["RequestType"]["new_value"] == "UserAdd"
    assert (
        req_target["modified"]["Schedule.Expiration.EndDateTime"]["new_value"]
        == "2026-06-10T10:00:00Z"
    )
    assert rows[f"{shape}3"]["initiator_name"] == OWNER
    fulfil = rows[f"{shape}4"]
    assert fulfil["initiator_kind"] == "service_principal"
    assert fulfil["initiator_name"] == "Entitlement Management"
    role = next(t for t in rows[f"{shape}5"]["targets"] if t["type"] == "AccessPackageResourceRole")
    assert role["display_name"] == "Finance readers"
    assert role["modified"]["OriginSystem"]["new_value"] == "AadGroup"


@pytest.mark.parametrize("shape", ["graph", "la_csv"])
def test_bad_entitlement_records_are_kept_with_their_raw(tmp_path: Path, workspace, shape):
    write, _ = SHAPES[shape]
    bad = bad_records()
    write(tmp_path / "in", bad)
    summary = ingest_paths(workspace, [tmp_path / "in"])
    assert summary.quarantined == 0, summary.quarantine_reasons
    rows = {r["event_id"]: r for r in lake_rows(workspace, "audits")}
    assert set(rows) == {r["id"] for r in bad}
    assert not rows["no-target"]["targets"] and not rows["empty-targets"]["targets"]
    assert rows["unknown"]["activity"] == "Reticulate access package splines"
    (_, broken) = rows["bad-props"]["targets"]
    assert broken["id"] == "agent-2" and not broken["modified_properties"]
    assert "not a list" in rows["bad-props"]["raw"]  # what the parser could not read is kept
    (_, junk) = rows["junk-props"]["targets"]
    assert junk["id"] == "agent-3"
    assert [m["name"] for m in junk["modified_properties"]] == [None, None]
    for row in rows.values():
        assert row["category"] == "EntitlementManagement"
        assert row["event_time"] == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
