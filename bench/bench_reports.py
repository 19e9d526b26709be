"""Reports over N synthetic decisions: statistics (region, size class, industry, program, reasons) and the
HTML + XLSX report, from a results.parquet / features.parquet pair as `wengang screen` writes them.

    python bench/bench_reports.py --rows 1000000 [--data /tmp/bench-reports]

The rows are synthetic (not decided by the rules): 8 regions, 5 size classes, 20 industry sections, four
statuses, a few reason codes. Generation is not timed. Record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl

from wengang.reports.report import write_report
from wengang.reports.statistics import from_results

REGIONS = ["150502", "150521", "150522", "150523", "150524", "150525", "150526", "150581"]


def generate(folder: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    status = rng.choice(
        ["eligible", "ineligible", "needs_decision", "not_determinable"], n, p=[0.6, 0.2, 0.1, 0.1]
    )
    frame = pl.DataFrame(
        {
            "i": np.arange(n),
            "region_code": rng.choice(REGIONS, n),
            "size_class": rng.choice(["large", "medium", "small", "micro", ""], n),
            "status": status,
            "amount": rng.integers(10_000, 50_000_000, n),
            "why": rng.choice(["min_months", "layoff", "excluded:dishonest"], n),
            "section": rng.choice(list("ABCDEFGHIJKLMNOPQRST"), n),
        }
    ).with_columns(pl.format("91150000MA{}", pl.col("i").cast(pl.String).str.zfill(8)).alias("credit_code"))
    eligible = pl.col("status") == "eligible"
    frame.select(
        "credit_code",
        pl.format("单位{}", "i").alias("name"),
        "region_code",
        pl.when(pl.col("size_class") != "").then(pl.col("size_class")).alias("size_class"),
        pl.col("status").cast(pl.Enum(["eligible", "ineligible", "needs_decision", "not_determinable"])),
        pl.when(eligible).then(pl.col("amount")).alias("amount_fen"),
        pl.when(pl.col("status") == "ineligible").then(pl.col("why")).otherwise(pl.lit("")).alias("reasons"),
        pl.lit("im-2025-18").alias("policy_id"),
        pl.lit("v2024").alias("ruleset"),
    ).write_parquet(folder / "results.parquet", compression="lz4")
    frame.select("credit_code", (pl.col("section") + "5211").alias("industry_code")).write_parquet(
        folder / "features.parquet", compression="lz4"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path("/tmp/bench-reports"))
    args = ap.parse_args()
    folder = args.data / f"decisions-{args.rows}"
    if not (folder / "results.parquet").exists():
        t0 = time.perf_counter()
        generate(folder, args.rows)
        print(f"generated {args.rows:,} decisions in {time.perf_counter() - t0:.1f} s (not timed)")
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    t0 = time.perf_counter()
    st = from_results([folder])
    t1 = time.perf_counter()
    write_report(args.data / f"report-{args.rows}", title="基准", unit="基准", period="基准", statistics=st)
    t2 = time.perf_counter()
    use = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu = use.ru_maxrss / 1024, use.ru_utime + use.ru_stime - cpu0
    print(
        f"rows {st.units:,}  statistics {t1 - t0:.2f} s  report files {t2 - t1:.2f} s  total {t2 - t0:.2f} s  "
        f"CPU {cpu:.2f} s  peak RSS {peak:.0f} MB  load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
