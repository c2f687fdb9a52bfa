# Two commands a newcomer needs: `make demo` and `make test`. Both build the venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test test-long lint bench notebook clean

$(BIN)/agentaudit: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(BIN)/agentaudit

demo: venv
	$(BIN)/agentaudit demo demo-workspace

test: venv
	$(BIN)/pytest

test-long: venv
	$(BIN)/pytest -m slow

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# re-execute notebooks/investigate.ipynb against a fresh run of the sample tenant (a temporary
# copy of sample_data/), so the committed notebook shows its answers; a few minutes
notebook: venv
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -r sample_data "$$tmp/sample_data"; rm -rf "$$tmp/sample_data/lake"; \
	$(BIN)/agentaudit run --workspace "$$tmp/sample_data" > "$$tmp/run.log" 2>&1 \
		|| { cat "$$tmp/run.log"; exit 1; }; \
	$(BIN)/python -m tests.notebooks.execute "$$tmp/sample_data"

# the nightly-run benchmark's day sizes: make bench EVENTS=1000000,3000000,10000000
EVENTS ?= 1000000

bench: venv
	$(BIN)/python benchmarks/run_all.py --events $(EVENTS)

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache
