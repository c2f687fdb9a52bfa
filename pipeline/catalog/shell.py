"""``agentaudit shell``: an interactive SQL prompt over the catalog, with history.

Statements end with ``;`` (they may span lines). Dot commands: ``.tables``, ``.schema VIEW``,
``.format table|csv|json``, ``.limit N``, ``.history DAY``, ``.help``, ``.quit``. As in psql and
the duckdb CLI, Ctrl-C drops the statement being typed (or stops the running query) and the
shell goes on; Ctrl-D or ``.quit`` leaves. History is kept in the workspace
(``.agentaudit_history``) when the readline module is available.

``Shell`` is the loop itself, over any ``read(prompt)`` function (a terminal's ``input``, a
script's lines, a test's fake), so that what a key does is tested without a terminal.
"""

from __future__ import annotations

import sys
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import duckdb

from pipeline.catalog.query import FORMATS, QueryResult, execute
from pipeline.errors import AgentAuditError
from pipeline.workspace import Workspace

HISTORY_FILE = ".agentaudit_history"
PROMPT = "agentaudit> "
MORE = "... "
COMMANDS = """\
End SQL statements with ';' (they may span lines). Ctrl-C drops the statement being typed.
  .tables            list the views and tables
  .schema NAME       columns of a view or table
  .format FMT        table | csv | json
  .limit N           rows shown per query (0 = all)
  .history DAY       point the history_* / learning_state / day_* views at DAY (YYYY-MM-DD)
  .help              this text
  .quit              leave (or Ctrl-D)"""

#: the catalog's views and tables, each once (the catalog builds them in one database)
_OBJECTS = (
    "SELECT table_name, table_type = 'VIEW' AS is_view FROM information_schema.tables "
    "ORDER BY table_name"
)
_COLUMNS = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_name = $name ORDER BY ordinal_position"
)


@dataclass
class ShellSummary:
    statements: int = 0
    errors: int = 0

    def line(self) -> str:
        return f"{self.statements} statement(s), {self.errors} error(s)"


