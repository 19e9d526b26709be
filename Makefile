# The two commands README.md opens with: `make run` (main job) and `make test` (the test suite).
# `make run` installs the core dependencies only; `make test` adds the extras dev, spark and browser
# and the Debian packages the browser tests drive (chromium, chromium-driver, fonts-noto-cjk).
# Two stamps: `make run` after `make test` installs nothing, `make test` after `make run` adds the extras.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.installed-core
TEST_STAMP := $(VENV)/.installed-test
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk

.PHONY: setup run test lint typecheck bench browser-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The test install is a superset of the core one, so it refreshes both stamps.
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,spark,browser]'
	touch $@ $(CORE_STAMP)

setup: $(TEST_STAMP)

# Chromium for the browser tests (Playwright drives Debian's chromium; it downloads no browser),
# and a CJK font so the zh-CN pages and their screenshots render. Installed only when missing.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	else \
	  echo "安装浏览器测试所需的系统软件包 / installing the browser tests' system packages: $(BROWSER_PACKAGES)"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $(BROWSER_PACKAGES); \
	fi

# Main job: generate a synthetic 通辽 region, screen it under 内人社发〔2025〕18号, write results and the 公示 list.
run: $(CORE_STAMP)
	$(BIN)/wengang demo --out out/demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(TEST_STAMP)
	$(BIN)/mypy src/wengang/rules src/wengang/money.py src/wengang/evaluate.py src/wengang/reports

test: lint typecheck browser-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(CORE_STAMP)
	$(BIN)/python bench/bench_one_case.py

clean:
	rm -rf out .pytest_cache
