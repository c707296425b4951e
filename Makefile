# relaycode developer entry points.
#
#   make venv   create .venv and install the package (editable) with the dev extra
#   make run    install what serving needs, migrate, seed demo data, serve on
#               http://127.0.0.1:8000 (make run HOST=0.0.0.0 PORT=8701)
#   make test   lint + full test suite on SQLite *and* PostgreSQL (scripts/test.sh)
#   make lint   ruff + mypy only
#   make bench  run the benchmarks under bench/
#   make clean  remove caches and build output (keeps .venv and var/)
#   make distclean  clean + remove .venv
#
# Extra pytest arguments: make test ARGS='-k resolve -x'

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
ARGS   ?=

# ruff only accepts paths that exist, and tests/ or bench/ may not exist yet.
LINT_PATHS := $(wildcard src tests bench)

.PHONY: venv run test lint bench clean distclean

venv: $(VENV)/.installed-dev

# Two stamps: `make run` installs only what serving needs (.installed-run), `make venv`
# and `make test` add the dev extra (.installed-dev: pytest, Playwright, mypy, ruff).
# Each is rebuilt whenever pyproject.toml changes (new deps); if an install fails its
# stamp is not touched, so the next make retries.
$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found; install Python >= 3.11 or run 'make PYTHON=/path/to/python3.11 venv'" >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "error: relaycode needs Python >= 3.11, but '$(PYTHON)' is $$($(PYTHON) -V 2>&1)." >&2; \
	  echo "       Run e.g. 'make PYTHON=python3.11 venv'." >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -U pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

# `relaycode demo` is an idempotent seed, so running it on every start is safe. Codes
# carry RELAYCODE_PUBLIC_URL if set, else http://$(HOST):$(PORT) (see `relaycode serve`).
# Development: webhooks may go to a receiver on this machine (docs/webhooks.md).
run: $(VENV)/.installed-run
	$(BIN)/relaycode db upgrade
	$(BIN)/relaycode demo --host $(HOST) --port $(PORT)
	RELAYCODE_WEBHOOK_ALLOW_PRIVATE=$${RELAYCODE_WEBHOOK_ALLOW_PRIVATE:-true} \
	  $(BIN)/relaycode serve --host $(HOST) --port $(PORT)

test: venv
	scripts/test.sh $(ARGS)

# Same checks as the lint step of scripts/test.sh (mypy strict on src/ from [tool.mypy]
# in pyproject.toml; tests/ and bench/ checked less strictly by mypy-tests.ini).
lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy src
	$(BIN)/mypy --config-file mypy-tests.ini tests bench

# Benchmarks run in a fixed order; any that do not exist yet are skipped.
# The resolve benchmark drives the server with wrk, the decode one compares with ZBar:
# both are Debian packages, installed here when we may (root with apt-get).
bench: venv
	@if ! command -v wrk >/dev/null || ! ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk libzbar0; \
	  else echo "bench needs wrk and libzbar0 (apt-get install wrk libzbar0)" >&2; exit 1; fi; \
	fi
	$(BIN)/python bench/code_size.py
	$(BIN)/python bench/resolve.py
	$(BIN)/python bench/decode.py

# var/ holds the local database and keys: deliberately not removed here.
clean:
	rm -rf build dist bench/out .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name '*.pyc' -exec rm -f {} +

distclean: clean
	rm -rf $(VENV)
