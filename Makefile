# One command each: `make report` builds the pack on the demo data, `make test` passes the tests.
# Both create the virtual environment from the project's own files on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench
	$(BIN)/ruff format --check lib tests bench

test: lint
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format lib tests bench
	$(BIN)/ruff check --fix lib tests bench

bench: $(STAMP)
	$(BIN)/python bench/scorecard_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
