# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install run run-prod test lint audit format messages check-deploy clean

$(STAMP): requirements.txt scripts/install-system-packages
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	scripts/install-system-packages
	touch $(STAMP)

install: $(STAMP)

## Serve the portal on http://127.0.0.1:8000/ with a Celery worker and beat (Ctrl-C stops all).
run: install
	$(PY) manage.py migrate --noinput
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv -v 0; fi
	$(PY) manage.py load_demo
	$(BIN)/honcho start -f Procfile

## The production stack against this machine's PostgreSQL and Redis: gunicorn on
## http://127.0.0.1:8000/, a Celery worker and one beat (Procfile.prod). See README, "Production".
run-prod: install
	scripts/run-prod

## Run the test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(PY) manage.py makemigrations --check --dry-run --settings=masternet.settings.test
	scripts/check-translations $(PY)
	$(BIN)/bandit -q -r . -x ./.venv,./tests,./benchmarks,./var,./staticfiles
	$(MAKE) --no-print-directory audit

## Known vulnerabilities in the pinned packages (pip-audit asks PyPI's advisory service).
## A package it could not look up is skipped with a loud warning (where only a package
## mirror is reachable, that is every package); PIP_AUDIT_STRICT=1, where the advisory
## service is reachable, turns every skip into a failure. A vulnerability always fails.
audit: install
	@out=$$($(BIN)/pip-audit -r requirements.txt --progress-spinner off 2>&1); rc=$$?; \
	echo "$$out" | grep -v "could not be audited" ; \
	if [ $$rc -ne 0 ]; then echo "pip-audit: vulnerable package(s) pinned"; exit $$rc; fi; \
	skipped=$$(echo "$$out" | grep -c "could not be audited"); \
	if [ $$skipped -gt 0 ]; then \
	  echo "WARNING: pip-audit could not reach PyPI's advisory data for $$skipped package(s);" \
	       "they were NOT audited (set PIP_AUDIT_STRICT=1 to fail on this)."; \
	  if [ "$${PIP_AUDIT_STRICT:-0}" = 1 ]; then exit 1; fi; \
	fi

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat

## Refresh the Indonesian catalogue after changing user-facing strings.
messages: install
	$(PY) manage.py makemessages -l id --ignore=.venv --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
