"""Fuzzing every reader with mutated real records: no crash, no hang, nothing lost.

Each hypothesis example takes records from the real Entra samples (../shared/samples) and from a
generated tenant, mutates them (hostile values at random JSON paths, dropped or renamed keys,
flipped, inserted and deleted bytes, cut lines) and packs them into one of the containers the
ingest reads: JSON lines (plain or gzip, CRLF, BOM), Event Hub ``{"records": [...]}`` lines, a
JSON array document, a Graph ``{"value": [...]}`` page, a Log Analytics CSV. Then it checks:

- ``ingest_paths`` returns (no exception) within the watchdog's time;
- rows are conserved: read = written + duplicates + quarantined, and the lake and the quarantine
  really hold that many rows (every visible Parquet file reads);
- every non-blank input line is in the lake or the quarantine (or counted as a duplicate).

A "case" is one mutated record. The default run holds a few hundred; ``-m slow`` over 10,000
(AGENTAUDIT_FUZZ_EXAMPLES: examples per container in the long run).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import signal
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest_paths
from pipeline.workspace import Workspace

from .lakecheck import EVENT_TABLES

TALLY: Counter = Counter()
WATCHDOG_SECONDS = 120

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x1b[2J\x1b[31mred\x1b[0m",
        "\u202egnp.exe",
        "<script>alert(1)</script>",
        "'; DROP TABLE signins; --",
        '=HYPERLINK("http://evil.example","x")',
        "\ud83d\ude00" * 3,
        "9999-99-99T99:99:99Z",
        "0001-01-01T00:00:00Z",
        "2026-02-30T10:00:00Z",
        "1e309",
        "NaN",
        "x" * 5000,
        "\\u0000",
        '{"nested": "json in a string"}',
        '[{"displayName": 1}]',
    ]
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    HOSTILE_TEXT,
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
MUTATION = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 10_000), VALUE),
    st.tuples(st.just("drop"), st.integers(0, 10_000), st.none()),
    st.tuples(st.just("rename"), st.integers(0, 10_000), st.text(max_size=12)),
    # deeper than ~990 crashes json.loads in reader.py: test_size_limits.py holds that case
    st.tuples(st.just("deep"), st.integers(0, 10_000), st.integers(1, 900)),
    st.tuples(st.just("bytes"), st.integers(0, 10_000), st.binary(min_size=1, max_size=6)),
    st.tuples(st.just("cut"), st.integers(0, 10_000), st.none()),
)
RECORD = st.tuples(st.integers(0, 100_000), st.lists(MUTATION, max_size=3))
CONTAINERS = ("jsonl", "jsonl.gz", "crlf_bom", "records", "array", "value_page", "csv")


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a parsed record."""
    out = [prefix] if prefix else []
    if len(prefix) > 30:
        return out
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


def _parent(record: object, path: tuple) -> tuple[object, object]:
    node = record
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    return node, path[-1]


def mutate(line: str, mutations: list) -> str:
    """One mutated record line (may no longer be JSON, or one line)."""
    record = json.loads(line)
    raw: bytes | None = None
    deep: dict[str, str] = {}
    for how, n, arg in mutations:
        if raw is not None or how in ("bytes", "cut"):
            raw = raw if raw is not None else json.dumps(record).encode()
            if how == "bytes":
                at = n % (len(raw) + 1)
                raw = raw[:at] + arg + raw[at + (n % 3) :]
            elif how == "cut":
                raw = raw[: n % max(len(raw), 1)]
            continue
        paths = _paths(record)
        if not paths:
            continue
        parent, key = _parent(record, paths[n % len(paths)])
        if how == "set":
            parent[key] = arg  # type: ignore[index]
        elif how == "drop" and isinstance(parent, dict):
            del parent[key]
        elif how == "rename" and isinstance(parent, dict):
            parent[arg] = parent.pop(key)
        elif how == "deep":  # nesting as text (json.dumps itself would recurse that deep)
            marker = f"__deep_{len(deep)}__"
            deep[f'"{marker}"'] = (
                ('{"a":' * arg + "1" + "}" * arg) if arg % 2 else ("[" * arg + "1" + "]" * arg)
            )
            parent[key] = marker  # type: ignore[index]
    if raw is not None:
        return raw.decode("utf-8", errors="surrogateescape")
    text = json.dumps(record, allow_nan=True)
    for marker, nested in deep.items():
        text = text.replace(marker, nested)
    return text


