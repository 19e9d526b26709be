"""决定书 / 告知书 from real decisions (the engine's to_dict), as text and as PDF read back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wengang.documents.errors import DocumentError
from wengang.documents.letters import DECISION, NOTICE, compose_letter, write_letter_pdf, write_letters_pdf
from wengang.evaluate import evaluate

from .pdfread import pdf_metadata, pdf_pages, pdf_text

AGENCY = {
    "name": "通辽市社会保险事业服务中心",
    "review_body": "通辽市人力资源和社会保障局",
    "court": "通辽市科尔沁区人民法院",
    "phone": "0475-8123456",
    "correction_days": 15,
}
CODE = "91150502MA0N1234XN"
ID = "152301199001010015"
UNIT = {
    "credit_code": CODE, "name": "测试单位", "org_type": "enterprise", "size_class": "small", "months_fully_paid": 12,
    "paid_premium_last_year_fen": 1000000, "insured_headcount": 50, "avg_insured_last_year": 50, "layoffs_last_year": 0,
}
PERSON = {"id_number": ID, "name": "李四", "paid_months": 60, "involuntary_separation": True,
          "registered_unemployed": True, "seeking_work": True}
REMEDY = ("如对本决定不服，可在收到本决定书之日起60日内向通辽市人力资源和社会保障局申请行政复议，或者在6个月内向"
          "通辽市科尔沁区人民法院提起行政诉讼")


def _fanhuan(**facts):
    return evaluate("fanhuan", "150500", date(2025, 8, 1), {**UNIT, **facts}).to_dict()


def _ui(**facts):
    return evaluate("ui_benefit", "150500", date(2023, 6, 1), {**PERSON, **facts}).to_dict()


def test_eligible_unit_decision() -> None:
    d = _fanhuan()
    letter = compose_letter(d, AGENCY, reference="FH-2025-0001")
    text = letter.text()
    assert letter.kind == DECISION and letter.title == "稳岗返还审核决定书"
    assert text.startswith("稳岗返还审核决定书\n编号：FH-2025-0001\n")
    assert "测试单位（统一社会信用代码：911505**********XN）：" in text and CODE not in text
    assert "人民币6,000.00元（大写：陆仟元整）" in text
    assert "内人社发〔2025〕18号" in text
    assert REMEDY in text and "《中华人民共和国行政复议法》" in text and "《中华人民共和国行政诉讼法》第四十六条" in text
    assert text.endswith("通辽市社会保险事业服务中心（盖章）\n2025年8月1日")


def test_quotes_are_printed_where_given() -> None:
    d = {**_fanhuan(), "quotes": {"内人社发〔2025〕18号 一": "某某条款原文"}}
    assert "内人社发〔2025〕18号 一（“某某条款原文”）" in compose_letter(d, AGENCY).text()


def test_ineligible_person_decision_gives_reasons_and_clauses() -> None:
    text = compose_letter(_ui(paid_months=11), AGENCY).text()
    assert "李四（公民身份号码：1523**********0015）：" in text and ID not in text
    assert "不符合失业保险金条件，决定不予核准" in text
    assert "1. 缴费不满1年，不符合领取失业保险金条件。" in text
    assert "本次失业前累计缴费月数 11个月 < 规定缴费月数（12个月）（依据：内人社办发〔2022〕86号 （四）12）" in text
    assert REMEDY in text


def test_ui_benefit_prints_months_and_monthly_amount() -> None:
    d = _ui()
    d["outputs"].append({"id": "monthly_standard", "label": "失业保险金月标准", "value": "1,980.00元"})
    text = compose_letter(d, AGENCY).text()
    assert "领取期限：18个月" in text and "失业保险金月标准：1,980.00元" in text


def test_correction_notice_is_not_a_decision() -> None:
    letter = compose_letter(_ui(involuntary_separation=None), AGENCY)
    text = letter.text()
    assert letter.kind == NOTICE and letter.title == "失业保险金补正材料告知书"
    assert "自收到本告知书之日起15日内补正" in text and "1. 非因本人意愿中断就业" in text
    assert "行政复议" not in text and "本告知书不是最终决定" in text


def test_needs_decision_notice_lists_both_outcomes() -> None:
    d = evaluate(
        "fanhuan", "150500", date(2025, 8, 1),
        {**UNIT, "months_fully_paid": 24, "insured_headcount": 40, "avg_insured_last_year": 40,
         "layoffs_last_year": 2, "normal_attrition_last_year": 3},
        readings={"fanhuan.layoff_rate_formula": "year_end", "fanhuan.small_unit_rule": "headcount",
                  "fanhuan.months_fully_paid": "cumulative"},
    ).to_dict()
    assert d["status"] == "needs_decision"
    text = compose_letter(d, AGENCY).text()
    assert "待认定事项告知书" in text
    assert "符合条件，金额人民币6,000.00元（大写：陆仟元整）" in text and "不符合条件" in text
    assert "行政复议" not in text


def test_decision_needs_remedy_bodies() -> None:
    with pytest.raises(DocumentError, match="court"):
        compose_letter(_fanhuan(), {"name": "x", "review_body": "y"})
    with pytest.raises(DocumentError, match="未知的决定状态"):
        compose_letter({**_fanhuan(), "status": "maybe"}, AGENCY)


def test_batch_pdf_with_page_breaks_and_one_file_per_case(tmp_path: Path) -> None:
    decisions = [_fanhuan(), _ui(paid_months=11), _ui(involuntary_separation=None)]
    paths = write_letters_pdf(decisions, AGENCY, tmp_path / "batch.pdf", per_case_dir=tmp_path / "one",
                              issued_on=date(2025, 9, 1))
    assert len(paths) == 4 and all(p.exists() for p in paths)
    assert pdf_pages(paths[0]) >= 3
    text = pdf_text(paths[0]).replace("\n", "")
    assert "审核决定书" in text and "补正材料告知书" in text
    assert "行政复议" in text and "行政诉讼" in text
    assert "911505**********XN" in text and "1523**********0015" in text
    assert CODE not in text and ID not in text
    assert "6,000.00" in text and "陆仟元整" in text and "2025年9月1日" in text
    assert "cjk-font=" in pdf_metadata(paths[0])["/Keywords"]
    one = pdf_text(paths[2]).replace("\n", "")
    assert "缴费不满1年" in one and "测试单位" not in one


def test_single_letter(tmp_path: Path) -> None:
    path = write_letter_pdf(_fanhuan(), AGENCY, tmp_path / "one.pdf")
    assert pdf_pages(path) == 1 and "陆仟元整" in pdf_text(path)
