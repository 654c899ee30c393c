# Every target makes or refreshes the virtualenv it needs: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs Python 3.12, so the project does too. pyenv's python3.12 shim fails while another
# version is global, hence the look through pyenv's own prefix before PATH.
PYTHON ?= $(shell for p in "$$(pyenv prefix 3.12 2>/dev/null)/bin/python3.12" python3.12 python3; do \
             "$$p" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
SAM := SAM_CLI_TELEMETRY=0 PATH="$(dir $(PYTHON)):$$PATH" $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
# Exact versions and hashes of everything installed: docs/dependencies.md. uv makes the locks, pip
# installs them (with hashes, so nothing else can stand in for what was locked).
LOCKS := locks
LOCK_VENV := .venv-lock
# `make lock LOCK_FLAGS="--upgrade-package pillow"` moves one pin; "--upgrade", all within pyproject's ranges.
LOCK_FLAGS ?=
PIP_INSTALL = -m pip install --quiet --require-hashes
# $(call venv,DIR): DIR made a virtualenv if it is not one, with the pinned pip.
venv = { test -x $(1)/bin/python || $(PYTHON) -m venv $(1); } && $(1)/bin/python $(PIP_INSTALL) -r $(LOCKS)/pip.txt
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34); template.yaml's Architectures: x86_64.
LAYER_PLATFORM := x86_64-manylinux_2_34
COMPILE = UV_CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes \
          --python-version 3.12 $(LOCK_FLAGS)
export POWERTOOLS_TRACE_DISABLED := true
export POWERTOOLS_DEV := false
# Material for MkDocs prints a banner about its successor at every build; the build's own
# warnings (which --strict turns into failures) stay.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help run test unit iam lint template build bench deploy clean browser docs screenshots lock FORCE

help:
	@echo "make run       Jobdeck locally, its state kept in .jobdeck/state (Ctrl-C stops; ARGS=\"--fresh\" starts empty;"
	@echo "               DATASOURCES=\"photos=photos-bucket,...\" attaches buckets)"
	@echo "make test      lint, template checks, the docs build and the whole test suite, with make iam's report"
	@echo "make iam       the test suite, each function's AWS requests checked against its role, and the report"
	@echo "make docs      the documentation site, into site/ (mkdocs build --strict)"
	@echo "make lint      ruff and mypy"
	@echo "make browser   Debian's Chromium for the web console's browser tests (part of make test)"
	@echo "make screenshots  the console's browser tests, writing the docs' pictures of it to docs/img/"
	@echo "make bench     the benchmarks, printed as tables; the summary into bench/results/"
	@echo "make build     sam validate --lint, cfn-lint, sam build (also part of make test)"
	@echo "make lock      the locks in locks/ and layers/jobdeck/requirements.txt, from pyproject.toml"
	@echo "make deploy    guided: sam build and deploy, the first admin, the console's URL, then jobdeck smoke"

# The stamp is a copy of the lock it installed: another lock makes the virtualenv anew, so that it
# holds exactly what the lock says and nothing an earlier one left.
$(VENV)/.installed: pyproject.toml $(LOCKS)/dev.txt
	@test -n "$(PYTHON)" || { echo "no Python >= 3.12 found"; exit 1; }
	$(PYTHON) $(LOCKS)/pins.py check
	cmp -s $(LOCKS)/dev.txt $@ || rm -rf $(VENV)
	$(call venv,$(VENV))
	$(BIN)/python $(PIP_INSTALL) -r $(LOCKS)/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	cp $(LOCKS)/dev.txt $@

# uv, the locker, pinned like the rest (uv.txt is made by `make lock` too).
$(LOCK_VENV)/.installed: $(LOCKS)/uv.txt $(LOCKS)/pip.txt
	$(call venv,$(LOCK_VENV))
	$(LOCK_VENV)/bin/python $(PIP_INSTALL) -r $(LOCKS)/uv.txt
	touch $@

# The layer's lock takes the development lock's versions (-c): the tests run what is deployed.
lock: $(LOCK_VENV)/.installed
	$(COMPILE) --universal $(LOCKS)/uv.in -o $(LOCKS)/uv.txt
	$(COMPILE) --universal $(LOCKS)/pip.in -o $(LOCKS)/pip.txt
	$(COMPILE) --universal pyproject.toml --extra dev -o $(LOCKS)/dev.txt
	$(COMPILE) --python-platform $(LAYER_PLATFORM) pyproject.toml --no-emit-package boto3 \
	  -c $(LOCKS)/dev.txt -o $(LOCKS)/layer.txt
	$(COMPILE) --universal $(LOCKS)/sam.in -o $(LOCKS)/sam.txt
	$(COMPILE) --universal $(LOCKS)/checkov.in -o $(LOCKS)/checkov.txt
	$(PYTHON) $(LOCKS)/pins.py record

