"""Creation channels (creation_channels.sql): each channel with the evidence that decided it,
legacy records without agentType typed through their service-principal tags, and unknown when
nothing says."""

from __future__ import annotations

import copy
import json
from typing import get_args

import pytest

from pipeline import baselines, catalog
from pipeline.config import CreationChannel
from pipeline.workspace import Workspace

from .rows import write

DAY = "2026-05-04"
FOUNDRY_EVIDENCE = "blueprint publisher Microsoft / app 'Azure AI Foundry'"
MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
REGISTRY = """
[[agents]]
id = "sp-declared"
name = "Declared helpdesk agent"
creation_channel = "copilot-studio"
"""


def prop(name: str, value) -> dict:
    text = value if isinstance(value, str) else json.dumps(value)
    return {"name": name, "old_value": None, "new_value": text}


def target(ident: str, type_: str, name: str, *props: dict, agent_type: str | None = None):
    return {
        "id": ident,
        "type": type_,
        "display_name": name,
        "agent_type": agent_type,
        "modified_properties": list(props),
    }


def audit(time: str, activity: str, tgt: dict, by: str, kind: str = "human", **extra) -> dict:
    row = {
        "event_time": f"{DAY}T{time}",
        "tenant_id": "contoso-tenant",
        "activity": activity,
        "category": "ApplicationManagement",
        "result": "success",
        "initiator_kind": kind,
        "initiator_name": by,
        "initiator_id": f"id-{by}",
        "targets": [tgt],
        "target_ids": [tgt["id"]],
    }
    row.update(extra)
    return row


def agent_signin(sp: str, name: str, agent_type: str | None = "agenticAppInstance", **extra):
    row = dict(
        event_time=f"{DAY}T12:00:00",
        tenant_id="contoso-tenant",
        log_type="service_principal",
        service_principal_id=sp,
        service_principal_name=name,
        app_id=f"app-{sp}",
        agent_type=agent_type,
        resource_display_name="Microsoft Graph",
        succeeded=True,
    )
    row.update(extra)
    return row


AUDITS = [
    # the Foundry blueprint: an app registration Microsoft's tenant owns, named for the product
    audit(
        "08:00:00",
        "Add application",
        target(
            "bp-foundry-obj",
            "Application",
            "Azure AI Foundry",
            prop("AppOwnerOrganizationId", [MICROSOFT_TENANT]),
        ),
        "Azure Machine Learning Services",
        kind="service_principal",
        additional_details={"AppId": "bp-foundry"},
    ),
    # a legacy Copilot Studio bot: a classic service principal with its power-virtual-agents tag
    audit(
        "08:10:00",
        "Add service principal",
        target(
            "sp-pva",
            "ServicePrincipal",
            "Helpdesk bot",
            prop("Tags", ["WindowsAzureActiveDirectoryIntegratedApp", "power-virtual-agents-1a2b"]),
        ),
        "Power Virtual Agents Service",
        kind="service_principal",
    ),
    # created by Security Copilot's first-party service
    audit(
        "08:20:00",
        "Add service principal",
        target("sp-sec", "ServicePrincipal", "Triage agent", agent_type="AgenticAppInstance"),
        "Medeina Service",
        kind="service_principal",
    ),
    # a vendor's blueprint principal a user consented to
    audit(
        "08:30:00",
        "Consent to application",
        target(
            "sp-vendor",
            "ServicePrincipal",
            "Vendor scheduling agent",
            prop("ConsentContext.IsAdminConsent", "False"),
            prop("AppOwnerOrganizationId", "vendor-tenant"),
            agent_type="agentIdentityBlueprintPrincipal",
        ),
        "bob@contoso.example",
    ),
    # a user's consent to a multi-tenant app: Entra logs the principal's creation and the consent
    # as one operation (one correlation id), the creation first
    audit(
        "08:31:00",
        "Add service principal",
        target("sp-consented", "ServicePrincipal", "Calendar agent", agent_type="AgenticApp"),
        "carol@contoso.example",
        correlation_id="op-7",
    ),
    audit(
        "08:31:01",
        "Consent to application",
        target(
            "sp-consented",
            "ServicePrincipal",
            "Calendar agent",
            prop("ConsentContext.IsAdminConsent", "False"),
        ),
        "carol@contoso.example",
        correlation_id="op-7",
    ),
    # a foreign tenant's blueprint calling itself Azure AI Foundry: the name is not believed
    audit(
        "08:35:00",
        "Consent to application",
        target(
            "sp-spoof",
            "ServicePrincipal",
            "Azure AI Foundry",
            prop("ConsentContext.IsAdminConsent", "True"),
            prop("AppOwnerOrganizationId", "evil-tenant"),
            agent_type="agentIdentityBlueprintPrincipal",
        ),
        "admin@contoso.example",
    ),
    # an admin from the Azure CLI
    audit(
        "08:40:00",
        "Add service principal",
        target("sp-cli", "ServicePrincipal", "Report agent", agent_type="AgenticAppInstance"),
        "admin@contoso.example",
        user_agent="python/3.11 (Linux) AZURECLI/2.61.0",
    ),
    # the registry wins over what the audit says
    audit(
        "08:50:00",
        "Add service principal",
        target("sp-declared", "ServicePrincipal", "Helpdesk", agent_type="AgenticAppInstance"),
        "admin@contoso.example",
    ),
    # legacy records without agentType: only the tags say these are agents
    audit(
        "09:00:00",
        "Update service principal",
        target("sp-legacy", "ServicePrincipal", "Old agent", prop("Tags", ["AgenticInstance"])),
        "admin@contoso.example",
    ),
    audit(
        "09:05:00",
        "Update service principal",
        target("sp-legacy-bp", "ServicePrincipal", "Old blueprint", prop("Tags", "AgenticApp")),
        "admin@contoso.example",
    ),
    # malformed Tags: kept, no crash, says nothing
    audit(
        "09:10:00",
        "Update service principal",
        target("sp-broken", "ServicePrincipal", "Broken", prop("Tags", '["unterminated')),
        "admin@contoso.example",
    ),
]

