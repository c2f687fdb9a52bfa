"""Rollups and baseline views on hand-written rows, with the expected output rows."""

from __future__ import annotations

import math
import os
import time
from datetime import date

import pytest

from pipeline import baselines, catalog
from pipeline.workspace import Workspace

from .rows import write

D1, D2, D3 = "2026-04-01", "2026-04-02", "2026-04-03"  # Wednesday, Thursday, Friday


def build(workspace):
    write(
        workspace,
        "signins",
        [
            dict(
                event_time=f"{D1}T09:00:00",
                log_type="service_principal",
                service_principal_id="sp-x",
                app_id="app-x",
                resource_display_name="Microsoft Graph",
                ip_address="1.1.1.1",
                autonomous_system_number=100,
                country="us",
                credential_key_id="k1",
                succeeded=True,
            ),
        ],
    )
    write(
        workspace,
        "activity",
        [
            dict(
                event_time=f"{D1}T10:00:00",
                service_principal_id="sp-x",
                app_id="app-x",
                token_type="app",
                resource_path="/users",
                ip_address="1.1.1.1",
                status_code=200,
                response_size_bytes=100,
            ),
            dict(
                event_time=f"{D1}T23:30:00",
                service_principal_id="sp-x",
                app_id="app-x",
                token_type="app",
                resource_path="/users",
                ip_address="1.1.1.1",
                status_code=500,
                response_size_bytes=50,
            ),
            dict(
                event_time=f"{D2}T12:00:00",
                service_principal_id="sp-x",
                app_id="app-x",
                token_type="app",
                resource_path="/groups",
                ip_address="2.2.2.2",
                status_code=200,
                response_size_bytes=10,
            ),
            dict(
                event_time=f"{D2}T12:00:00",
                service_principal_id="sp-y",
                app_id="app-y",
                token_type="app",
                resource_path="/groups",
                ip_address="3.3.3.3",
                status_code=200,
            ),
            dict(
                event_time=f"{D3}T08:00:00",
                service_principal_id="sp-x",
                app_id="app-x",
                token_type="app",
                resource_path="/sites/{id}/drive",
                ip_address="1.1.1.1",
                status_code=200,
            ),
        ],
    )
    summary = baselines.update(workspace)
    assert summary.days_rolled_up == [D1, D2, D3]
    assert summary.events == 6 and summary.identity_days == 4
    return workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(Workspace.at(tmp_path_factory.mktemp("baselines") / "ws"))


@pytest.fixture
def lake(built):
    con = catalog.connect(built, read_only=True)
    yield con
    con.close()


def rows(con, sql, **params):
    return con.execute(sql, params).fetchall()


def test_identity_day_rollup(lake):
    cols = (
        "events, signins, failed_signins, requests, failed_requests, obo_events, "
        "distinct_resources, distinct_paths, distinct_ips, distinct_asns, distinct_countries, "
        "distinct_user_agents, distinct_credential_keys, bytes, sensitive_events, "
        "active_hours, night_events, identity_kind, kind_source"
    )
    got = rows(
        lake,
        f"SELECT {cols} FROM identity_day WHERE identity_id = 'sp-x' AND day = $d",
        d=date(2026, 4, 1),
    )
    assert got == [
        (3, 1, 0, 2, 1, 0, 2, 1, 1, 1, 1, 0, 1, 150, 2, 3, 1, "service_principal", "log_category")
    ]
    share = rows(
        lake,
        "SELECT sensitive_share FROM identity_day WHERE identity_id = 'sp-x' AND day = $d",
        d=date(2026, 4, 1),
    )[0][0]
    assert share == pytest.approx(2 / 3)


def test_identity_day_values(lake):
    got = rows(
        lake,
        "SELECT dimension, value, events FROM identity_day_values "
        "WHERE identity_id = 'sp-x' AND day = $d ORDER BY dimension, value",
        d=date(2026, 4, 1),
    )
    assert got == [
        ("app", "app-x", 3),
        ("asn", "100", 1),
        ("country", "US", 1),
        ("credential_key", "k1", 1),
        ("hour_of_week", "57", 1),  # Wednesday 09h: (3 - 1) * 24 + 9
        ("hour_of_week", "58", 1),
        ("hour_of_week", "71", 1),
        ("ip", "1.1.1.1", 3),
        ("resource", "/users", 2),
        ("resource", "Microsoft Graph", 1),
        ("resource_path", "/users", 2),
    ]


def test_rollups_add_up_to_raw_events(lake):
    raw = rows(lake, "SELECT count(*) FROM events")[0][0]
    rolled = rows(lake, "SELECT sum(events) FROM identity_day")[0][0]
    per_dim = rows(
        lake, "SELECT sum(events) FROM identity_day_values WHERE dimension = 'hour_of_week'"
    )[0][0]
    assert raw == rolled == per_dim == 6


def test_history_is_strictly_before_the_day(lake):
    baselines.set_history(lake, D2)
    got = rows(
        lake,
        "SELECT identity_id, value, events, days_seen FROM history_values "
        "WHERE dimension = 'ip' ORDER BY 1, 2",
    )
    assert got == [("sp-x", "1.1.1.1", 3, 1)]
    baselines.set_history(lake, D3)
    got = rows(
        lake,
        "SELECT identity_id, value, events, days_seen FROM history_values "
        "WHERE dimension = 'ip' ORDER BY 1, 2",
    )
    assert got == [("sp-x", "1.1.1.1", 3, 1), ("sp-x", "2.2.2.2", 1, 1), ("sp-y", "3.3.3.3", 1, 1)]
    # a one-day look-back only sees the day before
    baselines.set_history(lake, D3, lookback_days=1)
    got = rows(
        lake,
        "SELECT DISTINCT identity_id, value FROM history_values "
        "WHERE dimension = 'ip' ORDER BY 1, 2",
    )
    assert got == [("sp-x", "2.2.2.2"), ("sp-y", "3.3.3.3")]