# .venv-sam and .venv-checkov may be shared by several work trees (symlinks): each compares its lock
# with the copy it installed rather than dates, which a checkout changes.
# SAM CLI pins boto3, click and pydantic of its own: it lives in its own virtualenv.
$(SAM_VENV)/.installed: FORCE
	@cmp -s $(LOCKS)/sam.txt $@ || { \
	  set -x; $(call venv,$(SAM_VENV)) && \
	  $(SAM_VENV)/bin/python $(PIP_INSTALL) -r $(LOCKS)/sam.txt && cp $(LOCKS)/sam.txt $@; }

# checkov (tests/test_checkov.py scans template.yaml) brings a hundred packages of its own: its own
# virtualenv too.
$(CHECKOV_VENV)/.installed: FORCE
	@cmp -s $(LOCKS)/checkov.txt $@ || { \
	  set -x; $(call venv,$(CHECKOV_VENV)) && \
	  $(CHECKOV_VENV)/bin/python $(PIP_INSTALL) -r $(LOCKS)/checkov.txt && cp $(LOCKS)/checkov.txt $@; }

FORCE:

# Options go to the local stack: make run ARGS="--fresh", ARGS="--state /tmp/demo --api-port 8001".
# DATASOURCES="photos=photos-bucket,archive=archive-bucket/2024/" attaches buckets (--datasource); the
# state keeps them for the next `make run`.
DATASOURCES ?=
run: $(VENV)/.installed
	$(BIN)/python -m jobdeck_local $(if $(DATASOURCES),--datasource "$(DATASOURCES)") $(ARGS)

test: lint template docs iam

# The suite runs once: each process records the AWS requests it checked against the functions' roles
# (jobdeck_local.iam), then the report fails on a denied request or an unused grant not explained in
# local/iam/unused.yaml. The report runs even when a test failed: a denial is often why.
IAM_RECORDS := .iam-records
iam: browser $(CHECKOV_VENV)/.installed $(VENV)/.installed
	rm -rf $(IAM_RECORDS)
	JOBDECK_IAM_RECORDS=$(IAM_RECORDS) $(BIN)/python -m pytest -n 2 -q; tests=$$?; \
	  $(BIN)/python -m jobdeck_local.iam $(IAM_RECORDS); report=$$?; \
	  exit $$(( tests || report ))

unit: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

# The site of docs/ (mkdocs.yml). --strict: a broken link, a page left out of the nav or a missing
# include fails the build, and so `make test`.
docs: $(VENV)/.installed
	$(BIN)/mkdocs build --strict

# The web console's browser tests drive Debian's Chromium through Playwright (which must never
# download a browser of its own). Installed once, with sudo when not root; without apt-get the
# tests are skipped, saying so (under CI=true they fail instead).
browser:
	@command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null; then \
	    sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$sudo apt-get update -qq && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "no chromium and no apt-get here: the browser tests will be skipped"; fi; }

# The docs (console.md, index.md, operating.md) and the README show screenshots the browser tests
# take: they write them to docs/img/ when asked (JOBDECK_DOCS_IMG), here, not at every `make test`,
# so that a test run leaves the docs unchanged.
screenshots: browser $(VENV)/.installed
	JOBDECK_DOCS_IMG=docs/img $(BIN)/python -m pytest -n 2 -q tests/test_console.py tests/test_console_form.py \
	  tests/test_console_session.py tests/test_console_audit.py tests/test_console_calendars.py \
	  tests/test_console_datasources.py tests/test_console_dependencies.py

# What `sam deploy` needs to succeed, checked without an AWS account.
template: $(SAM_VENV)/.installed $(VENV)/.installed
	$(SAM) validate --lint
	$(SAM) validate --region us-east-1  # runs the SAM transform, which --lint alone does not
	$(BIN)/cfn-lint template.yaml
	$(SAM) build

build: template

bench: $(VENV)/.installed
	$(BIN)/python -m bench

# Guided, from nothing to a working console: account and region, stack name, first admin; sam
# validate --lint, build and deploy; the console's URL and sign-in; then jobdeck smoke against it.
# Unattended: make deploy DEPLOY_ARGS="--yes --admin-email ops@example.com" (--help for the rest).
deploy: $(SAM_VENV)/.installed $(VENV)/.installed
	PATH="$(dir $(PYTHON)):$$PATH" $(BIN)/python -m jobdeck_local.guided_deploy --sam $(SAM_VENV)/bin/sam $(DEPLOY_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache site $(IAM_RECORDS)
