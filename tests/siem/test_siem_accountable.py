"""The accountable human in OCSF: the acting identity is the affected resource
(``resources[0]``), its ``owner`` the accountable human, the basis a tag; validated (our copy of
the OCSF 1.8.0 part, and the compiled schema when found) for every basis, hostile text included."""

from __future__ import annotations

import pytest
from siem_findings import HOSTILE, make_finding

from pipeline.siem import to_ocsf

CASES = [
    ("cfo@contoso.example", "sponsor"),
    ("platform@contoso.example", "owner"),
    ("alice@contoso.example", "delegating_user"),
    (HOSTILE, "owner"),
]


@pytest.mark.parametrize(("name", "basis"), CASES, ids=["sponsor", "owner", "obo", "hostile"])
def test_accountable_human_owns_the_agent_resource(validator, name, basis):
    f = make_finding(3).model_copy(update={"accountable": name, "accountable_basis": basis})
    event = to_ocsf(f)
    assert validator.errors(event) == []
    (resource,) = event["resources"]
    assert resource["uid"] == f.identity.id and resource["type"] == f.identity.kind
    assert resource["owner"] == {"name": name, "type": "User", "type_id": 1}
    assert resource["tags"] == [{"name": "accountable_basis", "value": basis}]
    assert event["unmapped"]["accountable"] == {"name": name, "basis": basis}
    pivots = {o["name"]: o["value"] for o in event["observables"]}
    assert pivots["resources[0].owner.name"] == name


def test_unaccountable_finding_has_no_owner(validator):
    f = make_finding(4, accountable="unaccountable", accountable_basis="none")
    event = to_ocsf(f)
    assert validator.errors(event) == []
    (resource,) = event["resources"]
    assert "owner" not in resource
    assert resource["tags"] == [{"name": "accountable_basis", "value": "none"}]
    assert event["unmapped"]["accountable"] == {"name": "unaccountable", "basis": "none"}
    assert "resources[0].owner.name" not in {o["name"] for o in event["observables"]}


def test_validator_sees_a_misplaced_owner(validator):
    """The placement is checked, not assumed: an owner that is not a user object fails."""
    event = to_ocsf(make_finding(5).model_copy(update={"accountable_basis": "sponsor"}))
    event["resources"][0]["owner"] = "cfo@contoso.example"
    assert validator.errors(event)


def test_redaction_masks_the_accountable_human():
    from pipeline.siem.redact import Redactor

    f = make_finding(6).model_copy(
        update={"accountable": "cfo@contoso.example", "accountable_basis": "sponsor"}
    )
    masked = Redactor(b"k" * 32).finding(f)
    assert masked.accountable != f.accountable and "cfo" not in masked.accountable
    assert masked.accountable_basis == "sponsor"
    assert to_ocsf(masked)["resources"][0]["owner"]["name"] == masked.accountable
