"""The 免申即享 run: raw tables (or a derived-facts table) in → decisions, 公示 list and summary out.

    ingest → validate / quarantine → derive features (partitioned) → evaluate the rules → write

Every step is the embedded default (Polars, local files); ``screening.spark`` runs the evaluation
step on a cluster with the same compiled rules.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import polars as pl

from wengang.ingest.files import explain_csv_error, named_read_errors
from wengang.ingest.headers import HeaderMap
from wengang.inputs import os_error
from wengang.progress import step
from wengang.screening import prefetch
from wengang.screening.holds import (
    HELD_KEYS_SCHEMA,
    ChunkHolds,
    HoldReport,
    apply_holds,
    branches_of_quarantined,
    branches_of_quarantined_in,
    hold_results,
)
from wengang.screening.ingest import IngestError, RawTable, read_table
from wengang.screening.quarantine import ValidationReport, ValidationResult
from wengang.screening.schemas import FEATURE_BOOKS, SIZE_CHOICES, TableSchema

RESULT_ID_COLUMNS = ("credit_code", "name", "region_code", "size_class")
# results.parquet's size class can only be one of the classes' texts (output.write_parquet: a dictionary of them)
RESULT_BOOKS = {"size_class": SIZE_CHOICES}
RAW_TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
# rows of monthly records per partition: keeps peak memory bounded whatever N is. Each partition reads the
# sources again (their pages decompressed whole) and validates its tables anew, so fewer, larger partitions
# are faster: 10 M units (120.6 M rows) in 5 partitions 52.8 s and 6.0 GiB, in 8 partitions 56.9 s and 7.5 GiB
# (docs/performance.md); one partition of 36 M rows peaked at 6.6 GB
ROWS_PER_PARTITION = 25_000_000
# peak memory of a run, measured (docs/performance.md): a base, per monthly row of the partition in memory,
# and per unit of the whole run (every unit's code and class, kept for the branch step)
MEMORY_BASE_BYTES = 700 * 2**20
MEMORY_BYTES_PER_MONTHLY_ROW = 200
MEMORY_BYTES_PER_UNIT = 80
MIN_ROWS_PER_PARTITION = 500_000


def rows_per_partition(memory_limit_gib: float | None, units: int) -> int:
    """Monthly rows per partition so that a run stays within ``memory_limit_gib`` (``--memory-limit``), by the
    measured model above; at most :data:`ROWS_PER_PARTITION`. A limit the model cannot meet is refused."""
    if memory_limit_gib is None:
        return ROWS_PER_PARTITION
    budget = memory_limit_gib * 2**30 - MEMORY_BASE_BYTES - MEMORY_BYTES_PER_UNIT * units
    rows = int(budget // MEMORY_BYTES_PER_MONTHLY_ROW)
    if rows < MIN_ROWS_PER_PARTITION:
        need = (MEMORY_BASE_BYTES + MEMORY_BYTES_PER_UNIT * units) / 2**30 + 0.1
        raise IngestError(
            f"内存上限 {memory_limit_gib:g} GiB 不足以筛查 {units:,} 个单位（至少约 {need:.1f} GiB）",
            f"a memory limit of {memory_limit_gib:g} GiB is too small for {units:,} units (at least ~{need:.1f} GiB)",
        )
    return min(ROWS_PER_PARTITION, rows)


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
    header_map: HeaderMap | None = None  # the user's local headers (``--header-map``)
    # CSV, XLSX: the line (Excel row) the header is on (``--header-row``); by default found (screening.ingest)
    header_row: int | None = None


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


def _read(name: str | TableSchema, source: TableSource | str | Path) -> RawTable:
    src = source if isinstance(source, TableSource) else TableSource(str(source))
    try:
        return read_table(
            src.path, name, encoding=src.encoding, sheet=src.sheet, table=src.table, query=src.query,
            header_map=src.header_map, header_row=src.header_row,
        )
    except OSError as exc:  # a path the file system refuses (too long, a file as a folder …)
        label = name if isinstance(name, str) else name.name
        err = os_error(exc, src.path, f"数据表 {label}", f"table {label}")
        raise IngestError(err.zh, err.en, source=src.path) from None


def refuse_empty_tables(reports: Iterable[ValidationReport], required: Iterable[str] = ()) -> None:
    """A table given with a header and no data row (blank, totals and sign-off rows not counted) is refused
    (decisions §102): read as given, it would say "no one is listed" — every unit passes an exclusion list,
    every certificate is new to an empty subsidies table — or "nothing was paid", refusing everyone; a failed
    export looks just like that. A list that is truly empty is left out (the summary then says it was not given)."""
    from wengang.screening.schemas import ALL_TABLES

    required = set(required)
    for r in reports:
        if r.rows_in:
            continue
        sch = ALL_TABLES.get(r.table)
        label = f"{r.table}（{sch.zh}）" if sch is not None else r.table
        label_en = f"{r.table} ({sch.en})" if sch is not None else r.table
        option = "--" + r.table.replace("_", "-")
        if r.table in required:
            hint_zh, hint_en = "请检查导出是否完整后重新给出", "check that the export is complete and give it again"
        else:
            hint_zh = f"请检查导出是否完整；如确实没有任何记录，请不要给出 {option}（本次结果会注明未提供此表、未据此核对）"
            hint_en = (
                f"check that the export is complete; if there truly are no records, leave {option} out (the run's "
                "summary then says the table was not given and nothing was checked against it)"
            )
        raise IngestError(
            f"数据表 {label} 的文件 {r.source_file} 只有表头，没有数据行（空行、合计与落款行不计）：未读取，未作任何判定。"
            f"空表会被当作“名单上没有任何单位（人员）”或“没有任何缴费”，据此发放或拒绝都不可靠；{hint_zh}",
            f"table {label_en}: file {r.source_file} has a header and no data rows (blank, totals and sign-off rows not "
            f"counted); nothing was decided. An empty table would read as \"no one is listed\" or \"nothing was paid\"; "
            f"{hint_en}",
            source=r.source_file,
        )


def refuse_fen_doubt_in_partitions(reports: Iterable[ValidationReport], partitions: int) -> None:
    """A 分 column with a row written in 元 puts the whole column in doubt (quarantine._fen_column_in_doubt); that
    check sees one partition's rows, so in a run of several partitions the whole-number rows of the others were read
    as 分 (outside second look, session 42). Such a run is refused whole — nothing is decided on the column."""
    from wengang.ingest.columns import FEN_POINT_EN
    from wengang.screening.quarantine import FEN_DOUBT_EN_MARK, FEN_NOT_WHOLE_EN
    from wengang.screening.schemas import ALL_TABLES

    if partitions <= 1:
        return
    # the reports count each reason by its English text, field first (quarantine.validate_table)
    marks = (FEN_POINT_EN, FEN_NOT_WHOLE_EN, FEN_DOUBT_EN_MARK)
    for r in reports:
        columns = sorted({k.split(": ", 1)[0] for k, n in r.by_reason.items() if n and any(m in k for m in marks)})
        if not columns:
            continue
        sch = ALL_TABLES.get(r.table)
        label = f"{r.table}（{sch.zh}）" if sch is not None else r.table
        raise IngestError(
            f"数据表 {label} 的文件 {r.source_file} 中以分计的金额列 {'、'.join(columns)} 有金额以元的写法书写（带小数点），整列单位存疑；"
            f"本次按 {partitions} 个分区校验，无法整列隔离，已停止，未作任何判定。请更正该列（为元请在表头写“（元）”或用 --header-map "
            "映射到以元计的字段，为分请全部写成整数分）后重新筛查",
            f"table {r.table}: file {r.source_file}: the fen column(s) {', '.join(columns)} hold amounts written as yuan; "
            f"the column's unit is in doubt and a run of {partitions} partitions cannot quarantine it whole, so nothing "
            "was decided: correct the column (head it “(元)” or map it to a yuan field, or write whole fen) and run again",
            source=r.source_file,
        )


def _count(raw: RawTable) -> int:
    return int(raw.frame.select(pl.len()).collect().item())


# the row key of a derived-facts table, by the program's facts model: what one row is. A unit program has one row
# per unit; a people program's table may hold several rows of one person (applications, claims, months), so its
# key is what one row stands for. A row whose key repeats is quarantined (键重复), as in the raw tables: decided
# twice it would be paid twice. A model not listed has no key the project can name (several rows of one person
# may be right), and its rows are not checked for repeats.
FACTS_KEYS: dict[str, tuple[str, ...]] = {
    "UnitFacts": ("credit_code",),  # 失业保险稳岗返还 and the size class: one row per unit (units.credit_code)
    "DeferralFacts": ("credit_code",),
    "FeeRateFacts": ("credit_code",),
    "RetentionTrainingFacts": ("credit_code",),
    "GraduateHireFacts": ("credit_code", "graduate_id_number"),  # one row per graduate hired (facts/applications)
    "InternshipFacts": ("credit_code", "intern_id_number"),  # one row per intern (facts/applications)
    "SkillSubsidyFacts": ("application_id",),  # one row per application = certificate (screening.people)
    "UnemployedPersonFacts": ("id_number", "application_date"),  # one row per claim (ui_claims: id_number, start_month)
    "BenefitMonthFacts": ("id_number", "benefit_month"),
    "TrainingFacts": ("id_number", "training_start"),
    # 内政发〔2019〕4号 三: "对首次创办小微企业或从事个体经营…给予 5000 元一次性创业补贴" — once a person: a person's second
    # row had been paid a second grant (outside audit, session 41)
    "StartupGrantFacts": ("id_number",),
}


def facts_key(program: str) -> tuple[str, ...]:
    """The row key of ``program``'s facts table (:data:`FACTS_KEYS`); empty when there is none."""
    from wengang.evaluate import program_model

    return FACTS_KEYS.get(program_model(program).__name__, ())


