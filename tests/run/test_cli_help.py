"""`--help` reads well at any terminal width: the command list shows each command's whole first
sentence (never cut with "..."), and every example is one command per line that survives
copy-paste (click's ``\\b`` paragraphs: no path or query wrapped in the middle)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from pipeline.cli import cli


def _commands(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = list(_commands())


def _help(args: list[str], width: int) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("width", [60, 80, 200])
def test_command_list_shows_whole_first_sentences(width):
    for group in ([], ["registry"]):
        listing = _help(group, width).split("Commands:")[1]
        assert "..." not in listing
        for name, cmd in (cli.commands if not group else cli.commands["registry"].commands).items():
            sentence = cmd.get_short_help_str(limit=1_000)
            assert sentence.endswith("."), f"{name}: {sentence!r} is not a whole sentence"
            # (click wraps at spaces and hyphens: compare without the line breaks)
            assert "".join(sentence.split()) in "".join(listing.split())


def test_first_sentences_fit_one_line_of_an_80_column_terminal():
    # 80 columns leave 64 for the summary beside the longest command name
    ours = [
        c for c in COMMANDS if _command(c).callback.__module__ != "pipeline.cli.report"
    ]  # report / export are the report's own (pipeline/cli/report.py)
    long = {" ".join(c): s for c in ours if len(s := _command(c).get_short_help_str(1_000)) > 64}
    assert not long


def _command(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = cli
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_examples_are_one_command_per_line_at_any_width(command):
    for width in (50, 80):
        lines = _help(list(command), width).splitlines()
        starts = [i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")]
        assert starts, f"{' '.join(command)} --help has no example"
        for start in starts:
            block = []
            for line in lines[start + 1 :]:
                if not line.strip():
                    break
                block.append(line.strip())
            assert block
            for before, line in zip([""] + block, block, strict=False):
                assert line.startswith(("agentaudit ", "agentaudit>")) or before.endswith("\\"), (
                    f"{' '.join(command)} --help at {width} columns wraps an example: {line!r}"
                )
