"""The 复核's queue lists credits the bank reported after a bounce and records the check
(``Ledger.check_credit_after_bounce``) through ``POST /queues/review/credit-check``; the bank-file page counts a
return the check found void as the ledger does (``Ledger._returned``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.casework.ledger_helpers import PAYDAY, to_payable
from wengang.casework.ledger import BankReturnLine
from wengang.casework.outputs import write_bank_file
from wengang.documents.bank import read_bank_file

HTML = {"accept": "text/html,application/xhtml+xml"}
ROUTE = "/queues/review/credit-check"


@pytest.fixture
def alarm(web: Any, tmp_path: Path) -> dict[str, Any]:
    """Two decisions paid and sent in B1; the first bounced by hand by the 出纳, then the bank's return says both
    were credited: an open credit-after-bounce alarm on the first."""
    led = web.ledger
    ids = to_payable(led, 2)
    assert led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    plan = led.bank_file_plan("B1")["payments"]
    led.set_payee_banks({p["account_no"]: "102191000019" for p in plan}, "cashier")
    sent = write_bank_file(
        led, "B1", tmp_path / "b1", "cashier", payer_account="15001234567890123456", on=PAYDAY
    )
    assert sent is not None
    p0 = next(p for p in led.decision(ids[0])["payments"] if p["seq"] == 0)
    led.record_bounce(p0["id"], "cashier", reason="单位称账户已销户")
    lines = [
        BankReturnLine(n, p.reference, True, p.amount_fen, p.account, "")
        for n, p in enumerate(read_bank_file(sent.path).payments, 2)
    ]
    res = led.apply_bank_return(sent.file_key, lines, "cashier", sha256="a" * 64, bank_date=PAYDAY)
    assert [r["code"] for r in res.refused] == ["paid_after_bounce"]
    return {"did": ids[0], "payment_id": p0["id"], "file_key": sent.file_key, "amount": p0["amount_fen"]}


def _post(client: Any, **data: Any) -> Any:
    return client.post(
        ROUTE,
        data={"csrf_token": client.headers["X-CSRF-Token"], **data},
        headers=HTML,
        follow_redirects=False,
    )


def test_queue_lists_the_alarm_with_both_outcomes(web, alarm):
    did = alarm["did"]
    r = web.client("checker").get("/queues/review", headers=HTML)
    assert r.status_code == 200
    assert "待核实的退回后入账（可能重复支付）（1）" in r.text
    assert f'name="decision_id" value="{did}"' in r.text and f"<code>{did}-0</code>" in r.text
    assert (
        'value="credited">已入账（退回作废）' in r.text
        and 'value="corrected" class="secondary">银行更正（退回成立）' in r.text
    )
    assert re.search(r'name="reason" required', r.text)
    # only the 复核 acts on it: the 经办's queue does not show it, and the route refuses other roles
    assert "待核实的退回后入账" not in web.client("clerk").get("/queues/review", headers=HTML).text
    for login in ("cashier", "clerk", "auditor"):
        assert _post(web.client(login), decision_id=did, verdict="credited", reason="x").status_code == 403
    assert web.ledger.decision(did)["credit_alarms"]  # nothing recorded


def test_credited_voids_the_return_and_the_bank_file_page_agrees(web, alarm):
    did, checker = alarm["did"], web.client("checker")
    # a reason is required, and the verdict is one of the two
    r = _post(checker, decision_id=did, verdict="credited", reason="")
    assert r.status_code == 422 and "请填写“核实情况”" in r.text
    r = _post(checker, decision_id=did, verdict="maybe", reason="银行确认")
    assert r.status_code == 422 and "已入账（退回作废）" in r.text
    assert web.ledger.decision(did)["state"] == "bounced"

    r = _post(
        checker,
        decision_id=did,
        payment_id=alarm["payment_id"],
        verdict="credited",
        reason="银行书面确认：原付款已于当日入账",
    )
    assert r.status_code == 303 and r.headers["location"] == "/queues/review?done=credit_confirmed"
    d = web.ledger.decision(did)
    assert d["state"] == "paid" and d["credit_alarms"] == []
    last = d["history"][-1]
    assert (last["action"], last["actor"]) == ("bank_credit_confirmed", "checker")
    assert "原付款已于当日入账" in last["reason"]
    shown = checker.get("/queues/review?done=credit_confirmed", headers=HTML).text
    assert "待核实的退回后入账（可能重复支付）（0）" in shown and "银行入账属实，退回作废" in shown
    # recorded once: a second post is refused by the ledger
    assert _post(checker, decision_id=did, verdict="corrected", reason="再次").status_code == 409

    # the bank-file page: the void return is not counted back, so nothing is outstanding (was −1 before)
    page = checker.get("/bank-files", headers=HTML).text
    row = next(tr for tr in re.findall(r"<tr>.*?</tr>", page, re.S) if alarm["file_key"] in tr)
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    assert cells[-3].startswith("2 笔") and cells[-2].startswith("0 笔") and cells[-1] == "0"
    assert "退回作废" in page
    rec = web.ledger.reconcile()
    assert rec["ok"] and rec["voided_returns_fen"] == alarm["amount"]


def test_corrected_keeps_the_return_and_lifts_the_stop(web, alarm):
    did = alarm["did"]
    r = _post(web.client("checker"), decision_id=did, verdict="corrected", reason="银行来函更正：该笔未入账")
    assert r.status_code == 303 and r.headers["location"] == "/queues/review?done=credit_corrected"
    d = web.ledger.decision(did)
    assert d["state"] == "bounced" and d["credit_alarms"] == []
    assert d["history"][-1]["action"] == "bank_credit_corrected"
    [b] = web.ledger.balances(unit_id=d["unit_id"])
    assert b["returned_fen"] == alarm["amount"]
