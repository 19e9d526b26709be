from datetime import date
from fractions import Fraction

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.facts.identifiers import make_credit_code
from wengang.facts.unit import UnitFacts
from wengang.screening.features import FEATURE_SCHEMA, derive_features
from wengang.screening.schemas import CONTRIBUTIONS, UNITS

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
C = make_credit_code("91", "150502", "MA0000003")
D = date(2024, 1, 15)  # policy year 2024, judged on 2023; latest month 2023-12


def units(*codes, **cols):
    base = {c.name: [None] * len(codes) for c in UNITS.columns}
    base.update(
        {
            "credit_code": list(codes),
            "name": [f"u{i}" for i in range(len(codes))],
            "region_code": ["150502"] * len(codes),
            "org_type": ["enterprise"] * len(codes),
        }
    )
    base.update(cols)
    return pl.DataFrame(base, schema=UNITS.polars_schema())


def month_rows(code, months, *, due=1000, paid=None, persons=10, paid_date=None, late_fee=0):
    rows = []
    for m in months:
        y, mm = int(m[:4]), int(m[5:])
        rows.append(
            (code, m, due, due if paid is None else paid, paid_date or date(y, mm, 15), late_fee, persons)
        )
    return rows


def contrib(rows):
    return pl.DataFrame(rows, schema=CONTRIBUTIONS.polars_schema(), orient="row")


def y2023(start=1, end=12):
    return [f"2023-{m:02d}" for m in range(start, end + 1)]


def derive(u, c, **kw):
    return derive_features(u, c, policy_year=2024, evaluation_date=D, **kw).collect(engine="streaming")


def test_columns_are_exactly_unit_facts():
    out = derive(units(A), contrib(month_rows(A, y2023())))
    assert out.columns == list(UnitFacts.model_fields)
    assert out.schema == FEATURE_SCHEMA
    UnitFacts.model_validate(out.row(0, named=True))  # a feature row is a valid one-case fact


def test_exactly_twelve_fully_paid_months_and_a_gap():
    rows = month_rows(A, y2023()) + month_rows(B, y2023(2, 12)) + month_rows(C, y2023())
    rows[-1] = (C, "2023-12", 1000, 999, date(2023, 12, 15), 0, 10)  # December short by one fen
    out = derive(units(A, B, C), contrib(rows))
    assert out["months_fully_paid"].to_list() == [12, 11, 0]


def test_cumulative_months_count_every_fully_paid_month_in_the_window():
    """Review E9: 23 fully-paid months with a short month in between → 11 consecutive, 23 cumulative; a month
    paid short, or after the review date, or after the latest month, is not counted."""
    y2022 = [f"2022-{m:02d}" for m in range(1, 13)]
    rows = month_rows(A, y2022) + month_rows(A, y2023())
    rows[12] = (A, "2023-01", 1000, 500, date(2023, 1, 15), 0, 10)  # January 2023 short: breaks the run
    rows += month_rows(A, ["2024-01"])  # after the latest month (2023-12): not counted
    rows += month_rows(B, ["2023-11"]) + month_rows(B, ["2023-12"], paid_date=date(2024, 3, 1))  # paid after D
    out = derive(units(A, B), contrib(rows))
    assert out["months_fully_paid"].to_list() == [11, 0]
    assert out["months_fully_paid_total"].to_list() == [23, 1]


def test_payment_after_evaluation_date_does_not_count():
    rows = month_rows(A, y2023(1, 11)) + month_rows(A, ["2023-12"], paid_date=date(2024, 2, 1))
    assert derive(units(A), contrib(rows))["months_fully_paid"][0] == 0


def test_backpay_for_2022_made_in_2023_is_excluded_from_2023_base_and_late_fees_excluded():
    rows = month_rows(A, y2023(), due=1000, late_fee=0)
    rows += month_rows(A, ["2022-11", "2022-12"], due=500, paid_date=date(2023, 4, 10), late_fee=37)
    rows += month_rows(
        A, ["2021-12"], due=300, paid_date=date(2022, 6, 1), late_fee=5
    )  # paid in 2022: nothing
    out = derive(units(A), contrib(rows)).row(0, named=True)
    assert out["paid_premium_last_year_fen"] == 12 * 1000
    assert out["backpay_other_years_fen"] == 2 * 500
    assert out["late_fee_fen"] == 2 * 37
    assert out["months_fully_paid"] == 14  # 2022-11 … 2023-12 are all paid by D


def test_base_cutoff_is_a_parameter():
    rows = month_rows(A, y2023(1, 11)) + month_rows(A, ["2023-12"], paid_date=date(2024, 1, 10), late_fee=9)
    strict = derive(units(A), contrib(rows)).row(0, named=True)
    assert strict["paid_premium_last_year_fen"] == 11 * 1000 and strict["late_fee_fen"] == 0
    lenient = derive(units(A), contrib(rows), base_paid_by=date(2024, 1, 15)).row(0, named=True)
    assert lenient["paid_premium_last_year_fen"] == 12 * 1000


def test_avg_contributors_exactly_300_is_large_and_floor():
    """The features carry the average (floored); the ≥300 rule is 山西's and is applied by the rules of the
    document in force, not here (review E12): Shanxi reads 300 as large and 299 as 中小微, IM by default not at all."""
    from wengang.screening.evaluate import screen_facts

    rows = month_rows(A, y2023(), persons=300) + month_rows(B, y2023(1, 11), persons=300)
    rows += month_rows(B, ["2023-12"], persons=299 + 12 * 0)  # sum 3599 → 299
    out = derive(units(A, B), contrib(rows), with_provenance=True)
    assert out["avg_contributors_12m"].to_list() == [300, 299]
    assert out["size_class"].to_list() == [None, None]
    facts = out.with_columns(pl.lit("140300").alias("region_code"), pl.lit(0).alias("layoffs_last_year"))
    settings = {"max_layoff_rate": Fraction(55, 1000), "fund_reserve_years": 2}
    res, _ = screen_facts(facts.lazy(), "fanhuan", date(2024, 8, 1), settings=settings)
    amounts = res.collect()["amount_fen"].to_list()
    assert amounts == [12 * 1000 * 30 // 100, 12 * 1000 * 60 // 100]
    im, _ = screen_facts(facts.with_columns(pl.lit("150502").alias("region_code")).lazy(), "fanhuan", date(2025, 8, 1))
    assert set(im.collect()["status"].to_list()) == {"needs_decision"}  # the 2017 standard cannot classify them


def test_size_cascade_stats_standard_branch():
    u = units(
        A,
        B,
        C,
        legal_entity_credit_code=[None, A, None],
        industry_code=[None, None, "C3611"],
        employees=[None, None, 25],
        revenue_10k_yuan=[None, None, 400],
    )
    rows = (
        month_rows(A, y2023(), persons=5)
        + month_rows(B, y2023(), persons=5)
        + month_rows(C, y2023(), persons=500)
    )
    stats = pl.DataFrame({"credit_code": [A], "size_class": ["large"]})
    out = derive(u, contrib(rows), stats_size=stats, with_provenance=True)
    assert out["size_class"].to_list() == ["large", "large", "small"]
    assert out["size_class_step"].to_list() == ["stats", "legal_entity", "standard_2017"]
    if "legal_entity_size_class" in out.columns:
        assert out["legal_entity_size_class"].to_list() == [None, "large", None]


def test_side_tables():
    u = units(A, B, is_dispatch_firm=[True, False])
    rows = month_rows(A, y2023()) + month_rows(B, y2023())
    headcount = pl.DataFrame(
        {
            "credit_code": [A, A],
            "year": [2023, 2022],
            "insured_headcount": [40, 50],
            "layoffs": [2, 9],
            "normal_attrition": [3, 1],
        }
    )
    excl = pl.DataFrame(
        {
            "credit_code": [A, B, B],
            "list_type": ["serious_dishonesty", "abnormal_operations", "zombie_clearance"],
            "date_from": [date(2023, 5, 1), date(2022, 1, 1), date(2024, 1, 16)],
            "date_to": [None, date(2024, 1, 16), None],  # removed the day after D (removed ON D: no longer listed, s42)
        }
    )
    defer = pl.DataFrame(
        {
            "credit_code": [A, B],
            "period_from": ["2022-04", "2022-04"],
            "period_to": ["2023-03", "2023-03"],
            "deferred_fen": [100, 100],
            "paid_up_date": [None, date(2023, 6, 30)],
        }
    )
    disp = pl.DataFrame(
        {
            "dispatch_credit_code": [A, A],
            "user_credit_code": [B, C],
            "workers": [7, 5],
            "user_is_public_institution": [False, True],
        }
    )
    out = derive(u, contrib(rows), headcount=headcount, exclusions=excl, deferrals=defer, dispatch=disp)
    a, b = out.row(0, named=True), out.row(1, named=True)
    assert (a["insured_headcount"], a["layoffs_last_year"], a["normal_attrition_last_year"]) == (40, 2, 3)
    assert b["insured_headcount"] == 10 and b["layoffs_last_year"] is None  # falls back to December
    assert a["serious_dishonesty"] and not a["abnormal_operations"]
    assert b["abnormal_operations"] and not b["zombie_clearance"]  # D is the last listed day; listed after D
    removed_on_d = excl.with_columns(pl.lit(date(2024, 1, 15)).alias("date_to"))
    assert not derive(u, contrib(rows), exclusions=removed_on_d).row(1, named=True)["abnormal_operations"]
    assert a["outstanding_deferral"] and not b["outstanding_deferral"]
    assert (a["dispatched_workers"], a["dispatched_to_public_institutions"]) == (12, 5)
    assert a["has_corporate_account"] is False  # unknown → cannot pay


def test_unit_without_records():
    out = derive(units(A), contrib([]))
    r = out.row(0, named=True)
    assert (
        r["months_fully_paid"] == 0
        and r["paid_premium_last_year_fen"] == 0
        and r["avg_contributors_12m"] is None
    )


_class_or_none = st.one_of(st.none(), st.sampled_from(["large", "medium", "small", "micro"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_class_or_none, _class_or_none), max_size=30))
def test_own_size_class_and_step_are_the_choice_row_by_row(rows):
    """The unit's own class (statistics, else the 2017 standard) and its step, as ``_own_size_exprs`` makes them: the
    texts a choice row by row gives."""
    from wengang.screening.features import _own_size_exprs

    frame = pl.DataFrame(rows, schema={"stats_size_class": pl.String, "size_class_2017": pl.String}, orient="row")
    cls, step = _own_size_exprs()
    got = frame.select(cls.alias("size_class"), step.alias("size_class_step"))
    want = [(s if s is not None else t, "stats" if s is not None else "standard_2017" if t is not None else None)
            for s, t in rows]
    assert got.schema == pl.Schema({"size_class": pl.String, "size_class_step": pl.String})
    assert list(got.iter_rows()) == want


_INDUSTRIES = ["C3611", "3611", "A0111", "E4710", "F5211", "G5411", "G5310", "I6510", "K7010", "L7211", "M7320",
               "R9011", "70", None, "X99", "c1311", ""]  # fmt: skip
_indicator = st.one_of(st.none(), st.integers(0, 3000), st.sampled_from([5, 10, 20, 300, 1000, 40000, 80000]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_INDUSTRIES), _indicator, _indicator, _indicator), max_size=30))
def test_unit_features_class_each_unit_by_its_industrys_category(rows):
    """``unit_features``' category of each unit (its industry code's place among the codes, the category looked up
    once per code) and the 2017 class from it: the scalar ``size_category`` and ``classify_2017`` of each row —
    for missing, unknown and oddly written codes too."""
    from wengang.facts.industries import size_category
    from wengang.facts.size_class import classify_2017
    from wengang.screening.features import unit_features

    units = pl.DataFrame(
        [(f"U{i}", *r) for i, r in enumerate(rows)],
        schema={"credit_code": pl.String, "industry_code": pl.String, "employees": pl.Int64,
                "revenue_10k_yuan": pl.Int64, "assets_10k_yuan": pl.Int64},
        orient="row",
    )  # fmt: skip
    got = unit_features(units, policy_year=2025, evaluation_date=date(2025, 8, 1)).collect()
    assert got["_cat"].cast(pl.String).to_list() == [size_category(r[0]) for r in rows]
    want = [classify_2017(*r) for r in rows]
    assert got["size_class_2017"].to_list() == [c.value if c else None for c in want]
