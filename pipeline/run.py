"""The nightly job (`agentaudit run`): ingest what is new, baseline, detect, report, export.

Each stage is a library call; this module only orders them, holds the workspace lock, times the
stages and writes a run manifest to ``lake/_runs/<run_id>.json``.
"""

from __future__ import annotations

import glob as globmod
import json
import os
import platform
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pipeline import __version__
from pipeline.errors import UsageError
from pipeline.ingest.progress import Steps
from pipeline.lake import write_json_atomic
from pipeline.lock import workspace_lock
from pipeline.workspace import Workspace

#: in lake/_runs/ while a run is under way (or after one was killed): see run_nightly
UNFINISHED = "unfinished.marker"  # not *.json: not a run manifest


class Stage(BaseModel):
    name: str
    seconds: float
    summary: dict[str, Any] = Field(default_factory=dict)


class RunSummary(BaseModel):
    run_id: str
    started: datetime
    finished: datetime | None = None
    inputs: list[str]
    stages: list[Stage] = Field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    days_judged: list[str] = Field(default_factory=list)
    findings_by_severity: dict[str, int] = Field(default_factory=dict)
    report: str | None = None
    siem_file: str | None = None
    changed: bool = True
    resumed: bool = False  # the previous run was killed before its end: its work is redone
    #: no new row arrived although [workspace] expect_new_data says the feed delivers nightly
    no_new_input: bool = False
    versions: dict[str, str] = Field(default_factory=dict)

    def headline(self) -> str:
        if not self.changed:
            return (
                "Nothing new: every input was already ingested; "
                "findings, report and SIEM file unchanged."
            )
        from detectors.finding import severity_counts

        sev = severity_counts(self.findings_by_severity)
        return (
            f"run {self.run_id}: {self.rows_read} rows read, {self.rows_written} written; "
            f"{len(self.days_judged)} day(s) judged; findings: {sev}"
        )


def _versions() -> dict[str, str]:
    import duckdb
    import polars
    import pyarrow
    import sklearn

    return {
        "agentaudit": __version__,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "pyarrow": pyarrow.__version__,
        "scikit-learn": sklearn.__version__,
    }


def _dump(summary: Any) -> dict[str, Any]:
    if isinstance(summary, BaseModel):
        return json.loads(summary.model_dump_json())
    if isinstance(summary, Path):
        return {"path": str(summary)}
    return {} if summary is None else {"result": str(summary)}


def resolve_inputs(
    workspace: Workspace, inputs: Sequence[str] | None, configured: Sequence[str]
) -> list[Path]:
    """The input paths of this run: given on the command line, else from agentaudit.toml."""
    chosen = list(inputs) if inputs else [str(workspace.root / p) for p in configured]
    if not chosen:
        raise UsageError(
            "no input given: pass --input PATH (a file or folder of Entra exports) or set "
            f'inputs = ["…"] under [workspace] in {workspace.config_file}'
        )
    missing = [p for p in chosen if not Path(p).exists() and not globmod.glob(p, recursive=True)]
    if missing:
        raise UsageError(
            f"input not found: {missing[0]} "
            f"(check the path, or the inputs in {workspace.config_file})"
        )
    return [Path(p) for p in chosen]


