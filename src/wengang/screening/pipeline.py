"""The 免申即享 run: raw tables (or a derived-facts table) in → decisions, 公示 list and summary out.

    ingest → validate / quarantine → derive features (partitioned) → evaluate the rules → write

Every step is the embedded default (Polars, local files); ``screening.spark`` runs the evaluation
step on a cluster with the same compiled rules.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.inputs import os_error
from wengang.screening.ingest import IngestError, RawTable, _transcode_to_utf8, detect_encoding, read_table
from wengang.screening.quarantine import ValidationReport

RESULT_ID_COLUMNS = ("credit_code", "name", "region_code", "size_class")
RAW_TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
# rows of monthly records per partition: keeps peak memory bounded whatever N is
ROWS_PER_PARTITION = 16_000_000


class StrictRefusal(Exception):
    """``--strict``: the input had bad rows, so nothing was screened."""

    def __init__(self, reports: list[ValidationReport]):
        self.reports = reports
        bad = "；".join(f"{r.table} 隔离 {r.quarantined} 行" for r in reports if r.quarantined)
        super().__init__(f"严格模式：输入含有不合格记录，整批拒收（{bad}） / strict mode: bad rows, input refused")


@dataclass
class TableSource:
    path: str
    encoding: str | None = None
    sheet: str | None = None
    table: str | None = None
    query: str | None = None


@dataclass
class ScreeningReport:
    program: str
    evaluation_date: date
    policy_year: int
    out_dir: Path
    reports: list[ValidationReport]
    summary: Any
    seconds: dict[str, float] = field(default_factory=dict)
    policies: list[str] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return all(r.reconciles for r in self.reports)


def _read(name: str, source: TableSource | str | Path) -> RawTable:
    src = source if isinstance(source, TableSource) else TableSource(str(source))
    try:
        return read_table(src.path, name, encoding=src.encoding, sheet=src.sheet, table=src.table, query=src.query)
    except OSError as exc:  # a path the file system refuses (too long, a file as a folder …)
        err = os_error(exc, src.path, f"数据表 {name}", f"table {name}")
        raise IngestError(err.zh, err.en, source=src.path) from None


def _count(raw: RawTable) -> int:
    return int(raw.frame.select(pl.len()).collect().item())


def read_facts_table(source: TableSource | str | Path) -> tuple[pl.LazyFrame, pl.DataFrame, ValidationReport]:
    """A table of already-derived facts (the UnitFacts columns). Bad credit codes are quarantined."""
    from wengang.facts.identifiers import credit_code_reasons
    from wengang.screening.features import FEATURE_SCHEMA

    src = source if isinstance(source, TableSource) else TableSource(str(source))
    path = Path(src.path)
    try:
        frame, names = _open_facts(src, path)
    except IngestError:
        raise
    except OSError as exc:
        err = os_error(exc, src.path, "事实表", "facts table")
        raise IngestError(err.zh, err.en, source=src.path) from None
    except Exception as exc:  # noqa: BLE001 - Polars and the Excel reader raise several types for a bad file
        raise IngestError(
            f"事实表 {src.path} 不是可读取的 Parquet、CSV 或 Excel 表格（{type(exc).__name__}）",
            f"facts table {src.path} is not a readable Parquet, CSV or Excel table ({type(exc).__name__}: {exc})",
            source=src.path,
        ) from None
    for required in ("credit_code", "name", "region_code"):  # the 公示 list names the unit
        if required not in names:
            raise IngestError(
                f"事实表 {src.path} 缺少必需列 {required}", f"facts table {src.path} lacks column {required}",
                source=src.path, column=required,
            )
    frame = frame.with_row_index("source_row", offset=1)
    schema = frame.collect_schema()
    typed = [n for n in names if n in FEATURE_SCHEMA]
    parsed = {n: _parse_as(pl.col(n), schema[n], FEATURE_SCHEMA[n]) for n in typed}
    # a value present in the file that cannot be read as its type is a bad row, never a silent null
    wrong_type = [parsed[n].is_null() & pl.col(n).is_not_null() & (pl.col(n).cast(pl.String) != "") for n in typed]
    frame = frame.with_columns(pl.any_horizontal(wrong_type).alias("_wrong_type") if typed else pl.lit(False).alias("_wrong_type"))
    frame = frame.with_columns([parsed[n].alias(n) for n in typed])
    checked = (
        credit_code_reasons(frame, "credit_code", "_reason")
        .with_columns(
            pl.when(pl.col("_reason").is_null() & pl.col("_wrong_type"))
            .then(pl.lit("取值类型不符 / a value of the wrong type"))
            .otherwise(pl.col("_reason"))
            .alias("_reason")
        )
        .drop("_wrong_type")
        .collect()
    )
    good = checked.filter(pl.col("_reason").is_null()).drop("_reason", "source_row")
    bad = checked.filter(pl.col("_reason").is_not_null()).select(
        pl.lit(src.path).alias("source_file"),
        "source_row",
        pl.lit("credit_code").alias("field"),
        pl.col("credit_code").cast(pl.String).alias("value"),
        pl.col("_reason").str.split(" / ").list.first().alias("reason_zh"),
        pl.col("_reason").str.split(" / ").list.last().alias("reason_en"),
    )
    report = ValidationReport("facts", src.path, checked.height, good.height, bad.height, {})
    return good.lazy(), bad, report


def _open_facts(src: TableSource, path: Path) -> tuple[pl.LazyFrame, list[str]]:
    if "://" in src.path:
        frame = pl.read_database_uri(src.query or f"select * from {src.table or 'facts'}", src.path).lazy()
    elif not path.exists():
        raise IngestError(f"找不到文件 {src.path}", f"file not found: {src.path}", source=src.path)
    elif path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        frame = pl.scan_parquet(path / "*.parquet" if path.is_dir() else path)
    elif path.suffix.lower() == ".csv":
        encoding = (src.encoding or detect_encoding(path)).lower().replace("_", "-")
        readable = path if encoding in ("utf-8", "utf8") else _transcode_to_utf8(path, encoding)
        frame = pl.scan_csv(readable, infer_schema=False)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pl.read_excel(path, sheet_name=src.sheet).lazy()
    else:
        raise IngestError(f"不支持的文件类型：{src.path}", f"unsupported file type: {src.path}", source=src.path)
    return frame, frame.collect_schema().names()


def latest_month_in(contributions: RawTable, evaluation_date: date) -> str:
    """Count fully-paid months back from the last month the data covers, not past the review month.

    The tax bureau's extract usually ends before the review date (data for last year, screened in
    summer): counting from the month before the review would find no records and refuse everyone.
    See docs/decisions.md (7).
    """
    before = evaluation_date.replace(day=1)
    cap = f"{before.year - (before.month == 1):04d}-{(before.month - 2) % 12 + 1:02d}"
    month = pl.col("month").cast(pl.String).str.slice(0, 7)
    valid = month.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")  # bad rows are quarantined later; skip them here
    # a couple of dozen distinct months: read them once, then parse only those
    distinct = contributions.frame.select(pl.col("month").unique()).collect(engine="streaming")
    months = distinct.select(month.filter(valid & (month <= cap)).max())
    found = months.item()
    return str(found) if found else cap


_TRUE = {"true": True, "1": True, "是": True, "y": True, "yes": True, "false": False, "0": False, "否": False, "n": False, "no": False}


def _parse_as(col: pl.Expr, source: pl.DataType, target: pl.DataType) -> pl.Expr:
    """Read a column as ``target``: text from CSV/XLSX is parsed, other types are cast; failures are null."""
    if source != pl.String:
        return col.cast(target, strict=False)
    text = col.str.strip_chars()
    if target == pl.Date:
        return text.str.to_date(strict=False)
    if target == pl.Boolean:
        return text.str.to_lowercase().replace_strict(_TRUE, default=None, return_dtype=pl.Boolean)
    return text.cast(target, strict=False)


def run_screening(
    out_dir: str | Path,
    *,
    program: str = "fanhuan",
    evaluation_date: date,
    policy_year: int | None = None,
    tables: Mapping[str, TableSource | str | Path] | None = None,
    facts: TableSource | str | Path | None = None,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_data: tuple[str, ...] = (),
    allowed_regions: set[str] | None = None,
    partitions: int | None = None,
    strict: bool = False,
    excel: bool = True,
    progress: bool = False,
    latest_month: str | None = None,
) -> ScreeningReport:
    from wengang.screening.evaluate import RESULT_COLUMNS, program_label, reason_text, screen_facts
    from wengang.screening.output import ParquetAppender, summarise, write_excel_sheets, write_result_sheets

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    year = policy_year or evaluation_date.year
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    status = _Progress(progress)
    plans: dict[int, Any] = {}  # every plan used, by identity (chunks of other regions may add plans)

    def decide(facts: pl.LazyFrame) -> pl.LazyFrame:
        results, used = screen_facts(
            facts, program, evaluation_date, readings=readings, settings=settings, include_drafts=include_drafts,
            region_data=region_data,
        )
        plans.update((id(p), p) for p in used)
        # the decision beside the unit's identity; the facts it was made on are in features.parquet (same
        # rows, joined by credit_code) — writing them twice cost a third of this step
        names = results.collect_schema().names()
        return results.select([c for c in (*RESULT_ID_COLUMNS, *RESULT_COLUMNS) if c in names])

    if facts is not None:
        status.step("读取并校验事实表")
        features, quarantine, report = read_facts_table(facts)
        reports = [report]
        if strict and report.quarantined:
            raise StrictRefusal(reports)
        features_path = out / "features.parquet"
        features.sink_parquet(features_path)
        quarantine.write_parquet(out / "quarantine.parquet")
        seconds["读取与校验"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        status.step("按政策规则判定")
        decide(pl.scan_parquet(features_path)).sink_parquet(out / "results.parquet", compression="lz4")
        decided = time.perf_counter() - t1
    else:
        from wengang.screening.features import derive_features_partitioned

        if not tables or "units" not in tables or "contributions" not in tables:
            raise IngestError(
                "需要参保单位登记表（units）和月度缴费记录（contributions）",
                "the unit registry (units) and monthly contributions are required",
            )
        status.step("读取原始数据")
        raws = {name: _read(name, src) for name, src in tables.items()}
        unknown = sorted(set(raws) - set(RAW_TABLES))
        if unknown:
            raise IngestError(f"未知的数据表：{'、'.join(unknown)}", f"unknown tables: {', '.join(unknown)}")
        n_monthly = _count(raws["contributions"])
        parts = partitions or max(1, -(-n_monthly // ROWS_PER_PARTITION))
        seconds["读取"] = time.perf_counter() - t0
        status.step(f"校验、隔离、生成特征并判定（{parts} 个分区）")
        others = {k: v for k, v in raws.items() if k not in ("units", "contributions")}
        latest = latest_month or latest_month_in(raws["contributions"], evaluation_date)
        # the features are decided chunk by chunk while they are in memory; under --strict nothing is
        # decided until the whole input is known to be clean, so the rules then read features.parquet
        with contextlib.nullcontext() if strict else ParquetAppender(out / "results.parquet") as results_out:

            def on_chunk(chunk: pl.DataFrame) -> None:
                results_out.write(decide(chunk.lazy()).collect())

            run = derive_features_partitioned(
                raws["units"],
                raws["contributions"],
                out,
                policy_year=year,
                evaluation_date=evaluation_date,
                partitions=parts,
                allowed_regions=allowed_regions,
                others=others,
                with_provenance=True,
                latest_month=latest,
                on_chunk=None if strict else on_chunk,
            )
        reports = list(run.reports.values())
        t1 = time.perf_counter()
        if strict:
            if any(r.quarantined for r in reports):
                raise StrictRefusal(reports)
            decide(pl.scan_parquet(run.features_path)).sink_parquet(out / "results.parquet", compression="lz4")
        decided = run.steps["chunks"] + time.perf_counter() - t1
        seconds["校验与特征"] = time.perf_counter() - t0 - seconds["读取"] - decided
        if parts > 1:
            labels = {
                "split": "其中分区拆分",
                "partitions": "其中逐区校验与特征",
                "validate": "逐区校验与特征：校验",
                "features": "逐区校验与特征：特征计算",
                "legal entities": "其中法人划型与写出",
            }
            seconds.update({label: run.steps[k] for k, label in labels.items()})  # in this order

    t2 = time.perf_counter()
    status.step("写出结果与公示名单")
    used = list(plans.values())
    texts = reason_text(used)
    files = write_result_sheets(out, program_label=program_label(program), reason_text=texts, excel=excel)
    seconds["判定与写出"] = decided + time.perf_counter() - t2
    summary = summarise(pl.scan_parquet(out / "results.parquet"), texts)
    qpath = out / "quarantine.parquet"
    if qpath.exists():
        files["隔离记录（Parquet）"] = str(qpath)
        q = pl.read_parquet(qpath)
        if excel and 0 < q.height <= 1_000_000:
            write_excel_sheets(q, out / "quarantine.xlsx", "隔离记录")
            files["隔离记录（Excel）"] = str(out / "quarantine.xlsx")
    summary.files = files
    seconds["合计"] = time.perf_counter() - t0
    status.done()
    policies = sorted({p.resolution.document.display_number for p in used if p.resolution is not None})
    return ScreeningReport(program, evaluation_date, year, out, reports, summary, seconds, policies)


class _Progress:
    """A spinner with the current step on long runs (stderr, so stdout stays machine-readable)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._status: Any = None
        if enabled:
            from rich.console import Console

            self._status = Console(stderr=True).status("开始")
            self._status.start()

    def step(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"[bold]{text}…")

    def done(self) -> None:
        if self._status is not None:
            self._status.stop()
