# One-command entry points. Each target creates the virtualenv (.venv) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint system-deps bench-check clean stack stack-down

# The editable install compiles otel_agents/events/_speedups.c (hatch_build.py): again
# whenever it changes.
$(STAMP): pyproject.toml hatch_build.py otel_agents/events/_speedups.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

## demo: run the simulated multi-agent workflow on the embedded default (no Kafka needed)
demo: $(STAMP)
	$(BIN)/otel-agents demo

## system-deps: what the integration tests need besides Python (Java, Maven, Go, Prometheus)
system-deps:
	@if [ -f .ci/install-system-deps.sh ]; then bash .ci/install-system-deps.sh; fi

## test: every test, integration tests against real components included
test: $(STAMP) system-deps
	$(BIN)/python -m pytest

## stack: Collector, Jaeger, Prometheus, Alertmanager and Kafka natively on 127.0.0.1,
## fed by the demo (no Docker needed); prints the URLs. Same config files as docker-compose.
stack: $(STAMP) system-deps
	$(BIN)/python tests/native_stack.py up

## stack-down: stop what `make stack` started
stack-down: $(STAMP)
	$(BIN)/python tests/native_stack.py down

## lint: ruff, mypy --strict and the import layers (import-linter)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy otel_agents
	$(BIN)/lint-imports

## bench-check: quick performance ratios against benchmarks/baseline.json (not a test)
bench-check: $(STAMP)
	$(BIN)/python benchmarks/bench_check.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .otel-agents .stack
