"""Size limits: a single 200 MB line, a gzip bomb, a CSV with a million columns, JSON nested
thousands deep. Each must end with a clear quarantine reason (or file error) and bounded memory,
measured as the peak RSS of an ``agentaudit ingest`` child process (wait4's rusage).

Cases marked ``xfail(strict=True)`` are bugs this suite found in modules whose authors were still
editing them (see the reason of each): they fail today, and the marker must go when they are fixed
(a strict xfail that passes fails the suite).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from pipeline.ingest import ingest_paths
from pipeline.ingest.runner import read_quarantine
from pipeline.workspace import Workspace

from .crash import peak_rss

#: memory an ingest may use above the same ingest of a small file, whatever the input's size
HEADROOM_MIB = 300


def _sample_line(samples_dir: Path) -> str:
    path = samples_dir / "azure-monitor-storage" / "sign_in_logs.json"
    return next(ln for ln in path.read_text().splitlines() if ln.strip())


def _long_line_file(path: Path, mib: int, samples_dir: Path) -> Path:
    with open(path, "w") as fh:
        fh.write('{"time": "2026-11-20T00:00:00Z", "category": "SignInLogs", "properties": {"x": "')
        block = "A" * (1 << 20)
        for _ in range(mib):
            fh.write(block)
        fh.write('"}}\n' + _sample_line(samples_dir) + "\n")
    return path


def _gzip_bomb(path: Path, mib: int) -> Path:
    """``{"records": [`` + ``mib`` MiB of spaces + ``]}``: a ~1000:1 gzip."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    parts = [deflate.compress(b'{"records": [')]
    parts += [deflate.compress(block) for _ in range(mib)]
    parts += [deflate.compress(b"]}\n"), deflate.flush()]
    path.write_bytes(b"".join(parts))
    return path


def _baseline_rss(tmp_path: Path, samples_dir: Path) -> int:
    small = tmp_path / "small.json"
    small.write_text(_sample_line(samples_dir) + "\n")
    rc, out, rss = peak_rss(["ingest", "-w", str(tmp_path / "ws-small"), str(small)])
    assert rc == 0, out
    return rss


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# -- fast ----------------------------------------------------------------------------------------


def test_deep_nesting_among_other_lines_is_quarantined(tmp_path: Path, samples_dir: Path) -> None:
    """Found here and fixed: a line nested 5,000 deep crashed the format sniff (RecursionError)."""
    path = tmp_path / "deep.json"
    deep = '{"time": "2026-11-20T00:00:00Z", "category": "SignInLogs", "properties": '
    path.write_text(deep + _deep(5000) + "}\n" + _sample_line(samples_dir) + "\n")
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [path])
    assert summary.conserved and summary.rows_written_total == 1 and summary.quarantined == 1
    (row,) = read_quarantine(ws).to_pylist()
    assert row["source_line"] == 1 and row["reason"]


def test_deep_nesting_as_a_whole_document(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" + _deep(3000) + "]\n")
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [path])
    assert summary.conserved and summary.quarantined == 1
    (row,) = read_quarantine(ws).to_pylist()
    assert "nested deeper than" in row["reason"]


def test_header_only_csv(tmp_path: Path) -> None:
    path = tmp_path / "empty-export.csv"
    path.write_text("TimeGenerated,Type,TenantId,Id\n")
    summary = ingest_paths(Workspace.at(tmp_path / "ws"), [path])
    assert summary.conserved and summary.rows_written_total == 0


def test_line_over_the_record_limit_in_a_small_chunked_read(tmp_path: Path, samples_dir) -> None:
    """The over-long-line path with small limits (the 200 MB case runs in the long suite)."""
    path = _long_line_file(tmp_path / "long.json", 3, samples_dir)
    ws = Workspace.at(tmp_path / "ws")
    summary = ingest_paths(ws, [path], chunk_bytes=256 * 1024, max_record_bytes=1024 * 1024)
    assert summary.conserved and summary.rows_written_total == 1 and summary.quarantined == 1
    (row,) = read_quarantine(ws).to_pylist()
    assert "record limit" in row["reason"] and row["source_line"] == 1
    assert len(row["raw_text"]) <= 64 * 1024


# -- long ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_200_mb_line_is_quarantined_with_its_reason(tmp_path: Path, samples_dir: Path) -> None:
    path = _long_line_file(tmp_path / "line.json", 200, samples_dir)
    rc, out, rss = peak_rss(["ingest", "-w", str(tmp_path / "ws"), str(path)])
    print(f"[size] 200 MB line: exit {rc}, peak RSS {rss} MiB")
    assert rc == 0, out
    assert "over the 16 MiB record limit" in out and "signins 1" in out


@pytest.mark.slow
def test_200_mb_line_memory_is_bounded(tmp_path: Path, samples_dir: Path) -> None:
    base = _baseline_rss(tmp_path, samples_dir)
    path = _long_line_file(tmp_path / "line.json", 200, samples_dir)
    rc, out, rss = peak_rss(["ingest", "-w", str(tmp_path / "ws"), str(path)])
    print(f"[size] 200 MB line: peak RSS {rss} MiB (small file: {base} MiB)")
    assert rc == 0, out
    assert rss - base < HEADROOM_MIB


@pytest.mark.slow
def test_gzip_bomb_memory_is_bounded_and_quarantined(tmp_path: Path, samples_dir: Path) -> None:
    base = _baseline_rss(tmp_path, samples_dir)
    path = _gzip_bomb(tmp_path / "bomb.json.gz", 1024)
    ws = tmp_path / "ws"
    rc, out, rss = peak_rss(["ingest", "-w", str(ws), str(path)])
    print(f"[size] gzip bomb {path.stat().st_size:,} bytes -> 1 GiB: exit {rc}, peak RSS {rss} MiB")
    assert rc in (0, 1) and "Traceback" not in out
    assert "over" in out  # a clear reason: the size limit it crossed
    assert rss - base < HEADROOM_MIB
    assert read_quarantine(Workspace.at(ws)).num_rows == 1


@pytest.mark.slow
def test_csv_with_a_million_columns(tmp_path: Path, samples_dir: Path) -> None:
    base = _baseline_rss(tmp_path, samples_dir)
    n = 1_000_000
    path = tmp_path / "wide.csv"
    path.write_text(
        "TimeGenerated,Type,"
        + ",".join(f"c{i}" for i in range(n))
        + "\n2026-11-20T00:00:00Z,SigninLogs,"
        + ",".join("1" for _ in range(n))
        + "\n"
    )
    ws = tmp_path / "ws"
    rc, out, rss = peak_rss(["ingest", "-w", str(ws), str(path)])
    print(f"[size] CSV with {n:,} columns: exit {rc}, peak RSS {rss} MiB")
    assert rc in (0, 1) and "Traceback" not in out
    assert read_quarantine(Workspace.at(ws)).num_rows == 1  # the one row, with its reason
    assert rss - base < HEADROOM_MIB
