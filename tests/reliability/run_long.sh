#!/usr/bin/env bash
# The long reliability runs (pytest -m slow under tests/reliability) and their figures:
#   >= 50 SIGKILL trials of `agentaudit ingest` / `agentaudit run` over a ~700-file generated tenant,
#   >= 10,000 fuzzed records through every reader, the 200 MB line, gzip bomb and 1M-column CSV.
# Knobs: AGENTAUDIT_CRASH_TRIALS (default 60), AGENTAUDIT_FUZZ_EXAMPLES (per container, default
# 120), AGENTAUDIT_CRASH_SEED. Extra arguments go to pytest (e.g. -k crash).
# Usage: tests/reliability/run_long.sh            (from anywhere; uses .venv/bin/python if present)
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
"$PY" -m pytest tests/reliability -m slow -s -p no:cacheprovider -W ignore "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo
echo "== reliability figures ($(( $(date +%s) - started )) s, pytest exit $rc) =="
grep -oE "\[(crash|fuzz|size|concurrency)\].*" "$log" || echo "(no figures printed)"
grep -E '(passed|failed|xfailed|error)' "$log" | tail -1
exit "$rc"
