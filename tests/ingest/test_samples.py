"""Every real Entra sample ingests, with concrete facts checked against the files themselves."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.ingest import ingest_paths
from pipeline.schema import METADATA_KEY, SCHEMA_VERSION, TABLES
from pipeline.workspace import Workspace

from .records import lake_rows, quarantine_rows

# file -> (rows read, table, rows written, duplicates)
EXPECTED = {
    "sign_in_logs.json": (5, "signins", 5, 0),
    "non_interactive_user_sign_in_logs.json": (14, "signins", 14, 0),
    "service_principal_sign_in_logs.json": (25, "signins", 25, 0),
    # the real duplicate: the same properties.id twice with different envelope times
    "managed_identity_sign_in_logs.json": (24, "signins", 23, 1),
    "audit_logs.json": (22, "audits", 22, 0),
    "ms_graph_activity_logs.json": (25, "activity", 25, 0),
    "risky_users_logs.json": (1, "risk_events", 1, 0),
    "user_risk_event_logs.json": (1, "risk_events", 1, 0),
    "adfs-signin-with-agent.jsonl": (1, "signins", 1, 0),
    # three records with the same id "Directory_ESQ" and different initiators: no exact
    # duplicate; the second and third land flagged conflicting_duplicate
    "auditlogs.jsonl": (3, "audits", 3, 0),
    # the last two lines are the same request (requestId f7839da0-…) once more, the last one
    # with a session id (c_Sid) the first lacks: other content, kept flagged
    "graph-activity.jsonl": (6, "activity", 6, 0),
    # one payload under five categories; MicrosoftServicePrincipalSignInLogs and
    # ServicePrincipalSignInLogs are both service_principal sign-ins with the same id
    "signinlogs-categories.jsonl": (5, "signins", 4, 1),
}


@pytest.fixture(scope="module")
def ingested(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    ws = Workspace.at(tmp_path_factory.mktemp("samples") / "ws")
    files = sorted(p for p in samples_dir.rglob("*") if p.is_file() and p.suffix != ".md")
    summary = ingest_paths(ws, files)
    return ws, summary


def test_every_sample_file_counts(ingested) -> None:
    _ws, summary = ingested
    by_name = {Path(f.file).name: f for f in summary.files}
    assert set(by_name) == set(EXPECTED)
    for name, (read, table, written, dups) in EXPECTED.items():
        result = by_name[name]
        assert result.error is None, name
        assert result.rows_read == read, name
        assert result.rows_written == {table: written}, name
        assert result.duplicates == dups, name
        assert result.quarantined == 0, name
    assert summary.rows_written == {"signins": 72, "audits": 25, "activity": 31, "risk_events": 2}
    assert summary.rows_read == 132
    assert summary.duplicates == 2
    assert summary.conflicting_duplicates == 3
    assert by_name["auditlogs.jsonl"].conflicting_duplicates == 2
    assert by_name["graph-activity.jsonl"].conflicting_duplicates == 1
    assert summary.quarantined == 0
    assert summary.conserved


def test_source_formats(ingested) -> None:
    ws, _ = ingested
    formats = {
        (Path(r["source_file"]).parent.name, r["source_format"]) for r in lake_rows(ws, "signins")
    }
    assert formats == {("azure-monitor-storage", "storage"), ("event-hub", "eventhub")}


def test_duplicate_lands_once(ingested, samples_dir: Path) -> None:
    ws, _ = ingested
    path = samples_dir / "azure-monitor-storage" / "managed_identity_sign_in_logs.json"
    ids = [json.loads(line)["properties"]["id"] for line in path.read_text().splitlines()]
    dup = next(i for i in ids if ids.count(i) == 2)
    rows = [r for r in lake_rows(ws, "signins") if r["event_id"] == dup]
    assert len(rows) == 1
    assert rows[0]["log_type"] == "managed_identity"
    assert rows[0]["actor_kind"] == "managed_identity"


def test_adfs_record(ingested) -> None:
    ws, _ = ingested
    (row,) = [r for r in lake_rows(ws, "signins") if r["log_type"] == "adfs"]
    assert row["agent_type"] == "notAgentic"
    assert row["agent_subject_type"] == "notAgentic"
    # notAgentic is no agent: the log category decides (a user sign-in)
    assert row["actor_kind"] == "human"
    assert row["actor_kind_source"] == "log_category"
    # the record's own time, not the US-format envelope "12/12/2025 3:03:58 PM"
    assert row["event_time"] == datetime(2025, 12, 12, 14, 56, 31, tzinfo=UTC)
    assert json.loads(row["raw"])["time"] == "12/12/2025 3:03:58 PM"
    assert row["user_principal_name"] == "april.oniel@turtles.com"
    assert row["actor_id"] == "494303c7-a485-446d-81ad-78d2a0502368"
    assert row["succeeded"] is True and row["error_code"] == 0


def test_offsets_converted_to_utc(ingested) -> None:
    ws, _ = ingested
    rows = [r for r in lake_rows(ws, "signins") if r["source_file"].endswith("categories.jsonl")]
    # createdDateTime 2019-10-18T04:45:48.0729893-05:00
    assert {r["event_time"] for r in rows} == {datetime(2019, 10, 18, 9, 45, 48, 72989, tzinfo=UTC)}
    assert {r["log_type"] for r in rows} == {
        "interactive",
        "non_interactive",
        "service_principal",
        "managed_identity",
    }
    row = rows[0]
    assert row["error_code"] == 50140 and row["succeeded"] is False
    assert row["country"] == "FR" and row["city"] == "Champs-Sur-Marne"
    assert row["latitude"] == pytest.approx(48.12341234)


def test_seven_digit_fractions_and_event_time_not_envelope(ingested) -> None:
    ws, _ = ingested
    rows = [r for r in lake_rows(ws, "signins") if r["source_file"].endswith("/sign_in_logs.json")]
    first = rows[0]
    # createdDateTime 2025-04-11T16:15:30.5431359+00:00, envelope time 16:17:00.7397744Z
    assert first["event_time"] == datetime(2025, 4, 11, 16, 15, 30, 543135, tzinfo=UTC)
    assert first["actor_kind"] == "human"
    assert first["device_os"] == "MacOs" and first["device_browser"] == "Chrome 135.0.0"
    assert first["app_display_name"] == "Azure Portal"


def test_audit_modified_properties_decoded(ingested) -> None:
    ws, _ = ingested
    rows = lake_rows(ws, "audits")
    first = next(r for r in rows if r["source_line"] == 1 and "storage" in r["source_format"])
    assert first["event_id"] == "Directory_56799948-c193-4c04-a059-751e0ae2bf18_L4422_30356247"
    assert first["event_time"] == datetime(2025, 4, 11, 8, 16, 11, 51138, tzinfo=UTC)
    assert first["category"] == "UserManagement"
    assert first["initiator_kind"] == "service_principal"
    assert first["initiator_id"] == "2edd2c40-c67c-46dc-8a62-31c4c971537b"
    (target,) = first["targets"]
    assert target["user_principal_name"] == "harry.potter@hogwarts.com"
    props = {p["name"]: (p["old_value"], p["new_value"]) for p in target["modified_properties"]}
    # double-encoded: "\"StrongAuthenticationMethod\"" -> StrongAuthenticationMethod
    assert props["Included Updated Properties"] == (None, "StrongAuthenticationMethod")
    assert props["TargetId.UserType"] == (None, "Member")
    assert props["StrongAuthenticationMethod"] == ("[]", '[{"MethodType":7,"Default":true}]')
    assert first["target_ids"] == ["76b99f43-d354-4512-8424-30e5c33b0011"]
    forced = [
        p
        for r in rows
        for t in r["targets"] or []
        for p in t["modified_properties"] or []
        if p["name"] == "ForceChangePassword"
    ]
    assert forced and forced[0]["old_value"] == "True" and forced[0]["new_value"] == "False"
    user_initiated = [r for r in rows if r["initiator_kind"] == "human"]
    assert user_initiated and all(r["initiator_id"] for r in user_initiated)


def test_graph_activity(ingested) -> None:
    ws, _ = ingested
    rows = lake_rows(ws, "activity")
    batch = next(r for r in rows if r["request_uri"].endswith("/$batch"))
    # roles split from one space-separated string
    assert batch["roles"] == [
        "ChannelMember.Read.All",
        "GroupMember.Read.All",
        "OnlineMeetings.Read.All",
        "TeamsAppInstallation.ReadForChat.All",
        "TeamsAppInstallation.ReadForTeam.All",
        "TeamsAppInstallation.ReadForUser.All",
        "TeamworkTag.Read.All",
        "User.Read.All",
    ]
    assert batch["scopes"] == []
    assert batch["token_type"] == "app"
    assert batch["actor_id"] == "fa32171d-e39b-4a6e-baf2-66c216643e05"
    assert batch["actor_kind"] == "service_principal"
    assert batch["resource_path"] == "/$batch"
    assert batch["duration_ms"] == 866182 and batch["status_code"] == 200
    delegated = [r for r in rows if r["token_type"] == "delegated"]
    assert len(delegated) == 3
    assert all(r["actor_id"] == r["user_id"] for r in delegated)
    photo = next(r for r in rows if "48x48" in r["request_uri"])
    assert photo["resource_path"] == "/users/{id}/photos/48x48/$value"
    assert photo["api_version"] == "beta" and photo["status_code"] == 404
    search = next(r for r in rows if "/devices" in r["request_uri"])
    assert search["resource_path"] == "/devices"
    session = [r["session_id"] for r in rows if r["session_id"]]
    assert session == ["xyz000"] or session == []


def test_risk_events(ingested) -> None:
    ws, _ = ingested
    rows = {r["risk_kind"]: r for r in lake_rows(ws, "risk_events")}
    assert set(rows) == {"risky_user", "user_risk_event"}
    event = rows["user_risk_event"]
    # activityDateTime "2025-04-14T3:15:37.008Z" (one-digit hour)
    assert event["event_time"] == datetime(2025, 4, 14, 3, 15, 37, 8000, tzinfo=UTC)
    assert event["risk_event_type"] == "anomalousToken" and event["country"] == "SG"
    assert event["actor_id"] == "b89d6c6b-b056-41e2-a5e2-3e33baec2e2e"
    risky = rows["risky_user"]
    assert risky["risk_level"] == "medium" and risky["risk_state"] == "atRisk"
    assert risky["event_time"] == datetime(2025, 4, 14, 11, 35, 37, 331000, tzinfo=UTC)


def test_raw_is_the_original_record(ingested, samples_dir: Path) -> None:
    ws, _ = ingested
    path = samples_dir / "azure-monitor-storage" / "sign_in_logs.json"
    lines = path.read_text().splitlines()
    rows = [r for r in lake_rows(ws, "signins") if r["source_file"] == str(path)]
    for row in rows:
        assert row["raw"] == lines[row["source_line"] - 1].strip()


def test_lake_layout_and_schema(ingested) -> None:
    ws, _ = ingested
    for table, schema in TABLES.items():
        if table == "agent_facts":  # no public sample of Defender's agent inventory
            continue
        files = sorted(ws.table_dir(table).glob("date=*/*.parquet"))
        assert files, table
        for file in files:
            meta = pq.read_schema(file)
            assert meta.metadata[METADATA_KEY] == SCHEMA_VERSION.encode()
            assert meta.names == schema.names
            day = file.parent.name.removeprefix("date=")
            times = pq.read_table(file, columns=["event_time"]).column(0).to_pylist()
            assert {t.strftime("%Y-%m-%d") for t in times} == {day}
    assert not list(ws.lake.rglob("*.tmp"))
    assert quarantine_rows(ws) == []


def test_second_run_is_a_no_op(ingested, samples_dir: Path) -> None:
    ws, _ = ingested
    before = sorted(p.name for p in ws.lake.rglob("*.parquet"))
    files = sorted(p for p in samples_dir.rglob("*") if p.is_file() and p.suffix != ".md")
    again = ingest_paths(ws, files)
    assert again.files_skipped == len(files)
    assert again.rows_read == 0 and again.rows_written_total == 0
    assert sorted(p.name for p in ws.lake.rglob("*.parquet")) == before
    manifest = json.loads(
        next((ws.lake / "_manifest" / "runs").glob(f"{again.run_id}.json")).read_text()
    )
    assert manifest["conserved"] is True