def facts_table_schema(program: str, present: Iterable[str] | None = None) -> TableSchema:
    """The schema a facts table of ``program`` is checked against: one column per field of its facts model
    (``schemas.facts_schema``) and its row key (:func:`facts_key`), when the table has every column of it
    (``present``: the columns the table has, as bound to the schema)."""
    from wengang.evaluate import program_model
    from wengang.screening.schemas import facts_schema

    schema = facts_schema(program_model(program))
    key = facts_key(program)
    if present is not None and not set(key) <= set(present):
        key = ()
    return TableSchema(schema.name, schema.zh, schema.en, schema.columns, key=key, doc=schema.doc)


def validate_facts(raw: RawTable, program: str, allowed_regions: set[str] | None = None) -> ValidationResult:
    """Validate a facts table read as ``raw`` (bound to :func:`facts_table_schema`): the check of
    ``wengang screen --facts`` and of the Spark backend (``screening.spark``) alike, bad rows quarantined and rows
    whose key repeats quarantined (键重复), and (``allowed_regions``: ``--region``) rows of other regions, as the raw
    tables' are. Columns the table does not have stay absent."""
    from dataclasses import replace

    from wengang.screening.quarantine import validate_table

    present = raw.frame.collect_schema().names()
    schema = facts_table_schema(program, present)
    raw = replace(raw, schema=schema)
    res = validate_table(
        raw, check_duplicates=bool(schema.key), without=tuple(c for c in schema.names if c not in present),
        allowed_regions=allowed_regions,
    )
    res = _require_by_applicant(raw, res, program)
    return _blank_as_omitted(_model_constraints(raw, res, program), program)


