# Convenience targets over a local .venv; the README's two commands do the same without make.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install repro data test lint bench clean

$(BIN)/seqbench: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev]"

install: $(BIN)/seqbench

data: install  ## restore data/raw: dvc pull where a remote is configured, else rebuild it
	if [ -n "$$($(BIN)/dvc remote list)" ]; then $(BIN)/dvc pull; else $(BIN)/seqbench fetch; fi

repro: data
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: data
	$(BIN)/python benchmarks/data_loading.py

clean:
	rm -rf $(VENV) data/raw reports runs outputs multirun
