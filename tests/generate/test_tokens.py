"""Token and session replay in the generated tenant (issue 18): the replayed agent token, the
stolen user session and their look-alikes, written with real field names in every export shape
and landing linked in the lake (sign-in ``unique_token_id`` = activity ``sign_in_activity_id``)."""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from pipeline.generate import generate_tenant
from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

KW = dict(days=7, agents=24, humans=40, scale=0.03, seed=5)
SIGNIN_FOLDERS = ("signinlogs", "noninteractiveusersigninlogs", "serviceprincipalsigninlogs")


def _labels(root: Path) -> dict:
    return json.loads((root / "labels.json").read_text())


def _records(root: Path, category: str) -> list[dict]:
    files = (root / "input").rglob(f"insights-logs-{category}/**/PT1H.json")
    return [json.loads(line)["properties"] for f in files for line in f.read_text().splitlines()]


@pytest.fixture(scope="module")
def storage(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("storage")
    generate_tenant(root, **KW)
    return root


@pytest.fixture(scope="module")
def raw(storage):
    signins = [r for c in SIGNIN_FOLDERS for r in _records(storage, c)]
    return signins, _records(storage, "microsoftgraphactivitylogs")


def _label(root: Path, lid: str) -> dict:
    labels = _labels(root)
    return next(x for x in labels["incidents"] + labels["benign"] if x["id"] == lid)


def test_replayed_agent_token(storage, raw) -> None:
    signins, graph = raw
    inc = _label(storage, "INC-S05-replayed-agent-token")
    assert inc["rule_ids"] == ["AA-S05"] and inc["family"] == "signin_anomaly"
    token = inc["token_id"]
    issued = [s for s in signins if s["uniqueTokenIdentifier"] == token]
    assert len(issued) == 1
    used = [g for g in graph if g["signInActivityId"] == token]
    assert {g["ipAddress"] for g in used} == {issued[0]["ipAddress"], *inc["replay_ips"]}
    assert len({g["userAgent"] for g in used}) == 2
    own = {s["ipAddress"] for s in signins if s["servicePrincipalId"] in inc["culprit_ids"]}
    assert not own & set(inc["replay_ips"])  # the thief never signed in
    assert set(inc["evidence_event_ids"]) == {issued[0]["id"]} | {g["requestId"] for g in used}


def test_stolen_user_session(storage, raw) -> None:
    signins, graph = raw
    inc = _label(storage, "INC-S05-stolen-user-session")
    same = [s for s in signins if s.get("sessionId") == inc["session_id"]]
    assert len(same) == 2
    assert len({s["autonomousSystemNumber"] for s in same}) == 2
    assert len({s["location"]["countryOrRegion"] for s in same}) == 2
    assert len({s["userAgent"] for s in same}) == 2
    calls = [g for g in graph if g["C_Sid"] == inc["session_id"]]
    assert {g["ipAddress"] for g in calls} == {s["ipAddress"] for s in same}


def _networks(signins: list[dict], ids: set[str]) -> dict[str, set[int]]:
    """Address -> the ASNs the identity's sign-ins from it name."""
    out: dict[str, set[int]] = defaultdict(set)
    for s in signins:
        if {s.get("userId"), s.get("servicePrincipalId")} & ids:
            out[s["ipAddress"]].add(s["autonomousSystemNumber"])
    return out


@pytest.mark.parametrize("lid", ["BEN-dual-stack-client", "BEN-provider-address-pool"])
def test_lookalikes_use_one_network(storage, raw, lid) -> None:
    """Each token of a look-alike is used from several addresses, every one seen in the
    identity's own sign-ins with one and the same ASN; the dual-stack one over IPv4 and IPv6."""
    signins, graph = raw
    trap = _label(storage, lid)
    assert trap["must_not_fire"] == ["AA-S05"]
    ids = set(trap["identity_ids"])
    nets = _networks(signins, ids)
    by_token: dict[str, set[str]] = defaultdict(set)
    for g in graph:
        if {g.get("userId"), g.get("servicePrincipalId")} & ids:
            by_token[g["signInActivityId"]].add(g["ipAddress"])
    shared = {t: a for t, a in by_token.items() if len(a) > 1}
    assert shared
    for addresses in shared.values():
        assert set().union(*(nets[a] for a in addresses)) == set(nets[next(iter(addresses))])
        assert all(len(nets[a]) == 1 for a in addresses)
    if lid == "BEN-dual-stack-client":
        versions = {ipaddress.ip_address(a).version for t in shared.values() for a in t}
        assert versions == {4, 6}


def _lake(ws: Workspace, table: str, sql: str, **params) -> list[tuple]:
    glob = str(ws.table_dir(table) / "date=*" / "*.parquet")
    rel = f"read_parquet('{glob}', hive_partitioning = false)"
    return duckdb.sql(sql.format(t=rel), params=params or None).fetchall()


@pytest.mark.parametrize("fmt", ["storage", "loganalytics-csv", "graph", "portal-csv"])
def test_tokens_and_sessions_link_in_every_shape(tmp_path, fmt) -> None:
    """In each export shape the token id, the session id and the activity's signInActivityId
    (Log Analytics: UniqueTokenIdentifier, SessionId, SignInActivityId) land in the lake."""
    root = tmp_path / "t"
    generate_tenant(root, fmt=fmt, **KW)
    ws = Workspace.at(tmp_path / "ws")
    ws.lake.mkdir(parents=True)
    done = ingest_paths(ws, [root / "input"])
    assert done.quarantined == 0, done.quarantine_reasons
    replay = _label(root, "INC-S05-replayed-agent-token")
    linked = _lake(
        ws,
        "activity",
        "SELECT count(*), count(DISTINCT ip_address) FROM {t} WHERE sign_in_activity_id = $tok",
        tok=replay["token_id"],
    )
    assert linked == [(32, 2)]
    issued = _lake(
        ws,
        "signins",
        "SELECT count(*) FROM {t} WHERE unique_token_id = $tok",
        tok=replay["token_id"],
    )
    assert issued == [(1,)]
    stolen = _label(root, "INC-S05-stolen-user-session")
    sessions = _lake(
        ws,
        "signins",
        "SELECT count(DISTINCT ip_address) FROM {t} WHERE session_id = $sid",
        sid=stolen["session_id"],
    )
    assert sessions == [(2,)]
    used = _lake(
        ws, "activity", "SELECT count(*) FROM {t} WHERE session_id = $sid", sid=stolen["session_id"]
    )
    assert used == [(33,)]
