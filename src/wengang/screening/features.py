"""Derive the per-unit fact table (the columns of :class:`~wengang.facts.unit.UnitFacts`) from raw records.

Policy year ``Y``: the refund paid in ``Y`` is judged on year ``Y−1`` data; ``D`` is the evaluation date.
Every column below is computed with Polars expressions (lazy, streaming-capable); one row per unit of the
registry, columns exactly :data:`FEATURE_SCHEMA` (the UnitFacts fields, in order; ``region_code`` is one).

Definitions (the switches the texts leave open are parameters; the engine can apply either reading because
the raw ingredients are separate columns):

``months_fully_paid``
    Consecutive months, counting back from ``latest_month`` (default: the month before ``D``'s month), in
    which the unit paid in full: a record exists, ``paid_fen ≥ due_fen`` and ``paid_date`` is on or before
    ``D``. A missing month breaks the run. Capped at 63 (computed as the trailing ones of a 64-bit mask of
    fully-paid months); the texts need 12.
``months_fully_paid_total``
    Cumulative months paid in full (same test per month) among the months up to ``latest_month`` that the
    monthly records hold: the window is whatever the contribution file covers, so an agency that extracts
    only the last N months gets at most N. This is what the default reading of “足额缴纳失业保险费12个月以上”
    (``fanhuan.months_fully_paid = cumulative``) reads.
``paid_premium_last_year_fen``
    企业及其职工上年度实际缴纳的当年度失业保险费: ``paid_fen`` of rows whose month covered is in ``Y−1``
    and whose ``paid_date`` is on or before ``base_paid_by`` (default ``Y−1``-12-31, i.e. paid during
    the year; an agency that also counts ``Y−1`` months paid up by a later cut-off passes that date).
    Late fees are never in it; payments for other years' months are never in it (兵团 draft: 不含补缴的其他
    年度欠费和滞纳金).
``backpay_other_years_fen``
    ``paid_fen`` paid during ``Y−1`` (``paid_date`` in ``Y−1``) for months **before** ``Y−1``.
``paid_premium_after_year_fen``
    ``paid_fen`` of rows whose month covered is in ``Y−1`` and whose ``paid_date`` is after ``base_paid_by`` and on
    or before ``D`` (read only under ``fanhuan.base_payment_date=by_period``).
``overpaid_premium_last_year_fen``
    Σ (``paid_fen`` − ``due_fen``) over the rows counted in ``paid_premium_last_year_fen`` that paid above their due
    (row by row: a month split into rows that each carry the month's due is not an overpayment); a 核查 flag.
``late_fee_fen``
    ``late_fee_fen`` of rows paid during ``Y−1`` (any month covered).
``insured_person_months_last_year``
    Σ ``insured_persons`` over the 12 months of ``Y−1`` (a missing month counts 0). The rules take the monthly
    average insured staff as this ÷ 12, exactly: "30人（含）以下" and a layoff rate over the average read the
    text's figure (36.5 is above 36 and below 37). ``avg_insured_last_year`` is left empty: a whole number
    would have to round it.
``avg_contributors_12m``
    The same sum ÷ 12, **floored**: its only test is ``≥ 300`` (large enterprise), and with an integer
    threshold ``floor(s/12) ≥ 300 ⇔ s ≥ 3600``, so the test stays exact.
``insured_headcount``, ``layoffs_last_year``, ``normal_attrition_last_year``
    From the headcount table for year ``Y−1``; ``insured_headcount`` falls back to the December ``Y−1``
    monthly record.
exclusion flags
    A list entry counts when ``date_from ≤ D`` and (``date_to`` is empty or ``date_to > D``): on its removal day
    (移出日期) a unit is no longer listed.
``outstanding_deferral``
    A deferral with ``deferred_fen > 0`` that started on or before ``D`` and is not paid up by ``D``.
``dispatched_workers`` / ``dispatched_to_public_institutions``
    Sums over the dispatch firm's allocations.
``size_class_2017``, ``stats_data_shared``, ``legal_entity_size_class``, ``legal_entity_avg_contributors_12m``
    The inputs of 划型, not a decision: the 2017-standard class from the indicators, whether a statistics
    table was supplied, and a branch's legal entity's class (statistics, else the 2017 standard) and average
    contributors. Which steps apply (the ≥300 rule is 山西's) is decided by the rules of the document in
    force (``fanhuan.eff_class``), so screening and one-case evaluation agree (review E12).
``size_class``, ``size_class_step``
    For the summaries only: the jurisdiction-neutral class (legal entity, statistics, 2017 standard) and its
    step. The rules treat a class with a derived step as derived, never as an existing (已认定) class.
``dispatched_premium_last_year_fen``, ``si_system_size_class``, ``applied``, ``refunded_at_topup_from_rate``,
``refund_already_paid_fen``
    Not derivable from the raw tables here (no per-worker premium split, no 兵团 SI-system class, no
    application or payment ledger): null / model default.
``premium_due_6m_fen``
    Null: the 2019 hardship standard needs all social-insurance premiums due, which UI records do not hold.
``has_corporate_account``
    Null in the registry is read as ``False`` (no account known: the unit cannot be paid without fixing it).

For inputs that do not fit in memory, :func:`derive_features_partitioned` splits units by a hash of the
credit code, validates and derives each partition on its own, and joins branches to their legal entity's
class once every partition is done (branches are held back until then).
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Union, get_args, get_origin

import polars as pl

from wengang.facts.identifiers import credit_code_normalised
from wengang.facts.industries import size_category_expr
from wengang.facts.size_class import SIZE_TABLE_2017, classify_2017_expr
from wengang.facts.unit import REFUND_YEAR_LISTS, UnitFacts
from wengang.ingest.files import is_parquet
from wengang.progress import Step
from wengang.screening import prefetch
from wengang.screening.ingest import RawTable
from wengang.screening.output import ParquetAppender
from wengang.screening.quarantine import (
    ValidationReport,
    ValidationResult,
    month_index,
    registry_numbers,
    validate_table,
)
from wengang.screening.schemas import EXCLUSION_LIST_TYPES, FEATURE_BOOKS

MAX_STREAK = 63


def _dtype_for(annotation) -> pl.DataType:
    if get_origin(annotation) in (Union, UnionType):
        annotation = next(a for a in get_args(annotation) if a is not NoneType)
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if annotation is bool:
        return pl.Boolean()
    if annotation is int:
        return pl.Int64()
    if annotation is date:
        return pl.Date()
    return pl.String()  # str and the StrEnums


def _feature_schema() -> pl.Schema:
    return pl.Schema({name: _dtype_for(f.annotation) for name, f in UnitFacts.model_fields.items()})


FEATURE_SCHEMA: pl.Schema = _feature_schema()
FEATURE_DEFAULTS = {
    n: f.default.value if hasattr(f.default, "value") else f.default
    for n, f in UnitFacts.model_fields.items()
    if f.default is not None and f.default.__class__.__name__ != "PydanticUndefinedType"
}


@dataclass(frozen=True)
class FeatureParams:
    policy_year: int
    evaluation_date: date
    latest_month: str | None = None
    base_paid_by: date | None = None

    @property
    def last_year(self) -> int:
        return self.policy_year - 1

    @property
    def latest(self) -> str:
        if self.latest_month:
            return self.latest_month
        first = self.evaluation_date.replace(day=1) - timedelta(days=1)
        return f"{first.year:04d}-{first.month:02d}"

    @property
    def paid_by(self) -> date:
        return self.base_paid_by or date(self.last_year, 12, 31)


def _lazy(x) -> pl.LazyFrame | None:
    if x is None:
        return None
    return x.lazy() if isinstance(x, pl.DataFrame) else x


CODE_KEY = "__cc_key"  # optional integer column of the monthly rows: equal exactly when credit_code is
MONTH_INDEX = "__month_index"  # optional column of the monthly rows: the month's year·12 + month − 1


def contribution_features(
    contributions: pl.LazyFrame, p: FeatureParams, *, by_key_only: bool = False
) -> pl.LazyFrame:
    """Per-unit aggregates of the monthly records (one group-by pass).

    When the rows carry :data:`CODE_KEY` (see ``validate_table(key_out=...)``) the group-by is on that
    integer and the code is taken from each group's first row; the groups are the same. ``by_key_only``:
    the result is joined on the key (registry numbering), so the code is not carried (the group of codes
    the registry does not have, null key, is left out by the join).
    """
    y1 = p.last_year
    d = p.evaluation_date
    latest = int(p.latest[:4]) * 12 + int(p.latest[5:7]) - 1
    # the month text is parsed once: month index (year·12 + month − 1) and year
    if MONTH_INDEX in contributions.collect_schema().names():  # computed by validation
        contributions = contributions.rename({MONTH_INDEX: "__mi"})
    else:
        contributions = contributions.with_columns(month_index(pl.col("month")).alias("__mi"))
    mi = pl.col("__mi")
    k = pl.lit(latest, dtype=pl.Int32) - mi
    # a month fully paid: null, not false, where the date is missing (no is_not_null pass); when/then reads null as
    # false and the count below skips it, so every aggregate is the same
    full = (pl.col("paid_fen") >= pl.col("due_fen")) & (pl.col("paid_date") <= pl.lit(d))
    # 2^k for 0 ≤ k < 63, else 0: a lookup in a 64-entry table (twice as fast as a replace)
    powers = pl.Series([1 << i for i in range(MAX_STREAK)] + [0], dtype=pl.UInt64)
    bit = pl.lit(powers).gather(pl.when((k >= 0) & (k < MAX_STREAK)).then(k).otherwise(MAX_STREAK))
    # the months of year y1 and of the years before it, as ranges of the month index (no division per row)
    in_y1, before_y1 = mi.is_between(y1 * 12, y1 * 12 + 11), mi < y1 * 12
    paid_in_y1 = pl.col("paid_date").is_between(pl.lit(date(y1, 1, 1)), pl.lit(date(y1, 12, 31)))
    keyed = CODE_KEY in contributions.collect_schema().names()
    key = CODE_KEY if keyed else "credit_code"
    # each row's contribution is computed flat (vectorised), then summed per unit with plain aggregations
    # (a when/then inside the aggregation is evaluated group by group, several times slower). A row that adds nothing
    # adds a null, not a 0: ``when/then`` with no ``otherwise`` keeps the values and only masks them (an ``otherwise(0)``
    # wrote a new column), and a sum skips nulls (a unit whose every value is null sums to 0, as before)
    with_code = keyed and not by_key_only
    flat = contributions.select(
        # "+ 0" drops the sorted flag validation's numbering carries: see the group-by below
        (pl.col(key) + 0).alias(key) if keyed else key,
        *(["credit_code"] if with_code else []),
        pl.when(full).then(bit).alias("_mask"),
        # summed as a Boolean: the count (UInt32; add_contributions reads it as Int64), not an Int64 copy of every row
        (full & (k >= 0)).alias("_full_months"),
        pl.when(in_y1 & (pl.col("paid_date") <= pl.lit(p.paid_by)))
        .then(pl.col("paid_fen"))
        .alias("paid_premium_last_year_fen"),
        pl.when(before_y1 & paid_in_y1).then(pl.col("paid_fen")).alias("backpay_other_years_fen"),
        # last year's months paid after the cut-off, up to D (fanhuan.base_payment_date=by_period), and what a row paid
        # above its premium due inside the base (the 核查 flag overpaid_months): session 42, audit a1
        pl.when(in_y1 & (pl.col("paid_date") > pl.lit(p.paid_by)) & (pl.col("paid_date") <= pl.lit(d)))
        .then(pl.col("paid_fen"))
        .alias("paid_premium_after_year_fen"),
        pl.when(in_y1 & (pl.col("paid_date") <= pl.lit(p.paid_by)) & (pl.col("paid_fen") > pl.col("due_fen")))
        .then(pl.col("paid_fen") - pl.col("due_fen"))
        .alias("overpaid_premium_last_year_fen"),
        # a missing fee is null as well (no fill_null pass)
        pl.when(paid_in_y1).then(pl.col("late_fee_fen")).alias("late_fee_fen"),
        pl.when(in_y1).then(pl.col("insured_persons")).alias("_persons_sum"),
        pl.when(mi == y1 * 12 + 11).then(pl.col("insured_persons")).alias("_dec_persons"),
    )
    # one hash group-by on the streaming engine, in no particular order (the result is joined by key): with 1 M units
    # it is faster than an order-keeping one, and than slicing the runs of a key flagged sorted (each aggregation
    # then goes group by group on one core: 0.8 CPU-s against 0.55 for the seven of them)
    out = flat.group_by(key, maintain_order=with_code).agg(
        *([pl.col("credit_code").first()] if with_code else []),
        pl.col("_mask").sum(),
        pl.col("_full_months").sum(),
        pl.col("paid_premium_last_year_fen").sum(),
        pl.col("backpay_other_years_fen").sum(),
        pl.col("paid_premium_after_year_fen").sum(),
        pl.col("overpaid_premium_last_year_fen").sum(),
        pl.col("late_fee_fen").sum(),
        pl.col("_persons_sum").sum(),
        pl.col("_dec_persons").max(),
    )
    return out.drop(CODE_KEY) if with_code else out


# the dated lists' state in the refund year, each the fact ``<list>_refund_year`` (facts.unit.REFUND_YEAR_LISTS)
REFUND_YEAR_FLAGS = tuple(f"{t}_refund_year" for t in REFUND_YEAR_LISTS)


def _exclusion_flags(exclusions: pl.LazyFrame, d: date, key: str, refund_year: int) -> pl.LazyFrame:
    """Per unit on a list: on each list on ``d`` (the review date), and on each dated list at some time in
    ``refund_year`` (``<list>_refund_year``, what the reading ``fanhuan.exclusion_status_date=refund_year`` reads:
    “上年度内曾属该情形”). A unit on no list that day nor that year has no row: its callers read it as on none."""
    # removed on D (移出日期 = D): no longer listed that day (outside held-out audit, session 42)
    on = (pl.col("date_from") <= pl.lit(d)) & (pl.col("date_to").is_null() | (pl.col("date_to") > pl.lit(d)))
    # listed on some day of the year: from on or before its last day, removed after its first (removed on 1 January:
    # not listed that day)
    first, last = date(refund_year, 1, 1), date(refund_year, 12, 31)
    in_year = (pl.col("date_from") <= pl.lit(last)) & (pl.col("date_to").is_null() | (pl.col("date_to") > pl.lit(first)))
    return (
        exclusions.filter(on | in_year)
        .group_by(key)
        .agg(
            *[((pl.col("list_type") == t) & on).any().alias(t) for t in EXCLUSION_LIST_TYPES],
            *[((pl.col("list_type") == t) & in_year).any().alias(f"{t}_refund_year") for t in REFUND_YEAR_LISTS],
        )
    )


def _deferral_flags(deferrals: pl.LazyFrame, d: date, key: str = "credit_code") -> pl.LazyFrame:
    started = (pl.col("period_from") + "-01").str.to_date("%Y-%m-%d") <= pl.lit(d)
    open_ = pl.col("paid_up_date").is_null() | (pl.col("paid_up_date") > pl.lit(d))
    return (
        deferrals.filter(started & open_ & (pl.col("deferred_fen") > 0))
        .select(key)
        .unique()
        .with_columns(pl.lit(True).alias("outstanding_deferral"))
    )


def _dispatch_sums(dispatch: pl.LazyFrame, key: str = "credit_code", units: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """Per dispatch firm: its dispatched workers, and those dispatched to 机关事业单位 — a user unit is one where the
    registry (``units``) has it with ``org_type`` public_institution, or the row's ``user_is_public_institution`` says
    so; where the registry does not have the user unit and the row's flag is blank, whether it is one is not known and
    the firm's count is null (unknown: 晋人社厅发〔2024〕28号 五 "派遣到机关事业单位的劳动者不在稳岗返还政策覆盖范围
    之内" — a blank flag is never read as "not public"; outside held-out audit, session 42)."""
    # the firm's code: numbered by the registry (key) or as text
    firm = pl.col(CODE_KEY) if key == CODE_KEY else pl.col("dispatch_credit_code").alias("credit_code")
    flag = pl.col("user_is_public_institution")
    if units is not None and "org_type" in units.collect_schema().names():
        # only the registry's rows of the user units named here (a few thousand), not a unique over every unit's code
        named = dispatch.select(pl.col("user_credit_code").alias("credit_code")).unique()
        users = (
            units.join(named, on="credit_code", how="semi")
            .select(pl.col("credit_code").alias("__user"), (pl.col("org_type").cast(pl.String) == "public_institution").alias("__reg"))
            .unique("__user")
        )
        dispatch = dispatch.join(users, left_on="user_credit_code", right_on="__user", how="left", maintain_order="left")
        public = pl.when(pl.col("__reg").is_not_null()).then(pl.col("__reg") | flag.fill_null(False)).otherwise(flag)
    else:
        public = flag
    unknown = (public.is_null() & (pl.col("workers") > 0)).any()
    return dispatch.group_by(firm).agg(
        pl.col("workers").sum().alias("dispatched_workers"),
        pl.when(unknown)
        .then(pl.lit(None, dtype=pl.Int64))
        .otherwise(pl.when(public.fill_null(False)).then(pl.col("workers")).otherwise(0).sum())
        .alias("dispatched_to_public_institutions"),
    )


