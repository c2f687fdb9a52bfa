"""The report names each finding's accountable human on its card and counts the findings nobody
answers for; the name is log text, shown escaped."""

from __future__ import annotations

from report_fixtures import FINANCE, HELPDESK, HOSTILE, report_data
from test_report_render import assert_only_our_script, parse

from pipeline.report import render


def _accountable(data):
    """The fixture's findings as the engine names them: Finance has a sponsor, the helpdesk bot
    acted with alice's token, the shadow agent has nobody."""
    named = []
    for f in data.findings:
        if f.identity.id == FINANCE.id:
            upd = {"accountable": FINANCE.sponsor, "accountable_basis": "sponsor"}
        elif f.identity.id == HELPDESK.id:
            upd = {"accountable": "alice@contoso.com", "accountable_basis": "delegating_user"}
        else:
            upd = {"accountable": "unaccountable", "accountable_basis": "none"}
        named.append(f.model_copy(update=upd))
    return data.model_copy(update={"findings": named})


def _kpi(html: str, label: str) -> str:
    """The number of the summary tile labelled ``label``."""
    head, _, _ = html.partition(f'<div class="l">{label}</div>')
    return head.rsplit('<div class="n">', 1)[1].split("</div>", 1)[0]


def test_unaccountable_findings_are_counted():
    data = _accountable(report_data())
    open_nobody = [
        f for f in data.findings if f.suppressed is None and f.accountable_basis == "none"
    ]
    assert data.unaccountable_count == len(open_nobody) == 3  # the shadow agent's three
    html = render(data)
    assert _kpi(html, "unaccountable") == "3"


def test_finding_card_names_the_accountable_human_and_basis():
    html = render(_accountable(report_data()))
    text = " ".join(parse(html).text)
    assert "Accountable cfo-office@contoso.com sponsor" in " ".join(text.split())
    assert "alice@contoso.com delegating user" in " ".join(text.split())
    assert "no sponsor, owner or delegating user" in text


def test_hostile_accountable_is_text():
    data = report_data()
    first = data.findings[0].model_copy(
        update={"accountable": HOSTILE, "accountable_basis": "owner"}
    )
    html = render(data.model_copy(update={"findings": [first, *data.findings[1:]]}))
    p = parse(html)
    assert "img" not in {t for t, _ in p.tags}
    assert_only_our_script(p)
    assert HOSTILE in "".join(p.text)
