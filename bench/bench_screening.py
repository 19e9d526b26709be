"""免申即享 end to end from Parquet: N units with 12 monthly rows each → results, with peak memory.

    python bench/bench_screening.py --units 1000000 [--data bench/data] [--keep]

Generates the region once (cached under --data), then times `run_screening` (ingest → validate and
quarantine → features, partitioned → rules → results.parquet; no Excel) and reports the peak RSS of
the process. Record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import time
from datetime import date
from pathlib import Path

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path("bench/data"))
    ap.add_argument("--partitions", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    args = ap.parse_args()
    data = args.data / f"tongliao-{args.units}"
    if not (data / "units").exists():
        t0 = time.perf_counter()
        generate_region(data, region_code="150500", n_units=args.units, year=2025, seed=0)
        print(f"generated {args.units:,} units in {time.perf_counter() - t0:.1f} s (not part of the timing)")
    out = args.data / f"out-{args.units}"
    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    report = run_screening(
        out,
        program="fanhuan",
        evaluation_date=date(2025, 8, 1),
        policy_year=2025,
        tables={k: data / k for k in TABLES},
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        partitions=args.partitions,
        excel=False,
    )
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    load1 = os.getloadavg()
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    contrib = next(r for r in report.reports if r.table == "contributions")
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"units {args.units:,}, monthly rows {contrib.rows_in:,}")
    print(f"end to end: {seconds:.1f} s; steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items()))
    print(f"peak RSS: {peak_gib:.2f} GiB; CPU {cpu:.1f} s (user+sys, all threads)")
    print(f"load average before {load0[0]:.2f}, after {load1[0]:.2f} (1 min)")
    print("status: " + ", ".join(f"{s} {n:,}" for s, n, _ in report.summary.by_status))
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
