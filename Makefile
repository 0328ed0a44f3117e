# meded: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: demo test test-sqlite test-postgres lint format bench serve worker clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies only (what `make demo` needs).
$(VENV)/.stamp-run: requirements.txt pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

# Runtime plus test and lint tools.
$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt pyproject.toml $(VENV)/.stamp-run
	$(PIP) install -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp-dev

demo: $(VENV)/.stamp-run
	$(BIN)/meded demo

serve: $(VENV)/.stamp-run
	$(BIN)/meded serve

worker: $(VENV)/.stamp-run
	$(BIN)/meded worker

test: $(VENV)/.stamp-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy meded benchmarks
	$(BIN)/lint-imports

format: $(VENV)/.stamp-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/list_pages.py

clean:
	rm -rf $(VENV) var/*.sqlite3*
