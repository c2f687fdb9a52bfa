"""Shared fixtures: where the optional third-party inputs are, fresh workspaces, one generated run.

The real Entra samples and the compiled OCSF schema are third-party files kept outside the
repository. This is the one place that finds them: an environment variable names them
(``AGENTAUDIT_SAMPLES``: a folder, ``AGENTAUDIT_OCSF_SCHEMA``: a file), else ``shared/`` beside the
checkout. The suites that need them (and the browser tests, which need Chromium) skip without
them, and the run ends with one line naming what it skipped and how to turn it on.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SAMPLE_DATA = REPO / "sample_data"
SAMPLES_ENV = "AGENTAUDIT_SAMPLES"
OCSF_ENV = "AGENTAUDIT_OCSF_SCHEMA"


def _located(env: str, beside: Path) -> Path:
    value = os.environ.get(env, "").strip()
    return Path(value).expanduser().resolve() if value else beside


SAMPLES = _located(SAMPLES_ENV, SHARED / "samples")
OCSF_SCHEMA = _located(OCSF_ENV, SHARED / "ocsf" / "ocsf-schema-1.8.0.json")
#: Debian's chromium package (installed by .ci/run); PATH first
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")


@dataclass(frozen=True)
class OptionalSuite:
    """Tests that need something the repository does not hold; their skip reason says how."""

    name: str
    how: str

    @property
    def reason(self) -> str:
        return f"optional suite '{self.name}' is off: {self.how}"

    def skip(self) -> None:
        pytest.skip(self.reason)


REAL_SAMPLES = OptionalSuite(
    "real Entra samples",
    f"set {SAMPLES_ENV} to their folder or put shared/samples beside the checkout",
)
OCSF_VALIDATION = OptionalSuite(
    "OCSF schema validation",
    f"set {OCSF_ENV} to the compiled ocsf-schema-1.8.0.json or put shared/ocsf beside the checkout",
)
BROWSER = OptionalSuite("browser", "install chromium (apt-get install chromium), on PATH")
OPTIONAL_SUITES = (REAL_SAMPLES, OCSF_VALIDATION, BROWSER)


def pytest_configure(config: pytest.Config) -> None:
    """A variable that names a missing path is a mistake to say at once, not a quiet skip."""
    for env, path, kind in ((SAMPLES_ENV, SAMPLES, "folder"), (OCSF_ENV, OCSF_SCHEMA, "file")):
        right = path.is_dir() if kind == "folder" else path.is_file()
        if os.environ.get(env, "").strip() and not right:
            raise pytest.UsageError(f"{env}={os.environ[env]!r}: no such {kind}")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple | list) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """One line naming the optional suites that were skipped (with xdist: on the controller,
    from the workers' reports) and how to turn each on."""
    counts = dict.fromkeys(OPTIONAL_SUITES, 0)
    for report in terminalreporter.stats.get("skipped", []):
        reason = _skip_reason(report)
        for suite in OPTIONAL_SUITES:
            if suite.reason in reason:
                counts[suite] += 1
    skipped = [
        f"{suite.name} ({n} test{'s' * (n != 1)}: {suite.how})" for suite, n in counts.items() if n
    ]
    if skipped:
        terminalreporter.write_line("optional suites skipped: " + "; ".join(skipped))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The real Entra samples (third-party exports, outside the repository)."""
    if not SAMPLES.is_dir():
        REAL_SAMPLES.skip()
    return SAMPLES


@pytest.fixture(scope="session")
def ocsf_schema_file() -> Path:
    """The compiled OCSF 1.8.0 schema (outside the repository)."""
    if not OCSF_SCHEMA.is_file():
        OCSF_VALIDATION.skip()
    return OCSF_SCHEMA


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        BROWSER.skip()
    return CHROMIUM


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace (its lake folder exists, nothing in it yet)."""
    ws = Workspace.at(tmp_path / "ws")
    ws.lake.mkdir(parents=True)
    return ws


def _build_generated_run(folder: Path) -> None:
    from pipeline.generate import generate_tenant
    from pipeline.run import run_nightly

    generate_tenant(folder, days=9, seed=11, scale=0.03)
    run_nightly(Workspace.at(folder))


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A small generated tenant after one nightly run: lake, catalog, findings, report, OCSF
    file; 9 days, so its last days have a baseline. Read it, do not change it. Built once per
    test session: with pytest-xdist the first worker that needs it builds it under a lock in the
    session's shared temp folder and the others wait and reuse it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.mktemp("generated") / "ws"
        _build_generated_run(folder)
        return Workspace.at(folder)
    shared = tmp_path_factory.getbasetemp().parent / "generated-run"
    shared.mkdir(exist_ok=True)
    folder, done = shared / "ws", shared / "done"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            _build_generated_run(folder)
            done.touch()
    return Workspace.at(folder)


@pytest.fixture(scope="session", params=["our-copy", "compiled-schema"])
def validator(request: pytest.FixtureRequest):
    """An OCSF validator, twice: against our copy of the Detection Finding part of the schema
    (``tests/siem/ocsf_spec.py``: required attributes, types, enums; always), and against the
    compiled schema (the optional suite). For the SIEM tests, whose folder is on ``sys.path``."""
    from ocsf_spec import load_spec
    from ocsf_validator import OcsfValidator, load_schema

    if request.param == "our-copy":
        return OcsfValidator(load_spec())
    if not OCSF_SCHEMA.is_file():
        OCSF_VALIDATION.skip()
    return OcsfValidator(load_schema(OCSF_SCHEMA))
