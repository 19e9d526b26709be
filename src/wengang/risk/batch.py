"""Risk checks over whole tables: derive each check's facts, run its rule, keep the flags.

    tables ──► per check: derive the rule's facts (the programs' own derivations) ──► compile the rule
           ──► rows where it is False ──► regions whose document in force lists the check ──► flags

Everything up to the flagged rows is one lazy Polars plan per check (joins and group-bys, no Python per
row); the flagged rows are few, so gating them by region and citing the document in force runs on them.
The one-case runner (:mod:`wengang.risk.case`) calls :func:`screen` on one case's rows.

The tables (columns as in docs/data-dictionary.md for ``persons``, ``certificates``, ``subsidies``,
``ui_claims``; optional columns may be absent):

* ``registry`` — 死亡、身份异常名单: ``id_number``, ``kind`` (``deceased`` | ``invalid_id``), ``date``
  (date of death; empty for an invalid ID)
* ``flexible_subsidies`` — 灵活就业人员社保补贴: ``id_number``, ``region_code``, ``start_month`` (YYYY-MM),
  ``months``
* ``dispatch_refunds`` — 劳务派遣单位返还: ``firm_id``, ``region_code``, ``year``, ``dispatch_share_fen``
  (the part of the refund that concerns dispatched workers, to be passed on in full)
* ``dispatch_allocations`` — 用工单位分配（留存备案）: ``firm_id``, ``year``, ``user_unit_id``, ``allocated_fen``

Values are read as the ingest layer reads them (:mod:`wengang.ingest.columns`: months ``2025-04``, ``2025/4``,
``2025年4月``, ``202504``; dates, amounts in 分, yes/no likewise); a row with a value that cannot be read is
quarantined with the table, row, field and reason (``RiskRun.quarantine``), and the checks that read that table
do not pass the person (firm) it concerns: they list it as 未核查. An invalid ID number is itself a finding.

Fail closed (人社部发〔2024〕40号 六 "严防冒领、骗取基金和多发待遇风险"; 内人社发〔2025〕18号 五 "切实防范冒领骗取和
多发错发"): a row whose check cannot be decided — a fact the rule reads is missing, the row's region is empty or
not in the region table — is never a pass: it is listed in ``RiskRun.unchecked`` with the reason.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import polars as pl

from wengang.documents.masking import mask_loose_expr
from wengang.rules.expr import CompileContext

from .registry import CHECKS, RiskCheck

TABLES = (
    "persons",
    "certificates",
    "subsidies",
    "ui_claims",
    "registry",
    "flexible_subsidies",
    "dispatch_refunds",
    "dispatch_allocations",
)

# columns a table must have; optional ones are added as null when absent
REQUIRED: dict[str, dict[str, Any]] = {
    "persons": {"id_number": pl.String, "region_code": pl.String},
    "certificates": {
        "id_number": pl.String, "certificate_no": pl.String, "occupation_code": pl.String, "level": pl.Int64,
        "issue_date": pl.Date, "issuer": pl.String, "issuing_region": pl.String,
    },
    "subsidies": {
        "id_number": pl.String, "kind": pl.String, "occupation_code": pl.String, "level": pl.Int64,
        "paid_date": pl.Date,
    },
    "ui_claims": {"id_number": pl.String, "region_code": pl.String, "start_month": pl.String, "months": pl.Int64},
    "registry": {"id_number": pl.String, "kind": pl.String},
    "flexible_subsidies": {"id_number": pl.String, "start_month": pl.String, "months": pl.Int64},
    "dispatch_refunds": {
        "firm_id": pl.String, "region_code": pl.String, "year": pl.Int64, "dispatch_share_fen": pl.Int64,
    },
    "dispatch_allocations": {
        "firm_id": pl.String, "year": pl.Int64, "user_unit_id": pl.String, "allocated_fen": pl.Int64,
    },
}  # fmt: skip
OPTIONAL: dict[str, dict[str, Any]] = {
    "persons": {
        "name": pl.String, "employer_credit_code": pl.String, "insured_months": pl.Int64,
        "insured_months_continuous": pl.Int64, "person_status": pl.String,
    },
    "certificates": {
        "work_type": pl.String, "application_date": pl.Date, "certificate_type": pl.String,
        "urgent_occupation": pl.Boolean,
    },
    "subsidies": {"work_type": pl.String, "certificate_no": pl.String, "amount_fen": pl.Int64},
    "ui_claims": {
        "monthly_fen": pl.Int64, "paid_months": pl.Int64, "unclaimed_previous_months": pl.Int64,
        "involuntary_separation": pl.Boolean, "registered_unemployed": pl.Boolean, "seeking_work": pl.Boolean,
        "reemployed": pl.Boolean, "last_employer_credit_code": pl.String,
    },
    "registry": {"date": pl.Date},
    "flexible_subsidies": {"region_code": pl.String},
    "dispatch_refunds": {"firm_name": pl.String},
    "dispatch_allocations": {},
}  # fmt: skip

FLAG_SCHEMA: dict[str, Any] = {
    "flag_key": pl.String,  # check id + the record it concerns: the same finding has the same key in every run
    "check_id": pl.String,
    "label": pl.String,
    "severity": pl.String,
    "program": pl.String,  # whose decision a recovery goes to (training_subsidy for a later training subsidy)
    "year": pl.Int64,
    "subject_id": pl.String,  # 公民身份号码 or the dispatch firm's 统一社会信用代码
    "subject_name": pl.String,
    "claim_key": pl.String,  # "<职业编码>:<等级>" for skill subsidies, else ""
    "region_code": pl.String,
    "record": pl.String,  # certificate number, claim id (<ID>/<YYYY-MM>), firm/year
    "amount_fen": pl.Int64,  # money at risk (to recover if confirmed), where the check can say
    "citation": pl.String,  # 文号 + clause of the document in force in the region
    "quote": pl.String,
    "evidence": pl.String,  # JSON object: the registry entry's evidence fields
}


UNCHECKED_SCHEMA: dict[str, Any] = {
    "check_id": pl.String,
    "subject_id": pl.String,
    "region_code": pl.String,
    "record": pl.String,
    "reason": pl.String,  # Chinese: what is missing or unreadable, or why the region could not be checked
}
QUARANTINE_SCHEMA: dict[str, Any] = {
    "table": pl.String,
    "row": pl.Int64,  # data row, 1-based; `risk screen` numbers a CSV's as the file's lines (cli._file_rows)
    "field": pl.String,
    "value": pl.String,
    "reason_zh": pl.String,
    "reason_en": pl.String,
    "key": pl.String,  # the row's id_number (firm_id): checks of that person (firm) do not pass
}
FLAG, UNCHECKED = "flag", "unchecked"  # a derived row's status before gating
BAD_KEYS = "_bad_keys"  # key in the tables: the quarantined rows' persons and firms


class RiskInputError(ValueError):
    """A table lacks a column a check needs (Chinese / English)."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass
class RiskRun:
    flags: pl.DataFrame
    counts: dict[str, int]  # check id -> flags (0 for checks run without finding anything)
    skipped: dict[str, str] = field(default_factory=dict)  # check id -> why it did not run (Chinese)
    not_applicable: dict[str, list[str]] = field(
        default_factory=dict
    )  # check id -> regions it does not apply in
    # rows a check could not decide (never a pass): missing or unreadable input, a region not in the region table
    unchecked: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=UNCHECKED_SCHEMA))
    unchecked_counts: dict[str, int] = field(default_factory=dict)
    # check id -> {region code not in the region table: rows of the check's table there} (none of them checked)
    unknown_regions: dict[str, dict[str, int]] = field(default_factory=dict)
    quarantine: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=QUARANTINE_SCHEMA))
    rows_in: dict[str, int] = field(default_factory=dict)  # table -> rows read (= accepted + quarantined)
    partitions: int = 1  # how many partitions the tables were checked in
    # (wall, CPU) seconds of the steps: split, bodies, partitions (or checks), gating
    steps: dict[str, tuple[float, float]] = field(default_factory=dict)


