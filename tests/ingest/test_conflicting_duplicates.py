"""Conflicting duplicates (issue 12): the same event id with other content is kept and flagged;
the same event with the same content is still dropped, so ingesting again changes nothing."""

from __future__ import annotations

import copy
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.catalog import connect
from pipeline.cli import cli
from pipeline.ingest import ingest_paths
from pipeline.schema import CONFLICT_COLUMN, TABLES
from pipeline.workspace import Workspace

from .records import lake_rows, sample_records, write_lines


@pytest.fixture(scope="module")
def signin(samples_dir: Path) -> dict:
    return sample_records(samples_dir, "service_principal_sign_in_logs.json")[0]


def _changed(record: dict, ip: str) -> dict:
    other = copy.deepcopy(record)
    other["properties"]["ipAddress"] = ip
    return other


def test_other_content_is_kept_flagged(tmp_path: Path, workspace: Workspace, signin) -> None:
    write_lines(tmp_path / "one.json", [signin])
    first = ingest_paths(workspace, [tmp_path / "one.json"])
    assert first.conflicting_duplicates == 0
    # the same event id saying something else, and the first record once more (another time
    # envelope: provenance, not content), in a later export
    again = copy.deepcopy(signin)
    again["time"] = "2030-01-01T00:00:00Z"
    write_lines(tmp_path / "two.json", [_changed(signin, "203.0.113.9"), again])
    second = ingest_paths(workspace, [tmp_path / "two.json"])
    assert second.rows_written == {"signins": 1} and second.duplicates == 1
    assert second.conflicting_duplicates == 1 and second.conserved
    assert any("conflicting duplicates: 1" in line for line in second.lines())
    rows = lake_rows(workspace, "signins")
    assert len(rows) == 2 and len({r["event_id"] for r in rows}) == 1
    by_file = {Path(r["source_file"]).name: r for r in rows}
    assert by_file["one.json"][CONFLICT_COLUMN] is False
    assert by_file["two.json"][CONFLICT_COLUMN] is True
    assert by_file["two.json"]["ip_address"] == "203.0.113.9"
    # the flagged version again, from yet another file: an exact duplicate, dropped
    write_lines(tmp_path / "three.json", [_changed(signin, "203.0.113.9"), signin])
    third = ingest_paths(workspace, [tmp_path / "three.json"])
    assert third.rows_written_total == 0 and third.duplicates == 2
    assert third.conflicting_duplicates == 0
    assert len(lake_rows(workspace, "signins")) == 2


def test_versions_in_one_file(tmp_path: Path, workspace: Workspace, signin) -> None:
    versions = [signin, _changed(signin, "198.51.100.1"), signin, _changed(signin, "198.51.100.2")]
    write_lines(tmp_path / "v.json", versions)
    summary = ingest_paths(workspace, [tmp_path / "v.json"])
    assert summary.rows_written == {"signins": 3} and summary.duplicates == 1
    assert summary.conflicting_duplicates == 2
    flags = {r["source_line"]: r[CONFLICT_COLUMN] for r in lake_rows(workspace, "signins")}
    assert flags == {1: False, 2: True, 4: True}
    # the CLI's summary counts them
    assert any("conflicting duplicates: 2" in line for line in summary.lines())


def test_cli_ingest_prints_the_count(tmp_path: Path, signin) -> None:
    write_lines(tmp_path / "in" / "v.json", [signin, _changed(signin, "198.51.100.3")])
    result = CliRunner().invoke(cli, ["ingest", "-w", str(tmp_path / "ws"), str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    assert "conflicting duplicates: 1 written row(s)" in result.output


def test_lake_of_schema_one_still_reads(tmp_path: Path, workspace: Workspace, signin) -> None:
    """Files written before the column existed read as not conflicting, beside new ones."""
    write_lines(tmp_path / "old.json", [signin])
    ingest_paths(workspace, [tmp_path / "old.json"])
    (path,) = workspace.table_dir("signins").glob("date=*/*.parquet")
    old = pq.read_table(path).drop_columns([CONFLICT_COLUMN])
    meta = {**(old.schema.metadata or {}), b"agentaudit.schema_version": b"1"}
    pq.write_table(old.replace_schema_metadata(meta), path.with_name("00000000-old.parquet"))
    path.unlink()
    write_lines(tmp_path / "new.json", [_changed(signin, "192.0.2.7"), signin])
    summary = ingest_paths(workspace, [tmp_path / "new.json"])
    assert summary.rows_written == {"signins": 1} and summary.duplicates == 1
    assert summary.conflicting_duplicates == 1
    con = connect(workspace)
    try:
        rows = con.execute(
            f"SELECT ip_address, {CONFLICT_COLUMN} FROM signins ORDER BY {CONFLICT_COLUMN}"
        ).fetchall()
    finally:
        con.close()
    assert rows == [(signin["properties"]["ipAddress"], False), ("192.0.2.7", True)]


def test_view_over_old_files_only(tmp_path: Path, workspace: Workspace, signin) -> None:
    write_lines(tmp_path / "old.json", [signin])
    ingest_paths(workspace, [tmp_path / "old.json"])
    (path,) = workspace.table_dir("signins").glob("date=*/*.parquet")
    pq.write_table(pq.read_table(path).drop_columns([CONFLICT_COLUMN]), path)
    con = connect(workspace)
    try:
        assert con.execute(f"SELECT {CONFLICT_COLUMN} FROM signins").fetchall() == [(False,)]
    finally:
        con.close()


def test_every_event_table_has_the_flag() -> None:
    for name, schema in TABLES.items():
        assert schema.field(CONFLICT_COLUMN).type == pa.bool_(), name


def test_rollups_count_an_event_once(tmp_path: Path, workspace: Workspace, signin) -> None:
    """The views hold both versions; the baselines (and detectors' day input) count one."""
    from pipeline import baselines

    write_lines(tmp_path / "v.json", [signin, _changed(signin, "198.51.100.4")])
    ingest_paths(workspace, [tmp_path / "v.json"])
    baselines.update(workspace)
    con = connect(workspace, read_only=True)
    try:
        rows = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {CONFLICT_COLUMN}) FROM events"
        ).fetchall()
        rolled = con.execute("SELECT sum(events) FROM identity_day").fetchall()
    finally:
        con.close()
    assert rows == [(2, 1)] and rolled == [(1,)]
