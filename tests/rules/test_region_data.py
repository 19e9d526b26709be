"""Region data: set once per region and period, cited, checked; a missing figure is one region-level question."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wengang.evaluate import evaluate
from wengang.rules.engine import ELIGIBLE, NOT_DETERMINABLE
from wengang.settings import RegionDataError, load_region_data, region_values

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "region-data.yaml")

# a 阳泉 small firm under 晋人社厅发〔2024〕28号 (40号's reserve precondition and national target are region figures)
UNIT = {
    "credit_code": "91140300MA0K1234XK", "name": "阳泉测试有限公司", "org_type": "enterprise", "size_class": "small",
    "months_fully_paid": 24, "paid_premium_last_year_fen": 10000000, "insured_headcount": 400,
    "avg_insured_last_year": 400, "layoffs_last_year": 0, "has_corporate_account": True,
}
INTERN = {
    "credit_code": "91150502MA0000001U", "name": "通辽某见习基地", "intern_id_number": "110101200406014562",
    "intern_group": "unemployed_graduates", "months": 3, "unit_interns_completed": 4, "unit_interns_total": 4,
    "unit_interns_retained": 2,
}


def test_missing_region_data_is_one_region_question_not_a_unit_question() -> None:
    # 内蒙古 2024: 人社部发〔2024〕40号 alone (no provincial implementing notice in the corpus)
    d = evaluate("fanhuan", "150502", date(2024, 8, 1), UNIT)
    assert d.status == NOT_DETERMINABLE
    assert d.reasons[0].startswith("需经办机构提供地区数据：")
    # no layoffs: the layoff target is not needed for this unit, so it is not asked for
    assert "fund_reserve_years" in d.reasons[0] and "max_layoff_rate" not in d.reasons[0]
    assert "--setting fund_reserve_years=1.5" in d.reasons[0] and "--region-data" in d.reasons[0]  # how to supply it
    assert "解释开关" not in d.reasons[0]
    assert not any(r.startswith("缺少判定所需数据") for r in d.reasons)  # the unit is not asked for them
    d = evaluate("fanhuan", "150502", date(2024, 8, 1), dict(UNIT, layoffs_last_year=10))
    assert d.status == NOT_DETERMINABLE and "max_layoff_rate" in d.reasons[0]
    assert not any(r.startswith("缺少判定所需数据") for r in d.reasons)


def test_a_provincial_implementing_notice_answers_the_reserve_precondition() -> None:
    # 晋人社厅发〔2024〕28号 "我省顶格执行国家政策": the province decided to implement 40号, so its reserve
    # precondition is not asked of every unit; the trace says so and how to give a figure under a year
    d = evaluate("fanhuan", "140300", date(2024, 8, 1), UNIT)
    assert d.status == ELIGIBLE and d.amount_fen == 6000000
    reserve = next(c for c in d.checks if c.id == "fund_reserve")
    assert reserve.passed is True and "本省已印发实施文件（晋人社厅发〔2024〕28号 二）" in reserve.detail
    assert reserve.citations == ["晋人社厅发〔2024〕28号 二", "人社部发〔2024〕40号 二"]
    # a figure under a year is still compared (the block/refuse switch decides, as before)
    d = evaluate("fanhuan", "140300", date(2024, 8, 1), UNIT, settings={"fund_reserve_years": "0.5"})
    assert d.status != ELIGIBLE


def test_region_data_file_fills_and_is_cited() -> None:
    d = evaluate("fanhuan", "140300", date(2024, 8, 1), UNIT, region_data=(EXAMPLE,))
    assert d.status == ELIGIBLE and d.amount_fen == 6000000
    assert any(n.startswith("地区数据：fund_reserve_years = 1.5年（140000") and "来源：" in n for n in d.notes)


def test_setting_overrides_region_data_and_says_so() -> None:
    d = evaluate("fanhuan", "140300", date(2024, 8, 1), UNIT, region_data=(EXAMPLE,), settings={"fund_reserve_years": "0.5"})
    assert any("假设分析：地区数据 fund_reserve_years 由 --setting 覆盖为 0.5年" in n for n in d.notes)
    assert d.status != ELIGIBLE


def test_region_data_outside_its_period_is_not_used() -> None:
    assert region_values("140300", date(2025, 3, 1), (EXAMPLE,)) == {}
    assert set(region_values("140302", date(2024, 3, 1), (EXAMPLE,))) == {"fund_reserve_years", "max_layoff_rate"}


def test_shipped_minimum_wage_is_used_by_period() -> None:
    # each month paid at the wage in force that month (内政发〔2019〕4号 五; session 39): Dec 2021 – Feb 2022
    d = evaluate("internship", "150500", date(2021, 12, 15), {**INTERN, "start_month": "2021-12-01"})
    assert d.status == ELIGIBLE and d.amount_fen == 356400  # 1980元 × 60% × 3
    assert any(n.startswith("地区数据：class1_minimum_wage = 1,980元") for n in d.notes)
    assert region_values("150500", date(2024, 12, 1))["class1_minimum_wage"].value == 227000
    assert "class1_minimum_wage" not in region_values("150500", date(2021, 11, 30))


def _file(tmp_path: Path, body: str) -> str:
    p = tmp_path / "rd.yaml"
    p.write_text('region: "140000"\nversion: "t1"\nvalues:\n' + body, encoding="utf-8")
    return str(p)


@pytest.mark.parametrize(
    "body,message",
    [
        ("  - {name: fund_reserve_yers, value: 1, unit: year, year: 2024, source: x}\n", "fund_reserve_years"),
        ("  - {name: fund_reserve_years, value: 1, unit: percent, year: 2024, source: x}\n", "单位应为 year"),
        ("  - {name: fund_reserve_years, value: 1, unit: year, year: 2024}\n", "来源"),
        ("  - {name: max_layoff_rate, value: '120', unit: percent, year: 2024, source: x}\n", "超过100%"),
        ("  - {name: local_avg_monthly_benefit, value: '1200.555', unit: yuan, year: 2024, source: x}\n", "两位小数"),
        (
            "  - {name: fund_reserve_years, value: 1, unit: year, year: 2024, source: x}\n"
            "  - {name: fund_reserve_years, value: 2, unit: year, valid_from: 2024-12-01, source: y}\n",
            "重叠",
        ),
    ],
)
def test_region_data_file_is_checked(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RegionDataError, match=message):
        load_region_data((_file(tmp_path, body),))


def test_a_flags_missing_figure_is_not_given_as_the_reason() -> None:
    # IM 2025 skill subsidy: the batch-check line of a flag is missing, the per-year count is what is unknown
    facts = {
        "id_number": "152301199001010015", "application_date": "2025-08-01", "person_status": "employed_worker",
        "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 28,
        "insured_months_continuous_at_certificate": 28, "insured_region": "150502", "occupation_code": "6-31-01-03",
        "level": 4, "certificate_type": "skill_level", "certificate_issue_date": "2025-06-01", "certificate_region": "150500",
        "past_subsidies": [], "held_certificates": [], "training_subsidies": [],
    }
    d = evaluate("skill_subsidy", "150502", date(2025, 9, 1), facts)
    assert d.status == NOT_DETERMINABLE
    assert not any(r.startswith("需经办机构提供地区数据") for r in d.reasons)
    assert any(r.startswith("缺少判定所需数据") for r in d.reasons)


def test_screening_says_the_missing_region_figure_once() -> None:
    import polars as pl

    from wengang.screening.evaluate import reason_text, screen_facts

    rows = [dict(UNIT, credit_code=f"91150502MA0K12345{i}", region_code="150502") for i in range(3)]
    frame = pl.DataFrame(rows).lazy()
    out, plans = screen_facts(frame, "fanhuan", date(2024, 8, 1))
    got = out.collect()
    assert got["status"].cast(pl.String).to_list() == [NOT_DETERMINABLE] * 3
    texts = reason_text(plans)
    codes = {c for r in got["reasons"].to_list() for c in r.split(";") if c}
    shown = {texts[c] for c in codes}  # one line for the run, not missing unit data per row
    assert len(shown) == 1
    line = shown.pop()
    assert line.startswith("需经办机构提供地区数据：") and "fund_reserve_years" in line and "max_layoff_rate" in line
    one = evaluate("fanhuan", "150502", date(2024, 8, 1), UNIT)
    assert one.status == NOT_DETERMINABLE
    # 阳泉 (晋人社厅发〔2024〕28号): screening decides like one case, without asking for the figure
    sx = [dict(UNIT, credit_code=f"91140300MA0K12345{i}", region_code="140300") for i in range(3)]
    got = screen_facts(pl.DataFrame(sx).lazy(), "fanhuan", date(2024, 8, 1))[0].collect()
    assert got["status"].cast(pl.String).to_list() == [ELIGIBLE] * 3 and got["amount_fen"].to_list() == [6000000] * 3
