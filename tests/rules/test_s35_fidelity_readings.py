"""Session 35 fidelity audit, C1 and C3: which open readings a result depends on, and what a reading's branch lacks.

C1 — 内政发〔2019〕4号 一 "可返还其上年度实际缴纳失业保险费的 50%": whether the workers' share counts is a reading
(``fanhuan.base_2019_payer``). Under ``unit_only`` the base is the unit's share; a case that does not give it is
undeterminable *under that reading*, which is not "the same result": the decision is 待认定 with that outcome naming
the missing field, never 符合条件 with the reading listed as immaterial. The unit-only branch used to be dropped as
"waiting for a region figure" because the amount's expression *contains* the hardship standard's figures (a branch a
firm that is not a hardship firm never takes).

C3 — a switch is named as one the result depends on only when changing it alone, the others held, changes the
status or amount in some combination (``engine.material_switches``); the others are immaterial.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl

from wengang.evaluate import evaluate, ruleset_for
from wengang.policies import load_policy_set
from wengang.rules import interpretations
from wengang.rules.batch import screen_frame
from wengang.rules.engine import ELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE, Outcome

# /tmp/audit-fidelity/cases/C1.json: a 2019 medium firm in 科尔沁区, no layoffs, 10,000.00元 paid last year
C1 = {
    "credit_code": "91150502MA0N1234XN", "org_type": "enterprise", "size_class": "medium",
    "paid_premium_last_year_fen": 1000000, "insured_headcount": 100, "layoffs_last_year": 0,
    "has_corporate_account": True,
}  # fmt: skip
ON_2019 = date(2019, 8, 1)
TARGET = {"max_layoff_rate": Fraction(4, 100)}  # --setting max_layoff_rate=4% (fund_reserve_years, hardship choice not given)
PAYER = "fanhuan.base_2019_payer"
FIELD = "paid_premium_unit_share_last_year_fen"


def _title(name: str) -> str:
    return interpretations.get(name).title


def test_a_reading_whose_data_is_missing_is_not_immaterial() -> None:
    # fanhuan.reserve_2019_scope is open since session 42 (§123): its other reading waits for fund_reserve_years
    d = evaluate("fanhuan", "150502", ON_2019, C1, settings=TARGET, readings={"fanhuan.reserve_2019_scope": "hardship_only"})
    assert d.status == NEEDS_DECISION and d.amount_fen is None
    by_reading = {o.readings[PAYER]: (o.status, o.amount_fen) for o in d.outcomes}
    assert by_reading == {"unit_and_staff": (ELIGIBLE, 500000), "unit_only": (NOT_DETERMINABLE, None)}
    assert _title(PAYER) not in d.immaterial_readings
    assert not any(_title(PAYER) in n for n in d.notes)
    # the unit-only outcome names the field it needs, under that reading
    unit_only = next(o for o in d.outcomes if o.readings[PAYER] == "unit_only")
    assert unit_only.reasons == [f"缺少计算稳岗返还金额所需数据：上年度实际缴纳的当年度失业保险费中的单位缴纳部分（分）（{FIELD}）"]
    assert any("仅企业（单位）缴纳部分" in r and FIELD in r for r in d.reasons)
    # and asks for no region figure: the hardship standard's figures are not on this firm's path
    assert not any(r.startswith("需经办机构提供地区数据") for r in d.reasons)
    assert d.missing_settings == []


def test_the_reading_fixed_names_the_field_it_needs_and_no_figure_it_does_not() -> None:
    d = evaluate("fanhuan", "150502", ON_2019, C1, settings=TARGET, readings={PAYER: "unit_only"})
    assert d.status == NOT_DETERMINABLE and d.amount_fen is None
    assert d.reasons == [f"缺少计算稳岗返还金额所需数据：上年度实际缴纳的当年度失业保险费中的单位缴纳部分（分）（{FIELD}）"]
    assert d.missing_settings == []
    # with the figures given it says the same (it never needed them)
    given = dict(TARGET, fund_reserve_years=Fraction(2), hardship_standard_choice="benefit")
    assert evaluate("fanhuan", "150502", ON_2019, C1, settings=given, readings={PAYER: "unit_only"}).reasons == d.reasons
    # the field given: 50 % of the unit's 5,000.00元
    d = evaluate("fanhuan", "150502", ON_2019, dict(C1, **{FIELD: 500000}), settings=TARGET, readings={PAYER: "unit_only"})
    assert (d.status, d.amount_fen) == (ELIGIBLE, 250000)
    # both readings decided, the reading open: both amounts (/tmp/audit-fidelity/cases/C1b.json)
    d = evaluate("fanhuan", "150502", ON_2019, dict(C1, **{FIELD: 500000}), settings=TARGET)
    assert d.status == NEEDS_DECISION
    assert {o.readings[PAYER]: o.amount_fen for o in d.outcomes} == {"unit_and_staff": 500000, "unit_only": 250000}
    # an approved hardship firm's path does read the region figures (内政发〔2019〕4号 一 "各统筹地区在失业保险基金
    # 滚存结余具备一年以上支付能力的前提下，自行选定返还标准"): still one region question
    d = evaluate("fanhuan", "150502", ON_2019, dict(C1, hardship_approved=True), settings=TARGET)
    assert d.status == NOT_DETERMINABLE
    assert d.reasons[0].startswith("需经办机构提供地区数据：") and "fund_reserve_years" in d.reasons[0]
    assert "fund_reserve_years" in d.missing_settings


def test_the_batch_decides_the_unit_only_branch_as_one_case_does() -> None:
    resolution = load_policy_set().resolve(region="150502", on=ON_2019, program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    rows = [
        dict(C1, hardship_approved=False, **{FIELD: None}),
        dict(C1, hardship_approved=True, **{FIELD: None}),
        dict(C1, hardship_approved=False, **{FIELD: 500000}),
    ]
    out = screen_frame(pl.DataFrame(rows), ruleset, resolution, settings=TARGET).collect()
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        d = evaluate("fanhuan", "150502", ON_2019, row, settings=TARGET)
        assert (got["status"], got["amount_fen"]) == (d.status, d.amount_fen), row
    first, hardship, _ = out.iter_rows(named=True)
    assert first["status"] == NEEDS_DECISION and f"{PAYER}=unit_only:{NOT_DETERMINABLE}:" in first["outcomes"]
    assert hardship["status"] == NOT_DETERMINABLE and "region_data" in hardship["reasons"]


# ---------------------------------------------------------------------------------------------------------
# C3


def test_only_material_readings_are_named() -> None:
    """/tmp/audit-fidelity/cases/rv_s07.json: a certificate of 2010 under 内人社发〔2025〕18号. Whether it must lie in the
    policy period changes the result; which of the year's slots an urgent certificate takes does not (no other
    certificate this year): it is immaterial, and said so."""
    facts = {
        "id_number": "152301199001010015", "application_date": "2025-08-01", "person_status": "employed_worker",
        "person_status_at_certificate": "employed_worker", "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 0,
        "insured_months_continuous_at_certificate": 0, "insured_region": "150502", "occupation_code": "4-10-01-03",
        "level": 5, "certificate_type": "skill_level", "certificate_issue_date": "2010-05-01", "certificate_region": "150500",
        "urgent_occupation": False, "evaluation_body_batch_count": 1, "past_subsidies": [], "held_certificates": [],
        "training_subsidies": [],
    }  # fmt: skip
    d = evaluate(
        "skill_subsidy", "150502", date(2025, 9, 1), facts, readings={"skill_subsidy.insured_period": "cumulative_at_application"}
    )
    assert d.status == NEEDS_DECISION
    window, slots = _title("skill_subsidy.certificate_window"), _title("skill_subsidy.urgent_extra_slots")
    assert d.reasons[0] == "结果取决于尚未认定的政策解释：" + window
    assert not any(slots in r for r in d.reasons)
    assert slots in d.immaterial_readings and window not in d.immaterial_readings
    assert d.notes[0].startswith("以下解释不影响结论：") and slots in d.notes[0]
    # the refusal under the reading that gives it, once (the immaterial switch no longer doubles it)
    assert sum("证书取得时间不在所采用的取证时限内" in r for r in d.reasons) == 1
    assert {(o.status, o.amount_fen) for o in d.outcomes} == {(ELIGIBLE, 100000), ("ineligible", None)}


def _o(status: str, amount: int | None, **readings: str) -> Outcome:
    return Outcome({k.replace("__", "."): v for k, v in readings.items()}, status, amount)


def test_material_means_changing_it_alone_changes_the_result() -> None:
    from wengang.rules.engine import material_switches

    a, b = "fanhuan.base_2019_payer", "fanhuan.period_2019"
    both = [
        _o(ELIGIBLE, 1, fanhuan__base_2019_payer="unit_and_staff", fanhuan__period_2019="until_superseded"),
        _o(ELIGIBLE, 1, fanhuan__base_2019_payer="unit_only", fanhuan__period_2019="until_superseded"),
        _o("ineligible", None, fanhuan__base_2019_payer="unit_and_staff", fanhuan__period_2019="until_2020"),
        _o("ineligible", None, fanhuan__base_2019_payer="unit_only", fanhuan__period_2019="until_2020"),
    ]
    assert material_switches(both, {}) == [b]
    # a switch that matters only together with another's reading is material (it changes the result alone there)
    joint = [*both[:3], _o(ELIGIBLE, 2, fanhuan__base_2019_payer="unit_only", fanhuan__period_2019="until_2020")]
    assert material_switches(joint, {}) == [a, b]
    assert material_switches(joint, {a: "unit_only"}) == [b]
    # a switch an outcome does not list was not live on its branch: every reading of it gives that result there.
    # Under until_superseded the payer changes nothing; under until_2020 it does, and holding the payer at
    # unit_only the period changes the result too (1 → 3)
    partial = [
        _o(ELIGIBLE, 1, fanhuan__period_2019="until_superseded"),
        _o(ELIGIBLE, 1, fanhuan__period_2019="until_2020", fanhuan__base_2019_payer="unit_and_staff"),
        _o(ELIGIBLE, 3, fanhuan__period_2019="until_2020", fanhuan__base_2019_payer="unit_only"),
    ]
    assert material_switches(partial, {}) == [b, a]
    # the hardship firm of 2019 under "choice given, reserve not": the payer is live only under the unit-only base
    # reading's "higher" hardship comparison (Max(hardship, 50 % of an unknown base)); it still matters
    h = "fanhuan.hardship_standard_2019"
    hardship = [
        _o(ELIGIBLE, 9, fanhuan__base_2019_payer="unit_and_staff"),
        _o(ELIGIBLE, 9, fanhuan__base_2019_payer="unit_only", fanhuan__hardship_standard_2019="replace"),
        _o(NOT_DETERMINABLE, None, fanhuan__base_2019_payer="unit_only", fanhuan__hardship_standard_2019="higher"),
    ]
    assert material_switches(hardship, {}) == [a, h]


def test_a_notice_lists_each_result_once() -> None:
    """The 待认定 告知书 numbers the understandings: combinations that differ only in an immaterial reading are one."""
    from wengang.documents.letters import compose_letter

    facts = {
        "id_number": "152301199001010015", "application_date": "2025-08-01", "person_status": "employed_worker",
        "person_status_at_certificate": "employed_worker", "insured_months_cumulative": 30, "insured_months_continuous": 30, "insured_months_cumulative_at_certificate": 0,
        "insured_months_continuous_at_certificate": 0, "insured_region": "150502", "occupation_code": "4-10-01-03",
        "level": 5, "certificate_type": "skill_level", "certificate_issue_date": "2010-05-01", "certificate_region": "150500",
        "urgent_occupation": False, "evaluation_body_batch_count": 1, "past_subsidies": [], "held_certificates": [],
        "training_subsidies": [],
    }  # fmt: skip
    d = evaluate(
        "skill_subsidy", "150502", date(2025, 9, 1), facts, readings={"skill_subsidy.insured_period": "cumulative_at_application"}
    )
    assert len(d.outcomes) == 6  # every combination is still listed in the decision
    agency = {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府", "court": "通辽市科尔沁区人民法院"}
    text = compose_letter({**d.to_dict(), "subject_name": "张三"}, agency, issued_on=date(2025, 9, 2)).text()
    # each understanding named by its reading (session 40), one line per result
    assert "的理解：符合条件，金额人民币1,000.00元（大写：壹仟元整）。" in text and "的理解：不符合条件。" in text, text
    assert "\n1. 按" in text and "\n2. 按" in text and "\n3. " not in text and "种理解" not in text
