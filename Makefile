# The two commands: `make install` and `make test`. Every target creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lint test test-slow demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check larq_bcd tests convert
	$(BIN)/ruff format --check larq_bcd tests convert

test: lint
	$(BIN)/python -m pytest -m "not slow" -q --durations=15 tests

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q tests

demo: $(STAMP)
	$(BIN)/larq-bcd demo --output demo-report

bench: $(STAMP)
	$(BIN)/larq-bcd bench --output zoo/benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
