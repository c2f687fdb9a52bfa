"""The sensitivity catalogue and the allowed_resources matcher, in Python and in SQL."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import catalog
from pipeline.config import parse_config
from pipeline.registry import registry_tables
from pipeline.sensitivity import (
    GRAPH_APP_ID,
    catalogue,
    matches,
    path_tags_table,
    pattern_table,
    tag_for,
)


@pytest.mark.parametrize(
    ("pattern", "kwargs", "expected"),
    [
        ("graph:/users/*/messages/**", {"resource_path": "/users/{id}/messages/{id}"}, True),
        ("graph:/users/*/messages/**", {"resource_path": "/v1.0/users/{id}/messages"}, True),
        ("graph:/users/*/messages/**", {"resource_path": "/users/{id}/events"}, False),
        ("graph:/users/*", {"resource_path": "/users/{id}/messages"}, False),
        ("graph:/sites/*/drive/**", {"resource_path": "/SITES/{id}/drive/items/{id}?$top=1"}, True),
        ("graph:/sites/**", {"resource_path": "/sites"}, True),
        ("graph:/sites/*/drive/**", {"resource": "Microsoft Graph"}, False),
        ("Microsoft Graph", {"resource": "microsoft graph "}, True),
        ("Microsoft Graph", {"resource_id": GRAPH_APP_ID}, False),
        (GRAPH_APP_ID.upper(), {"resource_id": GRAPH_APP_ID}, True),
        ("Dynamics 365 Finance", {"resource_path": "/users"}, False),
    ],
)
def test_matches(pattern, kwargs, expected):
    assert matches(pattern, **kwargs) is expected


@pytest.mark.parametrize(
    ("kwargs", "tag"),
    [
        ({"resource_path": "/users/{id}/messages/{id}"}, "mail"),
        ({"resource_path": "/users/{id}/manager"}, "hr"),
        ({"resource_path": "/users/{id}"}, "pii"),
        ({"resource_path": "/applications/{id}/addPassword"}, "credentials"),
        ({"resource_path": "/applications/{id}"}, "directory"),
        ({"resource_path": "/auditLogs/signIns"}, "audit"),
        ({"resource_path": "/me/drive/root/children"}, "files"),
        ({"resource_path": "/subscribedSkus"}, None),
        ({"resource": "Azure Key Vault"}, "secrets"),
        ({"resource_id": "00000002-0000-0ff1-ce00-000000000000"}, "mail"),
        ({"resource": "Microsoft Graph"}, None),
    ],
)
def test_builtin_tags(kwargs, tag):
    assert tag_for(None, **kwargs) == tag


def test_workspace_entries_extend_and_override():
    cfg = parse_config(
        '[[resources]]\nmatch = "graph:/subscribedSkus"\nsensitivity = "financial"\n'
        '[[resources]]\nmatch = "Azure Key Vault"\nsensitivity = "credentials"\n'
        '[[resources]]\nmatch = "graph:/users/**"\nsensitivity = "hr"\n'
    )
    assert tag_for(cfg, resource_path="/subscribedSkus") == "financial"
    assert tag_for(cfg, resource="azure key vault") == "credentials"
    # a workspace glob beats a built-in one, even a more specific built-in one
    assert tag_for(cfg, resource_path="/users/{id}/messages") == "hr"
    assert len([e for e in catalogue(cfg) if e.match.lower() == "azure key vault"]) == 1


def test_sql_tags_agree_with_python(workspace):
    paths = [
        "/users/{id}/messages/{id}",
        "/v1.0/users/{id}/manager",
        "/applications/{id}/addKey",
        "/subscribedSkus",
        "/me",
        "/groups/{id}/members",
        None,
    ]
    con = catalog.connect(workspace, read_only=True)
    try:
        for p in paths:
            got = con.execute("SELECT path_tag($p)", {"p": p}).fetchall()[0][0]
            assert got == tag_for(None, resource_path=p), p
    finally:
        con.close()


def test_allowed_resources_in_sql_agree_with_python():
    cfg = parse_config(
        '[[agents]]\nid = "a1"\nallowed_resources = ["Microsoft Graph", '
        '"graph:/sites/*/drive/**", "' + GRAPH_APP_ID + '"]\n'
    )
    con = duckdb.connect()
    con.register("registry_allowed", registry_tables(cfg)["registry_allowed"])
    con.register("sensitivity_patterns", pattern_table(None))
    con.execute(catalog.sql_text("macros").replace("{temp}", "TEMP"))
    events = [
        ("Microsoft Graph", None, None),
        (None, GRAPH_APP_ID, None),
        ("/sites/{id}/drive/items/{id}", None, "/sites/{id}/drive/items/{id}"),
        ("/users/{id}", None, "/users/{id}"),
        ("Azure Key Vault", None, None),
    ]
    for resource, rid, path in events:
        sql_says = con.execute(
            "SELECT bool_or(resource_allowed(kind, regex, key, $r, $i, $p)) "
            "FROM registry_allowed WHERE agent_id = 'a1'",
            {"r": resource, "i": rid, "p": path},
        ).fetchall()[0][0]
        py_says = any(matches(p, resource, rid, path) for p in cfg.agents[0].allowed_resources)
        assert sql_says == py_says, (resource, rid, path)


def test_path_tagger_agrees_with_tag_for():
    cfg = parse_config('[[resources]]\nmatch = "graph:/**/secrets"\nsensitivity = "secrets"\n')
    paths = [
        "/users/{id}/messages/{id}",
        "/users",
        "/users/{id}/manager",
        "/me",
        "/sites/{id}",
        "/applications/{id}/addpassword",
        "/x/secrets",
        "/$batch",
        "/",
        "",
        None,
        "/servicePrincipals/{id}/addKey",
        "/beta/auditLogs/directoryAudits?$top=5",
    ]
    table = path_tags_table(paths, cfg).to_pylist()
    assert [r["resource_path"] for r in table] == [p for p in paths if p is not None]
    for row in table:
        assert row["tag"] == tag_for(cfg, resource_path=row["resource_path"]), row
