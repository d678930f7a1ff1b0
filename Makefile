# The two README commands: `make run` (the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DNS_PORT ?= 5354
DEMO_ADDRPORT ?= 127.0.0.1:8000

.PHONY: setup run test check migrate clean bench messages

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The compiled translation catalogues (issue 23): built from the committed .po files by GNU gettext's
# msgfmt (Debian package gettext), never committed, so they cannot go stale; --check refuses a broken one.
MO := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
%.mo: %.po
	msgfmt --check -o $@ $<
messages: $(MO)

# Shared first step: virtualenv, packages, compiled catalogues, migrated default database.
setup: $(STAMP) messages
	mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput

# The demo on the embedded defaults: SQLite, in-process tasks, the project's own loopback DNS.
run: setup
	DEBUG=1 $(PY) manage.py demo --dns-port $(DEMO_DNS_PORT) --addrport $(DEMO_ADDRPORT)

test: $(STAMP) messages
	mkdir -p var
	$(PY) -m pytest $(PYTEST_ARGS)

check: setup
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

bench: setup
	@cat bench/README.md

clean:
	rm -rf $(VENV) var
