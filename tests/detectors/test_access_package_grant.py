"""AA-G06 beyond its cases: hostile names are data, odd globs do not break it, a grant is judged
on the day it was assigned, and one finding covers an agent's assignments of a day."""

from __future__ import annotations

from detectors.cases import run_case
from detectors.rule import Case
from detectors.rules.aa_g06_access_package_grant import TOML, AccessPackageGrant, _grant

HOSTILE = "x'); DROP TABLE audits; -- <script>alert(1)</script> .* [ (?"


def _case(rows: list[dict], config: str = TOML, day: str = "2026-03-10") -> Case:
    return Case(name="g06", fires=True, day=day, config=config, rows={"audits": rows})


def test_hostile_package_names_and_patterns_are_data(tmp_path) -> None:
    config = TOML.replace('"Agents - *"', '"Finance [beta", "*]"')
    found = run_case(AccessPackageGrant, _case(_grant("h", package=HOSTILE), config), tmp_path)
    assert len(found) == 1
    assert HOSTILE in found[0].explanation
    assert "outside its declared access_packages (Finance reporting, Finance [beta, *])" in (
        found[0].explanation
    )


def test_a_grant_is_judged_on_the_day_it_was_assigned(tmp_path) -> None:
    rows = _grant("later", approver=None)
    assert run_case(AccessPackageGrant, _case(rows, day="2026-03-11"), tmp_path / "a") == []
    assert len(run_case(AccessPackageGrant, _case(rows), tmp_path / "b")) == 1


def test_one_finding_per_agent_and_day_names_every_package(tmp_path) -> None:
    rows = _grant("one", package="HR records") + _grant(
        "two", approver=None, expires=None, resource=("Global Reader", "DirectoryRole")
    )
    (finding,) = run_case(AccessPackageGrant, _case(rows), tmp_path)
    assert finding.severity == "high"
    assert finding.explanation.startswith("2 access package assignments to agent identity")
    assert "'HR records'" in finding.explanation and "'Finance reporting'" in finding.explanation
    # assignments of the same minute in package order: Finance reporting, then HR records
    assert finding.explanation.index("'Finance reporting'") < finding.explanation.index("'HR")
    assert finding.evidence_event_ids == tuple(r["event_id"] for r in rows[4:] + rows[:4])
    assert finding.identity.sponsor == "cfo@contoso.com"