def field_bounds(info: Any) -> list[tuple[str, Any]]:
    """The bounds a facts model puts on a field (``Field(ge=1950, le=2100)``, ``NonNegativeInt``, under ``| None``
    too): [(ge|gt|le|lt, value)]."""
    import typing

    import annotated_types as at

    out: list[tuple[str, Any]] = []

    def take(meta: Iterable[Any]) -> None:
        for m in meta:
            for kind, cls in (("ge", at.Ge), ("gt", at.Gt), ("le", at.Le), ("lt", at.Lt)):
                if isinstance(m, cls):
                    out.append((kind, getattr(m, kind)))
            if isinstance(m, at.Interval):
                out.extend((k, getattr(m, k)) for k in ("ge", "gt", "le", "lt") if getattr(m, k) is not None)

    take(info.metadata)

    def walk(tp: Any) -> None:
        if typing.get_origin(tp) is typing.Annotated:
            args = typing.get_args(tp)
            take(args[1:])
            walk(args[0])
        else:
            for a in typing.get_args(tp):
                walk(a)

    walk(info.annotation)
    return list(dict.fromkeys(out))


def _model_constraints(raw: RawTable, res: ValidationResult, program: str) -> ValidationResult:
    """Quarantine the accepted rows one case would refuse (InvalidFacts) for the model's own constraints, naming
    record and field: a value outside a field's bounds (``Field(ge=1950, le=2100)`` of hire_year: a year 0 or 9999
    had been decided 不符合 for the graduation year where one case refuses it), and a required field left empty (a
    skill_subsidy row without person_status had been 待认定 where one case refuses 缺少必填字段). Read from the
    model, so every field with bounds or without a default is checked alike (outside differential audit, session
    42, docs/decisions.md §125)."""
    from wengang.evaluate import bound_text, program_model
    from wengang.screening.quarantine import field_label, field_labels

    acc = res.accepted
    if not isinstance(acc, pl.DataFrame) or acc.height == 0:
        return res
    labels = field_labels(raw)
    fields = program_model(program).model_fields
    rules: list[tuple[str, pl.Expr, str, str]] = []
    numeric = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64, pl.Float32, pl.Float64)
    for name in acc.columns:
        info = fields.get(name)
        if info is None:
            continue
        label = field_label(name, labels)
        if info.is_required() and acc.get_column(name).null_count():
            rules.append((name, pl.col(name).is_null(), f"{label}：缺少必填字段", f"{name}: required field is empty"))
        if not isinstance(acc.schema[name], numeric):
            continue
        for kind, value in field_bounds(info):
            if not isinstance(value, (int, float)):
                continue
            c = pl.col(name)
            bad = {"ge": c < value, "gt": c <= value, "le": c > value, "lt": c >= value}[kind].fill_null(False)
            zh, en = bound_text(kind, value)
            rules.append((name, bad, f"{label}：{zh}", f"{name}: {en}"))
    if not rules:
        return res
    return _quarantine_where(raw, res, rules)


