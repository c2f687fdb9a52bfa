"""`agentaudit shell` and `agentaudit sql`: Ctrl-C, .help against the real catalog, each view
listed once, and SQL errors that keep DuckDB's line breaks and caret."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from pipeline.catalog import connect
from pipeline.catalog.query import run_query
from pipeline.catalog.shell import MORE, PROMPT, Shell, help_text
from pipeline.errors import AgentAuditError

from .rows import write


@pytest.fixture
def ws(workspace):
    write(
        workspace,
        "signins",
        [dict(event_time="2026-06-01T08:00:00", log_type="service_principal", user_id=None)],
    )
    return workspace


@pytest.fixture
def con(ws):
    con = connect(ws, read_only=True)
    yield con
    con.close()


class Keys:
    """A fake terminal: each item a typed line, or KeyboardInterrupt for Ctrl-C; then Ctrl-D."""

    def __init__(self, *keys):
        self.keys = list(keys)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str | None:
        self.prompts.append(prompt)
        if not self.keys:
            return None
        key = self.keys.pop(0)
        if key is KeyboardInterrupt:
            raise KeyboardInterrupt
        return key


def _shell(con, interactive=True):
    said: list[str] = []
    return Shell(con, said.append, interactive=interactive), said


def test_ctrl_c_drops_the_statement_being_typed_and_the_shell_goes_on(con):
    shell, said = _shell(con)
    keys = Keys(
        "SELECT 'dropped' AS x",
        "FROM signins",
        KeyboardInterrupt,
        KeyboardInterrupt,  # on an empty prompt: nothing to drop, still no exit
        "SELECT 'kept' AS y;",
    )
    summary = shell.loop(keys)
    text = "\n".join(said)
    assert "dropped" not in text and "kept" in text
    assert (summary.statements, summary.errors) == (1, 0)
    # after Ctrl-C the prompt starts afresh, not as a continuation of the dropped statement
    assert keys.prompts == [PROMPT, MORE, MORE, PROMPT, PROMPT, PROMPT]


def test_ctrl_d_and_quit_leave(con):
    shell, _ = _shell(con)
    keys = Keys("SELECT 1;", ".quit", "SELECT 2;")
    assert shell.loop(keys).statements == 1 and keys.keys == ["SELECT 2;"]


def test_a_script_stops_at_ctrl_c(con):
    shell, _ = _shell(con, interactive=False)
    with pytest.raises(KeyboardInterrupt):
        shell.loop(Keys("SELECT 1", KeyboardInterrupt, "SELECT 2;"))


def test_ctrl_c_stops_a_running_query_and_the_shell_goes_on(con):
    """Python hands SIGINT to the main thread only between bytecodes: the query runs in a worker
    so that Ctrl-C reaches the shell, which interrupts DuckDB."""
    shell, said = _shell(con)
    endless = "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b;"
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        summary = shell.loop(Keys(endless, "SELECT 42 AS answer;"))
    finally:
        timer.cancel()
    text = "\n".join(said)
    assert "query interrupted" in text and "answer\n------\n42" in text.split("interrupted")[1]
    assert (summary.statements, summary.errors) == (2, 1)


def test_help_names_exactly_the_views_and_tables_of_the_catalog(con):
    text = help_text(con)
    listed = " ".join(text.split("Views: ", 1)[1].split()).replace(" Tables: ", ", ")
    names = [n.strip() for n in listed.split("(.history")[0].split(",")]
    real = [
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    ]
    assert sorted(names) == sorted(real)
    assert {"events", "identities", "obo_pairs", "findings", "registry"} <= set(names)


def test_each_view_is_listed_once_even_beside_a_written_catalog_file(ws):
    connect(ws).close()  # a writer built the persistent views in catalog.duckdb
    assert ws.catalog.exists()
    con = connect(ws, read_only=True)
    try:
        for sql in (
            "SELECT table_name, count(*) FROM information_schema.tables GROUP BY 1 "
            "HAVING count(*) > 1",
            "SELECT view_name, count(*) FROM duckdb_views() WHERE NOT internal GROUP BY 1 "
            "HAVING count(*) > 1",
        ):
            assert con.execute(sql).fetchall() == []
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        assert {"events", "identities"} <= views
    finally:
        con.close()


def test_sql_errors_keep_duckdbs_line_breaks_and_caret(ws):
    with pytest.raises(AgentAuditError) as err:
        run_query(ws, "SELECT nope\nFROM signins")
    lines = str(err.value).splitlines()
    assert lines[0].startswith("query failed: Binder Error:")
    at = next(i for i, line in enumerate(lines) if line.startswith("LINE 1: SELECT nope"))
    caret = lines[at + 1]
    assert caret.strip().startswith("^") and caret.index("^") == lines[at].index("nope")
    assert "⏎" not in str(err.value)


def test_sql_errors_still_strip_escape_sequences(ws):
    with pytest.raises(AgentAuditError) as err:
        run_query(ws, "SELECT '\x1b[31m' AS x FROM nowhere")
    assert "\x1b" not in str(err.value)
