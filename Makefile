# Podlab developer commands.  A newcomer needs only two:
#
#   make run    set everything up and serve the demo cluster on http://127.0.0.1:8000
#   make test   set everything up and run the tests
#
# Everything runs from .venv/bin/...; there is no need to activate the venv.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements.stamp

PODLAB_PORT ?= 8000
PODLAB_API_PORT ?= 8443
export PODLAB_API_PORT
export PODLAB_PORT

# make test TESTS="tests/store tests/apiserver" PYTEST_ARGS="-x -k watch"
TESTS ?= tests
PYTEST_ARGS ?=
# Test processes (pytest-xdist), each with its own test database and Redis names. Most
# of a stack test's time is spent waiting on the cluster, so two halve the run even on
# two cores. A test file stays in one process: a module's browser is started once, and
# the heavy fault tests never run at the same time as one another. TEST_WORKERS=0: one.
TEST_WORKERS ?= 2

.PHONY: help venv services migrate demo run test lint clean

help:
	@echo "make run     set up, migrate, seed the demo and serve http://127.0.0.1:$(PODLAB_PORT)"
	@echo "make test    set up and run the tests (TESTS=..., PYTEST_ARGS=...)"
	@echo "make lint    ruff, and the import contracts that keep the one rule"
	@echo "make clean   remove var/ (database, secret key, local Redis); keeps .venv"

# --- Python environment -------------------------------------------------------

venv: $(STAMP)

$(VENV_PY):
	@if ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> Installing python3-venv (needed to create .venv)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  else \
	    echo "$(PYTHON) cannot create virtual environments. Install the venv module," >&2; \
	    echo "e.g. 'sudo apt-get install python3-venv', then run make again." >&2; \
	    exit 1; \
	  fi; \
	fi
	@echo "==> Creating $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(STAMP): requirements.txt | $(VENV_PY)
	@echo "==> Installing requirements.txt into $(VENV) (the first time takes a minute)"
	@$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# --- Services: Redis always, PostgreSQL when DATABASE_URL points at it ---------

services: venv
	@bash scripts/ensure-redis.sh
	@case "$${DATABASE_URL:-}" in \
	  postgres*|postgis*|pgsql*) bash scripts/ensure-postgres.sh ;; \
	esac

# --- The app --------------------------------------------------------------------

migrate: services
	@$(VENV_PY) manage.py migrate --noinput

demo: migrate
	@$(VENV_PY) manage.py seed_demo

# Safe to run again: migrate and seed_demo are idempotent and the data in var/
# (or in DATABASE_URL) is kept.  Ctrl-C makes honcho stop web, worker and beat.
run: demo
	@if $(VENV_PY) -c 'import socket, sys; s = socket.socket(); s.settimeout(1); \
	    sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$(PODLAB_PORT)"; then \
	  echo "Port $(PODLAB_PORT) is already in use (is Podlab already running?)." >&2; \
	  echo "Stop it, or pick another port: make run PODLAB_PORT=8001" >&2; \
	  exit 1; \
	fi
	@$(VENV_PY) manage.py api_certificates
	@echo
	@echo "==> Podlab: http://127.0.0.1:$(PODLAB_PORT)   (Ctrl-C stops web, worker and beat)"
	@echo "    kubectl: https://127.0.0.1:$(PODLAB_API_PORT)/clusters/<sandbox>/ (a sandbox's page gives its kubeconfig)"
	@echo
	PYTHONUNBUFFERED=1 $(VENV)/bin/honcho start -f Procfile

test: services
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-firefox.sh
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile $(TESTS) $(PYTEST_ARGS)

# ruff, then the architecture's import contracts (pyproject.toml, [tool.importlinter]).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

# Stops the Redis that scripts/ensure-redis.sh started under var/redis (if any;
# only a process that really is redis-server), then removes var/.
clean:
	@for pidfile in var/redis/*.pid; do \
	  [ -f "$$pidfile" ] || continue; \
	  pid=$$(cat "$$pidfile"); \
	  if [ -n "$$pid" ] && grep -qs redis-server "/proc/$$pid/cmdline"; then \
	    echo "==> Stopping the local Redis (pid $$pid)"; \
	    kill "$$pid"; \
	  fi; \
	done
	rm -rf var
