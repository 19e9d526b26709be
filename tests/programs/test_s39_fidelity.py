"""Session 39 outside fidelity audits: a figure no document gives is said in Chinese, never as its code, and a
comparison against an unknown asserts no ≤/≥ (晋人社厅发〔2024〕28号 / 人社部发〔2024〕40号 二); a 缓缴 request
beyond the limit is not approved because its month count or end date is missing (内人社办发〔2022〕86号 （一）3)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from wengang.evaluate import evaluate
from wengang.programs import load_all
from wengang.rules.engine import RULESETS, render_label

CODE_PLACEHOLDER = re.compile(r"〔[A-Za-z_][A-Za-z0-9_]*〕")
UNKNOWN_COMPARED = re.compile(r"[≤≥<>=≠] [^；（）]*未知|未知 [≤≥<>=≠]")


def _label_texts() -> list[tuple[str, str]]:
    load_all()
    out = []
    for (program, name), ruleset in RULESETS.items():
        for check in ruleset.checks:
            for template in (check.label, check.reason):
                if template:
                    out += [(f"{program}/{name}/{check.id}", render_label(template, {}, settings)) for settings in ({}, None)]
    return out


def test_no_label_or_reason_renders_a_code_placeholder_without_its_parameters():
    texts = _label_texts()
    assert len(texts) > 200
    leaks = [(where, t) for where, t in texts if CODE_PLACEHOLDER.search(t) or re.search(r"\{[a-z0-9_]+\}", t)]
    assert not leaks, leaks[:5]


SHANXI_RATE6 = {
    "credit_code": "91140302MA0000005R", "name": "阳泉某机械有限公司", "region_code": "140302", "org_type": "enterprise",
    "months_fully_paid": 36, "paid_premium_last_year_fen": 1000001, "insured_headcount": 188, "avg_insured_last_year": 200,
    "layoffs_last_year": 12, "avg_contributors_12m": 299,
}


def test_shanxi_layoff_target_unset_reads_in_chinese_and_asserts_no_comparison():
    d = evaluate("fanhuan", "140300", date(2024, 8, 1), SHANXI_RATE6)
    assert d.status == "not_determinable"
    layoff = next(c for c in d.checks if c.id == "layoff")
    text = "\n".join([layoff.label, layoff.detail, *d.reasons])
    assert "〔max_layoff_rate〕" not in text and not CODE_PLACEHOLDER.search(text)
    assert "文件未给出数值，须由经办机构提供" in layoff.label
    assert "裁员率 6%，对照 上年度全国城镇调查失业率控制目标（未知）" in layoff.detail
    assert not UNKNOWN_COMPARED.search(layoff.detail), layoff.detail


@pytest.mark.parametrize(
    ("program", "facts", "setting"),
    [
        ("deferral", {"industry_code": "H6210", "size_class_2020_relief": "large", "deferral_until": "2023-12-31"}, False),
        ("deferral", {"industry_code": "R9011", "size_class_2020_relief": "large", "hardship_confirmed": True, "deferral_months": 18}, False),
        ("deferral", {"industry_code": "C3811", "size_class_2020_relief": "small", "temporary_difficulty": True, "deferral_months": 18}, True),
        ("deferral_injury", {"industry_code": "C3811", "size_class_2020_relief": "small", "temporary_difficulty": True, "deferral_months": 18}, True),
        ("deferral_pension", {"industry_code": "H6210", "size_class_2020_relief": "large", "deferral_months": 15}, False),
        ("deferral_pension", {"industry_code": "R9011", "size_class_2020_relief": "large", "hardship_confirmed": True, "deferral_months": 18}, False),
    ],
)
def test_a_deferral_period_is_never_filled_in(program, facts, setting):
    """86号 （一）3 “特困行业缓缴期限不超过 1 年，其他缓缴主体缓缴至 2022 年底”: a missing month count is not 0 and a
    missing end date is not 2022-12-31; the trace never shows a date the unit did not give."""
    d = evaluate(program, "150500", date(2022, 8, 1), {"credit_code": "91150502MA0000001U", **facts}, settings={"affected_area": setting})
    assert d.status != "eligible"
    period = next(c for c in d.checks if c.id == "period")
    assert period.passed is not True
    if "deferral_until" not in facts:
        assert "申请缓缴至 2022-12-31" not in period.detail
        assert any("deferral_until" in r for r in d.reasons), d.reasons


def test_a_small_firm_borrower_is_addressed_as_a_unit():
    from wengang.explain import explain

    facts = {"applicant": "small_firm", "credit_code": "91150502MA0000001U", "name": "通辽某小微企业", "size_class": "micro",
             "employees_current": 20, "new_hires_eligible": 3, "requested_amount_yuan": "100000", "requested_term_months": 24}  # fmt: skip
    d = evaluate("startup_loan", "150500", date(2022, 8, 1), facts)
    assert d.subject == "单位"
    assert "经审核，贵单位的创业担保贷款" in explain(d) and "您的" not in explain(d)


def test_every_outcome_line_names_its_reading():
    from wengang.explain import explain

    facts = {"credit_code": "91150502MA0000001U", "name": "通辽某单位", "graduate_id_number": "152301199803151231",
             "is_college_graduate": True, "graduation_year": 2022, "hire_year": 2022, "has_labour_contract": True,
             "insured_ui": True, "size_class": "micro", "contract_months": 12, "received_job_expansion": False}  # fmt: skip
    d = evaluate("hiring_subsidy", "150500", date(2022, 12, 31), facts)
    assert d.status == "needs_decision"
    text = explain(d)
    assert "其他理解" not in text
    assert "按“先享受者为准：已就该毕业生享受其中一项的，不再享受另一项”或“由单位选择其一" in text


def test_the_internship_cap_detail_says_what_it_compares():
    facts = {"credit_code": "91150502MA0000001U", "intern_group": "unemployed_graduates", "start_month": "2021-12-01",
             "months": 12, "unit_interns_completed": 4, "unit_interns_total": 4, "unit_interns_retained": 2}  # fmt: skip
    d = evaluate("internship", "150500", date(2021, 12, 15), facts)
    detail = next(c.detail for c in d.checks if c.id == "max_months")
    assert "≥ 0个月" not in detail and "见习月数 12个月 ≤ 见习期限上限（12个月）" in detail


def test_an_internship_wage_the_operator_gives_stands_for_every_month():
    """The agency's own figure (``--setting class1_minimum_wage``) is the wage for the whole internship, even where it
    equals the region data on the period date; without it, each month's own wage needs the start month."""
    from datetime import date

    from wengang.evaluate import evaluate

    intern = {
        "credit_code": "91150502MA0000001U", "name": "通辽某见习基地", "intern_id_number": "110101200406014562",
        "intern_group": "unemployed_graduates", "months": 3, "unit_interns_completed": 4, "unit_interns_total": 4,
        "unit_interns_retained": 2,
    }  # fmt: skip
    given = evaluate("internship", "150500", date(2021, 12, 15), intern, settings={"class1_minimum_wage": 198000})
    assert (given.status, given.amount_fen) == ("eligible", 356400)  # 1980元 × 60% × 3
    assert evaluate("internship", "150500", date(2021, 12, 15), intern).status == "not_determinable"
