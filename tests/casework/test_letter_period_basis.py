"""A letter names a reading by its description, never by its switch: evaluate's period basis
``（description；解释开关 name）`` loses the name, and the older ``（解释开关 name=key）`` goes as a whole."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from tests.docs.text_checks import codes_in

from wengang.casework.intake import decision_from_obj
from wengang.casework.outputs import letter_input
from wengang.documents.letters import compose_letter
from wengang.evaluate import evaluate
from wengang.rules import interpretations

AGENCY = {
    "name": "通辽市人力资源和社会保障局",
    "review_body": "通辽市人民政府",
    "court": "通辽市科尔沁区人民法院",
}
MONTH_IN_FORCE = "monthly_benefit.month_in_force"
SWITCH_NAME = re.compile(r"[A-Za-z_]+\.[A-Za-z_]+")


def _view(reasons: list[str], explanation: str) -> dict[str, Any]:
    return {
        "id": 1, "program": "ui_price_subsidy", "unit_id": "152301199001010015", "unit_name": "某人",
        "policy_doc": "无有效政策", "clause": "—", "explanation": explanation, "reviews": [], "history": [],
        "year": 2025, "entitlement": {"amount_fen": None}, "reasons": reasons, "disqualification": None,
        "status": "ineligible", "state": "not_eligible",
    }  # fmt: skip


def _letter(view: dict[str, Any]) -> str:
    item = letter_input(view)
    assert item is not None
    return "\n".join(compose_letter(item, AGENCY, issued_on=date(2025, 9, 1)).paragraphs)


def test_a_refusal_quoting_the_period_basis_keeps_the_description_and_drops_the_switch() -> None:
    # a benefit month no document covers: the refusal's reasons end with the basis (evaluate.no_policy_outcome)
    d = evaluate(
        "ui_price_subsidy", "150500", date(2025, 9, 1),
        {"id_number": "152301199001010015", "benefit_month": "2018-06-01"},
        settings={"price_subsidy_monthly": "35元"},
    )  # fmt: skip
    described = interpretations.get(MONTH_IN_FORCE).describe("month_end")
    assert d.reasons[-1].endswith(f"（{described}；解释开关 {MONTH_IN_FORCE}）"), d.reasons
    dec = decision_from_obj(json.loads(json.dumps(d.to_dict(), default=str)))
    letter = _letter(_view(dec.reasons, dec.explanation))
    assert f"（{described}）" in letter  # the reading, in Chinese
    assert "解释开关" not in letter and MONTH_IN_FORCE not in letter
    assert not SWITCH_NAME.search(letter) and codes_in(letter) == [], letter


def test_the_older_form_is_still_stripped() -> None:
    old = "按审核日期 2025-08-01 确定适用的政策（解释开关 policy.period_date=application）"
    letter = _letter(_view([old], "判定结论：不符合条件\n理由：" + old))
    assert "按审核日期 2025-08-01 确定适用的政策" in letter
    assert "解释开关" not in letter and not SWITCH_NAME.search(letter), letter
