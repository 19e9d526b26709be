"""Spark backend: check and decide each partition of a facts table with the embedded code, identical results.

Spark does what it is good at — reading a large table, spreading it over partitions, scheduling partitions on
many machines — and each partition runs exactly the embedded code path through ``mapInArrow``: the facts table's
validation (``pipeline.validate_facts``, the check of ``wengang screen --facts``: bad rows quarantined with their
reasons, a repeated key quarantined as 键重复) and then the rules (``screening.evaluate.screen_facts``: the same
compiled Polars expressions) on the accepted rows. There is no second implementation of any check or rule, so the
cluster and the laptop agree fen for fen. A row key that repeats must be seen by one partition: the rows are
spread by the program's key (``pipeline.facts_key``: 统一社会信用代码 for a unit program, the application or the
person for a people program), and a table read without a shuffle is first looked through for repeated keys
(a pass over the key column only) and shuffled by its key when it has any.

What it covers: the facts → results step only. Reading the raw tables, their validation and quarantine, the
features (``wengang screen`` → ``features.parquet``) and the payment holds the raw screen adds for units whose
quarantined rows could stop a payment are the embedded run's. The command line (:func:`main`) therefore takes that
run's holds (``--holds <its results.parquet>``); without them it does not say that nothing is held: an eligible
row the rules did not hold is written held (``payment_hold`` true, the reason saying why), any other row with
``payment_hold`` empty (null) — fail closed (README, "在集群上运行").

On a cluster (see README, "在集群上运行")::

    spark-submit --master yarn --conf spark.executorEnv.PYSPARK_PYTHON=./venv/bin/python \\
        --archives wengang-venv.tar.gz#venv .../wengang/screening/spark.py --facts ... --out ... --date ...

Speed and the size at which Spark pays: docs/performance.md ("Spark against the embedded engine").
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

# the columns of the decision, after the facts kept (``screening.evaluate.RESULT_COLUMNS``)
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
    ("amount_is_cap", pa.bool_()),
]
# a quarantined row, as the embedded run's quarantine.parquet has it
QUARANTINE_FIELDS = [
    ("source_file", pa.string()),
    ("source_row", pa.int64()),
    ("field", pa.string()),
    ("value", pa.string()),
    ("reason_zh", pa.string()),
    ("reason_en", pa.string()),
]
COUNT_FIELDS = [("rows_in", pa.int64()), ("accepted", pa.int64()), ("quarantined", pa.int64())]
# one stream out of each partition: results, quarantined rows and the partition's counts, told apart by this column
KIND = "__wg_kind__"
Q_PREFIX, N_PREFIX = "__wg_q_", "__wg_n_"
# where each row came from (Parquet's file and row index): the quarantine names the file and row as the file has them
FILE_COL, ROW_COL = "__wg_file__", "__wg_row__"
PKEY_COL = "__wg_pkey__"

# rows decided per call of ``screen_facts`` in a partition: each call plans and optimises the compiled rules
# once (≈ 0.1 s of CPU), so a partition's accepted rows are decided in calls this large. (A partition is checked
# whole: a repeated key is found only among the rows checked together.)
ROWS_PER_CALL = 200_000

UNVERIFIED_HOLD_ZH = "未核对原始数据筛查的暂缓发放名单（Spark 运行未给出 --holds）：核对后再发放"
UNVERIFIED_HOLD_EN = "the raw screen's payment holds were not checked (the Spark run had no --holds): pay once checked"
NOT_IN_HOLDS_ZH = "原始数据筛查的结果（--holds）中没有该单位（人员）：核对后再发放"
NOT_IN_HOLDS_EN = "not in the raw screen's results given with --holds: pay once checked"


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


def _plain(t: pa.DataType) -> pa.DataType:
    """An Arrow type Spark takes: text as ``string``, a dictionary (Polars' Enum) as its values, lists likewise."""
    if pa.types.is_dictionary(t):
        return _plain(t.value_type)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    if pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.list_(_plain(t.value_type))
    if pa.types.is_list(t):
        return pa.list_(_plain(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain(f.type)) for f in t])
    return t