def _rows_by_number(numbers: pl.Series, size: int) -> pl.Series:
    """A lookup array of ``size`` entries: at each registry number of ``numbers`` its row there, null elsewhere."""
    rows = pl.int_range(0, numbers.len(), dtype=pl.UInt32, eager=True)
    return pl.repeat(None, size, dtype=pl.UInt32, eager=True).scatter(numbers, rows)


def _left_rows(left: pl.DataFrame, key: str, memo: dict) -> pl.Series:
    """:func:`_rows_by_number` of ``left``'s numbers (each number's row in ``left``, null where it has none), as long as
    the largest number + 1; kept in ``memo`` for the next table joined to the same rows (``left`` only gains columns)."""
    if "rows" not in memo:
        keys = left.get_column(key)
        memo["rows"] = _rows_by_number(keys, int(keys.max() or 0) + 1)
    return memo["rows"]


def _join_by_number(left: pl.DataFrame, right: pl.DataFrame, key: str, memo: dict | None = None) -> pl.DataFrame:
    """``left.join(right, on=key, how="left")`` for registry numbers (small non-negative integers, unique in
    ``right``): a lookup array indexed by the number instead of a hash table — a fifth of the time on
    a million units, and ``left``'s order is kept. Rows of ``right`` without a number (codes the registry
    does not have) match nothing, as in a join. ``memo`` (joins to the same rows of ``left``): a small ``right``'s
    rows are written at their rows of ``left`` (:func:`_left_rows`), not every row of ``left`` looked up."""
    right = right.filter(pl.col(key).is_not_null())
    if right.height == 0 or left.height == 0:
        return left.join(right, on=key, how="left", maintain_order="left")
    if memo is not None and right.height * 4 <= left.height:
        at = _left_rows(left, key, memo)
        # a number past the last of ``left``'s, or of a unit not among its rows, has no row there: nothing written
        right = right.filter(pl.col(key) < at.len())
        rows = at.gather(right.get_column(key))
        right, rows = right.filter(rows.is_not_null()), rows.drop_nulls()
        return left.hstack(
            [
                pl.repeat(None, left.height, dtype=c.dtype, eager=True).scatter(rows, c).alias(c.name)
                for c in right.drop(key).iter_columns()
            ]
        )
    size = int(max(left.get_column(key).max() or 0, right.get_column(key).max() or 0)) + 1
    rows = _rows_by_number(right.get_column(key), size).gather(left.get_column(key))  # null: no row on the right
    # one chunk first: a gather from the streaming engine's many chunks is three to four times slower (a copy of
    # the right side, a few megabytes per column, is cheaper)
    return left.hstack(right.drop(key).rechunk().gather(rows))


