# The two commands of the README: `make serve` and `make test`. Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint bench clean

$(BIN)/relaydesk: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build first (see pyproject's dense extra)
	$(BIN)/pip install --quiet -e '.[dev,dense,llm]'
	touch $@

serve: $(BIN)/relaydesk
	$(BIN)/relaydesk serve --demo

lint: $(BIN)/relaydesk
	$(BIN)/ruff check relaydesk tests bench
	$(BIN)/ruff format --check relaydesk tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(BIN)/relaydesk
	$(BIN)/python bench/message_path.py --write-docs

clean:
	rm -rf $(VENV) relaydesk.db relaydesk.db-wal relaydesk.db-shm
