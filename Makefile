# ImageTagger developer commands. A newcomer needs only `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
# The third-party readers that cannot share .venv (datumaro), for the conformance tests only.
READERS := .venv-readers
PY := $(abspath $(VENV))/bin/python
ADDR ?= 127.0.0.1:8000
# `make run DEMO=0` starts without loading the demo data into an empty site.
DEMO ?= 1
PYTEST_ARGS ?=

.PHONY: run test bench install lint format clean reference-backend

## Install Python packages into .venv and front-end packages into node_modules (only when changed).
install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt clients/python/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("ImageTagger needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(READERS)/.installed: requirements-readers.txt
	test -x $(READERS)/bin/python || $(PYTHON) -m venv $(READERS)
	$(READERS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-readers.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Start the site at http://$(ADDR) with the embedded SQLite database, plus the background worker.
run: install
	cd imagetagger && $(PY) manage.py migrate --noinput
	$(if $(filter 1,$(DEMO)),cd imagetagger && $(PY) manage.py loaddemo --if-empty)
	cd imagetagger && { $(PY) manage.py runzipdaemon --verbosity 0 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver $(ADDR); }

## Start the reference model backend (Label Studio ML protocol; faces, people, GrabCut outlines) at http://127.0.0.1:9090.
reference-backend: install
	cd imagetagger && $(PY) -m assist.reference --port 9090

## Run the whole test suite: the canvas code's unit tests (Node), then pytest (browser tests too when Chromium is installed).
test: install $(READERS)/.installed
	node --test --disable-warning=MODULE_TYPELESS_PACKAGE_JSON imagetagger/annotations/jstests/
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## Run the benchmarks (figures as ratios to a baseline measured in the same run). Not part of CI.
bench: install
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_zip.py
	$(PY) bench/bench_s3.py
	$(PY) bench/bench_annotations_api.py
	$(PY) bench/bench_export.py
	$(PY) bench/bench_export_attributes.py
	$(PY) bench/bench_formats.py
	$(PY) bench/bench_import.py
	$(PY) bench/bench_annotate.py
	$(PY) bench/bench_statistics.py
	$(PY) bench/bench_pages.py
	$(PY) bench/bench_messages.py
	$(PY) bench/bench_attributes.py
	$(PY) bench/bench_assist.py
	$(PY) bench/bench_prelabel.py
	$(PY) bench/bench_client_upload.py
	$(PY) bench/bench_webhooks.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(READERS) node_modules static-collected .pytest_cache .ruff_cache
