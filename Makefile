# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
LINTED := lms tests bench migrations wsgi.py gunicorn.conf.py

.PHONY: run serve setup bytecode test test-postgres lint fmt translations compile-translations bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

compile-translations: $(VENV)/.installed
	$(FLASK) translate compile

# Byte-compile the app once, so that no process compiles it when it starts (Python does not
# write .pyc files where PYTHONDONTWRITEBYTECODE is set, a read-only checkout among them).
bytecode: $(VENV)/.installed
	$(PY) -m compileall -q lms wsgi.py

# Migrate, load the toolkit, seed demo accounts on an empty database, print them.
setup: compile-translations bytecode
	$(FLASK) db upgrade
	$(FLASK) content check
	$(FLASK) content sync
	$(FLASK) demo seed --if-empty

run: setup serve

# The jobs worker (certificate ZIPs, imports, exports) runs beside gunicorn and stops with it;
# gunicorn also reads gunicorn.conf.py (a worker grown by a report hands over to a fresh one).
serve:
	@echo "Serving on http://$(HOST):$(PORT), with the jobs worker  (Ctrl+C to stop)"
	$(FLASK) jobs worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(VENV)/bin/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --preload \
		--max-requests 2000 --max-requests-jitter 200 \
		--access-logfile - wsgi:app

test: $(VENV)/.test-installed compile-translations
	$(PY) -m pytest

test-postgres: $(VENV)/.test-installed compile-translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(PY) -m pytest

# Errors and style (ruff check), layout (ruff format), then the direction of imports
# (import-linter, see pyproject.toml).
lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/lint-imports

# Fix what can be fixed automatically (import order, modern syntax, unused imports), then format.
fmt: $(VENV)/.test-installed
	$(VENV)/bin/ruff check --fix $(LINTED)
	$(VENV)/bin/ruff format $(LINTED)

# Extract UI strings, merge them into the catalogues, compile.
translations: $(VENV)/.installed
	$(FLASK) translate extract
	$(FLASK) translate update
	$(FLASK) translate compile

bench: $(VENV)/.test-installed compile-translations bytecode
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
