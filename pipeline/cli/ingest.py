"""`agentaudit ingest PATH...`: Entra exports into the workspace's lake."""

from __future__ import annotations

import click

from pipeline.cli import cli, new_workspace_option, progress_option
from pipeline.errors import AgentAuditError
from pipeline.ingest.summary import inert
from pipeline.workspace import Workspace


@cli.command("ingest")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@progress_option
@new_workspace_option
def ingest_command(paths: tuple[str, ...], progress: bool, workspace: Workspace) -> None:
    """Ingest Entra exports (files, folders, globs) into the lake.

    Folders are read recursively. The format is detected per file from its content: Azure
    Monitor storage (PT1H.json) and Event Hub records, Graph API pages, Log Analytics JSON/CSV,
    admin center CSV/JSON downloads, Microsoft 365 audit records; .gz too. Re-ingesting a file
    is a no-op; bad records go to lake/_quarantine with their reason.

    \b
    Example:
      agentaudit ingest --workspace ./ws exports/insights-logs-signinlogs/ 'exports/*.json.gz'
    """
    from pipeline.ingest import ingest_paths
    from pipeline.lock import workspace_lock

    # one writer per workspace: a second ingest (or a nightly run) would store new events twice
    with workspace_lock(workspace.root, "agentaudit ingest"):
        summary = ingest_paths(workspace, list(paths), progress=progress)
    for line in summary.lines():
        click.echo(line)
    if summary.nothing_read:
        raise AgentAuditError(
            "nothing could be read from the given paths (see the errors above): check that they "
            "are Entra log exports"
        )
    if summary.all_quarantined:
        bad = summary.all_quarantined
        shown = ", ".join(inert(f) for f in bad[:5]) + (" …" if len(bad) > 5 else "")
        raise AgentAuditError(
            f"every row of {len(bad)} input(s) was quarantined: {shown}; the reasons are above "
            "and in lake/_quarantine: check that these are Entra log exports of a known shape"
        )
