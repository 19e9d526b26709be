"""Outside fidelity audit (people), session 40: 失业保险金 after a transfer (兵团 draft 二（四）), 临时生活补助 with no
insurance (内人社办发〔2022〕86号 （四）15), and the 技能提升补贴 insured period at the certificate date bounded by the
months at the application date (one case and a one-row facts table alike)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from wengang.evaluate import evaluate

UI = {
    "id_number": "152301199001010015",
    "name": "李四",
    "application_date": "2025-08-15",
    "insured_region": "150502",
    "paid_months": 50,
    "unclaimed_previous_months": 0,
    "involuntary_separation": True,
    "registered_unemployed": True,
    "seeking_work": True,
    "separation_date": "2025-07-31",
}
MONTHLY = {"monthly_benefit_amount": "1800元"}
ON = date(2025, 9, 1)


def _ui(region: str, drafts: bool = True, **facts: Any):
    return evaluate("ui_benefit", region, ON, {**UI, **facts}, settings=MONTHLY, include_drafts=drafts)


def _out(d: Any) -> dict[str, str]:
    return {k: v for k, _, v in d.outputs}


def test_bingtuan_transfer_pays_the_recomputed_period() -> None:
    # 001 二（四）“应在办理转移接续后重新计算待遇发放期限”: 50 + 10 = 60 months → 18 months (满5年, 含本数)
    d = _ui("bingtuan", paid_months_transferred_in=10)
    assert d.status == "eligible"
    assert d.amount_fen == 18 * 180000
    out = _out(d)
    assert out["recomputed_months"].startswith("18") and out["remaining_months"].startswith("18")


def test_bingtuan_transfer_less_months_already_drawn() -> None:
    d = _ui("bingtuan", paid_months_transferred_in=10, months_already_drawn=5)
    assert d.status == "eligible"
    assert d.amount_fen == 13 * 180000  # the remaining months, as remaining_months says
    assert _out(d)["remaining_months"].startswith("13")


def test_bingtuan_transfer_meets_one_year_on_combined_time() -> None:
    # 5 + 10 = 15 months ≥ 12: 缴费满1年 on the combined time
    d = _ui("bingtuan", paid_months=5, paid_months_transferred_in=10)
    assert d.status == "eligible", d.reasons
    assert d.amount_fen == 12 * 180000


def test_bingtuan_combined_time_under_one_year_refused() -> None:
    d = _ui("bingtuan", paid_months=5, paid_months_transferred_in=6)
    assert d.status == "ineligible"


def test_regulation_path_ignores_transferred_months() -> None:
    # where the document sets no recompute_duration_after_transfer (通辽, 条例), paid_months alone
    d = _ui("150500", drafts=False, paid_months=5, paid_months_transferred_in=10)
    assert d.status == "ineligible"
    d = _ui("150500", drafts=False, paid_months_transferred_in=10)
    assert d.status == "eligible" and d.amount_fen == 12 * 180000


TL = {
    "id_number": "152301199001010015",
    "name": "赵六",
    "rural_hukou": True,
    "rural_contract_worker": True,
    "insurance_stopped_on": "2021-03-01",
}


def _tl(**facts: Any):
    return evaluate(
        "temp_living_allowance", "150500", date(2022, 8, 1), {**TL, **facts}, settings={"monthly_amount": "1000元"}
    )


def test_temp_living_allowance_refuses_no_insurance() -> None:
    # （四）15 “停保一直未就业的参保不满 1 年的”: 停保 presumes insurance
    d = _tl(insured_months=0, insured_months_continuous=0)
    assert d.status == "ineligible"
    assert any("（四）15" in r and "0个月" in r for r in d.reasons), d.reasons


def test_temp_living_allowance_one_month_insured_eligible() -> None:
    d = _tl(insured_months=1, insured_months_continuous=1)
    assert d.status == "eligible" and d.amount_fen == 300000


def test_temp_living_allowance_insurance_unknown_not_paid() -> None:
    d = _tl()
    assert d.status == "not_determinable"


SKILL = {
    "id_number": "152301199001010031",
    "name": "P1",
    "application_date": "2025-08-01",
    "person_status": "employed_worker",
    "insured_months_cumulative": 30,
    "insured_months_continuous": 30,
    "insured_region": "150502",
    "occupation_code": "6-31-01-03",
    "level": 4,
    "certificate_type": "skill_level",
    "certificate_issue_date": "2025-06-01",
    "certificate_region": "150500",
    "evaluation_body": "通辽市某评价机构",
    "urgent_occupation": False,
}


def _skill(**facts: Any):
    f = {**SKILL, **facts, "past_subsidies": [], "held_certificates": [], "training_subsidies": []}
    return evaluate("skill_subsidy", "150500", ON, f)


def test_skill_insured_at_certificate_bounded_by_application_months() -> None:
    # 30 months at application, certificate 2025-06-01, application 2025-08-01: at least 30 − 3 (June–August) = 27
    d = _skill()
    assert d.status == "eligible" and d.amount_fen == 150000, d.reasons


@pytest.mark.parametrize(("months", "status"), [(15, "eligible"), (14, "needs_decision")])
def test_skill_bound_settles_only_when_it_reaches_the_minimum(months: int, status: str) -> None:
    # 15 − 3 = 12 ≥ 12 settles it; 14 − 3 = 11 does not (the months at the certificate date may still be 12)
    d = _skill(insured_months_cumulative=months, insured_months_continuous=months)
    assert d.status == status, d.reasons


def test_skill_given_figure_at_certificate_wins_over_the_bound() -> None:
    d = _skill(insured_months_cumulative_at_certificate=5)
    assert d.status == "needs_decision"
    by = {o.readings["skill_subsidy.insured_period"]: o.status for o in d.outcomes}
    assert by["cumulative_at_certificate"] == "ineligible"
    # continuous months are never above cumulative ones: no bound beside a given figure
    assert by["continuous_at_certificate"] != "eligible"


def _cell(v: Any) -> str:
    return "" if v is None else ("true" if v is True else "false" if v is False else str(v))


@pytest.mark.parametrize("months", [30, 15, 14])
def test_skill_bound_table_agrees_with_one_case(months: int, tmp_path: Path) -> None:
    # the bound is part of the rule (not of a prepare hook): a facts table (and screening.people, which leaves the
    # months at the certificate date empty unless issued on the application day) reads it the same way
    from wengang.programs.skill_subsidy import derive_skill_features
    from wengang.screening.evaluate import screen_facts
    from wengang.screening.pipeline import read_facts_table

    facts = {**SKILL, "insured_months_cumulative": months, "insured_months_continuous": months}
    one = _skill(insured_months_cumulative=months, insured_months_continuous=months)
    typed = {k: (date.fromisoformat(v) if k.endswith("_date") else v) for k, v in facts.items()}
    derived = derive_skill_features(typed, {"past_subsidies": [], "held_certificates": [], "training_subsidies": []})
    # what prepare derives from the resolved policy, as screening.people.with_policy_period gives it
    derived.update(certificate_in_policy_period=True, insured_outside_applied_region=False)
    table = {"region_code": "150502", **facts, **derived}
    path = tmp_path / "facts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(table))
        w.writeheader()
        w.writerow({k: _cell(v) for k, v in table.items()})
    accepted, quarantine, _ = read_facts_table(path, "skill_subsidy")
    assert quarantine.height == 0, quarantine.to_dicts()
    results, _ = screen_facts(accepted, "skill_subsidy", ON)
    row = results.collect().row(0, named=True)
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen)
