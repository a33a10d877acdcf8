# customer-graph: `make demo` and `make test` work on a fresh clone of a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/pip --disable-pip-version-check

.PHONY: setup browser demo test lint typecheck unit bench clean

# torch first and exactly 2.13.0 (a CPU wheel); any other order pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet "pip==26.3"
	$(PIP) install --quiet -c constraints.txt "torch==2.13.0"
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/customer-graph demo --serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

# Debian's Chromium for the steward page's browser tests (Playwright drives it; never
# `playwright install`, which downloads a browser of its own).
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: lint typecheck browser
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/store.py

# Re-pin after an intentional upgrade: installs from pyproject ranges, then freezes.
lock:
	$(PIP) freeze --exclude-editable | sed 's/+cpu$$//' > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache test-artifacts
