"""``agentaudit shell``: an interactive SQL prompt over the catalog, with history.

Statements end with ``;`` (they may span lines). Dot commands: ``.tables``, ``.schema VIEW``,
``.format table|csv|json``, ``.limit N``, ``.help``, ``.quit``. History is kept in the workspace
(``.agentaudit_history``) when the readline module is available.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pipeline.catalog.query import FORMATS, execute
from pipeline.errors import AgentAuditError
from pipeline.workspace import Workspace

HISTORY_FILE = ".agentaudit_history"
HELP = """\
End SQL statements with ';'. Views: events, day_events, signins, audits, activity, risk_events,
quarantine, findings, identities, obo_pairs, registry, identity_day, identity_day_values, …
  .tables            list the views and tables
  .schema NAME       columns of a view or table
  .format FMT        table | csv | json
  .limit N           rows shown per query (0 = all)
  .history DAY       point the history_* / learning_state / day_* views at DAY (YYYY-MM-DD)
  .quit              leave (or Ctrl-D)"""


@dataclass
class ShellSummary:
    statements: int = 0
    errors: int = 0

    def line(self) -> str:
        return f"{self.statements} statement(s), {self.errors} error(s)"


def _readline_history(workspace: Workspace) -> Callable[[], None]:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return lambda: None
    path = workspace.root / HISTORY_FILE
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(2000)

    def save() -> None:
        try:
            readline.write_history_file(path)
            path.chmod(0o600)
        except OSError:
            pass

    return save


def run_shell(
    workspace: Workspace | str | Path,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    fmt: str = "table",
    limit: int = 100,
) -> ShellSummary:
    """Read statements until end of input; print each result. Interactive when on a terminal."""
    from pipeline.baselines import set_history
    from pipeline.catalog import connect

    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    interactive = inp is sys.stdin and inp.isatty()
    save = _readline_history(ws) if interactive else (lambda: None)
    summary = ShellSummary()
    con = connect(ws, read_only=True)

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    def read(prompt: str) -> str | None:
        if interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = inp.readline()
        return None if line == "" else line.rstrip("\n")

    if interactive:
        say("agentaudit shell: .help for help, .quit to leave")
    buffer: list[str] = []
    try:
        while True:
            line = read("... " if buffer else "agentaudit> ")
            if line is None:
                break
            stripped = line.strip()
            if not buffer and stripped.startswith("."):
                cmd, _, arg = stripped.partition(" ")
                arg = arg.strip()
                if cmd in (".quit", ".exit"):
                    break
                if cmd == ".help":
                    say(HELP)
                elif cmd == ".tables":
                    res = execute(
                        con,
                        "SELECT DISTINCT table_name FROM information_schema.tables "
                        "ORDER BY table_name",
                    )
                    say(", ".join(str(r[0]) for r in res.rows))
                elif cmd == ".schema" and arg:
                    res = execute(
                        con,
                        "SELECT column_name, any_value(data_type) AS data_type "
                        "FROM information_schema.columns WHERE table_name = $name "
                        "GROUP BY column_name ORDER BY min(ordinal_position)",
                        {"name": arg},
                    )
                    say(res.render("table") if res.rows else f"no view or table named {arg!r}")
                elif cmd == ".format" and arg in FORMATS:
                    fmt = arg
                elif cmd == ".limit" and arg.isdigit():
                    limit = int(arg)
                elif cmd == ".history" and arg:
                    try:
                        set_history(con, arg)
                        say(f"history views now judge {arg} against the days before it")
                    except AgentAuditError as exc:
                        say(f"error: {exc}")
                else:
                    say(f"unknown or incomplete command {stripped!r}; .help lists them")
                continue
            if not stripped and not buffer:
                continue
            buffer.append(line)
            if not stripped.endswith(";"):
                continue
            text = "\n".join(buffer).strip().rstrip(";")
            buffer = []
            summary.statements += 1
            try:
                res = execute(con, text, limit=limit or None)
            except AgentAuditError as exc:
                summary.errors += 1
                say(f"error: {exc}")
                continue
            if res.columns:
                say(res.render(fmt))  # type: ignore[arg-type]
                say(f"({res.summary()})")
    finally:
        save()
        con.close()
    return summary
