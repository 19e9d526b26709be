"""Letters after the outside explanation audit of session 41 (``wengang evaluate --explain``, :func:`wengang.explain.explain`,
and the PDF 告知书/决定书, :func:`wengang.documents.letters.compose_letter`):

1. every line of a 待认定 letter names all the readings its result rests on (a 1,500.00元 line named only the first
   outcome's switch, not “上浮10%适用于哪几次”, the one that gave it);
2. the 兵团 draft is not said to be 印发 and 兵团 is not a 省;
3. a letter cites only the documents its case rests on (a 2019 and a 阳泉 letter quoted 40号 and 内人社发〔2025〕18号);
4. 丧葬补助金和抚恤金 are addressed to the family (条例 第二十条), not to the dead (“您的丧葬补助金…”);
5. dates in Chinese, the period reading said as the one adopted, a ceiling standard said as one, working days with
   their unit.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from wengang.documents.letters import compose_letter
from wengang.evaluate import evaluate
from wengang.explain import (
    _DOC_NUMBER,
    _in_case,
    decision_documents,
    explain,
    letter_title,
    outcome_lines,
    reading_conditions,
)
from wengang.programs import load_all

AGENCY = {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府", "court": "通辽市科尔沁区人民法院"}
SLOTS = "skill_subsidy.urgent_extra_slots"
UPLIFT = "skill_subsidy.urgent_uplift_scope"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _person(region: str, year: int, *, level: int = 4, urgent: bool = False, **extra: Any) -> dict[str, Any]:
    """The auditors' skill-subsidy applicant (/tmp/auditor_skill/cases: S25-04, H19-01, N24-01, B24-01, S25-17)."""
    on = date(year, 8, 1).isoformat()
    return {
        "id_number": "152301199001010015", "name": "张三", "application_date": on, "person_status": "employed_worker",
        "insured_months_cumulative": 12, "insured_months_continuous": 12, "insured_months_cumulative_at_certificate": 12,
        "insured_months_continuous_at_certificate": 12, "insured_region": region, "occupation_code": "6-31-01-03",
        "occupation_name": "电工", "level": level, "certificate_type": "skill_level", "certificate_issue_date": on,
        "certificate_region": region, "evaluation_body": "某评价机构", "urgent_occupation": urgent,
        "fit_commitment_provided": True, "evaluation_body_batch_count": 1, "past_subsidies": [], "held_certificates": [],
        "training_subsidies": [], **extra,
    }  # fmt: skip


def _skill(region: str, on: date, facts: dict[str, Any], **kw: Any):
    return evaluate("skill_subsidy", region, on, facts, **kw)


# --- 1. every reading a result rests on --------------------------------------------------------------------------


def test_s25_04_each_line_names_every_reading_its_amount_rests_on() -> None:
    d = _skill("150500", date(2025, 9, 1), _person("150500", 2025, urgent=True))
    assert d.status == "needs_decision"
    slots, uplift = (letter_title(s, decision_documents(d)) for s in (SLOTS, UPLIFT))
    lines = outcome_lines(d)
    assert lines and all(slots in line for line in lines), lines
    low = [line for line in lines if "1,500.00元" in line]
    assert low and all(uplift in line and "仅增加的2次" in line for line in low), low
    # no condition is said to give two amounts
    said: dict[str, str] = {}
    for line in lines:
        condition, _, result = line.rpartition("：符合条件")
        assert said.setdefault(condition, result) == result, lines
    text = explain(d)
    assert all(f"· {line}" in text for line in lines)


