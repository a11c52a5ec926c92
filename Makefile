# Coupon Pools — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared services/pool-service services/assignment-service services/alert-service
STAMP := $(VENV)/.installed

.PHONY: help tools venv infra browser run stop status test lint unit integration e2e bench schemas clean suites

help:
	@echo "make run     install what is missing, start Kafka, FerretDB and the three services"
	@echo "make stop    stop everything make run started"
	@echo "make test    install what is missing and run lint + the whole test suite on a private stack"
	@echo "make lint    ruff + mypy (strict)"
	@echo "make bench   BENCH=<name>: one benchmark of tests/bench (prints figures)"

tools:
	@deploy/bin/require-postgres
	@deploy/bin/require-tools

$(STAMP): requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@deploy/bin/require-tools
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p))
	@touch $@

venv: $(STAMP)

infra: tools
	@deploy/kafka/install.sh >/dev/null
	@deploy/ferretdb/install.sh >/dev/null

browser: venv
	@deploy/bin/require-chromium

run: venv infra
	@deploy/bin/run-local start

stop:
	@deploy/bin/run-local stop

status:
	@deploy/bin/run-local status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/src services/*/src tests

schemas: venv
	$(BIN)/python -m coupon_shared.json_schemas write shared/schemas

# The whole suite runs against a private Kafka and FerretDB on free ports,
# stopped on exit even when tests fail; a running `make run` stack is untouched.
# Browser tests get a pytest process of their own: sync Playwright drives its own
# event loop in the main thread, which the asyncio tests must not share.
test: venv infra browser lint
	deploy/bin/with-test-stack $(MAKE) --no-print-directory suites

suites:
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

unit: venv
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: venv infra
	deploy/bin/with-test-stack $(BIN)/pytest -m "integration and not e2e" $(PYTEST_ARGS)

e2e: venv infra
	deploy/bin/with-test-stack $(BIN)/pytest -m e2e $(PYTEST_ARGS)

# make bench BENCH=pool_bench BENCH_ARGS="--codes 100000"  (one of tests/bench/*_bench.py)
bench: venv infra
	@test -n "$(BENCH)" || { echo "choose one: make bench BENCH=<name> [BENCH_ARGS=...]  with <name> one of:"; \
		ls tests/bench/*_bench.py | xargs -n1 basename | sed 's/\.py$$//; s/^/  /'; exit 2; }
	deploy/bin/with-test-stack $(BIN)/python -m tests.bench.$(BENCH) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .test-state
