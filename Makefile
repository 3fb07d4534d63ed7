# Monev Desa Cantik. `make run` serves the demo; `make test` runs lint and the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test e2e lint format install install-dev messages clean bench load api-fuzz cluster

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
	$(BIN)/python manage.py runserver $(HOST)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -q

# Browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium).
e2e: install-dev
	mkdir -p var
	SQLITE_TEST_NAME=var/test-e2e.sqlite3 $(BIN)/pytest -q -m e2e

# Schemathesis against the OpenAPI document of a live gunicorn on a free loopback port, with
# demo data and two tokens; bounded by FUZZ_SECONDS per token (scripts/api-fuzz).
api-fuzz: install
	scripts/api-fuzz

# A production-like deployment on loopback (PostgreSQL, moto S3, Redis, two gunicorn servers,
# nginx in front), driven through the load balancer, then one app server stopped and driven
# again (scripts/cluster; docs/deploy.md is written from it). About a minute.
cluster: install-dev
	scripts/cluster

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Source strings are English; after changing them, update and compile the Indonesian catalogue.
messages: install-dev
	$(BIN)/python manage.py makemessages -l id --no-obsolete --no-location --ignore=.venv --ignore=static
	$(BIN)/python manage.py compilemessages -l id --ignore=.venv

# Performance budget (DESIGN.md, docs/performance.md): on SQLite, then PostgreSQL, seed the
# national-scale data set once per bench database (seed_scale --if-empty) and measure. Every
# command gets the bench DATABASE_URL, so the dev database var/monev.sqlite3 is never touched.
# To seed again, delete var/bench.sqlite3 or drop the monev_bench database.
BENCH_SQLITE := sqlite:///var/bench.sqlite3
BENCH_PG_SERVER ?= postgres://postgres@127.0.0.1:5432
BENCH_PG_NAME ?= monev_bench
BENCH_POSTGRES := $(BENCH_PG_SERVER)/$(BENCH_PG_NAME)

bench: install
	mkdir -p var
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/python manage.py seed_scale --if-empty
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/python manage.py bench --markdown var/bench-sqlite.md
	psql "$(BENCH_PG_SERVER)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_PG_NAME)'" \
		| grep -q 1 || psql "$(BENCH_PG_SERVER)/postgres" -c 'CREATE DATABASE $(BENCH_PG_NAME)'
	DATABASE_URL=$(BENCH_POSTGRES) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_POSTGRES) $(BIN)/python manage.py seed_scale --if-empty
	DATABASE_URL=$(BENCH_POSTGRES) $(BIN)/python manage.py bench --markdown var/bench-postgresql.md
	@printf '\n== SQLite ==\n'; cat var/bench-sqlite.md
	@printf '\n== PostgreSQL ==\n'; cat var/bench-postgresql.md

# The pages under a real server: gunicorn on a free loopback port against the bench databases
# (SQLite, then PostgreSQL; seeded as make bench does), driven by wrk: req/s, p50, p99 per page
# and the ratio to a trivial page, then a mixed load of 50 connections for 60 s with writes
# (scripts/load; docs/performance.md). About 4 minutes once seeded. A measurement: not in CI.
load: install
	scripts/load

clean:
	rm -rf $(VENV) .venv-fuzz staticfiles
