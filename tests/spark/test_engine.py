"""The Spark engine against DuckDB on the committed sample tenant (sample_data/): the catalog and
history views hold the same rows, and every rule finds the same findings (rule, identity, window,
severity) on a judged day. One SparkSession (local[2]) for the module.

Skipped, with one line saying why, where pyspark or Java is absent.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from conftest import SAMPLE_DATA  # noqa: I001

from pipeline.engines.spark import available

WHY = available()
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"Spark tests skipped: {WHY}")

#: the judged day: the sample tenant's last, with 39 days of history before it
DAY = date(2026, 11, 20)

#: the rules not yet checked equal on this sample and day: run by ``make test-long`` as expected
#: failures (non-strict); strike one from here when it passes. Checked equal: every other rule
PENDING: dict[str, str] = {
    "AA-S05": "the Spark driver runs out of heap planning the query",
}
#: the views the rules read (the token and inventory views are for investigators: not run here)
RULE_VIEWS = (
    "events", "obo_pairs", "app_links", "permission_grants", "creation_channels", "stewards",
    "identities", "risk_signals", "access_assignments",
)  # fmt: skip


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from pipeline import baselines
    from pipeline.ingest import ingest_paths
    from pipeline.workspace import Workspace

    ws = Workspace.at(tmp_path_factory.mktemp("spark") / "ws")
    ws.root.mkdir(parents=True)
    shutil.copy(SAMPLE_DATA / "agentaudit.toml", ws.root / "agentaudit.toml")
    ingest_paths(ws, [SAMPLE_DATA / "input"])
    baselines.update(ws)
    return ws


@pytest.fixture(scope="module")
def config(ws):
    from pipeline.config import load_config

    return load_config(ws)


@pytest.fixture(scope="module")
def duck(ws, config):
    from pipeline import baselines, catalog

    con = catalog.connect(ws, read_only=True, config=config)
    baselines.set_history(con, DAY)
    yield con
    con.close()


@pytest.fixture(scope="module")
def spark(ws, config):
    from pipeline.catalog import sql_text
    from pipeline.engines import spark_catalog
    from pipeline.engines.spark import SparkEngine

    engine = SparkEngine.start(str(ws.lake), master="local[2]")
    spark_catalog.install(engine, config, governance=False)
    engine.run(sql_text("access_assignments"))  # the one governance view a rule reads (AA-G06)
    spark_catalog.set_history(engine, DAY)
    yield engine
    engine.stop()


def _views() -> list[str]:
    from pipeline.baselines import HISTORY_VIEWS

    return [*RULE_VIEWS, *HISTORY_VIEWS]


def _param(name: str):
    """A rule still pending runs with ``make test-long`` (pytest -m slow), as an expected failure:
    the default suite stays within its time."""
    if name in PENDING:
        marks = [pytest.mark.slow, pytest.mark.xfail(strict=False, reason=PENDING[name])]
        return pytest.param(name, marks=marks)
    return name


@pytest.mark.parametrize("view", [_param(v) for v in _views()])
def test_view_holds_the_same_rows(view, duck, spark) -> None:
    (want,) = duck.execute(f"SELECT count(*) FROM {view}").fetchone()  # noqa: S608
    got = spark.spark.table(view).count()
    assert got == want, f"{view}: Spark {got} rows, DuckDB {want}"


def _rules() -> list:
    from detectors.engine import discover_rules

    return [_param(r.id) for r in discover_rules()]


def _findings(rule_id: str, ctx_args: dict) -> set[tuple]:
    from detectors.engine import discover_rules
    from detectors.rule import DetectContext

    (rule,) = [r for r in discover_rules() if r.id == rule_id]
    ctx = DetectContext(params=ctx_args["config"].detector_params(rule_id), **ctx_args)
    return {
        (f.rule_id, f.identity.id, f.window_start.isoformat(), f.window_end.isoformat(), f.severity)
        for f in rule().detect(ctx)
    }


@pytest.mark.parametrize("rule_id", _rules())
def test_rule_finds_the_same_findings(rule_id, duck, spark, config) -> None:
    from pipeline.engines import DuckEngine

    common = {"day": DAY, "config": config, "run_id": "equality", "lookback_days": 30}
    want = _findings(rule_id, {**common, "con": duck, "engine": DuckEngine(duck)})
    got = _findings(rule_id, {**common, "con": None, "engine": spark})
    only_duck, only_spark = sorted(want - got), sorted(got - want)
    assert not only_duck and not only_spark, (
        f"{rule_id} on {DAY}: {len(want)} DuckDB finding(s), {len(got)} Spark\n"
        f"only DuckDB: {only_duck}\nonly Spark: {only_spark}"
    )
