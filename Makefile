# Two commands do everything on a fresh machine: `make dev` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs python3.13: use it locally when pyenv (or the system) has it, else 3.12.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null) $(wildcard $(PYENV_ROOT)/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null) python3)
SAM_PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.11*/bin/python3.11) $(PYTHON))
# `sam build` for a python3.13 runtime needs python3.13 on PATH.
SAM_PATH := $(dir $(PYTHON)):$(PATH)
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
SAM := SAM_CLI_TELEMETRY=0 PATH="$(SAM_PATH)" $(SAM_VENV)/bin/sam

.PHONY: help dev test unit lint typecheck sam-validate sam-build checkov bench fuzz load clean

help:
	@echo "make dev    - start the API locally on http://127.0.0.1:\$${PORT:-3000} (embedded DynamoDB, demo token)"
	@echo "make test   - lint, layer contracts, type check, validate and build the SAM template, run every test"
	@echo "make bench  - run the benchmarks under bench/"
	@echo "make fuzz   - schemathesis against the local API, then hostile values through every handler: 300 examples each"
	@echo "make load   - 20,000 mixed requests at concurrency 16 against the local API, every answer checked"
	@echo "then: .venv/bin/logister-admin --help  (the operator CLI: projects, tokens, limits, events, monitors)"

# The project itself is installed (editable) too: it provides the `logister-admin` console script.
$(VENV)/.installed: requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(SAM_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(SAM_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

# Every skipped check is justified in template.yaml, next to its resource.
checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

# newman runs Logister's Postman collection in the end-to-end tests.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# swagger-ui-dist: the Swagger UI that /docs serves (functions/api_docs), locally from node_modules.
dev: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/python -m local.devserver

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# mypy --strict on the package, the handlers, admin and local (configured in pyproject.toml).
typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

sam-validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint

# The docs function copies swagger-ui-dist from node_modules (functions/Makefile).
sam-build: $(SAM_VENV)/.installed node_modules/.installed
	$(SAM) build --build-dir .aws-sam/build --cache-dir .aws-sam/cache --cached

# The browser test (tests/e2e/test_api_docs_browser.py) drives Debian's Chromium; installed when missing.
/usr/bin/chromium:
	@if [ "$$(id -u)" != 0 ]; then echo "$@ is missing: apt-get install chromium (as root)" >&2; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

test: $(VENV)/.installed $(SAM_VENV)/.installed lint typecheck sam-validate sam-build checkov node_modules/.installed /usr/bin/chromium
	$(VENV)/bin/python -m pytest

unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest tests/unit

# Schemathesis against the local API: 300 examples per operation (8 operations), at least 2,000 requests;
# then hostile values through every endpoint's real handler, 300 bodies per endpoint (make test: 60).
fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=300 $(VENV)/bin/python -m pytest tests/e2e/test_fuzz.py tests/integration/test_fuzz_handlers.py -s

# 20,000 mixed requests at concurrency 16 against the local API (make test sends 600), then every
# answer checked against the tables.
load: $(VENV)/.installed
	LOAD_REQUESTS=20000 LOAD_CONCURRENCY=16 $(VENV)/bin/python -m pytest tests/e2e/test_load.py -s

bench: $(VENV)/.installed
	$(VENV)/bin/python -m bench.run

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
