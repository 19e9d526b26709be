"""认定政策理解 from the web (session 49): a 待认定 decision that keeps its result under each reading (decisions §135) is
settled on its page, or through ``POST /api/v1/decisions/{id}/readings``, as ``wengang case adopt`` settles it: the
rules' own result under the readings chosen, recorded as 按认定的政策理解核定. Only a role that may resolve sees and posts
the form; a reading the switch does not have, or one left unchosen, is refused in Chinese."""

from __future__ import annotations

import html

from .conftest import RUN, decision

HTML = {"accept": "text/html,application/xhtml+xml"}
SWITCH = "fanhuan.base_payment_date"
PACKED = f"默认:eligible:120000|{SWITCH}=by_period:eligible:138000"


def _pending(web, unit_id: str) -> int:
    web.ledger.import_decisions(RUN, [decision(unit_id, "通辽市测试待认定有限公司", None, status="needs_decision",
                                               readings={SWITCH: "paid_in_year"}, outcomes=PACKED)], "clerk")
    return web.ledger.find(program="fanhuan", year=2025, unit_id=unit_id)


def test_the_caseworker_adopts_a_reading_on_the_page(web):
    did = _pending(web, "91150502MA0N4323X1")
    clerk = web.client("clerk")
    page = html.unescape(clerk.get(f"/decisions/{did}", headers=HTML).text)
    assert 'id="adopt"' in page and f'name="reading:{SWITCH}"' in page, page
    assert 'value="by_period"' in page and "（默认）" in page
    r = clerk.post(f"/decisions/{did}/readings", headers=HTML, follow_redirects=False,
                   data={"csrf_token": clerk.headers["X-CSRF-Token"], f"reading:{SWITCH}": "by_period",
                         "reason": "局务会议纪要〔2025〕3号"})
    assert r.status_code == 303 and r.headers["location"] == f"/decisions/{did}?done=adopted", r.text
    d = web.ledger.decision(did)
    assert d["state"] == "screened" and d["entitlement"]["status"] == "eligible"
    assert d["entitlement"]["amount_fen"] == 138_000, d["entitlement"]
    assert any("局务会议纪要〔2025〕3号" in (h["reason"] or "") for h in d["history"]), d["history"]
    page = html.unescape(clerk.get(f"/decisions/{did}?done=adopted", headers=HTML).text)
    assert "政策理解已认定" in page and 'id="adopt"' not in page  # settled: no form any more


def test_only_a_role_that_may_resolve_sees_or_posts_the_form(web):
    did = _pending(web, "91150502MA0N4324X6")
    for login in ("checker", "cashier"):
        c = web.client(login)
        assert 'id="adopt"' not in c.get(f"/decisions/{did}", headers=HTML).text
        r = c.post(f"/decisions/{did}/readings", headers=HTML,
                   data={"csrf_token": c.headers["X-CSRF-Token"], f"reading:{SWITCH}": "by_period"})
        assert r.status_code == 403, (login, r.status_code)
    assert web.ledger.decision(did)["state"] == "pending_determination"


def test_a_reading_not_chosen_or_not_the_switchs_is_refused(web):
    did = _pending(web, "91150502MA0N4325X0")
    clerk = web.client("clerk")
    token = clerk.headers["X-CSRF-Token"]
    r = clerk.post(f"/decisions/{did}/readings", headers=HTML, data={"csrf_token": token, f"reading:{SWITCH}": ""})
    assert r.status_code == 422 and "请为每个待认定的问题选择一种政策理解" in html.unescape(r.text)
    r = clerk.post(f"/decisions/{did}/readings", headers=HTML, data={"csrf_token": token, f"reading:{SWITCH}": "maybe"})
    assert r.status_code in (409, 422) and "没有“maybe”这种理解" in html.unescape(r.text), r.text
    assert web.ledger.decision(did)["state"] == "pending_determination"


def test_the_json_api_adopts_readings(web):
    did = _pending(web, "91150502MA0N4326X5")
    clerk = web.client("clerk")
    r = clerk.post(f"/api/v1/decisions/{did}/readings", json={"readings": {SWITCH: "paid_in_year"}, "reason": "按默认"})
    assert r.status_code == 200, r.text
    assert r.json() == {"decision_id": did, "status": "eligible", "amount_fen": 120_000, "state": "screened"}
    r = web.client("cashier").post(f"/api/v1/decisions/{did}/readings", json={"readings": {SWITCH: "by_period"}})
    assert r.status_code == 403


def test_the_caseworker_resolves_by_hand_in_yuan(web):
    """人工认定 from the page: the amount in 元 as the agency writes it, read exactly; ineligible needs none."""
    did = _pending(web, "91150502MA0N4327X0")
    clerk = web.client("clerk")
    token = clerk.headers["X-CSRF-Token"]
    page = html.unescape(clerk.get(f"/decisions/{did}", headers=HTML).text)
    assert 'id="resolve"' in page and 'id="adopt"' in page
    r = clerk.post(f"/decisions/{did}/resolution", headers=HTML,
                   data={"csrf_token": token, "verdict": "eligible", "amount_yuan": "1,484.505", "reason": "核实"})
    assert r.status_code == 422 and "认定金额（元）无法读取" in html.unescape(r.text)  # a third decimal: refused
    r = clerk.post(f"/decisions/{did}/resolution", headers=HTML, follow_redirects=False,
                   data={"csrf_token": token, "verdict": "eligible", "amount_yuan": "1,484.50元", "reason": "经核实"})
    assert r.status_code == 303 and r.headers["location"] == f"/decisions/{did}?done=resolved", r.text
    d = web.ledger.decision(did)
    assert d["state"] == "screened" and d["entitlement"] == {**d["entitlement"], "status": "eligible", "amount_fen": 148_450}
    other = _pending(web, "91150502MA0N4328X5")
    cashier = web.client("cashier")
    assert 'id="resolve"' not in cashier.get(f"/decisions/{other}", headers=HTML).text
    r = cashier.post(f"/decisions/{other}/resolution", headers=HTML,
                     data={"csrf_token": cashier.headers["X-CSRF-Token"], "verdict": "ineligible", "reason": "x"})
    assert r.status_code == 403 and "CSRF" not in r.text
    r = clerk.post(f"/api/v1/decisions/{other}/resolution", json={"eligible": False, "reason": "不符合：经核实已注销"})
    assert r.status_code == 200 and r.json() == {"decision_id": other, "state": "not_eligible"}, r.text
