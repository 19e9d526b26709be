"""Risk checks over N people with ~3 N certificates (all eight checks, from Parquet), with peak memory.

    python bench/bench_risk.py --people 1000000 [--data bench/data] [--engine streaming]
                               [--memory-limit GiB | --partitions N]

Generates the tables once (cached under --data, not timed: ``wengang.risk.demo`` with 12 certificates per
evaluation body, one a month, so the clean population raises no cluster), then times
``wengang.risk.batch.screen`` over ``scan_parquet`` of the files — every check's lazy plan collected together,
then gating by the document in force; partition by partition when the input is large (``--memory-limit``,
``--partitions``: ``wengang risk screen``'s options) — and reports flags, wall and CPU time, the peak RSS of the process and
the 1-minute load before and after. The bar (design.md, issue 15): 10 M people with 30 M certificates in
≤ 120 s and ≤ 8 GB. Record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

import polars as pl

from wengang.risk import batch, demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path("bench/data"))
    ap.add_argument("--engine", default="auto", choices=("auto", "in-memory", "streaming"))
    ap.add_argument("--memory-limit", type=float, default=None, help="GiB: sets the partition size")
    ap.add_argument("--partitions", type=int, default=None, help="number of partitions (overrides the limit)")
    args = ap.parse_args()
    data = args.data / f"risk-{args.people}"
    if not (data / "dispatch_allocations.parquet").exists():
        t0 = time.perf_counter()
        demo.write(data, demo.generate(args.people, certs_per_person=3, certs_per_body=12, planted=3))
        print(
            f"generated {args.people:,} people in {time.perf_counter() - t0:.1f} s (not part of the timing)"
        )
    tables = {name: pl.scan_parquet(data / f"{name}.parquet") for name in batch.TABLES}
    n_certs = tables["certificates"].select(pl.len()).collect().item()
    load0 = os.getloadavg()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run = batch.screen(
        tables, on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS, engine=args.engine,
        partitions=args.partitions, memory_limit_gib=args.memory_limit,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    expected = demo.expected_counts(3)
    print(f"people {args.people:,}  certificates {n_certs:,}  engine {args.engine}  partitions {run.partitions}  cores {os.cpu_count()}  "
          f"polars {pl.__version__}  python {platform.python_version()}")  # fmt: skip
    print(
        f"flags {run.flags.height} ({'as planted' if run.counts == expected else f'NOT as planted: {run.counts}'})"
    )
    print("steps (wall / CPU) " + "  ".join(f"{k} {w:.1f} / {c:.1f} s" for k, (w, c) in run.steps.items()))
    print(f"wall {wall:.1f} s  cpu {cpu:.1f} s  peak RSS {r1.ru_maxrss / 1024 / 1024:.2f} GB  "
          f"load(1 min) before {load0[0]:.1f} after {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
