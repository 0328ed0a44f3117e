# meded: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: native demo test test-sqlite test-postgres lint format bench bench-pages bench-demo bench-blocks bench-mss bench-mss-large bench-mss-am bench-curtois bench-rosters serve worker clean venv

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

# The local search compiled by mypyc (a dev tool) from its own source into var/native: about
# twice as many moves a second. Skipped when current; on failure everything runs as plain
# Python (meded/engine/native.py), so it never fails the build.
native: $(VENV)/.stamp-dev
	-$(BIN)/python -m meded.engine.native

venv: $(VENV)/.stamp-dev
	@$(MAKE) --no-print-directory native

demo: $(VENV)/.stamp-run
	$(BIN)/meded demo

# Development server and worker (DEBUG on unless MEDED_DEBUG says otherwise); in production
# run `meded serve --production` and `meded worker` with the production environment.
serve: $(VENV)/.stamp-run
	MEDED_DEBUG=$${MEDED_DEBUG:-1} $(BIN)/meded serve

worker: $(VENV)/.stamp-run
	MEDED_DEBUG=$${MEDED_DEBUG:-1} $(BIN)/meded worker

test: $(VENV)/.stamp-dev native
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy meded benchmarks
	$(BIN)/mypy --strict meded/engine $(wildcard meded/*/actions.py)
	$(BIN)/lint-imports

format: $(VENV)/.stamp-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark (about 2.5 hours on 2 cores); each part also runs alone. Results and the
# commands behind the figures in benchmarks/README.md. BENCH_SECONDS shortens the solver runs.
BENCH_SECONDS ?= 60
BENCH_LARGE_SECONDS ?= 600
BENCH_OUT ?= var/bench
# The shared benchmark data: ../shared/benchdata beside the repository, or MEDED_BENCHDATA
# (also what the benchmark scripts and tests read: benchmarks/data.py).
REPO_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BENCHDATA ?= $(or $(MEDED_BENCHDATA),$(abspath $(REPO_DIR)/../shared/benchdata))
export MEDED_BENCHDATA := $(BENCHDATA)
MSS ?= $(BENCHDATA)/mss
CURTOIS ?= $(BENCHDATA)/curtois_nrp

bench: bench-pages bench-demo bench-blocks bench-mss bench-mss-large bench-curtois bench-rosters

bench-pages: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/list_pages.py

# the demo's rotation year through the product's own solve job, its own 30 s, three runs
bench-demo: $(VENV)/.stamp-dev native
	$(BIN)/python benchmarks/demo_year.py --time-limit 30 --runs 3 --json

bench-blocks: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/blocks_sweep.py --sizes 50 100 190 200 400 --seeds 1 2 3 \
		--time-limit $(BENCH_SECONDS) --workers 2 --out $(BENCH_OUT)/blocks --fresh

bench-mss: $(VENV)/.stamp-dev native
	$(BIN)/python benchmarks/mss.py $(wildcard $(MSS)/zanazzo_generated/I40_*.dzn) \
		$(wildcard $(MSS)/zanazzo_generated/I80_*.dzn) \
		--time-limit $(BENCH_SECONDS) --workers 2 --out $(BENCH_OUT)/mss

# the 160-student instances, whose bar is 10 minutes each
bench-mss-large: $(VENV)/.stamp-dev native
	$(BIN)/python benchmarks/mss.py $(wildcard $(MSS)/zanazzo_generated/I160_*.dzn) \
		--time-limit $(BENCH_LARGE_SECONDS) --workers 2 --out $(BENCH_OUT)/mss-large

# the 100 Akbarzadeh & Maenhout instances (no published values to compare with: feasibility
# and objective; about 20 minutes at 10 s, the largest five need about 35 s for a first schedule)
BENCH_AM_SECONDS ?= 10
bench-mss-am: $(VENV)/.stamp-dev native
	$(BIN)/python benchmarks/mss.py $(sort $(wildcard $(MSS)/akbarzadeh_maenhout/Instance_*.dzn)) \
		--time-limit $(BENCH_AM_SECONDS) --workers 2 --out $(BENCH_OUT)/mss-am

bench-curtois: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/curtois.py $(sort $(wildcard $(CURTOIS)/Instance*.txt)) \
		--time-limit $(BENCH_SECONDS) --workers 2 --out $(BENCH_OUT)/curtois

# a seeded residency roster of the product's shape (benchmarks/roster_gen.py): 120 residents,
# 13 of the demo's two-week blocks, through the product's entry point
BENCH_ROSTER_SECONDS ?= 120
bench-rosters: $(VENV)/.stamp-dev
	$(BIN)/python benchmarks/rosters.py --residents 120 --blocks 13 \
		--time-limit $(BENCH_ROSTER_SECONDS) --workers 2 --json

clean:
	rm -rf $(VENV) var/*.sqlite3* var/native