SIGNINS = [
    agent_signin("sp-foundry", "Invoice agent", agent_parent_app_id="bp-foundry"),
    agent_signin("sp-pva", "Helpdesk bot", agent_type=None),
    agent_signin("sp-legacy", "Old agent", agent_type=None),
    agent_signin("sp-legacy-bp", "Old blueprint", agent_type=None),
    agent_signin("sp-broken", "Broken", agent_type=None),
    agent_signin("sp-mystery", "Agent 7"),
    agent_signin("sp-named", "Copilot Studio helper"),
    agent_signin("sp-classic", "Backup job", agent_type=None),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    ws = Workspace.at(tmp_path_factory.mktemp("channels") / "ws")
    ws.root.mkdir(parents=True)
    ws.config_file.write_text(REGISTRY, encoding="utf-8")
    write(ws, "audits", AUDITS)
    write(ws, "signins", SIGNINS)
    baselines.update(ws)
    connection = catalog.connect(ws, read_only=True)
    yield connection
    connection.close()


def channel(con, ident: str) -> tuple:
    rows = con.execute(
        "SELECT creation_channel, creation_channel_evidence FROM creation_channels "
        "WHERE identity_id = ?",
        [ident],
    ).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("sp-declared", ("copilot-studio", "registry")),
        (
            "sp-foundry",
            ("azure-ai-foundry", FOUNDRY_EVIDENCE),
        ),
        ("sp-pva", ("copilot-studio", "tag power-virtual-agents-1a2b")),
        (
            "sp-sec",
            ("security-copilot", "Add service principal by app 'Medeina Service'"),
        ),
        ("sp-vendor", ("third-party-consent", "consent by user bob@contoso.example")),
        ("sp-spoof", ("third-party-consent", "admin consent by admin@contoso.example")),
        ("sp-consented", ("third-party-consent", "consent by user carol@contoso.example")),
        (
            "sp-cli",
            (
                "admin-or-api",
                "Add service principal by admin admin@contoso.example via Azure CLI",
            ),
        ),
        ("sp-named", ("copilot-studio", "name 'Copilot Studio helper'")),
        ("sp-mystery", ("unknown", "nothing in the logs says")),
        ("sp-legacy", ("unknown", "nothing in the logs says")),
    ],
)
def test_channel_and_evidence(con, ident, expected):
    assert channel(con, ident) == expected