# codes: NFKC, ="…" unwrapped (ingest.columns.identifier), as every other reader reads them
IDENTIFIER_COLUMNS = (
    "id_number", "region_code", "issuing_region", "employer_credit_code", "last_employer_credit_code", "firm_id",
    "user_unit_id",
)  # fmt: skip
MONTH_COLUMNS = ("start_month",)  # YYYY-MM text: read by the ingest layer's month reader whatever its type


_ID, _ID_REASON = "_id_read", "_id_reason"  # the ID number as read and its fault (read_table)
# tables whose ID numbers must be 公民身份号码, or the row is quarantined. Not the registry (死亡、身份异常名单: numbers to
# match, whatever they are) nor ui_claims, where a number that fails its check is itself the finding of
# ui_status_anomaly (a flag, stronger than a hold): their numbers are read (upper case) but not refused
ID_CHECKED = ("persons", "certificates", "subsidies", "flexible_subsidies")


CREDIT_CODE_COLUMNS = ("employer_credit_code", "last_employer_credit_code", "firm_id", "user_unit_id")

# the registry (死亡、身份异常名单) under Chinese headers and labels (docs/data-dictionary.md, "死亡、身份异常名单")
REGISTRY_HEADERS = {
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "证件号码", "身份证件号码"),
    "kind": ("类型", "名单类型", "类别", "异常类型", "标记类型"),
    "date": ("日期", "死亡日期"),
}
REGISTRY_KINDS = {
    "deceased": ("deceased", "死亡", "已死亡", "death", "dead"),
    "invalid_id": ("invalid_id", "身份异常", "身份证号无效", "身份证无效", "证件无效", "身份证号码无效", "invalid id", "invalid-id"),
}


def id_number_text(c: pl.Expr) -> pl.Expr:
    """A 公民身份号码 as written, read as `wengang screen` reads one (NFKC: full-width digits; ``="…"`` unwrapped;
    a lower-case x upper-cased) and with spaces and hyphens inside it dropped (``150121 196501014003``)."""
    from wengang.ingest.columns import identifier

    return identifier(c).str.replace_all(r"[\s\-]", "").str.to_uppercase()


def eighteen_digit_id(c: pl.Expr) -> pl.Expr:
    """An old 15-digit 公民身份号码 as its 18-digit form (GB 11643-1999: ``19`` inserted before the two-digit birth
    year and the check character appended); any other value unchanged."""
    from wengang.facts.identifiers import RIC_CHECK, RIC_WEIGHTS

    fifteen = c.str.contains(r"^[0-9]{15}$").fill_null(False)
    first17 = pl.concat_str([c.str.slice(0, 6), pl.lit("19"), c.str.slice(6)])
    total = pl.sum_horizontal(
        [first17.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(RIC_WEIGHTS)]
    )
    check = (total % 11).replace_strict(dict(enumerate(RIC_CHECK)), default=None, return_dtype=pl.String)
    return pl.when(fifteen).then(pl.concat_str([first17, check])).otherwise(c)


def registry_kind(c: pl.Expr) -> pl.Expr:
    """``deceased`` or ``invalid_id`` from the kinds a registry may write (死亡, 身份异常, DECEASED …); null for any
    other (the row is quarantined naming it)."""
    k = c.cast(pl.String).str.strip_chars().str.to_lowercase()
    mapping = {label.lower(): kind for kind, labels in REGISTRY_KINDS.items() for label in labels}
    return k.replace_strict(mapping, default=None, return_dtype=pl.String)


def _registry_headers(lf: pl.LazyFrame, have: Any) -> tuple[pl.LazyFrame, Any]:
    """The registry's Chinese headers renamed to its fields (a field already present is kept)."""
    rename: dict[str, str] = {}
    for col in have.names():
        text = col.strip().lstrip("\ufeff")
        for f, heads in REGISTRY_HEADERS.items():
            if text in heads and f not in have and f not in rename.values():
                rename[col] = f
    if rename:
        lf = lf.rename(rename)
        have = lf.collect_schema()
    return lf, have


def _accepted_headers(name: str, fields: list[str]) -> tuple[str, str]:
    """The headers a table's missing fields are also read under (those `wengang screen` reads, for the tables it
    has), as a note in Chinese and English; empty for the risk checks' own tables, which take the field names."""
    from wengang.screening.schemas import ALL_TABLES

    if name == "registry":
        parts = [f"{f}（{'、'.join(REGISTRY_HEADERS[f])}）" for f in fields if f in REGISTRY_HEADERS]
        return (f"，也可用表头：{'；'.join(parts)}", f" (also read under the headers: {'; '.join(parts)})") if parts else ("", "")
    if name not in ALL_TABLES:
        return "", ""
    scope = ALL_TABLES[name].scope()
    parts = [f"{f}（{'、'.join(spec.headers)}）" for f in fields if (spec := scope.field(f)) is not None and spec.headers]
    if not parts:
        return "", ""
    return f"，也可用表头：{'；'.join(parts)}", f" (also read under the headers: {'; '.join(parts)})"


def _reader(column: str, target: Any, have: Any, unit: str = "fen") -> tuple[pl.Expr, list[Any]]:
    """The column read as the ingest layer reads that type (value, faults): the same forms as every other input."""
    from wengang.ingest import columns as C

    c = pl.col(column)
    if column in MONTH_COLUMNS:
        return C.months(c, column, have)
    if target == pl.Date:
        return C.dates(c, column, have)
    if target == pl.Boolean:
        return C.boolean(c, column, have)
    if target == pl.Int64 and column.endswith("_fen"):
        return C.money(c, column, have, unit)
    if target == pl.Int64:
        return C.integer(c, column, have, nonneg=True)
    return c.cast(pl.String), []


