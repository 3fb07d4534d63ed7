# Monev Desa Cantik. `make run` serves the demo; `make test` runs lint and the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test e2e lint format install install-dev messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_reference --if-empty
	$(BIN)/python manage.py load_instruments
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py seed_reports
	$(BIN)/python manage.py runserver $(HOST)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -q

# Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium).
e2e: install-dev
	$(BIN)/pytest -q -m e2e

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Source strings are English; after changing them, update and compile the Indonesian catalogue.
messages: install-dev
	$(BIN)/python manage.py makemessages -l id --no-obsolete --ignore=.venv --ignore=static
	$(BIN)/python manage.py compilemessages -l id --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles
