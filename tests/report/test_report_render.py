"""The HTML report: sections, content, escaping and self-containment (no browser needed)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from report_fixtures import HOSTILE, hostile_findings, report_data

from pipeline.report import render
from pipeline.report.charts import activity_chart, severity_bars
from pipeline.report.model import DayActivity

SECTIONS = ("summary", "findings", "agents", "inventory", "ingest", "run")


class Tags(HTMLParser):
    """Every start tag with its attributes, the text, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def parse(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


def assert_only_our_script(p: Tags) -> None:
    """One script element, without attributes, whose text is exactly the report's own script
    (log text never becomes a script; the CSP allows this one by its hash)."""
    from pipeline.report.render import script

    scripts = [attrs for tag, attrs in p.tags if tag == "script"]
    assert scripts == [{}], scripts
    assert p.scripts == [str(script())]


def test_report_has_every_section_and_the_headline_counts():
    data = report_data()
    html = render(data)
    p = parse(html)
    ids = {a.get("id") for _, a in p.tags}
    assert set(SECTIONS) <= ids
    text = " ".join(p.text)
    assert data.by_severity == {"critical": 1, "high": 3, "medium": 2, "low": 3, "info": 0}
    assert "Open findings by family and severity" in text
    for f in data.findings:
        assert f.title in text and f.explanation in text
    assert "Finance reporting agent" in text and "copilot-sandbox-agent" in text
    assert "2 out of scope" in text and "shadow" in text and "dormant" in text
    assert "37 of 37 not covered" in text
    assert "event_time: not a timestamp ('12/31/9999 99:00')" in text
    assert "20261127T010000Z-abc123" in text and "ingest" in text


def test_findings_most_severe_first_with_facts_and_evidence():
    from detectors.finding import severity_rank

    data = report_data()
    html = render(data)
    main = [f for f in data.findings if f.rule_id not in ("AA-G04", "AA-G05")]
    shown = sorted(main, key=lambda f: html.index(f'id="f-{f.finding_id}"'))
    open_ranks = [severity_rank(f.severity) for f in shown if f.suppressed is None]
    assert open_ranks == sorted(open_ranks, reverse=True) and open_ranks[0] == 4
    assert shown[-1].suppressed is not None  # suppressed ones come last, still shown
    assert "requests a day (p95)" in html and "412" in html
    assert shown[0].evidence_event_ids[0] in html


def test_suppressed_findings_are_shown_with_reason_owner_and_expiry():
    html = render(report_data())
    text = " ".join(parse(html).text)
    assert "quarter-end batch runs at night" in text
    assert "soc@contoso.com" in text and "2027-01-31" in text
    assert "suppressed" in text


def test_hygiene_findings_sit_in_the_inventory():
    data = report_data()
    html = render(data)
    inventory = html.index('id="inventory"')
    for f in data.findings:
        pos = html.index(f'id="f-{f.finding_id}"')
        if f.rule_id in ("AA-G04", "AA-G05"):
            assert pos > inventory
        else:
            assert pos < inventory


def test_hostile_fields_render_as_text_only():
    html = render(report_data(hostile_findings()))
    p = parse(html)
    tags = {t for t, _ in p.tags}
    assert "img" not in tags and "iframe" not in tags
    assert_only_our_script(p)
    for _, attrs in p.tags:
        assert not any(name.startswith("on") for name in attrs), attrs
    assert HOSTILE in "".join(p.text)  # shown as text, complete
    assert "&lt;script&gt;" in html and html.count("<script") == 1


def test_report_is_self_contained():
    html = render(report_data(hostile_findings()))
    p = parse(html)
    for tag, attrs in p.tags:
        assert tag not in ("link", "iframe", "object", "embed", "base")
        for name in ("href", "src", "action", "srcset"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    assert_only_our_script(p)
    csp = [a for t, a in p.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]["content"]


def test_charts_are_svg_from_numbers():
    days = [
        DayActivity(day=f"2026-11-{d:02d}", events=d * 10, failures=d, sensitive=d % 3)
        for d in range(1, 31)
    ]
    svg = str(activity_chart(days))
    assert svg.startswith("<svg") and svg.count("<rect") >= 30 and "<title>" in svg
    assert "2026-11-30: 300 events, 30 failed, 0 sensitive" in svg
    empty = str(activity_chart([DayActivity(day="2026-11-01")]))
    assert "<svg" in empty and "NaN" not in empty
    bars = str(severity_bars({"critical": 2, "high": 0}))
    assert bars.count("<rect") == 2


def test_activity_chart_draws_the_baseline_band():
    days = [DayActivity(day=f"2026-11-{d:02d}", events=10 + (d == 9) * 90) for d in range(1, 10)]
    band = [None, None] + [(8.0, 14.5)] * 7  # learning for two days, then a usual 8-14.5 a day
    svg = str(activity_chart(days, band=band))
    assert svg.count('fill-opacity="0.3"') == 7 and svg.count("<path") == 7
    assert "2026-11-09: 100 events, 0 failed, 0 sensitive; usual 8-14.5" in svg
    assert "2026-11-01: 10 events, 0 failed, 0 sensitive<" in svg  # no band while learning
    assert 'font-size="10"' in svg  # ticks readable outside the report's stylesheet
    with pytest.raises(ValueError, match="band has 2 entries for 9 days"):
        activity_chart(days, band=band[:2])


def test_a_bad_day_stays_readable():
    from pipeline.report.render import MAX_CARDS

    base = report_data().findings[0]
    many = [base.model_copy(update={"finding_id": f"{n:032x}"}) for n in range(MAX_CARDS + 40)]
    html = render(report_data(many))
    assert html.count('class="card finding') <= MAX_CARDS + 2  # + the hygiene cards
    assert "less severe findings have no card here" in html


def test_control_and_bidi_characters_are_made_visible():
    from report_fixtures import findings

    spoof = "invoice\u202efdp.exe\x1b[31m"
    f = findings()[0].model_copy(update={"title": spoof, "explanation": spoof})
    html = render(report_data([f]))
    assert "\u202e" not in html and "\x1b" not in html
    assert "invoice&lt;U+202E&gt;fdp.exe&lt;U+001B&gt;[31m" in html


def test_investigate_command_only_for_our_own_hex_ids():
    from report_fixtures import findings

    good = findings()[0]
    bad = good.model_copy(update={"finding_id": "x'; rm -rf ~; '"})
    html = render(report_data([bad]))
    assert f"-p f={good.finding_id}" in html
    import re

    commands = re.findall(r"-p f=(\S*?)</code>", html)
    assert commands and all(re.fullmatch(r"[0-9a-f]{32}", c) for c in commands)
    assert len(commands) == len(findings())  # every card but the one with the hostile id
