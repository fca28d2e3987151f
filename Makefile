# fundmgr: every step from a fresh clone, with nothing for a person to do.
#   make demo   set up everything, load the demo, serve http://127.0.0.1:8000
#   make test   set up everything and run the whole test suite (PostgreSQL and browser included)
#   make serve  gunicorn and the background worker on the configured database (docs/operating.md)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# python3.11 if there is one, else python3. `make venv PYTHON=python3.12` picks another.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null || echo python3)
VENV := .venv
VENV_STAMP := $(VENV)/.fundmgr-installed
SCSS := $(shell find fundmgr/static/scss -name '*.scss' 2>/dev/null)
CSS := fundmgr/static/css/fundmgr.css
ASSETS_STAMP := fundmgr/static/govuk/.fundmgr-built
NODE_STAMP := node_modules/.fundmgr-installed
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
# One test process per core; each file's tests stay together (class-wide fixtures load once).
PYTEST_WORKERS ?= auto
# make serve's port, on 127.0.0.1.
PORT ?= 8000

# $(call apt_install,PACKAGES,WHY): Debian packages, as root or through sudo, or a clear stop.
define apt_install
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	else echo "$(2): run as root or install sudo, or install $(1) yourself." >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "$(2): no apt-get here; install $(1) with this system's package manager." >&2; \
		exit 1; fi; \
	echo "Installing Debian packages: $(1)"; \
	$$sudo apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(1)
endef

.PHONY: help demo serve test quick venv assets fonts browser postgres-binaries lint format constraints clean distclean

help:
	@echo "make demo                set up everything, load the demo, serve http://127.0.0.1:8000"
	@echo "make serve PORT=8000     gunicorn and the background worker on 127.0.0.1:PORT, against"
	@echo "                         DATABASE_URL (else the demo's SQLite); migrates first"
	@echo "make test                set up everything and run the whole test suite"
	@echo "                         (PostgreSQL and browser included; PYTEST_ARGS='-k ledger' to pick)"
	@echo "make quick APP=budgets   one app's tests (tests/APP/) in seconds: SQLite, tables made from"
	@echo "                         the models, no browser, PostgreSQL or slow tests (SLOW=1 keeps"
	@echo "                         them; PYTEST_ARGS='-k name' picks)"
	@echo "make load                the load benchmark: 50 people for 5 minutes on gunicorn + PostgreSQL"
	@echo "make venv                .venv with the project and its test dependencies"
	@echo "make assets              npm packages, compiled CSS, GOV.UK Frontend JS and images"
	@echo "make browser             Debian's chromium for the browser tests (apt-get when missing)"
	@echo "make postgres-binaries   Debian's postgresql for the test server (apt-get when missing)"
	@echo "make lint                ruff check, ruff format --check and lint-imports (the layers)"
	@echo "make format              ruff format and ruff check --fix"
	@echo "make constraints         record .venv's versions in constraints.txt (after a green make test)"
	@echo "make clean               remove build outputs, node_modules and caches"
	@echo "make distclean           clean, and remove .venv and the demo database"

# $(call with_worker,COMMAND): the background worker (documents, e-mails: FUNDMGR_TASKS=database)
# beside COMMAND, the app server, both in the background of one bash. Ctrl-C, or SIGTERM to make,
# stops both; so does either ending alone (the other is stopped): nothing is left running.
define with_worker
	$(VENV)/bin/python manage.py worker & worker=$$!; \
	$(1) & app=$$!; \
	stop() { kill -TERM $$app 2>/dev/null || true; wait $$app 2>/dev/null || true; \
		kill -TERM $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true; }; \
	trap 'stop; exit 143' TERM; trap 'stop; exit 130' INT; trap 'stop; exit 129' HUP; \
	status=0; wait -n $$app $$worker || status=$$?; stop; exit $$status
endef

demo: venv assets fonts
	env -u DATABASE_URL $(VENV)/bin/python manage.py migrate --noinput
	env -u DATABASE_URL $(VENV)/bin/python manage.py loaddemo
	@unset DATABASE_URL; \
	$(call with_worker,$(VENV)/bin/python manage.py runserver 127.0.0.1:8000)

# Production's app server (deploy/gunicorn.conf.py) and the worker on this machine, against
# DATABASE_URL when it is set, else the demo's SQLite database.
serve: venv assets fonts
	$(VENV)/bin/python manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/python manage.py migrate --noinput
	@echo "Serving http://127.0.0.1:$(PORT)/ with gunicorn and the background worker," \
		"database $$(if [ -n "$${DATABASE_URL:-}" ]; then echo "$${DATABASE_URL%%://*}://..."; else echo "db.sqlite3"; fi)." \
		"Ctrl-C stops both."
	@$(call with_worker,$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT))

