# Pembina: two commands do all set-up.
#   make run   - create .venv, install, migrate, import courses/ and courses/surveys/, seed demo data, serve http://127.0.0.1:5000
#   make test  - create .venv, install with test extras, run every test (browser ones too)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test translations translations-update browser clean help

help:
	@echo "make run    - install, migrate, seed the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install with test extras and run the whole test suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,prod]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

translations: | $(BIN)/python
	$(BIN)/python -m lms.translations_build

translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o messages.pot --no-location lms templates
	$(BIN)/pybabel update -i messages.pot -d lms/translations --no-fuzzy-matching
	$(BIN)/python -m lms.translations_build

browser:
	@bash scripts/ensure-chromium.sh

run: install
	$(BIN)/lms db upgrade
	$(BIN)/lms courses import courses
	$(BIN)/lms needs surveys import courses/surveys
	$(BIN)/lms demo
	@echo ""
	@echo "Pembina is starting on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	$(BIN)/lms run --host $(HOST) --port $(PORT)

test: install-test browser
	$(BIN)/ruff check lms tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