def test_history_volume(lake):
    baselines.set_history(lake, D3)
    got = rows(
        lake,
        "SELECT days_active, events_mean, events_std, events_p50, events_max, "
        "bytes_mean, failures_max, sensitive_max FROM history_volume "
        "WHERE identity_id = 'sp-x'",
    )
    (days, mean, std, p50, mx, bytes_mean, failures, sensitive) = got[0]
    assert (days, mean, p50, mx, bytes_mean, failures, sensitive) == (2, 2.0, 2.0, 3, 80.0, 1, 2)
    assert std == pytest.approx(math.sqrt(2))


def test_peer_and_tenant_values(lake):
    baselines.set_history(lake, D3)
    got = rows(
        lake,
        "SELECT peer_group, value, identities, peers FROM peer_values "
        "WHERE dimension = 'resource' ORDER BY value",
    )
    assert got == [
        ("service_principal", "/groups", 2, 2),
        ("service_principal", "/users", 1, 2),
        ("service_principal", "Microsoft Graph", 1, 2),
    ]
    got = rows(
        lake,
        "SELECT value, identities FROM tenant_values WHERE dimension = 'resource' ORDER BY value",
    )
    assert got == [("/groups", 2), ("/users", 1), ("Microsoft Graph", 1)]


def test_learning_state_and_day_views(lake):
    baselines.set_history(lake, D3, min_days=2, min_events=3)
    got = rows(
        lake,
        "SELECT identity_id, days_active, events, state, learning FROM learning_state ORDER BY 1",
    )
    assert got == [("sp-x", 2, 4, "established", False), ("sp-y", 1, 1, "learning", True)]
    assert rows(lake, "SELECT identity_id, resource FROM day_events") == [
        ("sp-x", "/sites/{id}/drive")
    ]
    assert rows(lake, "SELECT identity_id, events FROM day_identity") == [("sp-x", 1)]


def test_windows(lake):
    baselines.set_history(lake, "2026-04-09")
    got = rows(
        lake,
        "SELECT identity_id, events_7d, events_30d, days_7d, days_90d "
        "FROM volume_windows ORDER BY 1",
    )
    # 7 days before 04-09 start at 04-02: day 1 falls outside the 7-day window
    assert got == [("sp-x", 2, 5, 2, 3), ("sp-y", 1, 1, 1, 1)]
    got = rows(
        lake,
        "SELECT events_7d, events_90d, days_90d FROM history_windows "
        "WHERE identity_id = 'sp-x' AND dimension = 'ip' AND value = '1.1.1.1'",
    )
    assert got == [(1, 4, 2)]


def test_update_is_incremental(workspace):
    build(workspace)
    again = baselines.update(workspace)
    assert again.days_rolled_up == [] and again.days_skipped == 3
    # a late file for day 2 makes day 2 (only) stale
    time.sleep(0.01)
    write(
        workspace,
        "activity",
        [
            dict(
                event_time=f"{D2}T13:00:00",
                service_principal_id="sp-y",
                token_type="app",
                resource_path="/groups",
            )
        ],
        batch="late",
    )
    future = time.time() + 5
    for p in workspace.table_dir("activity").glob(f"date={D2}/late.parquet"):
        os.utime(p, (future, future))
    assert baselines.days_to_roll_up(workspace) == [D2]
    assert baselines.update(workspace).days_rolled_up == [D2]
    assert baselines.update(workspace, rebuild=True).days_rolled_up == [D1, D2, D3]


def test_empty_lake_has_typed_views(workspace):
    con = catalog.connect(workspace)
    try:
        for view in (
            "events",
            "signins",
            "audits",
            "activity",
            "risk_events",
            "agent_facts",
            "quarantine",
            "findings",
            "identities",
            "obo_pairs",
            "identity_day",
        ):
            assert con.execute(f"SELECT count(*) FROM {view}").fetchall() == [(0,)]
        baselines.set_history(con, D1)
        assert con.execute("SELECT count(*) FROM history_volume").fetchall() == [(0,)]
    finally:
        con.close()
    assert baselines.update(workspace).days_rolled_up == []


def test_days_with_events(built):
    assert baselines.days_with_events(built) == [
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
    ]


def test_identities_snapshot_in_the_lake(built):
    import pyarrow.parquet as pq

    snap = pq.read_table(built.lake / "identities" / "identities.parquet").to_pylist()
    assert [(r["identity_id"], r["actor_kind"], r["events"]) for r in snap] == [
        ("sp-x", "service_principal", 5),
        ("sp-y", "service_principal", 1),
    ]


def test_changed_registry_rebuilds_every_rollup(workspace):
    build(workspace)
    assert baselines.update(workspace).days_rolled_up == []
    # declaring an agent changes who events belong to: yesterday's rollups are stale
    workspace.config_file.write_text(
        '[[agents]]\nid = "sp-x"\nname = "Declared later"\nkind = "service_principal"\n'
    )
    again = baselines.update(workspace)
    assert again.rebuilt_for_changed_logic
    assert again.days_rolled_up == [D1, D2, D3]
    assert baselines.update(workspace).days_rolled_up == []
