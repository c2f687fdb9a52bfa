"""`agentaudit` commands: detect, findings, evaluate."""

from __future__ import annotations

from collections import Counter
from datetime import date

import click

from detectors.finding import FAMILIES, SEVERITIES
from pipeline.cli import cli, parse_day, progress_option, workspace_option
from pipeline.errors import AgentAuditError


@cli.command("detect")
@workspace_option
@click.option(
    "--date",
    "day",
    metavar="YYYY-MM-DD",
    callback=parse_day,
    help="Judge only this day (default: every day with data and no findings yet, and the latest).",
)
@progress_option
def detect_command(workspace, day: date | None, progress: bool) -> None:
    """Run the enabled detectors and write their findings.

    Findings go to lake/findings/. Each day is judged against the history before it, as the
    nightly run on that day would have; re-running a day replaces its findings (ids are stable,
    nothing is duplicated).

    \b
    Example:
      agentaudit detect --workspace ws --date 2026-11-26
    """
    from detectors.engine import detect
    from pipeline.ingest.progress import Steps

    with Steps("detect", "rule runs", progress) as rules_done:
        summary = detect(workspace, days=[day] if day else None, on_step=rules_done)
    for line in summary.lines():
        click.echo(line)
    click.echo(summary.headline())
    if summary.errors:
        raise AgentAuditError(
            f"{len(summary.errors)} rule run(s) failed (listed above); the other rules' findings "
            "were written. Fix the rule or disable it under [detectors.<id>] in agentaudit.toml."
        )


@cli.command("findings")
@workspace_option
@click.option("--severity", type=click.Choice(SEVERITIES), help="At or above this severity.")
@click.option("--family", type=click.Choice(FAMILIES), help="Only this family.")
@click.option(
    "--identity",
    help="Part of the identity's name, user principal name, app id or id (case-insensitive).",
)
@click.option("--date", "day", metavar="YYYY-MM-DD", callback=parse_day, help="Only this day.")
@click.option("--hide-suppressed", is_flag=True, help="Leave out suppressed findings.")
@click.option(
    "--accountable",
    help="Accountable human (substring, case-insensitive); 'unaccountable' for nobody's.",
)
def findings_command(
    workspace,
    severity: str | None,
    family: str | None,
    identity: str | None,
    day: date | None,
    hide_suppressed: bool,
    accountable: str | None,
) -> None:
    """List findings, highest score first.

    \b
    Example:
      agentaudit findings --workspace ws --severity high --family pii_touch
      agentaudit findings --workspace ws --accountable unaccountable
    """
    from detectors.filters import select_findings
    from detectors.finding import UNACCOUNTABLE, severity_counts
    from pipeline.catalog.query import clean  # log text: no escape sequence reaches the terminal

    found = select_findings(
        workspace,
        severity=severity,
        family=family,
        identity=identity,
        day=day.isoformat() if day else None,
        include_suppressed=not hide_suppressed,
        accountable=accountable,
    )
    for f in found:
        who = clean(f.identity.name or f.identity.id)
        mark = " [suppressed]" if f.suppressed else ""
        basis = f" ({f.accountable_basis})" if f.accountable_basis != "none" else ""
        click.echo(
            f"{f.window_start:%Y-%m-%d} {f.severity:<8} {f.score:5.1f} {f.rule_id:<7} "
            f"{who}{mark}\n    {clean(f.explanation)}"
            f"\n    accountable: {clean(f.accountable)}{basis}"
        )
    nobody = sum(1 for f in found if f.accountable == UNACCOUNTABLE)
    by_severity = Counter(f.severity for f in found)
    click.echo(
        f"{len(found)} finding(s), {nobody} unaccountable; by severity: "
        f"{severity_counts(by_severity)}"
    )


@cli.command("evaluate")
@workspace_option
@click.option(
    "--labels",
    type=click.Path(dir_okay=False),
    help="labels.json of the generated tenant (default: <workspace>/labels.json).",
)
def evaluate_command(workspace, labels: str | None) -> None:
    """Score the findings against a generated tenant's labels.

    Recall per family and per incident of labels.json, and which benign look-alikes were
    flagged (false positives).

    \b
    Example:
      agentaudit generate ws --seed 7 && agentaudit run --workspace ws
      agentaudit evaluate --workspace ws --labels ws/labels.json
    """
    from detectors.evaluate import evaluate

    report = evaluate(workspace, labels=labels)
    click.echo(report.table())