def read_table(name: str, frame: pl.LazyFrame | pl.DataFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(the readable rows with the columns checked and read, absent optional columns added as null; the rows
    with a value that cannot be read, one row per field, :data:`QUARANTINE_SCHEMA`)."""
    lf = frame.lazy()
    have = lf.collect_schema()
    wanted = REQUIRED[name] | OPTIONAL[name]
    # an amount in 元 (``amount_yuan``: a Chinese header such as 金额, resolved by `risk screen` as `screen` resolves
    # it) is read into the field in 分, exactly
    yuan = {c: f"{c.removesuffix('_fen')}_yuan" for c in wanted if c.endswith("_fen") and c not in have}
    yuan = {c: y for c, y in yuan.items() if y in have}
    if yuan:
        lf = lf.rename({y: c for c, y in yuan.items()})
        have = lf.collect_schema()
    if name == "registry":
        lf, have = _registry_headers(lf, have)
    missing = [c for c in REQUIRED[name] if c not in have]
    if missing:
        found = "、".join(c for c in have.names() if c != "source_row") or "（无）"
        heads = _accepted_headers(name, missing)
        raise RiskInputError(
            f"数据表 {name} 缺少字段：{'、'.join(missing)}{heads[0]}；表中的列：{found}",
            f"table {name} lacks columns: {', '.join(missing)}{heads[1]}; its columns: {found}",
        )
    lf = lf.with_row_index("_row", offset=1)
    key = pl.col(PARTITION_KEY[name]).cast(pl.String).str.strip_chars()
    values: list[pl.Expr] = []
    bad: list[pl.LazyFrame] = []
    flags: list[pl.Expr] = []
    if "id_number" in have:
        # a 公民身份号码 as `wengang screen` reads it (screening.quarantine: NFKC, ="…" unwrapped, upper case), so …170x
        # and …170X are one person in every join (outside audit D5, session 39); the key of a quarantined row too
        from wengang.facts.identifiers import REASONS_EN, REASONS_ZH, id_number_reasons
        from wengang.ingest.columns import identifier

        written = id_number_text(pl.col("id_number"))
        if name in ("registry", "ui_claims"):
            # an old 15-digit number as its 18-digit form, so that it matches the person's other rows (a claim
            # in a second region under the 15-digit form had escaped ui_cross_region; outside audit, session 41)
            written = eighteen_digit_id(written)
        lf = id_number_reasons(lf.with_columns(written.alias(_ID)), _ID, _ID_REASON)
        key = pl.col(_ID)
        if name in ID_CHECKED:
            # a number that is no 公民身份号码 (15 digits, a wrong check character, no such birth date or place): the
            # row is quarantined with the reason and the checks that read the table do not pass the person; an empty
            # one stays a missing fact (unchecked), as before
            reason = pl.col(_ID_REASON)
            flag = (reason.is_not_null() & (reason != "empty")).fill_null(False)
            flags.append(flag)
            bad.append(lf.filter(flag).select(
                pl.lit(name).alias("table"), pl.col("_row").cast(pl.Int64).alias("row"), pl.lit("id_number").alias("field"),
                mask_loose_expr(pl.col(_ID)).alias("value"),
                pl.format("公民身份号码{}", reason.replace_strict(REASONS_ZH, default="无效")).alias("reason_zh"),
                pl.format("ID number {}", reason.replace_strict(REASONS_EN, default="invalid")).alias("reason_en"),
                key.alias("key"),
            ))  # fmt: skip
    for c, t in wanted.items():
        if c not in have:
            values.append(pl.lit(None, dtype=t).alias(c))
            continue
        if c == "id_number":
            values.append(pl.col(_ID).alias(c))
            continue
        if c in IDENTIFIER_COLUMNS and have[c] == pl.String:
            # full-width digits and ="…" read as the code they show, as the screening tables read them (outside
            # audit F3, session 38: a full-width 发证地 matched no region and flagged every certificate); a credit
            # code's inner spaces and hyphens dropped and its letters upper-cased, as `wengang screen` reads one
            from wengang.ingest.columns import identifier

            code = identifier(pl.col(c))
            if c in CREDIT_CODE_COLUMNS:
                code = code.str.replace_all(r"[\s\-]", "").str.to_uppercase()
            values.append(code.alias(c))
            continue
        if name == "registry" and c == "kind":
            kind = registry_kind(pl.col(c))
            values.append(kind.alias(c))
            flag = kind.is_null()
            flags.append(flag)
            bad.append(lf.filter(flag).select(
                pl.lit(name).alias("table"), pl.col("_row").cast(pl.Int64).alias("row"), pl.lit(c).alias("field"),
                pl.col(c).cast(pl.String).alias("value"),
                pl.when(pl.col(c).cast(pl.String).str.strip_chars().fill_null("") == "")
                .then(pl.lit("名单类型为空（应为 deceased/死亡 或 invalid_id/身份异常）"))
                .otherwise(pl.format("名单类型“{}”无法识别（应为 deceased/死亡 或 invalid_id/身份异常）", pl.col(c)))
                .alias("reason_zh"),
                pl.when(pl.col(c).cast(pl.String).str.strip_chars().fill_null("") == "")
                .then(pl.lit("kind is empty (deceased/死亡 or invalid_id/身份异常)"))
                .otherwise(pl.format("kind {} is not known (deceased/死亡 or invalid_id/身份异常)", pl.col(c)))
                .alias("reason_en"),
                key.alias("key"),
            ))  # fmt: skip
            continue
        if have[c] == t and c not in MONTH_COLUMNS and c not in yuan:
            continue
        value, faults = _reader(c, t, have[c], "yuan" if c in yuan else "fen")
        values.append(value.cast(t).alias(c))
        for flag, zh, en, _label in faults:
            flag = flag.fill_null(False)
            flags.append(flag)
            bad.append(lf.filter(flag).select(
                pl.lit(name).alias("table"), pl.col("_row").cast(pl.Int64).alias("row"), pl.lit(c).alias("field"),
                pl.col(c).cast(pl.String).alias("value"),
                (pl.lit(zh) if isinstance(zh, str) else zh).cast(pl.String).alias("reason_zh"),
                (pl.lit(en) if isinstance(en, str) else en).cast(pl.String).alias("reason_en"),
                key.alias("key"),
            ))  # fmt: skip
    if flags:
        lf = lf.filter(~pl.any_horizontal(flags))
    if values:
        lf = lf.with_columns(values)
    faults_lf = pl.concat(bad, how="vertical_relaxed") if bad else pl.LazyFrame(schema=QUARANTINE_SCHEMA)
    return lf.drop("_row", _ID, _ID_REASON, strict=False), faults_lf


def prepare(name: str, frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """The table with its required columns checked and read, and absent optional columns added as null (rows
    with an unreadable value left out: :func:`read_table` lists them)."""
    return read_table(name, frame)[0]


def _month_date(col: str) -> pl.Expr:
    # the column is canonical YYYY-MM here (read_table), or null
    return (pl.col(col) + "-01").str.to_date("%Y-%m-%d")


def _missing(**fields: pl.Expr) -> pl.Expr:
    """The names (``table.column``) whose condition holds on the row, joined with 、, or null: the input a
    check could not decide without."""
    if not fields:
        return pl.lit(None, dtype=pl.String)
    names = pl.concat_str(
        [pl.when(cond).then(pl.lit(name)) for name, cond in fields.items()], separator="、", ignore_nulls=True
    )
    return pl.when(names != "").then(names)


def _months_between(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Whole months from first-of-month ``a`` to first-of-month ``b``."""
    return ((b.dt.year() - a.dt.year()) * 12 + b.dt.month() - a.dt.month()).cast(pl.Int64)


def _evidence(fields: Iterable[str]) -> pl.Expr:
    return pl.struct([pl.col(f) for f in fields]).struct.json_encode().alias("evidence")


def _false_rows(check: RiskCheck, lf: pl.LazyFrame, settings: Mapping[str, Any]) -> pl.LazyFrame:
    """The rows where the check's rule is False (only)."""
    passes = check.rule.expr.to_polars(CompileContext({}, settings, dict(check.readings)))
    return lf.filter(passes.not_().fill_null(False))


def _flagged(
    check: RiskCheck, lf: pl.LazyFrame, settings: Mapping[str, Any], t: Mapping[str, Any] | None = None
) -> pl.LazyFrame:
    """The rows where the check's rule is False (``_status`` flag) or cannot be decided (``_status`` unchecked,
    ``_why`` says what is missing): fail closed, a rule that cannot decide never passes. A row of a person
    (firm) with a quarantined row in a table the check reads passes neither. ``_missing`` (optional, from
    :func:`_missing`) names the input fields a derivation found missing."""
    from wengang.rules.expr import Fact

    passes = check.rule.expr.to_polars(CompileContext({}, settings, dict(check.readings)))
    names = lf.collect_schema().names()
    lf = lf.with_columns(passes.alias("_pass"))
    why: list[pl.Expr] = []
    if "_missing" in names:
        why.append(pl.format("缺少或无法读取：{}", "_missing"))
    bad = t.get(BAD_KEYS) if t is not None else None
    key = "firm_id" if "dispatch_refunds" in check.tables else "id_number"
    if bad is not None:
        tables = [*check.tables, *(["persons"] if key == "id_number" else ["dispatch_allocations"])]
        keyed = (
            bad.filter(pl.col("table").is_in(tables))
            .group_by("key")
            .agg(
                pl.format("{} 第 {} 行 {}：{}", "table", "row", "field", "reason_zh")
                .unique().sort().str.join("；").alias("_bad")
            )
            .rename({"key": key})
        )
        lf = lf.join(keyed.lazy(), on=key, how="left").with_columns(
            pl.when(pl.col("_bad").is_not_null() & pl.col("_pass")).then(None).otherwise(pl.col("_pass")).alias("_pass")
        )  # fmt: skip
        why.append(pl.format("有无法读取的记录（已隔离）：{}", "_bad"))
    facts = sorted({x.name for x in check.rule.expr.walk() if isinstance(x, Fact)} & set(names))
    why.append(pl.format("无法判定：{} 为空", _missing(**{f: pl.col(f).is_null() for f in facts})))
    why.append(pl.lit("无法判定"))
    return lf.filter(pl.col("_pass").not_().fill_null(True)).with_columns(
        pl.when(pl.col("_pass").is_null()).then(pl.lit(UNCHECKED)).otherwise(pl.lit(FLAG)).alias("_status"),
        pl.when(pl.col("_pass").is_null()).then(pl.coalesce(why)).alias("_why"),
    )


def _out(
    lf: pl.LazyFrame,
    check: RiskCheck,
    *,
    program: pl.Expr | str,
    year: pl.Expr,
    subject: str,
    name: pl.Expr,
    claim_key: pl.Expr,
    region: str,
    record: pl.Expr,
    amount: pl.Expr,
) -> pl.LazyFrame:
    return lf.select(
        pl.concat_str(pl.lit(check.id + ":"), record).alias("flag_key"),
        pl.lit(check.id).alias("check_id"),
        pl.lit(check.label).alias("label"),
        pl.lit(check.severity).alias("severity"),
        (pl.lit(program) if isinstance(program, str) else program).alias("program"),
        year.cast(pl.Int64).alias("year"),
        pl.col(subject).alias("subject_id"),
        name.cast(pl.String).alias("subject_name"),
        claim_key.cast(pl.String).alias("claim_key"),
        pl.col(region).alias("region_code"),
        record.alias("record"),
        amount.cast(pl.Int64).alias("amount_fen"),
        pl.col("evidence"),
        pl.col("_status"),
        pl.col("_why"),
    )


# --- the derivations ------------------------------------------------------------------------------


SKILL_APPS = "_skill_apps"  # key in the tables: the applications, computed once for checks a and b


def _skill_apps(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Each certificate as a 技能提升补贴 application (免申即享: a certificate is an application), mapped as
    the people screening maps it (:func:`wengang.screening.people.skill_inputs`, with no past subsidies:
    a certificate already paid for is still one to look at)."""
    from wengang.screening.people import skill_inputs

    if SKILL_APPS in t:
        return t[SKILL_APPS]
    return skill_inputs(t["persons"], t["certificates"], None, None, t.get("ui_claims")).apps


def _certificate_outside(
    t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck
) -> pl.LazyFrame:
    from wengang.programs.skill_subsidy import _outside_expr

    apps = _skill_apps(t).with_columns(
        _outside_expr().alias("certificate_outside_place"),
        pl.col("application_id").alias("certificate_no"),
        _missing(**{
            "certificates.issuing_region": pl.col("certificate_region").fill_null("") == "",
            "persons.region_code": (pl.col("insured_region").fill_null("") == "")
            & (pl.col("benefit_region").fill_null("") == ""),
        }).alias("_missing"),
    )  # fmt: skip
    flagged = _flagged(check, apps, s, t).with_columns(_evidence(check.evidence))
    out = _out(
        flagged, check, program="skill_subsidy", year=pl.col("application_date").dt.year(), subject="id_number",
        name=pl.col("name"), claim_key=pl.format("{}:{}", "occupation_code", "level"), region="region_code",
        record=pl.col("certificate_no"), amount=pl.lit(None),
    )  # fmt: skip
    return pl.concat([out, _holderless(t, check, out.collect_schema())], how="vertical_relaxed")


def _holderless(t: Mapping[str, pl.LazyFrame], check: RiskCheck, schema: Mapping[str, Any]) -> pl.LazyFrame:
    """Certificates whose holder is not in the persons table: no insured place, so not checked (never passed)."""
    rows = t["certificates"].join(t["persons"].select("id_number"), on="id_number", how="anti")
    return _open_rows(
        rows.with_columns(pl.lit(None, dtype=pl.String).alias("region_code")), check, schema,
        pl.col("certificate_no"), pl.lit("人员信息表中无此人（无参保地，无法判定）"),
    )  # fmt: skip


def _open_rows(
    rows: pl.LazyFrame, check: RiskCheck, schema: Mapping[str, Any], record: pl.Expr, why: pl.Expr
) -> pl.LazyFrame:
    """Input rows a check cannot decide, in the shape of its derived rows (``schema``), status unchecked."""
    return rows.select(
        pl.concat_str(pl.lit(check.id + ":"), record).alias("flag_key"),
        pl.col("id_number").alias("subject_id"),
        pl.col("region_code"),
        record.alias("record"),
        pl.lit(UNCHECKED).alias("_status"),
        why.alias("_why"),
    ).with_columns([pl.lit(None, dtype=d).alias(c) for c, d in schema.items()
                    if c not in ("flag_key", "subject_id", "region_code", "record", "_status", "_why")]
    ).select(list(schema))  # fmt: skip


BODY_DAYS = "_evaluation_body_days"  # key in the tables of a partition: its certificates' (body, day) counts
BODIES = "_bodies"  # the certificates' bodies, days and holders' partitions, split by body


_BODY_COLUMNS = (
    pl.col("issuer").fill_null("").alias("evaluation_body"), pl.col("issue_date").alias("certificate_issue_date"),
)  # fmt: skip


def _body_days(certificates: pl.LazyFrame, window: int) -> pl.LazyFrame:
    """(evaluation_body, certificate_issue_date, evaluation_body_batch_count) over the certificates given."""
    from wengang.programs.skill_subsidy import evaluation_body_days

    return evaluation_body_days(certificates.select(*_BODY_COLUMNS), window_days=window)


def _flagging_days(days: pl.LazyFrame, s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    """The (body, day) counts the check's rule flags, when it reads nothing but the count and flags no missing
    count: then a certificate without such a row is not flagged either, and the applications are joined to a
    few rows instead of one per body and day. Otherwise all of them."""
    from wengang.rules.expr import Fact

    reads = {x.name for x in check.rule.expr.walk() if isinstance(x, Fact)}
    facts = pl.LazyFrame({"evaluation_body_batch_count": [None]}, schema={"evaluation_body_batch_count": pl.Int64})
    if reads != {"evaluation_body_batch_count"} or _false_rows(check, facts, s).collect().height:
        return days
    return _false_rows(check, days, s)


def _evaluation_body_cluster(
    t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck
) -> pl.LazyFrame:
    window = int(s["evaluation_body_batch_window_days"])
    # counted over every certificate given (a body's batch includes holders outside the persons table); a
    # partitioned run counts them by group of bodies beforehand (:func:`_holder_body_days`)
    days = t.get(BODY_DAYS)
    if days is None:
        days = _flagging_days(_body_days(t["certificates"], window), s, check)
    missing = _missing(**{
        "certificates.issuer": pl.col("evaluation_body").fill_null("") == "",
        "certificates.issue_date": pl.col("certificate_issue_date").is_null(),
    })  # fmt: skip
    apps = (
        _skill_apps(t)
        .rename({"application_id": "certificate_no"})
        .join(days, on=["evaluation_body", "certificate_issue_date"], how="left")
        .with_columns(
            missing.alias("_missing"),
            pl.lit(int(s["evaluation_body_batch_threshold"]), dtype=pl.Int64).alias("threshold"),
            pl.lit(window, dtype=pl.Int64).alias("window_days"),
        )
        # without a body or a day there is no count (not checked); with both, no (body, day) row left by
        # _flagging_days means a count below the line
        .with_columns(
            pl.when(pl.col("_missing").is_null())
            .then(pl.col("evaluation_body_batch_count").fill_null(0))
            .alias("evaluation_body_batch_count")
        )
    )
    flagged = _flagged(check, apps, s, t).with_columns(_evidence(check.evidence))
    out = _out(
        flagged, check, program="skill_subsidy", year=pl.col("application_date").dt.year(), subject="id_number",
        name=pl.col("name"), claim_key=pl.format("{}:{}", "occupation_code", "level"), region="region_code",
        record=pl.col("certificate_no"), amount=pl.lit(None),
    )  # fmt: skip
    return pl.concat([out, _holderless(t, check, out.collect_schema())], how="vertical_relaxed")


def _skill_training(t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    subs = t["subsidies"].with_columns(pl.col("work_type").fill_null("").str.strip_chars())
    # a row of a person paid both kinds that lacks its paid date, or both its certificate number and its
    # occupation or level, cannot be paired: listed as not checked, never taken as "no duplicate"
    both = (
        subs.group_by("id_number")
        .agg(((pl.col("kind") == "skill").any() & (pl.col("kind") == "training").any()).alias("_both"))
        .filter(pl.col("_both"))
        .select("id_number")
    )
    loose_why = _missing(**{
        "subsidies.paid_date": pl.col("paid_date").is_null(),
        "subsidies.certificate_no（及 occupation_code 或 level）": pl.col("certificate_no").is_null()
        & (pl.col("occupation_code").is_null() | pl.col("level").is_null()),
    })  # fmt: skip
    loose = (
        subs.filter(pl.col("kind").is_in(["skill", "training"]))
        .join(both, on="id_number", how="semi")
        .with_columns(loose_why.alias("_loose"))
        .filter(pl.col("_loose").is_not_null())
    )
    subs = subs.join(loose.select("id_number", "kind", "paid_date", "certificate_no", "occupation_code", "level"),
                     on=["id_number", "kind", "paid_date", "certificate_no", "occupation_code", "level"],
                     how="anti", nulls_equal=True)  # fmt: skip
    skill = subs.filter(pl.col("kind") == "skill").select(
        "id_number", "occupation_code", "work_type", "level", "certificate_no",
        pl.col("paid_date").alias("skill_paid_date"), pl.col("amount_fen").alias("skill_amount_fen"),
    )  # fmt: skip
    training = subs.filter(pl.col("kind") == "training").select(
        "id_number", "occupation_code", "work_type", "level", pl.col("certificate_no").alias("_tcert"),
        pl.col("paid_date").alias("training_paid_date"), pl.col("amount_fen").alias("training_amount_fen"),
    )  # fmt: skip
    # the same certificate: its number on both, else the same person, occupation, work type and level
    by_number = skill.filter(pl.col("certificate_no").is_not_null()).join(
        training.filter(pl.col("_tcert").is_not_null()).drop("occupation_code", "work_type", "level"),
        left_on=["id_number", "certificate_no"], right_on=["id_number", "_tcert"], how="inner",
    )  # fmt: skip
    by_match = (
        skill.join(training, on=["id_number", "occupation_code", "work_type", "level"], how="inner")
        .filter(pl.col("certificate_no").is_null() | pl.col("_tcert").is_null())
        .drop("_tcert")
    )
    pairs = pl.concat([by_number, by_match], how="vertical_relaxed")
    key = pl.format(
        "{}/{}:{}/{}", "id_number", "occupation_code", "level", pl.col("skill_paid_date").cast(pl.String)
    )
    first = pl.col("training_paid_date").arg_min()
    pairs = (
        pairs.with_columns(key.alias("_key"))
        .group_by("_key")
        .agg(pl.all().exclude("_key").get(first))
        .with_columns(
            (pl.col("training_paid_date") <= pl.col("skill_paid_date")).alias(
                "training_subsidy_same_level_before"
            ),
            (pl.col("training_paid_date") > pl.col("skill_paid_date")).alias(
                "training_subsidy_same_level_after"
            ),
            pl.when(pl.col("training_paid_date") > pl.col("skill_paid_date"))
            .then(pl.lit("training"))
            .when(pl.col("training_paid_date") < pl.col("skill_paid_date"))
            .then(pl.lit("skill"))
            .otherwise(pl.lit("same_day"))
            .alias("later"),
        )
    )
    persons = t["persons"].select("id_number", pl.col("name").alias("_name"), pl.col("region_code"))
    # a holder not in the persons table has no region: kept, so gating lists the pair as not checked
    pairs = pairs.join(persons, on="id_number", how="left")
    flagged = _flagged(check, pairs, s, t).with_columns(_evidence(check.evidence))
    later = pl.col("later")
    out = _out(
        flagged, check,
        program=pl.when(later == "training").then(pl.lit("training_subsidy")).otherwise(pl.lit("skill_subsidy")),
        year=pl.max_horizontal("skill_paid_date", "training_paid_date").dt.year(), subject="id_number",
        name=pl.col("_name"), claim_key=pl.format("{}:{}", "occupation_code", "level"), region="region_code",
        record=pl.col("_key"),
        amount=pl.when(later == "training").then(pl.col("training_amount_fen"))
        .when(later == "skill").then(pl.col("skill_amount_fen")),
    )  # fmt: skip
    record = pl.format("{}/{}:{}:{}/{}", "id_number", "kind", "occupation_code", "level",
                       pl.col("paid_date").cast(pl.String)).fill_null(pl.concat_str("id_number", pl.lit("/"), "kind"))
    loose = loose.join(persons.select("id_number", "region_code"), on="id_number", how="left")
    return pl.concat([out, _open_rows(loose, check, out.collect_schema(), record,
                                      pl.format("缺少或无法读取：{}", "_loose"))], how="vertical_relaxed")  # fmt: skip


def _ui_base(t: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Each claim with the facts the people screening derives (``ui_facts``: paid months, claimed elsewhere)."""
    from wengang.screening.people import ui_facts

    persons = t.get("persons")
    if persons is None:
        persons = prepare("persons", pl.LazyFrame(schema=REQUIRED["persons"]))
    facts = ui_facts(persons, t["ui_claims"])
    return facts.with_columns(
        pl.col("application_date").dt.strftime("%Y-%m").alias("start_month"),
        pl.col("claim_months").alias("months"),
        pl.col("claim_monthly_fen").alias("monthly_fen"),
        pl.col("application_date").alias("_from"),
        # no months: no end (a claim of unknown length is not taken as a claim of none)
        pl.col("application_date").dt.offset_by(pl.format("{}mo", pl.col("claim_months"))).alias("_to"),
    )


def _incomplete(frame: pl.LazyFrame, table: str, columns: Iterable[str]) -> pl.LazyFrame:
    """Per person, the fields (``table.column``) empty on any of their rows of ``frame`` (``_incomplete``): a row
    without its period or region can overlap anything."""
    cols = list(columns)
    return (
        frame.group_by("id_number")
        .agg([pl.col(c).is_null().any().alias(c) for c in cols])
        .select("id_number", _missing(**{f"{table}.{c}": pl.col(c) for c in cols}).alias("_incomplete"))
        .filter(pl.col("_incomplete").is_not_null())
    )


def _ui_out(flagged: pl.LazyFrame, check: RiskCheck, amount: pl.Expr) -> pl.LazyFrame:
    # a claim without its start month has no claim id: named by the person, so it is still listed
    record = pl.coalesce(pl.col("claim_id"), pl.concat_str(pl.col("id_number"), pl.lit("/（起始月份为空）")))
    return _out(
        flagged.with_columns(_evidence(check.evidence)), check, program="ui_benefit",
        year=pl.col("_from").dt.year(), subject="id_number", name=pl.col("name"), claim_key=pl.lit(""),
        region="region_code", record=record, amount=amount,
    )  # fmt: skip


def _ui_cross_region(t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    from wengang.screening.people import claim_periods, claims_elsewhere

    detail = claims_elsewhere(claim_periods(t["ui_claims"]), t["ui_claims"])
    # a person with a claim lacking its month, length or region: no overlap found is not "none elsewhere"
    gaps = _incomplete(t["ui_claims"], "ui_claims", ("start_month", "months", "region_code"))
    base = (
        _ui_base(t)
        .join(gaps, on="id_number", how="left")
        .with_columns(
            pl.when(~pl.col("claimed_elsewhere") & pl.col("_incomplete").is_not_null())
            .then(None)
            .otherwise(pl.col("claimed_elsewhere"))
            .alias("claimed_elsewhere"),
            pl.col("_incomplete").alias("_missing"),
        )
    )
    flagged = _flagged(check, base, s, t).join(detail, on="claim_id", how="left")
    return _ui_out(flagged, check, pl.col("overlap_months") * pl.col("monthly_fen"))


def _ui_status(t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    from wengang.facts.identifiers import REASONS_ZH, id_number_reasons

    reg = (
        t["registry"]
        .with_columns(pl.col("kind").str.strip_chars())
        .group_by("id_number")
        .agg(
            pl.col("date").filter(pl.col("kind") == "deceased").min().alias("death_date"),
            (pl.col("kind") == "invalid_id").any().alias("_listed_invalid"),
            # an entry whose kind is not known, or a death without its date: the person is not passed
            (~pl.col("kind").is_in(["deceased", "invalid_id"])).fill_null(True).any().alias("_bad_kind"),
            ((pl.col("kind") == "deceased") & pl.col("date").is_null()).any().alias("_undated"),
            pl.col("kind").unique().sort().str.join(",").alias("registry_kind"),
        )
    )
    base = _ui_base(t).join(reg, on="id_number", how="left")
    # GB 11643: check digit, birth date and birthplace (the vectorised stdnum.cn.ric of facts.identifiers)
    base = id_number_reasons(base, "id_number", "_id_reason")
    after_death = pl.col("death_date").dt.month_start().dt.offset_by("1mo")
    months_after = (
        pl.when(pl.col("death_date").is_null())
        .then(None)
        .otherwise(_months_between(pl.max_horizontal("_from", after_death), pl.col("_to")).clip(0, None))
    )
    known_alive = pl.col("death_date").is_null() & ~pl.col("_undated").fill_null(False)
    listed = pl.col("_listed_invalid").fill_null(False) | pl.col("_id_reason").is_not_null()
    base = base.with_columns(months_after.alias("months_after_death")).with_columns(
        # not in the deaths list: alive; listed dead but the claim's months unknown (or no date): not decided
        pl.when(known_alive).then(False).otherwise(pl.col("months_after_death") > 0).alias("deceased"),
        pl.when(listed).then(True).when(pl.col("_bad_kind").fill_null(False)).then(None).otherwise(False)
        .alias("identity_anomaly"),
        _missing(**{
            "registry.date": pl.col("_undated").fill_null(False),
            "registry.kind": pl.col("_bad_kind").fill_null(False),
            "ui_claims.start_month": pl.col("_from").is_null(),
            "ui_claims.months": pl.col("months").is_null(),
        }).alias("_missing"),
        pl.col("_id_reason").replace_strict(REASONS_ZH, default=None, return_dtype=pl.String)
        .fill_null("通过").alias("id_check"),
        pl.col("death_date").cast(pl.String),
    )  # fmt: skip
    flagged = _flagged(check, base, s, t)
    amount = (
        pl.when(pl.col("identity_anomaly"))
        .then(pl.col("months") * pl.col("monthly_fen"))
        .otherwise(pl.col("months_after_death") * pl.col("monthly_fen"))
    )
    return _ui_out(flagged, check, amount)


def _ui_short_term(t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    base = _ui_base(t).with_columns(
        pl.lit(int(s["short_term_insured_months"]), dtype=pl.Int64).alias("threshold"),
        pl.when(pl.col("paid_months").is_null())
        .then(pl.lit("ui_claims.paid_months、persons.insured_months"))
        .alias("_missing"),
    )
    return _ui_out(_flagged(check, base, s, t), check, pl.lit(None))


def _ui_flexible(t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    flex = t["flexible_subsidies"].select(
        "id_number",
        pl.col("start_month").alias("flexible_start_month"),
        _month_date("start_month").alias("_ff"),
        _month_date("start_month").dt.offset_by(pl.format("{}mo", pl.col("months"))).alias("_ft"),
    )
    gaps = _incomplete(t["flexible_subsidies"], "flexible_subsidies", ("start_month", "months"))
    base = _ui_base(t)
    overlap = (
        base.select("claim_id", "id_number", "_from", "_to")
        .join(flex, on="id_number", how="inner")
        .filter((pl.col("_ff") < pl.col("_to")) & (pl.col("_from") < pl.col("_ft")))
        .with_columns(
            _months_between(pl.max_horizontal("_from", "_ff"), pl.min_horizontal("_to", "_ft")).alias(
                "overlap_months"
            )
        )
        .group_by("claim_id")
        .agg(
            pl.col("flexible_start_month").sort().first(),
            pl.col("overlap_months").sum(),
            pl.lit(True).alias("receiving_flexible_employment_subsidy"),
        )
    )
    own = _missing(**{"ui_claims.start_month": pl.col("_from").is_null(), "ui_claims.months": pl.col("_to").is_null()})
    facts = (
        base.join(overlap, on="claim_id", how="left")
        .join(gaps, on="id_number", how="left")
        .with_columns(
            pl.concat_str([own, pl.col("_incomplete")], separator="、", ignore_nulls=True).alias("_missing")
        )
        .with_columns(
            # no overlap found: none, unless this claim's or the person's subsidy periods are incomplete
            pl.when(pl.col("receiving_flexible_employment_subsidy").is_not_null())
            .then(True)
            .when(pl.col("_missing") != "")
            .then(None)
            .otherwise(False)
            .alias("receiving_flexible_employment_subsidy"),
            pl.when(pl.col("_missing") != "").then(pl.col("_missing")).alias("_missing"),
        )
    )
    return _ui_out(_flagged(check, facts, s, t), check, pl.col("overlap_months") * pl.col("monthly_fen"))


def _dispatch(t: Mapping[str, pl.LazyFrame], s: Mapping[str, Any], check: RiskCheck) -> pl.LazyFrame:
    allocations = t.get("dispatch_allocations")
    if allocations is None:
        allocations = prepare("dispatch_allocations", pl.LazyFrame(schema=REQUIRED["dispatch_allocations"]))
    sums = allocations.group_by("firm_id", "year").agg(
        pl.col("allocated_fen").sum().alias("_allocated"),
        pl.col("user_unit_id").n_unique().alias("user_units"),
        pl.col("allocated_fen").is_null().any().alias("_unknown_amount"),
    )
    facts = (
        t["dispatch_refunds"]
        .join(sums, on=["firm_id", "year"], how="left")
        .with_columns(
            # no allocation rows: none allocated; a row without its amount: the total is not known
            pl.when(pl.col("_unknown_amount").fill_null(False))
            .then(None)
            .otherwise(pl.col("_allocated").fill_null(0))
            .alias("dispatch_allocated_fen"),
            pl.col("user_units").fill_null(0),
            _missing(**{
                "dispatch_allocations.allocated_fen": pl.col("_unknown_amount").fill_null(False),
                "dispatch_refunds.dispatch_share_fen": pl.col("dispatch_share_fen").is_null(),
            }).alias("_missing"),
        )
        .with_columns(
            (pl.col("dispatch_share_fen") - pl.col("dispatch_allocated_fen")).alias("difference_fen")
        )
    )
    flagged = _flagged(check, facts, s, t).with_columns(_evidence(check.evidence))
    return _out(
        flagged, check, program="fanhuan", year=pl.col("year"), subject="firm_id", name=pl.col("firm_name"),
        claim_key=pl.lit(""), region="region_code", record=pl.format("{}/{}", "firm_id", "year"),
        amount=pl.when(pl.col("difference_fen") > 0).then(pl.col("difference_fen")),
    )  # fmt: skip


DERIVE = {
    "certificate_outside_place": _certificate_outside,
    "evaluation_body_cluster": _evaluation_body_cluster,
    "skill_training_same_certificate": _skill_training,
    "ui_cross_region": _ui_cross_region,
    "ui_status_anomaly": _ui_status,
    "ui_short_term_insured": _ui_short_term,
    "ui_with_flexible_subsidy": _ui_flexible,
    "dispatch_allocation_mismatch": _dispatch,
}
assert set(DERIVE) == set(CHECKS)


# --- gating by the document in force ----------------------------------------------------------------


# the table and column whose region decides where each check applies (the flags' region_code)
REGION_SOURCE = {
    "certificate_outside_place": "persons", "evaluation_body_cluster": "persons",
    "skill_training_same_certificate": "persons", "ui_cross_region": "ui_claims", "ui_status_anomaly": "ui_claims",
    "ui_short_term_insured": "ui_claims", "ui_with_flexible_subsidy": "ui_claims",
    "dispatch_allocation_mismatch": "dispatch_refunds",
}  # fmt: skip


def unknown_region_zh(code: str | None) -> str:
    if not code:
        return "地区代码为空，未核查"
    return f"地区代码 {code} 不在本系统地区表中，未核查"


def _unknown_codes(codes: Iterable[str | None]) -> set[str | None]:
    """The codes the region table does not know (an empty code included)."""
    from wengang.regions import resolve_region

    out: set[str | None] = set()
    for code in codes:
        if not code:
            out.add(code)
            continue
        try:
            resolve_region(code)
        except LookupError:
            out.add(code)
    return out


def _citations(
    check: RiskCheck, regions: list[str], on: date, include_drafts: bool
) -> tuple[pl.DataFrame, list[str]]:
    """(region → citation and quote where the document in force lists the check, known regions where it does
    not); a region not in the region table is in neither."""
    from wengang.screening.evaluate import plan_regions

    rows: list[tuple[str, str, str]] = []
    outside: list[str] = []
    for plan in plan_regions(check.program, regions, on, include_drafts=include_drafts):
        if plan.no_policy_code == "unknown_region":
            continue
        params = plan.resolution.params if plan.resolution is not None else None
        if params is None or not check.applies_under(params):
            outside.extend(plan.regions)
            continue
        cite = next((params[n] for n in check.cite_params if n in params), None)
        text = cite.citation() if cite is not None else check.citation.short()
        quote = cite.quote if cite is not None else check.citation.quote
        rows.extend((r, text, quote) for r in plan.regions)
    frame = pl.DataFrame(
        rows, schema={"region_code": pl.String, "citation": pl.String, "quote": pl.String}, orient="row"
    )
    return frame, sorted(outside)


# --- bounded memory: partitions -----------------------------------------------------------------------
#
# Every join and group-by of a person-keyed check (a, c–g) is on the ID number, and of the dispatch check (h) on
# the firm: with all rows of one person (one firm) in the same partition, each partition finds exactly the flags
# the whole tables find for its people. The evaluation-body cluster (b) counts a body's certificates whoever
# holds them: its (body, day) counts are computed first by group of bodies, then sent to the partition of each
# certificate's holder. The flags of all partitions are gated and sorted together, so the result does not
# depend on the number of partitions (tests/risk/test_risk_partitions.py).

PARTITION_KEY = {
    "persons": "id_number", "certificates": "id_number", "subsidies": "id_number", "ui_claims": "id_number",
    "registry": "id_number", "flexible_subsidies": "id_number",
    "dispatch_refunds": "firm_id", "dispatch_allocations": "firm_id",
}  # fmt: skip
assert set(PARTITION_KEY) == set(TABLES)
# rows of all tables per partition without --memory-limit: keeps peak memory bounded whatever N is
ROWS_PER_PARTITION = 12_000_000
# peak memory of a run, measured (docs/performance.md, s20-r3; an upper bound: 4.0 GiB at 11.6 M rows a
# partition): a base (the policies, the compiled rules, Polars) and per input row of the partition in memory
MEMORY_BASE_BYTES = 900 * 2**20
MEMORY_BYTES_PER_ROW = 350
MIN_ROWS_PER_PARTITION = 200_000
MAX_PARTITIONS = 1024


def partition_of(column: str, partitions: int) -> pl.Expr:
    """Stable partition number of a key column (the value as written: the checks join on it as written)."""
    return (pl.col(column).hash(seed=0x5249) % partitions).cast(pl.Int64)


def rows_per_partition(memory_limit_gib: float | None) -> int:
    """Input rows per partition so that a run stays within ``memory_limit_gib`` (``--memory-limit``), by the
    measured model above; at most :data:`ROWS_PER_PARTITION`. A limit the model cannot meet is refused."""
    if memory_limit_gib is None:
        return ROWS_PER_PARTITION
    rows = int((memory_limit_gib * 2**30 - MEMORY_BASE_BYTES) // MEMORY_BYTES_PER_ROW)
    if rows < MIN_ROWS_PER_PARTITION:
        need = (MEMORY_BASE_BYTES + MEMORY_BYTES_PER_ROW * MIN_ROWS_PER_PARTITION) / 2**30
        raise RiskInputError(
            f"内存上限 {memory_limit_gib:g} GiB 过小（至少约 {need:.1f} GiB）",
            f"a memory limit of {memory_limit_gib:g} GiB is too small (at least ~{need:.1f} GiB)",
        )
    return min(ROWS_PER_PARTITION, rows)


def _scans(into: Path, n: int, schema: Mapping[str, Any]) -> list[pl.LazyFrame]:
    parts = []
    for i in range(n):
        folder = into / f"__part={i}"
        parts.append(pl.scan_ipc(folder / "*.ipc") if folder.exists() else pl.LazyFrame(schema=dict(schema)))
    return parts


def _split_all(
    frames: Mapping[str, pl.LazyFrame], keys: Mapping[str, pl.Expr], n: int, into: Path, engine: Any
) -> dict[str, list[pl.LazyFrame]]:
    """Each frame split into ``n`` partitions by its key, streamed (rows in their order), one frame after the
    other: sinks run together buffer more (1.9 GB for the nine at 10 M people, and a scan read by two sinks
    would be cached whole). Uncompressed Arrow IPC: the folder holds about the tables' size in memory
    (~100 bytes a certificate); LZ4 cost 60 % more CPU to write."""
    for name, f in frames.items():
        f.sink_ipc(
            pl.PartitionBy(into / name, key=keys[name].alias("__part"), include_key=False),
            compression="uncompressed", mkdir=True, engine="streaming" if engine == "auto" else engine,
        )  # fmt: skip
    return {name: _scans(into / name, n, f.collect_schema()) for name, f in frames.items()}


def _holder_body_days(
    bodies: list[pl.LazyFrame], s: Mapping[str, Any], n: int, into: Path, engine: Any
) -> list[pl.LazyFrame]:
    """The evaluation-body counts of the certificates of each person partition, from the certificates split
    by body (``bodies``: evaluation_body, certificate_issue_date, _holder_part): each group of bodies counted
    as :func:`_body_days` counts them, and its (body, day) counts written to the partition of each holder of
    that body's certificates of that day."""
    from wengang.programs.skill_subsidy import evaluation_body_days

    check = CHECKS["evaluation_body_cluster"]
    window = int(s["evaluation_body_batch_window_days"])
    for j, part in enumerate(bodies):  # one group of bodies in memory at a time
        days = evaluation_body_days(part, window_days=window, by=["_holder_part"])
        _flagging_days(days, s, check).sink_ipc(
            pl.PartitionBy(into / str(j), key="_holder_part", include_key=False),
            compression="uncompressed", mkdir=True, engine="streaming" if engine == "auto" else engine,
        )  # fmt: skip
    schema = {"evaluation_body": pl.String, "certificate_issue_date": pl.Date,
              "evaluation_body_batch_count": pl.Int64}  # fmt: skip
    out = []
    for i in range(n):
        files = sorted(into.glob(f"*/_holder_part={i}/*.ipc"))
        out.append(pl.scan_ipc(files).select(list(schema)) if files else pl.LazyFrame(schema=schema))
    return out


def screen(
    tables: Mapping[str, pl.LazyFrame | pl.DataFrame | None],
    *,
    on: date,
    settings: Mapping[str, Any] | None = None,
    checks: Iterable[str] | None = None,
    include_drafts: bool = False,
    engine: Literal["auto", "in-memory", "streaming"] = "auto",
    partitions: int | None = None,
    memory_limit_gib: float | None = None,
    workdir: str | Path | None = None,
) -> RiskRun:
    """Run the registry's checks (all, or ``checks``) over the tables given; a check whose tables or settings
    are missing is skipped with the reason. Flags only in regions whose document in force on ``on`` lists
    the check, each citing that document.

    Large inputs are checked partition by partition (see above), in temporary files under ``workdir``
    (default: the system's temporary folder): as many partitions as ``partitions``, else as the input rows
    need under ``memory_limit_gib`` (:func:`rows_per_partition`). The flags are the same whatever the
    number: sorted by check, region, subject, record; a flag key found twice keeps the first in that order
    of all the columns."""
    settings = dict(settings or {})
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise RiskInputError(f"未知数据表：{'、'.join(unknown)}", f"unknown tables: {', '.join(unknown)}")
    t: dict[str, pl.LazyFrame] = {}
    unreadable: list[pl.LazyFrame] = []
    for name, frame in tables.items():
        if frame is not None:
            t[name], faults = read_table(name, frame)
            unreadable.append(faults)
    given = list(t)
    counted = pl.collect_all([tables[n].lazy().select(pl.len()) for n in given] + unreadable)  # type: ignore[union-attr]
    rows_in = {n: int(c.item()) for n, c in zip(given, counted, strict=False)}
    quarantine = (
        pl.concat(counted[len(given):], how="vertical_relaxed").cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
        .sort("table", "row", "field")
        if unreadable else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )  # fmt: skip
    wanted = list(CHECKS) if checks is None else list(checks)
    bad = [c for c in wanted if c not in CHECKS]
    if bad:
        raise RiskInputError(f"未知核查项：{'、'.join(bad)}", f"unknown checks: {', '.join(bad)}")
    skipped: dict[str, str] = {}
    run: list[str] = []
    for cid in wanted:
        check = CHECKS[cid]
        lacking = [n for n in check.tables if n not in t]
        if lacking:
            skipped[cid] = f"缺少数据表 {'、'.join(lacking)}"
            continue
        unset = [n for n in check.settings if settings.get(n) is None]
        if unset:
            skipped[cid] = f"缺少地区设置 {'、'.join(unset)}（文件未给出数值，由经办方设定）"
            continue
        run.append(cid)
    n = partitions
    if n is None and run:
        n = -(-sum(rows_in.values()) // rows_per_partition(memory_limit_gib))
    n = max(1, min(n or 1, MAX_PARTITIONS))
    # the regions of each check's rows: a code not in the region table (or none) leaves its rows unchecked
    sources = sorted({REGION_SOURCE[c] for c in run if REGION_SOURCE[c] in t})
    by_region = dict(zip(sources, pl.collect_all(
        [t[n_].group_by("region_code").len() for n_ in sources]), strict=True))  # fmt: skip
    unknown_regions: dict[str, dict[str, int]] = {}
    for cid in run:
        src = by_region.get(REGION_SOURCE[cid])
        if src is not None:
            odd = _unknown_codes(src.get_column("region_code").to_list())
            hit = {r["region_code"] or "": r["len"] for r in src.to_dicts() if r["region_code"] in odd}
            if hit:
                unknown_regions[cid] = dict(sorted(hit.items()))
    if quarantine.height:
        t[BAD_KEYS] = quarantine.lazy()
    lap = _Laps()
    found = _find(t, settings, run, n, engine, workdir, lap) if run else {}
    parts: list[pl.DataFrame] = []
    unchecked: list[pl.DataFrame] = []
    counts: dict[str, int] = {}
    outside: dict[str, list[str]] = {}
    for cid, frame in found.items():
        check = CHECKS[cid]
        regions = frame.get_column("region_code").drop_nulls().unique().sort().to_list()
        cites, outside[cid] = _citations(check, regions, on, include_drafts)
        odd = _unknown_codes([*regions, None])
        flagged = frame.filter(pl.col("_status") == FLAG)
        kept = flagged.join(cites, on="region_code", how="inner")
        counts[cid] = kept.height
        parts.append(kept.select(list(FLAG_SCHEMA)))
        # not decided where the check applies, or any row whose region is unknown or empty: listed, never passed
        open_rows = pl.concat([
            frame.filter(pl.col("_status") == UNCHECKED).join(cites.select("region_code"), on="region_code", how="semi"),
            frame.filter(pl.col("region_code").is_null() | pl.col("region_code").is_in([r for r in odd if r])),
        ], how="vertical_relaxed")  # fmt: skip
        unchecked.append(open_rows.select(
            pl.lit(cid).alias("check_id"), pl.col("subject_id"), pl.col("region_code"), pl.col("record"),
            pl.when(pl.col("region_code").is_null() | pl.col("region_code").is_in([r for r in odd if r]))
            .then(pl.concat_str([pl.when(pl.col("region_code").is_null()).then(pl.lit(unknown_region_zh(None)))
                                 .otherwise(pl.format("地区代码 {} 不在本系统地区表中，未核查", "region_code")),
                                 pl.col("_why")], separator="；", ignore_nulls=True))
            .otherwise(pl.col("_why")).alias("reason"),
        ).unique(maintain_order=True))  # fmt: skip
    flags = (
        pl.concat(parts, how="vertical_relaxed").cast(FLAG_SCHEMA)  # type: ignore[arg-type]
        if parts
        else pl.DataFrame(schema=FLAG_SCHEMA)
    )
    order = ["check_id", "region_code", "subject_id", "record"]
    flags = flags.sort([*order, *(c for c in FLAG_SCHEMA if c not in order)], nulls_last=True).unique(
        "flag_key", keep="first", maintain_order=True
    )
    lap("gating")
    open_rows = (
        pl.concat(unchecked, how="vertical_relaxed").cast(UNCHECKED_SCHEMA)  # type: ignore[arg-type]
        .sort("check_id", "region_code", "subject_id", "record", nulls_last=True)
        if unchecked else pl.DataFrame(schema=UNCHECKED_SCHEMA)
    )  # fmt: skip
    unchecked_counts = {cid: open_rows.filter(pl.col("check_id") == cid).height for cid in found}
    return RiskRun(
        flags, counts, skipped, {k: v for k, v in outside.items() if v}, open_rows,
        {k: v for k, v in unchecked_counts.items() if v}, unknown_regions, quarantine, rows_in, n, lap.steps,
    )


class _Laps:
    """(wall, CPU) seconds of each step since the previous one (CPU: the process's, all threads)."""

    def __init__(self) -> None:
        self.steps: dict[str, tuple[float, float]] = {}
        self._last = (time.perf_counter(), time.process_time())

    def __call__(self, name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self.steps[name] = (now[0] - self._last[0], now[1] - self._last[1])
        self._last = now


def _find(
    t: Mapping[str, pl.LazyFrame], settings: Mapping[str, Any], run: list[str], n: int, engine: Any,
    workdir: str | Path | None, lap: _Laps,
) -> dict[str, pl.DataFrame]:
    """Each check's flagged rows before gating: all checks' plans collected together (Polars shares the
    common scans and joins), over the whole tables or partition by partition."""
    def plans(t: Mapping[str, pl.LazyFrame]) -> list[pl.LazyFrame]:
        if {"certificate_outside_place", "evaluation_body_cluster"} <= set(run):  # both read the applications
            t = {**t, SKILL_APPS: _skill_apps(t).cache()}
        return [DERIVE[cid](t, settings, CHECKS[cid]) for cid in run]

    if n == 1:
        found = pl.collect_all(plans(t), engine=engine)
        lap("checks")
        return dict(zip(run, found, strict=True))
    out: dict[str, list[pl.DataFrame]] = {cid: [] for cid in run}
    bad = t.get(BAD_KEYS)
    t = {k: v for k, v in t.items() if k != BAD_KEYS}
    with tempfile.TemporaryDirectory(prefix="wengang-risk-", dir=workdir) as tmp:
        into = Path(tmp)
        frames = dict(t)
        keys = {name: partition_of(PARTITION_KEY[name], n) for name in t}
        if "evaluation_body_cluster" in run:  # the certificates split by body too
            frames[BODIES] = t["certificates"].select(
                *_BODY_COLUMNS, partition_of("id_number", n).alias("_holder_part")
            )
            keys[BODIES] = partition_of("evaluation_body", n)
        split = _split_all(frames, keys, n, into / "tables", engine)
        lap("split")
        days = _holder_body_days(split.pop(BODIES), settings, n, into / "days", engine) if BODIES in split else None
        lap("bodies")
        for i in range(n):
            ti = {name: parts[i] for name, parts in split.items()}
            if bad is not None:
                ti[BAD_KEYS] = bad
            if days is not None:
                ti[BODY_DAYS] = days[i]
            found = pl.collect_all(plans(ti), engine=engine)
            for cid, frame in zip(run, found, strict=True):
                out[cid].append(frame)
        lap("partitions")
    return {cid: pl.concat(frames, how="vertical_relaxed") for cid, frames in out.items()}
