# Pembina: two commands do all set-up.
#   make run   - create .venv, install, migrate, import courses/ and courses/surveys/, seed demo data, serve http://127.0.0.1:5000
#   make test  - create .venv, install with test extras, run every test (browser ones too)
#   make bench - the load test at scale (docs/performance.md); BENCH_DB=postgres, BENCH_SCALE=N,
#                BENCH_SERVERS=2 (two gunicorn servers behind nginx on one port)
#   make bench-curve - dashboard and quiz submit at ~10k, 100k and 1M quiz attempts (same organisation)
#   make faults - worker and server kills, a PostgreSQL restart, backup, a full disk, an import, under load
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# setuptools prints an "Editable installation" notice as a warning on every install; it is
# information, not a problem, so `make` keeps it off the screen.
PIP_QUIET := PYTHONWARNINGS=ignore::UserWarning
BENCH_SCALE ?= 5000
BENCH_DB ?= sqlite
BENCH_SERVERS ?= 1
BENCH_PROXY ?= 0
# nginx only when the run puts it in front (BENCH_SERVERS above 1, or BENCH_PROXY=1)
BENCH_NEEDS := $(if $(filter-out 1,$(BENCH_SERVERS))$(filter-out 0,$(BENCH_PROXY)),nginx)

.PHONY: run test bench bench-curve faults install install-test install-prod translations assets translations-update browser wrk nginx clean help

help:
	@echo "make run    - install, migrate, seed the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install with test extras and run the whole test suite"
	@echo "make bench  - load test on $(BENCH_SCALE) synthetic librarians ($(BENCH_DB)); writes bench/results.json"
	@echo "make bench BENCH_SERVERS=2 - the same on two gunicorn servers behind nginx; writes bench/results-2servers.json"
	@echo "make bench-curve - dashboard and quiz submit at ~10k, 100k and 1M attempts; writes bench/curve.json"
	@echo "make faults - faults under load on SQLite and PostgreSQL (docs/reliability.md); writes bench/faults.json"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(PIP_QUIET) $(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(PIP_QUIET) $(BIN)/pip install --quiet -e ".[test,prod]"
	touch $(VENV)/.installed $@

# Ralph, the learning record store the interop tests push to, in a venv of its own: its pins
# would downgrade ours (click). tests/interop/lrs_fixtures.py starts it from here.
RALPH_VENV := .venv-ralph
# ralph 5.1.0 imports requests (OIDC) without declaring it; it has no backend-fs extra.
RALPH_SPEC := "ralph-malph[cli,lrs]==5.1.0" "requests>=2.31"

$(RALPH_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(RALPH_VENV)
	$(RALPH_VENV)/bin/pip install --quiet --upgrade pip
	$(PIP_QUIET) $(RALPH_VENV)/bin/pip install --quiet $(RALPH_SPEC)
	touch $@

$(VENV)/.installed-prod: pyproject.toml setup.py | $(BIN)/python
	$(PIP_QUIET) $(BIN)/pip install --quiet -e ".[prod]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed translations assets
install-test: $(VENV)/.installed-test $(RALPH_VENV)/.installed translations assets
install-prod: $(VENV)/.installed-prod translations assets

# gzip (and brotli, with the Brotli package) variants beside each static file; WhiteNoise
# serves them to browsers that ask (lms/assets.py). Generated, not committed.
assets: | $(BIN)/python
	$(BIN)/python -m whitenoise.compress -q lms/static

translations: | $(BIN)/python
	$(BIN)/python -m lms.translations_build

translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o messages.pot --no-location lms templates
	$(BIN)/pybabel update -i messages.pot -d lms/translations --no-fuzzy-matching
	$(BIN)/python -m lms.translations_build

browser:
	@bash scripts/ensure-chromium.sh

wrk:
	@bash scripts/ensure-wrk.sh

nginx:
	@bash scripts/ensure-nginx.sh

run: install
	LMS_QUIET_MIGRATIONS=1 $(BIN)/lms db upgrade
	$(BIN)/lms courses import courses
	$(BIN)/lms needs surveys import courses/surveys
	$(BIN)/lms demo
	@echo ""
	@echo "Pembina berjalan di http://$(HOST):$(PORT)  (Ctrl+C untuk berhenti)"
	$(BIN)/lms run --host $(HOST) --port $(PORT)

test: install-test browser wrk
	$(BIN)/ruff check lms tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Builds (once per scale, cached in $$TMPDIR/pembina-bench) or reuses the scaled database, runs
# every scenario under gunicorn + wrk, prints the table and writes bench/results.json.
bench: install-prod wrk $(BENCH_NEEDS)
	BENCH_SCALE=$(BENCH_SCALE) BENCH_DB=$(BENCH_DB) BENCH_SERVERS=$(BENCH_SERVERS) BENCH_PROXY=$(BENCH_PROXY) \
		$(BIN)/python -m bench.run

# The scaling curve: the same organisation with ~2, 20 and 200 quiz attempts per librarian
# (BENCH_CURVE), dashboard and quiz submit on each; writes bench/curve.json.
bench-curve: install-prod wrk
	BENCH_SCALE=$(BENCH_SCALE) BENCH_DB=$(BENCH_DB) $(BIN)/python -m bench.curve

# Faults under load (docs/reliability.md): every scenario on a small scaled database, SQLite
# and PostgreSQL (FAULTS_DB); prints the table, writes bench/faults.json, exits 1 unless all green.
faults: install-prod wrk
	$(BIN)/python -m bench.faults

clean:
	rm -rf $(VENV) $(RALPH_VENV) build dist *.egg-info .pytest_cache
