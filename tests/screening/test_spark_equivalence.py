"""The Spark backend gives the embedded result, row by row and fen by fen, on 100,000 units."""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

pytestmark = pytest.mark.spark

N_UNITS = 100_000


@pytest.fixture(scope="module")
def facts_path(tmp_path_factory):
    from wengang.screening.demo_data import allowed_regions_for, generate_region
    from wengang.screening.pipeline import run_screening

    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (apt-get install openjdk-17-jre-headless)")
    root = tmp_path_factory.mktemp("spark")
    paths = generate_region(root / "data", region_code="150500", n_units=N_UNITS, year=2025, seed=7)
    tables = {k: paths[k] for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")}
    report = run_screening(
        root / "embedded",
        program="fanhuan",
        evaluation_date=date(2025, 8, 1),
        policy_year=2025,
        tables=tables,
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        excel=False,
    )
    return root, report


def test_spark_equals_embedded(facts_path):
    from wengang.screening.spark import local_session, screen_facts_spark

    root, report = facts_path
    embedded = pl.read_parquet(root / "embedded" / "results.parquet").with_columns(pl.col("status").cast(pl.String))
    assert embedded.height >= N_UNITS * 0.99  # a few deliberately bad rows are quarantined
    statuses = set(embedded["status"].unique())
    assert {"eligible", "ineligible"} <= statuses  # the comparison covers refusals and grants

    # the same facts as a folder of 4 files, as a large table is stored: Spark reads it in 4 partitions
    features = pl.read_parquet(root / "embedded" / "features.parquet")
    (root / "features-split").mkdir()
    for i, part in enumerate(features.iter_slices(-(-features.height // 4))):
        part.write_parquet(root / "features-split" / f"part-{i}.parquet")
    spark = local_session()
    try:
        # sharded by unit into 8 partitions; then without a shuffle (the default when the input already has
        # a partition per core)
        facts = spark.read.parquet(str(root / "embedded" / "features.parquet"))
        out = screen_facts_spark(spark, facts, "fanhuan", date(2025, 8, 1), partitions=8)
        out.write.mode("overwrite").parquet(str(root / "spark"))
        facts = spark.read.parquet(str(root / "features-split"))
        assert facts.rdd.getNumPartitions() >= spark.sparkContext.defaultParallelism
        out = screen_facts_spark(spark, facts, "fanhuan", date(2025, 8, 1))
        assert "Exchange" not in out._jdf.queryExecution().executedPlan().toString()  # no shuffle
        out.write.mode("overwrite").parquet(str(root / "spark-unshuffled"))
    finally:
        spark.stop()
    # the decisions against the raw screen's results; the payment holds against the same facts → results step
    # run embedded (the raw screen adds holds for units whose quarantined rows could stop a payment, and the
    # Spark job starts from the facts table, after quarantine)
    from wengang.screening.evaluate import screen_facts

    decided = ["status", "amount_fen", "reasons", "flags", "readings", "outcomes", "policy_id", "policy_number",
               "policy_clause", "ruleset"]  # fmt: skip
    held = ["payment_hold", "payment_hold_reason"]
    step, _ = screen_facts(pl.scan_parquet(root / "embedded" / "features.parquet"), "fanhuan", date(2025, 8, 1))
    step = step.select("credit_code", *held).collect()
    expected = embedded.select("credit_code", *decided).join(step, on="credit_code", how="left").sort("credit_code")
    cols = ["credit_code", *decided, *held]
    for folder in ("spark", "spark-unshuffled"):
        b = pl.read_parquet(root / folder / "*.parquet").select(cols).sort("credit_code")
        assert expected.height == b.height
        diff = expected.join(b, on="credit_code", how="full", suffix="_spark", nulls_equal=True)
        for c in cols[1:]:
            mismatched = diff.filter(pl.col(c).ne_missing(pl.col(c + "_spark")))
            assert mismatched.height == 0, f"{folder}: {c} differs for {mismatched.height} units, e.g. {mismatched.head(3)}"
        assert expected["amount_fen"].sum() == b["amount_fen"].sum()
