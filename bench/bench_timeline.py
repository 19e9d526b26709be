"""Timeline of one `wengang` command: every Polars collect and Parquet write over 20 ms, with its thread and caller.

    python bench/bench_timeline.py screen --no-excel --units … --contributions … --out OUT --json

Runs the command in this process with ``LazyFrame.collect``, ``LazyFrame.sink_parquet`` and
``DataFrame.write_parquet`` wrapped; at exit prints, on stderr, each call's start and end (seconds from the start of
this script), its thread and the function that called it. The gaps between the lines are Python and eager Series
work on that thread. For docs/performance.md ("where the time goes"); CI times nothing.
"""

from __future__ import annotations

import atexit
import inspect
import runpy
import sys
import threading
import time
from typing import Any

import polars as pl

T0 = time.perf_counter()
CALLS: list[tuple[float, float, str, str, str]] = []


def _wrap(owner: type, name: str) -> None:
    inner = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        frame = inspect.stack()[1]
        caller = f"{frame.function}@{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        start = time.perf_counter() - T0
        try:
            return inner(*args, **kwargs)
        finally:
            CALLS.append((start, time.perf_counter() - T0, threading.current_thread().name, name, caller))

    setattr(owner, name, timed)


@atexit.register
def _show() -> None:
    print(f"{'start':>6} {'end':>6} {'s':>5}  {'thread':<22} {'call':<14} caller", file=sys.stderr)
    for start, end, thread, name, caller in sorted(CALLS):
        if end - start >= 0.02:
            print(f"{start:6.2f} {end:6.2f} {end - start:5.2f}  {thread[:22]:<22} {name:<14} {caller}", file=sys.stderr)
    print(f"total {time.perf_counter() - T0:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    _wrap(pl.LazyFrame, "collect")
    _wrap(pl.LazyFrame, "sink_parquet")
    _wrap(pl.DataFrame, "write_parquet")
    sys.argv = ["wengang", *sys.argv[1:]]
    runpy.run_module("wengang", run_name="__main__")
