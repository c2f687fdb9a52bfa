"""Data protection: reports and SIEM files are owner-only (0600) by default and follow
``file_mode`` when configured; ``export --redact`` replaces user principal names, IPs and request
URIs by tokens that are the same for the same input (correlation survives) and leaves nothing of
the originals."""

from __future__ import annotations

import ipaddress
import json
import re
import stat
from pathlib import Path

import duckdb
import pytest

from pipeline.run import run_nightly
from pipeline.siem import export
from pipeline.siem.redact import Redactor
from pipeline.workspace import Workspace


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sample_run(samples_run: Workspace) -> Workspace:
    return samples_run


def _people_and_addresses(ws: Workspace) -> tuple[set[str], set[str]]:
    glob = str(ws.table_dir("signins") / "date=*" / "*.parquet")
    rows = duckdb.sql(
        "SELECT DISTINCT user_principal_name, ip_address FROM read_parquet($g)",
        params={"g": glob},
    ).fetchall()
    upns = {u for u, _ in rows if u and "@" in u}
    ips = {ip for _, ip in rows if ip}
    return upns, ips


def test_report_and_siem_files_are_owner_only_by_default(sample_run: Workspace) -> None:
    written = [*sample_run.reports.glob("*.html"), *sample_run.siem.glob("*.jsonl")]
    # the findings in the lake too, as agentaudit.toml's file_mode promises (found here: 0644)
    written += sample_run.table_dir("findings").glob("date=*/*.parquet")
    assert len(written) >= 3
    for path in written:
        assert _mode(path) == 0o600, f"{path}: {oct(_mode(path))}"
    out = export(sample_run, out=sample_run.root / "elsewhere" / "all.jsonl", redact=True)
    assert _mode(Path(out.out or "")) == 0o600
    key = sample_run.siem / "redact.key"
    assert key.exists() and _mode(key) == 0o600


def test_file_mode_is_configurable(samples_dir: Path, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    ws.root.mkdir()
    (ws.root / "agentaudit.toml").write_text('[workspace]\nfile_mode = "0640"\n')
    run_nightly(ws, [str(samples_dir / "event-hub")])
    written = [*ws.reports.glob("*.html"), *ws.siem.glob("*.jsonl")]
    written += ws.table_dir("findings").glob("date=*/*.parquet")
    assert written and all(_mode(p) == 0o640 for p in written)


def test_redacted_export_hides_people_and_addresses_consistently(sample_run, tmp_path) -> None:
    plain = tmp_path / "plain.jsonl"
    first = tmp_path / "redacted-1.jsonl"
    second = tmp_path / "redacted-2.jsonl"
    export(sample_run, out=plain)
    export(sample_run, out=first, redact=True)
    export(sample_run, out=second, redact=True)
    plain_text, text = plain.read_text(), first.read_text()
    assert text == second.read_text()  # same input, same tokens, run after run
    upns, ips = _people_and_addresses(sample_run)
    shown = [u for u in upns if u.lower() in plain_text.lower()] + [
        ip for ip in ips if ip in plain_text
    ]
    assert shown, "the plain export should name someone, or this test proves nothing"
    for value in upns | ips:
        assert value.lower() not in text.lower(), value
    assert not re.search(r"https?://[^\"/]+/(?!uri-)[^\"\s]*\?", text)  # no raw URI with query
    # correlation survives: each person or address shown gets one token, the same everywhere
    redactor = Redactor.for_workspace(sample_run)
    for upn in (u for u in upns if u.lower() in plain_text.lower()):
        assert redactor.upn(upn) in text, upn
    for ip in (ip for ip in ips if ip in plain_text):
        assert redactor.token("ip", ipaddress.ip_address(ip).compressed) in text, ip
    uids = [json.loads(line)["finding_info"]["uid"] for line in text.splitlines()]
    assert uids == [json.loads(line)["finding_info"]["uid"] for line in plain_text.splitlines()]
