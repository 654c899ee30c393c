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

.PHONY: help run test unit lint template build bench deploy clean browser lock FORCE

help:
	@echo "make run       Jobdeck locally: moto endpoint, clock, queue pollers (Ctrl-C stops)"
	@echo "make test      lint, template checks and the whole test suite"
	@echo "make lint      ruff and mypy"
	@echo "make browser   Debian's Chromium for the web console's browser tests (part of make test)"
	@echo "make bench     the benchmarks, printed as tables"
	@echo "make build     sam validate --lint, cfn-lint, sam build (also part of make test)"
	@echo "make lock      the locks in locks/ and layers/jobdeck/requirements.txt, from pyproject.toml"
	@echo "make deploy    sam deploy --guided"

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

run: $(VENV)/.installed
	$(BIN)/python -m jobdeck_local

test: lint template browser $(CHECKOV_VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q

unit: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml

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

# What `sam deploy` needs to succeed, checked without an AWS account.
template: $(SAM_VENV)/.installed $(VENV)/.installed
	$(SAM) validate --lint
	$(SAM) validate --region us-east-1  # runs the SAM transform, which --lint alone does not
	$(BIN)/cfn-lint template.yaml
	$(SAM) build

build: template

bench: $(VENV)/.installed
	$(BIN)/python -m bench

deploy: build
	$(SAM) deploy --guided

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
