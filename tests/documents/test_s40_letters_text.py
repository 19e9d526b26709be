"""A letter (告知书/决定书) names each understanding it lists, titles a 无法判定 notice as such, and cites the clause of
every figure it states (audit of explanations and citations, session 40: ``1. 按第1种理解：…``, a 无法判定 case headed
``待认定事项告知书``, ``领取期限：21个月`` without 条例 第十七条 among ``审核依据的条款``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from tests.programs.test_cases import CASES
from wengang.documents.letters import compose_letter
from wengang.evaluate import evaluate
from wengang.rules import interpretations

AGENCY = {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府", "court": "通辽市科尔沁区人民法院"}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _decision(case_id: str) -> dict[str, Any]:
    case = next(c for i, c in CASES if i.split(" ", 1)[0] == case_id)
    on = case["date"] if isinstance(case["date"], date) else date.fromisoformat(case["date"])
    d = evaluate(case["program"], str(case["region"]), on, case["facts"], readings=case.get("readings"),
                 settings=case.get("settings"), include_drafts=case.get("drafts", False)).to_dict()  # fmt: skip
    d["subject_name"] = d["subject_name"] or "某申请人"
    return d


def test_d8_each_understanding_is_named() -> None:
    for case_id, switch in (("fanhuan[21]", "fanhuan.months_fully_paid"), ("fanhuan[34]", None)):
        d = _decision(case_id)
        assert d["status"] == "needs_decision"
        text = compose_letter(d, AGENCY).text()
        assert "按第1种理解" not in text and "按第2种理解" not in text, text
        if switch:
            sw = interpretations.get(switch)
            for key in sw.readings:
                assert sw.describe(key) in text, (key, text)


def test_d8_a_notice_for_missing_region_data_is_titled_not_determinable() -> None:
    d = _decision("deferral[9]")  # 无法判定: the agency's region figure
    assert d["status"] == "not_determinable"
    letter = compose_letter(d, AGENCY)
    assert "待认定" not in letter.title and "无法判定" in letter.title, letter.title


def test_d11_a_figure_the_letter_states_cites_its_clause() -> None:
    facts = json.loads((EXAMPLES / "people/ui_benefit_reclaim.json").read_text("utf-8"))
    meta = facts.pop("_case")
    d = evaluate(meta["program"], str(meta["region"]), date.fromisoformat(meta["date"]), facts).to_dict()
    assert d["status"] == "eligible"
    text = compose_letter(d, AGENCY).text()
    assert "领取期限：21个月" in text
    basis = next(p for p in text.splitlines() if p.startswith("审核依据的条款"))
    assert "国务院令第258号 第十七条" in basis, basis
