"""What a file holds, decided from its content (never its extension).

``sniff`` reads the first bytes (through gzip when the magic bytes say so) and returns a
``Detected``: the container shape (JSON lines, one JSON document, CSV), for JSON lines whether each
line is a ``{"records": [...]}`` / ``{"value": [...]}`` wrapper, and the record dialect (the
registry's first that claims the first record) with the source_format that goes into the lake.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipeline.ingest.dialects import registry

GZIP_MAGIC = b"\x1f\x8b"
BOMS = (b"\xef\xbb\xbf",)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
HEAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Detected:
    shape: str  # jsonl | document | csv | binary | empty | utf16 | text
    gzip: bool
    dialect: str | None = None  # a dialect's name (pipeline/ingest/dialects/registry.py)
    source_format: str = "unknown"
    wrapper: str | None = None  # "records" / "value" when each JSON line wraps records
    doc_path: str | None = None  # for documents: "$.value[*]", "$.records[*]", "$[*]" or "$"


class GunzipReader(io.RawIOBase):
    """Streaming gunzip that keeps everything decompressed before a cut or corrupt end.

    ``gzip.open`` raises at a truncated end and loses the block it was decoding; this reader
    returns all the bytes it could inflate and then sets ``problem`` (read() returns b"").
    Concatenated gzip members are read one after another.
    """

    def __init__(self, path: Path):
        self._fh = open(path, "rb")  # noqa: SIM115
        self._inflate = zlib.decompressobj(wbits=31)
        self._parts: list[bytes] = []
        self._held = 0
        self._pending = b""  # compressed input not inflated yet (bounded output per call)
        self._done = False
        self.problem: str | None = None

    def readable(self) -> bool:
        return True

    def _inflate_some(self, limit: int) -> bytes:
        """Inflate at most ``limit`` bytes from the pending input (a bomb never inflates whole)."""
        out = self._inflate.decompress(self._pending, limit)
        self._pending = self._inflate.unconsumed_tail
        if self._inflate.eof and self._inflate.unused_data:
            self._pending = self._inflate.unused_data + self._pending
            self._inflate = zlib.decompressobj(wbits=31)
        return out

    def _fill(self, want: int) -> None:
        while self._held < want and not self._done:
            if not self._pending:
                block = self._fh.read(1024 * 1024)
                if not block:
                    self._done = True
                    if not self._inflate.eof:
                        self.problem = (
                            "the compressed stream ends before its end marker (truncated)"
                        )
                    break
                self._pending = block
            try:
                out = self._inflate_some(max(min(want - self._held, 1 << 24), 1 << 16))
            except zlib.error as exc:
                self._done = True
                self.problem = f"corrupt compressed data ({exc})"
                break
            if out:
                self._parts.append(out)
                self._held += len(out)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 62
        self._fill(size)
        data = b"".join(self._parts)
        out, rest = data[:size], data[size:]
        self._parts = [rest] if rest else []
        self._held = len(rest)
        return out

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_bytes(path: Path, is_gzip: bool) -> IO[bytes]:
    return GunzipReader(path) if is_gzip else open(path, "rb")  # type: ignore[return-value]  # noqa: SIM115


def _gunzip_head(path: Path) -> bytes:
    """The first HEAD_BYTES of a gzip file's content, even when the file is cut short."""
    inflate = zlib.decompressobj(wbits=31)
    out = b""
    with open(path, "rb") as fh:
        while len(out) < HEAD_BYTES and not inflate.eof:
            block = fh.read(64 * 1024)
            if not block:
                break
            out += inflate.decompress(block, HEAD_BYTES - len(out))
            while inflate.unconsumed_tail and len(out) < HEAD_BYTES:
                out += inflate.decompress(inflate.unconsumed_tail, HEAD_BYTES - len(out))
    return out


def _strip_bom(head: bytes) -> bytes:
    for bom in BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def _wrapper_items(record: dict) -> tuple[str | None, list]:
    for key in ("records", "value"):
        items = record.get(key)
        if isinstance(items, list):
            return key, items
    # Defender advanced hunting answers: {"schema": [...], "results": [...]} (either case)
    for key, beside in (("results", "schema"), ("Results", "Schema")):
        items = record.get(key)
        if isinstance(items, list) and beside in record:
            return key, items
    return None, []


def _is_query_tables(record: object) -> bool:
    """The Log Analytics query API's response: {"tables": [{"columns": [...], "rows": [...]}]}."""
    if not isinstance(record, dict):
        return False
    tables = record.get("tables")
    return (
        isinstance(tables, list)
        and bool(tables)
        and isinstance(tables[0], dict)
        and {"columns", "rows"} <= set(tables[0])
    )


def _json_source_format(
    dialect: str | None, wrapper: str | None, first_line: bytes, path_hint: str = ""
) -> str:
    if dialect is None:
        return "unknown"
    return registry.get(dialect).source_format_of(wrapper, first_line, path_hint)


def json_lines_share(head: bytes, complete: bool) -> float:
    """The share of the head's non-empty lines that look like a JSON object on a line of its own.

    A line counts when it is UTF-8 without NUL bytes and runs from ``{`` to ``}``. The last line
    is left out unless ``complete`` (it may be cut by the head limit). 0.0 when no line is whole.
    """
    lines = _strip_bom(head).split(b"\n")[:200]
    if not complete:
        lines = lines[:-1]
    lines = [ln.strip() for ln in lines if ln.strip()]
    if not lines:
        return 0.0
    good = 0
    for line in lines:
        if line[:1] != b"{" or line[-1:] != b"}" or b"\x00" in line:
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        good += 1
    return good / len(lines)


