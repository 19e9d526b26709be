"""A reason that waits for a region figure says so wherever its marker (``需经办机构提供地区数据：``) stands, not only at
the start: a reason with a prefix (``理由：…``, a reviewer's or a hold's wording) reads to a unit or person as the bare
reason does — each figure by its short Chinese label, without the setting's operator note in brackets
(``（年；稳岗返还与技能提升补贴共用）``) or the supply hint — and a letter lists it with the figures the agency supplies
(``documents.recipient.region_wait``; 人社部发〔2024〕40号 二, the 基金备付期限 a 稳岗返还 审核 needs). Before, both only
looked at the start of the text."""

from __future__ import annotations

from datetime import date

import pytest

from wengang.documents.letters import compose_letter
from wengang.documents.recipient import REGION_WAIT, labels, recipient_text, region_wait
from wengang.settings import setting_specs, supply_hint

NOTE = "（年；稳岗返还与技能提升补贴共用）"
AGENCY = {
    "name": "通辽市人力资源和社会保障局",
    "review_body": "通辽市人民政府",
    "court": "通辽市科尔沁区人民法院",
}


def _reason(*names: str) -> str:
    """The engine's reason for missing region figures, with the supply hint (``settings.supply_hint``)."""
    specs = setting_specs()
    return (
        REGION_WAIT + "；".join(f"{specs[n].label}（{n}）" for n in names) + "。" + supply_hint(list(names))
    )


def test_the_setting_label_used_here_carries_the_operator_note():
    assert NOTE in setting_specs()["fund_reserve_years"].label  # else this file tests nothing


@pytest.mark.parametrize("prefix", ["", "理由：", "暂缓发放：经审核，"])
def test_a_prefixed_region_wait_reads_as_the_bare_one(prefix: str):
    short = labels()["fund_reserve_years"]
    reason = prefix + _reason("fund_reserve_years")
    said = recipient_text(reason)
    assert said == prefix + REGION_WAIT + short + "。"
    assert NOTE not in said and "--" not in said and "yaml" not in said
    assert recipient_text(said) == said  # idempotent
    assert region_wait(reason) == [short]


def test_two_figures_after_a_prefix():
    names = ("fund_reserve_years", "max_layoff_rate")
    said = recipient_text("理由：" + _reason(*names))
    assert said == "理由：" + REGION_WAIT + "；".join(labels()[n] for n in names) + "。"


def test_other_reasons_are_still_no_region_wait():
    assert region_wait("缺少判定所需数据：参保人数") is None
    assert region_wait("不符合条件") is None


def test_a_letter_lists_a_prefixed_region_wait_as_the_agencys_to_supply():
    decision = {
        "status": "not_determinable", "program_label": "稳岗返还", "subject": "单位", "subject_name": "某公司",
        "policy": {"number": "人社部发〔2024〕40号", "clause": "二"}, "reasons": ["理由：" + _reason("fund_reserve_years")],
        "notes": [], "outcomes": [], "checks": [],
    }  # fmt: skip
    text = compose_letter(decision, AGENCY, issued_on=date(2025, 9, 1)).text()
    assert "由本机构依职责确定，无需你单位提供：" + labels()["fund_reserve_years"] in text, text
    assert NOTE not in text and "补正" not in text and "--" not in text


def test_a_prefixed_missing_facts_reason_is_asked_for_as_the_bare_one():
    """The same for the engine's reason naming the facts a case lacks (``缺少判定所需数据：``,
    ``recipient.missing_facts``): after a prefix its facts are still the 补正 items, not a 说明."""
    from wengang.documents.recipient import missing_facts

    label = labels()["avg_insured_last_year"]
    bare = f"缺少判定所需数据：{label}（avg_insured_last_year）"
    assert missing_facts("理由：" + bare) == missing_facts(bare) == [label]
    decision = {
        "status": "not_determinable", "program_label": "稳岗返还", "subject": "单位", "subject_name": "某公司",
        "policy": {"number": "人社部发〔2024〕40号", "clause": "二"}, "reasons": ["理由：" + bare], "notes": [],
        "outcomes": [], "checks": [],
    }  # fmt: skip
    text = compose_letter(decision, AGENCY, issued_on=date(2025, 9, 1)).text()
    assert f"1. {label}" in text and "补正" in text, text
