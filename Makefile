# Two commands on a fresh machine with Python 3.11: `make run` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
EVAL_DIR ?= ../shared/eval
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install install-test run test lint eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, by its exact version: pip takes the CPU build on disk instead of a CUDA one
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/policy-assistant serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check .

eval: install
	$(BIN)/policy-assistant eval $(EVAL_DIR)/dev_questions.json --baseline
	$(BIN)/policy-assistant eval $(EVAL_DIR)/dev_awards.json

bench: install-test
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf data .pytest_cache