@dataclass(frozen=True)
class _Job:
    program: str
    on: date
    readings: Mapping[str, str] | None
    settings: Mapping[str, Any] | None
    include_drafts: bool
    region_data: tuple[tuple[str, bytes], ...]  # (file name, contents): read on the driver, shipped to the workers
    keep: tuple[str, ...] | None
    source: str  # the facts table as given (a row without its file: named by this)
    rows_per_call: int = ROWS_PER_CALL
    allowed_regions: frozenset[str] | None = None  # ``--region``: rows of other regions quarantined


def _region_files(data: tuple[tuple[str, bytes], ...]) -> tuple[str, ...]:
    """The region data files on this machine: the driver's contents written once per worker process."""
    if not data:
        return ()
    digest = hashlib.sha256(b"".join(n.encode() + b"\0" + c for n, c in data)).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"wengang-region-data-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}"
    paths = []
    for i, (name, contents) in enumerate(data):
        path = folder / str(i) / name
        if not path.exists() or path.read_bytes() != contents:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
            tmp.write_bytes(contents)
            os.replace(tmp, path)
        paths.append(str(path))
    return tuple(paths)


def _check_and_decide(table: pa.Table, job: _Job) -> tuple[pa.Table, pa.Table, tuple[int, int, int]]:
    """One partition's rows (Arrow): validated as ``wengang screen --facts`` validates its table, the accepted ones
    decided. Returns the results, the quarantined rows and (rows in, accepted, quarantined)."""
    import polars as pl

    from wengang.ingest.files import Frame
    from wengang.rules.batch import with_amount_cap
    from wengang.screening.evaluate import RESULT_COLUMNS as DECISION
    from wengang.screening.evaluate import screen_facts
    from wengang.screening.ingest import bind
    from wengang.screening.pipeline import facts_table_schema, validate_facts

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    origin = [c for c in (FILE_COL, ROW_COL) if c in frame.columns]
    frame = frame.drop(PKEY_COL, strict=False).with_row_index("source_row", offset=1)
    where = frame.select("source_row", *origin)
    data = frame.drop(origin)
    columns = [c for c in data.columns if c != "source_row"]
    raw = bind(Frame(job.source, data.lazy(), columns, kind="parquet"), facts_table_schema(job.program), None)
    allowed = set(job.allowed_regions) if job.allowed_regions is not None else None
    res = validate_facts(raw, job.program, allowed_regions=allowed)
    accepted = res.accepted if isinstance(res.accepted, pl.DataFrame) else res.accepted.collect()
    quarantine = res.quarantine
    if origin:  # the file and the row (1-based, as the embedded run counts a Parquet file's rows) it came from
        quarantine = (
            quarantine.with_columns(pl.col("source_row").cast(where.schema["source_row"]))
            .join(where, on="source_row", how="left")
            .with_columns(
                (pl.col(FILE_COL) if FILE_COL in origin else pl.col("source_file")).alias("source_file"),
                (pl.col(ROW_COL) + 1 if ROW_COL in origin else pl.col("source_row")).alias("source_row"),
            )
        )
    quarantine = quarantine.select(
        [pl.col(n).cast(pl.Int64 if n == "source_row" else pl.String) for n, _ in QUARANTINE_FIELDS]
    )
    region_data = _region_files(job.region_data)
    parts = []
    for part in accepted.iter_slices(job.rows_per_call) if accepted.height else [accepted]:
        present = (
            sorted(part["region_code"].drop_nulls().cast(pl.String).unique().to_list())
            if "region_code" in part.columns
            else None
        )
        result, used = screen_facts(
            part, job.program, job.on, readings=job.readings, settings=job.settings,
            include_drafts=job.include_drafts, regions=present, region_data=region_data,
        )  # fmt: skip
        # a 不超过 ceiling carried and held as the embedded run holds it (pipeline.run_screening's decide:
        # rules.batch.with_amount_cap, 人社部发〔2024〕40号 三) — the Spark results had no amount_is_cap and no hold
        names = result.collect_schema().names()
        decided = with_amount_cap(
            result, used, settings=job.settings, readings=job.readings, columns=names
        ).collect()
        kept = [c for c in part.columns if job.keep is None or c in job.keep]
        parts.append(decided.select(*kept, *[c for c in (*DECISION, "amount_is_cap") if c in decided.columns]))
    results = pl.concat(parts) if len(parts) > 1 else parts[0]
    results = results.with_columns(pl.col("status").cast(pl.String))
    r, q = res.report.rows_in, res.report.quarantined
    return results.to_arrow(), quarantine.to_arrow(), (r, res.report.accepted, q)


