"""Benchmark: ingest + validate + derive features from a synthetic region.

    python bench/bench_features.py --units 1000000
    python bench/bench_features.py --units 10000000 --partitions 16

Generates the region under ``--data`` (default ``/tmp/wengang-bench/<units>``) if it is missing, then
times each stage and prints seconds and peak RSS (``resource.getrusage``, max resident set of this
process). With ``--partitions N`` (N > 1) the partitioned path is used (hash partitions of the credit
code, each validated and derived in bounded memory).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.features import derive_features, derive_features_partitioned
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

SIDE = ("headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--region", default="150500")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--partitions", type=int, default=1)
    ap.add_argument("--chunk-units", type=int, default=500_000)
    args = ap.parse_args(argv)
    data = args.data or Path(f"/tmp/wengang-bench/{args.units}")
    d = date(args.year, 1, 15)
    allowed = allowed_regions_for(args.region, args.year)

    if not (data / "units").exists() or not any((data / "units").glob("*.parquet")):
        t = time.perf_counter()
        generate_region(data, args.region, args.units, args.year, seed=0, chunk_units=args.chunk_units)
        print(
            f"generate       {time.perf_counter() - t:8.1f} s  (peak RSS {peak_rss_mb():,.0f} MB)", flush=True
        )
    rows = pl.scan_parquet(data / "contributions" / "*.parquet").select(pl.len()).collect().item()
    print(f"units {args.units:,}  monthly rows {rows:,}  partitions {args.partitions}", flush=True)

    t0 = time.perf_counter()
    raws = {nm: read_table(data / nm, nm) for nm in ("units", "contributions", *SIDE)}
    if args.partitions > 1:
        run = derive_features_partitioned(
            raws.pop("units"),
            raws.pop("contributions"),
            data / "out",
            policy_year=args.year,
            evaluation_date=d,
            partitions=args.partitions,
            allowed_regions=allowed,
            others=raws,
        )
        total = time.perf_counter() - t0
        for rep in run.reports.values():
            print(
                f"  {rep.table:14s} in {rep.rows_in:>12,} accepted {rep.accepted:>12,} quarantined {rep.quarantined:>8,}"
            )
        print(f"features rows {run.rows:,}")
    else:
        t = time.perf_counter()
        acc = {}
        for nm, raw in raws.items():
            res = validate_table(raw, allowed_regions=allowed)
            acc[nm] = res.accepted
            r = res.report
            assert r.reconciles
            print(
                f"  {nm:14s} in {r.rows_in:>12,} accepted {r.accepted:>12,} quarantined {r.quarantined:>8,}"
            )
        t_val = time.perf_counter() - t
        print(f"ingest+validate {t_val:7.1f} s  (peak RSS {peak_rss_mb():,.0f} MB)", flush=True)
        t = time.perf_counter()
        feats = derive_features(
            acc.pop("units"), acc.pop("contributions"), policy_year=args.year, evaluation_date=d, **acc
        ).collect(engine="streaming")
        t_der = time.perf_counter() - t
        print(f"derive          {t_der:7.1f} s  rows {feats.height:,} cols {feats.width}")
        total = time.perf_counter() - t0
    print(f"TOTAL ingest+validate+derive {total:.1f} s   peak RSS {peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
