"""The ``agentaudit`` command line: a thin click layer over the library.

Each command module below registers its commands on ``cli``; a command parses its arguments, calls
one library function and prints the summary it returns.
"""

from __future__ import annotations

import sys

import click

from pipeline import __version__
from pipeline.errors import AgentAuditError
from pipeline.workspace import Workspace


def workspace_option(func):
    """Adds ``--workspace DIR`` to a command and passes it on as a ``Workspace``."""
    return click.option(
        "--workspace",
        "-w",
        "workspace",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False),
        callback=lambda _ctx, _param, value: Workspace.at(value),
        help="Workspace folder (holds agentaudit.toml, lake/, catalog.duckdb, reports/, siem/).",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="agentaudit")
def cli(debug: bool) -> None:
    """agentaudit: governance and anomaly detection for AI agents in Microsoft Entra logs.

    Exit codes: 0 ok, 1 error, 2 usage error, 3 findings at or above --fail-on.
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
