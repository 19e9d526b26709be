"""Invariants of 留工培训/扩岗/吸纳/创业担保贷款/创业补贴/见习/缓缴（失业、养老、工伤）/费率, and batch ≡ one case for each of them."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wengang.evaluate import InvalidFacts, evaluate, parse_settings, ruleset_for
from wengang.policies import load_policy_set
from wengang.programs.deferral import derive_industry_facts, industry_columns
from wengang.rules.batch import screen_frame
from wengang.rules.engine import ELIGIBLE, INELIGIBLE

UNIT = "91150502MA0000001U"
ID = "152301199803151231"
TONGLIAO = "150500"

none = st.none()


def opt(_none: Any, s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly present, sometimes missing: eligible rows must be common enough to compare amounts."""
    return st.one_of(s, s, s, _none)


maybe_bool = st.sampled_from([True, True, True, False, None])
INDUSTRY_CODES = ["H6210", "F5211", "L7291", "N7861", "G5411", "G5611", "C1310", "C3811", "R9011", "Q8510", "9999", None]  # 9999: formed, no such division


def _nullable(values: list[Any]) -> st.SearchStrategy[Any]:
    return opt(none, st.sampled_from(values))


falsy = st.sampled_from([False, False, False, True])


# program → (region, date, settings, drafts, {field: (strategy, dtype)})
SPECS: dict[str, tuple[str, date, dict[str, Any], bool, dict[str, tuple[st.SearchStrategy[Any], Any]]]] = {
    "retention_training": (
        TONGLIAO,
        date(2022, 8, 1),
        {"risk_area_count": 0},
        False,
        {
            "org_type": (st.sampled_from(["enterprise", "social_group", "individual_business", "public_institution"]), pl.String),
            "industry_code": (st.sampled_from(INDUSTRY_CODES), pl.String),
            "covid_hardship": (maybe_bool, pl.Boolean),
            "insured_prev_month_end": (opt(none, st.integers(0, 5000)), pl.Int64),
            "insured_at_review": (opt(none, st.integers(0, 5000)), pl.Int64),
            "already_received": (falsy, pl.Boolean),
        },
    ),
    "job_expansion": (
        TONGLIAO,
        date(2022, 8, 1),
        {},
        False,
        {
            "org_type": (st.sampled_from(["enterprise", "individual_business"]), pl.String),
            "size_class": (_nullable(["large", "medium", "small", "micro"]), pl.String),
            "is_college_graduate": (maybe_bool, pl.Boolean),
            "graduation_year": (opt(none, st.integers(2020, 2022)), pl.Int64),
            "hire_year": (opt(none, st.integers(2021, 2022)), pl.Int64),
            "has_labour_contract": (maybe_bool, pl.Boolean),
            "contract_months": (opt(none, st.integers(0, 36)), pl.Int64),
            "insured_ui": (maybe_bool, pl.Boolean),
            "received_job_expansion": (falsy, pl.Boolean),
            "received_hiring_subsidy": (falsy, pl.Boolean),
            "chosen_program": (_nullable(["job_expansion", "hiring_subsidy"]), pl.String),
        },
    ),
    "startup_loan": (
        TONGLIAO,
        date(2022, 8, 1),
        {},
        False,
        {
            "applicant": (st.sampled_from(["individual", "partnership", "small_firm"]), pl.String),
            "group": (_nullable(["graduate", "veteran", "other"]), pl.String),
            "partners_eligible": (opt(none, st.integers(0, 8)), pl.Int64),
            "partners_approved_total_fen": (opt(none, st.integers(0, 200_000_000)), pl.Int64),
            "size_class": (_nullable(["medium", "small", "micro"]), pl.String),
            "employees_current": (opt(none, st.integers(0, 300)), pl.Int64),
            "new_hires_eligible": (opt(none, st.integers(0, 60)), pl.Int64),
            "wage_arrears": (falsy, pl.Boolean),
            "premium_arrears": (falsy, pl.Boolean),
            "requested_amount_fen": (opt(none, st.integers(0, 400_000_000)), pl.Int64),
            "requested_term_months": (opt(none, st.integers(0, 40)), pl.Int64),
            "extension_months": (st.integers(0, 14), pl.Int64),
            "extensions_before": (st.integers(0, 2), pl.Int64),
            "bank_consents_extension": (maybe_bool, pl.Boolean),
            "counter_guarantee_group": (_nullable(["city_level_honoree"]), pl.String),
        },
    ),
    "startup_grant": (
        TONGLIAO,
        date(2019, 8, 1),
        {},
        False,
        {
            "group": (_nullable(["college_graduate", "employment_difficulty", "other"]), pl.String),
            "months_left_school_at_registration": (opt(none, st.integers(0, 40)), pl.Int64),
            "months_left_school_at_application": (opt(none, st.integers(0, 60)), pl.Int64),
            "first_business": (maybe_bool, pl.Boolean),
            "business_type": (_nullable(["small_micro_firm", "individual_business", "other"]), pl.String),
            "operating_months": (opt(none, st.integers(0, 30)), pl.Int64),
            "already_received": (falsy, pl.Boolean),
        },
    ),
    "internship": (
        TONGLIAO,
        date(2021, 12, 15),
        {"class1_minimum_wage": "1980.05元"},
        False,
        {
            "intern_group": (_nullable(["unemployed_graduates", "unemployed_youth_16_24", "other"]), pl.String),
            "age_at_start": (opt(none, st.integers(14, 30)), pl.Int64),
            "months": (opt(none, st.integers(0, 15)), pl.Int64),
            "unit_interns_completed": (opt(none, st.integers(0, 20)), pl.Int64),
            "unit_interns_total": (opt(none, st.integers(0, 25)), pl.Int64),
            "unit_interns_retained": (opt(none, st.integers(0, 20)), pl.Int64),
        },
    ),
    "deferral": (
        TONGLIAO,
        date(2022, 8, 1),
        {"affected_area": True},
        False,
        {
            "org_type": (
                st.sampled_from(["enterprise", "individual_business", "public_institution", "law_firm", "other"]),
                pl.String,
            ),
            "size_class_2020_relief": (_nullable(["large", "medium", "small", "micro"]), pl.String),
            "size_class_2021_confirmed": (st.sampled_from([None, None, "large", "small"]), pl.String),
            "industry_code": (st.sampled_from(INDUSTRY_CODES), pl.String),
            "hardship_confirmed": (maybe_bool, pl.Boolean),
            "temporary_difficulty": (maybe_bool, pl.Boolean),
            "in_enterprise_pension": (maybe_bool, pl.Boolean),
            "deferral_months": (opt(none, st.integers(0, 15)), pl.Int64),
            "deferral_until": (opt(none, st.dates(date(2022, 6, 1), date(2023, 6, 30))), pl.Date),
        },
    ),
    "deferral_pension": (
        TONGLIAO,
        date(2022, 8, 1),
        {"affected_area": True},
        False,
        {
            "org_type": (
                st.sampled_from(["enterprise", "individual_business", "public_institution", "law_firm", "other"]),
                pl.String,
            ),
            "size_class_2020_relief": (_nullable(["large", "medium", "small", "micro"]), pl.String),
            "size_class_2021_confirmed": (st.sampled_from([None, None, "large", "small"]), pl.String),
            "industry_code": (st.sampled_from(INDUSTRY_CODES), pl.String),
            "hardship_confirmed": (maybe_bool, pl.Boolean),
            "temporary_difficulty": (maybe_bool, pl.Boolean),
            "in_enterprise_pension": (maybe_bool, pl.Boolean),
            "deferral_months": (opt(none, st.integers(0, 15)), pl.Int64),
            "deferral_until": (opt(none, st.dates(date(2022, 6, 1), date(2023, 6, 30))), pl.Date),
        },
    ),
    "deferral_injury": (
        TONGLIAO,
        date(2022, 8, 1),
        {"affected_area": True},
        False,
        {
            "org_type": (
                st.sampled_from(["enterprise", "individual_business", "public_institution", "law_firm", "other"]),
                pl.String,
            ),
            "size_class_2020_relief": (_nullable(["large", "medium", "small", "micro"]), pl.String),
            "size_class_2021_confirmed": (st.sampled_from([None, None, "large", "small"]), pl.String),
            "industry_code": (st.sampled_from(INDUSTRY_CODES), pl.String),
            "hardship_confirmed": (maybe_bool, pl.Boolean),
            "temporary_difficulty": (maybe_bool, pl.Boolean),
            "in_enterprise_pension": (maybe_bool, pl.Boolean),
            "deferral_months": (opt(none, st.integers(0, 15)), pl.Int64),
            "deferral_until": (opt(none, st.dates(date(2022, 6, 1), date(2023, 6, 30))), pl.Date),
        },
    ),
    "fee_rate": (
        "140300",
        date(2025, 3, 1),
        {},
        False,
        {
            "unit_base_fen": (opt(none, st.integers(0, 10**9)), pl.Int64),
            "individual_base_fen": (opt(none, st.integers(0, 10**9)), pl.Int64),
        },
    ),
}
IDENTITY = {
    "retention_training": {"credit_code": UNIT},
    "job_expansion": {"credit_code": UNIT},
    "startup_loan": {"id_number": ID},
    "startup_grant": {"id_number": ID},
    "internship": {"credit_code": UNIT},
    "deferral": {"credit_code": UNIT},
    "deferral_pension": {"credit_code": UNIT},
    "deferral_injury": {"credit_code": UNIT},
    "fee_rate": {"credit_code": UNIT},
}
DERIVES_INDUSTRY = {"retention_training", "deferral", "deferral_pension", "deferral_injury"}


