"""`wengang screen` and `wengang demo-data` end without Python's teardown (wengang.runtime.end_now), after doing
what Python's exit does that is seen outside the process: the threads that are not daemons joined, the atexit
handlers run, stdout and stderr flushed. Their files are complete; other commands end as usual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")

# the entry point as `python -m wengang` runs it, with markers: an atexit handler (runs on both paths), an object
# freed by the interpreter's teardown (only on the usual path), a thread that is not a daemon (joined on both) and
# an atexit handler's unflushed print (flushed on both)
MARKED = """
import atexit, os, sys, threading, time
write = os.write
atexit.register(lambda: write(2, b"@atexit\\n"))
atexit.register(lambda: print("@unflushed", end=""))
class Teardown:
    def __del__(self, write=write):
        write(2, b"@teardown\\n")
kept = Teardown()
threading.Thread(target=lambda: (time.sleep(1.0), write(2, b"@thread\\n"))).start()
if os.environ.get("BREAK_SCREEN"):  # an internal error inside the screen
    import wengang.screening.pipeline as pipeline
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    pipeline.run_screening = broken
sys.argv = ["wengang", *sys.argv[1:]]
from wengang.cli import main
main()
"""


def wengang(*args: str, tmp: Path, marked: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    code = ["-c", MARKED] if marked else ["-m", "wengang"]
    usual = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as in a pipe
    return subprocess.run(
        [sys.executable, *code, *args], capture_output=True, text=True, timeout=300,
        env={**usual, "PYTHONPATH": SRC, "TMPDIR": str(tmp), "WENGANG_STATE_DIR": str(tmp / "state"), **env},
    )  # fmt: skip


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fast-exit")
    made = wengang("demo-data", "--out", str(root / "data"), "--units", "400", "--year", "2025", tmp=root)
    assert made.returncode == 0, made.stderr  # demo-data ends by the fast path too: its files are read below
    return root / "data"


def screen_args(region: Path, out: Path) -> list[str]:
    # the registry as the GBK CSV: read through a UTF-8 copy in the temporary folder that an atexit handler removes
    return [
        "screen", "--units", str(region / "registry_sample.gbk.csv"), "--contributions", str(region / "contributions"),
        "--headcount", str(region / "headcount"), "--exclusions", str(region / "exclusions"), "--region", "150500",
        "--date", "2025-08-01", "--year", "2025", "--json", "--out", str(out),
    ]  # fmt: skip


def test_a_screen_ends_with_its_files_and_summary_complete(region: Path, tmp_path: Path) -> None:
    run = wengang(*screen_args(region, tmp_path / "out"), tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # the whole JSON reached the pipe
    assert summary["summary"]["total"] > 0 and set(summary["seconds"])
    out = tmp_path / "out"
    for name in ("results", "features", "quarantine"):
        pl.read_parquet(out / f"{name}.parquet")
    assert pl.read_parquet(out / "results.parquet").height == summary["summary"]["total"]
    for name in ("results", "publicity", "quarantine"):  # the Excel writers closed their files
        with zipfile.ZipFile(out / f"{name}.xlsx") as book:
            assert book.testzip() is None
    assert not list(tmp_path.glob("wengang-utf8-*"))  # the atexit handler removed the GBK file's UTF-8 copy
    for part in ("units", "contributions", "headcount", "exclusions"):  # demo-data's files, written by the fast path
        assert pl.read_parquet(region / part).height > 0


def test_a_screen_takes_the_fast_path(region: Path, tmp_path: Path) -> None:
    run = wengang(*screen_args(region, tmp_path / "out"), tmp=tmp_path, marked=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.removesuffix("@unflushed"))["summary"]["total"] > 0
    assert run.stdout.endswith("@unflushed")
    assert "@thread" in run.stderr and "@atexit" in run.stderr and "@teardown" not in run.stderr
    assert run.stderr.index("@thread") < run.stderr.index("@atexit")  # threads joined first, as Python's exit does


def test_a_refused_screen_ends_by_the_fast_path_with_its_exit_code(tmp_path: Path) -> None:
    run = wengang("screen", "--date", "2025-13-01", "--out", str(tmp_path / "out"), "--units", "u", tmp=tmp_path,
                  marked=True)  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.startswith("错误 / error: ") and "2025-13-01" in run.stderr
    assert "@thread" in run.stderr and "@atexit" in run.stderr and "@teardown" not in run.stderr
    assert run.stdout == "@unflushed"


def test_an_internal_error_in_a_screen_leaves_its_log_complete(region: Path, tmp_path: Path) -> None:
    run = wengang(*screen_args(region, tmp_path / "out"), tmp=tmp_path, marked=True, BREAK_SCREEN="1")
    assert run.returncode == 1
    # the marker thread writes after a second: on a loaded machine that can come before the screen's failure
    assert run.stderr.replace("@thread\n", "").startswith("内部错误（RuntimeError）") and "@teardown" not in run.stderr
    (log,) = (tmp_path / "state").glob("error-*.log")
    assert str(log) in run.stderr
    assert log.read_text("utf-8").rstrip().endswith("RuntimeError: a bug")


def test_other_commands_end_as_usual(tmp_path: Path) -> None:
    run = wengang("programs", tmp=tmp_path, marked=True)
    assert run.returncode == 0, run.stderr
    assert "fanhuan" in run.stdout and run.stdout.endswith("@unflushed")
    assert "@thread" in run.stderr and "@atexit" in run.stderr and "@teardown" in run.stderr


def test_a_profiled_screen_ends_as_usual(tmp_path: Path) -> None:
    # a profiler writes its results after the entry point returns: the fast path would lose them
    stats = tmp_path / "screen.prof"
    run = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "wengang", "screen", "--help"], capture_output=True,
        text=True, timeout=300, env={**os.environ, "PYTHONPATH": SRC},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert stats.stat().st_size > 0
