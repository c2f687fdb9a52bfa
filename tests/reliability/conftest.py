"""Fixtures of the reliability suite: small generated tenants (made once per session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.generate import generate_tenant
from pipeline.run import run_nightly
from pipeline.workspace import Workspace


@pytest.fixture(scope="session")
def small_tenant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated tenant of 7 days at a small volume: ~700 hourly storage files, ~13k events,
    a few corrupt lines (quarantine), gzip files."""
    folder = tmp_path_factory.mktemp("tenant") / "tenant"
    generate_tenant(
        folder, days=7, agents=18, humans=40, seed=11, scale=0.02, corrupt=0.002, gzip_files=True
    )
    return folder


@pytest.fixture(scope="session")
def few_files(small_tenant: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A couple of dozen of the tenant's files (every log category, several days): the fast
    crash trials' input."""
    files = sorted(p for p in (small_tenant / "input").rglob("*") if p.is_file())
    out = tmp_path_factory.mktemp("few") / "input"
    picked = files[:: max(1, len(files) // 24)]
    for i, path in enumerate(picked):
        target = out / path.parent.relative_to(small_tenant / "input") / f"{i:03d}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return out


@pytest.fixture(scope="session")
def samples_run(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace after one nightly run over every real sample (report, SIEM file, findings).
    Tests may add exports to it but must not change its lake."""
    ws = Workspace.at(tmp_path_factory.mktemp("samples-run") / "ws")
    run_nightly(ws, [str(samples_dir)])
    return ws