test: venv assets fonts browser postgres-binaries
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	env -u DATABASE_URL CHROMIUM=$(CHROMIUM) \
		$(VENV)/bin/python tests/with_postgres.py -- $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The inner loop: the tests of one directory under tests/ (an app's units, or api, pages...), on
# SQLite in memory with the tables made straight from the models (--nomigrations: the tests make
# the roles the data migrations would), without the browser, PostgreSQL, schemathesis or the
# tests marked slow (SLOW=1 keeps those), in one process: on one directory two workers (-n 2)
# saved at most a few seconds, and lost as many on small ones or a busy machine. `make test` is
# the whole truth.
QUICK_DIRS := $(filter-out browser postgres,\
	$(sort $(notdir $(patsubst %/,%,$(dir $(wildcard tests/*/__init__.py))))))
QUICK_MARKERS := not browser and not postgres$(if $(SLOW),, and not slow)

quick: venv
	@if [ -z "$(filter $(QUICK_DIRS),$(APP))" ] || [ "$(words $(APP))" != 1 ]; then \
		echo "usage: make quick APP=<one of: $(QUICK_DIRS)> [SLOW=1] [PYTEST_ARGS='-k name']" >&2; \
		echo "       runs tests/APP/ without browser, PostgreSQL or slow tests; make test runs all." >&2; \
		exit 2; fi
	env -u DATABASE_URL $(VENV)/bin/pytest -p no:xdist -p no:schemathesis -p no:playwright \
		--nomigrations -q -m "$(QUICK_MARKERS)" \
		--ignore=tests/api/test_schemathesis.py tests/$(APP) $(PYTEST_ARGS)

# --- set-up steps: each does its work once, and again when its inputs change -----------------

venv: $(VENV_STAMP)

# The project with its test extra and the optional `load` (locust), `rq` (django-tasks-rq) and
# `hordak` (django-hordak) extras: the suite runs the load benchmark's quick run, checks the RQ
# worker's command and runs `benchmark ledger --compare-hordak` once on its PostgreSQL server.
$(VENV_STAMP): pyproject.toml constraints.txt
	@if [ ! -x $(VENV)/bin/python ]; then \
		echo "Creating $(VENV) with $(PYTHON)"; \
		if ! $(PYTHON) -m venv $(VENV); then \
			rm -rf $(VENV); \
			$(call apt_install,python3-venv,venv); \
			$(PYTHON) -m venv $(VENV); \
		fi; \
	fi
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e '.[test,load,rq,hordak]'
	touch $@

# npm packages: for the build, and for the browser tests (axe-core).
$(NODE_STAMP): package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null 2>&1 || { echo "assets: Node.js 18+ with npm is needed." >&2; exit 1; }
	if [ -f package-lock.json ]; then \
		npm ci --ignore-scripts --no-audit --no-fund; \
	else \
		npm install --ignore-scripts --no-audit --no-fund; \
	fi
	touch $@

# The build's stamp lives in an output directory, so deleting the outputs rebuilds them; so does
# a missing CSS file.
$(ASSETS_STAMP): $(NODE_STAMP) $(SCSS)
	npm run build
	touch $@

assets:
	@if [ ! -f $(CSS) ]; then rm -f $(ASSETS_STAMP); fi
	@$(MAKE) --no-print-directory $(NODE_STAMP) $(ASSETS_STAMP)

browser:
	@if [ -x "$(CHROMIUM)" ]; then \
		echo "Chromium: $(CHROMIUM)"; \
	else \
		$(call apt_install,chromium fonts-liberation,browser); \
	fi

# Liberation Sans (Arial's metrics) is embedded in every PDF the council sends.
fonts:
	@if ls /usr/share/fonts/truetype/liberation*/LiberationSans-Regular.ttf >/dev/null 2>&1; then \
		echo "Fonts: Liberation Sans"; \
	else \
		$(call apt_install,fonts-liberation,fonts); \
	fi

postgres-binaries:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then \
		echo "PostgreSQL: $$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || command -v initdb)"; \
	else \
		$(call apt_install,postgresql,postgres-binaries); \
	fi

# --- conveniences -------------------------------------------------------------------------------

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# After upgrading a package in .venv and a green make test: record the versions that passed.
constraints: venv
	{ sed -n '/^#/p' constraints.txt; $(VENV)/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf node_modules fundmgr/static/css fundmgr/static/govuk staticfiles test-artifacts \
		.pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) db.sqlite3 *.egg-info

# --- the load benchmark -------------------------------------------------------------------------
# 50 simulated people for 5 minutes (locust, the optional extra [load]) against gunicorn and the
# worker on a throwaway PostgreSQL server that syncs to disk; prints req/s, p50/p95/p99 and errors
# per page against the target (devtools/benchmarks/load.py). Never the configured database.
# Options: make load LOAD_ARGS='--users 20 --minutes 1' (--spawn-rate, --workers, --keep).
.PHONY: load
load: venv postgres-binaries
	@$(VENV)/bin/python -c 'import locust' 2>/dev/null || \
		$(VENV)/bin/python -m pip install -q -c constraints.txt -e '.[test,load]'
	env -u DATABASE_URL $(VENV)/bin/python manage.py benchmark load $(LOAD_ARGS)
