"""The catalog's SQL macros (pipeline/catalog/macros.sql) on the values real logs carry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline import catalog
from pipeline.workspace import Workspace


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    ws = Workspace.at(Path(tmp_path_factory.mktemp("ws")))
    ws.lake.mkdir(parents=True)
    c = catalog.connect(ws, read_only=True)
    yield c
    c.close()


@pytest.mark.parametrize(
    ("ua", "client"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/126.0", "windows"),
        ("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928)", "windows"),
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/126.0", "chromeos"),
        # 'microsoft' holds 'cros': an SDK on Linux is not a Chromebook
        ("Microsoft-Agent-SDK/1.4.2 (python 3.12; linux)", "linux"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15", "macos"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148", "ios"),
        ("msgraph-sdk-python/1.12.0 (featureUsage=0f)", "msgraph-sdk-python"),
        ("python-requests/2.31.0", "python-requests"),
        ("", None),
        (None, None),
    ],
)
def test_ua_client(con: duckdb.DuckDBPyConnection, ua: str | None, client: str | None) -> None:
    assert con.execute("SELECT ua_client(?)", [ua]).fetchone()[0] == client


@pytest.mark.parametrize(
    ("ip", "net"),
    [
        ("20.40.1.10", "20.40.0.0/16"),
        ("::ffff:20.40.1.10", "20.40.0.0/16"),
        ("2001:db8:40::10", "2001:db8::/32"),
        ("not an address", None),
    ],
)
def test_ip_net(con: duckdb.DuckDBPyConnection, ip: str, net: str | None) -> None:
    assert con.execute("SELECT ip_net(?)", [ip]).fetchone()[0] == net
