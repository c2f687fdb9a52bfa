"""Identity resolution in the `events` view: every Entra agentType, each log category, the
registry overriding log categories (DESIGN.md section 5), and OBO as two identities."""

from __future__ import annotations

import pytest

from pipeline import baselines, catalog
from pipeline.identities import entra_kind
from pipeline.workspace import Workspace

from .rows import write

DAY = "2026-03-02T09:00:00"
REGISTRY = """
[[agents]]
id = "SP-REG"
name = "Classic reporting agent"
kind = "service_principal"
sponsor = "cfo@contoso.example"
on_behalf_of = true

[[agents]]
id = "u-agentuser"
kind = "agent_user"
name = "Declared agent user"

[[agents]]
id = "sp-parent"
kind = "agent_identity"
name = "Registered parent of an unregistered agent user"

[[agents]]
id = "sp-both"
app_id = "app-both"
kind = "service_principal"
name = "Registered and agentic"
blueprint = "bp-reg"
"""

SIGNINS = [
    # (case, row, expected identity_id, kind, kind_source, registered, on_behalf_of)
    (
        "agentic_instance",
        dict(
            log_type="service_principal",
            service_principal_id="sp-ai",
            app_id="app-ai",
            agent_type="agenticAppInstance",
            agent_parent_app_id="bp-1",
        ),
        "sp-ai",
        "agent_identity",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "case_insensitive",
        dict(
            log_type="service_principal",
            service_principal_id="sp-ai2",
            agent_type="AGENTICAPPINSTANCE",
        ),
        "sp-ai2",
        "agent_identity",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "agent_user",
        dict(
            log_type="non_interactive",
            user_id="u-au",
            app_id="app-ai",
            agent_type="agenticAppInstance",
            agent_subject_type="agentIDuser",
        ),
        "u-au",
        "agent_user",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "agent_user_type",
        dict(log_type="non_interactive", user_id="u-au2", agent_type="agentIDuser"),
        "u-au2",
        "agent_user",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "agentic_app",
        dict(log_type="service_principal", service_principal_id="sp-bp", agent_type="agenticApp"),
        "sp-bp",
        "agent_blueprint",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "blueprint_principal",
        dict(
            log_type="service_principal",
            service_principal_id="sp-bp2",
            agent_type="agentIdentityBlueprintPrincipal",
        ),
        "sp-bp2",
        "agent_blueprint",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "retired_builder",
        dict(
            log_type="service_principal",
            service_principal_id="sp-bp3",
            agent_type="agenticAppBuilder",
        ),
        "sp-bp3",
        "agent_blueprint",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "obo_signin",
        dict(
            log_type="interactive",
            user_id="U-Alice",
            user_principal_name="a@x",
            app_id="app-obo",
            agent_type="agenticAppInstance",
            agent_subject_type="notAgentic",
        ),
        "app-obo",
        "agent_identity",
        "entra_agent_fields",
        False,
        "u-alice",
    ),
    (
        "human",
        dict(
            log_type="interactive",
            user_id="u-bob",
            user_principal_name="bob@x",
            agent_type="notAgentic",
            user_type="Member",
        ),
        "u-bob",
        "human",
        "log_category",
        False,
        None,
    ),
    (
        "guest",
        dict(log_type="non_interactive", user_id="u-guest", user_type="Guest"),
        "u-guest",
        "guest",
        "log_category",
        False,
        None,
    ),
    (
        "managed_identity",
        dict(log_type="managed_identity", service_principal_id="sp-mi", app_id="app-mi"),
        "sp-mi",
        "managed_identity",
        "log_category",
        False,
        None,
    ),
    (
        "service_principal",
        dict(log_type="service_principal", service_principal_id="sp-plain", app_id="app-plain"),
        "sp-plain",
        "service_principal",
        "log_category",
        False,
        None,
    ),
    (
        "adfs_user",
        dict(log_type="adfs", user_principal_name="Carol@X"),
        "carol@x",
        "human",
        "log_category",
        False,
        None,
    ),
    ("unknown", dict(log_type="other"), None, "unknown", "none", False, None),
    (
        "registry_sp",
        dict(log_type="service_principal", service_principal_id="sp-reg", app_id="app-reg"),
        "sp-reg",
        "service_principal",
        "registry",
        True,
        None,
    ),
    (
        "registry_agent_user",
        dict(log_type="interactive", user_id="U-AGENTUSER", user_type="Member"),
        "u-agentuser",
        "agent_user",
        "registry",
        True,
        None,
    ),
    (
        "human_other_app",
        dict(log_type="interactive", user_id="u-dave", app_id="app-unregistered"),
        "u-dave",
        "human",
        "log_category",
        False,
        None,
    ),
    (
        "agent_user_of_registered_parent",
        dict(
            log_type="non_interactive",
            user_id="u-child",
            service_principal_id="sp-parent",
            app_id="app-parent",
            agent_type="agenticAppInstance",
            agent_subject_type="agentIDuser",
        ),
        "u-child",
        "agent_user",
        "entra_agent_fields",
        False,
        None,
    ),
    (
        "entra_beats_registry",
        dict(
            log_type="service_principal",
            service_principal_id="sp-both",
            agent_type="agenticAppInstance",
        ),
        "sp-both",
        "agent_identity",
        "entra_agent_fields",
        True,
        None,
    ),
]


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    workspace = Workspace.at(tmp_path_factory.mktemp("resolution") / "ws")
    workspace.root.mkdir(parents=True)
    workspace.config_file.write_text(REGISTRY)
    rows = []
    for name, row, *_ in SIGNINS:
        rows.append({"event_time": DAY, "correlation_id": name, **row})
    write(workspace, "signins", rows)
    write(
        workspace,
        "activity",
        [
            # app-only call by an agent known from its agent sign-in (by app id)
            dict(
                event_time=DAY,
                app_id="app-ai",
                token_type="app",
                operation_id="act_agent",
                resource_path="/users",
            ),
            # the same agent with Alice's delegated token: the agent acts, Alice is OBO
            dict(
                event_time=DAY,
                app_id="app-ai",
                user_id="u-alice",
                token_type="delegated",
                operation_id="act_obo",
                resource_path="/me/messages",
            ),
            # a registered classic agent (by object id) with a delegated token
            dict(
                event_time=DAY,
                service_principal_id="SP-REG",
                user_id="u-erin",
                token_type="delegated",
                operation_id="act_reg_obo",
                resource_path="/me",
            ),
            # an agent user acting with its own token
            dict(
                event_time=DAY,
                app_id="app-ai",
                user_id="u-au",
                token_type="delegated",
                operation_id="act_agent_user",
                resource_path="/me",
            ),
            # the unregistered agent user of a registered parent, with its own token
            dict(
                event_time=DAY,
                service_principal_id="sp-parent",
                user_id="u-child",
                token_type="delegated",
                operation_id="act_child",
                resource_path="/me",
            ),
            # a person using an ordinary app
            dict(
                event_time=DAY,
                app_id="app-office",
                user_id="u-bob",
                token_type="delegated",
                operation_id="act_human",
                resource_path="/me/drive/root",
            ),
            # an ordinary app-only service principal
            dict(
                event_time=DAY,
                app_id="app-plain",
                service_principal_id="sp-plain",
                token_type="app",
                operation_id="act_sp",
                resource_path="/groups",
            ),
        ],
    )
    write(
        workspace,
        "audits",
        [
            dict(
                event_time=DAY,
                initiator_id="u-bob",
                activity="Add owner to service principal",
                target_ids=["SP-AI", "u-bob"],
            ),
            dict(event_time=DAY, initiator_app_id="APP-PLAIN", target_ids=["sp-ai"]),
        ],
    )
    baselines.update(workspace)
    con = catalog.connect(workspace, read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("case", SIGNINS, ids=[c[0] for c in SIGNINS])
def test_signin_resolution(resolved, case):
    name, _row, identity, kind, source, registered, obo = case
    rows = resolved.execute(
        "SELECT e.identity_id, e.identity_kind, e.kind_source, e.registered, e.on_behalf_of_id "
        "FROM events e JOIN signins s USING (event_id) WHERE s.correlation_id = $c",
        {"c": name},
    ).fetchall()
    assert rows == [(identity, kind, source, registered, obo)]


ACTIVITY = [
    ("act_agent", "sp-ai", "agent_identity", "entra_agent_fields", None),
    ("act_obo", "sp-ai", "agent_identity", "entra_agent_fields", "u-alice"),
    ("act_reg_obo", "sp-reg", "service_principal", "registry", "u-erin"),
    ("act_agent_user", "u-au", "agent_user", "entra_agent_fields", None),
    ("act_human", "u-bob", "human", "log_category", None),
    ("act_child", "u-child", "agent_user", "entra_agent_fields", None),
    ("act_sp", "sp-plain", "service_principal", "log_category", None),
]


@pytest.mark.parametrize("case", ACTIVITY, ids=[c[0] for c in ACTIVITY])
def test_activity_resolution(resolved, case):
    op, identity, kind, source, obo = case
    rows = resolved.execute(
        "SELECT e.identity_id, e.identity_kind, e.kind_source, e.on_behalf_of_id "
        "FROM events e JOIN activity a USING (event_id) WHERE a.operation_id = $op",
        {"op": op},
    ).fetchall()
    assert rows == [(identity, kind, source, obo)]


def test_registry_names_sponsor_and_blueprint(resolved):
    row = resolved.execute(
        "SELECT identity_name, sponsor, blueprint FROM events WHERE identity_id = 'sp-reg' "
        "AND table_name = 'signins'"
    ).fetchall()
    assert row == [("Classic reporting agent", "cfo@contoso.example", None)]
    row = resolved.execute(
        "SELECT DISTINCT blueprint FROM events WHERE identity_id = 'sp-both'"
    ).fetchall()
    assert row == [("bp-reg",)]
    row = resolved.execute(
        "SELECT DISTINCT blueprint FROM events WHERE identity_id = 'sp-ai'"
    ).fetchall()
    assert row == [("bp-1",)]


def test_obo_pairs_name_both_identities(resolved):
    pairs = resolved.execute(
        "SELECT agent_id, user_id, events FROM obo_pairs ORDER BY agent_id, user_id"
    ).fetchall()
    assert pairs == [("app-obo", "u-alice", 1), ("sp-ai", "u-alice", 1), ("sp-reg", "u-erin", 1)]
    people = dict(
        resolved.execute(
            "SELECT identity_id, actor_kind FROM identities WHERE identity_id IN "
            "('u-alice', 'u-erin')"
        ).fetchall()
    )
    assert people == {"u-alice": "human", "u-erin": "human"}


def test_identities_table(resolved):
    rows = {
        r[0]: r[1:]
        for r in resolved.execute(
            "SELECT identity_id, actor_kind, kind_source, registered, signins, activity_events "
            "FROM identities"
        ).fetchall()
    }
    assert rows["sp-ai"] == ("agent_identity", "entra_agent_fields", False, 1, 2)
    assert rows["sp-reg"] == ("service_principal", "registry", True, 1, 1)
    assert rows["u-agentuser"] == ("agent_user", "registry", True, 1, 0)
    assert rows["u-bob"] == ("human", "log_category", False, 1, 1)
    assert None not in rows
    audits = dict(
        (r[0], r[1:])
        for r in resolved.execute(
            "SELECT identity_id, audits_initiated, audits_targeted FROM identities"
        ).fetchall()
    )
    assert audits["u-bob"] == (1, 1) and audits["sp-ai"] == (0, 2)
    # every registered agent is listed, seen or not
    assert {"sp-reg", "u-agentuser", "sp-both"} <= set(rows)


@pytest.mark.parametrize(
    ("agent_type", "subject", "kind"),
    [
        ("agenticAppInstance", None, "agent_identity"),
        ("agenticAppInstance", "agentIDuser", "agent_user"),
        ("agenticApp", None, "agent_blueprint"),
        ("agentIdentityBlueprintPrincipal", None, "agent_blueprint"),
        ("AgenticAppBuilder", None, "agent_blueprint"),
        ("notAgentic", None, None),
        (None, None, None),
    ],
)
def test_entra_kind_matches_sql_macro(agent_type, subject, kind):
    assert entra_kind(agent_type, subject) == kind