def _flags_by_number(left: pl.DataFrame, flags: pl.LazyFrame, memo: dict | None = None) -> pl.LazyFrame:
    """``left`` with the exclusion flags (:func:`_exclusion_flags`, by registry number) joined: each list's flag True
    on the rows of the units listed, False on the others — where a join leaves null, which the features read as False
    (``finalise``'s default). A unit is on a list or two of a few thousand: True is written at their rows, not every
    row's flags gathered."""
    right = flags.collect(engine="in-memory").filter(pl.col(CODE_KEY).is_not_null())
    listed = right.clear().with_columns(pl.lit(None, dtype=pl.UInt32).alias("__row"))
    if left.height and right.height:
        # each registry number's row in ``left`` (null: not there — a unit quarantined, say, or past its last)
        at = _left_rows(left, CODE_KEY, {} if memo is None else memo)
        right = right.filter(pl.col(CODE_KEY) < at.len())
        listed = right.with_columns(at.gather(right.get_column(CODE_KEY)).alias("__row")).filter(
            pl.col("__row").is_not_null()
        )
    return left.hstack(
        [
            pl.repeat(False, left.height, dtype=pl.Boolean, eager=True)
            .scatter(listed.filter(pl.col(t)).get_column("__row"), True)
            .alias(t)
            for t in EXCLUSION_LIST_TYPES + REFUND_YEAR_FLAGS
            if t in right.columns
        ]
    ).lazy()


def _own_size_exprs() -> tuple[pl.Expr, pl.Expr]:
    """The jurisdiction-neutral class (statistics, else the 2017 standard) and its step; no ≥300 rule."""
    stats, std = pl.col("stats_size_class"), pl.col("size_class_2017")
    cls = pl.coalesce(stats, std)  # (the first that is there: a choice of texts row by row cost twice as much)
    # the step's number, then its name: a choice between small integers, one gather of texts (not two of literals)
    steps = pl.Series(["stats", "standard_2017", None], dtype=pl.String)
    number = (
        pl.when(stats.is_not_null())
        .then(pl.lit(0, dtype=pl.UInt8))
        .when(std.is_not_null())
        .then(pl.lit(1, dtype=pl.UInt8))
        .otherwise(pl.lit(2, dtype=pl.UInt8))
    )
    return cls, pl.lit(steps).gather(number)


