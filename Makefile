# The README's commands. `make run` serves the API; `make test` runs the whole suite.
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run serve test typescript fuzz bench record i18n-extract lint format demo openapi screenshot bench-listing bench-breakdown lock upgrade lock-check clean

$(BIN)/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-r requirements.txt -r requirements-dev.txt
	touch $(VENV)/.installed $@

# Message catalogs: the .po sources are committed, the .mo files are built here (git ignores them).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard cashman/translations/*/LC_MESSAGES/messages.po))
%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: $(VENV)/.installed $(CATALOGS)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn --config config/gunicorn.conf.py --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

# Production settings as they are (workers from the core count) on 127.0.0.1:$(PORT).
serve: $(VENV)/.installed $(CATALOGS)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn --config config/gunicorn.conf.py --bind 127.0.0.1:$(PORT) wsgi:app

demo: $(VENV)/.installed $(CATALOGS)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo

# Refreshes the message template from the code and merges it into each catalog; a test fails
# until every new message is translated.
i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -k _l --no-location --sort-output --omit-header \
		-o cashman/translations/messages.pot cashman
	$(BIN)/pybabel update -i cashman/translations/messages.pot -d cashman/translations \
		--width 100 --ignore-obsolete --no-fuzzy-matching

# Regenerates the committed OpenAPI document from the code (a test fails when it is stale).
openapi: $(VENV)/.installed
	$(BIN)/flask --app wsgi openapi > docs/openapi.json

# Retakes docs/img/swagger.png with the browser test (needs Debian's chromium).
screenshot: $(VENV)/.dev-installed $(CATALOGS)
	SWAGGER_SCREENSHOT=docs/img/swagger.png $(BIN)/python -m pytest -q tests/test_browser.py

# Runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
# openapi-typescript and tsc, pinned in tests/typescript's lock file, for the test that compiles
# the README's requests against types generated from the document (skipped without them).
typescript: tests/typescript/node_modules/.package-lock.json
tests/typescript/node_modules/.package-lock.json: tests/typescript/package-lock.json
	npm ci --prefix tests/typescript --no-audit --no-fund

test: $(VENV)/.dev-installed $(CATALOGS)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory typescript; fi
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest --database-url "$$TEST_DATABASE_URL"; \
	fi

# Cashman against the ceiling app under wrk (installed with apt-get when missing), then sync for a
# user owning 100,000 rows (GET /sync pages, POST /sync batches), then a month's budget and
# 10,000-row imports, on SQLite and, when
# TEST_DATABASE_URL is set, on that PostgreSQL (it empties it). Not part of `make test`.
bench: $(VENV)/.dev-installed $(CATALOGS)
	$(BIN)/python tests/perf/bench.py
	PYTHONPATH=. $(BIN)/python tests/perf/bench_sync.py
	PYTHONPATH=. $(BIN)/python tests/perf/bench_plans.py
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		$(BIN)/python tests/perf/bench.py --database-url "$$TEST_DATABASE_URL"; \
		PYTHONPATH=. $(BIN)/python tests/perf/bench_sync.py --database-url "$$TEST_DATABASE_URL"; \
		PYTHONPATH=. $(BIN)/python tests/perf/bench_plans.py --database-url "$$TEST_DATABASE_URL"; \
	fi

# Every route's answers to a fixed script of requests, normalised (ids, times, tokens), into OUT:
# on a temporary SQLite file, or on DATABASE_URL, which it empties. Compare two recordings with
# `PYTHONPATH=. $(BIN)/python tests/perf/record.py --compare BEFORE AFTER`.
record: $(VENV)/.installed $(CATALOGS)
	@test -n "$(OUT)" || { echo "usage: make record OUT=FILE [DATABASE_URL=postgresql+psycopg://...]"; exit 2; }
	PYTHONPATH=. $(BIN)/python tests/perf/record.py $(if $(DATABASE_URL),--database-url "$(DATABASE_URL)") --out "$(OUT)"

# Where the microseconds of one list, create and balance request go (in-process, no HTTP).
bench-breakdown: $(VENV)/.dev-installed $(CATALOGS)
	PYTHONPATH=. $(BIN)/python tests/perf/breakdown.py $(if $(DATABASE_URL),--database-url "$(DATABASE_URL)")

# Prints first-page, deep-page, /balance, recent /sync and month-budget latency for 100 vs
# 100,000 rows. It empties the database it is given: the default is a temporary SQLite file;
# e.g. DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
bench-listing: $(VENV)/.dev-installed
	PYTHONPATH=. $(BIN)/python tests/perf/bench_listing.py $(if $(DATABASE_URL),--database-url "$(DATABASE_URL)")

# schemathesis against the real server (boot.sh, gunicorn) on 127.0.0.1 with a user's token.
# FUZZ_DATABASE_URL=postgresql+psycopg://... fuzzes on PostgreSQL (it writes to that database).
FUZZ_EXAMPLES ?= 100
fuzz: $(VENV)/.dev-installed $(CATALOGS)
	$(BIN)/python tests/fuzz/run.py --max-examples $(FUZZ_EXAMPLES) $(if $(FUZZ_DATABASE_URL),--database-url "$(FUZZ_DATABASE_URL)")

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/hadolint Dockerfile

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The pins: requirements*.in list the direct dependencies, pip-compile (settings in pyproject.toml)
# writes every package they need, exactly pinned, to requirements*.txt. After editing a .in file,
# `make lock` (the other pins stay as they are); `make upgrade` moves every pin to the newest
# release the .in files allow, `make upgrade PACKAGE=flask` only that one. `make lock-check`
# compiles afresh into a temporary folder and fails if the committed pins differ (it asks the
# package index; tests/test_requirements.py checks the same offline in `make test`).
.PHONY: lock upgrade lock-check
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(abspath $(BIN))/pip-compile --quiet
UPGRADE = $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)
LOCK_CHECK := $(or $(TMPDIR),/tmp)/cashman-lock-check
lock: $(VENV)/.dev-installed
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

upgrade: $(VENV)/.dev-installed
	$(PIP_COMPILE) $(UPGRADE) -o requirements.txt requirements.in
	$(PIP_COMPILE) $(UPGRADE) -o requirements-dev.txt requirements-dev.in

lock-check: $(VENV)/.dev-installed
	rm -rf $(LOCK_CHECK) && mkdir -p $(LOCK_CHECK)
	cp pyproject.toml requirements*.in requirements*.txt $(LOCK_CHECK)/
	cd $(LOCK_CHECK) && $(PIP_COMPILE) -o requirements.txt requirements.in \
		&& $(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in
	diff -u requirements.txt $(LOCK_CHECK)/requirements.txt
	diff -u requirements-dev.txt $(LOCK_CHECK)/requirements-dev.txt
	rm -rf $(LOCK_CHECK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/typescript/node_modules