def test_identities_carry_the_channel(con):
    rows = con.execute(
        "SELECT identity_id, creation_channel, creation_channel_evidence FROM identities "
        "WHERE identity_id IN ('sp-foundry', 'sp-pva', 'sp-classic') ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("sp-classic", None, None),  # not an agent: no channel
        ("sp-foundry", "azure-ai-foundry", FOUNDRY_EVIDENCE),
        ("sp-pva", "copilot-studio", "tag power-virtual-agents-1a2b"),
    ]


def test_legacy_records_without_agent_type_are_typed_by_their_tags(con):
    rows = con.execute(
        "SELECT identity_id, actor_kind, kind_source FROM identities "
        "WHERE identity_id IN ('sp-legacy', 'sp-legacy-bp', 'sp-pva', 'sp-broken', 'sp-classic') "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("sp-broken", "service_principal", "log_category"),
        ("sp-classic", "service_principal", "log_category"),
        ("sp-legacy", "agent_identity", "sp_tags"),
        ("sp-legacy-bp", "agent_blueprint", "sp_tags"),
        ("sp-pva", "agent_identity", "sp_tags"),
    ]


def test_entra_agent_fields_beat_tags_and_blueprint_is_known(con):
    rows = con.execute(
        "SELECT identity_id, identity_kind, blueprint, tags FROM creation_channels "
        "WHERE identity_id IN ('sp-foundry', 'sp-pva') ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("sp-foundry", "agent_identity", "bp-foundry", []),
        (
            "sp-pva",
            "agent_identity",
            None,
            ["WindowsAzureActiveDirectoryIntegratedApp", "power-virtual-agents-1a2b"],
        ),
    ]


def test_malformed_tags_are_kept_and_say_nothing(con):
    (count,) = con.execute(
        "SELECT count(*) FROM audits WHERE list_contains(target_ids, 'sp-broken')"
    ).fetchone()
    assert count == 1
    assert con.execute(
        "SELECT count(*) FROM creation_channels WHERE identity_id = 'sp-broken'"
    ).fetchone() == (0,)


def test_creation_event_is_named(con):
    row = con.execute(
        "SELECT created_by, creation_activity FROM creation_channels WHERE identity_id = 'sp-cli'"
    ).fetchone()
    assert row == ("admin@contoso.example", "Add service principal")


def test_channels_are_peer_groups_after_blueprint_and_before_kind(con):
    baselines.set_history(con, "2026-05-05")
    rows = con.execute(
        "SELECT identity_id, peer_group FROM peer_groups "
        "WHERE identity_id IN ('sp-foundry', 'sp-pva', 'sp-mystery', 'sp-classic') ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("sp-classic", "service_principal"),  # not an agent: its kind
        ("sp-foundry", "bp-foundry"),  # a blueprint first
        ("sp-mystery", "agent_identity"),  # channel unknown: its kind
        ("sp-pva", "channel:copilot-studio"),
    ]


def _azure_monitor_audit(base: dict, event_id: str, activity: str, target: dict, **props) -> dict:
    """A copy of a real Azure Monitor AuditLogs record turned into ``activity`` on ``target``,
    initiated by a person from ``props['user_agent']`` (additionalDetails' User-Agent)."""
    rec = copy.deepcopy(base)
    p = rec["properties"]
    rec["operationName"] = p["operationName"] = p["activityDisplayName"] = activity
    p["id"] = event_id
    p["category"] = "ApplicationManagement"
    p["initiatedBy"] = {
        "user": {"id": "u-admin", "userPrincipalName": "admin@contoso.example", "ipAddress": None}
    }
    p["targetResources"] = [target]
    p["additionalDetails"] = [{"key": "User-Agent", "value": props.get("user_agent", "")}]
    return rec