def sniff(path: Path, path_hint: str = "", data: bytes | None = None) -> Detected:
    """Detect the shape and dialect of ``path``. Raises OSError when it cannot be read.

    ``data``: the file's whole content when the caller read it already (not read again).
    """
    if data is not None and data[:2] != GZIP_MAGIC:
        return _sniff_head(data[:HEAD_BYTES], False, path_hint)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    is_gzip = magic == GZIP_MAGIC
    if is_gzip:
        try:
            head = _gunzip_head(path)
        except zlib.error:
            head = b""
        if not head:
            # the magic bytes may be the start of a binary line in a plain JSON-lines file
            with open(path, "rb") as fh:
                plain = fh.read(HEAD_BYTES)
            if json_lines_share(plain, len(plain) < HEAD_BYTES) < 0.5:
                return Detected(shape="binary", gzip=True)
            is_gzip, head = False, plain
    else:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    return _sniff_head(head, is_gzip, path_hint)


def _sniff_head(head: bytes, is_gzip: bool, path_hint: str) -> Detected:
    """``sniff`` from the first HEAD_BYTES of the (decompressed) content."""
    if not head.strip():
        return Detected(shape="empty", gzip=is_gzip)
    complete = len(head) < HEAD_BYTES  # the whole file is in the head
    share = json_lines_share(head, complete)
    # a binary or UTF-16 line among JSON lines is that line's problem, not the file's
    if share < 0.5 and head.startswith(UTF16_BOMS):
        return Detected(shape="utf16", gzip=is_gzip)
    if share < 0.5 and b"\x00" in head[:8192]:
        return Detected(shape="binary", gzip=is_gzip)
    body = _strip_bom(head).lstrip()
    first = body[:1]
    if first == b"[" and share <= 0.5:
        return _document(body, is_gzip, "$[*]")
    lines = [ln for ln in body.split(b"\n")[:50] if ln.strip()]
    for n, line in enumerate(lines if complete or len(lines) == 1 else lines[:-1]):
        if not line.lstrip().startswith(b"{"):
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: hostile nesting thousands deep
            continue
        if isinstance(record, dict) and (n == 0 or record):
            return _jsonl(record, line, body, is_gzip, path_hint)
    if first == b"{":
        # no line is a JSON object on its own: a pretty-printed document (or garbage)
        return _document(body, is_gzip, None)
    if any(line.lstrip().startswith(b"{") for line in lines):
        # JSON lines, all broken at the head: judge every line
        return Detected(shape="jsonl", gzip=is_gzip, source_format="unknown")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 4:  # not just a character cut by the head limit
            return Detected(shape="binary", gzip=is_gzip)
    header = body.split(b"\n", 1)[0]
    if not any(sep in header for sep in (b",", b"\t", b";")):
        return Detected(shape="text", gzip=is_gzip)
    return Detected(shape="csv", gzip=is_gzip)


def _jsonl(record: object, line: bytes, body: bytes, is_gzip: bool, path_hint: str) -> Detected:
    if _is_query_tables(record):  # columns and rows: read as the document it is
        return _document(body, is_gzip, None)
    wrapper = None
    sample: object = record
    if isinstance(record, dict):
        wrapper, items = _wrapper_items(record)
        if wrapper:
            sample = items[0] if items else None
    dialect = registry.record_dialect(sample) if sample is not None else None
    if dialect is None and wrapper:
        # an empty wrapper first: look at the next lines
        for other in body.split(b"\n")[1:50]:
            try:
                _, items = _wrapper_items(json.loads(other))
            except (ValueError, AttributeError, RecursionError):
                continue
            if items:
                dialect = registry.record_dialect(items[0])
                break
    source_format = _json_source_format(dialect, wrapper, line, path_hint)
    return Detected(
        shape="jsonl",
        gzip=is_gzip,
        dialect=dialect,
        source_format=source_format,
        wrapper=wrapper,
    )


def _document(body: bytes, is_gzip: bool, doc_path: str | None) -> Detected:
    """A whole-file JSON document; its dialect is settled once the document is parsed."""
    return Detected(shape="document", gzip=is_gzip, doc_path=doc_path)


#: a document's wrapper key -> document_shape.sql's column with its first item
WRAPPERS = {
    "records": "first_record",
    "value": "first_value",
    "results": "first_results",
    "Results": "first_Results",
}


def document_layout(
    shape: dict[str, str | None], small_doc: str | None
) -> tuple[str, str | None, str]:
    """(items path, dialect, source_format) of a JSON document from document_shape.sql's row.

    ``small_doc`` is the document text when it is small enough to parse whole (a single record).
    """

    def first(text: str | None) -> object:
        try:
            return json.loads(text) if text else None
        except (ValueError, RecursionError):  # RecursionError: hostile nesting
            return None

    if shape["kind"] == "ARRAY":
        item = first(shape["first_item"])
        if isinstance(item, dict):
            key, items = _wrapper_items(item)
            if key == "records":
                return (
                    "$[*].records[*]",
                    registry.record_dialect(items[0] if items else None),
                    "eventhub",
                )
        dialect = registry.record_dialect(item)
        return "$[*]", dialect, _json_source_format(dialect, None, b"")
    if shape["kind"] == "OBJECT":
        # records: Event Hub; value: Graph pages; results / Results: Defender advanced hunting
        for key, first_key in WRAPPERS.items():
            if shape.get(f"{key}_type") == "ARRAY":
                dialect = registry.record_dialect(first(shape[first_key]))
                fmt = "eventhub" if key == "records" else _json_source_format(dialect, key, b"")
                return f"$.{key}[*]", dialect, fmt
        dialect = registry.record_dialect(first(small_doc))
        return "$", dialect, _json_source_format(dialect, None, b"")
    return "$", None, "unknown"
