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

    \b
    Example:
      agentaudit init --workspace ./tenant-a
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
    """Run one SQL query over the catalog (read-only).

    The catalog is opened read-only, so a query works while a nightly run writes. Bind values
    with --param NAME=VALUE and $NAME in the query (never paste log values into SQL).

    \b
    Examples:
      agentaudit sql -w ./tenant-a 'SELECT actor_kind, count(*) FROM identities GROUP BY 1'
      agentaudit sql -w ./tenant-a --format csv -p k=agent_identity \\
          'SELECT identity_id, name, events FROM identities WHERE actor_kind = $k'
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
    """Interactive SQL prompt over the catalog, with history.

    End a statement with ';'. Ctrl-C drops the statement being typed; Ctrl-D or .quit leaves.
    .help inside lists the dot commands and the catalog's views.

    \b
    Example:
      agentaudit shell -w ./tenant-a
      agentaudit> SELECT * FROM obo_pairs LIMIT 5;
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
    """List identities: their kind, names, sponsor and activity.

    One row per identity: its kind and which source decided it, its names, sponsor, first and
    last seen, and its counts of events.

    \b
    Examples:
      agentaudit identities -w ./tenant-a --agents --unregistered
      agentaudit identities -w ./tenant-a --search finance --format csv
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

    \b
    Example:
      agentaudit registry import agent-identities.json -w ./tenant-a
    """


@registry.command("import")
@workspace_option
@click.argument("file", type=click.Path(dir_okay=False))
def registry_import(workspace: Workspace, file: str) -> None:
    """Merge a Graph export of agent identities into agentaudit.toml.

    FILE is the Microsoft Graph export of the agent identities with their sponsors:

    \b
      GET /beta/servicePrincipals/microsoft.graph.agentIdentity?$expand=sponsors

    \b
    Example:
      agentaudit registry import agents.json -w ./tenant-a
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
    """Update identities and per-identity-day rollups.

    Rolls up the days not yet rolled up; --rebuild rolls up every day again from the raw lake,
    --day only the days given.

    \b
    Examples:
      agentaudit baseline -w ./tenant-a
      agentaudit baseline -w ./tenant-a --day 2026-01-31
      agentaudit baseline -w ./tenant-a --rebuild
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
    """Per-agent evidence for an audit (sponsor, access, permissions).

    One row per agent: sponsor, credentials, access packages, unused permissions, PII categories
    touched, findings by severity, last sign-in. With --agent, every field of the matching agents.

    \b
    Examples:
      agentaudit inventory -w ./tenant-a
      agentaudit inventory -w ./tenant-a --agent "Finance agent" --format json
      agentaudit inventory -w ./tenant-a --format watchlist > agents-watchlist.csv
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
