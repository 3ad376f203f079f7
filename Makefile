# Archipel — the two commands: `make run` serves a node, `make test` passes the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOME_DIR ?= var/node
PORT ?= 8000
# Where the PostgreSQL half of the suite runs; leave empty to skip it (with a clear message).
ARCHIPEL_TEST_POSTGRES_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo postgresql+psycopg://postgres@127.0.0.1:5432/test)
export ARCHIPEL_TEST_POSTGRES_URL

.PHONY: run test check lint types format install dev-install clean demo messages screenshots fuzz
.PHONY: bench bench-quick reliability

$(BIN)/archipel: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/archipel

dev-install: $(VENV)/.dev

run: $(BIN)/archipel
	@if [ ! -f $(HOME_DIR)/settings.toml ]; then \
	  $(BIN)/archipel --home $(HOME_DIR) init --slug bureau --name "Mon bureau" \
	    --territory "" --url http://127.0.0.1:$(PORT); \
	fi
	@echo "Admin credentials: $(HOME_DIR)/admin-credentials.txt (if not yet deleted)"
	@echo "Serving on http://127.0.0.1:$(PORT) — API docs at http://127.0.0.1:$(PORT)/api/docs"
	$(BIN)/archipel --home $(HOME_DIR) serve --host 127.0.0.1 --port $(PORT)

demo: $(BIN)/archipel
	$(BIN)/archipel demo

# Re-extract the pages' strings and merge them into the catalogs (docs/translations.md).
messages: dev-install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o node/web/locale/messages.pot --no-location \
	  --sort-output --project Archipel .
	$(BIN)/pybabel update -i node/web/locale/messages.pot -d node/web/locale --no-fuzzy-matching

screenshots: dev-install
	$(BIN)/python tools/screenshots.py

# The federation engine's line coverage may not fall below this (docs/testing.md): measured
# in the same run as the suite, so CI does not run it twice.
FEDERATION_COVERAGE ?= 94

test: dev-install
	$(BIN)/pytest -q --cov=federation --cov-report=term:skip-covered \
	  --cov-fail-under=$(FEDERATION_COVERAGE)

# Schema fuzzing of the local API with many more cases than the test suite runs.
fuzz: dev-install
	ARCHIPEL_FUZZ_EXAMPLES=200 $(BIN)/pytest -q tests/node/test_api_fuzz.py

# The standing adversarial suite in full (docs/reliability.md): 50 kill -9 cycles during sync
# on SQLite and PostgreSQL, 50 rounds on a really full disk (a tmpfs: root only, else skipped),
# more fuzzing cases; figures printed and written to var/reliability/results.json.
RELIABILITY_TESTS := tests/e2e tests/node/test_api_fuzz.py tests/node/test_logins.py \
  tests/node/test_storage_faults.py tests/node/test_backup.py tests/federation/test_slow_peers.py \
  tests/federation/test_apply_faults.py tests/federation/test_sync_robustness.py \
  tests/federation/test_hostile_bodies.py \
  tests/federation/test_server.py tests/federation/test_relay.py tests/federation/test_keys.py \
  tests/federation/test_bodies.py
reliability: dev-install
	ARCHIPEL_RELIABILITY_CYCLES=$${ARCHIPEL_RELIABILITY_CYCLES:-50} \
	  ARCHIPEL_FUZZ_EXAMPLES=$${ARCHIPEL_FUZZ_EXAMPLES:-50} \
	  ARCHIPEL_RELIABILITY_RESULTS=var/reliability/results.json \
	  PYTHONPATH=. $(BIN)/pytest -q -p tests.reliability $(RELIABILITY_TESTS)

lint: dev-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: dev-install
	$(BIN)/mypy

format: dev-install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint types test

# Benchmarks (docs/performance.md): real nodes on loopback; PostgreSQL too when configured.
bench: $(BIN)/archipel
	$(BIN)/python -m bench.run

bench-quick: $(BIN)/archipel
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
