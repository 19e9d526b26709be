"""失业保险金 and related benefits: batch ≡ one case; 第十七条 duration is monotone and capped (hypothesis)."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wengang.evaluate import evaluate
from wengang.policies import load_policy_set
from wengang.programs import load_all
from wengang.rules.batch import screen_frame
from wengang.rules.engine import ELIGIBLE, RULESETS

load_all()  # registers the rulesets

ID = "152301199001010015"

person = st.fixed_dictionaries(
    {
        "paid_months": st.one_of(st.none(), st.integers(0, 150)),
        "unclaimed_previous_months": st.integers(0, 24),
        "involuntary_separation": st.one_of(st.none(), st.booleans()),
        "registered_unemployed": st.booleans(),
        "seeking_work": st.booleans(),
        "reemployed": st.booleans(),
        "pension_started": st.booleans(),
        "receiving_flexible_employment_subsidy": st.booleans(),
        "receiving_ui_benefit": st.booleans(),
        "ui_benefit_expired": st.booleans(),
        "ui_benefit_end_date": st.dates(date(2020, 6, 1), date(2022, 6, 1)),
        "separation_date": st.dates(date(2020, 6, 1), date(2022, 6, 1)),
        "application_date": st.just(date(2022, 7, 1)),
        "rural_hukou": st.one_of(st.none(), st.booleans()),
        "rural_contract_worker": st.booleans(),
        "insured_months": st.integers(0, 30),
        "insured_months_continuous": st.integers(0, 30),
        "insurance_stopped_on": st.dates(date(2020, 12, 25), date(2021, 1, 5)),
        "continuous_work_months": st.integers(0, 30),
        "unit_paid_premiums": st.booleans(),
        "contract_end": st.sampled_from(["expired_not_renewed", "early_termination", "other"]),
        "terminated_at_worker_request": st.booleans(),
        "claimed_elsewhere": st.booleans(),
        "deceased": st.booleans(),
        # 条例 第二十条: the benefit runs to the month of death (either date may be missing)
        "death_date": st.one_of(st.none(), st.dates(date(2022, 5, 1), date(2024, 6, 1))),
        "benefit_start_date": st.one_of(st.none(), st.dates(date(2022, 6, 1), date(2023, 6, 1))),
    }
)

SCHEMA = {
    "paid_months": pl.Int64,
    "unclaimed_previous_months": pl.Int64,
    "involuntary_separation": pl.Boolean,
    "registered_unemployed": pl.Boolean,
    "seeking_work": pl.Boolean,
    "reemployed": pl.Boolean,
    "pension_started": pl.Boolean,
    "receiving_flexible_employment_subsidy": pl.Boolean,
    "receiving_ui_benefit": pl.Boolean,
    "ui_benefit_expired": pl.Boolean,
    "ui_benefit_end_date": pl.Date,
    "separation_date": pl.Date,
    "application_date": pl.Date,
    "rural_hukou": pl.Boolean,
    "rural_contract_worker": pl.Boolean,
    "insured_months": pl.Int64,
    "insured_months_continuous": pl.Int64,
    "insurance_stopped_on": pl.Date,
    "continuous_work_months": pl.Int64,
    "unit_paid_premiums": pl.Boolean,
    "contract_end": pl.String,
    "terminated_at_worker_request": pl.Boolean,
    "claimed_elsewhere": pl.Boolean,
    "deceased": pl.Boolean,
    "death_date": pl.Date,
    "benefit_start_date": pl.Date,
    "id_number": pl.String,
}

PROGRAMS = [
    ("ui_benefit", "150500", date(2025, 9, 1)),
    ("ui_benefit", "150500", date(2022, 8, 1)),
    ("unemployment_subsidy", "150500", date(2022, 8, 1)),
    ("temp_living_allowance", "150500", date(2022, 8, 1)),
    ("one_off_living_allowance", "150500", date(2022, 8, 1)),
]


# the monthly standards (元): with them amount_fen is the total; without them it is null and the decision stands
STANDARDS = {"monthly_benefit_amount": 180000, "monthly_amount": 120000}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(person, min_size=1, max_size=10), which=st.sampled_from(PROGRAMS), priced=st.booleans())
def test_batch_equals_one_case(rows, which, priced):
    program, region, on = which
    resolution = load_policy_set().resolve(region=region, on=on, program=program)
    ruleset = RULESETS[(program, resolution.ruleset)]
    frame = pl.DataFrame([{**r, "id_number": ID} for r in rows], schema=SCHEMA)
    standards = STANDARDS if priced else {}
    out = screen_frame(frame, ruleset, resolution, settings=standards).collect()
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        # the batch is given the review-date resolution: evaluate one case under the same period date
        d = evaluate(
            program, region, on, {**row, "id_number": ID}, readings={"policy.period_date": "review"}, settings=standards
        )
        assert got["status"] == d.status, (row, d.reasons, got["reasons"])
        assert got["amount_fen"] == d.amount_fen


def _months(paid: int, unclaimed: int = 0) -> int:
    d = evaluate(
        "ui_benefit",
        "150500",
        date(2023, 6, 1),
        {
            "id_number": ID,
            "paid_months": paid,
            "unclaimed_previous_months": unclaimed,
            "involuntary_separation": True,
            "registered_unemployed": True,
            "seeking_work": True,
        },
        settings={"monthly_benefit_amount": "1800元"},  # below the minimum wage (条例 第十八条)
    )
    assert d.status == ELIGIBLE
    entitled = next(v for i, _, v in d.outputs if i == "entitled_months")
    total = next(v for i, _, v in d.outputs if i == "total")
    assert total == f"{int(entitled.removesuffix('个月')) * 1800:,}.00元"
    return int(entitled.removesuffix("个月"))


@settings(max_examples=60, deadline=None)
@given(paid=st.integers(12, 400), more=st.integers(0, 100), unclaimed=st.integers(0, 24))
def test_duration_is_monotone_and_capped(paid, more, unclaimed):
    a, b = _months(paid, unclaimed), _months(paid + more, unclaimed)
    assert a <= b <= 24
    base = 12 if paid < 60 else 18 if paid < 120 else 24
    assert _months(paid) == base
    assert a == min(base + unclaimed, 24)
