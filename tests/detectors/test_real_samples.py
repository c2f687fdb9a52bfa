"""The detectors on a workspace built from every real Entra sample in ../shared/samples/."""

from __future__ import annotations

import pytest

from detectors import store
from detectors.engine import detect, discover_rules
from pipeline.ingest import ingest_paths


@pytest.fixture(scope="module")
def real_run(samples_dir, tmp_path_factory):
    from pipeline.workspace import Workspace

    ws = Workspace.at(tmp_path_factory.mktemp("real") / "ws")
    ingest_paths(ws, [samples_dir])
    summary = detect(ws)
    return ws, summary, store.read_findings(ws)


def test_every_rule_runs_without_error_on_real_samples(real_run) -> None:
    _, summary, _ = real_run
    assert summary.errors == []
    assert set(summary.rules_run) == {r.id for r in discover_rules()}
    # every day with sign-ins or activity was judged
    assert len(summary.days) >= 4


def test_application_password_is_a_credential_change(real_run) -> None:
    _, _, findings = real_run
    if "AA-G01" not in {r.id for r in discover_rules()}:
        pytest.skip("AA-G01 not written yet")
    creds = [f for f in findings if f.rule_id == "AA-G01"]
    assert creds, "the audit sample's 'Create application password' must be a credential change"
    assert any("application password" in f.explanation.lower() for f in creds)
    assert all(f.family == "credential_or_privilege_change" for f in creds)


def test_real_samples_raise_nothing_unexplained(real_run) -> None:
    """The lab tenants are small and short: no behavioural rule has a baseline there, so only
    declarative or early-life rules may fire, and each finding explains itself."""
    _, _, findings = real_run
    behavioural = {r.id for r in discover_rules() if r.behavioural}
    assert not [f.rule_id for f in findings if f.rule_id in behavioural]
    for f in findings:
        assert len(f.explanation) > 30 and f.evidence_event_ids


def test_detect_twice_never_duplicates(real_run) -> None:
    ws, _, first = real_run
    detect(ws)
    again = store.read_findings(ws)
    assert sorted(f.finding_id for f in again) == sorted(f.finding_id for f in first)
