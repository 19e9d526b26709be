"""Where one table's ``validate_table`` spends its CPU: exclusive time per helper and per Polars call site.

    python bench/bench_validate_steps.py DATA contributions|units|headcount|… [--rounds 3] [--min-ms 3]

``DATA`` holds the raw tables as folders, as the 1 M raw screen reads them. The registry is validated first (the
numbering later tables use) and the chosen table read once; then it is validated ``--rounds`` times with the
column checks run one after another (the two-thread pool replaced by one that runs each task at once), so the
process CPU between two stamps belongs to one step. Timed: the module's helpers (``_rle_id``,
``_value_numbers``, ``_duplicates_in_runs``, …) and every ``LazyFrame.collect`` and a few eager
``Series``/``DataFrame`` methods, by the function and line that called them; each figure excludes the timed
calls made inside it. The last round's figures are printed, largest first. The sum is the validation's CPU as
run serially (the pipeline runs the code and month checks side by side: its CPU is about the same). Run it with
``PYTHONPATH=<tree>/src`` for each tree to compare (session 27, docs/performance.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import dataclasses
import functools
import inspect
import time
from collections import defaultdict
from typing import Any

import polars as pl

import wengang.screening.quarantine as Q
from wengang.screening.features import CODE_KEY, MONTH_INDEX
from wengang.screening.pipeline import _read

HELPERS = (
    "_per_distinct", "_rle_id", "_runs", "_view_runs", "_value_numbers", "_all_distinct", "_registry_key", "_rows_with",
    "_duplicates_in_runs", "_integer_bounds", "_few_values", "_reads_as_written", "_quarantine_frame",
    "_good_rows", "_paid_before_start", "credit_code_reasons_if_formed",
)
TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
STACK: list[list[float]] = []


class _Serial:
    """A stand-in for the thread pool: each task runs when submitted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *args: Any) -> None:
        return None

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> cf.Future:
        done: cf.Future = cf.Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 — handed back as the pool would
            done.set_exception(exc)
        return done


def _timed(label: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        STACK.append([0.0, 0.0])
        try:
            return fn(*args, **kwargs)
        finally:
            dw, dc = time.perf_counter() - w, time.process_time() - c
            inner = STACK.pop()
            t = TIMES[label]
            t[0] += dw - inner[0]
            t[1] += dc - inner[1]
            t[2] += 1
            if STACK:
                STACK[-1][0] += dw
                STACK[-1][1] += dc

    return run


def _by_caller(owner: type, name: str, prefix: str) -> None:
    inner = getattr(owner, name)

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        where = f"{caller.f_code.co_name}:{caller.f_lineno}" if caller is not None else "?"
        return _timed(f"{prefix}.{name}@{where}", inner)(self, *args, **kwargs)

    setattr(owner, name, call)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("table")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min-ms", type=float, default=3.0)
    a = ap.parse_args()
    key_column = "dispatch_credit_code" if a.table == "dispatch" else "credit_code"

    def validate(raw: Any, shared: dict, name: str) -> Any:
        return Q.validate_table(
            raw, key_out=CODE_KEY, key_column=key_column if name == a.table else "credit_code",
            registry=name == "units", month_index_out=MONTH_INDEX if name == "contributions" else None,
            shared=shared, without=("credit_code", "month") if name == "contributions" else (),
            lazy=name == "contributions", registered_only=name == "contributions",
        )

    shared: dict = {}
    registry = _read("units", f"{a.data}/units")
    validate(registry, shared, "units")
    raw = _read(a.table, f"{a.data}/{a.table}")
    raw = dataclasses.replace(raw, frame=raw.frame.collect(engine="streaming").lazy())
    Q.ThreadPoolExecutor = _Serial  # type: ignore[misc,assignment]
    for name in HELPERS:
        if hasattr(Q, name):
            setattr(Q, name, _timed(name, getattr(Q, name)))
    _by_caller(pl.LazyFrame, "collect", "LazyFrame")
    for name in ("gather", "filter", "rechunk", "hash", "cast", "equals", "is_null"):
        _by_caller(pl.Series, name, "Series")
    for name in ("select", "with_columns", "gather", "filter", "join"):
        _by_caller(pl.DataFrame, name, "DataFrame")
    totals = []
    for _ in range(a.rounds):
        TIMES.clear()
        c = time.process_time()
        validate(raw, {} if a.table == "units" else dict(shared), a.table)
        totals.append(time.process_time() - c)
    print(f"{a.table}: CPU per validation {', '.join(f'{t:.3f}' for t in totals)} s (serial)")
    for label, (w, c, n) in sorted(TIMES.items(), key=lambda kv: -kv[1][1]):
        if max(w, c) * 1000 >= a.min_ms:
            print(f"  {label:58} ×{n:<3} CPU {c:6.3f} s  wall {w:6.3f} s")


if __name__ == "__main__":
    main()
