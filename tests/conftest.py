"""Shared fixtures: the real Entra samples beside the checkout, and fresh workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO.parent / "shared" / "samples"
OCSF_SCHEMA = REPO.parent / "shared" / "ocsf" / "ocsf-schema-1.8.0.json"
SAMPLE_DATA = REPO / "sample_data"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not beside this checkout")
    return SAMPLES


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace (its lake folder exists, nothing in it yet)."""
    ws = Workspace.at(tmp_path / "ws")
    ws.lake.mkdir(parents=True)
    return ws
