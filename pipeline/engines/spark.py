"""The Spark engine (the ``[spark]`` extra): the project's DuckDB ``.sql`` files run on a
SparkSession over the same Hive-partitioned Parquet lake, through ``pipeline.engines.transpile``.

``SparkEngine.start(lake, master)`` opens a session (time zone UTC, few shuffle partitions on a
local master) and registers one temporary view per lake table (``signins`` … ``findings``, the
rollups), read with the table's canonical schema (files written before a column existed read it
as the value they mean, as the DuckDB views do). The lake root may be a path or any URI Spark
reads (``abfss://``, ``s3a://``, ``hdfs://``). File access stays here, in Python: no query names
a file.

``run(text, params)`` executes a file's statements: ``CREATE VIEW|TABLE name AS SELECT`` becomes
a temporary view over the SELECT's DataFrame (a TABLE is cached: computed once, read by many);
``rows`` / ``arrow`` return a query's result. DuckDB's session variables (``getvariable``) are the
engine's ``variables``, bound like the query's own parameters.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import sqlglot

from pipeline.engines import transpile
from pipeline.errors import UsageError
from pipeline.schema import ADDED_COLUMNS, ADDED_DEFAULT, FINDINGS, ROLLUPS, TABLES

#: lake tables registered as views (folder under the lake root, schema)
LAKE_VIEWS: dict[str, tuple[str, pa.Schema]] = {
    **{name: (name, schema) for name, schema in TABLES.items()},
    "findings": ("findings", FINDINGS),
    **{name: (f"rollups/{name}", schema) for name, schema in ROLLUPS.items()},
}


def available() -> str | None:
    """None when Spark can run here, else one line saying why not (no pyspark, no Java)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'agentaudit[spark]')"
    import shutil

    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(java_home)):
        return "no Java runtime (Spark needs Java 17: install a JDK or set JAVA_HOME)"
    return None


def session(master: str | None = None, app: str = "agentaudit", shuffle_partitions: int = 0):
    """A SparkSession on ``master`` (None: the one spark-submit configured, else local[2]): UTC,
    non-ANSI casts (DuckDB's TRY_CAST / try()), and ``shuffle_partitions`` (default: 4 on a
    local master, Spark's own elsewhere)."""
    why = available()
    if why:
        raise UsageError(f"--engine spark: {why}")
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    master = master or SparkConf().get("spark.master", None) or "local[2]"

    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.legacy.sizeOfNull", "false")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.ui.enabled", "false")
        .config("spark.log.level", "ERROR")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    partitions = shuffle_partitions or (4 if master.startswith("local") else 0)
    if partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    return builder.getOrCreate()


