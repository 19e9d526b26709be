"""The results' 企业划型 (size_class) is the class the rules decided with, not the features' jurisdiction-neutral one.

晋人社厅发〔2024〕28号 二 classes a unit with no statistics or 2017-standard class by its 平均缴费人数 (≥ 300 大型), and the
兵团 draft 二（一） by the 社保信息系统's class; the features derive the neutral class (统计数据, else 2017 标准) for every
region. The results, the 公示 list and the ledger (whose 划型变更 rescales from the class recorded) had shown the neutral
class where the rules had paid by another (closing notes of sessions 42–46).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.programs.test_fanhuan_properties import SCENARIOS, SCHEMA, units

from wengang.evaluate import evaluate
from wengang.programs.fanhuan import SIZE_ZH as RULES_SIZE_ZH
from wengang.screening.evaluate import screen_facts
from wengang.screening.output import publicity_list

UNIT = {
    "credit_code": "91150502MA0N1234XN",
    "name": "测试有限公司",
    "org_type": "enterprise",
    "months_fully_paid": 24,
    "paid_premium_last_year_fen": 10_000_000,
    "insured_headcount": 400,
    "avg_insured_last_year": 400,
    "layoffs_last_year": 0,
    "has_corporate_account": True,
    "outstanding_deferral": False,
}
SCHEMA_HERE = {**SCHEMA, "si_system_size_class": pl.String, "avg_insured_last_year": pl.Int64}


def _screen(rows: list[dict], region: str, on: date, drafts: bool, region_settings: dict) -> pl.DataFrame:
    table = pl.DataFrame(
        [{**r, "credit_code": f"u{i}", "region_code": region} for i, r in enumerate(rows)],
        schema_overrides={k: v for k, v in SCHEMA_HERE.items() if any(k in r for r in rows)},
    )
    res, _ = screen_facts(table.lazy(), "fanhuan", on, settings=region_settings, include_drafts=drafts)
    return res.collect()


def _one_case_code(text: str | None) -> str | None:
    """The one case's 企业划型 output as a code: 中小微企业 (only "not large" known) and no output → None."""
    by_text = {v: k for k, v in RULES_SIZE_ZH.items()}
    return by_text.get(text) if text is not None else None


def test_bingtuan_results_carry_the_si_system_class_the_rules_paid_by():
    region, on = "bingtuan", date(2024, 9, 1)
    rows = [
        # 统计数据 says 中型 (the features' neutral class), the 社保信息系统 大型: the draft decides by the latter
        {**UNIT, "stats_size_class": "medium", "si_system_size_class": "large"},
        {**UNIT, "stats_size_class": "large", "si_system_size_class": "small"},
    ]
    out = _screen(rows, region, on, True, {"fund_reserve_years": 2})
    assert out["size_class"].to_list() == ["large", "small"]
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        one = evaluate("fanhuan", region, on, row, settings={"fund_reserve_years": 2}, include_drafts=True)
        assert (str(got["status"]), got["amount_fen"]) == (one.status, one.amount_fen)
        shown = next(v for i, _, v in one.outputs if i == "size_class")
        assert _one_case_code(shown) == got["size_class"]
    # the rates differ (大型 30 %, 中小微 60 % of the same base): the class shown is the one the amount was paid by
    assert out["amount_fen"].to_list() == [3_000_000, 6_000_000]
    listed = publicity_list(out.lazy(), "稳岗返还")
    assert listed["企业划型"].to_list() == ["大型", "小型"]


def test_shanxi_results_carry_the_class_by_average_contributors():
    region, on = "140300", date(2024, 9, 1)
    region_settings = {"max_layoff_rate": Fraction(11, 200), "fund_reserve_years": 1}
    rows = [
        # no statistics, no 2017 class: ≥ 300 平均缴费人数 is 大型 (二 “最后”), fewer is only “not large” (no class)
        {**UNIT, "avg_contributors_12m": 300},
        {**UNIT, "avg_contributors_12m": 299},
        # a 2017-standard class comes first (二 “其次”): it is the class, whatever the average
        {**UNIT, "size_class_2017": "medium", "avg_contributors_12m": 350},
    ]
    out = _screen(rows, region, on, False, region_settings)
    assert out["size_class"].to_list() == ["large", None, "medium"]
    assert out["amount_fen"].to_list() == [3_000_000, 6_000_000, 6_000_000]
    assert publicity_list(out.lazy(), "稳岗返还")["企业划型"].to_list() == ["大型", "参照中小微", "中型"]


