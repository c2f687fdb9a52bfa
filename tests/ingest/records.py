"""Hand-written records in the shapes Entra writes, built from the real samples' records."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import duckdb

from pipeline.ingest.runner import read_quarantine
from pipeline.workspace import Workspace

AGENT_KINDS = {
    "agenticAppInstance": "agent_identity",
    "agentIDuser": "agent_user",
    "agenticApp": "agent_blueprint",
    "agentIdentityBlueprintPrincipal": "agent_blueprint",
    "agenticAppBuilder": "agent_blueprint",
}


def sample_records(samples: Path, name: str) -> list[dict]:
    path = next(samples.rglob(name))
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_lines(path: Path, records: list, gz: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def with_agent(record: dict, agent_type: str, subject_type: str | None = None, **extra) -> dict:
    """A copy of an Azure Monitor sign-in record carrying properties.agent like the ADFS sample."""
    rec = copy.deepcopy(record)
    rec["properties"]["agent"] = {
        "agentType": agent_type,
        "agentSubjectType": subject_type or agent_type,
        **extra,
    }
    return rec


def lake_rows(ws: Workspace, table: str) -> list[dict]:
    """Rows of a lake table as dicts, in file and line order."""
    if not any(ws.table_dir(table).glob("date=*/*.parquet")):
        return []
    glob = str(ws.table_dir(table) / "date=*" / "*.parquet")
    rel = duckdb.sql(
        "SELECT * FROM read_parquet($glob, hive_partitioning = false) "
        "ORDER BY source_file, source_line, event_id",
        params={"glob": glob},
    )
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def quarantine_rows(ws: Workspace) -> list[dict]:
    return read_quarantine(ws).to_pylist()