def catalog_objects(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """(views, tables) of the catalog on ``con``, by name."""
    rows = execute(con, _OBJECTS).rows
    return [str(n) for n, v in rows if v], [str(n) for n, v in rows if not v]


def help_text(con: duckdb.DuckDBPyConnection) -> str:
    """``.help``: the dot commands, then the views and tables this catalog really holds."""
    views, tables = catalog_objects(con)

    def listing(title: str, names: list[str]) -> str:
        return textwrap.fill(
            ", ".join(names) or "(none)",
            width=96,
            initial_indent=f"{title}: ",
            subsequent_indent=" " * (len(title) + 2),
            break_on_hyphens=False,
        )

    return "\n".join(
        [
            COMMANDS,
            listing("Views", views),
            listing("Tables", tables),
            "(.history DAY adds the history views of that day)",
        ]
    )


class Shell:
    """The read-eval-print loop over one catalog connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        say: Callable[[str], None],
        fmt: str = "table",
        limit: int = 100,
        interactive: bool = True,
    ):
        self.con = con
        self.interactive = interactive  # a script stops at Ctrl-C; a person's session goes on
        self.say = say
        self.fmt = fmt
        self.limit = limit
        self.summary = ShellSummary()

    def loop(self, read: Callable[[str], str | None]) -> ShellSummary:
        """Read lines with ``read(prompt)`` (None at end of input) until the end or ``.quit``.

        ``read`` raising KeyboardInterrupt (Ctrl-C) drops the statement being typed (a script
        that is not ``interactive`` stops)."""
        buffer: list[str] = []
        while True:
            try:
                line = read(MORE if buffer else PROMPT)
            except KeyboardInterrupt:
                if not self.interactive:
                    raise
                buffer = []
                self.say("")  # the next prompt on its own line, after the terminal's ^C
                continue
            if line is None:  # end of input (Ctrl-D)
                if self.interactive:
                    self.say("")  # the summary on its own line, after the prompt
                return self.summary
            stripped = line.strip()
            if not buffer and stripped.startswith("."):
                if not self.dot(stripped):
                    return self.summary
                continue
            if not stripped and not buffer:
                continue
            buffer.append(line)
            if stripped.endswith(";"):
                self.run("\n".join(buffer).strip().rstrip(";"))
                buffer = []

    def run(self, text: str) -> None:
        self.summary.statements += 1
        try:
            res = self._interruptible(lambda: execute(self.con, text, limit=self.limit or None))
        except AgentAuditError as exc:
            self.summary.errors += 1
            self.say(f"error: {exc}")
            return
        except KeyboardInterrupt:
            self.summary.errors += 1
            if not self.interactive:
                raise
            self.say("\nquery interrupted")  # after the terminal's ^C
            return
        if res.columns:
            self.say(res.render(self.fmt))  # type: ignore[arg-type]
            self.say(f"({res.summary()})")

    def _interruptible(self, query: Callable[[], QueryResult]) -> QueryResult:
        """Run ``query`` in a worker thread, so that Ctrl-C (which Python delivers to this
        thread only between bytecodes, never while DuckDB computes) interrupts it: then the
        query is stopped and KeyboardInterrupt raised once DuckDB has let go."""
        done: list[QueryResult] = []
        failed: list[BaseException] = []
        finished = threading.Event()  # not Thread.join: a join that Ctrl-C interrupts may leave
        # is_alive() False while the thread still runs (Python < 3.13)

        def work() -> None:
            try:
                done.append(query())
            except BaseException as exc:  # handed to the waiting thread
                failed.append(exc)
            finally:
                finished.set()

        threading.Thread(target=work, name="agentaudit-shell-query", daemon=True).start()
        interrupted = False
        while not finished.is_set():
            try:
                finished.wait(0.1)
            except KeyboardInterrupt:
                interrupted = True
                self.con.interrupt()
        if interrupted:
            raise KeyboardInterrupt
        if failed:
            raise failed[0]
        return done[0]

    def dot(self, command: str) -> bool:
        """Run a dot command; False when it is .quit."""
        from pipeline.baselines import set_history

        cmd, _, arg = command.partition(" ")
        arg = arg.strip()
        if cmd in (".quit", ".exit"):
            return False
        if cmd == ".help":
            self.say(help_text(self.con))
        elif cmd == ".tables":
            views, tables = catalog_objects(self.con)
            self.say(", ".join(sorted(views + tables)))
        elif cmd == ".schema" and arg:
            res = execute(self.con, _COLUMNS, {"name": arg})
            self.say(res.render("table") if res.rows else f"no view or table named {arg!r}")
        elif cmd == ".format" and arg in FORMATS:
            self.fmt = arg
        elif cmd == ".limit" and arg.isdigit():
            self.limit = int(arg)
        elif cmd == ".history" and arg:
            try:
                set_history(self.con, arg)
                self.say(f"history views now judge {arg} against the days before it")
            except AgentAuditError as exc:
                self.say(f"error: {exc}")
        else:
            self.say(f"unknown or incomplete command {command!r}; .help lists them")
        return True


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


def _terminal_read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:  # Ctrl-D
        return None


def run_shell(
    workspace: Workspace | str | Path,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    fmt: str = "table",
    limit: int = 100,
) -> ShellSummary:
    """Read statements until end of input; print each result. Interactive when on a terminal."""
    from pipeline.catalog import connect

    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    interactive = inp is sys.stdin and inp.isatty()

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    def script_read(_prompt: str) -> str | None:
        line = inp.readline()
        return None if line == "" else line.rstrip("\n")

    con = connect(ws, read_only=True)
    save = _readline_history(ws) if interactive else (lambda: None)
    try:
        if interactive:
            say("agentaudit shell: .help for help; Ctrl-C drops a statement, Ctrl-D leaves")
        shell = Shell(con, say, fmt, limit, interactive=interactive)
        return shell.loop(_terminal_read if interactive else script_read)
    finally:
        save()
        con.close()
