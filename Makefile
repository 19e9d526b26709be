# The two commands README.md opens with: `make run` (main job) and `make test` (the test suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

setup: $(STAMP)

# Main job: generate a synthetic 通辽 region, screen it under 内人社发〔2025〕18号, write results and the 公示 list.
run: $(STAMP)
	$(BIN)/wengang demo --out out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src/wengang/rules src/wengang/money.py src/wengang/evaluate.py

test: lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python bench/bench_one_case.py

clean:
	rm -rf out .pytest_cache
