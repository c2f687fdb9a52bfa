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


def chromium(tmp_path: Path, page: Path, *args: str, fragment: str = "") -> str:
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
        page.as_uri() + (f"#{fragment}" if fragment else ""),
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
    assert "<img" not in dom and dom.count("<script") == 1  # the report's own
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


#: drives the findings table as a user would, then writes what it saw into #test-result
DRIVER = r"""
(function () {
  var out = {};
  var $ = function (id) { return document.getElementById(id); };
  function visible() {
    return Array.prototype.filter.call($("ftable").tBodies[0].rows, function (r) {
      return !r.hidden;
    });
  }
  function set(id, value) {
    var el = $(id);
    if (el.type === "checkbox") { el.checked = value; } else { el.value = value; }
    var kind = el.tagName === "SELECT" || el.type === "checkbox" ? "change" : "input";
    el.dispatchEvent(new Event(kind, {bubbles: true}));
  }
  function col(key) { return visible().map(function (r) { return r.dataset[key]; }); }
  function sort(key) { document.querySelector("th[data-key=" + key + "] button").click(); }
  out.formShown = !$("ffilters").hidden;
  out.count = $("fcount").textContent;
  out.all = visible().length;
  set("f-sev", "4"); out.critical = col("rank");
  set("f-sev", "3"); out.highUp = col("rank");
  set("f-sev", "0");
  set("f-text", "pwned-img"); out.text = col("identity").length;
  set("f-text", "");
  set("f-family", "pii_touch"); out.family = col("family");
  set("f-family", "");
  set("f-rule", "AA-S01"); out.rule = col("rule");
  set("f-rule", "");
  var ident = $("f-identity").options[1].value;
  set("f-identity", ident); out.identity = col("identity"); out.identityWanted = ident;
  set("f-identity", "");
  set("f-open", true); out.open = visible().filter(function (r) {
    return r.dataset.suppressed === "1"; }).length;
  out.openCount = $("fcount").textContent;
  set("f-open", false);
  sort("score"); out.scoreDesc = col("score");
  sort("score"); out.scoreAsc = col("score");
  sort("name"); out.names = col("name");
  sort("when"); out.when = col("when");
  out.sortState = document.querySelector("th[data-key=when]").getAttribute("aria-sort");
  var row = visible()[2];
  var id = row.querySelector("a").getAttribute("href").slice(1);
  row.cells[3].click();
  var agentLink = document.querySelector(".finding .meta a[href^='#agent-']");
  window.setTimeout(function () {
    out.cardOpened = document.getElementById(id).parentElement.open === true;
    out.hash = window.location.hash;
    agentLink.click();
    window.setTimeout(function () {
      var agent = document.getElementById(agentLink.getAttribute("href").slice(1));
      out.agentOpened = agent.open === true;
      out.title = document.title;
      out.images = document.getElementsByTagName("img").length;
      out.scripts = document.getElementsByTagName("script").length;
      $("test-result").textContent = JSON.stringify(out);
    }, 50);
  }, 50);
})();
"""


def _result(dom: str) -> dict:
    import html
    import json
    import re

    found = re.search(r'<pre id="test-result">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), "the driver did not finish: " + dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def test_sorting_filtering_and_opening_cards_in_a_browser(tmp_path):
    from detectors.finding import severity_rank

    data = report_data(hostile_findings())
    page = tmp_path / "report.html"
    page.write_text(_with_script(render(data), DRIVER))
    out = _result(chromium(tmp_path, page, "--dump-dom", "--virtual-time-budget=5000"))
    n = len(data.findings)
    assert out["formShown"] and out["all"] == n and out["count"] == f"{n} of {n} findings shown"
    ranks = [severity_rank(f.severity) for f in data.findings]
    assert out["critical"] == ["4"] * ranks.count(4)
    assert sorted(out["highUp"]) == sorted(str(r) for r in ranks if r >= 3)
    assert out["text"] == len(hostile_findings())  # the free text searches the hostile names
    assert out["family"] and set(out["family"]) == {"pii_touch"}
    assert out["rule"] and set(out["rule"]) == {"AA-S01"}
    assert out["identity"] and set(out["identity"]) == {out["identityWanted"]}
    assert out["open"] == 0 and out["openCount"].startswith(f"{n - data.suppressed_count} of")
    scores = [float(s) for s in out["scoreDesc"]]
    assert scores == sorted(scores, reverse=True) and out["scoreAsc"] == out["scoreDesc"][::-1]
    assert out["names"] == sorted(out["names"])
    assert out["when"] == sorted(out["when"]) and out["sortState"] == "ascending"
    assert out["cardOpened"] and out["hash"].startswith("#f-") and out["agentOpened"]
    # the hostile payloads never ran: no image, only the report's script and the driver
    assert "PWNED" not in out["title"] and out["images"] == 0 and out["scripts"] == 2


def test_without_script_the_table_and_anchors_still_work(tmp_path):
    """With scripts blocked (here by the CSP itself), the table is whole, the filters stay
    hidden, and following a row's link opens its folded card."""
    import re

    data = report_data()
    target = data.findings[1].finding_id
    html = re.sub(r"script-src '[^']+'", "script-src 'none'", render(data), count=1)
    page = tmp_path / "report.html"
    page.write_text(html)
    dom = chromium(tmp_path, page, "--dump-dom", fragment=f"f-{target}")
    assert dom.count("<tr data-rank=") == len(data.findings)
    assert '<form id="ffilters" class="filters card" role="search" hidden="">' in dom
    assert 'id="fcount" class="meta" aria-live="polite"></span>' in dom  # the script did not run
    card = dom[: dom.index(f'id="f-{target}"')].rsplit("<details", 1)[1]
    assert " open=" in card, card[:200]  # the browser opens the folded card a link points into
    assert f'href="#f-{target}"' in dom


def test_folded_cards_keep_the_inventory_near_the_top(tmp_path):
    """40 agents (unfolded, each card is ~550 px: 22,000 px) and every finding card folded:
    the inventory starts within a few screens of the top."""
    import re

    data = report_data()
    agents = [
        a.model_copy(update={"id": f"{a.id}-{n}", "name": f"{a.name} {n}"})
        for n in range(14)
        for a in data.agents
    ]
    data = data.model_copy(update={"agents": agents[:40]})
    probe = (
        "document.getElementById('test-result').textContent = "
        "String(Math.round(document.getElementById('inventory').getBoundingClientRect().top));"
    )
    page = tmp_path / "report.html"
    page.write_text(_with_script(render(data), probe))
    dom = chromium(tmp_path, page, "--dump-dom", "--window-size=1280,1000")
    top = int(re.search(r'<pre id="test-result">(\d+)</pre>', dom).group(1))
    assert 0 < top < 5000, top


def _with_script(html: str, code: str) -> str:
    """The report plus a test's script, which the page's CSP allows by its own hash too (the
    policy stays hash-only: the report's script is still held to it)."""
    from pipeline.report.render import csp_hash

    html = html.replace("script-src '", f"script-src '{csp_hash(code)}' '", 1)
    return html.replace("</body>", f'<pre id="test-result"></pre><script>{code}</script></body>', 1)
