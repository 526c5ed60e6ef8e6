# Two commands for a newcomer: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
PORT ?= 8000

.PHONY: run test bench install install-test lint messages messages-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: migrate an SQLite file, load the demo data, serve on http://127.0.0.1:8000 with jobs
## (another port: make run PORT=8100).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PORT=$(PORT) scripts/run-dev

## make test: lint (ruff, mypy), migration check, the whole suite (PostgreSQL when DATABASE_URL is set).
test: install-test lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## make bench: speed and memory as ratios against a lower bound measured in the same run.
bench: install
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_reminders.py
	$(BIN)/python scripts/bench_autosave.py
	$(BIN)/python scripts/bench_lists.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make messages: extract strings into the Chinese catalogue and compile it (needs gettext).
messages: install-test
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

## make messages-check: fail when a string in code or templates is missing from the catalogue.
messages-check: install-test
	$(BIN)/python scripts/check-messages

clean:
	rm -rf $(VENV) var staticfiles
