"""Findings at scale: thousands of findings are grouped per rule x blueprint (or kind), the top of
each group in full, the rest counted with the exact `agentaudit sql` command that lists them."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime, timedelta

from markupsafe import escape
from report_fixtures import DAY, HOSTILE, SCRIPT, report_data

from detectors.finding import Finding, Identity, finding_id
from detectors.store import write_day
from pipeline.catalog.query import parse_params, run_query
from pipeline.report import render
from pipeline.report.groups import GROUP_FROM, TOP_PER_GROUP, group_findings
from pipeline.workspace import Workspace

RULES = (("AA-R02", "unexpected_resource_access"), ("AA-S01", "signin_anomaly"))
#: (blueprint, kind) of the generated identities: two blueprints (one named by hostile log
#: text) and identities of no blueprint
SHAPES = (
    ("bp-invoices", "agent_identity"),
    (HOSTILE, "agent_identity"),
    (None, "service_principal"),
)
SEVS = ("low", "medium", "high", "info")


def many_findings(n: int = 2400) -> list[Finding]:
    start = datetime.fromisoformat(DAY).replace(tzinfo=UTC)
    out = []
    for i in range(n):
        rule, family = RULES[i % 2]
        blueprint, kind = SHAPES[(i // 2) % 3]
        ident = Identity(
            id=f"id-{i % 700:04d}", kind=kind, name=f"agent {i % 700}", blueprint=blueprint
        )
        ws, we = start + timedelta(minutes=i), start + timedelta(minutes=i + 1)
        out.append(
            Finding(
                finding_id=finding_id(rule, ident.id, ws, we),
                rule_id=rule,
                family=family,
                title=f"{rule} finding {i}",
                severity=SEVS[i % 4],
                score=float(i % 97),
                identity=ident,
                window_start=ws,
                window_end=we,
                explanation=f"explanation {i}",
            )
        )
    return out


def test_groups_count_every_finding_once_most_severe_first():
    fs = many_findings()
    groups = group_findings(fs)
    assert len(groups) == len(RULES) * len(SHAPES)
    assert sum(g.count for g in groups) == len(fs)
    for g in groups:
        assert {f.rule_id for f in g.findings} == {g.rule_id}
        assert {f.identity.blueprint for f in g.findings} == {g.blueprint}
        assert len(g.top) == TOP_PER_GROUP and g.rest == g.count - TOP_PER_GROUP
    kinds = [g for g in groups if g.blueprint is None]
    assert {g.label for g in kinds} == {"service_principal (no blueprint)"}


def test_report_of_many_findings_holds_group_headers_counts_and_escaped_queries():
    fs = many_findings()
    assert len(fs) >= GROUP_FROM
    page = render(report_data(fs))
    total = len(fs) + len(report_data().findings)
    assert f"{total:,} findings in " in page
    groups = group_findings(report_data(fs).findings)
    shown = re.findall(r'<span class="gcount">([\d,]+) findings?</span>', page)
    assert [int(s.replace(",", "")) for s in shown] == [g.count for g in groups]
    for g in groups:
        assert f'<span class="rule mono">{g.rule_id}</span>' in page
        assert escape(g.label) in page
        if g.rest:
            assert escape(g.command(DAY, DAY)) in page
            assert f"{g.rest:,} more in this group" in page
    assert SCRIPT not in page  # the hostile blueprint is text, in the header and in the query
    assert escape(f"blueprint {HOSTILE}") in page


def test_report_of_few_findings_is_not_grouped():
    assert 'id="fgroups"' not in render(report_data())


def test_each_groups_command_lists_exactly_that_group_from_the_lake(tmp_path):
    fs = many_findings(600)
    ws = Workspace.at(tmp_path)
    write_day(ws, DAY, fs)
    page = render(report_data(fs))
    for g in group_findings(fs):
        args = shlex.split(g.command(DAY, DAY))
        assert args[:2] == ["agentaudit", "sql"] and args[2:-1:2] == ["-p"] * (len(args) // 2 - 1)
        params = parse_params(tuple(args[3:-1:2]))
        result = run_query(ws, args[-1], params)
        listed = [row[result.columns.index("explanation")] for row in result.rows]
        assert sorted(listed) == sorted(f.explanation for f in g.findings)
        assert escape(g.command(DAY, DAY)) in page or not g.rest


def test_inventory_of_an_onboarding_day_lists_the_first_rows_and_counts_the_rest():
    from pipeline.report.model import IdentityRow
    from pipeline.report.render import MAX_INVENTORY

    data = report_data()
    extra = [IdentityRow(id=f"new-sp-{i:05d}", kind="service_principal") for i in range(2500)]
    data = data.model_copy(update={"identities": data.identities + extra})
    page = render(data)
    shown = page.count("new-sp-")
    assert shown == MAX_INVENTORY - len(report_data().identities)
    more = len(data.identities) - MAX_INVENTORY
    assert f"{more:,} more identities are not listed here" in page
    assert "agentaudit inventory --format csv" in page
