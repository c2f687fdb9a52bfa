"""The workspace honours [workspace] lake from agentaudit.toml."""

from __future__ import annotations

from pathlib import Path

from pipeline.workspace import Workspace


def test_lake_defaults_to_lake_folder(tmp_path: Path) -> None:
    assert Workspace.at(tmp_path).lake == tmp_path / "lake"


def test_lake_setting_is_relative_to_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "agentaudit.toml").write_text('[workspace]\nlake = "data/lake"\n')
    ws = Workspace.at(tmp_path)
    assert ws.lake == tmp_path / "data" / "lake"
    assert ws.quarantine == tmp_path / "data" / "lake" / "_quarantine"


def test_broken_config_falls_back_and_leaves_the_error_to_load_config(tmp_path: Path) -> None:
    (tmp_path / "agentaudit.toml").write_text("[workspace\n")
    assert Workspace.at(tmp_path).lake == tmp_path / "lake"
