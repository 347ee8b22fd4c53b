# One command each: `make report` builds the pack on the demo data, `make test` passes the tests.
# Both create the virtual environment from the project's own files on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
UV     := uv==0.13.9
# when this make started: `make report` prints its own time, set-up included
STARTED := $(shell date +%s)

.PHONY: venv report test lint format bench clean system-deps lab lock

DEMO_STORE := data/demo.duckdb

# The monthly job on the demo data: generate and load the SYNTHETIC county, build the latest
# month's offline HTML pack (the authority and its four areas) and a CSV of every scorecard.
report: $(STAMP)
	rm -f $(DEMO_STORE)
	$(BIN)/cscw demo --ingest --store $(DEMO_STORE)
	mkdir -p outputs
	$(BIN)/cscw scorecard --month latest --org-unit all --store $(DEMO_STORE) --format csv > outputs/scorecard_SYNTHETIC_demo.csv
	$(BIN)/cscw run --month latest --org-units Northmoor "North Northmoor" "South Northmoor" "East Northmoor" "West Northmoor" --store $(DEMO_STORE)
	@echo "Open outputs/<month>/index.html (SYNTHETIC demo data); every scorecard: outputs/scorecard_SYNTHETIC_demo.csv"
	@echo "make report took $$(( $$(date +%s) - $(STARTED) )) s, set-up included"

# JupyterLab on the project's environment (its kernel, ipywidgets), opened on the notebooks:
# the explorer (notebooks/explorer.ipynb) and the pack's notebooks. Load the demo first
# (`make report`, or `.venv/bin/cscw demo --ingest --store data/demo.duckdb`). It works offline:
# the charts' scripts ship with the project, and the server fetches no news, update checks or
# extension listings (tests/integration/test_jupyterlab.py starts it the same way).
lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab explorer.ipynb --LabApp.news_url=None \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate --LabApp.extension_manager=readonly \
		$(if $(filter 0,$(shell id -u)),--allow-root,)

# Debian's chromium, for the browser tests (idempotent; needs root, as CI is).
system-deps:
	bash scripts/install_system_deps.sh

# The versions in uv.lock, the ones the tests passed with (`make lock` after changing pyproject.toml).
$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(UV)"
	$(BIN)/uv sync --frozen --inexact --extra dev --python $(BIN)/python --quiet
	touch $(STAMP)

lock: $(STAMP)
	$(BIN)/uv lock

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench scripts
	$(BIN)/ruff format --check lib tests bench scripts

test: lint system-deps
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format lib tests bench scripts
	$(BIN)/ruff check --fix lib tests bench scripts

bench: $(STAMP)
	$(BIN)/python bench/scorecard_speed.py
	$(BIN)/python bench/demo_ingest.py
	$(BIN)/python bench/pack_speed.py
	$(BIN)/python bench/page_weight.py
	$(BIN)/python bench/annex_a_read.py
	$(BIN)/python bench/analyst_speed.py
	$(BIN)/python bench/region_scale.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
