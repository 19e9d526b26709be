"""Spark backend: run the embedded rules on each partition of a facts table, identical results.

Spark does what it is good at — reading a large table, spreading it over partitions (sharded by
统一社会信用代码 when asked to, or when the file gives fewer partitions than there are cores), scheduling
partitions on many machines — and each partition runs exactly the embedded code path
(``screening.evaluate.screen_facts``: the same compiled Polars expressions) through ``mapInArrow``.
There is no second implementation of any rule, so the cluster and the laptop agree fen for fen.

What it covers: the facts → results step only. Reading the raw tables, validation and quarantine, the
features (``wengang screen`` → ``features.parquet``) and the payment holds the raw screen adds for units whose
quarantined rows could stop a payment run embedded; the Spark job starts from the facts table.

On a cluster (see README, "在集群上运行")::

    spark-submit --master yarn --conf spark.executorEnv.PYSPARK_PYTHON=./venv/bin/python \
        --archives wengang-venv.tar.gz#venv .../wengang/screening/spark.py --facts ... --out ... --date ...

Speed and the size at which Spark pays: docs/performance.md ("Spark against the embedded engine").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import pyarrow as pa

RESULT_FIELDS = [
    ("status", pa.string()),
    ("amount_fen", pa.int64()),
    ("reasons", pa.string()),
    ("flags", pa.string()),
    ("readings", pa.string()),
    ("outcomes", pa.string()),
    ("policy_id", pa.string()),
    ("policy_number", pa.string()),
    ("policy_clause", pa.string()),
    ("ruleset", pa.string()),
    ("payment_hold", pa.bool_()),
    ("payment_hold_reason", pa.string()),
]

# rows decided per call of ``screen_facts`` in a partition: each call plans and optimises the compiled rules
# once (≈ 0.1 s of CPU), so Spark's Arrow batches (10,000 rows by default) are gathered into calls this large
ROWS_PER_CALL = 200_000


def local_session(app_name: str = "wengang", cores: int = 2, memory: str = "4g") -> Any:
    """A local Spark session that uses this interpreter for workers (tests, one machine)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(cores * 4))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _partition_screener(
    program: str,
    on: date,
    readings: Mapping[str, str] | None,
    settings: Mapping[str, Any] | None,
    include_drafts: bool,
    output_schema: pa.Schema,
    rows_per_call: int = ROWS_PER_CALL,
):
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import polars as pl

        from wengang.screening.evaluate import screen_facts

        def decide(held: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            frame = pl.from_arrow(pa.Table.from_batches(held))
            assert isinstance(frame, pl.DataFrame)
            present = sorted(frame["region_code"].drop_nulls().cast(pl.String).unique().to_list())
            result, _ = screen_facts(
                frame.lazy(),
                program,
                on,
                readings=readings,
                settings=settings,
                include_drafts=include_drafts,
                regions=present,
            )
            out = result.with_columns(pl.col("status").cast(pl.String)).collect().to_arrow()
            out = out.select(output_schema.names).cast(output_schema)
            yield from out.to_batches()

        held: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            held.append(batch)
            rows += batch.num_rows
            if rows >= rows_per_call:
                yield from decide(held)
                held, rows = [], 0
        if held:
            yield from decide(held)

    return run


def screen_facts_spark(
    spark: Any,
    facts: Any,
    program: str,
    on: date,
    *,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    partitions: int | None = None,
    key: str = "credit_code",
    keep: Sequence[str] | None = None,
) -> Any:
    """Screen a Spark DataFrame of derived facts; returns a Spark DataFrame of facts + results.

    ``keep``: the facts columns returned beside the results (default: all). ``wengang screen`` writes
    ``pipeline.RESULT_ID_COLUMNS`` (the facts stay in features.parquet); each column not sent back is one
    Spark need not convert from Arrow, row by row, in the JVM.
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    # one row per unit and every row decided on its own: the shuffle by unit only spreads the work. Spark
    # already splits a file into about as many partitions as it has cores, so without ``partitions`` the
    # input is shuffled only when it has fewer partitions than that (a shuffle was half the job at 1 M units)
    cores = max(spark.sparkContext.defaultParallelism, 1)
    if partitions:
        sharded = facts.repartition(partitions, key)
    elif facts.rdd.getNumPartitions() < cores:
        sharded = facts.repartition(cores * 2, key)
    else:
        sharded = facts
    in_schema = to_arrow_schema(sharded.schema)
    kept = [f for f in in_schema if keep is None or f.name in keep]
    out_schema = pa.schema(kept + [pa.field(name, typ) for name, typ in RESULT_FIELDS])
    fn = _partition_screener(program, on, readings, settings, include_drafts, out_schema)
    return sharded.mapInArrow(fn, from_arrow_schema(out_schema))


def main(argv: list[str] | None = None) -> None:
    """Entry point for ``spark-submit``: screen a derived-facts Parquet table on the cluster.

        spark-submit --master yarn ... -m wengang.screening.spark \\
            --facts hdfs:///wengang/2025/features --out hdfs:///wengang/2025/results \\
            --program fanhuan --date 2025-08-01 [--reading name=key ...] [--partitions 400]
    """
    import argparse

    from pyspark.sql import SparkSession

    from wengang.evaluate import parse_settings
    from wengang.inputs import parse_date
    from wengang.programs import load_all
    from wengang.rules import interpretations
    from wengang.screening.pipeline import RESULT_ID_COLUMNS

    load_all()

    ap = argparse.ArgumentParser(prog="wengang.screening.spark", description="稳岗：在 Spark 集群上筛查事实表")
    ap.add_argument("--facts", required=True, help="派生事实表（Parquet，每单位一行）")
    ap.add_argument("--out", required=True, help="结果输出目录（Parquet）")
    ap.add_argument("--program", default="fanhuan")
    ap.add_argument("--date", required=True, help="审核日期 YYYY-MM-DD")
    ap.add_argument("--reading", action="append", default=[], help="认定政策解释 名称=取值")
    ap.add_argument("--setting", action="append", default=[], help="地区设置 名称=取值")
    ap.add_argument("--drafts", action="store_true")
    ap.add_argument("--partitions", type=int, default=None)
    ap.add_argument(
        "--results-only", action="store_true", help="只写单位标识与结果列（同 wengang screen 的 results.parquet）"
    )
    args = ap.parse_args(argv)
    spark = SparkSession.builder.appName("wengang-screen").getOrCreate()
    settings = parse_settings(dict(s.split("=", 1) for s in args.setting))
    out = screen_facts_spark(
        spark,
        spark.read.parquet(args.facts),
        args.program,
        parse_date(args.date, "审核日期 --date", "--date"),
        readings=interpretations.parse_fixed(args.reading),
        settings=settings,
        include_drafts=args.drafts,
        partitions=args.partitions,
        keep=RESULT_ID_COLUMNS if args.results_only else None,
    )
    out.write.mode("overwrite").parquet(args.out)
    spark.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
