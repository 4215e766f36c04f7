# shopcrm — `make run` serves the app, `make test` runs the whole suite. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

.PHONY: install messages run test lint format bench clean-data

install: $(STAMP) messages

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $(STAMP)

messages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || { echo "gettext (msgfmt) is needed: apt-get install gettext"; exit 1; }
	msgfmt --check -o $@ $<

run: install
	$(PY) -m shopcrm.dev.run run

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint
	$(PY) -m shopcrm.dev.run exec -- $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m shopcrm.dev.run exec -- $(PY) -m bench $(BENCH_ARGS)

clean-data:
	rm -rf .data
