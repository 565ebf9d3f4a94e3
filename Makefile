# The command index. `make run` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
# Two environments, each from its own lock file with uv: Rasa, addons/ and actions/ on Python
# 3.10 with Rasa's pins (.venv, uv.lock); bot/ on a current Python and libraries (.venv-bot,
# bot/uv.lock). pyenv's .python-version files name each Python.
VENV := .venv
BOT_VENV := .venv-bot
PY := $(VENV)/bin/python
BOT_PY := $(BOT_VENV)/bin/python
RASA := RASA_TELEMETRY_ENABLED=false $(VENV)/bin/rasa
export RASA_TELEMETRY_ENABLED := false
UV_VERSION := 0.13.9
UV := .tools/bin/uv
# uv never downloads a Python of its own: the machine's (pyenv's) are used.
export UV_PYTHON_DOWNLOADS := never
# Compiled at install, as pip does: a first import then neither waits nor warns about old code.
export UV_COMPILE_BYTECODE := 1
RASA_PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python3.10)
BOT_PYTHON ?= $(shell cd bot && pyenv which python 2>/dev/null || command -v python3.12)

.PHONY: help install train validate test test-unit test-e2e test-rasa test-py run shell lint format bench bench-aim bench-bot bench-nlu bench-conversations content-report purge clean lock

help:  ## List the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	@# This machine's pip config names extra local indexes that may be absent: hide that noise only.
	set -o pipefail; .tools/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION) 2>&1 \
	  | { grep -v "is ignored: it is neither a file nor a directory" || true; }

$(VENV)/.installed: pyproject.toml uv.lock aic_shared/pyproject.toml .python-version $(UV)
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(VENV) $(UV) sync --frozen --python $(RASA_PYTHON)
	$(UV) pip check --python $(PY)
	touch $@

$(BOT_VENV)/.installed: bot/pyproject.toml bot/uv.lock aic_shared/pyproject.toml bot/.python-version $(UV)
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(BOT_VENV) $(UV) sync --frozen --project bot --python $(BOT_PYTHON)
	$(UV) pip check --python $(BOT_PY)
	touch $@

lock: $(UV)  ## Update both lock files after changing a pyproject.toml
	$(UV) lock --python $(RASA_PYTHON)
	$(UV) lock --project bot --python $(BOT_PYTHON)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed $(BOT_VENV)/.installed node_modules/.installed  ## Install both Python environments, npm packages, Chromium and Redis
	bash scripts/install_system.sh

train: $(VENV)/.installed  ## Train the model if data, domain or config changed
	$(PY) -m scripts.model

validate: $(VENV)/.installed  ## Check the training data and domain
	$(RASA) data validate --fail-on-warnings

run: install train  ## Run everything on this machine: widget at http://127.0.0.1:8080
	$(PY) -m scripts.run

shell: install train  ## Chat with the assistant in this terminal
	$(PY) -m scripts.shell

# Training keeps the two cores only partly busy: the checks and the tests that need no model
# (the ones not marked e2e) run beside it, the rest once it is done.
test: install  ## Install, train and run every test
	$(MAKE) --no-print-directory -j2 --output-sync=line train test-unit
	$(MAKE) --no-print-directory test-rasa test-e2e

test-rasa:  ## Rasa's own dialogue tests on tests/stories
	$(RASA) test core --model "$$($(PY) -m scripts.model)" --stories tests/stories --fail-on-prediction-errors --out results

# Each environment runs its own side of tests/ (tests/conftest.py): the brain's in Rasa's, the
# rest in bot/'s.
test-py:  ## The pytest suite (unit and end-to-end)
	$(PY) -m pytest -q
	$(BOT_PY) -m pytest -q

test-unit: validate  ## The tests that need no model and start no Rasa
	$(PY) -m pytest -q -m "not e2e"
	$(BOT_PY) -m pytest -q -m "not e2e"

test-e2e:  ## The end-to-end tests: real model, servers, peers and browser
	$(BOT_PY) -m pytest -q -m e2e

content-report:  ## The advice in data/knowledge.yml not checked against its source for 12 months
	$(PY) -m scripts.content_report

lint:  ## ruff
	$(BOT_VENV)/bin/ruff check .

format:  ## ruff format
	$(BOT_VENV)/bin/ruff format .

bench-nlu: install  ## NLU quality: held-out set and cross-validation
	$(PY) -m bench.nlu_benchmark

bench-conversations: install train  ## Typed answers and whole typed conversations, through the real model (dev and held-out)
	$(PY) -m bench.conversations

# Two Rasa processes (one per core), each door ten times over: one run varies by 10% or more.
BENCH_ARGS ?= --rasa-processes 2 --rounds 10
bench: install train  ## Load: latency and throughput of bot/ against plain Rasa (BENCH_ARGS=...)
	$(BOT_PY) -m bench.load $(BENCH_ARGS)

# The aim's load, about 30 messages a second with people arriving one by one, every door at
# once: the machine's slow spells then fall on all of them alike (about 5 minutes). Telegram by
# webhook, as a force's bot/ on its public https address runs it (bench/README.md).
bench-aim: install train  ## Latency at 30 msg/s, bot/ against plain Rasa at the same moments
	$(BOT_PY) -m bench.load --rasa-processes 2 --think 1.3 --rounds 12 --together --telegram-mode webhook

bench-bot: install  ## bot/'s own CPU a message, against a stub Rasa (no model needed)
	$(BOT_PY) -m bench.bot_alone

purge: $(BOT_VENV)/.installed  ## Delete conversations past the retention period now
	$(BOT_PY) -m bot.purge

clean:  ## Remove models, results and runtime data
	rm -rf models results artifacts var/logs
