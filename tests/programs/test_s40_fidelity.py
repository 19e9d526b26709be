"""Session 40 outside fidelity audits (person programs and one-offs)."""

from __future__ import annotations

from datetime import date

import pytest

from wengang.evaluate import evaluate

LOAN = {"applicant": "individual", "id_number": "152301199803151231", "name": "张某", "group": "graduate",
        "requested_amount_yuan": "200000", "requested_term_months": 36}


@pytest.mark.parametrize(("day", "status"), [(date(2022, 1, 1), "not_determinable"), (date(2022, 5, 31), "not_determinable"),
                                             (date(2022, 6, 1), "eligible"), (date(2022, 12, 31), "eligible")])
def test_the_raised_loan_ceiling_applies_from_the_notice_not_from_january(day, status):
    """内人社办发〔2022〕86号 （四）16 “额度由 15 万元提高到 20 万元”, issued 2022-06-01: a 20万 loan of January–May 2022
    had been approved under the raised ceiling; the 15万 rule in force before is not in the library, so it is 无法判定."""
    d = evaluate("startup_loan", "150500", day, LOAN)
    assert d.status == status, (day, d.status, d.reasons)


def test_a_ledger_explanation_marks_open_and_not_applicable_checks_as_the_letter_does():
    """intake._explain (an application's explanation in the ledger) had marked ✔ a check that holds only under a
    reading left open, and a 2019 premise the current reading does not apply (audit of explanations, session 40)."""
    from wengang.casework.intake import _explain

    facts = {"credit_code": "91150502MA0N1234XN", "name": "测试单位", "org_type": "enterprise", "size_class": "small",
             "months_fully_paid": 8, "paid_premium_last_year_fen": 1000000, "insured_headcount": 50,
             "avg_insured_last_year": 50, "layoffs_last_year": 0, "months_fully_paid_total": 20}
    readings = {"fanhuan.layoff_rate_formula": "year_end", "fanhuan.small_unit_rule": "headcount",
                "fanhuan.normal_attrition": "excluded"}
    d = evaluate("fanhuan", "150500", date(2025, 8, 1), facts, readings=readings)
    assert d.status == "needs_decision"
    assert "？ 足额缴纳失业保险费12个月以上" in _explain(d.to_dict())
    d = evaluate("fanhuan", "150500", date(2019, 8, 1), {**facts, "months_fully_paid": 24})
    text = _explain(d.to_dict())
    assert "— 统筹地区失业保险基金滚存结余具备1年以上支付能力（返还的前提）：不适用：" in text
    assert "✔ 统筹地区失业保险基金滚存结余具备1年以上支付能力" not in text


def test_the_console_marks_open_and_not_applicable_checks_as_the_letter_does(tmp_path):
    import json

    from typer.testing import CliRunner

    from wengang.cli import app

    case = {"credit_code": "91150502MA0N1234XN", "name": "测试单位", "org_type": "enterprise", "size_class": "small",
            "months_fully_paid": 8, "paid_premium_last_year_fen": 1000000, "insured_headcount": 50,
            "avg_insured_last_year": 50, "layoffs_last_year": 0, "months_fully_paid_total": 20, "region_code": "150502"}
    f = tmp_path / "c.json"
    f.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    base = ["evaluate", str(f), "-p", "fanhuan", "-r", "150502"]
    fixed = ["--reading", "fanhuan.layoff_rate_formula=year_end", "--reading", "fanhuan.small_unit_rule=headcount",
             "--reading", "fanhuan.normal_attrition=excluded"]
    out = " ".join(CliRunner().invoke(app, [*base, "-d", "2025-08-01", *fixed]).output.split())
    assert "？ 足额缴纳失业保险费12个月以上" in out
    out = " ".join(CliRunner().invoke(app, [*base, "-d", "2019-08-01"]).output.split())
    assert "— 统筹地区失业保险基金滚存结余具备1年以上支付能力" in out