def _combined_schema(results: pa.Schema) -> pa.Schema:
    fields = [pa.field(KIND, pa.string())]
    fields += [pa.field(f.name, _plain(f.type)) for f in results]
    fields += [pa.field(Q_PREFIX + n, t) for n, t in QUARANTINE_FIELDS]
    fields += [pa.field(N_PREFIX + n, t) for n, t in COUNT_FIELDS]
    return pa.schema(fields)


def _rows(kind: str, n: int, columns: dict[str, pa.Array], schema: pa.Schema) -> pa.Table:
    arrays = [
        pa.array([kind] * n, pa.string())
        if f.name == KIND
        else columns[f.name].cast(f.type)
        if f.name in columns
        else pa.nulls(n, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _combine(results: pa.Table, quarantine: pa.Table, counts: tuple[int, int, int], schema: pa.Schema) -> list[pa.Table]:
    out = [
        _rows("result", results.num_rows, {n: results.column(n) for n in results.column_names}, schema),
        _rows("quarantine", quarantine.num_rows, {Q_PREFIX + n: quarantine.column(n) for n, _ in QUARANTINE_FIELDS}, schema),
        _rows("count", 1, {N_PREFIX + n: pa.array([v], pa.int64()) for (n, _), v in zip(COUNT_FIELDS, counts, strict=True)}, schema),
    ]
    return [t for t in out if t.num_rows]


def _partition_screener(job: _Job, input_schema: pa.Schema, output_schema: pa.Schema):
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        held = [b for b in batches if b.num_rows]
        if not held:
            return
        table = pa.Table.from_batches(held, schema=held[0].schema)
        for t in _combine(*_check_and_decide(table, job), output_schema):
            yield from t.to_batches()

    return run


@dataclass
class SparkScreening:
    """A screened facts table on Spark: ``results`` (facts kept + decision), ``quarantine`` (the rows refused, with
    their reasons, as the embedded run's quarantine.parquet) and :meth:`counts`; all three read ``combined``, one
    pass over the table (persist it before using more than one)."""

    combined: Any
    results: Any
    quarantine: Any
    key: str | None  # the column the rows were spread by

    def counts(self) -> tuple[int, int, int]:
        """(rows in, accepted, quarantined), summed over the partitions (a Spark job)."""
        from pyspark.sql import functions as F

        row = (
            self.combined.where(F.col(KIND) == "count")
            .agg(*[F.coalesce(F.sum(N_PREFIX + n), F.lit(0)).alias(n) for n, _ in COUNT_FIELDS])
            .collect()[0]
        )
        return int(row["rows_in"]), int(row["accepted"]), int(row["quarantined"])


def partition_key(program: str, columns: Sequence[str]) -> str | None:
    """The column rows are spread by: the first of the program's row key (``pipeline.facts_key``), so rows whose
    key repeats meet in one partition; without a key, the unit or the person when the table has it."""
    from wengang.screening.pipeline import facts_key

    key = facts_key(program)
    if key and key[0] in columns:
        return key[0]
    return next((c for c in ("credit_code", "id_number") if c in columns), None)


def partition_key_values(ser: Any) -> Any:
    """A Polars text Series of codes as the partitions are spread by them: read as validation reads a code
    (``quarantine.validate_table``: NFKC, Unicode white space, Excel's ="…", upper case), then every white space,
    hyphen, ``=`` and ``"`` dropped — no finer than validation's reading (two codes it reads alike spread alike).
    Polars' own NFKC and its Unicode ``\\s``, as validation's: Java's ``\\s`` had missed U+00A0 and U+2000–200A,
    so a code written twice, once with a trailing no-break space, was decided twice on Spark (outside audit D1)."""
    import polars as pl

    v = ser.cast(pl.String).str.normalize("NFKC").str.replace_all(r'[\s\-="]', "").str.to_uppercase()
    return v.to_frame("k").select(pl.when(pl.col("k") != "").then(pl.col("k"))).to_series()


def _with_key(facts: Any, col: str) -> Any:
    """``facts`` with the partition key of column ``col`` (:func:`partition_key_values`) as ``PKEY_COL``, computed on
    the workers through Arrow (Polars' NFKC and Unicode white space: Spark SQL has neither)."""
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([*facts.schema.fields, StructField(PKEY_COL, StringType(), True)])

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import polars as pl

        for b in batches:
            codes = pl.from_arrow(b.column(col).cast(pa.string()))
            assert isinstance(codes, pl.Series)
            keys = partition_key_values(codes).to_arrow().cast(pa.string())
            yield pa.RecordBatch.from_arrays([*b.columns, keys], names=[*b.schema.names, PKEY_COL])

    return facts.mapInArrow(run, schema)


def _with_origin(facts: Any) -> Any:
    """The file and row index of each row (a table read from Parquet files), for the quarantine."""
    from pyspark.sql import functions as F

    try:
        return facts.select("*", F.col("_metadata.file_path").alias(FILE_COL), F.col("_metadata.row_index").alias(ROW_COL))
    except Exception:  # noqa: BLE001 - not read from files: the rows are named by their place in the partition
        return facts


def screen_facts_spark_checked(
    spark: Any,
    facts: Any,
    program: str,
    on: date,
    *,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_data: Sequence[str] = (),
    partitions: int | None = None,
    keep: Sequence[str] | None = None,
    source: str = "facts",
    allowed_regions: set[str] | frozenset[str] | None = None,
) -> SparkScreening:
    """Check and screen a Spark DataFrame of derived facts (see the module doc); returns a :class:`SparkScreening`.

    ``keep``: the facts columns returned beside the results (default: all the facts table's columns, as
    validated). ``region_data``: region data files (``wengang screen --region-data``), read here and shipped.
    ``allowed_regions``: the region codes accepted (``wengang screen --region``); rows of others are quarantined.
    The results' ``payment_hold`` is the rules' (a 缓缴 not made up …) only: the raw screen's holds are the
    caller's (:func:`apply_holds`, :func:`unverified_holds`).
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    from wengang.inputs import read_bytes
    from wengang.settings import load_region_data

    region_data = tuple(str(p) for p in region_data)
    load_region_data(region_data)  # checked here, on the driver: a bad file is refused before any job
    shipped = tuple((Path(p).name, read_bytes(p, "地区数据文件", "region data file")) for p in region_data)
    job = _Job(
        program, on, readings, settings, include_drafts, shipped, tuple(keep) if keep is not None else None, source,
        allowed_regions=frozenset(allowed_regions) if allowed_regions is not None else None,
    )  # fmt: skip

    facts = _with_origin(facts)
    key = partition_key(program, facts.columns)
    cores = max(spark.sparkContext.defaultParallelism, 1)
    spread = _with_key(facts, key) if key else facts
    if partitions:
        sharded = spread.repartition(partitions, PKEY_COL) if key else spread.repartition(partitions)
    elif facts.rdd.getNumPartitions() < cores:
        sharded = spread.repartition(cores * 2, PKEY_COL) if key else spread.repartition(cores * 2)
    elif key and _has_repeated_keys(_with_key(facts.select(key), key)):  # (the key column only)
        # a key written twice may sit in two files (partitions): brought together, or it would be decided twice
        sharded = spread.repartition(max(facts.rdd.getNumPartitions(), cores), PKEY_COL)
    else:
        # Spark already splits a file into about as many partitions as it has cores, and no key repeats: each
        # partition is checked and decided as read (a shuffle was half the job at 1 M units)
        sharded = facts
    # a zone-aware timestamp (Parquet timestamp[UTC]) reaches the partitions zoned, as Spark hands it over, and is
    # read there as the embedded engine reads it: Beijing wall-clock time (ingest.columns.beijing_wall_time)
    in_schema = to_arrow_schema(sharded.schema, timezone=spark.conf.get("spark.sql.session.timeZone") or "UTC")
    # the output's columns and types: the same code on no rows, here on the driver (a missing required column, a
    # header that names no field … is refused here, before any job)
    empty = pa.Table.from_batches([], schema=in_schema)
    results, _, _ = _check_and_decide(empty, job)
    out_schema = _combined_schema(results.schema)
    combined = sharded.mapInArrow(_partition_screener(job, in_schema, out_schema), from_arrow_schema(out_schema))
    from pyspark.sql import functions as F

    result_cols = [f.name for f in results.schema]
    res = combined.where(F.col(KIND) == "result").select(*result_cols)
    quarantine = combined.where(F.col(KIND) == "quarantine").select(
        *[F.col(Q_PREFIX + n).alias(n) for n, _ in QUARANTINE_FIELDS]
    )
    return SparkScreening(combined, res, quarantine, key)


def _has_repeated_keys(spread: Any) -> bool:
    """Whether any key (as spread) is on more than one row: a pass over the key column only."""
    from pyspark.sql import functions as F

    repeated = spread.where(F.col(PKEY_COL).isNotNull()).groupBy(PKEY_COL).count().where(F.col("count") > 1)
    return bool(repeated.limit(1).count())


def screen_facts_spark(
    spark: Any,
    facts: Any,
    program: str,
    on: date,
    *,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_data: Sequence[str] = (),
    partitions: int | None = None,
    keep: Sequence[str] | None = None,
) -> Any:
    """Check and screen a Spark DataFrame of derived facts; returns a Spark DataFrame of the accepted rows' facts
    (``keep``, default all) and results. The rows quarantined are left out here; :func:`screen_facts_spark_checked`
    gives them and the counts too."""
    return screen_facts_spark_checked(
        spark, facts, program, on, readings=readings, settings=settings, include_drafts=include_drafts,
        region_data=region_data, partitions=partitions, keep=keep,
    ).results  # fmt: skip


def apply_holds(results: Any, holds: Any, key: str) -> Any:
    """The raw screen's payment holds (``holds``: its results.parquet, with ``key``, ``payment_hold`` and
    ``payment_hold_reason``) on Spark's results, by ``key``, combined as ``wengang screen --facts --holds`` combines
    them (``screening.holds.carry_holds``): a row is held when the rules hold it (a 缓缴, a ceiling not fixed …) or the
    raw screen held its unit (person), the reasons joined by “；”; a payable row whose unit the raw screen's results do
    not have is held (its holds are not known): fail closed."""
    from pyspark.sql import functions as F

    from wengang.screening.holds import CARRIED_UNKNOWN
    from wengang.screening.output import PAYABLE

    given = (
        holds.groupBy(F.col(key).cast("string").alias("__wg_hk__"))
        .agg(
            F.max(F.coalesce(F.col("payment_hold").cast("boolean"), F.lit(False))).alias("__wg_h__"),
            F.first(F.when(F.col("payment_hold").cast("boolean"), F.col("payment_hold_reason")), ignorenulls=True).alias("__wg_hr__"),
        )
    )
    joined = results.join(given, results[key].cast("string") == given["__wg_hk__"], "left")
    rule = F.coalesce(F.col("payment_hold").cast("boolean"), F.lit(False))
    carried = F.coalesce(F.col("__wg_h__"), F.lit(False))
    unknown = F.col("__wg_hk__").isNull() & F.col("status").cast("string").isin(*PAYABLE)
    reason = F.concat_ws(
        "；",
        F.when(rule, F.col("payment_hold_reason")),
        F.when(carried, F.coalesce(F.col("__wg_hr__"), F.lit("原筛查暂缓发放"))),
        F.when(unknown, F.lit(CARRIED_UNKNOWN)),
    )
    # each part said once, as rules.batch.said_once says it (a rules hold the raw screen's carried reason repeats)
    reason = F.array_join(F.array_distinct(F.split(reason, "；")), "；")
    held = rule | carried | unknown
    # (both from the rules' columns as they were: set together)
    return joined.withColumns(
        {"payment_hold": held, "payment_hold_reason": F.when(held, reason).otherwise(F.col("payment_hold_reason"))}
    ).select(*results.columns)


def unverified_holds(results: Any) -> Any:
    """Without the raw screen's holds: an eligible row the rules did not hold is held (the reason says why), any
    other row the rules did not hold has ``payment_hold`` null — not false: whether it is held is not known."""
    from pyspark.sql import functions as F

    rule = F.coalesce(F.col("payment_hold"), F.lit(False))
    eligible = F.col("status") == "eligible"
    hold = F.when(rule | eligible, F.lit(True)).otherwise(F.lit(None).cast("boolean"))
    reason = F.when(rule, F.col("payment_hold_reason")).when(
        eligible, F.lit(f"{UNVERIFIED_HOLD_ZH} / {UNVERIFIED_HOLD_EN}")
    )
    return results.withColumns({"payment_hold": hold, "payment_hold_reason": reason})


class _Refused(Exception):
    def __init__(self, zh: str, en: str = ""):
        super().__init__(zh)
        self.zh, self.en = zh, en


def _pairs(values: Sequence[str], what_zh: str, what_en: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        k, sep, val = v.partition("=")
        if not sep:
            raise _Refused(f"{what_zh}应写作 名称=取值：{v}", f"{what_en} must be name=value: {v}")
        out[k.strip()] = val.strip()
    return out


def _region_and_descendants(region: str) -> set[str]:
    """``--region``: the region and every region below it, resolved as ``wengang screen --region`` resolves it
    (``regions.with_descendants``); an unknown one refused with its nearest names."""
    from wengang.regions import RegionError, with_descendants

    try:
        return with_descendants(region)
    except RegionError as exc:
        raise _Refused(exc.message_zh, exc.message_en) from None


def _no_header_map(zh: str, en: str) -> tuple[str, str]:
    """A message of the embedded reading that offers ``--header-map``, which the Spark job does not have: what the
    Spark job offers instead — the column renamed in the facts table (outside audit R3)."""
    zh = zh.replace("如为同一列请用 --header-map 指定", "如为同一列请在事实表中将该列改名为标准字段名（Spark 作业不支持 --header-map）")
    zh = zh.replace("或用 --header-map 映射到", "或在事实表中将该列改名为").replace("或用 --header-map 指定", "或在事实表中将该列改名为标准字段名")
    en = en.replace("(map it with --header-map)", "(if it is the same column, rename it in the facts table: the Spark job has no --header-map)")
    en = en.replace("map it to *_fen with --header-map", "rename it *_fen in the facts table").replace(
        "or map it with --header-map", "or rename the column in the facts table")
    return zh, en


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file:")


def main(argv: list[str] | None = None) -> None:
    """Entry point for ``spark-submit``: screen a derived-facts Parquet table on the cluster.

        spark-submit --master yarn ... -m wengang.screening.spark \\
            --facts hdfs:///wengang/2025/features --out hdfs:///wengang/2025/results \\
            --program fanhuan --date 2025-08-01 --holds hdfs:///wengang/2025/results.parquet \\
            [--reading name=key ...] [--setting name=value ...] [--region-data file.yaml ...] [--partitions 400]

    Bad input ends with a Chinese-first message and exit 2, as ``wengang screen``; the rows quarantined are written
    to ``<out>/_quarantine`` (Parquet, the columns of the embedded run's quarantine.parquet).
    """
    try:
        code = _main(argv)
    except _Refused as exc:
        print(f"错误 / error: {exc.zh}" + (f" / {exc.en}" if exc.en else ""), file=sys.stderr)
        code = 2
    sys.exit(code)


def _main(argv: list[str] | None) -> int:
    import argparse

    from wengang.inputs import InputError, check_program, parse_date

    ap = argparse.ArgumentParser(prog="wengang.screening.spark", description="稳岗：在 Spark 集群上筛查事实表")
    ap.add_argument("--facts", required=True, help="派生事实表（Parquet：每单位一行，人员项目每申请一行）")
    ap.add_argument("--out", required=True, help="结果输出目录（Parquet）；隔离记录写入其下的 _quarantine")
    ap.add_argument("--program", default="fanhuan")
    ap.add_argument("--date", required=True, help="审核日期 YYYY-MM-DD")
    ap.add_argument("--reading", action="append", default=[], help="认定政策解释 名称=取值")
    ap.add_argument("--setting", action="append", default=[], help="地区设置 名称=取值（金额带“元”或“分”，比例带“%%”）")
    ap.add_argument("--region-data", action="append", default=[], help="地区数据文件（YAML，同 wengang screen；可多次）")
    ap.add_argument(
        "--holds", default=None,
        help="原始数据筛查（wengang screen）的 results.parquet：据此标记暂缓发放；不给出时符合条件者一律暂缓发放",
    )  # fmt: skip
    ap.add_argument("--region", default=None, help="只接受该地区及其下级的记录（同 wengang screen --region），如 150500、通辽")
    ap.add_argument("--drafts", action="store_true")
    ap.add_argument("--partitions", type=int, default=None)
    ap.add_argument(
        "--results-only", action="store_true", help="只写单位（人员）标识与结果列（同 wengang screen 的 results.parquet）"
    )
    args = ap.parse_args(argv)

    # the input checked before Spark starts, as `wengang screen` checks it
    try:
        on = parse_date(args.date, "审核日期 --date", "--date")
    except InputError as exc:
        raise _Refused(exc.zh, exc.en) from None
    from wengang.evaluate import parse_settings
    from wengang.programs import load_all
    from wengang.rules import interpretations
    from wengang.screening.ingest import IngestError
    from wengang.screening.pipeline import RESULT_ID_COLUMNS, _facts_error, facts_key

    try:
        check_program(args.program)  # as `wengang screen` names the nearest programs
    except InputError as exc:
        raise _Refused(exc.zh, exc.en) from None
    from wengang.screening.people import PERSON_PROGRAMS

    if args.program in PERSON_PROGRAMS:  # as `wengang screen --facts` refuses them (cli._screen), the same words
        raise _Refused(
            f"技能提升补贴、失业保险金（{'、'.join(PERSON_PROGRAMS)}）按人员数据表筛查（--persons、--certificates、--ui-claims 等），不接受 --facts 事实表；"
            "一个案件的事实可用 wengang evaluate 判定",
            f"{', '.join(PERSON_PROGRAMS)} are screened from the people tables "
            "(--persons, --certificates, --ui-claims …), not from --facts; one case's facts: wengang evaluate",
        )
    load_all()
    allowed = _region_and_descendants(args.region) if args.region else None
    if args.partitions is not None and not 1 <= args.partitions <= 4096:
        raise _Refused("--partitions 的取值无效，应为 1 到 4096 之间的整数", "--partitions must be 1 to 4096")
    for path, what_zh, what_en in [(args.facts, "事实表", "facts table"), *[(p, "地区数据文件", "region data file") for p in args.region_data],
                                   *([(args.holds, "暂缓发放名单（--holds）", "holds (--holds)")] if args.holds else [])]:  # fmt: skip
        if _is_local(path) and not Path(path.removeprefix("file:")).exists():
            if what_zh == "事实表":
                err = _facts_error(IngestError(f"找不到文件 {path}", f"file not found: {path}", source=path), path)
                raise _Refused(err.message_zh, err.message_en)
            raise _Refused(f"找不到{what_zh} {path}", f"{what_en} not found: {path}")

    try:
        readings = interpretations.parse_fixed(args.reading)
        settings = parse_settings(_pairs(args.setting, "地区设置", "a region setting"))
        if args.region_data:
            from wengang.settings import load_region_data

            load_region_data(tuple(args.region_data))  # a missing or bad file refused before Spark starts
    except _Refused:
        raise
    except (ValueError, KeyError, LookupError, OSError) as exc:
        raise _Refused(str(exc).strip("'\"")) from None
    from pyspark.errors import AnalysisException
    from pyspark.sql import SparkSession

    started = SparkSession.getActiveSession() is None  # (a caller's session, as in the tests, is left running)
    spark = SparkSession.builder.appName("wengang-screen").getOrCreate()
    try:
        try:
            facts = spark.read.parquet(args.facts)
            keep = (*RESULT_ID_COLUMNS, *facts_key(args.program), "id_number") if args.results_only else None
            run = screen_facts_spark_checked(
                spark, facts, args.program, on, readings=readings, settings=settings, include_drafts=args.drafts,
                region_data=args.region_data, partitions=args.partitions,
                keep=tuple(dict.fromkeys(keep)) if keep else None, source=args.facts, allowed_regions=allowed,
            )  # fmt: skip
            holds = spark.read.parquet(args.holds) if args.holds else None
        except AnalysisException as exc:
            raise _Refused(f"事实表 {args.facts} 无法读取（{exc.getErrorClass()}）", f"facts table {args.facts} cannot be read: {exc}") from None
        except IngestError as exc:
            err = _facts_error(exc, args.facts)
            raise _Refused(*_no_header_map(err.message_zh, err.message_en)) from None
        except (ValueError, KeyError, LookupError) as exc:
            raise _Refused(str(exc).strip("'\"")) from None
        from pyspark import StorageLevel

        run.combined.persist(StorageLevel.MEMORY_AND_DISK)
        results = run.results
        if holds is not None:
            # the key the embedded run carries holds by (pipeline.run_screening: carry_holds), not the partition key
            hold_key = "credit_code" if "credit_code" in results.columns else "id_number"
            missing = [c for c in (hold_key, "payment_hold", "payment_hold_reason") if c not in holds.columns]
            if hold_key not in results.columns or missing:
                raise _Refused(
                    f"暂缓发放名单 {args.holds} 缺少列：{'、'.join(missing) or hold_key}（应为 wengang screen 写出的 results.parquet）",
                    f"holds {args.holds} lack columns {missing or [hold_key]} (give the results.parquet of wengang screen)",
                )
            results = apply_holds(results, holds, hold_key)
        else:
            results = unverified_holds(results)
            print(
                "⚠ 未给出 --holds：原始数据筛查中因隔离记录而暂缓发放的单位（人员）未核对，符合条件者一律标记为暂缓发放"
                "（payment_hold=true），其余 payment_hold 为空；请给出 wengang screen 的 results.parquet / no --holds: "
                "the raw screen's payment holds were not checked, so every eligible row is held and the others' "
                "payment_hold is null; give the results.parquet of wengang screen",
                file=sys.stderr,
            )
        results.write.mode("overwrite").parquet(args.out)
        quarantine_dir = args.out.rstrip("/") + "/_quarantine"
        run.quarantine.write.mode("overwrite").parquet(quarantine_dir)
        rows_in, accepted, quarantined = run.counts()
        ok = "✔" if rows_in == accepted + quarantined else "✘ 不平"
        print(f"{ok} facts：读入 {rows_in:,} = 接受 {accepted:,} + 隔离 {quarantined:,}  {args.facts}")
        if quarantined:
            print(f"    隔离记录 / quarantined rows: {quarantine_dir}")
        run.combined.unpersist()
    finally:
        if started:
            spark.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    main()
