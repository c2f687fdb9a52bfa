"""Units committed in the commit thread while the next is read: a failed commit stops the run
with its error, leaves no temporary file and no manifest entry, and the next run completes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths, manifest
from pipeline.ingest.unit import CommitUnit
from pipeline.lake import TMP_SUFFIX
from pipeline.workspace import Workspace

from .records import lake_rows, read_quarantine
from .test_coalesce import _hourly_files


def _events(ws: Workspace) -> list[tuple]:
    rows = lake_rows(ws, "signins") + lake_rows(ws, "activity") + lake_rows(ws, "audits")
    return sorted((r["event_id"], r["source_file"], r["source_line"]) for r in rows)


def test_a_failed_commit_stops_the_run_and_the_next_run_completes(
    samples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = _hourly_files(samples_dir, tmp_path / "in", hours=4)
    clean = Workspace.at(tmp_path / "clean")
    reference = ingest_paths(clean, [tmp_path / "in"], chunk_bytes=4_000)
    ws = Workspace.at(tmp_path / "ws")
    real_commit = CommitUnit.commit
    calls = {"n": 0}

    def failing_commit(unit: CommitUnit) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_commit(unit)

    monkeypatch.setattr(CommitUnit, "commit", failing_commit)
    with pytest.raises(OSError, match="No space left"):
        ingest_paths(ws, [tmp_path / "in"], chunk_bytes=4_000)
    assert calls["n"] >= 3  # several units: the third one's commit failed
    assert not list(ws.lake.rglob(f"*{TMP_SUFFIX}"))
    recorded = {p.stem for p in (manifest.manifest_dir(ws) / "files").glob("*.json")}
    assert 0 < len(recorded) < len(made)  # the units before the failure, not the failed one
    monkeypatch.setattr(CommitUnit, "commit", real_commit)
    again = ingest_paths(ws, [tmp_path / "in"], chunk_bytes=4_000)
    assert again.conserved and again.files_skipped == len(recorded)
    assert _events(ws) == _events(clean)
    assert len(read_quarantine(ws)) == len(read_quarantine(clean)) == reference.quarantined


def test_the_own_lake_is_not_read_through_a_link(samples_dir: Path, tmp_path: Path) -> None:
    """Given a link to the workspace folder, its lake and catalog are still left out."""
    _hourly_files(samples_dir, tmp_path / "ws" / "exports", hours=1)
    ws = Workspace.at(tmp_path / "ws")
    first = ingest_paths(ws, [tmp_path / "ws"])
    assert first.rows_written_total > 0
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "ws", target_is_directory=True)
    again = ingest_paths(ws, [link])
    assert again.files_seen == first.files_seen  # the exports only, no lake file
    assert again.files_skipped == first.files_ingested and again.rows_read == 0
