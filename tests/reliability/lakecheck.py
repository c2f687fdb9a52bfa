"""What a workspace holds, as comparable facts, and the invariants a crash must never break.

``snapshot`` reads every visible Parquet file of the lake (a file that fails to read is a
half-written file someone can see), keys each event by (table, scope, event_id) with a hash of its
raw record and its ``conflicting_duplicate`` flag (a later version of an event with other content
is kept, flagged: one unflagged row per event key), counts quarantine rows by (file, line,
reason), and lists findings by id (run ids aside: they differ between runs by design). Two
snapshots are equal when the lakes hold the same events once each, the same quarantined lines and
the same findings.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.ingest.dedupe import SCOPE_COLUMN
from pipeline.lake import TMP_SUFFIX
from pipeline.schema import CONFLICT_COLUMN
from pipeline.workspace import Workspace

EVENT_TABLES = tuple(SCOPE_COLUMN)


@dataclass
class Snapshot:
    #: table -> (scope, id, raw, conflicting_duplicate) counts
    events: dict[str, Counter] = field(default_factory=dict)
    quarantine: Counter = field(default_factory=Counter)  # (file, line, reason) -> count
    findings: Counter = field(default_factory=Counter)  # (id, rule, severity, day) -> count
    manifest_hashes: set[str] = field(default_factory=set)
    manifest_rows: dict[str, int] = field(default_factory=dict)  # source file -> rows written
    unreadable: list[str] = field(default_factory=list)
    temp_files: int = 0

    def problems(self) -> list[str]:
        """Invariant breaks visible in this one snapshot (whatever the run got to)."""
        out = [f"visible Parquet file does not read: {p}" for p in self.unreadable]
        for table, keys in self.events.items():
            dups = {k: n for k, n in keys.items() if n > 1}
            if dups:
                out.append(f"{table}: {len(dups)} event(s) stored more than once")
            ids = Counter(
                (scope, event_id) for scope, event_id, _raw, flagged in keys if not flagged
            )
            twins = [k for k, n in ids.items() if n > 1]
            if twins:
                out.append(
                    f"{table}: {len(twins)} event key(s) with two different raw records "
                    "neither flagged conflicting_duplicate"
                )
            orphans = {(s, i) for s, i, _raw, flagged in keys if flagged} - set(ids)
            if orphans:
                out.append(
                    f"{table}: {len(orphans)} conflicting_duplicate version(s) without the first"
                )
        qdups = {k: n for k, n in self.quarantine.items() if n > 1}
        if qdups:
            out.append(f"quarantine: {len(qdups)} line(s) quarantined more than once")
        fdups = {k: n for k, n in self.findings.items() if n > 1}
        if fdups:
            out.append(f"findings: {len(fdups)} finding(s) stored more than once")
        return out

    def differences(self, other: Snapshot) -> list[str]:
        """How this lake differs from ``other`` (the clean run's)."""
        out = []
        for table in EVENT_TABLES:
            mine, theirs = self.events.get(table, Counter()), other.events.get(table, Counter())
            if mine != theirs:
                out.append(
                    f"{table}: {sum(mine.values())} rows here, {sum(theirs.values())} in the "
                    f"clean run ({len(set(mine) - set(theirs))} extra, "
                    f"{len(set(theirs) - set(mine))} missing)"
                )
        if self.quarantine != other.quarantine:
            out.append(
                f"quarantine: {sum(self.quarantine.values())} rows here, "
                f"{sum(other.quarantine.values())} in the clean run"
            )
        if self.findings != other.findings:
            out.append(
                f"findings: {sum(self.findings.values())} here, "
                f"{sum(other.findings.values())} in the clean run"
            )
        if self.manifest_hashes != other.manifest_hashes:
            out.append(
                f"manifest: {len(self.manifest_hashes)} file hashes here, "
                f"{len(other.manifest_hashes)} in the clean run"
            )
        return out

    @property
    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.events.values())


def _read(path: Path, columns: list[str], snap: Snapshot, optional: str | None = None):
    try:
        if optional and optional not in pq.read_schema(path).names:
            columns = [c for c in columns if c != optional]
        return pq.read_table(path, columns=columns)
    except Exception:  # noqa: BLE001 - any failure to read is what we are looking for
        snap.unreadable.append(str(path))
        return None


def snapshot(workspace: Workspace) -> Snapshot:
    snap = Snapshot()
    lake = workspace.lake
    snap.temp_files = sum(1 for _ in lake.rglob(f"*{TMP_SUFFIX}")) if lake.exists() else 0
    for table in EVENT_TABLES:
        counts: Counter = Counter()
        scope = SCOPE_COLUMN[table]
        cols = ["event_id", "raw"] + ([scope] if scope else [])
        for path in sorted(workspace.table_dir(table).glob("date=*/*.parquet")):
            data = _read(path, [*cols, CONFLICT_COLUMN], snap, optional=CONFLICT_COLUMN)
            if data is None:
                continue
            scopes = data.column(scope).to_pylist() if scope else [""] * data.num_rows
            ids = data.column("event_id").to_pylist()
            raws = [hash(r) for r in data.column("raw").to_pylist()]
            flags = (
                [bool(f) for f in data.column(CONFLICT_COLUMN).to_pylist()]
                if CONFLICT_COLUMN in data.column_names
                else [False] * data.num_rows  # a file of schema version 1
            )
            counts.update(zip(scopes, ids, raws, flags, strict=True))
        snap.events[table] = counts
    for path in sorted(workspace.quarantine.glob("date=*/*.parquet")):
        data = _read(path, ["source_file", "source_line", "reason"], snap)
        if data is not None:
            snap.quarantine.update(
                zip(*(data.column(c).to_pylist() for c in data.column_names), strict=True)
            )
    for path in sorted(workspace.table_dir("findings").glob("date=*/*.parquet")):
        data = _read(path, ["finding_id", "rule_id", "severity"], snap)
        if data is not None:
            day = path.parent.name
            snap.findings.update(
                (fid, rule, sev, day)
                for fid, rule, sev in zip(
                    *(data.column(c).to_pylist() for c in data.column_names), strict=True
                )
            )
    for entry in sorted((lake / "_manifest" / "files").glob("*.json")):
        info = json.loads(entry.read_text())  # written atomically: must always parse
        snap.manifest_hashes.add(entry.stem)
        written = sum((info.get("rows_written") or {}).values())
        snap.manifest_rows[info["file"]] = snap.manifest_rows.get(info["file"], 0) + written
    return snap


def siem_lines(workspace: Workspace) -> list[dict]:
    """Every line of every SIEM file of the workspace, parsed."""
    out = []
    for path in sorted(workspace.siem.glob("*.jsonl")):
        out.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return out