def test_a_silent_notice_keeps_the_neutral_class():
    # 内人社发〔2025〕18号 has no 划型 rule of its own: the rules' class is the neutral one (统计数据, else 2017 标准)
    rows = [{**UNIT, "stats_size_class": "small", "size_class_2017": "large"}, {**UNIT, "size_class_2017": "micro"}, UNIT]
    out = _screen(rows, "150500", date(2025, 8, 1), False, {})
    assert out["size_class"].to_list() == ["small", "micro", None]


SI_CLASS = st.sampled_from([None, "large", "medium", "small", "micro"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(units(), SI_CLASS), min_size=1, max_size=8))
def test_every_scenario_shows_the_one_case_class(rows):
    """Each row's class in the results is the one case's 企业划型 output wherever the decision states it (符合条件,
    待认定), under every notice the property tests cover."""
    facts = [{**unit, "si_system_size_class": si} for unit, si in rows]
    for _, region, on, drafts, region_settings in SCENARIOS:
        out = _screen(facts, region, on, drafts, region_settings)
        for f, got in zip(facts, out.iter_rows(named=True), strict=True):
            one = evaluate("fanhuan", region, on, f, settings=region_settings, include_drafts=drafts)
            assert str(got["status"]) == one.status
            # 内政发〔2019〕4号 has no 划型 (one rate): its results keep the class the facts carried
            if one.status not in ("eligible", "needs_decision") or one.ruleset == "v2019":
                continue
            shown = next((v for i, _, v in one.outputs if i == "size_class"), None)
            assert got["size_class"] == _one_case_code(shown), (region, f, shown)


def test_the_size_class_program_reports_its_own_result():
    """企业划型 screened as a program of its own: its results' class is its 划型结果, as one case states it."""
    rows = [
        {**UNIT, "avg_contributors_12m": 320},
        {**UNIT, "avg_contributors_12m": 20},
        {**UNIT, "stats_size_class": "micro", "si_system_size_class": "medium"},
    ]
    for region, on, drafts, expected in (
        ("140300", date(2024, 9, 1), False, ["large", None, "micro"]),
        ("bingtuan", date(2024, 9, 1), True, [None, None, "medium"]),
    ):
        table = pl.DataFrame(
            [{**r, "credit_code": f"u{i}", "region_code": region} for i, r in enumerate(rows)],
            schema_overrides={k: v for k, v in SCHEMA_HERE.items() if any(k in r for r in rows)},
        )
        res, _ = screen_facts(table.lazy(), "size_class", on, include_drafts=drafts)
        out = res.collect()
        assert out["size_class"].to_list() == expected, region
        for row, got in zip(rows, out.iter_rows(named=True), strict=True):
            one = evaluate("size_class", region, on, row, include_drafts=drafts)
            shown = next((v for i, _, v in one.outputs if i == "size_class"), None)
            assert (str(got["status"]), got["size_class"]) == (one.status, _one_case_code(shown)), (region, row)


def test_one_case_import_records_the_class_the_rules_decided_with():
    """``wengang case import`` of a one-case decision records the rules' class (the one a 划型变更 rescales from), not
    the facts' given class (none here: the 兵团 unit is paid by its 社保信息系统 class)."""
    import json

    from wengang.casework.intake import decision_from_obj

    on, region_settings = date(2024, 9, 1), {"fund_reserve_years": 2}
    for si, stated in (("large", "large"), ("micro", "micro")):
        facts = {**UNIT, "region_code": "bingtuan", "stats_size_class": "medium", "si_system_size_class": si}
        one = evaluate("fanhuan", "bingtuan", on, facts, settings=region_settings, include_drafts=True)
        assert one.status == "eligible"
        dec = decision_from_obj(json.loads(json.dumps(one.to_dict(), default=str)), facts={"name": facts["name"]})
        assert dec.size_class == stated
    # a decision that states no class (refused: no outputs) keeps the class the facts gave
    refused = {**UNIT, "region_code": "bingtuan", "si_system_size_class": "large", "org_type": "public_institution", "size_class": "small"}
    one = evaluate("fanhuan", "bingtuan", on, refused, settings=region_settings, include_drafts=True)
    assert one.status == "ineligible"
    dec = decision_from_obj(json.loads(json.dumps(one.to_dict(), default=str)), facts={"size_class": "small"})
    assert dec.size_class == "small"