def _csv(lines: list[str]) -> str:
    """A Log Analytics style CSV: TimeGenerated, Type, TenantId, Id, … from each record."""
    header = ["TimeGenerated", "Type", "TenantId", "Id", "UserPrincipalName", "AppId", "IPAddress"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for line in lines:
        try:
            rec = json.loads(line)
            props = rec.get("properties") if isinstance(rec, dict) else None
            props = props if isinstance(props, dict) else {}
            row = [
                rec.get("time") if isinstance(rec, dict) else line,
                "SigninLogs",
                rec.get("tenantId") if isinstance(rec, dict) else None,
                props.get("id"),
                props.get("userPrincipalName"),
                props.get("appId"),
                props.get("ipAddress"),
            ]
        except (ValueError, AttributeError):
            row = [line[:200], "SigninLogs", "", "", "", "", ""]
        writer.writerow(["" if v is None else str(v) for v in row])
    return buf.getvalue()


def pack(lines: list[str], container: str) -> bytes:
    def enc(text: str) -> bytes:
        return text.encode("utf-8", errors="surrogateescape")

    if container in ("jsonl", "jsonl.gz"):
        data = enc("".join(line + "\n" for line in lines))
        return gzip.compress(data) if container == "jsonl.gz" else data
    if container == "crlf_bom":
        return b"\xef\xbb\xbf" + enc("".join(line + "\r\n" for line in lines))
    if container == "records":
        return enc("".join('{"records": [' + line + "]}\n" for line in lines))
    if container == "array":
        return enc("[\n" + ",\n".join(lines) + "\n]\n")
    if container == "value_page":
        return enc('{"@odata.context": "x", "value": [' + ",".join(lines) + "]}")
    return enc(_csv(lines))


class Pool(list):
    """The record lines (a short repr: hypothesis prints the arguments of a failing example)."""

    def __repr__(self) -> str:
        return f"<{len(self)} record lines>"


@pytest.fixture(scope="module")
def pool(samples_dir: Path, small_tenant: Path) -> list[str]:
    """Record lines: every real sample record, and records of the generated tenant."""
    lines = []
    for path in sorted(samples_dir.rglob("*.json*")):
        lines += [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    taken = 0
    for path in sorted((small_tenant / "input").rglob("*.json*"))[::40]:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        for ln in text.decode("utf-8", errors="replace").splitlines()[:5]:
            try:
                json.loads(ln)
            except ValueError:
                continue
            lines.append(ln)
            taken += 1
    assert taken > 20
    return Pool(lines)


@pytest.fixture(scope="module", autouse=True)
def _print_tally():
    yield
    if TALLY:
        containers = dict(TALLY.get("containers") or {})
        print(
            f"\n[fuzz] {TALLY['examples']} examples, {TALLY['cases']} mutated records "
            f"({TALLY['quarantined']} quarantined, {TALLY['written']} written, "
            f"{TALLY['duplicates']} duplicates) in containers {containers}; "
            "no crash, no hang, every row in the lake or the quarantine; "
            + ", ".join(f"{k}: {v}" for k, v in TALLY.items() if k.startswith("known bug"))
        )


#: crashes found by this suite, not yet fixed in their module (its author is still editing
#: it): each has a strict xfail test in test_size_limits.py; the fuzzer counts them, goes on.
#: None left: NoDataError (header-only CSV) and RecursionError (deep documents) are fixed.
KNOWN_BUGS: tuple[type[BaseException], ...] = ()


def ingest_or_known_bug(ws: Workspace, path: Path):
    try:
        return ingest_paths(ws, [path])
    except KNOWN_BUGS as exc:
        TALLY[f"known bug hit: {type(exc).__name__}"] += 1
        return None


def _hang(_signum, _frame):
    raise TimeoutError(f"ingest did not finish within {WATCHDOG_SECONDS} s: a hang")


def _rows_in(folder: Path) -> tuple[int, set[int]]:
    """Rows and source lines stored under ``folder`` (every file must read)."""
    rows, lines = 0, set()
    for path in folder.glob("date=*/*.parquet"):
        table = pq.read_table(path, columns=["source_line"])
        rows += table.num_rows
        lines.update(v for v in table.column(0).to_pylist() if v is not None)
    return rows, lines


def check_one_file(lines: list[str], container: str) -> None:
    TALLY["examples"] += 1
    TALLY["cases"] += len(lines)
    TALLY.setdefault("containers", Counter())
    TALLY["containers"][container] += 1
    data = pack(lines, container)
    suffix = {"jsonl.gz": ".json.gz", "csv": ".csv"}.get(container, ".json")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        ws = Workspace.at(Path(tmp) / "ws")
        old = signal.signal(signal.SIGALRM, _hang)
        signal.alarm(WATCHDOG_SECONDS)
        try:
            summary = ingest_or_known_bug(ws, path)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        if summary is None:
            return
        assert summary.conserved, summary
        stored, covered = 0, set()
        for table in EVENT_TABLES:
            n, seen = _rows_in(ws.table_dir(table))
            stored += n
            covered |= seen
        assert stored == summary.rows_written_total
        quarantined, q_lines = _rows_in(ws.quarantine)
        assert quarantined == summary.quarantined
        TALLY["quarantined"] += quarantined
        TALLY["written"] += stored
        TALLY["duplicates"] += summary.duplicates
        if container in ("jsonl", "jsonl.gz", "records") and not summary.errors:
            text = data if container != "jsonl.gz" else gzip.decompress(data)
            nonblank = {
                i
                for i, ln in enumerate(text.split(b"\n"), start=1)
                if ln.strip(b" \t\r\x0b\x0c") and not EMPTY_WRAPPER.fullmatch(ln.strip())
            }
            file_level = any(r is None for r in _null_lines(ws))
            missing = nonblank - covered - q_lines
            if not file_level:
                assert len(missing) <= summary.duplicates, sorted(missing)[:10]


#: a wrapper line holding no record: nothing to store, nothing to quarantine
EMPTY_WRAPPER = re.compile(rb'\{"records": \[\s*\]\}')


def _null_lines(ws: Workspace) -> list:
    out = []
    for path in ws.quarantine.glob("date=*/*.parquet"):
        out += pq.read_table(path, columns=["source_line"]).column(0).to_pylist()
    return out


def _lines(pool: list[str], records: list) -> list[str]:
    return [mutate(pool[n % len(pool)], mutations) for n, mutations in records]


COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)


@pytest.mark.parametrize("container", CONTAINERS)
@settings(max_examples=10, **COMMON)
@given(records=st.lists(RECORD, min_size=1, max_size=20))
def test_fuzzed_records_conserved(pool: list[str], records: list, container: str) -> None:
    check_one_file(_lines(pool, records), container)


@pytest.mark.slow
@pytest.mark.parametrize("container", CONTAINERS)
@settings(max_examples=int(os.environ.get("AGENTAUDIT_FUZZ_EXAMPLES", "120")), **COMMON)
@given(records=st.lists(RECORD, min_size=12, max_size=40))
def test_fuzzed_records_conserved_long(pool: list[str], records: list, container: str) -> None:
    check_one_file(_lines(pool, records), container)


@settings(max_examples=20, **COMMON)
@given(data=st.binary(max_size=3000), gz=st.booleans())
def test_arbitrary_bytes_never_crash(data: bytes, gz: bool) -> None:
    """Any bytes at all (as a .json or .json.gz file): a clean result, never an exception."""
    TALLY["examples"] += 1
    TALLY["cases"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("blob.json.gz" if gz else "blob.json")
        path.write_bytes(gzip.compress(data) if gz else data)
        summary = ingest_or_known_bug(Workspace.at(Path(tmp) / "ws"), path)
        assert summary is None or summary.conserved