def _quarantine_where(raw: RawTable, res: ValidationResult, rules: list[tuple[str, pl.Expr, str, str]]) -> ValidationResult:
    """Move the accepted rows where a rule's expression is true to the quarantine: (field, bad, reason_zh, reason_en),
    the row's value of the field shown."""
    from dataclasses import replace

    from wengang.screening.quarantine import QUARANTINE_SCHEMA

    acc = res.accepted
    assert isinstance(acc, pl.DataFrame)
    flagged = acc.select(
        pl.any_horizontal([bad for _, bad, _, _ in rules]).alias("bad"),
        pl.concat_str([pl.when(bad).then(pl.lit(f)) for f, bad, _, _ in rules], separator="；", ignore_nulls=True)
        .alias("field"),
        pl.concat_str([pl.when(bad).then(pl.col(f).cast(pl.String).fill_null("") if f in acc.columns else pl.lit(""))
                       for f, bad, _, _ in rules],
                      separator="；", ignore_nulls=True).alias("value"),
        pl.concat_str([pl.when(bad).then(pl.lit(z)) for _, bad, z, _ in rules], separator="；", ignore_nulls=True)
        .alias("reason_zh"),
        pl.concat_str([pl.when(bad).then(pl.lit(e)) for _, bad, _, e in rules], separator="；", ignore_nulls=True)
        .alias("reason_en"),
    )
    flags = flagged.get_column("bad")
    n = int(flags.sum() or 0)
    if not n:
        return res
    rows = raw.frame.select(pl.col("source_row").cast(pl.Int64)).collect().get_column("source_row")
    rows = rows.filter(~rows.is_in(res.quarantine.get_column("source_row").implode()))
    source_row = rows if rows.len() == acc.height else pl.Series("source_row", [None] * acc.height, dtype=pl.Int64)
    added = (
        flagged.with_columns(source_row.alias("source_row"))
        .filter(pl.col("bad"))
        .select(
            pl.lit(res.quarantine.get_column("source_file")[0] if res.quarantine.height else raw.source_file)
            .alias("source_file"),
            "source_row", "field", "value", "reason_zh", "reason_en",
        )
        .cast(QUARANTINE_SCHEMA)
    )
    report = res.report
    by_reason = dict(report.by_reason)
    for reason, k in added.group_by("reason_en").len().iter_rows():
        by_reason[reason] = by_reason.get(reason, 0) + k
    return replace(
        res,
        accepted=acc.filter(~flags),
        quarantine=pl.concat([res.quarantine.cast(QUARANTINE_SCHEMA), added]).sort("source_row", nulls_last=True),
        report=replace(report, accepted=report.accepted - n, quarantined=report.quarantined + n, by_reason=by_reason),
    )


def _blank_as_omitted(res: ValidationResult, program: str) -> ValidationResult:
    """A blank cell read as one case reads the field omitted: the model's default (``org_type`` 企业, a yes/no
    ``serious_dishonesty`` 否, ``backpay_other_years_fen`` 0), as an absent column is (docs/decisions.md §14: the
    compiler reads a column the table lacks as its model default) — not as unknown. A blank stays null (unknown) where
    the model's default is none. (A blank had been unknown: a unit with 单位类型 blank was 无法判定 where one case with
    the field omitted was eligible; outside audit, session 41.)"""
    from pydantic_core import PydanticUndefined

    from wengang.evaluate import program_model

    acc = res.accepted
    if not isinstance(acc, pl.DataFrame) or acc.height == 0:
        return res
    fields = program_model(program).model_fields
    fills = []
    for name in acc.columns:
        info = fields.get(name)
        if info is None or info.is_required():
            continue
        default = info.get_default(call_default_factory=True)
        default = getattr(default, "value", default)
        if default is PydanticUndefined or default is None or default == "" or not isinstance(default, (bool, int, float, str)):
            continue
        if acc.get_column(name).null_count():
            # a column blank on every row has no type of its own (Null): the default's type, not a cast to Null
            # (which kept the blank unknown: session 42, §125)
            dtype = acc.schema[name]
            fills.append(pl.col(name).fill_null(pl.lit(default) if dtype == pl.Null else pl.lit(default).cast(dtype)))
    if not fills:
        return res
    from dataclasses import replace

    return replace(res, accepted=acc.with_columns(fills))


