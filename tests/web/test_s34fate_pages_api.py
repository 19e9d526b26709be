"""The decision page, the JSON API and the unit's home page say what happened to each payment as the ledger computes
it (``Ledger.decision``'s ``fate``, docs/casework.md "Money sent"), not by reading the tables themselves.

GET /api/v1/decisions/{id}: each payment carries ``fate`` and ``fate_zh`` (the words of the unit's page; a return's
reason as a letter says it for a unit, as recorded for an operator), the account still masked. The unit's home page
(“发放与追回”) and the office dashboard count as 已发放 only money sent: a payment withdrawn before it was sent, or
not yet in a bank file, is shown apart. Before: the API had no fate, and a withdrawn payment read as 已发放 on the
unit's page (counted paid, then again as returned).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.casework.ledger_helpers import PAYDAY
from wengang.documents.masking import mask_account_for_display
from wengang.web.pages.office import FATE_ZH

from .test_s34pages_risk import HTML, _confirm, _flag, _payable_unit_a
from .test_s34portal_payments import _answer, _sent, _unit_sees

AMOUNT = "11,184.30元"


def _api(web: Any, login: str, did: int) -> list[dict[str, Any]]:
    r = web.client(login).get(f"/api/v1/decisions/{did}")
    assert r.status_code == 200, r.text[:500]
    return r.json()["payments"]


def _agree(web: Any, did: int) -> list[str]:
    """The unit's API, the clerk's API and the unit's page against the ledger's fate; the fates."""
    ledger = web.ledger.decision(did)["payments"]
    fates = [p["fate"] for p in ledger]
    for login in ("danwei", "clerk"):
        api = _api(web, login, did)
        assert [(x["id"], x["fate"]) for x in api] == [(p["id"], p["fate"]) for p in ledger]
        for x, p in zip(api, ledger, strict=True):
            assert x["account_no"] == mask_account_for_display(p["account_no"]) != p["account_no"]  # masked
            if x["fate"] != "returned":
                assert x["fate_zh"] == FATE_ZH[x["fate"]]
    table = _unit_sees(web, did)
    for x in _api(web, "danwei", did):
        assert f"|{x['id']}|发放|{AMOUNT}|{x['fate_zh']}|" in table, table
    return fates


def _unit_balances(web: Any) -> str:
    html = web.client("danwei").get("/unit", headers=HTML).text
    at = html.index("<h2>发放与追回</h2>")
    table = html[at : html.index("</table>", at)]
    return re.sub(r"(\s*\|\s*)+", "|", re.sub(r"<[^>]+>", "|", table))


HEAD = "|项目|已发放|其中待银行回盘|退回|追回|净额|待报盘，尚未发放|已撤回，未发放|"


def test_not_sent_then_withdrawn(web):
    did = _payable_unit_a(web)
    assert web.ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    assert _agree(web, did) == ["not_sent"]
    bal = _unit_balances(web)
    assert HEAD in bal and f"|0.00元|0.00元|0.00元|0.00元|0.00元|{AMOUNT}|0.00元|" in bal, bal
    _confirm(web, _flag(web, did, "s34fate-w"))  # the payment, not in a bank file, is withdrawn
    assert _agree(web, did) == ["withdrawn"]
    bal = _unit_balances(web)
    # not 已发放 (before: 11,184.30 under 已发放 and again under 退回)
    assert f"|0.00元|0.00元|0.00元|0.00元|0.00元|0.00元|{AMOUNT}|" in bal, bal
    dash = web.client("clerk").get("/dashboard", headers=HTML).text
    assert re.search(r"已发放</span><span class=\"value\">0\.00元<", dash), dash[:2000]


def test_with_the_bank_then_credited(web, tmp_path: Path):
    did, sent = _sent(web, tmp_path)
    assert _agree(web, did) == ["sent"]
    assert f"|{AMOUNT}|{AMOUNT}|0.00元|0.00元|{AMOUNT}|0.00元|0.00元|" in _unit_balances(web)
    _answer(web, sent, True)
    assert _agree(web, did) == ["credited"]
    assert f"|{AMOUNT}|0.00元|0.00元|0.00元|{AMOUNT}|0.00元|0.00元|" in _unit_balances(web)


def test_returned_says_the_reason_to_each_reader(web, tmp_path: Path):
    did, _ = _sent(web, tmp_path)
    [pay] = web.ledger.decision(did)["payments"]
    web.ledger.record_bounce(pay["id"], "cashier", reason="户名与账号不符（account_name_mismatch）")
    assert _agree(web, did) == ["returned"]
    [unit] = _api(web, "danwei", did)
    [clerk] = _api(web, "clerk", did)
    assert unit["fate_zh"] == "被退回（户名与账号不符）"  # as a letter says it: no office code
    assert clerk["fate_zh"] == "被退回（户名与账号不符（account_name_mismatch））"
    assert f"|{AMOUNT}|0.00元|{AMOUNT}|0.00元|0.00元|0.00元|0.00元|" in _unit_balances(web)
