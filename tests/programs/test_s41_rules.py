"""Outside audits of the programs' rules, session 41: each finding fixed as a class, one case beside a one-row table.

1. A "不超过" rate is a limit: the amount in whole fen is rounded down (docs/decisions.md §91), where the document in force
   sets the rate as one (人社部发〔2024〕40号 二 "按不超过…60%返还"), half-up where it sets the rate itself (晋28号 "按60%").
2. 创业担保贷款 partnership uplift "最多不超过…10%": rounded down.
3. The 2019 partnership note is a partnership's refusal line only.
4. A benefit month before the library's first provision is 无法判定, not 不符合 (facts.benefit.month_before_first_rule).
5. 代缴医保 on a benefit period over 24 months (失业保险条例 第十七条) is not paid.
6. 无法判定 names what it lacks: the 划型 under ``size_class_where_silent=given``; the month without a minimum wage;
   0 interns completed is a fact (the 50 % standard), not missing data.
7. 失业保险金 standard: the county's minimum wage class where known, the floor (dibao) said unchecked, labels by region;
   nothing payable is not 符合条件 with 0 fen.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from wengang.evaluate import evaluate, parse_settings
from wengang.screening.evaluate import screen_facts
from wengang.screening.pipeline import read_facts_table
from wengang.settings import SettingError


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(tmp_path: Path, program: str, facts: dict[str, Any], on: date, **kw: Any) -> dict[str, Any]:
    """``facts`` as a one-row facts table read as ``wengang screen --facts`` reads it, decided in batch."""
    path = tmp_path / "facts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(facts))
        w.writeheader()
        w.writerow({k: _cell(v) for k, v in facts.items()})
    accepted, quarantine, _ = read_facts_table(path, program)
    assert quarantine.height == 0, quarantine.to_dicts()
    if "settings" in kw:
        kw["settings"] = parse_settings(kw["settings"])
    results, _ = screen_facts(accepted, program, on, **kw)
    return results.collect().row(0, named=True)


def _both(tmp_path: Path, program: str, region: str, on: date, facts: dict[str, Any], **kw: Any) -> Any:
    """One case, and the same facts as a one-row table: the same status and amount."""
    one = evaluate(program, region, on, facts, **kw)
    row = _table(tmp_path, program, {"region_code": region, **facts}, on, **kw)
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen), (one.reasons, row.get("reasons"))
    return one


# -- 1. 稳岗返还: a 不超过 rate rounds down -------------------------------------------------------------------

UNIT = {"credit_code": "91150502MA0N1234XN", "name": "测试单位", "org_type": "enterprise", "size_class": "small",
        "months_fully_paid": 24, "paid_premium_last_year_fen": 1000001, "insured_headcount": 189,
        "avg_insured_last_year": 195, "layoffs_last_year": 0, "normal_attrition_last_year": 0,
        "has_corporate_account": True}  # fmt: skip


def test_a_ceiling_rate_is_rounded_down(tmp_path: Path) -> None:
    # 通辽 2024: 人社部发〔2024〕40号 二 "中小微企业按不超过 60% 返还": 60 % of 1,000,001 fen = 600,000.6 → 600,000
    one = _both(tmp_path, "fanhuan", "150502", date(2024, 8, 1), UNIT,
                settings={"fund_reserve_years": "2", "max_layoff_rate": "5.5%"})  # fmt: skip
    assert (one.status, one.amount_fen, one.amount_is_cap) == ("eligible", 600000, True)


def test_a_rate_the_document_sets_itself_keeps_the_one_rounding_rule(tmp_path: Path) -> None:
    # 阳泉 2024: 晋人社厅发〔2024〕28号 二 "中小微企业按60%返还" (not a ceiling): half-up, 600,001
    facts = {**UNIT, "credit_code": "91140300MA0N1234XB"}
    one = _both(tmp_path, "fanhuan", "140300", date(2024, 8, 1), facts,
                settings={"fund_reserve_years": "2"})  # fmt: skip
    assert (one.status, one.amount_fen) == ("eligible", 600001)


# -- 2, 3. 创业担保贷款 -------------------------------------------------------------------------------------------

PARTNERS = {"applicant": "partnership", "id_number": "152301199803151231", "name": "张某", "group": "graduate",
            "partners_eligible": 2, "partners_approved_total_fen": 40000005, "requested_term_months": 24,
            "extension_months": 0}  # fmt: skip


def test_the_partnership_uplift_is_rounded_down() -> None:
    # 内人社办发〔2022〕86号 （四）16 "最多不超过符合条件个人贷款总额度的 10%": 400,000.05元 × 10 % = 40,000.005元 → 40,000.00元
    readings = {"startup_loan.partnership_base": "sum_of_approved"}
    over = evaluate("startup_loan", "150500", date(2022, 8, 1), {**PARTNERS, "requested_amount_yuan": "440000.06"},
                    readings=readings)  # fmt: skip
    assert over.status == "ineligible"
    cap = evaluate("startup_loan", "150500", date(2022, 8, 1), PARTNERS, readings=readings)
    assert (cap.status, cap.amount_fen, cap.amount_is_cap) == ("eligible", 44000005, True)


@pytest.mark.parametrize(
    "facts",
    [
        {"applicant": "individual", "id_number": "152301199803151231", "group": "graduate",
         "requested_amount_yuan": "150000.01", "requested_term_months": 24},
        {"applicant": "small_firm", "credit_code": "91150502MA0000001U", "size_class": "micro", "employees_current": 101,
         "new_hires_eligible": 16, "requested_term_months": 24, "requested_amount_yuan": "3000000.01"},
    ],
    ids=["individual", "small_firm"],
)  # fmt: skip
def test_the_2019_partnership_note_is_not_an_individuals_or_a_firms_reason(facts: dict[str, Any]) -> None:
    d = evaluate("startup_loan", "150500", date(2019, 8, 1), facts)
    assert d.status == "ineligible" and d.reasons
    assert not any("合伙" in r for r in d.reasons), d.reasons
    partnership = evaluate("startup_loan", "150500", date(2019, 8, 1),
                           {**PARTNERS, "partners_eligible": 3, "requested_amount_yuan": "450000"})  # fmt: skip
    assert partnership.status == "ineligible"
    assert any("内政发〔2019〕4号未规定合伙创业提高额度" in r for r in partnership.reasons)


# -- 4. a benefit month before the library's first provision --------------------------------------------------


def test_a_month_before_the_first_provision_is_not_determinable_saying_why() -> None:
    from wengang.facts.benefit import month_before_first_rule

    got = month_before_first_rule("ui_medical_premium", "代缴基本医疗保险费", "140300", "阳泉市", date(2023, 6, 30))
    assert got is not None
    status, lines = got
    assert status == "not_determinable"
    assert "2023年6月" in lines[0] and "人社部发〔2024〕40号" in lines[0] and "持续做好" in lines[0]
    assert "请按2023年6月当地有效的规定认定" in lines[0]
    # a month the library provides for, and a 通辽 month after 内政发〔2019〕4号: not this case
    assert month_before_first_rule("ui_medical_premium", "代缴基本医疗保险费", "140300", "阳泉市", date(2024, 6, 30)) is None
    assert month_before_first_rule("ui_medical_premium", "代缴基本医疗保险费", "150500", "通辽市", date(2019, 6, 30)) is None
    assert month_before_first_rule("ui_medical_premium", "代缴基本医疗保险费", "150500", "通辽市", date(2018, 6, 30)) is not None
    # 价格临时补贴 is not in 内政发〔2019〕4号: the first provision for 通辽 is 人社部发〔2024〕40号 四
    assert month_before_first_rule("ui_price_subsidy", "价格临时补贴", "150500", "通辽市", date(2019, 6, 30)) is not None


def test_a_month_before_the_first_provision_is_decided_not_determinable_end_to_end() -> None:
    facts = {"id_number": "152301199001010015", "name": "李四", "benefit_month": "2023-06-01",
             "receiving_ui_benefit": True, "benefit_months": 12}  # fmt: skip
    d = evaluate("ui_medical_premium", "140300", date(2025, 3, 1), facts, settings={"medical_premium_monthly": "200元"})
    assert d.status == "not_determinable"
    assert not any("该月份不发放" in r for r in d.reasons)


# -- 5. 代缴医保 on more than 24 months ------------------------------------------------------------------------

MONTH = {"id_number": "152301199001010015", "name": "李四", "benefit_month": "2025-09-01", "receiving_ui_benefit": True}


@pytest.mark.parametrize(("months", "status", "amount"), [(24, "eligible", 20000), (25, "ineligible", None), (30, "ineligible", None)])
def test_medical_premium_on_a_period_over_24_months_is_not_paid(tmp_path: Path, months: int, status: str, amount: Any) -> None:
    one = _both(tmp_path, "ui_medical_premium", "150502", date(2025, 9, 1), {**MONTH, "benefit_months": months},
                settings={"medical_premium_monthly": "200元"})  # fmt: skip
    assert (one.status, one.amount_fen) == (status, amount)
    if status == "ineligible":
        assert any("benefit_months" in r and "第十七条" in r for r in one.reasons), one.reasons
    else:
        assert dict((k, v) for k, _, v in one.outputs)["total"] == "4,800.00元"


# -- 6. what 无法判定 lacks ------------------------------------------------------------------------------------


def test_the_size_class_the_given_reading_lacks_is_named(tmp_path: Path) -> None:
    facts = {**UNIT, "paid_premium_last_year_fen": 10000000, "insured_headcount": 350, "avg_contributors_12m": 350,
             "size_class": "large", "size_class_step": "avg_contributors"}  # fmt: skip
    one = _both(tmp_path, "fanhuan", "150502", date(2025, 8, 1), facts,
                readings={"fanhuan.size_class_where_silent": "given"})  # fmt: skip
    assert one.status == "not_determinable"
    assert any("size_class" in r and "size_class_step" in r for r in one.reasons), one.reasons
    assert not any(r == "缺少计算稳岗返还金额所需数据" for r in one.reasons)


INTERN = {"credit_code": "91150502MA0000001U", "name": "通辽某见习基地", "intern_id_number": "110101200406014562",
          "intern_group": "unemployed_graduates", "age_at_start": 22}  # fmt: skip


def test_no_intern_completed_is_the_base_standard_not_missing_data(tmp_path: Path) -> None:
    # 内政发〔2019〕4号 五: retention cannot reach "达到50%以上" with nobody completed: 50 % × 1,980元 × 6 = 5,940元
    facts = {**INTERN, "months": 6, "start_month": "2021-12-01", "unit_interns_completed": 0, "unit_interns_total": 0,
             "unit_interns_retained": 0}  # fmt: skip
    one = _both(tmp_path, "internship", "150500", date(2021, 12, 20), facts)
    assert (one.status, one.amount_fen) == ("eligible", 594000)
    # under the other base reading too
    one = _both(tmp_path, "internship", "150500", date(2021, 12, 20), facts,
                readings={"internship.retention_base": "all"})  # fmt: skip
    assert (one.status, one.amount_fen) == ("eligible", 594000)


def test_the_month_without_a_minimum_wage_is_named(tmp_path: Path) -> None:
    facts = {**INTERN, "months": 3, "start_month": "2021-11-01", "unit_interns_completed": 4, "unit_interns_total": 4,
             "unit_interns_retained": 0}  # fmt: skip
    one = _both(tmp_path, "internship", "150500", date(2021, 12, 20), facts)
    assert one.status == "not_determinable"
    (line,) = [c for c in one.checks if c.id == "wage_months_known"]
    assert line.passed is None and "2021年11月 无地区数据" in line.detail
    assert any("class1_minimum_wage" in r for r in one.reasons), one.reasons


# -- 7. 失业保险金 --------------------------------------------------------------------------------------------

CLAIM = {"id_number": "152301199001010015", "name": "李四", "application_date": "2024-06-10",
         "insured_region": "150502", "paid_months": 60, "involuntary_separation": True,
         "registered_unemployed": True, "seeking_work": True, "separation_date": "2024-05-31"}  # fmt: skip


def _ui_table(facts: dict[str, Any], on: date, **kw: Any) -> dict[str, Any]:
    table = pl.DataFrame([facts]).with_columns(
        pl.lit("150502").alias("region_code"),
        *(pl.col(c).str.to_date() for c in ("application_date", "death_date", "benefit_start_date") if c in facts),
    )
    results, _ = screen_facts(table, "ui_benefit", on, **kw)
    return results.collect().row(0, named=True)


def test_the_countys_minimum_wage_class_bounds_the_standard() -> None:
    # facts.md §8: 科尔沁区 is in 二类 (1,910元) in the list from 2021-12-01; the shipped region data (150502.yaml) bind
    on = date(2024, 6, 10)
    with pytest.raises(SettingError) as e:
        evaluate("ui_benefit", "150502", on, CLAIM, settings={"monthly_benefit_amount": "1950元"})
    assert "不低于科尔沁区月最低工资标准 1,910元" in str(e.value) and "facts.md §8" in str(e.value)
    with pytest.raises(SettingError):
        _ui_table(CLAIM, on, settings=parse_settings({"monthly_benefit_amount": "1950元"}))
    with pytest.raises(SettingError):  # 低于 excludes the figure itself
        evaluate("ui_benefit", "150502", on, CLAIM, settings={"monthly_benefit_amount": "1910元"})
    ok = evaluate("ui_benefit", "150502", on, CLAIM, settings={"monthly_benefit_amount": "1909.99元"})
    assert (ok.status, ok.amount_fen) == ("eligible", 18 * 190999)
    # 霍林郭勒市, the other 二类 county of 通辽 in that list
    with pytest.raises(SettingError) as e:
        evaluate("ui_benefit", "150581", on, {**CLAIM, "insured_region": "150581"},
                 settings={"monthly_benefit_amount": "1950元"})  # fmt: skip
    assert "不低于霍林郭勒市月最低工资标准 1,910元" in str(e.value)
    # from 2024-12-01 the library holds no class for the county: the 一类区 figure (2,270元) bounds it
    later = {**CLAIM, "application_date": "2025-08-15", "separation_date": "2025-07-31"}
    assert evaluate("ui_benefit", "150502", date(2025, 9, 1), later,
                    settings={"monthly_benefit_amount": "1950元"}).status == "eligible"  # fmt: skip


def test_the_floor_is_said_unchecked_and_checked_when_given() -> None:
    on = date(2024, 6, 10)
    d = evaluate("ui_benefit", "150502", on, CLAIM, settings={"monthly_benefit_amount": "1元"})
    assert any("未能核对失业保险金月标准" in n and "高于城市居民最低生活保障标准" in n for n in d.notes), d.notes
    with pytest.raises(SettingError) as e:
        evaluate("ui_benefit", "150502", on, CLAIM,
                 settings={"monthly_benefit_amount": "800元", "urban_dibao_monthly": "800元"})  # fmt: skip
    assert "不高于城市居民最低生活保障标准" in str(e.value) and "第十八条" in str(e.value)
    with pytest.raises(SettingError):
        _ui_table(CLAIM, on, settings=parse_settings({"monthly_benefit_amount": "800元", "urban_dibao_monthly": "800元"}))
    assert evaluate("ui_benefit", "150502", on, CLAIM,
                    settings={"monthly_benefit_amount": "800.01元", "urban_dibao_monthly": "800元"}).status == "eligible"  # fmt: skip


def test_the_unchecked_ceiling_is_not_said_to_be_the_autonomous_regions_class_for_a_province() -> None:
    facts = {**CLAIM, "insured_region": "140300"}
    d = evaluate("ui_benefit", "140300", date(2024, 6, 10), facts, settings={"monthly_benefit_amount": "2000元"})
    notes = [n for n in d.notes if "未能核对" in n]
    assert notes and not any("自治区" in n for n in notes), notes
    assert any("低于当地最低工资标准" in n for n in notes)


def test_death_before_the_first_month_is_not_eligible_with_nothing_to_pay() -> None:
    facts = {**CLAIM, "application_date": "2025-08-15", "separation_date": "2025-07-31", "deceased": True,
             "death_date": "2025-02-10", "benefit_start_date": "2025-03-01"}  # fmt: skip
    on = date(2025, 9, 1)
    settings = {"monthly_benefit_amount": "1782元"}
    d = evaluate("ui_benefit", "150502", on, facts, settings=settings)
    assert d.status == "ineligible" and any("死亡时尚未开始领取" in r for r in d.reasons), d.reasons
    row = _ui_table(facts, on, settings=parse_settings(settings))
    assert (row["status"], row["amount_fen"]) == (d.status, d.amount_fen)
    same_month = {**facts, "death_date": "2025-03-20"}
    d = evaluate("ui_benefit", "150502", on, same_month, settings=settings)
    assert (d.status, d.amount_fen) == ("eligible", 178200)


def test_every_month_drawn_after_a_transfer_is_not_eligible() -> None:
    facts = {**CLAIM, "application_date": "2024-09-27", "separation_date": "2024-08-31", "paid_months": 30,
             "months_already_drawn": 14, "insured_region": "659001"}  # fmt: skip
    d = evaluate("ui_benefit", "659001", date(2024, 10, 20), facts, include_drafts=True)
    assert d.status == "ineligible" and any("无剩余可领月数" in r for r in d.reasons), d.reasons
    left = evaluate("ui_benefit", "659001", date(2024, 10, 20), {**facts, "months_already_drawn": 11}, include_drafts=True)
    assert left.status == "eligible"
