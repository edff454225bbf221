# The README's commands. `make run` serves the API; `make test` runs the whole suite.
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test lint format demo clean

$(BIN)/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn --config config/gunicorn.conf.py --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

demo: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo

# Runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL"; \
		$(BIN)/python -m pytest --database-url "$$TEST_DATABASE_URL"; \
	fi

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
