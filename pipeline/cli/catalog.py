"""`agentaudit` commands: init, sql, shell, identities, registry import, baseline."""

from __future__ import annotations

import click

from pipeline.cli import cli, workspace_option
from pipeline.config import write_example
from pipeline.workspace import Workspace


@cli.command()
@workspace_option
@click.option("--force", is_flag=True, help="Overwrite an existing agentaudit.toml.")
def init(workspace: Workspace, force: bool) -> None:
    """Create a workspace with a commented agentaudit.toml.

    Example: agentaudit init --workspace ./tenant-a
    """
    path = write_example(workspace, force=force)
    click.echo(f"created {path}; edit it, then run: agentaudit ingest PATH -w {workspace.root}")
