"""Which date places a case in a policy period (E2/A2), and settings that must carry their unit (review §1.2, §8)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.evaluate import evaluate
from wengang.rules.engine import ELIGIBLE, NOT_DETERMINABLE
from wengang.settings import SettingError, parse_settings

# review §7 s03 (通辽): application 2024-11-20, one 2024 subsidy already paid
S03: dict[str, Any] = {
    "id_number": "152301199001010015", "application_date": "2024-11-20", "person_status": "employed_worker",
    "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 28,
    "insured_months_continuous_at_certificate": 28, "insured_region": "150502", "occupation_code": "6-31-01-03",
    "level": 4, "certificate_type": "skill_level", "certificate_issue_date": "2024-10-01", "certificate_region": "150500",
    "urgent_occupation": False,
    "past_subsidies": [{"occupation_code": "4-10-01-03", "level": 5, "application_date": "2024-03-01",
                        "certificate_issue_date": "2024-02-01", "paid_date": "2024-03-20", "urgent": False, "region": "150500"}],
    "held_certificates": [], "training_subsidies": [],
}
# review §7 s17 (阳泉): a December 2024 application
S17: dict[str, Any] = {
    "id_number": "152301199001010015", "application_date": "2024-12-15", "person_status": "employed_worker",
    "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 28,
    "insured_months_continuous_at_certificate": 28, "insured_region": "140302", "occupation_code": "6-31-01-03",
    "level": 4, "certificate_type": "skill_level", "certificate_issue_date": "2024-06-01", "certificate_region": "140300",
    "past_subsidies": [], "held_certificates": [], "training_subsidies": [],
}
# review §7 s14 (2019 hardship standard)
S14: dict[str, Any] = {
    "credit_code": "91150502MA0N1234XN", "org_type": "enterprise", "size_class": "medium",
    "paid_premium_last_year_fen": 1000000, "paid_premium_unit_share_last_year_fen": 500000, "insured_headcount": 50,
    "layoffs_last_year": 0, "hardship_approved": True, "premium_due_6m_fen": 20000000, "has_corporate_account": True,
}
S14_SETTINGS = {"max_layoff_rate": "3.6%", "fund_reserve_years": "2", "hardship_standard_choice": "benefit"}


# 40号 三: the province's fund reserve is a region figure the 2024 skill rules need (review E6)
RESERVE = {"fund_reserve_years": "2"}


def test_s03_late_review_of_a_2024_application_uses_the_2024_rules() -> None:
    d = evaluate("skill_subsidy", "150502", date(2025, 1, 10), S03, settings=RESERVE)
    assert d.status == ELIGIBLE and d.amount_fen == 150000
    assert d.policy_number == "人社部发〔2024〕40号"
    assert d.period_date == date(2024, 11, 20)
    assert "申领日期 2024-11-20 在 人社部发〔2024〕40号 执行期限（至 2024-12-31）内" in (d.period_basis or "")
    assert any("若按审核日期 2025-01-10，将适用 内人社发〔2025〕18号" in n for n in d.notes)


def test_s03_under_the_review_date_reading_gets_the_2025_rules() -> None:
    # an application of January 2025, before 18号 was issued (2025-05-27): its terms read as from the year's start
    d = evaluate("skill_subsidy", "150502", date(2025, 1, 10), S03,
                 readings={"policy.period_date": "review", "skill_subsidy.terms_2025_from": "year_start"})
    assert d.policy_number == "内人社发〔2025〕18号"
    assert d.status == "ineligible"


def test_s17_december_application_reviewed_in_january_is_judged_under_jin_28() -> None:
    d = evaluate("skill_subsidy", "140300", date(2025, 1, 10), S17, settings=RESERVE)
    assert d.policy_number == "晋人社厅发〔2024〕28号"
    assert d.status == ELIGIBLE
    assert not any("没有有效的技能提升补贴政策" in r for r in d.reasons)


def test_without_an_application_date_the_review_date_places_the_period_and_the_trace_says_so() -> None:
    facts = dict(S14, months_fully_paid=24)
    d = evaluate("fanhuan", "150502", date(2025, 8, 1), facts)
    assert d.period_date == date(2025, 8, 1)
    assert "无申领日期，按审核日期 2025-08-01" in (d.period_basis or "")


def test_an_application_whose_period_has_not_ended_takes_the_review_date() -> None:
    d = evaluate("skill_subsidy", "150502", date(2025, 9, 1), dict(S03, application_date="2025-03-01", past_subsidies=[]))
    assert d.period_date == date(2025, 9, 1) and d.policy_number == "内人社发〔2025〕18号"
    assert "仍未到期" in (d.period_basis or "")


def _skill(application: str, **extra: Any) -> dict[str, Any]:
    return dict(S03, application_date=application, past_subsidies=[], **extra)


# one case per document with an end date: the application on its last day, and on the next day, reviewed later
CROSSINGS = [
    # (document, region, last day, review date, program, facts builder, next-day document or None, drafts)
    ("人社部发〔2024〕40号", "150502", "2024-12-31", date(2025, 2, 1), "skill_subsidy", _skill, "内人社发〔2025〕18号", False),
    ("晋人社厅发〔2024〕28号", "140300", "2024-12-31", date(2025, 2, 1), "skill_subsidy",
     lambda a: dict(S17, application_date=a), None, False),
    ("内人社发〔2025〕18号", "150502", "2025-12-31", date(2026, 2, 1), "skill_subsidy", _skill, None, False),
    ("内人社办发〔2022〕86号", "150502", "2022-12-31", date(2023, 2, 1), "skill_subsidy", _skill, None, False),
    ("内政发〔2019〕4号", "150502", "2020-12-31", date(2021, 2, 1), "skill_subsidy", _skill, None, False),
    ("《关于进一步延续实施失业保险援企稳岗政策的通知（征求意见稿）》", "bingtuan", "2024-12-31", date(2025, 2, 1),
     "skill_subsidy", _skill, None, True),
    ("内人社发〔2025〕18号", "150502", "2025-12-31", date(2026, 2, 1), "fanhuan",
     lambda a: dict(S14, months_fully_paid=24, hardship_approved=False, application_date=a), None, False),
]


def _next_day(day: str) -> str:
    d = date.fromisoformat(day)
    return date(d.year + 1, 1, 1).isoformat() if (d.month, d.day) == (12, 31) else day


@pytest.mark.parametrize("doc,region,last,review,program,build,after,drafts", CROSSINGS, ids=[f"{c[4]}-{c[2]}" for c in CROSSINGS])
def test_year_end_crossing(doc: str, region: str, last: str, review: date, program: str, build: Any, after: str | None, drafts: bool) -> None:
    inside = evaluate(program, region, review, build(last), include_drafts=drafts)
    assert inside.policy_number == doc, inside.reasons
    assert inside.period_date == date.fromisoformat(last)
    outside = evaluate(program, region, review, build(_next_day(last)), include_drafts=drafts)
    assert outside.period_date == review  # the next day's period (or none) is still the review date's
    if after is None:
        assert outside.status == NOT_DETERMINABLE and outside.policy_number is None, outside.reasons
        assert any("没有有效" in r for r in outside.reasons)
    else:
        assert outside.policy_number == after


# -- settings ---------------------------------------------------------------------------------


def test_s14_money_setting_with_yuan_is_360000_yuan() -> None:
    # the headcount date of the hardship standard is a switch since session 42 (docs/decisions.md §123): given here
    d = evaluate("fanhuan", "150502", date(2019, 8, 1), S14, settings={**S14_SETTINGS, "local_avg_monthly_benefit": "1200元"},
                 readings={"fanhuan.hardship_headcount_2019": "year_end"})
    assert d.status == ELIGIBLE and d.amount_fen == 36000000


def test_s14_bare_number_for_a_money_setting_is_refused() -> None:
    with pytest.raises(SettingError, match="local_avg_monthly_benefit 是金额，须写明单位"):
        evaluate("fanhuan", "150502", date(2019, 8, 1), S14, settings={**S14_SETTINGS, "local_avg_monthly_benefit": "1200"})


@pytest.mark.parametrize("raw,fen", [("1200元", 120000), ("1200.50元", 120050), ("120050分", 120050), ("0.12万元", 120000)])
def test_money_forms(raw: str, fen: int) -> None:
    assert parse_settings({"local_avg_monthly_benefit": raw}) == {"local_avg_monthly_benefit": fen}


@pytest.mark.parametrize("raw", ["1200.505元", "12.5分", "-3元", "元"])
def test_bad_money_is_refused(raw: str) -> None:
    with pytest.raises(SettingError):
        parse_settings({"local_avg_monthly_benefit": raw})


def test_percent_needs_the_percent_sign() -> None:
    from fractions import Fraction

    assert parse_settings({"max_layoff_rate": "5.5%"}) == {"max_layoff_rate": Fraction(11, 200)}
    with pytest.raises(SettingError, match="5.5%"):
        parse_settings({"max_layoff_rate": "5.5"})


def test_unknown_setting_names_the_nearest() -> None:
    with pytest.raises(SettingError, match="local_avg_monthly_benefit"):
        parse_settings({"local_avg_montly_benefit": "1200元"})


def test_parameter_override_takes_effect_and_is_recorded() -> None:
    facts = dict(S14, months_fully_paid=24, size_class="small", hardship_approved=False)
    base = evaluate("fanhuan", "150502", date(2025, 8, 1), facts)
    # (a rate above the national 不超过 60% is refused: 人社部发〔2024〕40号 二; session 39)
    d = evaluate("fanhuan", "150502", date(2025, 8, 1), facts, settings={"refund_rate_sme": "50%"})
    assert base.amount_fen == 6000_00 and d.amount_fen == 5000_00
    assert any("假设分析：参数 refund_rate_sme" in n and "60%" in n for n in d.notes)


def test_what_if_labels_and_citations_do_not_leak_into_later_cases() -> None:
    # labels and fixed citations are kept per document in force: a what-if override makes another document
    # (its parameters replaced), so it must show its own figures, and the next plain case the policy's again
    facts = dict(S14, months_fully_paid=24, size_class="small", hardship_approved=False)
    on = date(2025, 8, 1)
    plain = evaluate("fanhuan", "150502", on, facts)
    what_if = evaluate("fanhuan", "150502", on, facts, settings={"max_layoff_rate": "4%"})
    again = evaluate("fanhuan", "150502", on, facts)
    layoff_plain, layoff_what_if = (next(c for c in d.checks if c.id == "layoff") for d in (plain, what_if))
    assert "裁员率不高于5.5%" in layoff_plain.label and "裁员率不高于4%" in layoff_what_if.label
    assert "内人社发〔2025〕18号（参数已被假设值覆盖） 一" in layoff_what_if.citations
    assert not any("覆盖" in c for c in layoff_plain.citations)
    assert again.to_dict() == plain.to_dict()
    assert evaluate("fanhuan", "150502", on, facts, settings={"max_layoff_rate": "4%"}).to_dict() == what_if.to_dict()


def _cli(tmp_path: Path, facts: dict[str, Any], case: dict[str, str], *args: str) -> Any:
    f = tmp_path / "case.json"
    f.write_text(json.dumps({"_case": case, **facts}, ensure_ascii=False), encoding="utf-8")
    return CliRunner().invoke(app, ["evaluate", str(f), *args])


def test_cli_bare_money_exits_2_naming_the_setting(tmp_path: Path) -> None:
    case = {"program": "fanhuan", "region": "150502", "date": "2019-08-01"}
    sets = [x for k, v in S14_SETTINGS.items() for x in ("--setting", f"{k}={v}")]
    bad = _cli(tmp_path, S14, case, *sets, "--setting", "local_avg_monthly_benefit=1200")
    assert bad.exit_code == 2 and "local_avg_monthly_benefit" in bad.output and "1200元" in bad.output
    good = _cli(tmp_path, S14, case, *sets, "--setting", "local_avg_monthly_benefit=1200元", "--json",
                "--reading", "fanhuan.hardship_headcount_2019=year_end")
    assert good.exit_code == 0 and json.loads(good.output)["amount_fen"] == 36000000


def test_cli_unknown_program_and_reading_exit_2(tmp_path: Path) -> None:
    case = {"program": "nosuch", "region": "150502", "date": "2025-08-01"}
    r = _cli(tmp_path, S14, case)
    assert r.exit_code == 2 and "fanhuan" in r.output
    case["program"] = "fanhuan"
    r = _cli(tmp_path, S14, case, "--reading", "fanhuan.small_unit_rul=headcount")
    assert r.exit_code == 2 and "fanhuan.small_unit_rule" in r.output
    r = _cli(tmp_path, S14, case, "--reading", "fanhuan.small_unit_rule=nosuch")
    assert r.exit_code == 2 and "layoff_rate" in r.output
