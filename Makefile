# Two commands a newcomer needs: `make demo` and `make test`. Both build the venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test test-long lint bench clean

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

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache
