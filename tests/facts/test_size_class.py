import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.facts.industries import extended_industry, hardship_industry, size_category, size_category_expr
from wengang.facts.size_class import (
    SIZE_TABLE_2017,
    SizeDecision,
    classify_2017,
    classify_2017_expr,
    size_class_cascade,
    size_class_cascade_frame,
)
from wengang.facts.unit import SizeClass

CODES = ["C3611", "3611", "A0111", "E4710", "F5111", "F5211", "G5411", "G5310", "G5990", "G6010", "H6110",
         "H6210", "I6311", "I6510", "K7010", "K7020", "K7030", "K7040", "L7211", "M7320", "J6620", "Q8410",
         "Q8510", "R9011", "70", None, "X99", "c1311"]  # fmt: skip


def test_industrial_boundaries():
    assert classify_2017("C3611", 1000, 40000, None) == SizeClass.large
    assert classify_2017("C3611", 1000, 39999, None) == SizeClass.medium  # drops a class: not all bounds met
    assert classify_2017("C3611", 19, 100000, None) == SizeClass.micro  # micro needs only one condition
    assert classify_2017("C3611", 20, 300, None) == SizeClass.small
    assert classify_2017("C3611", 20, None, None) is None  # a needed indicator missing
    assert classify_2017("G5310", 5000, 10**6, None) is None  # railways are not in the table
    assert classify_2017("M7320", 300, None, None) == SizeClass.large  # other industries: X only


def test_industries():
    assert hardship_industry("H6210").name_zh == "餐饮"
    assert hardship_industry("G5310").name_zh == "公路水路铁路运输"
    assert extended_industry("R9011").name_zh == "娱乐业"
    assert extended_industry("C3811") is None  # 电气机械 is not among the 17
    assert size_category("K7040") is None and size_category("K7030") == "other"


maybe = st.one_of(st.none(), st.integers(0, 300_000))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CODES), maybe, maybe, maybe), min_size=1, max_size=40))
def test_vectorised_size_agrees(rows):
    df = pl.DataFrame(
        rows,
        schema={
            "industry_code": pl.String,
            "employees": pl.Int64,
            "revenue_10k_yuan": pl.Int64,
            "assets_10k_yuan": pl.Int64,
        },
        orient="row",
    )
    got = df.select(classify_2017_expr().alias("c"), size_category_expr("industry_code").alias("k"))
    # the category given as a column, as the screening's features give it (an Enum of the table's categories)
    enum = pl.Enum(list(SIZE_TABLE_2017))
    given_cat = df.select(classify_2017_expr(category=size_category_expr("industry_code").cast(enum)).alias("c"))
    assert given_cat["c"].to_list() == got["c"].to_list()
    for (code, x, y, z), c, k in zip(rows, got["c"].to_list(), got["k"].to_list(), strict=True):
        want = classify_2017(code, x, y, z)
        assert c == (want.value if want else None)
        assert k == size_category(code)


def test_cascade_steps():
    assert size_class_cascade(stats_size_class="medium", avg_contributors_12m=900) == SizeDecision(
        SizeClass.medium, "stats"
    )
    assert (
        size_class_cascade(industry_code="C3611", employees=25, revenue_10k_yuan=400).step == "standard_2017"
    )
    d = size_class_cascade(industry_code="J6620", employees=5000, avg_contributors_12m=300)
    assert d == SizeDecision(SizeClass.large, "avg_contributors")  # exactly 300 → large (≥)
    assert size_class_cascade(avg_contributors_12m=299).is_large is False
    parent = SizeDecision(SizeClass.large, "stats")
    assert size_class_cascade(avg_contributors_12m=3, legal_entity=parent) == SizeDecision(
        SizeClass.large, "legal_entity"
    )
    assert size_class_cascade() == SizeDecision(None, None)


def test_cascade_frame_matches_scalar():
    df = pl.DataFrame(
        {
            "credit_code": ["P", "B", "C", "D"],
            "legal_entity_credit_code": [None, "P", None, "ZZ"],
            "stats_size_class": ["large", None, None, None],
            "industry_code": [None, None, "C3611", None],
            "employees": [None, None, 25, None],
            "revenue_10k_yuan": [None, None, 400, None],
            "assets_10k_yuan": [None, None, None, None],
            "avg_contributors_12m": [None, 2, None, 300],
        }
    )
    out = size_class_cascade_frame(df).collect()
    # D is a branch of a legal entity not in the data: no class (晋人社厅发〔2024〕28号 二), not its own avg's (s42)
    assert out["size_class"].to_list() == ["large", "large", "small", None]
    assert out["size_class_step"].to_list() == ["stats", "legal_entity", "standard_2017", None]
    assert size_class_cascade(avg_contributors_12m=300, is_branch=True) == SizeDecision(None, None)
    assert size_class_cascade(avg_contributors_12m=300, legal_entity=SizeDecision(None, None)) == SizeDecision(None, None)


_BOUNDS = sorted({b for rows in SIZE_TABLE_2017.values() for bs in rows.values() for b in bs})
# values at, just below and just above every bound of the table, and far outside them
near = st.one_of(
    st.none(), st.sampled_from(_BOUNDS).flatmap(lambda b: st.sampled_from([b - 1, b, b + 1])), st.integers(-(2**40), 2**40)
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CODES), near, near, near), min_size=1, max_size=40))
def test_size_class_by_levels_agrees_at_the_bounds(rows):
    """The category given (the screening's path: each indicator's level among every bound, one lookup of the class of
    every combination) classes as the scalar cascade does, at each bound, next to it and far from it."""
    df = pl.DataFrame(
        rows,
        schema={"industry_code": pl.String, "employees": pl.Int64, "revenue_10k_yuan": pl.Int64, "assets_10k_yuan": pl.Int64},
        orient="row",
    )
    enum = pl.Enum(list(SIZE_TABLE_2017))
    got = df.select(classify_2017_expr(category=size_category_expr("industry_code").cast(enum)).alias("c"))["c"]
    for (code, x, y, z), c in zip(rows, got.to_list(), strict=True):
        want = classify_2017(code, x, y, z)
        assert c == (want.value if want else None)
