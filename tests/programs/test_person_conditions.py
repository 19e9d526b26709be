"""Conditions shared between the person benefits, checked as a class (audit 2: 失业补助金 vs 失业保险金; 3: 条例
第十五条 on every UI benefit; 1: a monthly benefit follows the policy of its month)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from wengang.evaluate import evaluate
from wengang.policies import load_policy_set
from wengang.programs import load_all
from wengang.programs.ui_benefit import STOP_REASONS
from wengang.rules.engine import ELIGIBLE, INELIGIBLE

load_all()

ID = "152301199001010015"


@pytest.mark.parametrize("region", ["150500"])
def test_who_qualifies_for_ui_benefit_is_not_in_the_subsidy_group(region: str) -> None:
    """86号 （四）14 “不符合领取失业保险金条件”: the same test ui_benefit applies (（四）12, claim-first included)."""
    grid = {
        "paid_months": [6, 12, 40],
        "involuntary_separation": [True, False],
        "registered_unemployed": [True, False],
        "seeking_work": [True, False],
    }
    for combo in itertools.product(*grid.values()):
        facts = {
            "id_number": ID,
            "application_date": "2022-05-01",
            "separation_date": "2022-03-01",
            **dict(zip(grid, combo, strict=True)),
        }
        ui = evaluate("ui_benefit", region, date(2022, 8, 1), facts)
        sub = evaluate("unemployment_subsidy", region, date(2022, 8, 1), {**facts, "ui_benefit_expired": False},
                       readings={"unemployment_subsidy.not_eligible_scope": "any_condition"})  # fmt: skip
        group = {c.id: c.passed for c in sub.checks}["group"]
        assert ui.status in (ELIGIBLE, INELIGIBLE), (facts, ui.reasons)
        assert group is (ui.status == INELIGIBLE), (facts, ui.status, group)


def test_stop_reasons_of_the_policy_are_those_the_rules_check() -> None:
    block = load_policy_set().get("national-1999-tiaoli").programs["ui_benefit"]
    assert set(block.params["stop_reasons"].value) == set(STOP_REASONS)


BASES = {
    "ui_benefit": {"application_date": "2022-05-01", "paid_months": 40, "involuntary_separation": True,
                   "registered_unemployed": True, "seeking_work": True, "separation_date": "2022-03-01"},
    "unemployment_subsidy": {"application_date": "2022-05-01", "paid_months": 40, "involuntary_separation": True,
                             "registered_unemployed": True, "seeking_work": True, "ui_benefit_expired": True,
                             "ui_benefit_end_date": "2021-06-30"},
    "temp_living_allowance": {"rural_hukou": True, "rural_contract_worker": True, "insurance_stopped_on": "2021-03-01", "insured_months": 10,
                              "insured_months_continuous": 10},
}  # fmt: skip


@pytest.mark.parametrize("program", sorted(BASES))
@pytest.mark.parametrize("reason", sorted(STOP_REASONS))
def test_every_stop_reason_stops_every_ui_benefit(program: str, reason: str) -> None:
    """条例 第十五条: 停止领取失业保险金，并同时停止享受其他失业保险待遇."""
    base = {"id_number": ID, **BASES[program]}
    assert evaluate(program, "150500", date(2022, 8, 1), base).status == ELIGIBLE
    d = evaluate(program, "150500", date(2022, 8, 1), {**base, reason: True})
    assert d.status == INELIGIBLE
    assert {c.id: c.passed for c in d.checks}["not_stopped"] is False


@pytest.mark.parametrize("program", ["ui_price_subsidy", "ui_medical_premium"])
@pytest.mark.parametrize(("region", "month", "policy"), [
    ("140300", date(2024, 9, 1), "晋人社厅发〔2024〕28号"),
    ("150500", date(2019, 6, 1), {"ui_medical_premium": "内政发〔2019〕4号"}),
    ("150500", date(2024, 9, 1), {"ui_price_subsidy": "人社部发〔2024〕40号", "ui_medical_premium": "内政发〔2019〕4号"}),
    ("150500", date(2025, 9, 1), "内人社发〔2025〕18号"),
])  # fmt: skip
def test_a_monthly_benefit_does_not_depend_on_the_review_date(
    program: str, region: str, month: date, policy
) -> None:
    if isinstance(policy, dict):
        if program not in policy:
            pytest.skip("no provision for this program in that month")
        policy = policy[program]
    facts = {
        "id_number": ID,
        "benefit_month": month.isoformat(),
        "receiving_ui_benefit": True,
        "benefit_months": 12,
    }
    setting = {"ui_price_subsidy": "price_subsidy_monthly", "ui_medical_premium": "medical_premium_monthly"}[
        program
    ]
    got = {
        (d.status, d.policy_number, d.amount_fen)
        for on in (month, date(2026, 3, 1), date(2030, 1, 1))
        for d in [evaluate(program, region, on, facts, settings={setting: "35元"})]
    }
    assert got == {(ELIGIBLE, policy, 3500)}
