# Two entry points on a fresh machine: `make drill` (the flagship scenario; its
# last line is the path of the drill report) and `make test` (the whole suite).
# Both create the virtual environment they need; `make test` first checks
# formatting, lint and types (ruff, mypy), and also installs Chromium, a Japanese
# font, pango (for report.pdf) and poppler's tools from Debian's packages when run
# as root (scripts/system-deps.sh).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLAGSHIP := scenarios/jalert_missile_drill_aomori.yaml

.PHONY: drill test bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[plots]'
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,parquet,cluster,plots,pdf,hil,console,notebook,dev,research,bench]'
	touch $@

drill: $(VENV)/.core
	$(BIN)/lalert-sim run $(FLAGSHIP) --out results/drill

test: $(VENV)/.test
	$(BIN)/ruff format --check lalert_sim tests bench tools
	$(BIN)/ruff check lalert_sim tests bench tools
	$(BIN)/mypy lalert_sim
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest

bench: $(VENV)/.core
	$(BIN)/python bench/bench_engine.py

# The full seeded fuzz campaign over scenarios, CAP, node.toml and MQTT payloads (about 10-15 minutes on two
# cores): findings in results/fuzz/findings, then one summary line; fails when it finds anything.
fuzz: $(VENV)/.test
	rm -rf results/fuzz/findings
	$(BIN)/python -m tests.fuzz --out results/fuzz/findings

clean:
	rm -rf $(VENV) results .pytest_cache
