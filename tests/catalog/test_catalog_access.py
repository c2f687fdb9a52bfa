"""Catalog access: read-only while another process holds the catalog file, safe rendering."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from pipeline import baselines, catalog
from pipeline.catalog.query import QueryResult, parse_params, run_query
from pipeline.errors import AgentAuditError, UsageError

from .rows import write


@pytest.fixture
def filled(workspace):
    write(
        workspace,
        "signins",
        [
            dict(
                event_time="2026-05-01T10:00:00",
                user_id="u1",
                log_type="interactive",
                user_principal_name="=HYPERLINK()",
                user_agent="evil\x1b[2Jagent\nnext",
            )
        ],
    )
    baselines.update(workspace)
    return workspace


def test_sql_works_while_another_process_holds_the_catalog(filled):
    holder = textwrap.dedent(
        f"""
        import sys, duckdb
        con = duckdb.connect({str(filled.catalog)!r})
        print("locked", flush=True)
        sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        result = run_query(filled, "SELECT identity_id FROM events")
        assert result.rows == [("u1",)]
        con = catalog.connect(filled)  # a writer that cannot get the file falls back to memory
        try:
            assert con.execute("SELECT count(*) FROM identities").fetchall() == [(1,)]
        finally:
            con.close()
    finally:
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait(timeout=20)


def test_parameters_are_bound(filled):
    res = run_query(
        filled,
        "SELECT count(*) AS n FROM events WHERE identity_id = $who",
        parse_params(["who=u1"]),
    )
    assert res.rows == [(1,)]
    injected = run_query(
        filled, "SELECT count(*) AS n FROM events WHERE identity_id = $who", {"who": "x' OR '1'='1"}
    )
    assert injected.rows == [(0,)]
    with pytest.raises(UsageError):
        parse_params(["no-equals"])
    assert parse_params(["n=3", "f=0.5", "s=2026-01-01"]) == {"n": 3, "f": 0.5, "s": "2026-01-01"}


def test_errors_are_user_errors(filled):
    with pytest.raises(AgentAuditError, match="query failed"):
        run_query(filled, "SELECT nope FROM events")
    with pytest.raises(UsageError):
        run_query(filled, "   ")


def test_rendering_is_safe(filled):
    res = run_query(
        filled,
        "SELECT s.user_principal_name AS upn, e.user_agent, 1 AS n, "
        "-2 AS neg FROM events e JOIN signins s USING (event_id)",
    )
    table = res.render("table")
    assert "\x1b" not in table and "evil?[2Jagent⏎next" in table
    csv_text = res.render("csv")
    assert "'=HYPERLINK()" in csv_text and ",1,-2" in csv_text
    line = json.loads(res.render("json"))
    assert line["upn"] == "=HYPERLINK()" and line["user_agent"] == "evil\x1b[2Jagent\nnext"


def test_limit_marks_truncation():
    res = QueryResult(columns=["a"], rows=[(1,)], truncated=True)
    assert "truncated" in res.summary()


def test_a_foreign_parquet_file_is_named(workspace):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = workspace.table_dir("signins") / "date=2026-01-01"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"something": [1]}), folder / "odd.parquet")
    with pytest.raises(AgentAuditError, match="signins"):
        catalog.connect(workspace)
