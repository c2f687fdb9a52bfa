"""`agentaudit` commands: init, sql, shell, identities, registry import, baseline."""

from __future__ import annotations

import click

from pipeline.cli import cli, new_workspace_option, progress_option, workspace_option
from pipeline.workspace import Workspace

FORMAT = click.Choice(["table", "csv", "json"])


@cli.command()
@new_workspace_option
@click.option("--force", is_flag=True, help="Overwrite an existing agentaudit.toml.")
def init(workspace: Workspace, force: bool) -> None:
    """Create a workspace with a commented agentaudit.toml.

    Example: agentaudit init --workspace ./tenant-a
    """
    from pipeline.config import write_example

    path = write_example(workspace, force=force)
    click.echo(f"created {path}; edit it, then run: agentaudit ingest PATH -w {workspace.root}")


@cli.command()
@workspace_option
@click.argument("query")
@click.option("--format", "-f", "fmt", type=FORMAT, default="table", show_default=True)
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Bind $NAME in QUERY."
)
@click.option("--limit", type=int, default=None, help="Show at most this many rows.")
def sql(workspace: Workspace, query: str, fmt: str, params: tuple[str, ...], limit: int | None):
    """Run one SQL query over the catalog (read-only; works while a nightly run writes).

    Example: agentaudit sql 'SELECT identity_id, events FROM identities WHERE actor_kind = $k'
    -p k=agent_identity --format csv
    """
    from pipeline.catalog.query import parse_params, run_query

    result = run_query(workspace, query, parse_params(params), limit=limit)
    if result.columns:
        click.echo(result.render(fmt))  # type: ignore[arg-type]
    click.echo(result.summary(), err=True)


@cli.command()
@workspace_option
@click.option("--format", "-f", "fmt", type=FORMAT, default="table", show_default=True)
def shell(workspace: Workspace, fmt: str) -> None:
    """Interactive SQL prompt over the catalog, with history (.help inside for commands).

    Example: agentaudit shell -w ./tenant-a   then   SELECT * FROM obo_pairs;
    """
    from pipeline.catalog.shell import run_shell

    summary = run_shell(workspace, fmt=fmt)
    click.echo(summary.line(), err=True)


@cli.command()
@workspace_option
@click.option("--kind", default=None, help="Only this actor kind (agent_identity, human, …).")
@click.option("--agents", "agents_only", is_flag=True, help="Only agents (by kind or registry).")
@click.option(
    "--registered/--unregistered", default=None, help="Only registered (or unregistered) ones."
)
@click.option("--search", "-s", default=None, help="Text in the id, name, app id or sponsor.")
@click.option("--format", "-f", "fmt", type=FORMAT, default="table", show_default=True)
@click.option("--limit", type=int, default=200, show_default=True)
def identities(
    workspace: Workspace,
    kind: str | None,
    agents_only: bool,
    registered: bool | None,
    search: str | None,
    fmt: str,
    limit: int,
) -> None:
    """List identities: kind and who decided it, names, sponsor, first / last seen, counts.

    Example: agentaudit identities --agents --unregistered
    """
    from pipeline.identities import list_identities

    result = list_identities(workspace, kind, registered, agents_only, search, limit)
    click.echo(result.render(fmt))  # type: ignore[arg-type]
    for note in result.notes:
        click.echo(note, err=True)
    click.echo(result.summary(), err=True)


@cli.group()
def registry() -> None:
    """The agent registry in agentaudit.toml.

    Example: agentaudit registry import agent-identities.json
    """


@registry.command("import")
@workspace_option
@click.argument("file", type=click.Path(dir_okay=False))
def registry_import(workspace: Workspace, file: str) -> None:
    """Merge a Microsoft Graph export of agent identities (with sponsors) into agentaudit.toml.

    Example: agentaudit registry import agents.json -w ./tenant-a
    (export: GET /beta/servicePrincipals/microsoft.graph.agentIdentity?$expand=sponsors)
    """
    from pipeline.registry import import_graph_export

    summary = import_graph_export(workspace, file)
    for skipped in summary.skipped[:20]:
        click.echo(f"skipped {skipped}", err=True)
    click.echo(summary.line())


@cli.command()
@workspace_option
@click.option("--day", "days", multiple=True, metavar="YYYY-MM-DD", help="Roll up these days.")
@click.option("--rebuild", is_flag=True, help="Roll up every day again from the raw lake.")
@progress_option
def baseline(workspace: Workspace, days: tuple[str, ...], rebuild: bool, progress: bool) -> None:
    """Update identities and per-identity-day rollups for the days not yet rolled up.

    Example: agentaudit baseline -w ./tenant-a    (or --rebuild, or --day 2026-01-31)
    """
    from pipeline.baselines import update
    from pipeline.ingest.progress import Steps

    with Steps("baseline", "days", progress) as days_done:
        summary = update(workspace, days=list(days) or None, rebuild=rebuild, on_day=days_done)
    click.echo(summary.line())


@cli.command()
@workspace_option
@click.option("--agent", default=None, help="Only the agent with this id, or names containing it.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "csv", "json", "watchlist"]),
    default="table",
    show_default=True,
    help="watchlist: a flat CSV to upload as a Microsoft Sentinel watchlist (SearchKey first).",
)
def inventory(workspace: Workspace, agent: str | None, fmt: str) -> None:
    """Per-agent evidence for an audit: sponsor, credentials, access, unused permissions.

    Example: agentaudit inventory -w ./tenant-a --agent "Finance agent" --format json
    """
    from pipeline.inventory import badges, inventory, summary_table

    result = inventory(workspace, agent)
    if fmt == "watchlist":
        from pipeline.siem.watchlist import watchlist_csv

        click.echo(watchlist_csv(result), nl=False)
    elif fmt != "table":
        click.echo(result.render(fmt))  # type: ignore[arg-type]
    elif agent:
        click.echo(badges(result))
    elif result.rows:
        click.echo(summary_table(result).render("table", max_width=40))
    for note in result.notes:
        click.echo(note, err=True)
    click.echo(result.summary().replace("row", "agent"), err=True)
