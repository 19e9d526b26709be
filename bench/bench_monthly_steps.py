"""CPU of the raw screen's monthly steps in one process: the monthly rows' validation, or ``derive_features``.

    python bench/bench_monthly_steps.py validate DATA [--rounds 7]
    python bench/bench_monthly_steps.py features DATA [--rounds 7]

``DATA`` holds the raw tables as folders (``units``, ``contributions``, ``headcount``, ``exclusions``,
``stats_size``, ``deferrals``, ``dispatch``), as the 1 M raw screen reads them. The tables are validated as
``derive_features_partitioned`` validates one partition (the registry first, numbering the codes); then the
chosen step is run ``--rounds`` times and its CPU time (``time.process_time``, all threads) printed, with the
minimum and median. ``validate``: the monthly rows' ``validate_table`` (the rows read once beforehand, as the
screen reads them on a thread of their own). ``features``: ``derive_features`` and its collect. Run it with
``PYTHONPATH=<tree>/src`` for each tree to compare, interleaved (session 24, docs/performance.md).
"""

from __future__ import annotations

# ruff: noqa: E402  (the allocator is set before Polars and the project's modules are imported)
import argparse
import dataclasses
import statistics
import time
from datetime import date

from wengang.runtime import keep_freed_memory

# Polars' allocator set as `wengang screen` sets it (runtime.py), before Polars loads: without it every fresh
# 10^7-row column is faulted in and the steps cost more than they do in the command
keep_freed_memory([])

from wengang.screening.features import CODE_KEY, MONTH_INDEX, derive_features
from wengang.screening.pipeline import _read
from wengang.screening.quarantine import validate_table

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
KEY_COLUMN = {"dispatch": "dispatch_credit_code"}


def _validate(name, raw, shared):
    return validate_table(
        raw,
        key_out=CODE_KEY,
        key_column=KEY_COLUMN.get(name, "credit_code"),
        registry=name == "units",
        month_index_out=MONTH_INDEX if name == "contributions" else None,
        shared=shared,
        without=("credit_code", "month") if name == "contributions" else (),
        lazy=name == "contributions",
        registered_only=name == "contributions",
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("step", choices=("validate", "features"))
    ap.add_argument("data")
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    raws = {n: _read(n, f"{a.data}/{n}") for n in TABLES}
    shared: dict = {}
    results = {"units": _validate("units", raws["units"], shared)}
    monthly = dataclasses.replace(raws["contributions"], frame=raws["contributions"].frame.collect(engine="streaming").lazy())
    if a.step == "features":
        for n in TABLES[1:]:
            results[n] = _validate(n, monthly if n == "contributions" else raws[n], shared)
    times = []
    for _ in range(a.rounds):
        t = time.process_time()
        if a.step == "validate":
            # the registry's verdicts are shared by every round, as by the one validation of a run
            _validate("contributions", monthly, dict(shared))
        else:
            accepted = {n: r.accepted for n, r in results.items()}
            derive_features(
                accepted.pop("units"),
                accepted.pop("contributions"),
                policy_year=2025,
                evaluation_date=date(2025, 8, 1),
                latest_month="2025-07",
                with_provenance=True,
                legal_entities=False,
                **accepted,
            ).collect(engine="streaming")
        times.append(time.process_time() - t)
        print(f"{a.step}: {times[-1]:.3f} CPU-s", flush=True)
    print(f"{a.step}: min {min(times):.3f} CPU-s, median {statistics.median(times):.3f} CPU-s")


if __name__ == "__main__":
    main()
