"""The CLI keeps freed memory for Polars' allocator (wengang.runtime): set before Polars loads, never over the
operator's own setting, and not for a run given a memory limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wengang.runtime import ENV, GC_THRESHOLD, KEEP_FREED, POLARS_DEFAULT, POLARS_THP, operators_setting

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


def test_polars_default_inherited_from_a_parent_is_not_the_operators() -> None:
    # Polars writes its default into os.environ as it is imported; a command started by such a program inherits it
    assert probe("screen", env={ENV: POLARS_DEFAULT}) == ("False", KEEP_FREED)
    assert probe("screen", env={ENV: POLARS_DEFAULT + POLARS_THP}) == ("False", KEEP_FREED)
    # the operator's setting passed through a parent's Polars is still the operator's
    mine = POLARS_DEFAULT + ",dirty_decay_ms:0"
    assert probe("screen", env={ENV: mine}) == ("False", mine)


def test_a_command_started_by_a_program_that_imported_polars() -> None:
    # the real path: the parent's environment as Polars left it (fails too if Polars changes what it writes)
    parent = (
        "import os, subprocess, sys; import polars; "
        "sys.exit(subprocess.run([sys.executable, '-c', sys.argv[1], 'screen'], env=os.environ).returncode)"
    )
    base = {k: v for k, v in os.environ.items() if k not in (ENV, "POLARS_THP")}
    run = subprocess.run(
        [sys.executable, "-c", parent, PROBE], capture_output=True, text=True, env={**base, "PYTHONPATH": SRC}
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", KEEP_FREED]


@pytest.mark.parametrize(
    ("found", "own"),
    [
        (None, ""),
        ("", ""),
        (POLARS_DEFAULT, ""),
        (POLARS_DEFAULT + POLARS_THP, ""),
        (POLARS_DEFAULT + ",narenas:2", "narenas:2"),
        (POLARS_DEFAULT + POLARS_THP + ",narenas:2", "narenas:2"),
        ("dirty_decay_ms:500", "dirty_decay_ms:500"),
        ("narenas:2," + POLARS_DEFAULT, "narenas:2," + POLARS_DEFAULT),
    ],
)
def test_operators_setting(found: str | None, own: str) -> None:
    assert operators_setting(found) == own


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


FREEZE_PROBE = """
import gc, sys, weakref
import wengang.programs
from wengang.policies import load_policy_set
from wengang.runtime import freeze_loaded

wengang.programs.load_all()
load_policy_set()
before = len(gc.get_objects())
freeze_loaded()
frozen = gc.get_freeze_count()


class Node:
    pass


a, b = Node(), Node()
a.other, b.other = b, a  # a cycle made after the freeze
gone = weakref.ref(a)
del a, b
gc.collect()
print(frozen >= before // 2, gone() is None, len(gc.get_objects()) < before // 10)
"""


def test_a_long_lived_process_freezes_what_it_loaded() -> None:
    """What the project loaded is moved out of the collector's reach (most of the heap: a collection walks a tenth
    of it), and a cycle made later is still collected. In a process of its own: freezing the test process would keep
    every object of the session alive."""
    run = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "True"], run.stdout


def test_the_web_service_freezes_what_it_loaded_before_serving(monkeypatch, tmp_path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    import wengang.runtime
    from wengang.cli import app

    calls: list[str] = []
    monkeypatch.setattr(wengang.runtime, "freeze_loaded", lambda: calls.append("freeze"))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append("serve"))
    monkeypatch.setenv("WENGANG_SECRET_KEY", "k" * 40)
    result = CliRunner().invoke(app, ["serve", "--database-url", f"sqlite:///{tmp_path / 'ledger.db'}"])
    assert result.exit_code == 0, result.output
    assert calls == ["freeze", "serve"]
