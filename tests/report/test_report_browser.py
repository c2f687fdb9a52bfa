"""The report in headless Chromium: hostile payloads never run, and the full report renders."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BROWSER, CHROMIUM  # noqa: I001
from report_fixtures import DAY, SCRIPT, hostile_findings, report_data

from pipeline.report import render

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=BROWSER.reason)]


def chromium(tmp_path: Path, page: Path, *args: str) -> str:
    profile = tmp_path / "profile"
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
        page.as_uri(),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return done.stdout


def test_the_harness_sees_a_script_that_runs(tmp_path):
    """Control: an unescaped payload in a page without our CSP does change the title."""
    page = tmp_path / "control.html"
    page.write_text(f"<html><head><title>clean</title></head><body>{SCRIPT}</body></html>")
    dom = chromium(tmp_path, page, "--dump-dom")
    assert "<title>PWNED-SCRIPT</title>" in dom


def test_hostile_findings_do_not_run_and_show_as_text(tmp_path):
    page = tmp_path / "hostile.html"
    page.write_text(render(report_data(hostile_findings())))
    dom = chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=2000")
    assert f"<title>agentaudit report · {DAY}</title>" in dom
    assert "PWNED" not in dom.split("</title>")[0]
    assert "<img" not in dom and "<script" not in dom
    # the payloads are in the page as text (serialised escaped by the DOM dump)
    assert '&lt;script&gt;document.title="PWNED-SCRIPT"&lt;/script&gt;' in dom
    assert "&lt;img src=x onerror=" in dom


def test_full_report_renders_with_every_section(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(report_data()))
    dom = chromium(tmp_path, page, "--dump-dom")
    for section in ("summary", "findings", "agents", "inventory", "ingest", "run"):
        assert f'id="{section}"' in dom
    for heading in ("Summary", "Agents", "Identity inventory", "Ingest health", "Run information"):
        assert f">{heading}</h2>" in dom
    assert dom.count("<svg") >= 4  # a chart per agent and the severity bars
    shot = tmp_path / "report.png"
    chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
