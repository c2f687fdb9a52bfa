"""The ``agentaudit`` command line: a thin click layer over the library.

Each command module below registers its commands on ``cli``; a command parses its arguments, calls
one library function and prints the summary it returns.
"""

from __future__ import annotations

import sys
from datetime import date

import click

from pipeline import __version__
from pipeline.errors import AgentAuditError
from pipeline.lake import valid_day
from pipeline.workspace import Workspace


def _existing_workspace(_ctx: click.Context, param: click.Parameter, value: str) -> Workspace:
    workspace = Workspace.at(value)
    if not workspace.exists:
        raise click.BadParameter(
            f"{workspace.root} is not an agentaudit workspace (it holds no agentaudit.toml and no "
            "lake/): check the path, or create one with `agentaudit init --workspace DIR` and "
            "ingest exports into it",
            param=param,
        )
    return workspace


def _workspace_option(callback):
    return click.option(
        "--workspace",
        "-w",
        "workspace",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False),
        callback=callback,
        help="Workspace folder (holds agentaudit.toml, lake/, catalog.duckdb, reports/, siem/).",
    )


#: ``--workspace DIR`` of a command that reads a workspace: a folder that is none is refused
#: (a typo'd path must not print "0 findings" or create a folder)
workspace_option = _workspace_option(_existing_workspace)
#: ``--workspace DIR`` of a command that may create the workspace (init, ingest, run, generate)
new_workspace_option = _workspace_option(lambda _ctx, _param, value: Workspace.at(value))

#: ``--wait SECONDS`` of a command that takes the workspace lock
wait_option = click.option(
    "--wait",
    "wait_seconds",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait for another job holding the workspace.",
)


def parse_day(_ctx, _param, value: str | None) -> date | None:
    """click callback: a ``--date YYYY-MM-DD`` value as a date (None when not given)."""
    if value is None:
        return None
    return date.fromisoformat(valid_day(value))


def _progress_default(_ctx: click.Context, _param: click.Parameter, value: bool | None) -> bool:
    return sys.stderr.isatty() if value is None else value


#: ``--progress/--no-progress`` of a command with long steps: a bar on a terminal; without one,
#: off unless asked for (then a line every tenth of the work, so a CI log stays short)
progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    callback=_progress_default,
    help="Progress on stderr (default: when stderr is a terminal); without a terminal, "
    "--progress prints a line every tenth of the work.",
)


class Group(click.Group):
    """A click group whose command list shows each command's whole first sentence (wrapped when
    long, never cut with "...": click's default cuts it to the terminal width)."""

    group_class = type  # sub-groups (registry) list their commands the same way

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="agentaudit")
def cli(debug: bool) -> None:
    """agentaudit: governance and anomaly detection for AI agents in Microsoft Entra logs.

    Exit codes: 0 ok, 1 error, 2 usage error, 3 findings at or above --fail-on,
    4 no new input where the workspace expects it (expect_new_data).
    """


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        rc = cli.main(standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AgentAuditError as exc:
        if debug:
            raise
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise


# Command modules register themselves on import.
from pipeline.cli import commands  # noqa: E402,F401
