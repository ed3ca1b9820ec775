# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make demo   -- virtualenv, install, dry-run demo of the February 2023 outage
#   make test   -- dev dependencies, ruff, mypy on bot/ and tests/, the whole pytest suite
# (make test-fast: the pure core and the unit tests alone, in seconds, while you work)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# setuptools warns about every editable install in a banner of asterisks; the install is what we want
QUIET   = PYTHONWARNINGS=ignore::UserWarning

.PHONY: demo drill test test-fast lint typecheck pytest bench bench-quick install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(QUIET) $(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(QUIET) $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/replybot demo

# The same outage against the fake X: real tweepy calls, a real SQLite file, nothing leaves the machine.
drill: install
	$(BIN)/replybot drill

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy bot bench tests

pytest: install-dev
	$(BIN)/pytest -q

test: lint typecheck pytest

# No server, no subprocess, no training: the core's rules, the store contract, the outbox on in-memory fakes.
FAST = lifecycle store_contract outbox decide policy incident replies spike classifier settings eval_metrics
test-fast: install-dev
	$(BIN)/pytest -q $(foreach t,$(FAST),tests/test_$(t).py)

BENCHES = classify pipeline spike memory startup

# Full runs (about 5 minutes on 2 cores); each prints a JSON summary line last. Not part of `make test`.
bench: install
	set -e; for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py; done

# The same figures from smaller runs, each under a minute.
bench-quick: install
	set -e; for b in $(BENCHES); do echo "== bench/$$b.py --quick"; $(BIN)/python bench/$$b.py --quick; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
