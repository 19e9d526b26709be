"""The decision page shows what the ledger now keeps (decisions §135): the 返还基数 the amount was computed from, and a 待认定
decision's result under each understanding — the lines its 告知书 lists — to the caseworker and to the unit alike."""

from __future__ import annotations

import html

from .conftest import RUN, UNIT_A, decision


def _page(web, login: str, did: int) -> str:
    r = web.client(login).get(f"/decisions/{did}")
    assert r.status_code == 200, r.text
    return html.unescape(r.text)


def test_the_page_states_the_refund_base(web):
    did = web.ids[UNIT_A]
    assert "返还基数" not in _page(web, "clerk", did)  # imported without one: nothing stated
    other = "91150502MA0N4321X0"
    web.ledger.import_decisions(RUN, [decision(other, "通辽市测试基数有限公司", 111_843, base_fen=186_405)], "clerk")
    did = web.ledger.find(program="fanhuan", year=2025, unit_id=other)
    page = _page(web, "clerk", did)
    assert 'id="refund-base"' in page and "1,864.05" in page, page


def test_a_pending_decision_shows_each_readings_result(web):
    other = "91150502MA0N4322X9"
    packed = "默认:eligible:120000|fanhuan.base_payment_date=by_period:eligible:138000"
    web.ledger.import_decisions(RUN, [decision(other, "通辽市测试待认定有限公司", None, status="needs_decision",
                                               readings={"fanhuan.base_payment_date": "paid_in_year"},
                                               outcomes=packed)], "clerk")
    did = web.ledger.find(program="fanhuan", year=2025, unit_id=other)
    page = _page(web, "clerk", did)
    assert 'id="reading-results"' in page, page
    assert "符合条件，金额人民币1,200.00元" in page and "符合条件，金额人民币1,380.00元" in page, page