def apply_legal_entity(lf: pl.LazyFrame, parents: pl.LazyFrame) -> pl.LazyFrame:
    """Branches take their legal entity's class. ``parents``: ``credit_code``, ``size_class`` (own neutral
    class), ``avg_contributors_12m``.

    Also fills ``legal_entity_size_class`` and ``legal_entity_avg_contributors_12m`` so the rules can decide.
    """
    par = parents.select(
        pl.col("credit_code").alias("_le"),
        pl.col("size_class").alias("_le_class"),
        pl.col("avg_contributors_12m").alias("_le_avg"),
    ).unique("_le")
    lf = lf.join(par, left_on="legal_entity_credit_code", right_on="_le", how="left", maintain_order="left")
    # a branch has its legal entity's class or none (晋人社厅发〔2024〕28号 二 "企业分支机构按其所属独立法人的类型
    # 划型标识"): never its own figures' class, which no rule uses for it (outside held-out audit, session 42)
    branch = pl.col("legal_entity_credit_code").is_not_null()
    use = branch & pl.col("_le_class").is_not_null()
    return lf.with_columns(
        pl.when(branch).then(pl.col("_le_class")).otherwise(pl.col("size_class")).alias("size_class"),
        pl.when(use)
        .then(pl.lit("legal_entity"))
        .when(branch)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("size_class_step"))
        .alias("size_class_step"),
        pl.when(pl.col("legal_entity_credit_code").is_not_null())
        .then(pl.col("_le_class"))
        .otherwise(None)
        .alias("legal_entity_size_class"),
        pl.when(pl.col("legal_entity_credit_code").is_not_null())
        .then(pl.col("_le_avg"))
        .otherwise(None)
        .alias("legal_entity_avg_contributors_12m"),
    ).drop("_le_class", "_le_avg")


def _resolve_branches(frame: pl.DataFrame, parents: pl.DataFrame) -> pl.DataFrame:
    """:func:`apply_legal_entity` over ``frame`` (same rows, same order), joining only the rows that name a legal
    entity: with one partition the frame is every unit, of which branches are a few per cent. A row that names
    none keeps its class and step and has no legal entity's class or average (as the join gives it)."""
    is_branch = frame.get_column("legal_entity_credit_code").is_not_null()
    pos = is_branch.arg_true()
    if pos.len() == frame.height:
        return apply_legal_entity(frame.lazy(), parents.lazy()).collect()
    # the branches' rows of the columns the step reads (not every feature), joined; their values are then written
    # into place (not a choice between two columns over every row)
    read = frame.select("legal_entity_credit_code", "size_class", "size_class_step").gather(pos)
    joined = apply_legal_entity(read.lazy(), parents.lazy()).collect()
    changed = ("size_class", "size_class_step", "legal_entity_size_class", "legal_entity_avg_contributors_12m")
    kept = ("size_class", "size_class_step")  # unchanged where no legal entity is named; the others null there
    lengths = frame.get_column("legal_entity_credit_code").chunk_lengths()
    return frame.with_columns(
        _chunked_like(
            (
                frame.get_column(c) if c in kept else pl.repeat(None, frame.height, dtype=joined.schema[c], eager=True)
            )
            .scatter(pos, joined.get_column(c))
            .alias(c),
            lengths,
        )
        for c in changed
    )


def _chunked_like(column: pl.Series, lengths: list[int]) -> pl.Series:
    """``column`` cut into chunks of ``lengths`` by zero-copy slices: a frame whose columns are chunked alike is not
    copied into one chunk by a later step."""
    column = column.rechunk()  # (one chunk already, as a scatter leaves it, unless it wrote nothing)
    if len(lengths) <= 1:
        return column
    starts = [0]
    for n in lengths[:-1]:
        starts.append(starts[-1] + n)
    return pl.concat([column.slice(s, n) for s, n in zip(starts, lengths, strict=True)], rechunk=False)