def test_reading_conditions_split_a_result_where_another_switch_is_live() -> None:
    load_all()
    a, b = "urgent_fill_extra", "first_uses_ordinary"
    outcomes = [({SLOTS: a}, 165000), ({SLOTS: b, UPLIFT: "all_urgent"}, 165000), ({SLOTS: b, UPLIFT: "extra_only"}, 150000)]
    assert reading_conditions(outcomes) == [
        (165000, [(SLOTS, (a,))]),
        (165000, [(SLOTS, (b,)), (UPLIFT, ("all_urgent",))]),
        (150000, [(SLOTS, (b,)), (UPLIFT, ("extra_only",))]),
    ]
    # a switch whose readings give one result is not named; two readings of one switch giving it are joined
    same = [({SLOTS: a, UPLIFT: "all_urgent"}, 1), ({SLOTS: a, UPLIFT: "extra_only"}, 1), ({SLOTS: b}, 2)]
    assert reading_conditions(same) == [(1, [(SLOTS, (a,))]), (2, [(SLOTS, (b,))])]


def test_s25_04_pdf_notice_names_both_switches_for_the_lower_amount() -> None:
    d = _skill("150500", date(2025, 9, 1), _person("150500", 2025, urgent=True)).to_dict()
    text = compose_letter(d, AGENCY).text()
    low = [p for p in text.splitlines() if "1,500.00元" in p and p[:2].rstrip(".").isdigit()]
    assert len(low) == 1, text
    assert "急需紧缺证书先占哪一次" in low[0] and "“上浮10%”适用于哪几次" in low[0], low[0]


# --- 2. the 兵团 draft ------------------------------------------------------------------------------------------


def test_bingtuan_draft_is_not_said_to_be_issued_nor_a_province() -> None:
    d = _skill("bingtuan", date(2024, 9, 1), _person("150502", 2024) | {"certificate_region": "150500"}, include_drafts=True)
    reserve = next(c for c in d.checks if c.id == "fund_reserve")
    assert "已印发" not in reserve.detail and "本省" not in reserve.detail, reserve.detail
    assert "省级（兵团）文件（《" in reserve.detail and "为征求意见稿，尚未印发" in reserve.detail, reserve.detail
    assert "不作发放依据" in reserve.detail


def test_a_province_notice_in_force_is_still_said_to_be_issued() -> None:
    d = _skill("140300", date(2024, 9, 1), _person("140300", 2024, level=5))
    reserve = next(c for c in d.checks if c.id == "fund_reserve")
    assert "本省已印发实施文件（晋人社厅发〔2024〕28号 三）" in reserve.detail, reserve.detail


# --- 3. only the case's documents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "region,year,foreign,own",
    [
        ("150500", 2019, ("人社部发〔2024〕40号", "内人社发〔2025〕18号"), "“参加失业保险 1 年（含 1年）以上”（内政发〔2019〕4号 八）"),
        ("140300", 2024, ("内人社发〔2025〕18号", "内政发〔2019〕4号"), "“参加失业保险 1 年以上”（晋人社厅发〔2024〕28号 三）"),
        ("150500", 2025, ("人社部发〔2024〕40号", "内政发〔2019〕4号"), "“参加失业保险 12 个月以上”（内人社发〔2025〕18号 二）"),
    ],
)
def test_a_letter_cites_no_document_outside_its_case(region: str, year: int, foreign: tuple[str, ...], own: str) -> None:
    d = _skill(region, date(year, 9, 1), _person(region, year, level=5 if region == "140300" else 4))
    text = explain(d)
    pdf = compose_letter(d.to_dict(), AGENCY).text()
    for doc in foreign:
        assert doc not in text, (doc, text)
        assert doc not in pdf, (doc, pdf)
    assert f"{own}的计算口径：累计参保月数，计至申领日（默认）" in text, text


def test_no_switch_title_names_a_document_outside_its_case() -> None:
    """The class: every switch any case of tests/programs/cases reads, titled as its letter titles it."""
    from tests.programs.test_letter_text import SAMPLE

    load_all()
    # a title whose question is about a document's own period names another as a date (“在2022年以后（人社部发〔2024〕
    # 40号印发前）”): not a citation of it
    about_dates = {"ui_benefit.claim_first_period"}
    for case_id, d in SAMPLE:
        if d.policy_number is None:
            continue
        docs = decision_documents(d)
        for name in {*d.readings, *(k for o in d.outcomes for k in o.readings)} - about_dates:
            title = letter_title(name, docs)
            outside = [t for t in _DOC_NUMBER.findall(title) if not _in_case(t, docs)]
            assert not outside, (case_id, name, title, docs)


