"""CPU and wall of each step of the 1 M one-partition raw screen, run one after another (no overlap).

    PYTHONPATH=src python bench/bench_steps.py DATA [fanhuan.key=value ...]

``DATA`` holds the raw tables as folders (``units``, ``contributions``, ``headcount``, ``exclusions``, ``stats_size``,
``deferrals``, ``dispatch``), as ``wengang demo-data`` writes them. Each step is the one ``derive_features_partitioned``
and ``run_screening`` take for one partition, in the same order, but alone: what each costs (process CPU, all
threads) when nothing runs beside it — the run itself overlaps them on two threads. The readings given are fixed for
the rules (none: every reading open). For docs/performance.md ("the CPU the run spends beyond the floor"); CI times
nothing.
"""

from __future__ import annotations

# ruff: noqa: E402  (the allocator is set before Polars and the project's modules are imported)
import dataclasses
import functools
import resource
import sys
import time
from datetime import date
from pathlib import Path

from wengang.runtime import keep_freed_memory

# Polars' allocator set as `wengang screen` sets it (runtime.py), before Polars loads: without it every fresh
# 10^7-row column is faulted in and the steps cost more than they do in the command
keep_freed_memory([])

from wengang.screening.evaluate import RESULT_COLUMNS, screen_facts
from wengang.screening.features import (
    CODE_KEY,
    MONTH_INDEX,
    FeatureParams,
    _key_of,
    _lazy,
    _legal_entity_rows,
    _with_legal_entity_averages,
    _with_legal_entity_classes,
    add_contributions,
    monthly_aggregate,
    unit_features,
)
from wengang.screening.output import PLAN_TEXTS, write_parquet
from wengang.screening.pipeline import RESULT_BOOKS, RESULT_ID_COLUMNS, _read, _warm_up, latest_month_of
from wengang.screening.quarantine import registry_numbers, validate_table
from wengang.screening.schemas import FEATURE_BOOKS

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
KEY_COLUMN = {"dispatch": "dispatch_credit_code"}
ON = date(2025, 8, 1)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    data, readings = Path(sys.argv[1]), dict(a.split("=", 1) for a in sys.argv[2:])
    out = Path("/tmp/bench_steps")
    out.mkdir(exist_ok=True)
    rows: list[tuple[str, float, float]] = []
    last = [time.perf_counter(), _cpu()]

    def mark(label: str) -> None:
        wall, cpu = time.perf_counter(), _cpu()
        rows.append((label, wall - last[0], cpu - last[1]))
        last[:] = [wall, cpu]

    raws = {n: _read(n, str(data / n)) for n in TABLES}
    shared: dict = {}

    def validate(name: str, raw=None):
        return validate_table(
            raw or raws[name], key_out=CODE_KEY, key_column=KEY_COLUMN.get(name, "credit_code"),
            registry=name == "units", month_index_out=MONTH_INDEX if name == "contributions" else None,
            shared=shared, without=("credit_code", "month") if name == "contributions" else (),
            lazy=name == "contributions", registered_only=name == "contributions",
        )  # fmt: skip

    mark("open the tables")
    monthly_rows = raws["contributions"].frame.collect(engine="streaming")
    mark("read the monthly rows")
    res = {"units": validate("units")}
    mark("read and validate the registry")
    monthly = validate("contributions", dataclasses.replace(raws["contributions"], frame=monthly_rows.lazy()))
    del monthly_rows
    mark("validate the monthly rows")
    for name in TABLES[2:]:
        res[name] = validate(name)
    mark("validate the five small tables")
    units = res["units"].accepted
    per_unit = unit_features(
        units, policy_year=2025, evaluation_date=ON, **{n: res[n].accepted for n in TABLES[2:]}
    ).collect(engine="streaming")
    mark("unit features")
    le = _legal_entity_rows(per_unit, functools.partial(registry_numbers, shared))  # as derive_partition does
    per_unit = _with_legal_entity_classes(per_unit, *le)
    mark("legal entities' classes")
    p = FeatureParams(2025, ON, latest_month_of(monthly.months["month"], evaluation_date=ON), None)
    key = _key_of(units, monthly.accepted)
    aggregate = monthly_aggregate(_lazy(monthly.accepted), p, key).collect(engine="streaming")
    mark("aggregate the monthly rows")
    feats = add_contributions(
        per_unit, aggregate, key, evaluation_date=ON, with_provenance=True, legal_entities=False
    ).collect(engine="streaming")
    feats = _with_legal_entity_averages(feats, *le)
    mark("join the aggregate")
    write_parquet(feats, out / "features.parquet", books=FEATURE_BOOKS)
    mark("write features.parquet")
    _warm_up("fanhuan")
    mark("load the program and policies")
    regions = feats.get_column("region_code").unique().drop_nulls().to_list()
    results, _ = screen_facts(feats, "fanhuan", ON, readings=readings, regions=regions)
    names = results.collect_schema().names()
    decided = results.select([c for c in (*RESULT_ID_COLUMNS, *RESULT_COLUMNS) if c in names]).collect()
    mark("the rules")
    write_parquet(decided, out / "results.parquet", constant=PLAN_TEXTS, books=RESULT_BOOKS)
    mark("write results.parquet")
    for label, wall, cpu in rows:
        print(f"{label:34} wall {wall:6.3f} s  CPU {cpu:6.3f} s")
    print(f"{'all':34} wall {sum(r[1] for r in rows):6.3f} s  CPU {sum(r[2] for r in rows):6.3f} s")


if __name__ == "__main__":
    main()
