"""Files -> batches of records (line number + JSON text), streamed in byte chunks.

JSON lines are read in chunks of ``chunk_bytes``, cut at the last newline, and turned into an Arrow
string column without a Python object per line (newline offsets found with numpy). Wrapper lines
(``{"records": [...]}``, ``{"value": [...]}``) and whole JSON documents are split into their records
by DuckDB. CSV files are read by polars and each row becomes a JSON object. What cannot become a
record (a line over the size limit, text that is not UTF-8, a file that is not text) is returned
as a ``Rejected`` row for the quarantine.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.ingest.detect import HEAD_BYTES, Detected, document_layout, open_bytes
from pipeline.ingest.dialects import registry
from pipeline.ingest.dialects.base import normalise_header, unique_names
from pipeline.ingest.normalise import sql
from pipeline.ingest.salvage import salvage_items

CHUNK_BYTES = 64 * 1024 * 1024  # per batch: larger batches spread the fixed cost of each step
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024  # whole documents and CSV files are read at once
RAW_TEXT_LIMIT = 64 * 1024  # quarantine keeps this much of a bad line
MAX_NESTING = 256  # Entra records nest a dozen levels; Python's json stops near 1,000
MAX_CSV_COLUMNS = 2000  # Entra CSV exports have a few hundred columns at most
SCAN_BYTES = 4 * 1024 * 1024  # the size pre-pass reads this much at a time
SHORT_LINES_PROBE, SHORT_LINE_BYTES = 64, 512  # lines shorter than this are split by numpy
CARRY_ROOM = 1024 * 1024  # a chunk buffer's room beyond the chunk, for the partial line before

LINES_SCHEMA = pa.schema([("line_no", pa.int64()), ("raw", pa.string())])


@dataclass
class Rejected:
    line_no: int | None
    reason: str
    raw_text: str


@dataclass
class Batch:
    lines: pa.Table  # line_no, raw
    dialect: str | None
    source_format: str
    rejected: list[Rejected] = field(default_factory=list)


class NotADocument(Exception):
    """The file is not one JSON document after all: read it line by line instead."""


class FileProblem(Exception):
    """The file could not be read to its end; what was read before is kept.

    ``salvaged``: the records read before the problem, when the reader could not yield them
    before raising (a JSON document cut short).
    """

    def __init__(self, message: str, salvaged: Batch | None = None):
        super().__init__(message)
        self.salvaged = salvaged


def _lines_table(line_nos: np.ndarray, texts: pa.Array) -> pa.Table:
    return pa.table({"line_no": pa.array(line_nos, pa.int64()), "raw": texts}, schema=LINES_SCHEMA)


def newline_offsets(buf: bytes | bytearray, begin: int = 0, end: int | None = None) -> np.ndarray:
    """Positions of every newline byte in ``buf[begin:end]`` (as offsets into ``buf``).

    Entra records are kilobytes long: one ``find`` (memchr) per line is then several times faster
    than comparing every byte in numpy, which wins for short lines. The first lines decide.
    """
    found: list[int] = []
    find, pos, size = buf.find, begin, len(buf) if end is None else end
    while pos < size:
        at = find(b"\n", pos, size)
        if at < 0:
            break
        found.append(at)
        pos = at + 1
        if len(found) == SHORT_LINES_PROBE and pos - begin < SHORT_LINES_PROBE * SHORT_LINE_BYTES:
            rest = np.frombuffer(buf, dtype=np.uint8, count=size - pos, offset=pos)
            tail = np.flatnonzero(rest == 10) + pos
            return np.concatenate([np.array(found, dtype=np.int64), tail])
    return np.array(found, dtype=np.int64)


def _split_lines(
    buf: bytes | bytearray, first_line: int, max_record: int, begin: int = 0, end: int | None = None
) -> tuple[pa.Table, list[Rejected], int]:
    """Complete lines of ``buf[begin:end]`` (ending in newline) -> (line_no, raw), blanks left out.

    The Arrow strings are cut out of ``buf`` by their offsets, then trimmed (which copies them
    once, without the newline): ``buf`` itself is not kept.
    """
    newlines = newline_offsets(buf, begin, end)
    count = len(newlines)
    starts = np.empty(count + 1, dtype=np.int64)
    starts[0] = begin
    starts[1:] = newlines + 1
    if len(buf) < 2**31:
        arr = pa.StringArray.from_buffers(
            count, pa.py_buffer(starts.astype(np.int32)), pa.py_buffer(buf)
        )
    else:  # pragma: no cover - chunks are far smaller
        arr = pa.LargeStringArray.from_buffers(count, pa.py_buffer(starts), pa.py_buffer(buf))
    line_nos = np.arange(first_line, first_line + count, dtype=np.int64)
    rejected: list[Rejected] = []
    try:
        arr.validate(full=True)  # is it UTF-8? (a vectorised check)
        texts = pc.utf8_trim_whitespace(arr)
    except pa.ArrowInvalid:
        texts, bad = _decode_slowly(buf, starts, first_line)
        rejected.extend(bad)
    if buf.find(b"\x00", begin, len(buf) if end is None else end) >= 0:
        rejected.extend(_nul_lines(buf, starts, first_line, {r.line_no for r in rejected}))
    lengths = pc.binary_length(texts).to_numpy(zero_copy_only=False)
    keep = lengths > 0
    too_long = lengths > max_record
    if too_long.any():
        for idx in np.flatnonzero(too_long):
            rejected.append(
                Rejected(
                    int(line_nos[idx]),
                    f"line of {int(lengths[idx]):,} bytes is over the "
                    f"{max_record // (1024 * 1024)} MiB record limit",
                    texts[int(idx)].as_py()[:RAW_TEXT_LIMIT],
                )
            )
        keep &= ~too_long
    if rejected:
        bad_lines = {r.line_no for r in rejected}
        keep &= ~np.isin(line_nos, np.fromiter(bad_lines, dtype=np.int64, count=len(bad_lines)))
    if keep.all():
        return _lines_table(line_nos, texts), rejected, count
    mask = pa.array(keep)
    return _lines_table(line_nos[keep], texts.filter(mask)), rejected, count


def _nul_lines(
    buf: bytes | bytearray, starts: np.ndarray, first_line: int, known: set[int | None]
) -> list[Rejected]:
    """Lines holding a NUL byte (binary data: JSON text never holds one), one row each."""
    data = np.frombuffer(
        buf, dtype=np.uint8, count=int(starts[-1]) - int(starts[0]), offset=int(starts[0])
    )
    at = np.flatnonzero(data == 0) + int(starts[0])
    rows = np.unique(np.searchsorted(starts, at, side="right") - 1)
    rejected = []
    for idx in rows.tolist():
        if first_line + idx in known:
            continue
        raw = bytes(buf[int(starts[idx]) : int(starts[idx + 1])])
        rejected.append(
            Rejected(
                first_line + idx,
                f"binary data: a NUL byte in the line (byte {raw.index(0) + 1} of the line)",
                raw.decode("utf-8", errors="replace").strip()[:RAW_TEXT_LIMIT],
            )
        )
    return rejected


def _decode_slowly(
    buf: bytes, starts: np.ndarray, first_line: int
) -> tuple[pa.Array, list[Rejected]]:
    """Fallback for a chunk holding bytes that are not UTF-8: decode line by line."""
    texts: list[str] = []
    rejected: list[Rejected] = []
    ends = list(starts[1:]) if len(starts) > 1 else []
    for i, (start, end) in enumerate(zip(starts[:-1], ends, strict=False)):
        raw = bytes(buf[int(start) : int(end)])
        try:
            texts.append(raw.decode("utf-8").strip())
        except UnicodeDecodeError as exc:
            rejected.append(
                Rejected(
                    first_line + i,
                    f"not UTF-8 text (byte {exc.start + 1} of the line)",
                    raw.decode("utf-8", errors="replace").strip()[:RAW_TEXT_LIMIT],
                )
            )
            texts.append("")
    return pa.array(texts, pa.string()), rejected


def _read_after(
    fh: IO[bytes], carry: bytes, size: int, spare: bytearray | None
) -> tuple[bytearray, int]:
    """A buffer holding ``carry`` then up to ``size`` more bytes of ``fh``; and its fill.

    A plain file is read straight into ``spare`` (the previous chunk's buffer, when it is large
    enough), so a chunk is neither copied nor paged in afresh; only the carried partial line
    is copied. The buffer may be reused because ``_split_lines`` keeps nothing of it. A new
    buffer is as large as what is left of the file (a small file gets a small one), with room
    for the next chunk's carry when the file goes on.
    """
    if not isinstance(fh, io.BufferedReader):  # gzip: its reader hands out new bytes anyway
        block = fh.read(size)
        return bytearray(carry) + block, len(carry) + len(block)
    info = os.fstat(fh.fileno())
    want = size
    if stat.S_ISREG(info.st_mode):  # +1: a file that grew meanwhile is read on
        want = min(size, max(info.st_size - fh.tell(), 0) + 1)
    need = len(carry) + want
    if spare is not None and len(spare) >= need:
        buf = spare
    else:
        buf = bytearray(need + (CARRY_ROOM if want == size else 0))
    buf[: len(carry)] = carry
    got = fh.readinto(memoryview(buf)[len(carry) : need]) or 0
    return buf, len(carry) + got


def iter_jsonl(
    path: Path,
    detected: Detected,
    con: duckdb.DuckDBPyConnection,
    chunk_bytes: int = CHUNK_BYTES,
    max_record: int = MAX_RECORD_BYTES,
    feed: Callable[[bytes | memoryview], object] | None = None,
    data: bytes | None = None,
) -> Iterator[Batch]:
    """Stream a JSON-lines file in chunks. Raises FileProblem at a truncated / corrupt end.

    ``feed`` (a content hash's ``update``) is given every byte read, in order. ``data``: the
    plain file's whole content, when the caller read it already (a small file: one read).
    """
    line_no = 1
    carry = b""
    skipping: Rejected | None = None  # an over-long line being skipped to its end
    buf: bytearray | None = None
    source = io.BytesIO(data) if data is not None else open_bytes(path, detected.gzip)
    with source as fh:
        try:
            head = fh.read(3)
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            raise FileProblem(_gzip_message(exc, line_no)) from exc
        if feed is not None:
            feed(head)
        carry = b"" if head == b"\xef\xbb\xbf" else head
        while True:
            try:
                buf, filled = _read_after(fh, carry, chunk_bytes, buf)
            except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
                if carry.strip():
                    yield _final_batch(carry, line_no, detected, con, max_record)
                raise FileProblem(_gzip_message(exc, line_no)) from exc
            if filled == len(carry):  # nothing more to read
                break
            if feed is not None:
                with memoryview(buf) as view, view[len(carry) : filled] as fresh:
                    feed(fresh)
            begin = 0
            if skipping is not None:
                cut = buf.find(b"\n", 0, filled)
                if cut < 0:
                    carry = b""
                    continue
                yield Batch(no_lines(), detected.dialect, detected.source_format, [skipping])
                skipping = None
                line_no += 1
                begin = cut + 1
            cut = buf.rfind(b"\n", begin, filled)
            if cut < 0:
                if filled - begin > max_record:
                    skipping = Rejected(
                        line_no,
                        f"line is over the {max_record // (1024 * 1024)} MiB record limit "
                        "(a single record that large is not an Entra log record)",
                        bytes(buf[begin : begin + RAW_TEXT_LIMIT]).decode("utf-8", "replace"),
                    )
                    carry = b""
                else:
                    carry = bytes(buf[begin:filled])
                continue
            carry = bytes(buf[cut + 1 : filled])
            lines, rejected, count = _split_lines(buf, line_no, max_record, begin, cut + 1)
            line_no += count
            yield _expand(lines, rejected, detected, con)
        problem = getattr(fh, "problem", None)
    if skipping is not None:
        yield Batch(no_lines(), detected.dialect, detected.source_format, [skipping])
    elif problem and carry.strip() and not _whole_json(carry):
        cut = Rejected(
            line_no,
            f"line cut short: the file ends in the middle of it ({problem})",
            carry[:RAW_TEXT_LIMIT].decode("utf-8", errors="replace"),
        )
        yield Batch(no_lines(), detected.dialect, detected.source_format, [cut])
    elif carry.strip():
        yield _final_batch(carry, line_no, detected, con, max_record)
    if problem:
        raise FileProblem(_gzip_message(problem, line_no))


def _whole_json(line: bytes) -> bool:
    """Whether the last line before a cut is a whole JSON value (only its newline was lost)."""
    if len(line) > MAX_RECORD_BYTES:
        return False
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _final_batch(
    tail: bytes, line_no: int, detected: Detected, con: duckdb.DuckDBPyConnection, max_record: int
) -> Batch:
    lines, rejected, _count = _split_lines(tail + b"\n", line_no, max_record)
    return _expand(lines, rejected, detected, con)


def _gzip_message(exc: BaseException | str, line_no: int) -> str:
    return (
        f"compressed data ends early or is corrupt after line {line_no - 1} ({exc}); "
        "the lines before were ingested: fetch the file again to get the rest"
    )


def _expand(
    lines: pa.Table, rejected: list[Rejected], detected: Detected, con: duckdb.DuckDBPyConnection
) -> Batch:
    """Split wrapper lines ({"records": [...]}) into their records (same line number)."""
    if detected.wrapper and lines.num_rows:
        con.register("wrapped", lines)
        try:
            lines = con.sql(
                sql("explode.sql"),
                params={"key": f"$.{detected.wrapper}", "items": f"$.{detected.wrapper}[*]"},
            ).to_arrow_table()
        finally:
            con.unregister("wrapped")
        lines = lines.cast(LINES_SCHEMA)
    return Batch(lines, detected.dialect, detected.source_format, rejected)


def no_lines() -> pa.Table:
    return _lines_table(np.array([], np.int64), pa.array([], pa.string()))


@dataclass
class Extent:
    """What a streamed pre-pass over a file saw, holding one block at a time."""

    size: int  # bytes of content read; max_bytes + 1 or more when the file is over the limit
    head: bytes  # the first bytes (for a quarantine row's raw_text)
    lines_after_long_first: bool  # a first line longer than HEAD_BYTES, then more text


def measure(path: Path, detected: Detected, max_bytes: int) -> Extent:
    """Stream ``path`` (through gzip) to learn its size, stopping just past ``max_bytes``.

    A gzip bomb is inflated a block at a time and never held. For a plain file the size comes
    from the file system, and the content is scanned only while the first line is longer than
    HEAD_BYTES (to tell a JSON-lines file with an oversized first line from a one-line document).
    """
    size, head, first_nl = 0, b"", -1
    with open_bytes(path, detected.gzip) as fh:
        plain_size = None if detected.gzip else path.stat().st_size
        while size <= max_bytes:
            try:
                block = fh.read(SCAN_BYTES)
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise FileProblem(_gzip_message(exc, 1)) from exc
            if not block:
                break
            head = head or block[:RAW_TEXT_LIMIT]
            start, size = size, size + len(block)
            rest = block
            if first_nl < 0:
                cut = block.find(b"\n")
                if cut < 0:
                    continue
                first_nl, rest = start + cut, block[cut + 1 :]
            if first_nl > HEAD_BYTES and rest.strip():
                return Extent(size, head, True)
            if plain_size is not None and first_nl <= HEAD_BYTES:
                break  # a plain file: its size is known, its first line is short
    if plain_size is not None:
        size = plain_size
    return Extent(size, head, False)


def _over_limit(extent: Extent, what: str, max_bytes: int, advice: str) -> Batch:
    """A file over the size limit: one quarantine row with the reason; the run goes on."""
    reason = f"{what} is over the {max_bytes // (1024 * 1024)} MiB file limit: {advice}"
    raw = extent.head.decode("utf-8", errors="replace")[:RAW_TEXT_LIMIT]
    return Batch(no_lines(), None, "unknown", [Rejected(None, reason, raw)])


def nesting_depth(text: str) -> int:
    """How deep JSON ``text`` nests (brackets inside strings not counted), without recursion."""
    data = re.sub(rb"\\.", b"", text.encode("utf-8", errors="replace"), flags=re.DOTALL)
    data = re.sub(rb'"[^"]*"', b"", data)
    codes = np.frombuffer(data, dtype=np.uint8)
    if not len(codes):
        return 0
    opens = (codes == 123) | (codes == 91)
    closes = (codes == 125) | (codes == 93)
    return int(np.cumsum(opens.astype(np.int32) - closes.astype(np.int32)).max())


def reject_deep(lines: pa.Table) -> tuple[pa.Table, list[Rejected]]:
    """Records nested deeper than MAX_NESTING -> quarantine rows (Python's json would crash).

    Only records holding more than MAX_NESTING brackets in all are measured exactly.
    """
    if not lines.num_rows:
        return lines, []
    raw = lines.column("raw")
    marks = pc.add(pc.count_substring(raw, "{"), pc.count_substring(raw, "["))
    candidates = np.flatnonzero(marks.to_numpy() > MAX_NESTING)
    rejected = []
    bad = np.zeros(lines.num_rows, dtype=bool)
    for idx in candidates.tolist():
        text = raw[idx].as_py()
        depth = nesting_depth(text)
        if depth > MAX_NESTING:
            bad[idx] = True
            rejected.append(
                Rejected(
                    int(lines.column("line_no")[idx].as_py()),
                    f"JSON nested deeper than {MAX_NESTING} levels ({depth:,}): "
                    "not an Entra log record",
                    text[:RAW_TEXT_LIMIT],
                )
            )
    if not rejected:
        return lines, []
    return lines.filter(pa.array(~bad)), rejected


def read_document(
    path: Path, detected: Detected, con: duckdb.DuckDBPyConnection, max_bytes: int
) -> Batch:
    """A whole-file JSON document (array, ``{"value": [...]}`` page, records body).

    The size is measured while streaming first: a document over ``max_bytes`` (or a gzip bomb)
    becomes one quarantine row and is never held in memory. Raises NotADocument when the file is
    JSON lines after all (a first line longer than the sniffed head, then more lines).
    """
    extent = measure(path, detected, max_bytes)
    if extent.lines_after_long_first:
        raise NotADocument
    if extent.size > max_bytes:
        return _over_limit(
            extent,
            "JSON document" + (" (decompressed)" if detected.gzip else ""),
            max_bytes,
            "export it as JSON lines (one record per line) or split it into pages",
        )
    with open_bytes(path, detected.gzip) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise FileProblem(_gzip_message(exc, 1)) from exc
        problem = getattr(fh, "problem", None)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    del data
    if problem:
        batch, kept = _salvaged(text, detected, con, problem)
        raise FileProblem(
            f"compressed data ends early or is corrupt ({problem}): the JSON document is cut "
            f"short; the {kept:,} complete record(s) before the cut were ingested: fetch the "
            "file again to get the rest",
            salvaged=batch,
        )
    try:
        (row,) = con.sql(sql("document_shape.sql"), params={"doc": text}).fetchall()
    except (duckdb.InvalidInputException, UnicodeDecodeError) as exc:
        # UnicodeDecodeError: DuckDB's message quotes the input cut in the middle of a character
        if text.count("\n") > 1:
            raise NotADocument from exc
        at = re.search(r"at byte (\d+)", str(exc))
        last = text.rstrip().count("\n") + 1  # an error at the end names the last line
        if at:
            line: int | None = min(text.encode()[: int(at.group(1))].count(b"\n") + 1, last)
        else:
            line = 1 if last == 1 else None
        return Batch(
            no_lines(),
            None,
            "unknown",
            [Rejected(line, "malformed JSON document", text[:RAW_TEXT_LIMIT])],
        )
    names = (
        "kind",
        "records_type",
        "value_type",
        "first_item",
        "first_record",
        "first_value",
        "results_type",
        "first_results",
        "Results_type",
        "first_Results",
        "tables_type",
    )
    shape = dict(zip(names, row, strict=True))
    small = text if len(text) <= MAX_RECORD_BYTES else None
    items_path, dialect, source_format = document_layout(shape, small)
    if items_path == "$" and shape["tables_type"] == "ARRAY":
        # the Log Analytics query API's response: columns and rows, made into one object a row
        try:
            lines = con.sql(sql("tables_document.sql"), params={"doc": text}).to_arrow_table()
        except duckdb.Error as exc:
            reason = f"Log Analytics query response whose tables cannot be read ({exc})"[:500]
            rejected = [Rejected(1, reason, text[:RAW_TEXT_LIMIT])]
            return Batch(no_lines(), None, "loganalytics", rejected)
        lines, deep = reject_deep(lines.cast(LINES_SCHEMA))
        return Batch(lines, first_dialect(lines) or "loganalytics", "loganalytics", deep)
    if items_path == "$":
        lines = _lines_table(np.array([1], np.int64), pa.array([text.strip()], pa.string()))
    else:
        lines = con.sql(
            sql("document.sql"), params={"doc": text, "items": items_path}
        ).to_arrow_table()
        lines = lines.cast(LINES_SCHEMA)
    lines, deep = reject_deep(lines)
    return Batch(lines, dialect, source_format, deep)


def _salvaged(
    text: str, detected: Detected, con: duckdb.DuckDBPyConnection, problem: str
) -> tuple[Batch, int]:
    """The complete records of a document cut short, and the cut as one quarantine row."""
    found = salvage_items(text)
    if found is None:  # cut before its record array began
        reason = f"JSON document cut short before its first record ({problem})"
        return Batch(
            no_lines(), None, "unknown", [Rejected(None, reason, text[:RAW_TEXT_LIMIT])]
        ), 0
    items = found.items
    first = items[0] if items else None
    shape = {
        "kind": "ARRAY" if found.items_path == "$[*]" else "OBJECT",
        "records_type": "ARRAY" if found.items_path == "$.records[*]" else None,
        "value_type": "ARRAY" if found.items_path == "$.value[*]" else None,
        "first_item": first,
        "first_record": first,
        "first_value": first,
    }
    items_path, dialect, source_format = document_layout(shape, None)
    count = len(items)
    lines = _lines_table(np.arange(1, count + 1, dtype=np.int64), pa.array(items, pa.string()))
    if items_path == "$[*].records[*]":  # an array of {"records": [...]} bodies
        lines = _expand(lines, [], replace(detected, wrapper="records"), con).lines
    lines, rejected = reject_deep(lines)
    if found.tail.strip():
        rejected.append(
            Rejected(
                count + 1,
                f"record cut short: the JSON document ends here (after record {count:,}; "
                f"{problem})",
                found.tail[:RAW_TEXT_LIMIT],
            )
        )
    return Batch(lines, dialect, source_format, rejected), lines.num_rows


# ---- CSV ---------------------------------------------------------------------------------------


def read_csv(path: Path, detected: Detected, max_bytes: int) -> Batch:
    """A CSV export: Log Analytics rows, an admin center download or a Purview audit export.

    A file over ``max_bytes`` (measured while streaming) and a header of more than
    MAX_CSV_COLUMNS columns are quarantined with their reason; a header without rows is 0 rows.
    """
    extent = measure(path, detected, max_bytes)
    if extent.size > max_bytes:
        return _over_limit(extent, "CSV file", max_bytes, "split it into smaller exports")
    with open_bytes(path, detected.gzip) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise FileProblem(_gzip_message(exc, 1)) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    width = data[: data.find(b"\n") if b"\n" in data else len(data)].count(b",") + 1
    if width > MAX_CSV_COLUMNS:
        return _too_wide(data, width)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    del data
    header_line = next(csv.reader(io.StringIO(text)), [])
    headers = [h.replace("\ufeff", "").strip() for h in header_line]
    keys = {normalise_header(h) for h in headers}
    dialect = registry.csv_dialect(keys)
    names = dialect.csv_columns(headers) if dialect else unique_names(headers or ["column"])
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            has_header=False,
            skip_rows=1,
            new_columns=names,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
        )
    except pl.exceptions.NoDataError:  # a header and no row: an empty export is 0 rows
        frame = pl.DataFrame(schema={n: pl.String for n in names})
    if frame.width < len(names):
        frame = frame.with_columns(
            [pl.lit(None, pl.String).alias(n) for n in names if n not in frame.columns]
        )
    frame = frame.select(names)
    line_nos = np.arange(2, 2 + frame.height, dtype=np.int64)
    if dialect is not None:
        raw = dialect.csv_records(frame, names)
        lines = _lines_table(line_nos, raw.to_arrow().cast(pa.string()))
        return Batch(lines, dialect.name, dialect.source_format)
    # unrecognised headers: every row to the quarantine, as the JSON object of its cells
    raw = frame.select(pl.struct(pl.all()).struct.json_encode()).to_series()
    shown = ", ".join(headers[:6]) + (" …" if len(headers) > 6 else "")
    reason = (
        f"CSV with unrecognised headers ({shown}): expected a Log Analytics export "
        "(TimeGenerated, Type …, or a query's Entra columns), an admin center sign-in "
        "download (Date (UTC), Request ID …) or a Microsoft 365 audit export (AuditData)"
    )
    rejected = [
        Rejected(int(n), reason, r[:RAW_TEXT_LIMIT] if r else "")
        for n, r in zip(line_nos.tolist(), raw.to_list(), strict=True)
    ]
    return Batch(no_lines(), None, "csv", rejected)


def _too_wide(data: bytes, width: int) -> Batch:
    """A CSV whose header has more than MAX_CSV_COLUMNS columns: every row to the quarantine.

    Rows are cut at newlines (no frame of that width is ever built).
    """
    lines, rejected, _count = _split_lines(data + b"\n", 1, MAX_RECORD_BYTES)
    rows = lines.filter(pc.greater(lines.column("line_no"), 1))
    reason = (
        f"CSV with {width:,} columns is over the {MAX_CSV_COLUMNS:,} column limit: "
        "not an Entra export (they have a few hundred columns at most)"
    )
    rejected = [r for r in rejected if r.line_no != 1]
    rejected += [
        Rejected(int(n), reason, text[:RAW_TEXT_LIMIT])
        for n, text in zip(
            rows.column("line_no").to_pylist(), rows.column("raw").to_pylist(), strict=True
        )
    ]
    return Batch(no_lines(), None, "csv", rejected)


def first_dialect(lines: pa.Table) -> str | None:
    """Dialect of the first parseable record of a batch (for files whose head did not tell)."""
    for text in lines.column("raw").slice(0, 50).to_pylist():
        try:
            return registry.record_dialect(json.loads(text))
        except (ValueError, TypeError, RecursionError):  # RecursionError: hostile nesting
            continue
    return None
