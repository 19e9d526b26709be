"""Session 35 fidelity audit, C2, C4 and item 5: what a decision cites as its basis, whom a refusal says the document
covers, and the prefecture cities that take their province's documents.

C2 — a decision's basis (依据…) is the program's own clause in the document in force: for 失业保险金 the clause that
continues the benefit ("各地要持续做好失业保险金…发放工作": 内人社发〔2025〕18号 三, 人社部发〔2024〕40号 四,
晋人社厅发〔2024〕28号 四, 兵团征求意见稿 一（四）), not the fund-risk clause (内人社发〔2025〕18号 五 强化基金风险防控);
a refusal for too short a contribution rests on 失业保险条例 第十四条.

C4 — 内政发〔2019〕4号 八 "参保职工取得职业资格证书或职业技能等级证书的，可在参保地申请技术技能提升补贴" covers insured
workers only: a benefit recipient's refusal says what the document covers, not "不是…正在领取失业保险金人员".
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from wengang.evaluate import evaluate
from wengang.explain import explain
from wengang.policies import load_policy_set
from wengang.regions import chain, resolve_region
from wengang.rules.engine import ELIGIBLE, INELIGIBLE

# /tmp/audit-fidelity/cases/u01_pm11.json: 11 months paid, otherwise a claimant
CLAIM = {
    "id_number": "152301199001010015", "application_date": "2025-09-01", "insured_region": "150502", "paid_months": 11,
    "involuntary_separation": True, "registered_unemployed": True, "seeking_work": True, "separation_date": "2025-07-31",
}  # fmt: skip


def test_a_benefit_refusal_cites_the_benefit_clause_and_the_regulation() -> None:
    d = evaluate("ui_benefit", "150502", date(2025, 9, 1), CLAIM, settings={"short_term_insured_months": 6})
    assert d.status == INELIGIBLE
    assert (d.policy_number, d.policy_clause) == ("内人社发〔2025〕18号", "三")
    assert "依据内人社发〔2025〕18号 三，" in explain(d)
    paid = next(c for c in d.checks if c.id == "paid_one_year")
    assert paid.passed is False and paid.citations == ["国务院令第258号 第十四条"]
    assert d.reasons == ["缴费不满1年，不符合领取失业保险金条件"]


BASES = [
    ("150502", date(2025, 9, 1), False, "im-2025-18", "三"),
    ("150502", date(2024, 9, 1), False, "national-2024-40", "四"),
    ("140300", date(2024, 9, 1), False, "shanxi-2024-28", "四"),
    ("659001", date(2024, 9, 1), True, "bingtuan-2024-draft", "一（四）"),
    ("150502", date(2022, 9, 1), False, "im-2022-86", "（四）12"),
]


def test_every_benefit_basis_is_the_clause_that_pays_it() -> None:
    got, want = [], []
    for region, on, drafts, doc, clause in BASES:
        resolution = load_policy_set().resolve(region=region, on=on, program="ui_benefit", include_drafts=drafts)
        claim = dict(CLAIM, application_date=on.isoformat(), insured_region=region, separation_date=None)
        d = evaluate("ui_benefit", region, on, claim, include_drafts=drafts)
        got.append((d.policy_id, d.policy_clause))
        want.append((doc, clause))
        text = resolution.document.clauses[d.policy_clause or ""]
        # the clause provides for paying the benefit, not for the fund's risk checks
        assert "失业保险金" in text and ("发放" in text or "申领" in text), (doc, text)
        assert "风险" not in text, (doc, text)
    assert got == want


RECIPIENT_2019 = {
    "id_number": "152301199001010015", "application_date": "2019-08-01", "person_status": "benefit_recipient",
    "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 28,
    "insured_months_continuous_at_certificate": 28, "insured_region": "150502", "occupation_code": "6-31-01-03", "level": 4,
    "certificate_type": "skill_level", "certificate_issue_date": "2019-06-01", "certificate_region": "150500",
    "evaluation_body_batch_count": 1, "past_subsidies": [], "held_certificates": [], "training_subsidies": [],
}  # fmt: skip


def test_a_2019_refusal_of_a_benefit_recipient_states_the_2019_condition() -> None:
    # the same status when the certificate was issued (skill_subsidy.status_date, session 42: either date refuses)
    d = evaluate("skill_subsidy", "150502", date(2019, 8, 1), dict(RECIPIENT_2019, person_status_at_certificate="benefit_recipient"))
    assert d.status == INELIGIBLE and d.policy_clause == "八"
    assert d.reasons == ["申领人不属于本文件规定的补贴对象（“参保职工取得职业资格证书或职业技能等级证书的，可在参保地申请技术技能提升补贴”）"]
    assert not any("正在领取失业保险金人员" in r for r in d.reasons)


def test_a_2025_refusal_states_the_2025_condition() -> None:
    facts = dict(
        RECIPIENT_2019, application_date="2025-08-01", certificate_issue_date="2025-06-01", person_status="other",
        person_status_at_certificate="other",
    )  # fmt: skip
    d = evaluate("skill_subsidy", "150502", date(2025, 9, 1), facts)
    assert d.status == INELIGIBLE
    assert "申领人不属于本文件规定的补贴对象（“企业在职职工或正在领取失业保险金人员”）" in d.reasons
    # a benefit recipient is covered in 2025
    d = evaluate("skill_subsidy", "150502", date(2025, 9, 1), dict(facts, person_status="benefit_recipient"))
    assert next(c for c in d.checks if c.id == "person").passed is True


# ---------------------------------------------------------------------------------------------------------
# item 5: a prefecture city with no forwarding notice of its own takes its province's documents

UNIT = {
    "org_type": "enterprise", "size_class": "small", "months_fully_paid": 24, "paid_premium_last_year_fen": 1000000,
    "insured_headcount": 100, "avg_insured_last_year": 100, "layoffs_last_year": 0, "has_corporate_account": True,
}  # fmt: skip


def test_taiyuan_takes_the_shanxi_notice() -> None:
    assert [r.key for r in chain("太原")] == ["140100", "140000", "national"]
    assert resolve_region("140100").name == "太原市"
    d = evaluate("fanhuan", "140100", date(2024, 9, 1), dict(UNIT, credit_code="91140100MA0K1234X9"),
                 settings={"fund_reserve_years": Fraction(2)})  # fmt: skip
    assert (d.status, d.amount_fen) == (ELIGIBLE, 600000)  # 晋人社厅发〔2024〕28号 二: 中小微企业按60%返还
    assert (d.policy_number, d.policy_clause, d.policy_via) == ("晋人社厅发〔2024〕28号", "二", [])


def test_hohhot_takes_the_inner_mongolia_notices() -> None:
    assert [r.key for r in chain("呼和浩特")] == ["150100", "150000", "national"]
    d = evaluate("fanhuan", "150100", date(2025, 8, 1), dict(UNIT, credit_code="91150502MA0N1234XN"))
    assert (d.status, d.amount_fen) == (ELIGIBLE, 600000)  # 内人社发〔2025〕18号 一: 中小微企业按 60% 返还
    assert (d.policy_number, d.policy_clause) == ("内人社发〔2025〕18号", "一")
    d = evaluate("fanhuan", "150100", date(2022, 9, 1), dict(UNIT, credit_code="91150502MA0N1234XN"))
    assert d.policy_number == "内人社办发〔2022〕86号" and d.policy_via == []  # the province's, not 通辽's forwarding
