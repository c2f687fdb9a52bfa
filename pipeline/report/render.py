"""Render ``ReportData`` into one self-contained HTML file (jinja2, autoescape always on)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from detectors.finding import SEVERITIES, severity_rank
from pipeline import __version__
from pipeline.report.charts import activity_chart, severity_bars
from pipeline.report.gather import AGENT_SECTIONS, CA_DAYS, HYGIENE_RULES
from pipeline.report.groups import GROUP_FROM, TOP_PER_GROUP, group_findings
from pipeline.report.model import ReportData, open_by_severity

TEMPLATES = Path(__file__).with_name("templates")
FAMILY_LABELS = {
    "unexpected_resource_access": "Unexpected resource access",
    "pii_touch": "Personal data touched",
    "attribution_gap": "Attribution gap",
    "credential_or_privilege_change": "Credential or privilege change",
    "signin_anomaly": "Sign-in anomaly",
    "behaviour_anomaly": "Behaviour anomaly",
}


#: control characters and bidirectional overrides (U+202E can make "exe.txt" read "txt.exe"):
#: shown as visible code points instead of acting on the page
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


#: why a finding names its accountable human, as the finding card says it
BASIS_LABELS = {
    "sponsor": "sponsor",
    "owner": "owner",
    "delegating_user": "delegating user",
    "none": "unaccountable",
}


def _visible(value: object) -> object:
    """Every ``{{ value }}`` passes here before escaping: log text cannot hide or reorder."""
    if isinstance(value, str) and not isinstance(value, Markup) and _INVISIBLE.search(value):
        return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", value)
    return value


_SAFE_ID = re.compile(r"^[0-9a-f]{16,64}$")


def _safe_id(value: object) -> bool:
    """Our own hex finding ids only go into a shell command the analyst may copy."""
    return isinstance(value, str) and _SAFE_ID.match(value) is not None


@cache
def environment() -> Environment:
    # autoescape=True for every template: every value shown comes from a log and is hostile
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_visible,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["safe_id"] = _safe_id
    return env


#: longer texts (e.g. a list of 40 paths in a baseline fact) are cut in the page; the lake and
#: the SIEM keep them whole
MAX_TEXT = 400
#: a morning report stays readable (and small) on a bad day: the most severe findings and the
#: agents with most findings are shown in full, the rest are counted (`agentaudit findings`)
MAX_CARDS = 200
MAX_AGENTS = AGENT_SECTIONS
#: the inventory's rows (an onboarding day brings tens of thousands of identities)
MAX_INVENTORY = 2000
#: the findings table lists more than the cards (a row is ~1 kB, a card several)
MAX_ROWS = 1500
#: the severity filter's choices, most severe first ("high" keeps high and critical)
FILTER_SEVERITIES = tuple(reversed(SEVERITIES[1:]))


@cache
def script() -> Markup:
    """The findings table's script, inlined as is: the CSP allows exactly this text."""
    return Markup((TEMPLATES / "report.js").read_text())


def csp_hash(text: str) -> str:
    """A CSP source expression for an inline script whose text is exactly ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}… ({len(value) - MAX_TEXT:,} more characters)"
    if isinstance(value, float):
        if value.is_integer() or abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{value:.3g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def render(data: ReportData) -> str:
    """The report as one HTML document: inline CSS, SVG and one inline script (allowed by its
    hash alone), no external fetch; every part but sorting and filtering works without it."""
    anchors = {a.id: f"agent-{i}" for i, a in enumerate(data.agents, start=1)}
    for f in data.findings:  # findings name identities by their original-case id
        if f.identity.id.lower() in anchors:
            anchors.setdefault(f.identity.id, anchors[f.identity.id.lower()])
    by_id = {f.finding_id: f for f in data.findings}
    main = [f for f in data.findings if f.rule_id not in HYGIENE_RULES]
    hygiene = [f for f in data.findings if f.rule_id in HYGIENE_RULES]
    cards = main[:MAX_CARDS] + hygiene[:MAX_CARDS]
    rows = data.findings[:MAX_ROWS]
    agents = data.agents[:MAX_AGENTS]
    own = {a.id: [by_id[i] for i in a.finding_ids if i in by_id] for a in agents}
    identities = {f.identity.id: f.identity for f in rows}
    code = script()
    template = environment().get_template("report.html.j2")
    return template.render(
        data=data,
        groups=group_findings(data.findings) if len(data.findings) >= GROUP_FROM else [],
        top_per_group=TOP_PER_GROUP,
        css=Markup((TEMPLATES / "report.css").read_text()),
        script=code,
        script_hash=csp_hash(str(code)),
        agents=agents,
        agents_total=max(data.agents_total, len(data.agents)),
        more_agents=max(data.agents_total, len(data.agents)) - len(agents),
        inventory=data.identities[:MAX_INVENTORY],
        more_inventory=max(0, len(data.identities) - MAX_INVENTORY),
        own=own,
        agent_counts={
            a.id: open_by_severity(fs) for a, fs in zip(agents, own.values(), strict=True)
        },
        charts={a.id: activity_chart(a.activity) for a in agents},
        severity_chart=severity_bars(data.by_severity),
        anchors=anchors,
        families=FAMILY_LABELS,
        bases=BASIS_LABELS,
        severities=FILTER_SEVERITIES,
        ranks={s: severity_rank(s) for s in SEVERITIES},
        table_findings=rows,
        more_rows=len(data.findings) - len(rows),
        carded={f.finding_id for f in cards},
        table_families=[fam for fam in FAMILY_LABELS if any(f.family == fam for f in rows)],
        table_rules=sorted({f.rule_id for f in rows}),
        table_identities=sorted(
            identities.values(), key=lambda i: ((i.name or i.id).lower(), i.id)
        ),
        main_findings=main[:MAX_CARDS],
        more_findings=len(main) - len(main[:MAX_CARDS]),
        hygiene_findings=hygiene[:MAX_CARDS],
        more_hygiene=len(hygiene) - len(hygiene[:MAX_CARDS]),
        shadow_count=sum(1 for r in data.identities if r.shadow),
        channels=sorted(
            Counter(
                r.creation_channel or "unknown" for r in data.identities if r.agent_like
            ).most_common(),
            key=lambda c: (-c[1], c[0]),
        ),
        fmt=_fmt,
        version=__version__,
        ca_days=CA_DAYS,
    )
