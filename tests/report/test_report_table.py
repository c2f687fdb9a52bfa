"""The findings table, its script under a hash-only CSP, and the folded cards (no browser)."""

from __future__ import annotations

import base64
import hashlib
import re

from report_fixtures import HOSTILE, findings, hostile_findings, report_data
from test_report_render import Tags, parse

from detectors.finding import Identity
from pipeline.report import render
from pipeline.report.render import MAX_CARDS, script


def rows(p: Tags) -> list[dict[str, str | None]]:
    return [a for t, a in p.tags if t == "tr" and "data-rank" in a]


def table_html(html: str) -> str:
    start = html.index('id="ftable"')
    return html[start : html.index("</table>", start)]


def csp(p: Tags) -> dict[str, list[str]]:
    meta = next(a for t, a in p.tags if t == "meta" and a.get("http-equiv"))
    assert meta["http-equiv"] == "Content-Security-Policy"
    return {d.split()[0]: d.split()[1:] for d in meta["content"].split(";") if d.strip()}


def test_the_table_has_a_row_per_finding_linking_to_its_card():
    data = report_data()
    html = render(data)
    p = parse(html)
    table = rows(p)
    assert len(table) == len(data.findings)
    assert [r["data-identity"] for r in table] == [f.identity.id for f in data.findings]
    ids = {a.get("id") for _, a in p.tags}
    links = [a["href"] for t, a in p.tags if t == "a" and a.get("href", "").startswith("#f-")]
    assert {f"#f-{f.finding_id}" for f in data.findings} <= set(links)
    assert all(link[1:] in ids for link in links)  # every link has its card
    # the table comes first, then the cards
    assert html.index('id="ftable"') < html.index(f'id="f-{data.findings[0].finding_id}"')
    first = table[0]
    f = data.findings[0]
    assert first["data-rank"] == "4" and first["data-rule"] == f.rule_id
    assert first["data-family"] == f.family and first["data-score"] == f"{f.score:.1f}"
    assert first["data-when"] == f.window_start.strftime("%Y-%m-%dT%H:%M")
    suppressed = [r for r in table if r.get("data-suppressed") == "1"]
    assert len(suppressed) == data.suppressed_count == 1
    text = " ".join(parse(table_html(html)).text)
    for column in ("Severity", "Rule", "Finding", "Identity", "Accountable", "When", "Score"):
        assert column in text


def test_the_filters_offer_what_the_table_holds():
    data = report_data()
    p = parse(render(data))
    selects: dict[str, list[str]] = {}
    current = None
    for tag, attrs in p.tags:
        if tag == "select":
            current = attrs["id"]
            selects[current] = []
        elif tag == "option" and current:
            selects[current].append(attrs["value"])
    assert selects["f-sev"] == ["0", "4", "3", "2", "1"]
    assert selects["f-rule"][1:] == sorted({f.rule_id for f in data.findings})
    assert set(selects["f-family"][1:]) == {f.family for f in data.findings}
    assert set(selects["f-identity"][1:]) == {f.identity.id for f in data.findings}
    form = next(a for t, a in p.tags if t == "form")
    assert "hidden" in form  # shown by the script; without it the table alone is the page


def test_a_hostile_identity_name_is_escaped_in_rows_and_filters():
    html = render(report_data(hostile_findings()))
    p = parse(html)
    hostile_rows = [r for r in rows(p) if r["data-identity"] == HOSTILE]
    assert len(hostile_rows) == len(hostile_findings())  # the attribute survives intact
    assert all(r["data-name"] == HOSTILE.lower() for r in hostile_rows)
    options = [a for t, a in p.tags if t == "option" and a.get("value") == HOSTILE]
    assert len(options) == 1
    for tag, attrs in p.tags:
        assert tag not in ("img", "iframe")
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    table = table_html(html)
    assert "&lt;script&gt;document.title=&#34;PWNED-SCRIPT&#34;&lt;/script&gt;" in table
    assert "<script" not in table and "<img" not in table


def test_the_csp_allows_exactly_the_inline_script_by_its_hash():
    html = render(report_data())
    p = parse(html)
    policy = csp(p)
    assert policy["default-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    digest = base64.b64encode(hashlib.sha256(p.scripts[0].encode("utf-8")).digest()).decode()
    assert policy["script-src"] == [f"'sha256-{digest}'"]  # no 'unsafe-inline', no host
    assert p.scripts == [str(script())]
    assert "connect-src" not in policy and "http" not in " ".join(sum(policy.values(), []))


def test_the_script_never_parses_text_as_html():
    code = str(script())
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("on',
        "srcdoc",
        "fetch(",
        "XMLHttpRequest",
    ):
        assert sink not in code, sink
    assert "</script" not in code.lower()  # the inline script cannot end itself early
    assert "textContent" in code and "dataset" in code


def test_agent_and_finding_cards_are_folded():
    data = report_data()
    html = render(data)
    p = parse(html)
    agents = [a for t, a in p.tags if t == "details" and "agent" in (a.get("class") or "")]
    assert len(agents) == len(data.agents)
    assert all("open" not in a for a in agents)
    cards = [a for t, a in p.tags if t == "details" and "finding" in (a.get("class") or "")]
    assert len(cards) == len(data.findings) and all("open" not in a for a in cards)
    # the summary line says who and how bad, before the card is opened
    summary = html[
        html.index('id="agent-1"') : html.index("</summary>", html.index('id="agent-1"'))
    ]
    text = " ".join(parse(summary).text)
    finance = data.agents[0]
    assert finance.name in text and finance.kind in text and finance.sponsor in text
    assert "1 critical" in text and "registered" in text and "out of scope" in text


def test_a_finding_without_a_card_has_a_row_without_a_link():
    base = findings()[0]
    many = [
        base.model_copy(
            update={"finding_id": f"{n:032x}", "identity": Identity(id=f"id-{n}", kind="human")}
        )
        for n in range(MAX_CARDS + 5)
    ]
    html = render(report_data(many))
    p = parse(html)
    assert len(rows(p)) == len(findings()) + len(many)
    links = {a["href"][1:] for t, a in p.tags if t == "a" and a.get("href", "").startswith("#f-")}
    ids = {a.get("id") for _, a in p.tags}
    assert links <= ids and len(links) == MAX_CARDS + 2  # + the hygiene cards
    assert re.search(r"less severe findings have no card here", html)
