"""Every catalog, baseline and rule SQL file transpiles to Spark SQL (no Spark needed), and the
shim rewrites what sqlglot alone would carry over wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from pipeline.engines import transpile

ROOT = Path(__file__).resolve().parents[2]
#: the SQL the Spark engine runs: catalog views, baselines, rules (ingest, report and Sigma SQL
#: stay DuckDB's: they read files or the DuckDB catalog)
SPARK_SQL = sorted(
    p
    for folder in ("pipeline/catalog", "pipeline/baselines", "detectors")
    for p in (ROOT / folder).rglob("*.sql")
    if p.name != "macros.sql"
)


def test_there_is_sql_to_transpile() -> None:
    assert len(SPARK_SQL) > 50


@pytest.mark.parametrize("path", SPARK_SQL, ids=lambda p: str(p.relative_to(ROOT)))
def test_file_transpiles(path: Path) -> None:
    found = transpile.statements(path.read_text(encoding="utf-8"))
    assert found
    for st in found:  # DuckDB-only spellings are gone (tests/spark/test_engine.py runs them)
        tree = sqlglot.parse_one(st.sql, read="spark", error_level=sqlglot.ErrorLevel.IGNORE)
        names = {f.name.lower() for f in tree.find_all(sqlglot.exp.Anonymous)}
        assert not names & {"getvariable", "quantile_cont", "list_aggregate", "json_valid"}
        assert "percentile_approx" not in st.sql.lower()


def spark(sql: str) -> str:
    (st,) = transpile.statements(sql)
    return st.sql


def test_macros_are_inlined() -> None:
    out = spark("SELECT ip_family(x) AS f FROM t").lower()
    assert "ip_family" not in out and "ip_norm" not in out  # nested macros too
    assert "rlike" in out


def test_session_variables_become_parameters() -> None:
    assert ":aa_day" in spark("SELECT * FROM t WHERE d < getvariable('aa_day')")
    assert ":day" in spark("SELECT * FROM t WHERE d = $day")


def test_percentiles_are_exact() -> None:
    assert "PERCENTILE(x, 0.5)" in spark("SELECT quantile_cont(x, 0.5) FROM t")
    out = spark("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) FROM t")
    assert "PERCENTILE(x, 0.9)" in out and "APPROX" not in out


def test_ordered_list_keeps_its_order() -> None:
    out = spark("SELECT list(id ORDER BY t DESC) FROM e").lower()
    assert "sort_array(collect_list(struct(t as k0, id as v)), false)" in out
    out = spark("SELECT list(DISTINCT ip ORDER BY ip) FILTER (WHERE ip > 'a') FROM e").lower()
    assert "sort_array(collect_set(ip) filter(where ip > 'a'), true)" in out


def test_star_replace_becomes_except() -> None:
    out = spark("SELECT e.* REPLACE (coalesce(e.n, 'x') AS n) FROM e")
    assert "EXCEPT (n)" in out and "AS n" in out


def test_len_of_a_list_is_size() -> None:
    assert "SIZE(" in spark("SELECT len(list_filter(l, x -> x > 1)) FROM t")


def test_file_macros_are_inlined_and_dropped() -> None:
    found = transpile.statements(
        "CREATE OR REPLACE TEMP MACRO twice(x) AS x * 2; SELECT twice(a) AS b FROM t"
    )
    assert [s.kind for s in found] == ["query"]
    assert "a" in found[0].sql and "twice" not in found[0].sql.lower()


def test_a_view_files_macro_is_inlined_in_a_rule() -> None:
    out = spark("SELECT prop_value(p, 'publishername') AS x FROM t").lower()
    assert "prop_value" not in out and "publishername" in out


def test_list_position_not_found_is_null() -> None:
    out = spark("SELECT list_position(l, 'a') AS i FROM t").lower()
    assert "nullif(array_position(l, 'a'), 0)" in out


def test_views_and_tables_keep_their_names() -> None:
    (st,) = transpile.statements("CREATE OR REPLACE TEMP TABLE day_x AS SELECT 1 AS a")
    assert (st.kind, st.name) == ("table", "day_x")


def test_read_parquet_is_refused() -> None:
    with pytest.raises(Exception, match="read_parquet"):
        transpile.statements("SELECT * FROM read_parquet('x/*.parquet')")