def _require_by_applicant(raw: RawTable, res: ValidationResult, program: str) -> ValidationResult:
    """Quarantine the accepted rows that lack the identifier their applicant needs (``schemas.SUBJECT_IDENTIFIERS``:
    a 小微企业's 统一社会信用代码, a person's 公民身份号码), naming the field — the rest are screened as one case is."""
    from wengang.evaluate import program_model
    from wengang.screening.quarantine import field_label, field_labels
    from wengang.screening.schemas import SUBJECT_IDENTIFIERS

    rules = SUBJECT_IDENTIFIERS.get(program_model(program).__name__, ())
    acc = res.accepted
    if not rules or not isinstance(acc, pl.DataFrame) or acc.height == 0:
        return res
    labels = field_labels(raw)
    cols = acc.columns
    found: list[tuple[str, pl.Expr, str, str]] = []
    for name, on, values, why_zh, why_en in rules:
        if on not in cols:
            continue  # who applies is not given: the rules say what that leaves unknown, as in one case
        blank = pl.col(name).cast(pl.String).str.strip_chars().fill_null("") == "" if name in cols else pl.lit(True)
        bad = pl.col(on).cast(pl.String).is_in(values).fill_null(False) & blank
        found.append((name, bad, f"{field_label(name, labels)}：必填字段为空（{why_zh}）",
                      f"{name}: required field is empty ({why_en})"))
    return _quarantine_where(raw, res, found) if found else res


def read_facts_table(
    source: TableSource | str | Path, program: str = "fanhuan", *, opened: Callable[[], None] | None = None,
    allowed_regions: set[str] | None = None,
) -> tuple[pl.LazyFrame, pl.DataFrame, ValidationReport]:
    """A table of already-derived facts (the columns of the program's facts model, one row per unit — or per
    :func:`facts_key`), read and checked like a raw table: headers mapped, amounts in 元 converted, labels and
    dates read, bad rows and repeated keys quarantined (:func:`validate_facts`). Columns the file does not have
    stay absent (the rules treat them as not given). ``opened`` is called once the file is open, before its rows
    are read."""
    src = source if isinstance(source, TableSource) else TableSource(str(source))
    schema = facts_table_schema(program)
    try:
        raw = _read(schema, src)
        if opened is not None:
            opened()
        res = validate_facts(raw, program, allowed_regions)
        accepted = res.accepted if isinstance(res.accepted, pl.DataFrame) else res.accepted.collect()
    except IngestError as exc:  # say which input it is: the operator gave one file, the facts table
        raise _facts_error(exc, src.path) from None
    except pl.exceptions.PolarsError as exc:  # a file damaged past its header, met while it is read
        found = explain_csv_error(src.path)  # a CSV file: which line, what is wrong
        if found is not None:
            raise _facts_error(found, src.path) from None
        raise IngestError(
            f"事实表 {src.path} 不是可读取的 Parquet、CSV 或 Excel 表格（{type(exc).__name__}）",
            f"facts table {src.path} is not a readable Parquet, CSV or Excel table ({type(exc).__name__}: {exc})",
            source=src.path,
        ) from None
    return accepted.lazy(), res.quarantine, res.report


def _facts_error(exc: IngestError, path: str) -> IngestError:
    zh, en = exc.message_zh, exc.message_en
    if "事实表" not in zh:
        zh = zh.replace(f"文件 {path}", f"事实表 {path}", 1) if f"文件 {path}" in zh else f"事实表 {path}：{zh}"
        en = en.replace(f"file {path}", f"facts table {path}", 1) if f"file {path}" in en else f"facts table {path}: {en}"
    return IngestError(zh, en, source=exc.source, column=exc.column)


def latest_month_in(contributions: RawTable, evaluation_date: date) -> str:
    """Count fully-paid months back from the last month the data covers, not past the review month.

    The tax bureau's extract usually ends before the review date (data for last year, screened in
    summer): counting from the month before the review would find no records and refuse everyone.
    See docs/decisions.md (7).
    """
    from wengang.ingest import columns as C

    # a couple of dozen distinct months: read them once (as validation reads them), then parse only those
    distinct = contributions.frame.select(pl.col("month").unique()).collect(engine="streaming")
    month, _ = C.months(pl.col("month"), "month", distinct.schema["month"], contributions.excel_epoch)
    return latest_month_of(distinct.select(month).to_series(), evaluation_date)


def latest_month_of(months: pl.Series, evaluation_date: date) -> str:
    """:func:`latest_month_in` over the monthly rows' months already parsed (``YYYY-MM``, null where not a
    month), as validation gives them (``ValidationResult.months``): the last one before the review month."""
    before = evaluation_date.replace(day=1)
    cap = f"{before.year - (before.month == 1):04d}-{(before.month - 2) % 12 + 1:02d}"
    found = months.filter(months <= cap).max()
    return str(found) if found else cap


def _warm_up(program: str) -> None:
    """Import the program's module and load the policy set (both cached for the process). Whatever fails here
    is met again, and reported, where the run itself needs it."""
    try:
        from wengang.policies import load_policy_set
        from wengang.programs import load

        load(program)
        load_policy_set()
    except Exception:  # noqa: BLE001, S110 - the run reports it when it gets there
        pass


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _input_errors_named(run: Callable[_P, _R]) -> Callable[_P, _R]:
    """A Polars error met while an input is read (lazily: where it is first counted, split into partitions or
    validated, on whichever thread) is the project's :class:`IngestError` naming the CSV file and line, for a
    caller of the library as for the command line (``files.named_read_errors``)."""

    @functools.wraps(run)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        given: list[Any] = [*(kwargs.get("tables") or {}).values(), kwargs.get("facts")]
        paths = [s.path if isinstance(s, TableSource) else str(s) for s in given if s is not None]
        with named_read_errors(paths):
            return run(*args, **kwargs)

    return wrapped


