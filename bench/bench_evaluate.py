"""Evaluation over precomputed features vs. a hand-written Polars query of the same rule (the yardstick).

    python bench/bench_evaluate.py [--n 1000000]

The rule: 稳岗返还 under 内人社发〔2025〕18号 (通辽, 2025-08-01) with every interpretation switch at its
default. ``yardstick`` below is the same rule written by hand as one Polars query; the engine's result
must equal it row for row (checked), and its time is compared. The engine is also timed with the
switches left open (the real screening: 待认定 where a reading changes the outcome).
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date

import numpy as np
import polars as pl

from wengang.rules import interpretations
from wengang.screening.evaluate import screen_facts

ON = date(2025, 8, 1)


def synthetic_features(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    headcount = rng.lognormal(2.0, 1.3, n).astype(np.int64) + 1
    layoffs = np.where(rng.random(n) < 0.7, 0, rng.binomial(headcount, 0.06))
    org = rng.choice(["enterprise", "social_group", "law_firm", "public_institution"], n, p=[0.9, 0.04, 0.03, 0.03])
    size = np.where(headcount >= 300, "large", np.where(headcount >= 100, "medium", np.where(headcount >= 10, "small", "micro")))
    return pl.DataFrame(
        {
            "credit_code": [f"U{i:09d}" for i in range(n)],
            "region_code": rng.choice(["150502", "150521", "150581"], n),
            "org_type": org,
            "size_class": size,
            "months_fully_paid": rng.choice([6, 11, 12, 24, 36], n, p=[0.03, 0.02, 0.05, 0.3, 0.6]),
            "paid_premium_last_year_fen": headcount * rng.integers(20_000, 90_000, n),
            "backpay_other_years_fen": np.where(rng.random(n) < 0.05, rng.integers(1, 50_000, n), 0),
            "insured_headcount": headcount,
            "avg_insured_last_year": headcount,
            "layoffs_last_year": layoffs,
            "normal_attrition_last_year": rng.binomial(headcount, 0.03),
            "serious_dishonesty": rng.random(n) < 0.01,
            "zombie_clearance": rng.random(n) < 0.005,
            "env_noncompliant": rng.random(n) < 0.005,
            "has_corporate_account": rng.random(n) < 0.97,
        }
    )


def yardstick(lf: pl.LazyFrame) -> pl.LazyFrame:
    """内人社发〔2025〕18号 一, default readings, by hand."""
    ref_orgs = ["social_group", "foundation", "social_service_org", "law_firm", "accounting_firm", "individual_business"]
    laid, head = pl.col("layoffs_last_year"), pl.col("insured_headcount")
    covered = (pl.col("org_type") == "enterprise") | pl.col("org_type").is_in(ref_orgs)
    months = pl.col("months_fully_paid") >= 12
    layoff = (laid == 0) | (laid * 200 <= 11 * (laid + head)) | ((head <= 30) & (laid * 5 <= head))
    clean = ~pl.col("serious_dishonesty") & ~pl.col("zombie_clearance") & ~pl.col("env_noncompliant")
    ok = covered & months & layoff & clean
    large = (pl.col("org_type") == "enterprise") & (pl.col("size_class") == "large")
    base = pl.col("paid_premium_last_year_fen")
    amount = pl.when(large).then((2 * base * 3 + 10) // 20).otherwise((2 * base * 3 + 5) // 10)
    return lf.select(
        "credit_code",
        pl.when(ok).then(pl.lit("eligible")).otherwise(pl.lit("ineligible")).alias("status"),
        pl.when(ok).then(amount).alias("amount_fen"),
    )


def best_of(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    df = synthetic_features(args.n)
    from wengang.programs import load_all

    load_all()

    defaults = interpretations.defaults()

    def engine(fixed):
        lf, _ = screen_facts(df.lazy(), "fanhuan", ON, readings=fixed)
        return lf.select("credit_code", pl.col("status").cast(pl.String), "amount_fen").collect()

    ours = engine(defaults)
    hand = yardstick(df.lazy()).collect()
    joined = ours.join(hand, on="credit_code", suffix="_hand")
    mismatch = joined.filter(
        (pl.col("status") != pl.col("status_hand")) | pl.col("amount_fen").ne_missing(pl.col("amount_fen_hand"))
    )
    assert mismatch.height == 0, f"engine and yardstick disagree on {mismatch.height} rows: {mismatch.head()}"
    t_hand = best_of(lambda: yardstick(df.lazy()).collect())
    t_fixed = best_of(lambda: engine(defaults))
    t_open = best_of(lambda: engine({}))
    open_counts = engine({})["status"].value_counts().sort("status")
    print(f"machine: {platform.machine()}, python {platform.python_version()}, polars {pl.__version__}")
    print(f"rows: {args.n:,}  eligible: {ours['status'].eq('eligible').sum():,}")
    print(f"hand-written Polars query (yardstick): {t_hand:.3f} s")
    print(f"engine, readings fixed at defaults:     {t_fixed:.3f} s  ({t_fixed / t_hand:.2f}× yardstick)")
    print(f"engine, readings open (待认定 where they matter): {t_open:.3f} s  ({t_open / t_hand:.2f}× yardstick)")
    print(open_counts)


if __name__ == "__main__":
    main()
