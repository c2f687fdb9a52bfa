"""The `stewards` view: each identity's sponsor and owners, from the registry, the directory
audits (owner added / removed on a service principal or an application, sponsors set) and
Defender's agent inventory, with the source of every fact."""

from __future__ import annotations

import pytest

from pipeline import baselines, catalog
from pipeline.workspace import Workspace

from .rows import write

APP_B = "0b0b0b0b-0000-4000-8000-00000000000b"
REGISTRY = f"""
[[agents]]
id = "SP-REG"
name = "Declared agent"
kind = "service_principal"
sponsor = "cfo@contoso.example"
owner = "platform@contoso.example"

[[agents]]
id = "sp-b"
app_id = "{APP_B}"
name = "Agent whose application gets an owner"
kind = "agent_identity"
"""


def _prop(name: str, new: str | None, old: str | None = None) -> dict:
    return {"name": name, "old_value": old, "new_value": new}


def _user(upn: str, *props: dict) -> dict:
    return {
        "id": f"u-{upn.split('@')[0]}",
        "type": "User",
        "user_principal_name": upn,
        "modified_properties": list(props),
    }


def _sp(object_id: str, *props: dict, type_: str = "ServicePrincipal") -> dict:
    return {"id": object_id, "type": type_, "modified_properties": list(props)}


def _owner_event(time: str, activity: str, owner: dict, owned: dict, result: str = "success"):
    return dict(event_time=time, activity=activity, result=result, targets=[owner, owned])


AUDITS = [
    # two owners added to sp-a, the first removed later: bob stays
    _owner_event(
        "2026-03-01T09:00:00",
        "Add owner to service principal",
        _user("ann@contoso.example", _prop("ServicePrincipal.ObjectID", "sp-a")),
        _sp("sp-a"),
    ),
    _owner_event(
        "2026-03-01T10:00:00",
        "Add owner to service principal",
        _user("bob@contoso.example", _prop("ServicePrincipal.ObjectID", "sp-a")),
        _sp("sp-a"),
    ),
    _owner_event(
        "2026-03-02T10:00:00",
        "Remove owner from service principal",
        _user("ann@contoso.example", _prop("ServicePrincipal.ObjectID", None, "sp-a")),
        _sp("sp-a"),
    ),
    # a failed addition is no owner
    _owner_event(
        "2026-03-02T11:00:00",
        "Add owner to service principal",
        _user("mallory@contoso.example"),
        _sp("sp-a"),
        result="failure",
    ),
    # an application's owner is its service principal's owner (app id -> principal_of_app)
    _owner_event(
        "2026-03-01T09:00:00",
        "Add owner to application",
        _user(
            "carl@contoso.example",
            _prop("Application.ObjectID", "app-obj-b"),
            _prop("Application.AppId", APP_B.upper()),
        ),
        _sp("app-obj-b", type_="Application"),
    ),
    # a service principal owning another one: an owner, typed service_principal
    _owner_event(
        "2026-03-01T09:00:00",
        "Add owner to service principal",
        _sp("sp-owner", _prop("ServicePrincipal.ObjectID", "sp-e")),
        _sp("sp-e"),
    ),
    # sponsors: the Sponsors property holds the list after the change
    dict(
        event_time="2026-03-01T12:00:00",
        activity="Update service principal",
        targets=[_sp("sp-a", _prop("Sponsors", '["sara@contoso.example"]', "[]"))],
    ),
    dict(
        event_time="2026-03-01T12:00:00",
        activity="Update service principal",
        targets=[_sp("sp-c", _prop("Sponsors", '["tom@contoso.example"]', "[]"))],
    ),
    dict(
        event_time="2026-03-02T12:00:00",
        activity="Update service principal",
        targets=[_sp("sp-c", _prop("Sponsors", "[]", '["tom@contoso.example"]'))],
    ),
    # the registry's declared sponsor wins over what an audit says
    dict(
        event_time="2026-03-01T12:00:00",
        activity="Update service principal",
        targets=[_sp("sp-reg", _prop("Sponsors", '["someone-else@contoso.example"]'))],
    ),
    # an activity that names the sponsor as its User target
    dict(
        event_time="2026-03-01T12:00:00",
        activity="Add sponsor to agent identity",
        targets=[_sp("sp-f", type_="AgentIdentity"), _user("una@contoso.example")],
    ),
    # attacker-controlled text is carried, never executed
    _owner_event(
        "2026-03-01T09:00:00",
        "Add owner to service principal",
        _user("x'); DROP VIEW stewards; --@evil.example"),
        _sp("sp-g"),
    ),
]


@pytest.fixture(scope="module")
def stewards(tmp_path_factory):
    workspace = Workspace.at(tmp_path_factory.mktemp("stewards") / "ws")
    workspace.root.mkdir(parents=True)
    workspace.config_file.write_text(REGISTRY)
    write(workspace, "audits", AUDITS)
    write(
        workspace,
        "agent_facts",
        [
            dict(
                event_time="2026-03-01T00:00:00",
                entra_agent_id="SP-D",
                owners=["dana@contoso.example"],
                created_by="eve@contoso.example",
            ),
            dict(
                event_time="2026-02-01T00:00:00",
                entra_agent_id="sp-d",
                owners=["old-owner@contoso.example"],
            ),
        ],
    )
    baselines.update(workspace)
    con = catalog.connect(workspace, read_only=True)
    rows = con.execute(
        "SELECT identity_id, sponsor, sponsor_source, owners, "
        "list_transform(owner_facts, lambda f: f.source) AS sources, "
        "list_transform(owner_facts, lambda f: f.owner_type) AS types FROM stewards"
    ).fetchall()
    con.close()
    return {r[0]: r[1:] for r in rows}


def test_registry_sponsor_and_owner_win(stewards):
    sponsor, source, owners, sources, _ = stewards["sp-reg"]
    assert (sponsor, source) == ("cfo@contoso.example", "registry")
    assert owners == ["platform@contoso.example"] and sources == ["registry"]


def test_owner_added_then_removed_is_no_owner(stewards):
    sponsor, source, owners, sources, types = stewards["sp-a"]
    assert owners == ["bob@contoso.example"]
    assert sources == ["audit"] and types == ["user"]
    assert (sponsor, source) == ("sara@contoso.example", "audit")


def test_application_owner_lands_on_its_service_principal(stewards):
    assert stewards["sp-b"][2] == ["carl@contoso.example"]
    assert "app-obj-b" not in stewards


def test_sponsor_list_emptied_means_no_sponsor(stewards):
    assert "sp-c" not in stewards or stewards["sp-c"][0] is None


def test_defender_inventory_latest_snapshot_then_creator(stewards):
    sponsor, _, owners, sources, _ = stewards["sp-d"]
    assert sponsor is None
    assert owners == ["dana@contoso.example", "eve@contoso.example"]
    assert sources == ["defender_inventory", "defender_created_by"]


def test_service_principal_owner_is_typed(stewards):
    assert stewards["sp-e"][2] == ["sp-owner"]
    assert stewards["sp-e"][4] == ["service_principal"]


def test_sponsor_named_by_activity(stewards):
    assert stewards["sp-f"][:2] == ("una@contoso.example", "audit")


def test_hostile_text_is_data(stewards):
    assert stewards["sp-g"][2] == ["x'); DROP VIEW stewards; --@evil.example"]
