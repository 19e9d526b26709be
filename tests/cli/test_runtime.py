"""The CLI keeps freed memory for Polars' allocator (wengang.runtime): set before Polars loads, never over the
operator's own setting, and not for a run given a memory limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wengang.runtime import ENV, GC_THRESHOLD, KEEP_FREED

SRC = str(Path(__file__).resolve().parents[2] / "src")
PROBE = """
import os, sys
sys.argv = ["wengang", *sys.argv[1:]]
import wengang.cli
import gc
assert gc.get_threshold() == {th}, gc.get_threshold()
print("polars" in sys.modules, os.environ.get("{env}", ""))
""".replace("{env}", ENV).replace("{th}", repr(GC_THRESHOLD))


def probe(*args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    base = {k: v for k, v in os.environ.items() if k != ENV}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
        env={**base, **(env or {}), "PYTHONPATH": SRC},
    )
    assert run.returncode == 0, run.stderr
    polars_loaded, value = run.stdout.strip().split(" ", 1) if " " in run.stdout.strip() else (run.stdout.strip(), "")
    return polars_loaded, value


def test_set_before_polars_is_loaded() -> None:
    assert probe("screen", "--help") == ("False", KEEP_FREED)


def test_the_operators_setting_wins() -> None:
    assert probe("screen", env={ENV: "dirty_decay_ms:0"}) == ("False", "dirty_decay_ms:0")


def test_a_memory_limit_keeps_polars_prompt_return() -> None:
    assert probe("screen", "--memory-limit", "2") == ("False", "")
    assert probe("screen", "--memory-limit=2") == ("False", "")


def test_jemalloc_accepts_the_setting() -> None:
    # a misspelt option is ignored with only a warning on stderr: the setting would silently do nothing
    run = subprocess.run(
        [sys.executable, "-c", "import polars as pl; print(pl.Series(range(3_000_000)).sum())"],
        capture_output=True, text=True, env={**os.environ, ENV: KEEP_FREED},
    )
    assert run.returncode == 0, run.stderr
    assert "jemalloc" not in run.stderr, run.stderr
    bad = subprocess.run(
        [sys.executable, "-c", "import polars as pl; print(pl.Series(range(3)).sum())"],
        capture_output=True, text=True, env={**os.environ, ENV: KEEP_FREED + ",no_such_option:1"},
    )
    assert "Invalid conf pair" in bad.stderr  # the check above can fail
