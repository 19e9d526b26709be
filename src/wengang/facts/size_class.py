"""Enterprise size class (企业划型).

1. :data:`SIZE_TABLE_2017` — 统计上大中小微型企业划分办法（2017）(国统字〔2017〕213号), facts.md §2.
   Indicators: ``X`` 从业人员 (persons), ``Y`` 营业收入 (万元), ``Z`` 资产总额 (万元).
   Large, medium and small must meet **all** listed lower bounds of their class, otherwise the unit drops
   to the next class down; micro needs to meet only one condition (i.e. it is what is left). We apply this as
   a cascade large → medium → small → micro, each class checked on all its lower bounds. A unit with a
   missing indicator that its category lists cannot be classified (``None``).
   :func:`classify_2017` (scalar) and :func:`classify_2017_expr` (Polars) agree (property-tested).

2. The 山西 cascade (晋人社厅发〔2024〕28号, forwarded by 阳人社函〔2024〕121号 — 关于企业划型):
   statistics department's shared data → registration/declaration data by the current standard (2017) →
   last year's 12-month average contributors ≥ 300 = large, otherwise SME; branches follow their
   independent legal entity (a branch whose legal entity is not classified has no class). :func:`size_class_cascade` returns the class and the step that decided it
   (``stats``, ``standard_2017``, ``avg_contributors``, ``legal_entity``) so explanations can say why.

   The third step only tells large from 中小微 (SME). :class:`SizeClass` has no "SME" member, so an SME
   decided there is reported as ``small`` with step ``avg_contributors``; the only consequence the texts
   attach to it (30 % vs 60 %) depends on large vs not, which is exact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import polars as pl

from wengang.facts.industries import size_category, size_category_expr
from wengang.facts.unit_codes import SizeClass

CLASSES = ("large", "medium", "small")  # micro is what is left

# category → indicator → (large, medium, small) lower bounds
SIZE_TABLE_2017: dict[str, dict[str, tuple[int, int, int]]] = {
    "agriculture": {"Y": (20000, 500, 50)},
    "industry": {"X": (1000, 300, 20), "Y": (40000, 2000, 300)},
    "construction": {"Y": (80000, 6000, 300), "Z": (80000, 5000, 300)},
    "wholesale": {"X": (200, 20, 5), "Y": (40000, 5000, 1000)},
    "retail": {"X": (300, 50, 10), "Y": (20000, 500, 100)},
    "transport": {"X": (1000, 300, 20), "Y": (30000, 3000, 200)},
    "warehousing": {"X": (200, 100, 20), "Y": (30000, 1000, 100)},
    "postal": {"X": (1000, 300, 20), "Y": (30000, 2000, 100)},
    "accommodation": {"X": (300, 100, 10), "Y": (10000, 2000, 100)},
    "catering": {"X": (300, 100, 10), "Y": (10000, 2000, 100)},
    "information_transmission": {"X": (2000, 100, 10), "Y": (100000, 1000, 100)},
    "software_it": {"X": (300, 100, 10), "Y": (10000, 1000, 50)},
    "real_estate_development": {"Y": (200000, 1000, 100), "Z": (10000, 5000, 2000)},
    "property_management": {"X": (1000, 300, 100), "Y": (5000, 1000, 500)},
    "leasing_business_services": {"X": (300, 100, 10), "Z": (120000, 8000, 100)},
    "other": {"X": (300, 100, 10)},
}

AVG_CONTRIBUTORS_LARGE = 300  # 上年度12个月平均缴费人数 ≥ 300 人的按大型企业认定

STEPS = ("stats", "standard_2017", "avg_contributors", "legal_entity")
STEP_ZH = {
    "stats": "统计部门共享数据",
    "standard_2017": "按参保登记数据以现行标准（统计上大中小微型企业划分办法（2017））划型",
    "avg_contributors": "按上年度12个月平均缴费人数划型（≥300人为大型）",
    "legal_entity": "分支机构按所属独立法人划型",
}
STEP_EN = {
    "stats": "statistics department's shared data",
    "standard_2017": "registration data by the 2017 NBS standard",
    "avg_contributors": "last year's 12-month average contributors (≥300 = large)",
    "legal_entity": "branch follows its legal entity",
}


def classify_2017(
    industry_code: str | None,
    employees: int | None,
    revenue_10k_yuan: int | None,
    assets_10k_yuan: int | None,
) -> SizeClass | None:
    """Size class by the 2017 NBS table, or ``None`` when the industry or a needed indicator is missing."""
    cat = size_category(industry_code)
    if cat is None:
        return None
    values = {"X": employees, "Y": revenue_10k_yuan, "Z": assets_10k_yuan}
    rows = SIZE_TABLE_2017[cat]
    if any(values[k] is None for k in rows):
        return None
    for i, cls in enumerate(CLASSES):
        if all(values[k] >= bounds[i] for k, bounds in rows.items()):  # type: ignore[operator]
            return SizeClass(cls)
    return SizeClass.micro


def classify_2017_expr(
    industry_code: str | pl.Expr = "industry_code",
    employees: str | pl.Expr = "employees",
    revenue_10k_yuan: str | pl.Expr = "revenue_10k_yuan",
    assets_10k_yuan: str | pl.Expr = "assets_10k_yuan",
    category: pl.Expr | None = None,
) -> pl.Expr:
    """Vectorised :func:`classify_2017`: a String expression (``large``…``micro`` or null).

    ``category``: an already computed size-table category column (saves recomputing it on big frames).
    """

    def c(x):
        return pl.col(x) if isinstance(x, str) else x

    values = {"X": c(employees), "Y": c(revenue_10k_yuan), "Z": c(assets_10k_yuan)}
    names = pl.Series([*CLASSES, "micro"], dtype=pl.String)
    if category is not None:
        # each indicator's level (how many of the bounds the table gives it, in any category, are at most its value;
        # one more for a missing value) and the category tell the class: one lookup in a table of every combination
        # (_classes_by_level), not sixteen cascades over every row each kept where its category is
        bounds, table = _classes_by_level()
        at = category.cast(pl.Enum(list(SIZE_TABLE_2017))).to_physical().cast(pl.UInt32).fill_null(len(SIZE_TABLE_2017))
        for k, b in bounds.items():
            level = pl.lit(0, dtype=pl.UInt32)
            for j, bound in enumerate(b):  # the greatest bound met first (a chain of comparisons: cheaper than a search)
                level = pl.when(values[k] >= bound).then(pl.lit(j + 1, dtype=pl.UInt32)).otherwise(level)
            at = at * (len(b) + 2) + pl.when(values[k].is_null()).then(pl.lit(len(b) + 1, dtype=pl.UInt32)).otherwise(level)
        return pl.lit(names).gather(pl.lit(table).gather(at))
    return pl.lit(names).gather(_class_numbers(size_category_expr(industry_code), values))


def _class_numbers(cat: pl.Expr, values: dict[str, pl.Expr]) -> pl.Expr:
    """:func:`classify_2017_expr` as a class's number (its place in CLASSES, micro last; null when not classed), for
    the category ``cat`` (text or an Enum of the table's categories): a cascade for each category, kept where the
    category is. Choosing between small integers is several times cheaper than between texts."""
    out = pl.lit(None, dtype=pl.UInt8)
    for category, rows in SIZE_TABLE_2017.items():
        have = pl.all_horizontal([values[k].is_not_null() for k in rows])
        cls = pl.lit(len(CLASSES), dtype=pl.UInt8)
        for i in reversed(range(len(CLASSES))):  # build the cascade inside out: large checked first
            ok = pl.all_horizontal([values[k] >= bounds[i] for k, bounds in rows.items()])
            cls = pl.when(ok).then(pl.lit(i, dtype=pl.UInt8)).otherwise(cls)
        out = pl.when((cat == category) & have).then(cls).otherwise(out)
    return out


@functools.cache
def _classes_by_level() -> tuple[dict[str, list[int]], pl.Series]:
    """Each indicator's bounds (every one the table gives it, sorted) and the class number of every combination of a
    category (its place in SIZE_TABLE_2017, then one for none) and each indicator's level — how many of its bounds
    are at most the value (0 … n), n + 1 for a missing value — numbered category first, then X, Y, Z (X's
    level × (Y's levels × Z's levels) …, as ``classify_2017_expr`` makes the number of a row).

    The class depends on a value only through its comparisons with those bounds and whether it is missing, which
    its level tells: the table is the cascade itself (:func:`_class_numbers`) worked out on one row per
    combination, each level stood for by a value of it (below the least bound; a bound itself; null)."""
    bounds = {k: sorted({b for rows in SIZE_TABLE_2017.values() for b in rows.get(k, ())}) for k in ("X", "Y", "Z")}
    bounds = {k: b for k, b in bounds.items() if b}
    cats = list(SIZE_TABLE_2017)
    combos = pl.DataFrame({"cat": pl.Series(range(len(cats) + 1), dtype=pl.UInt32)})
    for k, b in bounds.items():
        # (levels 0 … n + 1: below every bound, each bound, missing)
        level = pl.Series(k, [b[0] - 1, *b, None], dtype=pl.Int64)
        combos = combos.join(level.to_frame(), how="cross", maintain_order="left_right")
    enum = pl.Enum(cats)
    cat = pl.lit(pl.Series([*cats, None], dtype=enum)).gather(pl.col("cat"))
    values = {k: pl.col(k) for k in ("X", "Y", "Z")} | {k: pl.lit(None, dtype=pl.Int64) for k in "XYZ" if k not in bounds}
    return bounds, combos.select(_class_numbers(cat, values)).to_series()


@dataclass(frozen=True)
class SizeDecision:
    size_class: SizeClass | None
    step: str | None  # one of STEPS, or None when nothing could classify the unit

    @property
    def is_large(self) -> bool | None:
        return None if self.size_class is None else self.size_class == SizeClass.large

    def explain_zh(self) -> str:
        return "无法划型" if self.step is None else f"{STEP_ZH[self.step]}：{self.size_class.value}"  # type: ignore[union-attr]


def _own_cascade(
    stats_size_class, industry_code, employees, revenue_10k_yuan, assets_10k_yuan, avg_contributors_12m
) -> SizeDecision:
    if stats_size_class is not None:
        return SizeDecision(SizeClass(stats_size_class), "stats")
    std = classify_2017(industry_code, employees, revenue_10k_yuan, assets_10k_yuan)
    if std is not None:
        return SizeDecision(std, "standard_2017")
    if avg_contributors_12m is not None:
        large = avg_contributors_12m >= AVG_CONTRIBUTORS_LARGE
        return SizeDecision(SizeClass.large if large else SizeClass.small, "avg_contributors")
    return SizeDecision(None, None)


def size_class_cascade(
    *,
    stats_size_class: SizeClass | str | None = None,
    industry_code: str | None = None,
    employees: int | None = None,
    revenue_10k_yuan: int | None = None,
    assets_10k_yuan: int | None = None,
    avg_contributors_12m: int | None = None,
    legal_entity: SizeDecision | None = None,
    is_branch: bool = False,
) -> SizeDecision:
    """The 山西 划型 cascade for one unit.

    ``legal_entity`` is the decision already made for the independent legal entity a branch belongs to;
    when given (and decided), the branch takes it with step ``legal_entity``. A branch (``legal_entity`` given, or
    ``is_branch``) whose legal entity is not decided has no class: 晋人社厅发〔2024〕28号 二 "企业分支机构按其所属
    独立法人的类型划型标识" — never its own data's class (outside held-out audit, session 42).
    """
    if legal_entity is not None and legal_entity.size_class is not None:
        return SizeDecision(legal_entity.size_class, "legal_entity")
    if legal_entity is not None or is_branch:
        return SizeDecision(None, None)
    return _own_cascade(
        stats_size_class, industry_code, employees, revenue_10k_yuan, assets_10k_yuan, avg_contributors_12m
    )


def size_class_cascade_frame(units: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Vectorised cascade over a unit frame.

    Needs ``credit_code``, ``legal_entity_credit_code``, ``stats_size_class``, ``industry_code``,
    ``employees``, ``revenue_10k_yuan``, ``assets_10k_yuan``, ``avg_contributors_12m``; adds
    ``size_class`` and ``size_class_step``. Branches join to their legal entity's own-cascade result
    (one level: a branch of a branch is not a thing in the registry).
    """
    lf = units.lazy()
    std = classify_2017_expr()
    own_class = (
        pl.when(pl.col("stats_size_class").is_not_null())
        .then(pl.col("stats_size_class"))
        .when(std.is_not_null())
        .then(std)
        .when(pl.col("avg_contributors_12m").is_not_null())
        .then(
            pl.when(pl.col("avg_contributors_12m") >= AVG_CONTRIBUTORS_LARGE)
            .then(pl.lit("large"))
            .otherwise(pl.lit("small"))
        )
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    own_step = (
        pl.when(pl.col("stats_size_class").is_not_null())
        .then(pl.lit("stats"))
        .when(std.is_not_null())
        .then(pl.lit("standard_2017"))
        .when(pl.col("avg_contributors_12m").is_not_null())
        .then(pl.lit("avg_contributors"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    lf = lf.with_columns(own_class.alias("_own_class"), own_step.alias("_own_step"))
    parents = lf.select(
        pl.col("credit_code").alias("_le_code"), pl.col("_own_class").alias("_le_class")
    ).unique("_le_code", keep="first")
    lf = lf.join(
        parents, left_on="legal_entity_credit_code", right_on="_le_code", how="left", maintain_order="left"
    )
    # a branch: its legal entity's class, or none (never its own: size_class_cascade)
    branch = pl.col("legal_entity_credit_code").is_not_null()
    use_le = branch & pl.col("_le_class").is_not_null()
    return lf.with_columns(
        pl.when(branch).then(pl.col("_le_class")).otherwise(pl.col("_own_class")).alias("size_class"),
        pl.when(use_le)
        .then(pl.lit("legal_entity"))
        .when(branch)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("_own_step"))
        .alias("size_class_step"),
    ).drop("_own_class", "_own_step", "_le_class")