def run_nightly(
    workspace: Workspace,
    inputs: Sequence[str] | None = None,
    progress: bool = False,
    wait_seconds: float = 0.0,
    on_stage: Callable[[str], None] | None = None,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> RunSummary:
    """Ingest what is new, update baselines, detect over the new days, report and export; the
    workspace's agentaudit.toml is read once, at the start, and handed to every stage.
    ``engine="spark"``: the rules' SQL runs on Spark (``spark_master``) over the same lake
    (pipeline.engines.spark); DuckDB otherwise."""
    from detectors.engine import detect, discover_rules
    from detectors.settings import check_detector_settings
    from pipeline import baselines
    from pipeline.config import load_config
    from pipeline.ingest import ingest_paths
    from pipeline.report import write_report
    from pipeline.siem import export

    with workspace_lock(workspace.root, "agentaudit run", wait_seconds):
        config = load_config(workspace)
        check_detector_settings(config, discover_rules(), workspace.config_file)  # before ingest
        paths = resolve_inputs(workspace, inputs, config.workspace.inputs)
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
        summary = RunSummary(
            run_id=run_id,
            started=datetime.now(UTC),
            inputs=[str(p) for p in paths],
            versions=_versions(),
        )

        def stage(name: str, fn: Callable[[], Any]) -> Any:
            if on_stage:
                on_stage(name)
            t0 = time.perf_counter()
            result = fn()
            summary.stages.append(
                Stage(name=name, seconds=round(time.perf_counter() - t0, 3), summary=_dump(result))
            )
            return result

        # A run killed after its ingest wrote rows but before detect / report / export ended
        # leaves this marker: the next run finds nothing new to ingest, yet must finish that work.
        # It names every run since the last one that finished: their days go to the SIEM file too.
        unfinished = workspace.lake / "_runs" / UNFINISHED
        summary.resumed = unfinished.exists()
        earlier = _unfinished_runs(unfinished) if summary.resumed else []
        write_json_atomic(
            json.dumps({"run_ids": [*(earlier or []), run_id], "pid": os.getpid()}), unfinished
        )
        ingested = stage("ingest", lambda: ingest_paths(workspace, paths, progress=progress))
        summary.rows_read = ingested.rows_read
        summary.rows_written = sum(ingested.rows_written.values())
        summary.no_new_input = config.workspace.expect_new_data and summary.rows_written == 0
        first_run = not workspace.reports.exists()
        if summary.rows_written == 0 and not first_run and not summary.resumed:
            summary.changed = False
        else:
            with Steps("baseline", "days", progress) as days_done:
                stage(
                    "baseline",
                    lambda: baselines.update(workspace, config=config, on_day=days_done),
                )
            runner = _engine(engine, workspace, config, spark_master)
            try:
                with Steps("detect", "rule runs", progress) as rules_done:
                    detected = stage(
                        "detect",
                        lambda: detect(
                            workspace,
                            days=None,
                            run_id=run_id,
                            config=config,
                            on_step=rules_done,
                            engine=runner,
                        ),
                    )
            finally:
                if runner is not None:
                    runner.stop()
            judged = {str(d) for d in detected.days}
            if earlier is None:  # an unreadable marker: which days the killed run judged is unknown
                judged |= {p.parent.name.removeprefix("date=") for p in _finding_files(workspace)}
            elif earlier:  # days judged by killed runs, whose findings never reached the SIEM file
                judged |= _days_judged_by(workspace, set(earlier))
            summary.days_judged = sorted(judged)
            summary.findings_by_severity = dict(detected.by_severity)
            day = max(detected.days) if detected.days else None
            if summary.days_judged:  # the report covers every day judged since the last one
                with Steps("report", "parts", progress) as parts_done:
                    report = stage(
                        "report",
                        lambda: write_report(
                            workspace,
                            days=summary.days_judged,
                            run=summary.model_dump(mode="json"),
                            config=config,
                            on_step=parts_done,
                        ),
                    )
                summary.report = str(report)
            tag = str(day) if day else datetime.now(UTC).date().isoformat()
            siem_file = workspace.siem / f"findings-{tag}.ocsf.jsonl"
            # one judged day: that day's findings; a first run over history (or a run finishing
            # the work of killed ones over several days): all of them
            only = summary.days_judged[0] if len(summary.days_judged) == 1 else None
            stage("export", lambda: export(workspace, out=siem_file, day=only, config=config))
            if config.siem.url:
                env = config.siem.hec_token_env
                token = os.environ.get(env) if env else None
                stage(
                    "push",
                    lambda: export(
                        workspace, url=config.siem.url, hec_token=token, day=only, config=config
                    ),
                )
            sentinel = config.siem.sentinel
            if sentinel is not None:
                stage(
                    "sentinel",
                    lambda: export(
                        workspace,
                        fmt="sentinel",
                        day=only,
                        redact=sentinel.redact,
                        dcr_endpoint=sentinel.endpoint,
                        dcr_id=sentinel.dcr_id,
                        dcr_stream=sentinel.stream,
                        config=config,
                    ),
                )
            summary.siem_file = str(siem_file)
        summary.finished = datetime.now(UTC)
        write_manifest(workspace, summary)
        unfinished.unlink(missing_ok=True)
        return summary


def _engine(name: str, workspace: Workspace, config: Any, master: str | None) -> Any:
    """None for DuckDB (the detect default), else a started Spark engine over the lake."""
    if name == "duckdb":
        return None
    if name != "spark":
        raise UsageError(f"--engine {name}: choose duckdb or spark")
    from pipeline.engines.spark import SparkEngine

    runner = SparkEngine.start(str(workspace.lake), master=master)
    runner.install(config)
    return runner


def _unfinished_runs(marker: Path) -> list[str] | None:
    """Run ids named by the unfinished-run marker; None when it cannot be read."""
    try:
        ids = json.loads(marker.read_text()).get("run_ids")
    except (OSError, ValueError, AttributeError):
        return None
    return [str(i) for i in ids] if isinstance(ids, list) else None


def _finding_files(workspace: Workspace) -> list[Path]:
    return sorted(workspace.table_dir("findings").glob("date=*/*.parquet"))


def _days_judged_by(workspace: Workspace, run_ids: set[str]) -> set[str]:
    """Days whose stored findings were written by one of ``run_ids``."""
    import pyarrow.parquet as pq

    days = set()
    for path in _finding_files(workspace):
        stored = set(pq.read_table(path, columns=["run_id"]).column(0).to_pylist())
        if stored & run_ids:
            days.add(path.parent.name.removeprefix("date="))
    return days


def write_manifest(workspace: Workspace, summary: RunSummary) -> Path:
    folder = workspace.lake / "_runs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{summary.run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(summary.model_dump_json(indent=2))
    os.replace(tmp, path)
    return path


def open_days(workspace: Workspace, summary: RunSummary) -> list[str]:
    """The days whose findings stand after ``summary``'s run: the days it judged, or, when it
    judged none (nothing new arrived), those of the latest run that judged any, so that
    ``--fail-on`` keeps failing while those findings stay open."""
    if summary.days_judged:
        return summary.days_judged
    for path in sorted((workspace.lake / "_runs").glob("*.json"), reverse=True):
        try:
            days = json.loads(path.read_text()).get("days_judged")
        except (OSError, ValueError, AttributeError):
            continue  # a manifest we cannot read says nothing about open findings
        if days:
            return [str(d) for d in days]
    return []


def findings_at_or_above(workspace: Workspace, days: Sequence[str], severity: str) -> int:
    """Unsuppressed findings of the given days at or above ``severity`` (for --fail-on)."""
    from detectors.finding import severity_rank
    from detectors.store import read_findings

    floor = severity_rank(severity)
    return sum(
        1
        for day in days
        for f in read_findings(workspace, day)
        if f.suppressed is None and severity_rank(f.severity) >= floor
    )


def demo(folder: Path, seed: int = 7, days: int = 21, progress: bool = False) -> RunSummary:
    """Generate a sample tenant in ``folder`` (or reuse the one there) and run the nightly job."""
    from pipeline.generate import generate_tenant
    from pipeline.workspace import CONFIG_NAME

    if not (folder / CONFIG_NAME).exists():
        with Steps("generate", "days", progress) as days_done:
            generate_tenant(folder, days=days, seed=seed, progress=days_done)
    return run_nightly(Workspace.at(folder), progress=progress)
