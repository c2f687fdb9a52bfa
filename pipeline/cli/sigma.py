"""`agentaudit sigma`: Sigma rules on the lake (check, run)."""

from __future__ import annotations

from datetime import date

import click

from pipeline.cli import cli, parse_day, wait_option, workspace_option
from pipeline.errors import AgentAuditError


@cli.group("sigma")
def sigma_group() -> None:
    """Sigma rules (e.g. SigmaHQ's rules/cloud/azure) on the lake.

    \b
    Example:
      agentaudit sigma check ~/sigma/rules/cloud/azure
      agentaudit sigma run ~/sigma/rules/cloud/azure/audit_logs --workspace ws
    """


_PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))


@sigma_group.command("check")
@_PATHS
@click.option("--show-sql", is_flag=True, help="Print each rule's DuckDB query and its values.")
def check_command(paths: tuple[str, ...], show_sql: bool) -> None:
    """Say whether each Sigma rule runs on the lake.

    Per rule: ok, unsupported (and why), or binds to no real column (a field no table has: it
    could never fire). PATHS are files or folders.

    Exit 0 when every rule is accounted for, 1 when a file could not be read.

    \b
    Example:
      agentaudit sigma check ~/sigma/rules/cloud/azure --show-sql
    """
    from pipeline.catalog.query import clean  # rule text: no escape sequence reaches the terminal
    from pipeline.sigma.check import check

    report = check(paths)
    for line in report.lines(show_sql=show_sql):
        click.echo(clean(line))
    click.echo(report.summary())
    if not report.all_accounted:
        raise AgentAuditError(
            f"{len(report.file_errors)} file(s) could not be read as Sigma rules (listed above)"
        )


@sigma_group.command("run")
@_PATHS
@workspace_option
@click.option(
    "--date",
    "day",
    metavar="YYYY-MM-DD",
    callback=parse_day,
    help="Judge only this day (default: every day of audits or sign-ins in the lake).",
)
@wait_option
def run_command(paths: tuple[str, ...], workspace, day: date | None, wait_seconds: float) -> None:
    """Run Sigma rules once over the lake and write their findings.

    Findings are written like the nightly run's (accountable human, suppressions; the other
    rules' findings are kept). The report and the SIEM export read them from there.

    \b
    Example:
      agentaudit sigma run ~/sigma/rules/cloud/azure --workspace ws
    """
    from pipeline.catalog.query import clean
    from pipeline.sigma.runner import run_rules

    summary = run_rules(workspace, paths, days=[day] if day else None, wait_seconds=wait_seconds)
    for line in summary.lines():
        click.echo(clean(line))
    click.echo(summary.headline())
