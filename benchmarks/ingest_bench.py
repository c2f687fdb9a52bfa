"""Benchmark: ingest of storage-format sign-in lines against a bare DuckDB copy (issue 2).

Generates ``N`` Azure Monitor storage (PT1H.json) sign-in lines by mutating the real sample record
(``../shared/samples/azure-monitor-storage/sign_in_logs.json``: new ids, times over a week, users,
addresses, errors), then, each in a fresh process so that peak memory is the phase's own:

* ``copy``: ``COPY (SELECT * FROM read_json(file)) TO 'x.parquet'`` in DuckDB (the yardstick);
* ``ingest``: ``pipeline.ingest.ingest_paths`` end to end (detection, normalisation, dedupe,
  Parquet with the raw column) into a fresh workspace.

Prints rows/s, the ingest / copy time ratio, the same ratio in CPU seconds (steadier on a shared
machine) and peak RSS. With ``--repeat N`` the two phases alternate N times and the fastest of
each counts (the least disturbed by other work on the machine).

Targets (issue 2): at 1,000,000 rows the ingest takes at most 1.5x the copy; at every size every
row is written and the peak stays under 1.5 GB; the peak does not grow with the input (the
largest size's peak within 25% of the smallest's).

    .venv/bin/python benchmarks/ingest_bench.py --rows 1000000,3000000 --repeat 3 --dir <dir>
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent.parent / "shared" / "samples" / "azure-monitor-storage" / "sign_in_logs.json"
MARK = "\x00{}\x00"


def _template(sample: Path) -> str:
    record = json.loads(sample.read_text().splitlines()[0])
    props = record["properties"]
    fields = {
        "id": "ID",
        "createdDateTime": "CREATED",
        "userId": "USER",
        "userPrincipalName": "UPN",
        "ipAddress": "IP",
        "correlationId": "CORR",
        "uniqueTokenIdentifier": "TOKEN",
    }
    for key, name in fields.items():
        props[key] = MARK.format(name)
    props["status"] = {"errorCode": MARK.format("ERR")}
    record["time"] = MARK.format("TIME")
    record["callerIpAddress"] = MARK.format("IP")
    record["correlationId"] = MARK.format("CORR")
    text = json.dumps(record, separators=(",", ":")).replace("{", "{{").replace("}", "}}")
    mark = json.dumps(MARK)[1:-1].replace("{", "{{").replace("}", "}}")  # as json.dumps wrote it
    # numbers go in unquoted
    text = text.replace('"' + mark.replace("{{}}", "ERR") + '"', "{err}")
    for name in ("ID", "CREATED", "USER", "UPN", "IP", "CORR", "TOKEN", "TIME"):
        text = text.replace(mark.replace("{{}}", name), "{" + name.lower() + "}")
    return text


def generate(path: Path, rows: int, sample: Path = SAMPLE) -> int:
    """Write ``rows`` sign-in lines; returns the file size in bytes."""
    template = _template(sample)
    errors = (0, 0, 0, 0, 0, 0, 0, 50126, 50140, 53003)
    with open(path, "w", encoding="utf-8") as fh:
        block = []
        for i in range(rows):
            day = 5 + i % 7
            second = (i * 7919) % 86400
            stamp = (
                f"2025-04-{day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
            )
            user = i % 5000
            block.append(
                template.format(
                    id=f"{i:08x}-08a4-4a74-b42b-{i * 2654435761 % 2**48:012x}",
                    created=stamp + f".{i % 10_000_000:07d}+00:00",
                    time=stamp + "Z",
                    user=f"{user:08x}-9c68-4843-856f-3feb9e9867af",
                    upn=f"user{user}@contoso.com",
                    ip=f"10.{i % 251}.{i % 241}.{i % 239}",
                    corr=f"{i:08x}-77cc-4f71-b1e2-155b84594b0b",
                    token=f"tok{i:012d}",
                    err=errors[i % len(errors)],
                )
            )
            if len(block) == 10_000:
                fh.write("\n".join(block) + "\n")
                block = []
        if block:
            fh.write("\n".join(block) + "\n")
    return path.stat().st_size


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def phase_copy(src: Path, out: Path) -> dict:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM read_json($src, format = 'newline_delimited')) "
        "TO '" + str(out).replace("'", "''") + "' (FORMAT parquet)",
        {"src": str(src)},
    )
    rows = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(out)}).fetchone()[0]
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": _cpu_seconds(),
        "rows": rows,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_ingest(src: Path, ws_dir: Path) -> dict:
    from pipeline.ingest import ingest_paths
    from pipeline.workspace import Workspace

    t0 = time.perf_counter()
    summary = ingest_paths(Workspace.at(ws_dir), [src])
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": _cpu_seconds(),
        "rows": summary.rows_written_total,
        "read": summary.rows_read,
        "quarantined": summary.quarantined,
        "duplicates": summary.duplicates,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child(phase: str, src: Path, target: Path) -> dict:
    cmd = [sys.executable, __file__, "--phase", phase, "--src", str(src), "--target", str(target)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,3000000", help="comma-separated sizes")
    parser.add_argument("--dir", default="/tmp/agentaudit-ingest-bench", type=Path)
    parser.add_argument("--sample", default=SAMPLE, type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each phase (fastest counts)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        fn = phase_copy if args.phase == "copy" else phase_ingest
        print(json.dumps(fn(args.src, args.target)))
        return 0
    if not args.sample.is_file():
        print(f"sample not found: {args.sample} (pass --sample)", file=sys.stderr)
        return 1
    args.dir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'rows':>9} {'GB':>5} {'copy s':>7} {'copy r/s':>9} {'copy MB':>8} "
        f"{'ingest s':>8} {'ingest r/s':>10} {'ingest MB':>9} {'ratio':>6} {'cpu ratio':>9}"
    )
    ok, peaks = True, []
    for rows in (int(r) for r in args.rows.split(",")):
        src = args.dir / f"PT1H-{rows}.json"
        if not src.exists():
            generate(src, rows, args.sample)
        size = src.stat().st_size
        copies, ingests = [], []
        for _ in range(args.repeat):
            shutil.rmtree(args.dir / "ws", ignore_errors=True)
            (args.dir / "copy.parquet").unlink(missing_ok=True)
            copies.append(_child("copy", src, args.dir / "copy.parquet"))
            ingests.append(_child("ingest", src, args.dir / "ws"))
        copy = min(copies, key=lambda r: r["seconds"])
        ingest = min(ingests, key=lambda r: r["seconds"])
        peak = max(r["peak_rss_mb"] for r in ingests)
        peaks.append(peak)
        ratio = ingest["seconds"] / copy["seconds"]
        ok &= all(r["rows"] == rows for r in ingests) and peak < 1536
        if rows == 1_000_000:
            ok &= ratio <= 1.5
        print(
            f"  cpu seconds: copy {copy['cpu']:.1f}, ingest {ingest['cpu']:.1f}",
            file=sys.stderr,
            flush=True,
        )
        print(
            f"{rows:>9} {size / 1e9:>5.2f} {copy['seconds']:>7.1f} {rows / copy['seconds']:>9.0f} "
            f"{copy['peak_rss_mb']:>8.0f} {ingest['seconds']:>8.1f} "
            f"{rows / ingest['seconds']:>10.0f} {peak:>9.0f} {ratio:>6.2f} "
            f"{ingest['cpu'] / copy['cpu']:>9.2f}",
            flush=True,
        )
        shutil.rmtree(args.dir / "ws", ignore_errors=True)
        (args.dir / "copy.parquet").unlink(missing_ok=True)
        if not args.keep:
            src.unlink()
    ok &= peaks[-1] <= 1.25 * peaks[0]
    print(
        "targets (ratio <= 1.5 at 1M rows, peak < 1.5 GB and flat, every row written):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
