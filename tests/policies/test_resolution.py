"""Resolution by (region, date, program), inheritance, ceilings, drafts, and timelines."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from wengang.policies import NoPolicyInForce, load_policy_set


@pytest.fixture(scope="module")
def ps():
    return load_policy_set()


@pytest.mark.parametrize("region", ["通辽", "150500", "科尔沁区", "150502", "科尔沁左翼中旗"])
def test_tongliao_2022_gets_86_via_139(ps, region):
    res = ps.resolve(region=region, on=date(2022, 7, 1), program="fanhuan")
    assert res.document.number == "内人社办发〔2022〕86号"
    assert [d.number for d in res.via] == ["通人社办发〔2022〕139号"]
    assert res.ruleset == "v2022"
    assert res.params["refund_rate_sme"].value == Fraction(9, 10)
    assert res.params["topup_from_rate"].value == Fraction(3, 10)
    assert "min_months_fully_paid" not in res.params
    assert "经 通人社办发〔2022〕139号 转发" in res.describe_zh()


def test_inner_mongolia_2025(ps):
    res = ps.resolve(region="内蒙古", on=date(2025, 8, 1), program="fanhuan")
    assert res.document.number == "内人社发〔2025〕18号"
    assert res.via == [] and res.draft_skipped == []
    assert (res.valid_from, res.valid_to) == (date(2025, 1, 1), date(2025, 12, 31))
    assert res.validity_citation == "内人社发〔2025〕18号 末段"
    p = res.params["max_layoff_rate"]
    assert p.value == Fraction(11, 200) and p.boundary == "不高于"
    assert p.citation() == "内人社发〔2025〕18号 一"
    assert res.params["refund_rate_large"].value == Fraction(3, 10)


def test_tongliao_2025_goes_to_the_province_without_via(ps):
    res = ps.resolve(region="150581", on=date(2025, 8, 1), program="fanhuan")
    assert res.document.id == "im-2025-18" and res.via == []
    assert [r.id for r in res.chain][:1] == ["tongliao-2022-139"]  # consulted on the way


def test_yangquan_2024_gets_shanxi_via_121_with_inherited_national_params(ps):
    res = ps.resolve(region="阳泉", on=date(2024, 7, 1), program="fanhuan")
    assert res.document.number == "晋人社厅发〔2024〕28号"
    assert [d.number for d in res.via] == ["阳人社函〔2024〕121号"]
    own = res.params["refund_rate_sme"]
    assert own.value == Fraction(3, 5) and own.doc_id == "shanxi-2024-28" and not own.ceiling
    assert own.ceiling_param is not None and own.ceiling_param.citation() == "人社部发〔2024〕40号 二"
    inherited = res.params["min_months_fully_paid"]
    assert inherited.inherited and inherited.doc_id == "national-2024-40"
    assert inherited.citation() == "人社部发〔2024〕40号 二"
    assert res.params["fund_reserve_min_years"].number == "人社部发〔2024〕40号"
    assert "max_layoff_rate" in res.region_settings  # 40号 names the target, does not give it
    assert res.validity_citation == "人社部发〔2024〕40号 二"


def test_yangquan_county_2025_fee_rate_split(ps):
    res = ps.resolve(region="盂县", on=date(2025, 3, 1), program="fee_rate")
    assert res.document.id == "shanxi-2024-28"
    assert res.params["unit_rate"].value == Fraction(7, 1000)
    assert res.region_settings == {}


def test_national_only_region_keeps_ceilings_as_caps(ps):
    res = ps.resolve(region="通辽", on=date(2024, 6, 1), program="skill_subsidy")
    assert res.document.id == "national-2024-40"
    p = res.params["amount_level3"]
    assert p.ceiling and p.value == 200000 and p.formatted() == "不超过2,000元"


def test_bingtuan_without_drafts_falls_back_to_national_and_records_the_skip(ps):
    res = ps.resolve(region="兵团", on=date(2024, 7, 1), program="fanhuan")
    assert res.document.id == "national-2024-40"
    assert [d.id for d in res.draft_skipped] == ["bingtuan-2024-draft"]
    assert res.params["refund_rate_large"].ceiling


def test_bingtuan_with_drafts_uses_the_draft(ps):
    res = ps.resolve(region="石河子", on=date(2024, 7, 1), program="fanhuan", include_drafts=True)
    assert res.document.id == "bingtuan-2024-draft"
    assert res.draft_skipped == []
    assert res.params["base_excludes"].value == ["other_year_arrears", "late_fees"]
    size = ps.resolve(region="兵团", on=date(2024, 7, 1), program="size_class", include_drafts=True)
    assert size.ruleset == "bingtuan2024"


def test_draft_only_program_without_drafts_is_no_policy(ps):
    with pytest.raises(NoPolicyInForce) as info:
        ps.resolve(region="兵团", on=date(2024, 7, 1), program="size_class")
    assert info.value.drafts_available and "征求意见稿" in info.value.message_zh


@pytest.mark.parametrize(
    ("region", "last_number", "last_end"),
    [
        ("通辽", "内人社发〔2025〕18号", date(2025, 12, 31)),
        ("科尔沁区", "内人社发〔2025〕18号", date(2025, 12, 31)),
        ("阳泉", "晋人社厅发〔2024〕28号", date(2024, 12, 31)),
        ("兵团", "人社部发〔2024〕40号", date(2024, 12, 31)),
        ("national", "人社部发〔2024〕40号", date(2024, 12, 31)),
    ],
)
def test_no_policy_in_force_names_the_last_document(ps, region, last_number, last_end):
    with pytest.raises(NoPolicyInForce) as info:
        ps.resolve(region=region, on=date(2026, 11, 23), program="fanhuan")
    e = info.value
    assert e.last == (last_number, last_end)
    assert e.on == date(2026, 11, 23) and e.program == "fanhuan"
    assert f"最近一份为 {last_number}，执行至 {last_end.isoformat()}。" in e.message_zh


def test_no_policy_message_exact(ps):
    with pytest.raises(NoPolicyInForce) as info:
        ps.resolve(region="150500", on=date(2026, 11, 23), program="fanhuan")
    assert info.value.message_zh == "通辽市 在 2026-11-23 没有有效的稳岗返还政策；最近一份为 内人社发〔2025〕18号，执行至 2025-12-31。"


def test_parameters_with_their_own_period(ps):
    in_2019 = ps.resolve(region="内蒙古", on=date(2019, 6, 1), program="fanhuan")
    in_2020 = ps.resolve(region="内蒙古", on=date(2020, 6, 1), program="fanhuan")
    assert "hardship_benefit_months" in in_2019.params
    assert "hardship_benefit_months" not in in_2020.params
    assert in_2020.params["refund_rate_sme"].value == Fraction(1, 2)


def test_ui_benefit_inherits_the_regulation(ps):
    res = ps.resolve(region="通辽", on=date(2022, 7, 1), program="ui_benefit")
    assert res.document.id == "im-2022-86"
    assert res.params["min_paid_years"].citation() == "内人社办发〔2022〕86号 （四）12"
    assert res.params["duration_months_10y_plus"].value == 24
    assert res.params["duration_months_10y_plus"].doc_id == "national-1999-tiaoli"
    assert "monthly_benefit_amount" in res.region_settings
    later = ps.resolve(region="阳泉", on=date(2023, 7, 1), program="ui_benefit")
    assert later.document.id == "national-1999-tiaoli"


@pytest.mark.parametrize(
    ("region", "on", "doc", "claim_first_from"),
    [
        ("通辽", date(2022, 7, 1), "im-2022-86", "im-2022-86"),
        ("通辽", date(2023, 7, 1), "im-2022-86", "im-2022-86"),  # no end date in （四）12 (A17)
        ("通辽", date(2024, 4, 27), "im-2022-86", "im-2022-86"),
        ("通辽", date(2024, 4, 28), "national-2024-40", "national-2024-40"),
        ("通辽", date(2025, 5, 26), "national-2024-40", "national-2024-40"),
        ("通辽", date(2025, 9, 1), "im-2025-18", "national-2024-40"),  # IM 2025 builds on 40号 五
        ("阳泉", date(2024, 5, 23), "national-2024-40", "national-2024-40"),
        ("阳泉", date(2024, 5, 24), "shanxi-2024-28", "national-2024-40"),  # 晋28号 builds on 40号 五
        ("阳泉", date(2024, 9, 1), "shanxi-2024-28", "national-2024-40"),
        ("阳泉", date(2024, 4, 27), "national-1999-tiaoli", None),
    ],
)
def test_which_ui_benefit_document_applies(ps, region, on, doc, claim_first_from):
    res = ps.resolve(region=region, on=on, program="ui_benefit")
    assert res.document.id == doc
    p = res.params.get("registration_may_follow_claim")
    assert (p.doc_id if p else None) == claim_first_from
    assert res.params["duration_months_10y_plus"].doc_id == "national-1999-tiaoli"
    # only 86号's undated sentence has an open period (A17); 40号 五 is a standing reform without one
    if claim_first_from == "national-2024-40":
        assert "claim_first_calendar_year_end" not in res.params
    if claim_first_from == "im-2022-86":
        assert res.params["claim_first_calendar_year_end"].value == date(2022, 12, 31)


@pytest.mark.parametrize(
    ("region", "on", "source", "checks"),
    [
        # 人社部发〔2024〕40号 六 / 晋人社厅发〔2024〕28号 六: the national data comparison, two flags
        ("阳泉", date(2024, 5, 23), "人社部发〔2024〕40号 六", ["cross_region_duplicate", "survival_or_identity_anomaly"]),
        ("阳泉", date(2024, 9, 1), "晋人社厅发〔2024〕28号 六", ["cross_region_duplicate", "survival_or_identity_anomaly"]),
        ("通辽", date(2024, 9, 1), "人社部发〔2024〕40号 六", ["cross_region_duplicate", "survival_or_identity_anomaly"]),
        ("bingtuan", date(2024, 9, 1), "人社部发〔2024〕40号 六", ["cross_region_duplicate", "survival_or_identity_anomaly"]),
        # 内人社发〔2025〕18号 五 lists its own three (short-term insured claimants too)
        ("通辽", date(2025, 9, 1), "内人社发〔2025〕18号 五", ["cross_region_duplicate", "survival_or_identity_anomaly", "short_term_insured"]),
        ("阳泉", date(2024, 4, 27), None, None),
        ("通辽", date(2023, 7, 1), None, None),
    ],
)
def test_which_document_sets_the_ui_risk_checks(ps, region, on, source, checks):
    p = ps.resolve(region=region, on=on, program="ui_benefit").params.get("risk_checks")
    assert (p.citation() if p else None) == source
    assert (list(p.value) if p else None) == checks


def test_medical_premium_in_inner_mongolia_builds_on_2019(ps):
    res = ps.resolve(region="通辽", on=date(2025, 9, 1), program="ui_medical_premium")
    assert res.document.id == "im-2025-18"
    assert res.params["paid_from_ui_fund"].citation() == "内政发〔2019〕4号 九"
    assert "medical_premium_monthly" in res.region_settings
    assert ps.resolve(region="通辽", on=date(2024, 9, 1), program="ui_medical_premium").document.id == "im-2019-4"
    assert ps.resolve(region="阳泉", on=date(2024, 5, 1), program="ui_medical_premium").document.id == "national-2024-40"
    with pytest.raises(NoPolicyInForce):
        ps.resolve(region="阳泉", on=date(2024, 4, 1), program="ui_medical_premium")


def test_timeline_of_the_sme_refund_rate_in_inner_mongolia(ps):
    entries = ps.timeline("refund_rate_sme", region="内蒙古")
    own = [(e.number, e.value) for e in entries if e.jurisdiction == "150000"]
    assert own == [
        ("内政发〔2019〕4号", Fraction(1, 2)),
        ("内人社办发〔2022〕86号", Fraction(9, 10)),
        ("内人社发〔2025〕18号", Fraction(3, 5)),
    ]
    national = [e for e in entries if e.jurisdiction == "national"]
    assert [(e.number, e.ceiling) for e in national] == [("人社部发〔2024〕40号", True)]
    assert [e.valid_from for e in entries] == sorted(e.valid_from for e in entries)
    assert entries[-1].citation == "内人社发〔2025〕18号 一"


def test_timeline_excludes_other_regions_and_drafts(ps):
    numbers = {e.doc_id for e in ps.timeline("refund_rate_sme", region="阳泉")}
    assert numbers == {"national-2024-40", "shanxi-2024-28"}
    assert "bingtuan-2024-draft" not in {e.doc_id for e in ps.timeline("refund_rate_sme")}
    assert "bingtuan-2024-draft" in {e.doc_id for e in ps.timeline("refund_rate_sme", include_drafts=True)}


def test_unknown_region_is_a_clear_error(ps):
    from wengang.regions import RegionError

    with pytest.raises(RegionError):
        ps.resolve(region="通了", on=date(2025, 1, 1), program="fanhuan")
