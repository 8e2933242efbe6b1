# govstats: `make build` builds everything (environment, data/processed, notebooks, figures); `make test` tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: build test data notebooks lab fonts lint clean

build: data notebooks

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

fonts:
	bash scripts/ensure_cjk_font.sh

data: $(STAMP)
	$(BIN)/govstats build

notebooks: data fonts
	$(BIN)/govstats notebooks run

# JupyterLab on the curated notebooks, with the project's environment as kernel (paths resolve from the root).
lab: $(STAMP) fonts
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: $(STAMP) fonts
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check govstats tests scripts benchmarks
	$(BIN)/ruff format --check govstats tests scripts benchmarks

clean:
	rm -rf $(VENV) data/processed/*.parquet data/processed/*.csv data/processed/*.txt reports
