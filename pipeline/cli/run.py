"""`agentaudit` commands: run (the nightly job) and demo."""

from __future__ import annotations

import click

from detectors.finding import SEVERITIES
from pipeline.cli import cli, new_workspace_option, progress_option, wait_option
from pipeline.engines import ENGINES
from pipeline.run import RunSummary, demo, findings_at_or_above, open_days, run_nightly
from pipeline.workspace import Workspace


def _report_status(workspace: Workspace, summary: RunSummary) -> tuple[str | None, str]:
    """The report to open, and the line that says what became of it (never "None"): written by
    this run, or the latest one when this run judged no day, or none at all yet."""
    from pipeline.report import latest_report

    if summary.report:
        return summary.report, summary.report
    why = "no new data" if not summary.changed else "no day judged"
    latest = latest_report(workspace)
    if latest is None:
        return None, f"no report written: {why}, nothing judged yet"
    return str(latest), f"{why}; latest report: {latest}"


def _print_summary(workspace: Workspace, summary: RunSummary) -> None:
    for stage in summary.stages:
        click.echo(f"  {stage.name:<9} {stage.seconds:8.2f} s")
    click.echo(summary.headline())
    click.echo(f"report:    {_report_status(workspace, summary)[1]}")
    if summary.siem_file:
        click.echo(f"SIEM file: {summary.siem_file}")


def _stage_echo(name: str) -> None:
    click.echo(f"» {name}", err=True)


@cli.command("run")
@new_workspace_option
@click.option(
    "--input",
    "-i",
    "inputs",
    multiple=True,
    help="File, folder or glob of Entra exports (repeatable); default: [workspace] inputs.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 3 while unsuppressed findings at or above this severity are open (also on a run "
    "in which nothing new arrived).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="duckdb",
    show_default=True,
    help="What runs the rules' SQL: DuckDB, or Spark over the same lake (pip install "
    "'agentaudit[spark]'; Java 17).",
)
@click.option(
    "--spark-master",
    default=None,
    help="With --engine spark: the Spark master (local[N], yarn, spark://host:7077); default: "
    "the one spark-submit gave, else local[2].",
)
@wait_option
@progress_option
@click.pass_context
def run_cmd(
    ctx: click.Context,
    workspace: Workspace,
    inputs: tuple[str, ...],
    fail_on: str | None,
    engine: str,
    spark_master: str | None,
    wait_seconds: float,
    progress: bool,
) -> None:
    """The nightly job: ingest, baseline, detect, report, export.

    Ingests what is new, updates the baselines, judges the new days, writes the HTML report and
    the SIEM file (and pushes to the collectors configured under [siem]).

    \b
    Example:
      agentaudit run --workspace /srv/agentaudit --input /data/entra-exports --fail-on high
      agentaudit run --workspace ws --engine spark --spark-master local[2]
    """
    summary = run_nightly(
        workspace,
        inputs or None,
        progress=progress,
        wait_seconds=wait_seconds,
        on_stage=_stage_echo,
        engine=engine,
        spark_master=spark_master,
    )
    _print_summary(workspace, summary)
    if summary.no_new_input:
        click.echo(
            f"warning: no new rows arrived from {', '.join(summary.inputs)} although "
            "expect_new_data = true under [workspace]: check that the export feed still delivers",
            err=True,
        )
    if fail_on and findings_at_or_above(workspace, open_days(workspace, summary), fail_on):
        click.echo(f"findings at or above {fail_on}: exiting 3", err=True)
        ctx.exit(3)
    if summary.no_new_input:
        ctx.exit(4)


@cli.command("demo")
@click.argument("folder", default="agentaudit-demo", type=click.Path(file_okay=False))
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Seed of the generated tenant."
)
@click.option(
    "--days", type=int, default=21, show_default=True, help="Days of history to generate."
)
@progress_option
def demo_cmd(folder: str, seed: int, days: int, progress: bool) -> None:
    """Generate a sample tenant and run the nightly job on it.

    FOLDER is reused when it already holds a tenant; the report's path is printed at the end.

    \b
    Example:
      agentaudit demo /tmp/agentaudit-demo
    """
    workspace = Workspace.at(folder)
    summary = demo(workspace.root, seed=seed, days=days, progress=progress)
    _print_summary(workspace, summary)
    path, _ = _report_status(workspace, summary)
    if path:  # else the summary's report line says why there is none
        click.echo(f"\nOpen the report: {path}")