@_input_errors_named
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
    memory_limit_gib: float | None = None,
    signing_key: str | Path | None = None,
    holds_from: str | Path | None = None,
) -> ScreeningReport:
    """Screen a region (raw tables) or a facts table (``facts``) into ``out_dir``. ``holds_from``: with ``facts``, the
    results.parquet of the run that derived them, whose payment holds the results carry (``holds.carry_holds``)."""
    from wengang.rules.batch import with_amount_cap
    from wengang.screening.evaluate import RESULT_COLUMNS, program_label, reason_text, screen_facts
    from wengang.screening.output import (
        PLAN_TEXTS,
        UNIT_CHECK_LISTS,
        ParquetAppender,
        lists_not_provided,
        summarise,
        write_excel_sheets,
        write_parquet,
        write_result_sheets,
    )

    if facts is None:  # deriving features (and what it imports) only for raw tables: a facts table needs none of it
        from wengang.screening.features import derive_features_partitioned

    # the programs' modules and the policy set (≈ 0.3–0.5 s of Python at start-up) load on a thread of their
    # own while Polars reads and validates the tables. Every module this thread imports up to the rules is
    # imported above (no two threads initialise modules at once); the rules wait for the thread. It starts
    # once Polars runs: for raw tables as the registry's validation begins (derive_features_partitioned's
    # on_validating), for a facts table once the file is open. Opening the tables, counting the monthly rows and
    # handing their read to its thread are Python too, which the thread's Python would only slow down, taking
    # turns at the GIL.
    warm = threading.Thread(target=_warm_up, args=(program,), name="wengang-warm-up", daemon=True)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    year = policy_year or evaluation_date.year
    holds = HoldReport()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    show = progress  # steps over a second show progress on stderr (wengang.progress)
    plans: dict[int, Any] = {}  # every plan used, by identity (chunks of other regions may add plans)
    in_memory_results: pl.DataFrame | None = None  # the results when they were in memory: kept for the summary

    derived = facts is None  # the raw tables' features, derived here (a facts table given is completed as one case)

    def decide(facts: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
        # (a table in memory is given as such: screen_facts reads its null counts and compiles the rules
        # without the unknown branches of the columns that have none)
        warm.join()
        # a table in memory: its regions read here, eagerly. screen_facts' own query for them runs on Polars' streaming
        # engine, which takes a query in turn with features.parquet's write (a streaming sink, on a thread of its own
        # meanwhile): that small query waited for the whole write, and the rules ran after it instead of beside it
        regions = (
            facts.get_column("region_code").unique().drop_nulls().to_list()
            if isinstance(facts, pl.DataFrame) and "region_code" in facts.columns
            else None
        )
        results, used = screen_facts(
            facts, program, evaluation_date, readings=readings, settings=settings, include_drafts=include_drafts,
            region_data=region_data, regions=regions, derived=derived,
        )
        plans.update((id(p), p) for p in used)
        # the decision beside the unit's identity; the facts it was made on are in features.parquet (same
        # rows, joined by credit_code) — writing them twice cost a third of this step
        # a person's row carries whom it is about (id_number) and what one row stands for (the facts key): a people
        # program's facts table decided here had results that named no one (found in the Spark audit's wake)
        names = results.collect_schema().names()
        # a 不超过 ceiling carried and held as one case reports it (人社部发〔2024〕40号 三: evaluate's amount_is_cap; the
        # person screening's alike): a literal false, no work per row, where no plan's amount can be a ceiling
        results = with_amount_cap(results, used, settings=settings, readings=readings, columns=names)
        ident = dict.fromkeys((*RESULT_ID_COLUMNS, "id_number", *facts_key(program)))
        return results.select([c for c in (*ident, *RESULT_COLUMNS, "amount_is_cap") if c in (*names, "amount_is_cap")])

    if facts is not None:
        with step("筛查 第1步/共3步 读取并校验事实表", enabled=show) as s:
            features, quarantine, report = read_facts_table(
                facts, program, opened=warm.start, allowed_regions=allowed_regions
            )
            s.update(done=report.rows_in)
            reports = [report]
            refuse_empty_tables(reports, required=(report.table,))
            if strict and report.quarantined:
                raise StrictRefusal(reports)
            quarantine.write_parquet(out / "quarantine.parquet")
        seconds["读取与校验"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        accepted = features.collect()  # in memory already (a frame behind the lazy one): no work
        # like results.parquet (lz4: zstd cost a quarter more CPU here, for a file that is read back whole). Written
        # before the rules run, not beside them on a thread: both are queries on Polars' streaming engine, which takes
        # them in turn (decisions §71), and measured beside each other they took as long as one after the other
        write_parquet(accepted, out / "features.parquet", books=FEATURE_BOOKS)
        with step("筛查 第2步/共3步 按政策规则判定", total=report.accepted, unit="个单位", enabled=show) as s:
            # the accepted facts are in memory already: decided from there (as a table: its null counts are
            # known), not read back from features.parquet; the results stay in memory too (one row of identity
            # and decision per unit), so the summary is counted from them instead of decoding results.parquet
            in_memory_results = decide(accepted).collect()
            if holds_from is not None:
                from wengang.screening.holds import carry_holds

                key = "credit_code" if "credit_code" in in_memory_results.columns else "id_number"
                in_memory_results, carried = carry_holds(in_memory_results, Path(holds_from), key)
                holds = HoldReport(notes=[f"沿用原筛查结果 {holds_from} 的暂缓发放：{carried:,} 行"
                                          "（含原结果中没有的应发单位）"])
            write_parquet(in_memory_results, out / "results.parquet", constant=PLAN_TEXTS, books=RESULT_BOOKS)
            s.update(done=report.accepted)
        decided = time.perf_counter() - t1
    else:
        if not tables or "units" not in tables or "contributions" not in tables:
            raise IngestError(
                "需要参保单位登记表（units）和月度缴费记录（contributions）",
                "the unit registry (units) and monthly contributions are required",
            )
        with step("筛查 第1步/共3步 读取原始数据", enabled=show):
            # the monthly rows may have been opened, counted and read during start-up (screening.prefetch)
            raws = {name: (name == "contributions" and prefetch.take(src)) or _read(name, src)
                    for name, src in tables.items()}  # fmt: skip
            unknown = sorted(set(raws) - set(RAW_TABLES))
            if unknown:
                raise IngestError(f"未知的数据表：{'、'.join(unknown)}", f"unknown tables: {', '.join(unknown)}")
            n_monthly = prefetch.count(raws["contributions"])
            if n_monthly is None:
                n_monthly = _count(raws["contributions"])
        # ``memory_limit_gib`` (``--memory-limit``) sets the partition size; ``partitions`` overrides both
        units = _count(raws["units"]) if memory_limit_gib is not None and not partitions else 0
        parts = partitions or max(1, -(-n_monthly // rows_per_partition(memory_limit_gib, units)))
        # one partition: the last month is read from the months validation parses anyway (not a scan of its own)
        latest: str | Callable[[pl.Series], str] = latest_month or (
            functools.partial(latest_month_of, evaluation_date=evaluation_date)
            if parts == 1
            else latest_month_in(raws["contributions"], evaluation_date)
        )
        seconds["读取"] = time.perf_counter() - t0
        others = {k: v for k, v in raws.items() if k not in ("units", "contributions")}
        # the features are decided chunk by chunk while they are in memory; under --strict nothing is
        # decided until the whole input is known to be clean, so the rules then read features.parquet
        # one partition: the results are in memory anyway, so the holds are applied there and the file is
        # written once (not written, read back and rewritten: a third of the run at 1 M units)
        in_memory: list[pl.DataFrame] | None = [] if parts == 1 and not strict else None
        # several partitions: each chunk's results are held while in memory where that is exact, and
        # results.parquet is written once (screening.holds.ChunkHolds)
        chunk_holds = ChunkHolds() if in_memory is None and not strict else None
        registry_held = [pl.DataFrame(schema=HELD_KEYS_SCHEMA)]  # quarantined registry rows: their branches are held
        branch_rows: list[pl.DataFrame] = []  # one partition: its features' branches (credit_code, legal entity)
        branch_holds: list[pl.DataFrame] = []

        def on_held(keys: pl.DataFrame) -> None:
            assert chunk_holds is not None
            registry_held.append(keys.filter(pl.col("table") == "units"))
            chunk_holds.add(keys.filter(pl.col("table") != "units"))
        with (
            step(f"筛查 第2步/共3步 校验、隔离、生成特征并判定（{parts} 个分区）", total=n_monthly,
                 unit="行缴费记录", enabled=show) as s,
            contextlib.nullcontext(in_memory) if strict or in_memory is not None
            else ParquetAppender(out / "results.parquet", constant=PLAN_TEXTS, books=RESULT_BOOKS) as results_out,
        ):

            def on_chunk(chunk: pl.DataFrame) -> None:
                # (the in-memory engine: the last chunk is decided beside features.parquet's write, a streaming sink,
                # whose turn a query on the streaming engine would wait for — decisions §88)
                frame = decide(chunk).collect(engine="in-memory")
                if in_memory is not None:
                    in_memory.append(frame)
                    # the branches and their legal entities, for the holds (not read back from features.parquet)
                    branch_rows.append(
                        chunk.select("credit_code", "legal_entity_credit_code").filter(
                            pl.col("legal_entity_credit_code").is_not_null()
                        )
                    )
                    return
                if chunk_holds is not None:
                    # branches come in the last chunk, after every partition: their legal entities are all known
                    branch_holds.append(branches_of_quarantined_in(chunk, pl.concat(registry_held)))
                    frame = chunk_holds.apply(frame, branch_holds[-1])
                results_out.write(frame)

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
                on_held=None if chunk_holds is None else on_held,
                progress=s,
                on_validating=warm.start,
                # features.parquet is written beside the holds and results.parquet below (it is complete and its
                # chunks decided before it is written): waited for at the end of this step
                write_behind=True,
            )
            reports = list(run.reports.values())
            refuse_empty_tables(reports, required=("units", "contributions"))
            refuse_fen_doubt_in_partitions(reports, parts)
            t1 = time.perf_counter()
            if strict:
                if any(r.quarantined for r in reports):
                    raise StrictRefusal(reports)
                decide(pl.scan_parquet(run.features_path)).sink_parquet(out / "results.parquet", compression="lz4")
        try:
            # fail closed, once the results file is closed: a quarantined row that could stop a payment
            # holds the payments it may concern
            keys = run.held_keys if run.held_keys is not None else pl.DataFrame(schema=HELD_KEYS_SCHEMA)
            registry = pl.col("table") == "units"  # registry rows quarantined: units not screened at all
            unscreened = keys.filter(registry).get_column("code")
            if chunk_holds is not None:  # held chunk by chunk; the file is rewritten only if that could not do all
                extra = pl.concat(branch_holds) if branch_holds else None
                holds = chunk_holds.finish(
                    out / "results.parquet", keys.filter(~registry), unscreened=unscreened, extra=extra
                )
            else:
                if not branch_rows:
                    run.features_written()  # read for the branches below
                hold_args: dict[str, Any] = dict(
                    key_column="credit_code", kind="credit_code", unscreened=unscreened,
                    extra=branches_of_quarantined_in(pl.concat(branch_rows), keys.filter(registry)) if branch_rows
                    else branches_of_quarantined(run.features_path, keys.filter(registry)),
                )  # fmt: skip
                if in_memory is not None:
                    # kept, like a facts table's, for the summary (not decoded again from results.parquet)
                    in_memory_results, holds = hold_results(pl.concat(in_memory), keys.filter(~registry), **hold_args)
                    in_memory.clear()
                    write_parquet(in_memory_results, out / "results.parquet", constant=PLAN_TEXTS, books=RESULT_BOOKS)
                else:
                    holds = apply_holds(out / "results.parquet", keys.filter(~registry), **hold_args)
        finally:  # (also when that failed: the run ends only once features.parquet is written or removed)
            run.features_written()
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

    from wengang.screening.manifest import digest_behind, write_run_manifest

    results_digest = digest_behind(out / "results.parquet")  # the files are final: hashed beside what follows
    facts_digest = digest_behind(out / "features.parquet")
    t2 = time.perf_counter()
    with step("筛查 第3步/共3步 写出结果与公示名单", enabled=show):
        used = list(plans.values())
        texts = reason_text(used)
        files = write_result_sheets(
            out, program_label=program_label(program), reason_text=texts, excel=excel, progress=show
        )
        seconds["判定与写出"] = decided + time.perf_counter() - t2
        summary = summarise(
            in_memory_results.lazy() if in_memory_results is not None else pl.scan_parquet(out / "results.parquet"),
            texts,
        )
        in_memory_results = None
        summary.hold_notes = holds.notes
        from wengang.screening.output import document_reading_lines

        summary.readings_by_document = document_reading_lines(used, readings)
        if facts is None:  # raw tables: the unit check-lists not given (a facts table carries its flags itself)
            summary.lists_not_provided = lists_not_provided(tables or {}, UNIT_CHECK_LISTS)
        qpath = out / "quarantine.parquet"
        if qpath.exists():
            files["隔离记录（Parquet）"] = str(qpath)
            q = pl.read_parquet(qpath)
            if excel and 0 < q.height <= 1_000_000:
                write_excel_sheets(q, out / "quarantine.xlsx", "隔离记录", progress=show)
                files["隔离记录（Excel）"] = str(out / "quarantine.xlsx")
    # the question the run answered, so that the ledger can answer it again before it takes a row in
    files["运行记录（JSON）"] = str(write_run_manifest(
        out, program=program, evaluation_date=evaluation_date, policy_year=year, readings=readings,
        settings=settings, include_drafts=include_drafts, region_data=region_data, results_sha256=results_digest(),
        facts_sha256=facts_digest(), signing_key=signing_key,
    ))  # fmt: skip
    summary.files = files
    seconds["合计"] = time.perf_counter() - t0
    policies = sorted({p.resolution.document.display_number for p in used if p.resolution is not None})
    return ScreeningReport(program, evaluation_date, year, out, reports, summary, seconds, policies)