# --- 4. the family ---------------------------------------------------------------------------------------------

DEATH = {"id_number": "152301199001010015", "name": "测试", "deceased": True, "receiving_ui_benefit": True,
         "death_date": "2025-08-10"}  # fmt: skip
DEATH_SETTINGS = {"funeral_grant_amount": 300000, "survivor_pension_amount": 500050}


@pytest.mark.parametrize("receiving", [True, False])
def test_death_benefits_are_addressed_to_the_family(receiving: bool) -> None:
    d = evaluate("ui_death_benefits", "150500", date(2025, 9, 1), {**DEATH, "receiving_ui_benefit": receiving},
                 settings=DEATH_SETTINGS)  # fmt: skip
    assert d.status == ("eligible" if receiving else "ineligible")
    text = explain(d)
    assert "您" not in text, text
    assert text.splitlines()[0] == "测试（152301199001010015）的家属：", text
    assert "死者家属申领的丧葬补助金和抚恤金审核结果为" in text
    letter = compose_letter(d.to_dict(), AGENCY)
    assert letter.addressee.endswith("的家属：") and "死者家属" in letter.paragraphs[0], letter.text()
    assert "你" not in "\n".join(letter.paragraphs), letter.text()


def test_other_person_letters_still_say_you() -> None:
    d = _skill("150500", date(2019, 9, 1), _person("150500", 2019))
    assert "您的技能提升补贴审核结果为" in explain(d)
    assert compose_letter(d.to_dict(), AGENCY).addressee.endswith("）：")


# --- 5. cosmetic ------------------------------------------------------------------------------------------------


def test_no_policy_letter_dates_in_chinese_and_the_period_reading_as_adopted() -> None:
    d = _skill("150500", date(2026, 1, 10), _person("150500", 2026) | {"application_date": "2026-01-01",
                                                                        "certificate_issue_date": "2026-01-01"})  # fmt: skip
    assert d.policy_number is None
    text = explain(d)
    assert not ISO_DATE.search(text), text
    assert "2026年1月10日没有有效的技能提升补贴政策" in text and "执行至2025年12月31日" in text, text
    assert "按审核日期2026年1月10日确定适用的政策（依本次采用的政策理解“按申领（申请）日期”：" in text, text


def test_a_ceiling_standard_is_said_as_the_ceiling_the_amount_is() -> None:
    d = _skill("150500", date(2019, 9, 1), _person("150500", 2019))
    assert d.amount_is_cap
    text = explain(d)
    assert "补贴金额：不超过1,500.00元。" in text and "本等级补贴标准：不超过1,500.00元" in text, text
    n24 = explain(_skill("140300", date(2024, 9, 1), _person("140300", 2024, level=5)))
    assert "本等级补贴标准：1,000.00元" in n24  # 山西 顶格执行: a figure, not a ceiling


def test_working_days_are_said_with_their_unit() -> None:
    facts = {"id_number": "152301199001010015", "name": "甲", "application_date": "2024-09-01", "insured_region": "659001",
             "paid_months": 60, "involuntary_separation": True, "registered_unemployed": True, "seeking_work": True}  # fmt: skip
    d = evaluate("ui_benefit", "659001", date(2024, 10, 20), facts, include_drafts=True,
                 settings={"monthly_benefit_amount": 180000})  # fmt: skip
    text = explain(d)
    assert "办结时限：收到申请之日起10个工作日" in text and "工作日数：10" not in text, text
    assert "办结期限（收到申请之日起10个工作日）：2024年9月13日" in text, text
