# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper for them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test install install-dev system-deps migrate seed lint format messages lock bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed (found $$($(PYTHON) --version))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv. On Debian/Ubuntu: apt-get install python3-venv"; exit 1; }
	@$(BIN)/pip install -qq --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install -qq -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -qq -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

system-deps:
	@scripts/system-deps.sh

run: system-deps install
	@scripts/run.sh

test: system-deps install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	@scripts/messages.sh

lock: $(BIN)/python
	$(BIN)/pip install -qq -r requirements.in
	( echo "# Pinned, with everything they pull in. Top-level choices are in requirements.in;"; \
	  echo "# refresh with: make lock"; $(BIN)/pip freeze ) > requirements.txt

bench: install-dev
	DEBUG=1 $(BIN)/python bench/pages.py 1000

clean:
	rm -rf $(VENV) var staticfiles