def spark_schema(schema: pa.Schema):
    """The Spark schema of an Arrow schema (timestamps with a zone: Spark's TIMESTAMP)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


class SparkEngine:
    """Runs the project's DuckDB SQL texts on a SparkSession (see the module docstring)."""

    name = "spark"

    def __init__(self, spark: Any, lake: str) -> None:
        self.spark = spark
        self.lake = lake.rstrip("/")
        self.variables: dict[str, Any] = {}
        self._cached: dict[str, Any] = {}  # TEMP tables: computed once, released when replaced

    @classmethod
    def start(cls, lake: str, master: str | None = None) -> SparkEngine:
        engine = cls(session(master), lake)
        engine.register_lake()
        return engine

    # --- the lake ------------------------------------------------------------------------------

    def register_lake(self) -> None:
        """One temporary view per lake table (an empty typed view where the folder is absent)."""
        for name, (folder, schema) in LAKE_VIEWS.items():
            self.table_frame(name, folder, schema).createOrReplaceTempView(name)

    def table_frame(self, name: str, folder: str, schema: pa.Schema):
        from pyspark.sql import functions as F
        from pyspark.sql.types import DateType, StructField

        full = spark_schema(schema).add(StructField("date", DateType()))
        path = f"{self.lake}/{folder}"
        if self.has_files(f"{path}/date=*/*.parquet"):
            df = self.spark.read.schema(full).option("basePath", path).parquet(f"{path}/date=*")
        else:  # an absent or empty folder: an empty typed view
            df = self.spark.createDataFrame([], full)
        for field in schema:
            default = _added_default(field)
            if default is not None:
                df = df.withColumn(
                    field.name, F.coalesce(F.col(field.name), F.expr(_spark_expr(default)))
                )
        return df

    def has_files(self, pattern: str) -> bool:
        """Whether a glob (a path or URI) matches a file, asked of Spark's own file system."""
        jvm = self.spark.sparkContext._jvm
        hpath = jvm.org.apache.hadoop.fs.Path(pattern)
        fs = hpath.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())
        found = fs.globStatus(hpath)
        return found is not None and len(found) > 0

    def register(self, name: str, table: pa.Table) -> None:
        """A small Arrow table (the registry, the sensitivity catalogue) as a temporary view."""
        if table.num_rows:
            df = self.spark.createDataFrame(table)
        else:
            df = self.spark.createDataFrame([], spark_schema(table.schema))
        df.createOrReplaceTempView(name)

    # --- running SQL ---------------------------------------------------------------------------

    def frame(self, st: transpile.Statement, params: dict[str, Any] | None = None):
        """The DataFrame of one transpiled statement, its named parameters bound."""
        args = self._args(st.params, params or {})
        return self.spark.sql(st.sql, args=args) if args else self.spark.sql(st.sql)

    def run(self, text: str, params: dict[str, Any] | None = None) -> None:
        """Execute every statement of a DuckDB SQL text (views and tables become temp views)."""
        for st in transpile.cached_statements(text):
            df = self.frame(st, params)
            if st.kind == "query":
                df.collect()
                continue
            if st.kind == "table":
                old = self._cached.pop(st.name, None)
                if old is not None:
                    old.unpersist()
                df = df.localCheckpoint()
                self._cached[st.name] = df
            df.createOrReplaceTempView(st.name)

    def rows(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        rows = self.frame(_query(text), params).collect()
        return [{k: _aware(v) for k, v in r.asDict(recursive=True).items()} for r in rows]

    def arrow(self, text: str, params: dict[str, Any] | None = None) -> pa.Table:
        return self.frame(_query(text), params).toArrow()

    def _args(self, used: frozenset[str], params: dict[str, Any]) -> dict[str, Any]:
        values = {**self.variables, **params}
        missing = used - values.keys()
        if missing:
            raise UsageError(f"no value for parameter(s) {', '.join(sorted(missing))}")
        return {k: _spark_value(values[k]) for k in used}

    def install(self, config: Any) -> None:
        """The catalog's views over the lake (pipeline.engines.spark_catalog)."""
        from pipeline.engines import spark_catalog

        spark_catalog.install(self, config)

    def set_history(self, day: date, lookback_days: int | None = None) -> None:
        """The history views pointed at the days before ``day`` (as on DuckDB)."""
        from pipeline.engines import spark_catalog

        spark_catalog.set_history(self, day, lookback_days)

    def stop(self) -> None:
        self.spark.stop()


def _aware(value: Any) -> Any:
    """pyspark hands timestamps over as naive local times: as aware UTC times, like DuckDB's."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone(UTC)
    return value


def _query(text: str) -> transpile.Statement:
    found = transpile.cached_statements(text)
    if len(found) != 1 or found[0].kind != "query":
        raise UsageError("expected exactly one query (no CREATE)")
    return found[0]


def _spark_value(value: Any):
    """A parameter value as Spark binds it: lists become array() of literals."""
    from pyspark.sql import functions as F

    if isinstance(value, list | tuple):
        items = [F.lit(v) for v in value]
        return F.array(*items)  # empty: array() (Spark binds only constructors, no casts)
    if isinstance(value, datetime | date | str | int | float | bool) or value is None:
        return value
    return str(value)


def _added_default(field: pa.Field) -> str | None:
    said = (field.metadata or {}).get(ADDED_DEFAULT)
    return said.decode() if said is not None else ADDED_COLUMNS.get(field.name)


def _spark_expr(duck_sql: str) -> str:
    return sqlglot.transpile(duck_sql, read=transpile.READ, write=transpile.WRITE)[0]