def test_real_shaped_records_through_ingest(samples_dir, tmp_path):
    """Entra's own shape: modifiedProperties newValue is JSON text ('[\"…\"]', '\"False\"')."""
    from ingest.records import sample_records, write_lines  # tests/ingest (tests/ is on the path)

    from pipeline.ingest import ingest_paths

    base = sample_records(samples_dir, "audit_logs.json")[0]
    legacy_bot = {
        "id": "0a1b2c3d-0000-4000-8000-00000000b07a",
        "displayName": "Helpdesk bot",
        "type": "ServicePrincipal",
        "modifiedProperties": [
            {
                "displayName": "Tags",
                "oldValue": "[]",
                "newValue": '["WindowsAzureActiveDirectoryIntegratedApp",'
                '"power-virtual-agents-9c1d"]',
            }
        ],
    }
    consented = {
        "id": "0a1b2c3d-0000-4000-8000-0000000000bb",
        "displayName": "Vendor blueprint",
        "type": "ServicePrincipal",
        "modifiedProperties": [
            {
                "displayName": "ConsentContext.IsAdminConsent",
                "oldValue": None,
                "newValue": '"False"',
            },
            {"displayName": "Tags", "oldValue": None, "newValue": '["AgenticApp"]'},
        ],
    }
    path = write_lines(
        tmp_path / "in" / "audit_logs.json",
        [
            _azure_monitor_audit(base, "Directory_e2e_1", "Add service principal", legacy_bot),
            _azure_monitor_audit(base, "Directory_e2e_2", "Consent to application", consented),
        ],
    )
    ws = Workspace.at(tmp_path / "ws")
    assert ingest_paths(ws, [path]).conserved
    baselines.update(ws)
    con = catalog.connect(ws, read_only=True)
    try:
        rows = con.execute(
            "SELECT identity_id, identity_kind, tag_kind, creation_channel, "
            "creation_channel_evidence FROM creation_channels ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        (
            "0a1b2c3d-0000-4000-8000-0000000000bb",
            "agent_blueprint",
            "agent_blueprint",
            "third-party-consent",
            "consent by user admin@contoso.example",
        ),
        (
            "0a1b2c3d-0000-4000-8000-00000000b07a",
            "agent_identity",
            "agent_identity",
            "copilot-studio",
            "tag power-virtual-agents-9c1d",
        ),
    ]


def test_registry_channel_is_checked():
    from pipeline.config import parse_config
    from pipeline.errors import AgentAuditError

    text = '[[agents]]\nid = "a1"\ncreation_channel = "chatgpt"\n'
    with pytest.raises(AgentAuditError, match=r"agentaudit.toml:3: 'agents\[0\].creation_channel'"):
        parse_config(text)
    ok = parse_config('[[agents]]\nid = "a1"\ncreation_channel = "admin-or-api"\n')
    assert ok.agents[0].creation_channel == "admin-or-api"


def test_every_generated_agent_gets_the_channel_the_generator_planted(tmp_path):
    """The generated tenant's ground truth (labels.json creation_channels): product-made
    blueprints and their agents, Copilot Studio tags, consents (by users and admins), admins'
    creations and the shadow agent nothing tells about, each decided as planted."""
    from pipeline.generate import generate_tenant
    from pipeline.ingest import ingest_paths

    generate_tenant(tmp_path / "t", fmt="storage", days=8, agents=24, humans=40, scale=0.05, seed=5)
    ws = Workspace.at(tmp_path / "t")
    assert ingest_paths(ws, [tmp_path / "t" / "input"]).conserved
    baselines.update(ws)
    truth = json.loads((tmp_path / "t" / "labels.json").read_text())["creation_channels"]
    con = catalog.connect(ws, read_only=True)
    try:
        got = dict(
            con.execute("SELECT identity_id, creation_channel FROM creation_channels").fetchall()
        )
    finally:
        con.close()
    assert {c["creation_channel"] for c in truth} == set(get_args(CreationChannel))
    wrong = [
        (c["name"], c["creation_channel"], got.get(c["id"].lower()))
        for c in truth
        if got.get(c["id"].lower()) != c["creation_channel"]
    ]
    assert not wrong