def _rows(program: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    fields = SPECS[program][4]
    return st.lists(st.fixed_dictionaries({k: s for k, (s, _) in fields.items()}), min_size=1, max_size=12)


@pytest.mark.parametrize("program", sorted(SPECS))
def test_batch_equals_one_case(program: str) -> None:
    region, on, raw_settings, drafts, fields = SPECS[program]
    resolution = load_policy_set().resolve(region=region, on=on, program=program, include_drafts=drafts)
    ruleset = ruleset_for(program, resolution.ruleset)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=_rows(program))
    def check(rows: list[dict[str, Any]]) -> None:
        df = pl.DataFrame(rows, schema={k: dtype for k, (_, dtype) in fields.items()})
        if program in DERIVES_INDUSTRY:
            df = df.with_columns(industry_columns())
        out = screen_frame(df, ruleset, resolution, settings=parse_settings(raw_settings)).collect()
        for row, got in zip(rows, out.iter_rows(named=True), strict=True):
            d = evaluate(program, region, on, {**IDENTITY[program], **row}, settings=raw_settings, include_drafts=drafts)
            assert (got["status"], got["amount_fen"]) == (d.status, d.amount_fen), (row, d.reasons, got)

    check()


def test_industry_columns_match_one_case_derivation() -> None:
    df = pl.DataFrame({"industry_code": INDUSTRY_CODES + ["h62", "7291", "C36", "R90", "5311"]}, schema={"industry_code": pl.String})
    out = df.with_columns(industry_columns())
    for row in out.iter_rows(named=True):
        expected = derive_industry_facts(row["industry_code"])
        assert {k: row[k] for k in expected} == expected, row


