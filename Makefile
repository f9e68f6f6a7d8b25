# Two commands do all the set-up on a fresh machine:
#   make run    parse and mine the shipped corpus into outputs/
#   make test   lint and run the test suite
# Both create .venv from requirements.lock when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

.PHONY: setup run test lint bench bench-batch
setup: $(STAMP)

run: $(STAMP)
	$(BIN)/csminer run corpus/ --out outputs/

test: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_extract.py

bench-batch: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py
