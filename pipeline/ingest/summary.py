"""What one ingest run did: the typed summary the CLI prints and the manifest stores."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field, computed_field

#: control characters (ESC starts a terminal escape sequence), line / paragraph separators and
#: the Unicode direction marks, embeddings, overrides and isolates (U+202E can make a hostile
#: "exe.txt" read "txt.exe"): file names and reasons are attacker-controlled text
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(text: str) -> str:
    """``text`` safe for a terminal: each unsafe character written as its escape (``\\u202e``)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class FileError(BaseModel):
    file: str
    line: int | None = None
    message: str


class FileResult(BaseModel):
    file: str
    content_hash: str | None = None  # blake3-<hex> (or sha256-<hex>) of the file's bytes
    shape: str | None = None
    source_format: str | None = None
    skipped: bool = False  # already ingested (same content hash)
    failed: bool = False  # nothing usable could be read from it
    rows_read: int = 0
    rows_written: dict[str, int] = Field(default_factory=dict)
    duplicates: int = 0
    #: rows written (counted in rows_written too) that are a later, different version of an
    #: event already stored: flagged ``conflicting_duplicate`` in the lake
    conflicting_duplicates: int = 0
    quarantined: int = 0
    error: str | None = None


class IngestSummary(BaseModel):
    run_id: str
    started: datetime
    finished: datetime | None = None
    duration_seconds: float = 0.0
    files_seen: int = 0
    files_ingested: int = 0
    files_skipped: int = 0  # already ingested
    files_failed: int = 0
    rows_read: int = 0
    rows_written: dict[str, int] = Field(default_factory=dict)
    duplicates: int = 0
    conflicting_duplicates: int = 0  # written, flagged: same event id, other content
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = Field(default_factory=dict)
    #: a few quarantined rows, each naming its file, line and reason (all are in lake/_quarantine)
    quarantine_examples: list[FileError] = Field(default_factory=list)
    errors: list[FileError] = Field(default_factory=list)
    files: list[FileResult] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rows_written_total(self) -> int:
        return sum(self.rows_written.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def conserved(self) -> bool:
        """rows read = rows written + duplicates + quarantined."""
        return self.rows_read == self.rows_written_total + self.duplicates + self.quarantined

    @property
    def nothing_read(self) -> bool:
        """True when no input could be read at all (every file failed, none skipped)."""
        return self.files_seen > 0 and self.files_failed == self.files_seen

    @property
    def all_quarantined(self) -> list[str]:
        """Inputs that held rows of which every one was quarantined (none landed)."""
        return [f.file for f in self.files if f.rows_read and f.quarantined == f.rows_read]

    def add(self, result: FileResult) -> None:
        self.files.append(result)
        self.rows_read += result.rows_read
        for table, n in result.rows_written.items():
            self.rows_written[table] = self.rows_written.get(table, 0) + n
        self.duplicates += result.duplicates
        self.conflicting_duplicates += result.conflicting_duplicates
        self.quarantined += result.quarantined

    def lines(self, top: int = 5) -> list[str]:
        """The human summary, a few lines."""
        out = [
            f"ingest {self.run_id}: {self.files_seen} file(s) seen, {self.files_ingested} "
            f"ingested, {self.files_skipped} skipped as already ingested, "
            f"{self.files_failed} failed ({self.duration_seconds:.1f}s)",
            f"rows: {self.rows_read} read = {self.rows_written_total} written + "
            f"{self.duplicates} duplicates + {self.quarantined} quarantined",
        ]
        if self.rows_written:
            per_table = ", ".join(f"{t} {n}" for t, n in sorted(self.rows_written.items()))
            out.append(f"written: {per_table}")
        if self.conflicting_duplicates:
            out.append(
                f"conflicting duplicates: {self.conflicting_duplicates} written row(s) repeat an "
                "event id with other content; each is kept, flagged conflicting_duplicate"
            )
        if self.quarantine_reasons:
            ranked = sorted(self.quarantine_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            out.append("quarantined (top reasons):")
            out += [f"  {n:>7}  {reason}" for reason, n in ranked[:top]]
            for ex in self.quarantine_examples[:top]:
                where = f"{ex.file}:{ex.line}" if ex.line else ex.file
                out.append(f"  e.g. {where}: {ex.message}")
        empty = [f.file for f in self.files if not (f.skipped or f.failed) and not f.rows_read]
        if empty:
            shown = ", ".join(empty[:top]) + (" …" if len(empty) > top else "")
            out.append(
                f"no records in {len(empty)} file(s) (a header or an empty list only): {shown}"
            )
        skipped = [f.file for f in self.files if f.skipped]
        if skipped:
            shown = ", ".join(skipped[:top]) + (" …" if len(skipped) > top else "")
            out.append(f"skipped (already ingested): {shown}")
        for err in self.errors[: top * 2]:
            where = f"{err.file}:{err.line}" if err.line else err.file
            out.append(f"error: {where}: {err.message}")
        if len(self.errors) > top * 2:
            out.append(f"… and {len(self.errors) - top * 2} more errors (see the manifest)")
        return [inert(line) for line in out]
