"""`agentaudit` commands: generate (a synthetic tenant with labelled incidents)."""

from __future__ import annotations

import click

from pipeline.cli import cli, new_workspace_option, progress_option
from pipeline.generate import FORMATS, generate_tenant
from pipeline.generate.generator import DEFAULT_AGENTS, DEFAULT_HUMANS
from pipeline.ingest.progress import Steps
from pipeline.workspace import Workspace


@cli.command("generate")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@new_workspace_option
@click.option(
    "--days",
    type=int,
    default=14,
    show_default=True,
    help="Days of history (AA-G04's dormant agent needs 40).",
)
@click.option(
    "--agents",
    type=int,
    default=DEFAULT_AGENTS,
    show_default=True,
    help="Registered agents (the story's cast plus research assistants).",
)
@click.option(
    "--humans",
    type=int,
    default=DEFAULT_HUMANS,
    show_default=True,
    help="People in the tenant (at least 40).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="storage",
    show_default=True,
    help="Export shape of the log files.",
)
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Same seed, same tenant, byte for byte."
)
@click.option(
    "--corrupt",
    type=float,
    default=0.0,
    show_default=True,
    help="Fraction of lines to damage (truncated, junk, broken JSON).",
)
@click.option(
    "--end-date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day of the period (default 2026-11-20, fixed for reproducibility).",
)
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiply everyone's ordinary volume (0.2 for a small sample).",
)
@click.option("--gzip", "gzip_files", is_flag=True, help="Write .gz files (the ingest reads them).")
@click.option("--overwrite", is_flag=True, help="Replace an existing input/ folder.")
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Processes writing days in parallel (same bytes as one).",
)
@progress_option
def generate_cmd(
    folder: str | None,
    workspace: Workspace,
    days: int,
    agents: int,
    humans: int,
    fmt: str,
    seed: int,
    corrupt: float,
    end_date,
    scale: float,
    gzip_files: bool,
    overwrite: bool,
    workers: int,
    progress: bool,
) -> None:
    """Generate a synthetic Entra tenant with agents and incidents.

    The tenant's AI agents, people and labelled incidents are written into FOLDER (default: the
    workspace), which becomes a workspace: input/, agentaudit.toml, labels.json.

    \b
    Example:
      agentaudit generate /tmp/tenant --days 40 --format storage --seed 7
    """
    out = Workspace.at(folder).root if folder else workspace.root
    with Steps("generate", "days", progress) as days_done:
        summary = generate_tenant(
            out,
            days=days,
            agents=agents,
            humans=humans,
            fmt=fmt,
            seed=seed,
            corrupt=corrupt,
            end_date=end_date.date() if end_date else None,
            scale=scale,
            gzip_files=gzip_files,
            overwrite=overwrite,
            progress=days_done,
        )
    click.echo(summary.line())
    click.echo(f"labels: {summary.labels_path}")
    click.echo(f"next:   agentaudit run --workspace {summary.out_dir}")
