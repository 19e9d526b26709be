"""稳岗返还's open questions named (session 42, outside ambiguity audit a5 and held-out audit a1; docs/decisions.md §123).

Each new switch: its readings reachable, 待认定 where it is open and matters, and one case and a one-row facts table agree.
A reading given for a switch the document in force fixes is reported (one case and a screening alike), not dropped.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.evaluate import evaluate, parse_settings
from wengang.rules import interpretations
from wengang.screening.evaluate import screen_facts
from wengang.screening.features import FeatureParams, contribution_features
from wengang.screening.output import document_reading_lines
from wengang.screening.pipeline import read_facts_table

UNIT: dict[str, Any] = {
    "credit_code": "91150502MA0000001U", "name": "测试单位", "region_code": "150502", "org_type": "enterprise",
    "size_class": "small", "months_fully_paid": 36, "paid_premium_last_year_fen": 1000000, "insured_headcount": 50,
    "layoffs_last_year": 0, "normal_attrition_last_year": 0, "has_corporate_account": True,
}
SX = {**UNIT, "credit_code": "91140302MA0N12341H", "region_code": "140302", "exclusion_checked_on": "2024-08-01"}
Y19 = {"fanhuan.base_2019_payer": "unit_and_staff", "fanhuan.reserve_2019_scope": "hardship_only"}


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _both(tmp_path: Path, facts: dict[str, Any], region: str, on: date, readings=None, settings=None):
    """One case and the same facts as a one-row table (read as ``screen --facts`` reads it): (decision, row, plans)."""
    one = evaluate("fanhuan", region, on, facts, readings=readings, settings=settings)
    path = tmp_path / "facts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(facts))
        w.writeheader()
        w.writerow({k: _cell(v) for k, v in facts.items()})
    accepted, quarantine, _ = read_facts_table(path, "fanhuan")
    assert quarantine.height == 0, quarantine.to_dicts()
    results, plans = screen_facts(
        accepted, "fanhuan", on, readings=readings, settings=parse_settings(settings) if settings else None
    )
    row = results.collect().row(0, named=True)
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen), (row, one.reasons)
    return one, row, plans


# -- 1. readings a document fixed by a quote that does not settle them are open; a fixed one given is reported ------


def test_prior_refund_2022_is_open_and_on_top_applies(tmp_path: Path) -> None:
    facts = {**UNIT, "refund_already_paid_fen": 600000}
    one, _, _ = _both(tmp_path, facts, "150502", date(2022, 8, 1), readings={"fanhuan.prior_refund_2022": "on_top"})
    assert (one.status, one.amount_fen) == ("eligible", 900000)  # was 300000: the reading was silently dropped
    assert one.readings_fixed == {"fanhuan.prior_refund_2022": "on_top"} and not one.readings_by_document
    top, _, _ = _both(tmp_path, facts, "150502", date(2022, 8, 1), readings={"fanhuan.prior_refund_2022": "top_up"})
    assert (top.status, top.amount_fen) == ("eligible", 300000)
    open_, _, _ = _both(tmp_path, facts, "150502", date(2022, 8, 1))
    assert open_.status == "needs_decision"


def test_deferral_and_reserve_2019_are_open(tmp_path: Path) -> None:
    d = evaluate("fanhuan", "bingtuan", date(2024, 8, 1), {**UNIT, "region_code": None, "outstanding_deferral": True},
                 include_drafts=True, settings={"fund_reserve_years": 2})
    assert d.status == "needs_decision" and any("缓缴" in r for r in d.reasons)
    unit = {**UNIT, "size_class": "medium"}
    short = {"max_layoff_rate": "3.6%", "fund_reserve_years": "0.5"}
    d = evaluate("fanhuan", "150502", date(2019, 8, 1), unit, settings=short, readings={"fanhuan.base_2019_payer": "unit_and_staff"})
    assert d.status == "needs_decision"
    d = evaluate("fanhuan", "150502", date(2019, 8, 1), unit, settings=short,
                 readings={"fanhuan.base_2019_payer": "unit_and_staff", "fanhuan.reserve_2019_scope": "all_standards"})
    assert d.status == "not_determinable"  # the reading applies now; before it was dropped (符合条件 5,000.00元)


def test_a_reading_the_document_fixes_is_reported_in_one_case_and_a_screening(tmp_path: Path) -> None:
    readings = {**Y19, "fanhuan.layoff_rate_formula": "average"}
    one, _, plans = _both(tmp_path, UNIT, "150502", date(2019, 8, 1), readings=readings, settings={"max_layoff_rate": "3.6%"})
    fixed = one.readings_by_document["fanhuan.layoff_rate_formula"]
    assert fixed["given"] == "average" and fixed["applied"] == "year_end" and fixed["parameter"] == "layoff_rate_denominator"
    assert fixed["citation"].startswith("内政发〔2019〕4号 一")
    note = next(n for n in one.notes if "fanhuan.layoff_rate_formula" in n)
    assert "未采用" in note and "not applied" in note
    assert "readings_by_document" in one.to_dict()
    lines = document_reading_lines(plans, readings)
    assert lines == ["内政发〔2019〕4号（地区 150502）：" + note]
    # a switch the document leaves open is applied and not reported
    assert document_reading_lines(plans, {"fanhuan.reserve_2019_scope": "all_standards"}) == []


# -- 2. 内政发〔2019〕4号 一 “上年末职工人数” -----------------------------------------------------------------------


def test_layoff_headcount_2019(tmp_path: Path) -> None:
    assert interpretations.get("fanhuan.layoff_headcount_2019").default == "insured"
    facts = {**UNIT, "insured_headcount": 49, "layoffs_last_year": 1}  # 1 ÷ 50 = 2%, not below 2%
    s = {"max_layoff_rate": "2%"}
    open_, _, _ = _both(tmp_path, facts, "150502", date(2019, 8, 1), readings=Y19, settings=s)
    assert open_.status == "needs_decision"
    ins, _, _ = _both(tmp_path, facts, "150502", date(2019, 8, 1), readings={**Y19, "fanhuan.layoff_headcount_2019": "insured"}, settings=s)
    assert ins.status == "ineligible"
    staff = {**facts, "staff_headcount_year_end": 99}  # 1 ÷ 100 = 1% < 2%
    all_, _, _ = _both(tmp_path, staff, "150502", date(2019, 8, 1), readings={**Y19, "fanhuan.layoff_headcount_2019": "all_staff"}, settings=s)
    assert (all_.status, all_.amount_fen) == ("eligible", 500000)
    lack, _, _ = _both(tmp_path, facts, "150502", date(2019, 8, 1), readings={**Y19, "fanhuan.layoff_headcount_2019": "all_staff"}, settings=s)
    assert lack.status == "not_determinable"


# -- 3. the hardship standard's headcount date ------------------------------------------------------------------


def test_hardship_headcount_2019() -> None:
    facts = {**UNIT, "hardship_approved": True}
    s = {"max_layoff_rate": "3.6%", "fund_reserve_years": "2", "hardship_standard_choice": "benefit", "local_avg_monthly_benefit": "1200元"}
    d = evaluate("fanhuan", "150502", date(2019, 8, 1), facts, readings=Y19, settings=s)
    assert d.status == "needs_decision"
    d = evaluate("fanhuan", "150502", date(2019, 8, 1), facts, readings={**Y19, "fanhuan.hardship_headcount_2019": "year_end"}, settings=s)
    assert (d.status, d.amount_fen) == ("eligible", 36000000)
    later = {**facts, "insured_headcount_at_application": 60}
    d = evaluate("fanhuan", "150502", date(2019, 8, 1), later, readings={**Y19, "fanhuan.hardship_headcount_2019": "at_application"}, settings=s)
    assert (d.status, d.amount_fen) == ("eligible", 43200000)  # 6 × 1,200 × 60


# -- 4. 晋28号 二 经营异常名录 --------------------------------------------------------------------------------------


def test_abnormal_listing(tmp_path: Path) -> None:
    facts = {**SX, "abnormal_operations": True}
    s = {"max_layoff_rate": "5.5%"}
    on = date(2024, 8, 1)
    assert _both(tmp_path, facts, "140302", on, settings=s)[0].status == "needs_decision"
    assert _both(tmp_path, facts, "140302", on, {"fanhuan.abnormal_listing": "listing_excludes"}, s)[0].status == "ineligible"
    ok = _both(tmp_path, {**facts, "operating_normally": True}, "140302", on, {"fanhuan.abnormal_listing": "cannot_operate"}, s)[0]
    assert (ok.status, ok.amount_fen) == ("eligible", 600000)
    no = _both(tmp_path, {**facts, "operating_normally": False}, "140302", on, {"fanhuan.abnormal_listing": "cannot_operate"}, s)[0]
    assert no.status == "ineligible"
    assert _both(tmp_path, facts, "140302", on, {"fanhuan.abnormal_listing": "cannot_operate"}, s)[0].status == "not_determinable"


# -- 5. the date of the exclusion status ----------------------------------------------------------------------------


def test_exclusion_status_date(tmp_path: Path) -> None:
    facts = {**UNIT, "serious_dishonesty": False, "serious_dishonesty_refund_year": True}
    on = date(2025, 8, 1)
    assert _both(tmp_path, facts, "150502", on)[0].status == "needs_decision"
    assert _both(tmp_path, facts, "150502", on, {"fanhuan.exclusion_status_date": "refund_year"})[0].status == "ineligible"
    ok = _both(tmp_path, facts, "150502", on, {"fanhuan.exclusion_status_date": "review"})[0]
    assert (ok.status, ok.amount_fen) == ("eligible", 600000)
    # 晋28号 二 “要以审核之日…查询结果”: fixed there, and a reading given for it is said not to apply
    sx = {**SX, "serious_dishonesty": False, "serious_dishonesty_refund_year": True}
    d = _both(tmp_path, sx, "140302", date(2024, 8, 1), {"fanhuan.exclusion_status_date": "refund_year"}, {"max_layoff_rate": "5.5%"})[0]
    assert (d.status, d.amount_fen) == ("eligible", 600000)
    assert d.readings_by_document["fanhuan.exclusion_status_date"]["citation"].startswith("晋人社厅发〔2024〕28号 二")


# -- 6. 86号（三）6 “其他企业” ----------------------------------------------------------------------------------------


def test_other_enterprises_2022(tmp_path: Path) -> None:
    facts = {**UNIT, "size_class": None}
    on = date(2022, 8, 1)
    assert _both(tmp_path, facts, "150502", on)[0].status == "needs_decision"
    d = _both(tmp_path, facts, "150502", on, {"fanhuan.other_enterprises_2022": "unclassified_50"})[0]
    assert (d.status, d.amount_fen) == ("eligible", 500000)
    assert _both(tmp_path, facts, "150502", on, {"fanhuan.other_enterprises_2022": "classify_first"})[0].status == "not_determinable"
    # a classified unit does not depend on it
    assert _both(tmp_path, UNIT, "150502", on)[0].amount_fen == 900000


# -- 7./8. the base: an overpaid month (a flag) and last year's months paid the next year (a switch) ------------------


def test_overpaid_flag_and_base_payment_date(tmp_path: Path) -> None:
    on = date(2025, 8, 1)
    over = _both(tmp_path, {**UNIT, "overpaid_premium_last_year_fen": 50000}, "150502", on)[0]
    assert any("实缴超过当月应缴" in f for f in over.flags)
    _, row, _ = _both(tmp_path, {**UNIT, "overpaid_premium_last_year_fen": 50000}, "150502", on)
    assert "overpaid_months" in row["flags"]
    assert not any("实缴超过" in f for f in _both(tmp_path, UNIT, "150502", on)[0].flags)
    late = {**UNIT, "paid_premium_last_year_fen": 1100000, "paid_premium_after_year_fen": 100000}
    d = _both(tmp_path, late, "150502", on)[0]
    assert d.status == "needs_decision" and {o.amount_fen for o in d.outcomes} >= {660000, 720000}
    assert _both(tmp_path, late, "150502", on, {"fanhuan.base_payment_date": "by_period"})[0].amount_fen == 720000
    assert _both(tmp_path, late, "150502", on, {"fanhuan.base_payment_date": "paid_in_year"})[0].amount_fen == 660000


def test_the_features_derive_both_from_the_monthly_records() -> None:
    rows = [
        {"credit_code": "91150502MA0000001U", "month": f"2024-{m:02d}", "due_fen": 100000,
         "paid_fen": 150000 if m == 5 else 100000,
         "paid_date": date(2025, 1, 10) if m == 12 else date(2024, m, 15), "late_fee_fen": 0, "insured_persons": 50}
        for m in range(1, 13)
    ]
    got = contribution_features(pl.DataFrame(rows).lazy(), FeatureParams(2025, date(2025, 8, 1))).collect().row(0, named=True)
    assert got["paid_premium_last_year_fen"] == 1150000  # December, paid in 2025, left out (the default reading)
    assert got["paid_premium_after_year_fen"] == 100000
    assert got["overpaid_premium_last_year_fen"] == 50000


def test_every_new_switch_is_listed_with_its_clause_and_default() -> None:
    for name, default in {
        "fanhuan.layoff_headcount_2019": "insured", "fanhuan.hardship_headcount_2019": "year_end",
        "fanhuan.abnormal_listing": "listing_excludes", "fanhuan.exclusion_status_date": "review",
        "fanhuan.other_enterprises_2022": "unclassified_50", "fanhuan.base_payment_date": "paid_in_year",
    }.items():
        s = interpretations.get(name)
        assert s.default == default and s.why and any("号" in c or "征求意见稿" in c for c in s.clauses)