@settings(max_examples=200, deadline=None)
@given(row=_rows("startup_loan").map(lambda rows: rows[0]))
def test_loan_limit_never_above_the_cap(row: dict[str, Any]) -> None:
    d = evaluate("startup_loan", TONGLIAO, date(2022, 8, 1), {**IDENTITY["startup_loan"], **row})
    if d.status != ELIGIBLE:
        return
    individual, firm = 20_000_000, 300_000_000
    # the amount is the request within the ceiling, or the ceiling itself (amount_is_cap) without a request
    if row["applicant"] == "small_firm":
        assert d.amount_fen <= firm
    elif row["applicant"] == "individual":
        assert d.amount_fen <= individual
    else:  # partnership: at most 110% of the partners' individual limits
        assert d.amount_fen <= row["partners_eligible"] * individual * Fraction(11, 10)
    if row["requested_amount_fen"] is not None:
        assert d.amount_fen == row["requested_amount_fen"] and not d.amount_is_cap
    else:
        assert d.amount_is_cap and d.amount_fen == {"small_firm": firm, "individual": individual}.get(row["applicant"], d.amount_fen)


@settings(max_examples=200, deadline=None)
@given(row=_rows("internship").map(lambda rows: rows[0]), wage_fen=st.integers(100_000, 300_000))
def test_internship_subsidy_within_50_to_60_percent_of_wage_times_months(row: dict[str, Any], wage_fen: int) -> None:
    raw = {"class1_minimum_wage": f"{wage_fen / 100:.2f}元"}
    d = evaluate("internship", TONGLIAO, date(2021, 12, 15), {**IDENTITY["internship"], **row}, settings=raw)
    if d.status != ELIGIBLE:
        return
    months = min(row["months"], 12)
    assert d.amount_fen <= wage_fen * months * Fraction(3, 5) + Fraction(1, 2)
    assert d.amount_fen >= wage_fen * months * Fraction(1, 2) - Fraction(1, 2)


@settings(max_examples=200, deadline=None)
@given(base=st.integers(0, 10**10))
def test_fee_premiums_are_each_rate_half_up_and_add_up(base: int) -> None:
    for region, unit_rate in (("140300", Fraction(7, 1000)), ("150500", Fraction(5, 1000))):
        on = date(2025, 3, 1) if region == "140300" else date(2022, 6, 1)
        d = evaluate("fee_rate", region, on, {"unit_base_fen": base})
        individual_rate = Fraction(1, 100) - unit_rate
        unit = int(base * unit_rate + Fraction(1, 2))
        individual = int(base * individual_rate + Fraction(1, 2))
        assert d.amount_fen == unit + individual


def test_more_new_hires_never_turn_a_small_firm_loan_into_a_refusal() -> None:
    base = {"applicant": "small_firm", "credit_code": UNIT, "size_class": "small", "employees_current": 101}
    statuses = [evaluate("startup_loan", TONGLIAO, date(2022, 8, 1), {**base, "new_hires_eligible": n}).status for n in range(0, 30)]
    first_ok = statuses.index(ELIGIBLE)
    assert first_ok == 9  # 9/101 ≥ 8% > 8/101
    assert all(s == INELIGIBLE for s in statuses[:first_ok]) and all(s == ELIGIBLE for s in statuses[first_ok:])


def test_bad_identifiers_are_refused_in_chinese_and_english() -> None:
    with pytest.raises(InvalidFacts) as exc:
        evaluate("startup_grant", TONGLIAO, date(2019, 8, 1), {"id_number": "152301199803151230"})
    text = exc.value.text()
    assert "校验码" in text and "id_number" in text and "check character" in text
    with pytest.raises(InvalidFacts):
        evaluate("deferral", TONGLIAO, date(2022, 8, 1), {"credit_code": "91150502MA0000001X"})