def _legal_entity_rows(
    frame: pl.DataFrame, numbered: Callable[[pl.Series], pl.Series | None] | None = None
) -> tuple[pl.Series, pl.Series]:
    """The rows of ``frame`` that name a legal entity (``legal_entity_credit_code``), and for each the row whose
    ``credit_code`` is that code — null where none is (a legal entity the registry does not have, or whose registry
    row was quarantined). With :func:`_with_legal_entity_classes` and :func:`_with_legal_entity_averages` this is
    :func:`apply_legal_entity` over every unit of one partition, the legal entities found once by position.

    ``numbered`` (``frame`` the registry's accepted rows with their numbers, :data:`CODE_KEY`): gives codes their
    registry numbers (``quarantine.registry_numbers``), or ``None`` when it cannot; then a named code's row is the
    row of its number — the registry's own lookup of a few thousand codes, not a join over every unit's code."""
    le = frame.get_column("legal_entity_credit_code")
    rows = le.is_not_null().arg_true().cast(pl.UInt32)
    numbers = numbered(le.gather(rows)) if numbered is not None and CODE_KEY in frame.columns else None
    if numbers is not None:
        keys = frame.get_column(CODE_KEY)
        size = int(max(keys.max() or 0, numbers.max() or 0)) + 1
        # (a number whose unit is not among the rows, quarantined, has no row: null, as the join leaves it)
        return rows, _rows_by_number(keys, size).gather(numbers)
    named = pl.DataFrame({"_le": le.gather(rows)})
    codes = frame.select(pl.col("credit_code").alias("_le"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
    # the units some branch names first (a semi join hashes the few named codes, not a table of every unit's), then
    # each branch's; a code is one unit's (validation quarantines every row of a duplicated code): the first is kept,
    # as insurance, so that each branch gets one row
    parents = codes.join(named.unique(), on="_le", how="semi").unique("_le", keep="first", maintain_order=True)
    return rows, named.join(parents, on="_le", how="left", maintain_order="left").get_column("_row")


def _with_legal_entity_classes(frame: pl.DataFrame, rows: pl.Series, parents: pl.Series) -> pl.DataFrame:
    """Each branch (``rows``, its legal entity at ``parents``: :func:`_legal_entity_rows`) takes its legal entity's own
    class with the step ``legal_entity`` where the legal entity has a class, and has it as ``legal_entity_size_class``;
    the other rows keep their class and step and have no legal entity's class. What :func:`apply_legal_entity` sets
    but the legal entity's average contributors, which need the monthly rows (:func:`_with_legal_entity_averages`).
    The columns written are chunked as the frame's (a column chunked otherwise makes a later query copy the frame)."""
    own = frame.get_column("size_class")
    le_class = own.gather(parents)  # null where no legal entity was found, or it has no class
    # every branch takes its legal entity's class, null where that is not known (apply_legal_entity: never its own)
    step = pl.Series([None, "legal_entity"], dtype=pl.String).gather(le_class.is_not_null().cast(pl.UInt32))
    lengths = frame.get_column("credit_code").chunk_lengths()
    written = (
        own.clone().scatter(rows, le_class).alias("size_class"),
        frame.get_column("size_class_step").clone().scatter(rows, step).alias("size_class_step"),
        pl.repeat(None, frame.height, dtype=pl.String, eager=True)
        .scatter(rows, le_class)
        .alias("legal_entity_size_class"),
    )
    return frame.with_columns(_chunked_like(c, lengths) for c in written)


def _with_legal_entity_averages(frame: pl.DataFrame, rows: pl.Series, parents: pl.Series) -> pl.DataFrame:
    """``legal_entity_avg_contributors_12m``: each branch's legal entity's ``avg_contributors_12m`` (null where it has
    none, or none was found), null on the other rows; ``rows`` and ``parents`` as :func:`_legal_entity_rows` found them
    in the same rows. Chunked as the frame."""
    avg = frame.get_column("avg_contributors_12m")
    column = pl.repeat(None, frame.height, dtype=avg.dtype, eager=True).scatter(rows, avg.gather(parents))
    lengths = frame.get_column("credit_code").chunk_lengths()
    return frame.with_columns(_chunked_like(column.alias("legal_entity_avg_contributors_12m"), lengths))


def derive_features(
    units: pl.LazyFrame | pl.DataFrame,
    contributions: pl.LazyFrame | pl.DataFrame,
    *,
    policy_year: int,
    evaluation_date: date,
    headcount: pl.LazyFrame | pl.DataFrame | None = None,
    exclusions: pl.LazyFrame | pl.DataFrame | None = None,
    stats_size: pl.LazyFrame | pl.DataFrame | None = None,
    deferrals: pl.LazyFrame | pl.DataFrame | None = None,
    dispatch: pl.LazyFrame | pl.DataFrame | None = None,
    latest_month: str | None = None,
    base_paid_by: date | None = None,
    with_provenance: bool = False,
    legal_entities: bool = True,
) -> pl.LazyFrame:
    """The feature table (lazy). Inputs are validated frames with the raw schemas' column names.

    ``legal_entities=False`` skips the branch → legal-entity step (the partitioned path does it at the end).
    Collect with ``.collect(engine="streaming")``. The same as :func:`unit_features`, then
    :func:`monthly_aggregate` and :func:`add_contributions` (which the partitioned path runs on two threads).
    """
    p = FeatureParams(policy_year, evaluation_date, latest_month, base_paid_by)
    per_unit = unit_features(
        units, evaluation_date=evaluation_date, policy_year=policy_year, headcount=headcount, exclusions=exclusions,
        stats_size=stats_size, deferrals=deferrals, dispatch=dispatch,
    )  # fmt: skip
    key = _key_of(units, contributions)
    monthly = monthly_aggregate(_lazy(contributions), p, key)
    return add_contributions(
        per_unit, monthly, key, evaluation_date=evaluation_date, with_provenance=with_provenance,
        legal_entities=legal_entities,
    )  # fmt: skip


def _key_of(units: pl.LazyFrame | pl.DataFrame, table: pl.LazyFrame | pl.DataFrame) -> str:
    """The column a table is joined to the units on: both sides numbered by the same registry (one validation
    run), the integer; otherwise the code."""
    if CODE_KEY in _lazy(units).collect_schema().names() and CODE_KEY in _lazy(table).collect_schema().names():
        return CODE_KEY
    return "credit_code"


def monthly_aggregate(contributions: pl.LazyFrame, p: FeatureParams, key: str) -> pl.LazyFrame:
    """The monthly rows' per-unit aggregates, by ``key`` (``_key_of`` the units and the rows). Needs nothing of the
    units but the key: the partitioned path aggregates the rows on their validation's thread as soon as they are
    valid."""
    return contribution_features(contributions, p, by_key_only=key == CODE_KEY)


def _attach(lf: pl.LazyFrame, right: pl.LazyFrame, key: str, memo: dict | None = None) -> pl.LazyFrame:
    if key != CODE_KEY:
        return lf.join(right, on=key, how="left", maintain_order="left")
    # both sides on the in-memory engine: a frame in memory and a small table's rows. Polars' streaming engine takes
    # queries in turn, so on the streaming engine these small queries waited for the monthly rows' validation and
    # aggregation on the other thread (a query each), and the joins ran after it instead of beside it
    return _join_by_number(lf.collect(engine="in-memory"), right.collect(engine="in-memory"), key, memo).lazy()


def unit_features(
    units: pl.LazyFrame | pl.DataFrame,
    *,
    policy_year: int,
    evaluation_date: date,
    headcount: pl.LazyFrame | pl.DataFrame | None = None,
    exclusions: pl.LazyFrame | pl.DataFrame | None = None,
    stats_size: pl.LazyFrame | pl.DataFrame | None = None,
    deferrals: pl.LazyFrame | pl.DataFrame | None = None,
    dispatch: pl.LazyFrame | pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Every unit's features that do not read the monthly rows (lazy, one row per unit in the registry's order):
    the registry's columns with the other tables' joined, the 2017-standard class and the unit's own class.
    Each join keeps the left side's order and adds columns, so joining the monthly aggregate after them
    (:func:`add_contributions`) gives the same table as joining it first."""
    last_year = policy_year - 1
    u = _lazy(units)
    lf = u
    memo: dict = {}  # each registry number's row among the units, for the small tables' joins (``_left_rows``)
    if headcount is not None:
        hc_key = _key_of(u, headcount)
        hc = (
            _lazy(headcount)
            .filter(pl.col("year") == last_year)
            .select(
                hc_key,
                pl.col("insured_headcount").alias("_hc"),
                pl.col("layoffs").alias("layoffs_last_year"),
                pl.col("normal_attrition").alias("normal_attrition_last_year"),
            )
        )
        lf = _attach(lf, hc, hc_key, memo)
    else:
        lf = lf.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("_hc"),
            pl.lit(None, dtype=pl.Int64).alias("layoffs_last_year"),
            pl.lit(None, dtype=pl.Int64).alias("normal_attrition_last_year"),
        )
    if exclusions is not None:
        ex_key = _key_of(u, exclusions)
        flags = _exclusion_flags(_lazy(exclusions), evaluation_date, ex_key, refund_year=last_year)
        if ex_key != CODE_KEY:
            # a unit on no list that year is known not on it (the lists were given), not unknown
            lf = _attach(lf, flags, ex_key).with_columns(pl.col(c).fill_null(False) for c in REFUND_YEAR_FLAGS)
        else:
            lf = _flags_by_number(lf.collect(engine="in-memory"), flags, memo)
    else:
        lf = lf.with_columns([pl.lit(False).alias(t) for t in EXCLUSION_LIST_TYPES])
    if stats_size is not None:
        st_key = _key_of(u, stats_size)
        st = (
            _lazy(stats_size)
            .select(st_key, pl.col("size_class").alias("stats_size_class"))
            .unique(st_key)
        )
        lf = _attach(lf, st, st_key, memo).with_columns(pl.lit(True).alias("stats_data_shared"))
    else:
        lf = lf.with_columns(pl.lit(None, dtype=pl.String).alias("stats_size_class"), pl.lit(False).alias("stats_data_shared"))
    if deferrals is not None:
        df_key = _key_of(u, deferrals)
        lf = _attach(lf, _deferral_flags(_lazy(deferrals), evaluation_date, df_key), df_key, memo)
    else:
        lf = lf.with_columns(pl.lit(False).alias("outstanding_deferral"))
    if dispatch is not None:
        dp_key = _key_of(u, dispatch)
        lf = _attach(lf, _dispatch_sums(_lazy(dispatch), dp_key, u), dp_key, memo)
    else:
        lf = lf.with_columns(
            pl.lit(0, dtype=pl.Int64).alias("dispatched_workers"),
            pl.lit(0, dtype=pl.Int64).alias("dispatched_to_public_institutions"),
        )
    # a few dozen distinct industry codes: the size-table category is worked out once per code, and held as an
    # Enum of the table's categories, so the 2017 cascade's sixteen "is it this category" tests compare small
    # integers, not texts
    codes = u.select(pl.col("industry_code").unique().drop_nulls()).collect(engine="in-memory")  # (see _attach)
    categories = pl.Enum(list(SIZE_TABLE_2017))
    cats = codes.select(size_category_expr("industry_code")).to_series().cast(categories)
    # each row's code as its place among the codes (an Enum of them: every code is one), its category taken from
    # there — half the time of a lookup of each row's text in a map of texts (a missing code has none)
    lf = lf.with_columns(
        pl.lit(cats).gather(pl.col("industry_code").cast(pl.Enum(codes.to_series())).to_physical()).alias("_cat")
    )
    lf = lf.with_columns(classify_2017_expr(category=pl.col("_cat")).alias("size_class_2017"))
    cls, step = _own_size_exprs()
    return lf.with_columns(cls.alias("size_class"), step.alias("size_class_step"))


def add_contributions(
    per_unit: pl.LazyFrame | pl.DataFrame,
    monthly: pl.LazyFrame | pl.DataFrame,
    key: str,
    *,
    evaluation_date: date,
    with_provenance: bool = False,
    legal_entities: bool = True,
) -> pl.LazyFrame:
    """The feature table (lazy): :func:`unit_features`' table with the monthly aggregate
    (:func:`monthly_aggregate`) joined on ``key`` and the features read from it; then, unless
    ``legal_entities=False``, each branch's legal entity's class."""
    lf = _attach(_lazy(per_unit), _lazy(monthly), key)
    avg = (pl.col("_persons_sum") // 12).cast(pl.Int64)
    lf = lf.with_columns(
        pl.col("_mask").bitwise_trailing_ones().cast(pl.Int64).fill_null(0).alias("months_fully_paid"),
        pl.col("_full_months").cast(pl.Int64).fill_null(0).alias("months_fully_paid_total"),
        avg.alias("avg_contributors_12m"),
        pl.col("_persons_sum").cast(pl.Int64).alias("insured_person_months_last_year"),
        pl.coalesce(pl.col("_hc"), pl.col("_dec_persons")).cast(pl.Int64).alias("insured_headcount"),
        pl.col("paid_premium_last_year_fen").fill_null(0),
        pl.lit(None, dtype=pl.Int64).alias("premium_due_6m_fen"),
        pl.lit(evaluation_date).alias("evaluation_date"),
    )
    if legal_entities:
        # materialise once: the branch lookup reads the same frame, and a lazy self-join would compute it twice
        base = lf.collect(engine="streaming")
        lf = apply_legal_entity(base.lazy(), base.lazy().select("credit_code", "size_class", "avg_contributors_12m"))
    return finalise(lf, with_provenance=with_provenance)


def finalise(lf: pl.LazyFrame, *, with_provenance: bool = False) -> pl.LazyFrame:
    """Fill defaults and select exactly the UnitFacts columns with their dtypes (plus provenance if asked)."""
    exprs = []
    names = lf.collect_schema().names()
    for name, dtype in FEATURE_SCHEMA.items():
        e = pl.col(name) if name in names else pl.lit(None)
        if name == "dispatched_to_public_institutions" and name in names:
            # 0 for a unit with no dispatch rows; null (not known, _dispatch_sums) stays null for a firm that has some
            rows = pl.col("dispatched_workers").is_not_null() if "dispatched_workers" in names else pl.lit(False)
            e = pl.when(rows).then(e).otherwise(e.fill_null(0))
        elif name in FEATURE_DEFAULTS and name != "name":
            e = e.fill_null(pl.lit(FEATURE_DEFAULTS[name]))
        if name == "has_corporate_account":
            e = (pl.col(name) if name in names else pl.lit(None)).fill_null(False)
        exprs.append(e.cast(dtype).alias(name))
    if with_provenance and "size_class_step" not in FEATURE_SCHEMA:
        exprs.append(pl.col("size_class_step"))
    return lf.select(exprs)


# ---------------------------------------------------------------------------------------------------
# partitioned path


def partition_key(column: str) -> pl.Expr:
    """The text a unit's partition is hashed from: its code normalised, so spellings agree. An 18-byte value
    is only upper-cased (Polars then skips the full normalisation for it, three times faster on 10^8 rows):
    if it had a space or hyphen it normalises to fewer than 18 characters, an invalid code that is
    quarantined wherever it goes."""
    c = pl.col(column)
    return pl.when(c.str.len_bytes() == 18).then(c.str.to_uppercase()).otherwise(credit_code_normalised(column))


def partition_expr(column: str, partitions: int, *, as_written: bool = False) -> pl.Expr:
    """Stable partition number of a credit-code column: the hash of :func:`partition_key`. ``as_written``:
    every value is known to be its own key (:func:`codes_as_written_are_keys`), so the value is hashed as it
    is — the same numbers, without upper-casing 10^8 codes once per partition."""
    key = pl.col(column) if as_written else partition_key(column)
    return key.hash(seed=0x5747) % partitions


def codes_as_written_are_keys(raw: RawTable, column: str) -> bool:
    """Every value of ``column`` equals its partition key (upper case already, the usual extract), so
    :func:`partition_expr` may hash the values as written. One pass over the column."""
    if raw.frame.collect_schema().get(column) != pl.String:
        return False
    odd = partition_key(column).ne_missing(pl.col(column)).any()
    return not raw.frame.select(odd).collect(engine="streaming").item()


def _split(raw: RawTable, column: str, n: int, into: Path) -> list[RawTable]:
    """Write ``raw`` once, split into ``n`` partitions by the hash of ``column`` (Arrow IPC, streamed);
    return the partitions as tables. Rows keep their order and ``source_row`` within a partition.
    """
    raw.frame.sink_ipc(
        pl.PartitionBy(into, key=partition_expr(column, n).alias("__part"), include_key=False),
        compression="lz4",
        mkdir=True,
    )
    empty = pl.LazyFrame(schema=raw.frame.collect_schema())
    parts = []
    for i in range(n):
        folder = into / f"__part={i}"
        frame = pl.scan_ipc(folder / "*.ipc") if folder.exists() else empty
        parts.append(dataclasses.replace(raw, frame=frame))
    return parts


def _read_by_partition(raw: RawTable, column: str, n: int, *, as_written: bool = False) -> list[RawTable]:
    """``raw`` as ``n`` partitions by the hash of ``column``, each a filter of the source itself. For a Parquet
    source: the reader decodes the key column, then the other columns for the partition's rows only, so
    ``n`` filtered reads cost about what one split written to disk and read back does, in less wall time and no
    disk (10 M units: the split was 34 s of a 124 s run). Rows keep their order and ``source_row``."""
    key = partition_expr(column, n, as_written=as_written)
    return [dataclasses.replace(raw, frame=raw.frame.filter(key == i)) for i in range(n)]


@dataclass
class PartitionedRun:
    features_path: Path
    quarantine_path: Path
    reports: dict[str, ValidationReport]
    rows: int
    seconds: float
    # seconds: split, partitions, legal entities (the branch step and the files), chunks (in on_chunk)
    steps: dict[str, float] = field(default_factory=dict)
    # quarantined rows of tables that can stop or reduce a payment: (table, source_row, code as written)
    held_keys: pl.DataFrame | None = None
    # features.parquet still being written (``write_behind``): read it, or end the run, only after ``features_written``
    features_pending: Future[None] | None = None

    def features_written(self) -> None:
        """Wait until features.parquet is complete (raises what its write raised; the file is then removed)."""
        if self.features_pending is not None:
            pending, self.features_pending = self.features_pending, None
            pending.result()


def _rows_of(raw: RawTable) -> pl.DataFrame:
    """The rows of ``raw`` as read: read during start-up if it is the table opened then (screening.prefetch)."""
    early = prefetch.rows(raw)
    return early if early is not None else raw.frame.collect(engine="streaming")


def derive_features_partitioned(
    units: RawTable,
    contributions: RawTable,
    out_dir: str | Path,
    *,
    policy_year: int,
    evaluation_date: date,
    partitions: int = 8,
    allowed_regions: set[str] | None = None,
    others: dict[str, RawTable] | None = None,
    latest_month: str | Callable[[pl.Series], str] | None = None,
    base_paid_by: date | None = None,
    with_provenance: bool = False,
    on_chunk: Callable[[pl.DataFrame], None] | None = None,
    on_held: Callable[[pl.DataFrame], None] | None = None,
    progress: Step | None = None,
    on_validating: Callable[[], None] | None = None,
    write_behind: bool = False,
) -> PartitionedRun:
    """Validate and derive partition by partition (hash of the credit code), in bounded memory.

    ``others`` may hold raw ``headcount``, ``exclusions``, ``stats_size``, ``deferrals`` and ``dispatch``
    tables; they are small next to the monthly file and are partitioned the same way (dispatch by the
    dispatch firm). Writes ``features.parquet`` and ``quarantine.parquet`` under ``out_dir``; reports
    are summed over partitions per table and reconcile.

    The features are final chunk by chunk: each partition's units that are not branches, then all
    branches with their legal entity's class. ``on_chunk`` gets each chunk as it is written (the
    screening run decides it while it is in memory), so the features are neither rewritten nor re-read.
    ``on_held`` gets each table's quarantined rows that may stop a payment (``held_keys``) as their partition is
    validated, before its chunk: a unit's own such rows are in its partition (screening.holds.ChunkHolds).
    ``progress`` (a :func:`wengang.progress.step`) counts the monthly rows of the partitions done.
    ``latest_month`` may be a function of the monthly rows' months as validation parsed them
    (``ValidationResult.months``), one partition only: the month is then found without reading the rows again.
    ``on_validating`` is called once, as the first partition's registry validation begins (its monthly rows being
    read on the other thread): from there this thread waits for Polars, and another thread's Python runs freely.
    ``write_behind`` (with ``on_chunk``): the last chunk's features are still being written, on a thread of their own,
    when this returns, so the caller's next steps (holds, results.parquet) run beside the write; the caller must
    call ``PartitionedRun.features_written`` before it reads features.parquet or ends the run.
    """
    if callable(latest_month) and partitions != 1:
        raise ValueError("latest_month as a function of the parsed months needs one partition")
    t0 = time.perf_counter()
    out = Path(out_dir)
    parts_dir = out / "_parts"
    if parts_dir.exists():
        shutil.rmtree(parts_dir)
    parts_dir.mkdir(parents=True)
    others = others or {}
    key_col = {"dispatch": "dispatch_credit_code"}
    steps: dict[str, float] = {}
    reports: dict[str, ValidationReport] = {}
    qparts: list[pl.DataFrame] = []

    def merge(rep: ValidationReport):
        r = reports.get(rep.table)
        if r is None:
            reports[rep.table] = ValidationReport(rep.table, rep.source_file, 0, 0, 0, {})
            r = reports[rep.table]
        r.rows_in += rep.rows_in
        r.accepted += rep.accepted
        r.quarantined += rep.quarantined
        r.notes += [n for n in rep.notes if n not in r.notes]
        for k, v in rep.by_reason.items():
            r.by_reason[k] = r.by_reason.get(k, 0) + v

    held: list[pl.DataFrame] = []  # quarantined rows of tables that can stop a payment (screening.holds)
    referenced: list[pl.DataFrame] = []  # legal entities named by branches
    classes: list[pl.DataFrame] = []  # every unit's own size class
    branches: list[pl.DataFrame] = []  # rows that wait for their legal entity's class (one partition: its features, final)
    features_path = out / "features.parquet"
    steps.update(chunks=0.0, validate=0.0, features=0.0)

    pending: list[Future[None]] = []  # features.parquet's write, when left running for the caller (write_behind)

    def emit(chunk: pl.DataFrame, last: bool = False) -> None:
        if not with_provenance and "size_class_step" not in FEATURE_SCHEMA:
            chunk = chunk.drop("size_class_step")
        features_out.write(chunk)
        if on_chunk is not None:
            t = time.perf_counter()
            if last:  # features.parquet is complete: written on a thread of its own while the rules run
                features_out.prepare()
                written = features_out.close_behind()
                try:
                    on_chunk(chunk)
                except BaseException:
                    # the run fails: the file is removed (``with features_out``) only once nothing writes it
                    wait([written])
                    raise
                if write_behind:
                    pending.append(written)
                else:
                    written.result()
            else:
                on_chunk(chunk)
            steps["chunks"] += time.perf_counter() - t

    tables = {"units": units, "contributions": contributions, **others}
    # Parquet is read again by each partition (its own rows only); a CSV, a workbook or a database query is split
    # once to disk instead (parsing it again per partition would cost more)
    # each partition hashes every row's code again: when every table is Parquet with its codes written in
    # upper case (the usual extract), one pass finds so and the partitions hash the codes as written
    as_written = (
        partitions > 1
        and all(is_parquet(raw.source_file) for raw in tables.values())
        and all(codes_as_written_are_keys(raw, key_col.get(name, "credit_code")) for name, raw in tables.items())
    )
    split = {
        name: [raw]
        if partitions == 1
        else _read_by_partition(raw, key_col.get(name, "credit_code"), partitions, as_written=as_written)
        if is_parquet(raw.source_file)
        else _split(raw, key_col.get(name, "credit_code"), partitions, parts_dir / name)
        for name, raw in tables.items()
    }
    steps["split"] = time.perf_counter() - t0

    def derive_partition(i: int) -> pl.DataFrame:
        """Validate partition ``i`` of every table and derive its features (branches not yet resolved)."""
        shared: dict = {}  # identifier checks shared by this partition's tables (same codes, same order)

        def validate(
            name: str, raw: RawTable | None = None, on_numbered: Callable[[], None] | None = None
        ) -> ValidationResult:
            return validate_table(
                raw or split[name][i],
                allowed_regions=allowed_regions,
                key_out=CODE_KEY,
                key_column=key_col.get(name, "credit_code"),
                registry=name == "units",
                month_index_out=MONTH_INDEX if name == "contributions" else None,
                shared=shared,
                # the monthly rows are grouped by key and month index: their texts are not needed
                without=("credit_code", "month") if name == "contributions" else (),
                lazy=name == "contributions",  # aggregated once, straight from the validated rows
                registered_only=name == "contributions",  # counted in the quarantine, not lost in a join
                on_numbered=on_numbered,
            )

        def monthly_rows(
            rows: list[tuple[RawTable, Future[pl.DataFrame]]], registry: Future[pl.DataFrame], units_done: threading.Event
        ) -> tuple[ValidationResult, str, float]:
            """The monthly rows validated, then aggregated per unit at once, on this thread: the aggregate needs
            nothing of the other tables but the registry's numbering. The result's ``accepted`` is the aggregate
            (the rows are read once, and freed here). Also the key aggregated by and when validation ended.
            ``rows`` holds the table and its read (a future: this thread's previous task), taken out of it here: once
            validated the rows are freed before the aggregation (an argument would be held by the pool until the
            task ends). ``registry``: the registry's accepted rows, once its validation ends.

            The aggregation waits for ``units_done``: the other thread's streaming queries (the small tables'
            validation) have been made. Polars' streaming engine takes the queries of two threads in turn, and a
            small query that came while the aggregation ran waited for all of it: the other thread's work then
            followed the aggregation instead of running beside the validation. The unit features that follow are
            collected on the in-memory engine, beside the aggregation (waiting for them too left a core idle for
            ≈ 0.1 s at 1 M units)."""
            table, read = rows.pop()
            res = validate("contributions", dataclasses.replace(table, frame=read.result().lazy()))
            del read
            validated = time.perf_counter()
            months = res.months.get("month", pl.Series("month", [], dtype=pl.String))
            latest = latest_month(months) if callable(latest_month) else latest_month
            p = FeatureParams(policy_year, evaluation_date, latest, base_paid_by)
            key = _key_of(registry.result(), res.accepted)
            units_done.wait()
            aggregate = monthly_aggregate(_lazy(res.accepted), p, key).collect(engine="streaming")
            return dataclasses.replace(res, accepted=aggregate), key, validated

        # the monthly rows are read on a second thread while this one validates the registry (it numbers the codes);
        # then validated and aggregated there, while this one validates the small tables and derives the features
        # that read no monthly row: Polars leaves a core idle in parts of each
        t = time.perf_counter()
        with ThreadPoolExecutor(1, thread_name_prefix="wengang-validate") as pool:
            raw = split["contributions"][i]
            # (in a list: emptied once taken, as a finished future keeps its result — the monthly rows as read
            # would stay in memory to the end)
            read = [pool.submit(_rows_of, raw)]
            if i == 0 and on_validating is not None:
                on_validating()
            units_done = threading.Event()
            registry: Future[pl.DataFrame] = Future()  # the registry's accepted rows (the aggregation's key)
            monthly: list[Future[tuple[ValidationResult, str, float]]] = []

            def validate_monthly() -> None:
                # from when the registry has numbered the codes and knows its quarantined units (on_numbered): the
                # rest of its validation (its accepted rows' copy, its quarantine) is mostly one core's, beside this
                monthly.append(pool.submit(monthly_rows, [(raw, read.pop())], registry, units_done))

            try:
                results = {"units": validate("units", on_numbered=validate_monthly)}
                units_ok = results["units"].accepted
                registry.set_result(units_ok)
                if not monthly:  # (a registry that numbers nothing)
                    validate_monthly()
                # two at a time: a small table's validation is mostly short queries, each waiting for its turn on
                # cores the monthly rows' validation keeps busy; side by side, one table's waits overlap the other's
                # (1 M units: the five took 0.25–0.35 s one after another here, against 0.08 s on an idle machine)
                with ThreadPoolExecutor(2, thread_name_prefix="wengang-small") as small:
                    validating = {name: small.submit(validate, name) for name in others}
                    for name in others:  # (in table order: reports and quarantine do not depend on timing)
                        results[name] = validating[name].result()
                validated = time.perf_counter()
                # the aggregation may start: what is left here (the unit features, the legal entities' classes) runs
                # on the in-memory engine, which does not wait for the streaming aggregation's turn
                units_done.set()
                per_unit = unit_features(
                    units_ok, policy_year=policy_year, evaluation_date=evaluation_date,
                    **{name: results[name].accepted for name in others},
                ).collect(engine="in-memory")  # fmt: skip
            except BaseException as exc:  # (the other thread must not wait for ever for what failed here)
                if not registry.done():
                    registry.set_exception(exc)
                raise
            finally:
                units_done.set()
            if partitions == 1:
                # every unit is here: each branch's legal entity is found by position and its class taken now, beside
                # the monthly rows, not once they are aggregated (its average contributors only then, by position)
                le_rows = _legal_entity_rows(per_unit, functools.partial(registry_numbers, shared))
                per_unit = _with_legal_entity_classes(per_unit, *le_rows)
            results["contributions"], key, monthly_validated = monthly.pop().result()
            del units_ok
        aggregate = results["contributions"].accepted
        for name in tables:  # merged in table order: reports and quarantine do not depend on timing
            res = results.pop(name)
            merge(res.report)
            if res.quarantine.height:
                qparts.append(res.quarantine)
            if res.held_keys is not None and res.held_keys.height:
                held.append(res.held_keys)
                if on_held is not None:
                    on_held(res.held_keys)
        # the validation's share: until the last table was validated (the features partly ran beside it)
        validated = max(validated, monthly_validated)
        steps["validate"] += validated - t
        feats = add_contributions(
            per_unit, aggregate, key, evaluation_date=evaluation_date, with_provenance=True, legal_entities=False
        )
        del per_unit, aggregate
        done = feats.collect(engine="streaming")
        if partitions == 1:
            done = _with_legal_entity_averages(done, *le_rows)
        steps["features"] += time.perf_counter() - validated
        return done

    features_out = ParquetAppender(features_path, books=FEATURE_BOOKS)
    with features_out:  # a run that fails leaves no half-written file
        for i in range(partitions):
            done = derive_partition(i)
            if partitions == 1:  # every unit in this one frame: its branches were resolved with it
                branches.append(done)
            else:
                # what the branch step needs, gathered while the partition is in memory (not by re-reading all parts)
                referenced.append(done.select(pl.col("legal_entity_credit_code").drop_nulls().alias("credit_code")))
                classes.append(done.select("credit_code", "size_class", "avg_contributors_12m"))
                # a unit that is not a branch is final now: written and handed on; a branch waits for its
                # legal entity, which may be in a later partition (branches are a few per cent of the units)
                is_branch = pl.col("legal_entity_credit_code").is_not_null()
                branches.append(done.filter(is_branch))
                emit(done.filter(~is_branch))
            del done
            if progress is not None:
                progress.update(done=reports["contributions"].rows_in)

        steps["partitions"] = time.perf_counter() - t0 - steps["split"] - steps["chunks"]
        # every table is validated: the quarantine is written now, before the last chunk's features are (a small
        # write that Polars' pool would otherwise take after all of theirs, with the run waiting for it)
        quarantine_path = out / "quarantine.parquet"
        if qparts:
            pl.concat(qparts).sort("source_file", "source_row").write_parquet(quarantine_path)
        else:
            from wengang.screening.quarantine import QUARANTINE_SCHEMA

            pl.DataFrame(schema=QUARANTINE_SCHEMA).write_parquet(quarantine_path)
        if partitions == 1:
            emit(branches.pop(), last=True)
        else:
            le_codes = pl.concat(referenced).unique()
            parents = pl.concat(classes).join(le_codes, on="credit_code", how="semi")
            del classes, referenced
            emit(_resolve_branches(pl.concat(branches), parents), last=True)
    shutil.rmtree(parts_dir)
    steps["legal entities"] = time.perf_counter() - t0 - steps["split"] - steps["partitions"] - steps["chunks"]
    from wengang.screening.holds import HELD_KEYS_SCHEMA

    held_keys = pl.concat(held) if held else pl.DataFrame(schema=HELD_KEYS_SCHEMA)
    return PartitionedRun(
        features_path, quarantine_path, reports, features_out.rows, time.perf_counter() - t0, steps, held_keys,
        pending[0] if pending else None,
    )
