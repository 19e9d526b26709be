"""One rule for every recovery (docs/casework.md "Money sent", session 34 audit D1, D2, D5, D6).

The recoveries ordered on a decision, all kinds together, never exceed what it was actually paid (``_sent_paid``);
a 多退少补 recovery (兵团征求意见稿 二(一)) orders what is paid above the entitlement less every recovery already
ordered, any kind; a misuse whose report lowered the entitlement (晋人社厅发〔2024〕28号 五 “要求其退回未使用和拨付部分”)
is not recovered a second time by 多退少补. Before: a resize after a risk flag's recovery recovered more than was
paid (D1); after a misuse, a hand bounce, a re-payment and a credit check the misused part was recovered twice (D2);
a full misuse recovered after a credit check read as 多退少补 "其后重发的款项亦已发出" with no re-payment (D5); a
recovery that waited for the bank and came to nothing said "款项已退回，或已另行追回" when the entitlement had been
raised again (D6). SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from test_s34flag_withdraw import raise_flag
from test_s34recover_sent import bank_file, bank_return, dispatch, recoveries, sound

from wengang.casework.ledger import LedgerError, payment_reference
from wengang.casework.risk_queue import confirm_flag


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def paid_and_credited(led, tmp_path, n: int = 1) -> list[int]:
    ids = to_payable(led, n)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(i, 0): True for i in ids})
    return ids


def net_paid(led, did: int) -> int:
    return sum(p["amount_fen"] for p in led.decision(did)["payments"] if p["fate"] in ("credited", "paid_direct"))


# ------------------------------------------------------------------ D1: a resize after a risk recovery
# 大型: the rules' 30% instead of 60%, 60,000 of the 120,000
@pytest.mark.parametrize(("at_risk", "new", "resize_recovers"), [(100_000, 60_000, 0), (30_000, 60_000, 30_000)])
def test_a_resize_after_a_risk_recovery_never_recovers_more_than_was_paid(ledger, tmp_path, at_risk, new,
                                                                         resize_recovers):
    [did] = paid_and_credited(ledger, tmp_path)
    paid = net_paid(ledger, did)  # 120,000
    out = confirm_flag(ledger, raise_flag(ledger, did, amount_fen=at_risk), "auditor", reason="核实")
    assert out.amount_fen == at_risk
    res = ledger.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert res.new_amount_fen == new
    # 多退少补 orders max(0, paid − every recovery already ordered − the new entitlement)
    got = recoveries(ledger, did)
    assert sum(f for _, f in got) <= paid
    # the flag's check recovers as a misuse by its kind (dispatch_allocation_mismatch), with no lowered entitlement
    assert got == [("dispatch_misuse", at_risk)] + ([("overpayment", resize_recovers)] if resize_recovers else [])
    assert res.recovery_fen == resize_recovers
    if not resize_recovers:  # paid above the new amount, nothing more to recover: said why
        assert res.recovery_id is None and "不低于实际发放金额" in res.no_recovery_zh and res.no_recovery_en
    sound(ledger)


def test_reconcile_finds_recoveries_above_what_was_paid(ledger, tmp_path):
    [did] = paid_and_credited(ledger, tmp_path)
    assert ledger.reconcile()["recovered_above_paid"] == []
    with ledger._tx() as conn:  # a path that would break the rule (none does now)
        ledger._order_recovery(conn, did, "overpayment", net_paid(ledger, did) + 1, "checker", "多退少补")
    rep = ledger.reconcile()
    assert not rep["ok"]
    [bad] = rep["recovered_above_paid"]
    assert bad["decision_id"] == did and "超过实际发放金额" in bad["zh"]


# ------------------------------------------------------------------ D2 / D5: misuse, hand bounce, credit check
def _misuse_bounce_credit(led, tmp_path, misuse: int, repay: bool):
    """The audit's s5 (repay) and s4 (no re-payment): paid in B1, with the bank; misuse reported (the entitlement
    lowered, the recovery waits); bounced by hand (the wait closes on nothing); [account fixed, re-paid the lowered
    entitlement in B2, credited]; then the bank's file says B1 was credited after all and the 复核 confirms it."""
    did = dispatch(led)  # 300,000
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    sent1 = bank_file(led, "B1", tmp_path / "b1")
    assert led.report_dispatch_misuse(did, "clerk", reason="未向用工单位乙拨付", amount_fen=misuse) is None
    assert led.decision(did)["entitlement"]["amount_fen"] == 300_000 - misuse
    [first] = led.decision(did)["payments"]
    led.record_bounce(first["id"], "cashier", reason="开户行电话告知退回")
    if repay:
        cid = led.fix_account(did, "cashier", account_no="6222000077770002")
        led.approve_account(cid, "checker")
        b2 = led.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
        assert b2.amount_fen == 300_000 - misuse
        sent2 = bank_file(led, "B2", tmp_path / "b2")
        bank_return(led, sent2, {payment_reference(did, 1): True})
    back = bank_return(led, sent1, {payment_reference(did, 0): True})
    assert [r["code"] for r in back.refused] == ["paid_after_bounce"]
    return did, led.check_credit_after_bounce(did, "checker", credited=True, reason="开户行书面确认已入账")


def test_misuse_then_bounce_repay_and_credit_check_recovers_the_misused_part_once(ledger, tmp_path):
    did, _ = _misuse_bounce_credit(ledger, tmp_path, 60_000, repay=True)
    got = recoveries(ledger, did)
    # paid 300,000 + 240,000; the firm keeps 240,000 (300,000 less the 60,000 not passed on): 300,000 back, once
    assert sum(f for _, f in got) == 300_000
    assert sorted(got) == [("dispatch_misuse", 60_000), ("overpayment", 240_000)]
    [over] = [r for r in ledger.decision(did)["recoveries"] if r["kind"] == "overpayment"]
    assert f"其后重发的付款 {payment_reference(did, 1)} 亦已发出" in over["reason"]
    sound(ledger)


def test_a_full_misuse_recovered_after_a_credit_check_names_the_misuse_not_a_re_payment(ledger, tmp_path):
    did, res = _misuse_bounce_credit(ledger, tmp_path, 300_000, repay=False)
    [rec] = ledger.decision(did)["recoveries"]
    assert (rec["kind"], rec["amount_fen"]) == ("dispatch_misuse", 300_000)
    assert "晋人社厅发〔2024〕28号 五" in rec["reason"]
    assert "多退少补" not in rec["reason"] and "重发" not in rec["reason"]
    assert res.recovery_id is None  # the credit check's own 多退少补 has nothing left to order
    sound(ledger)


# ------------------------------------------------------------------ D6: why a waiting recovery came to nothing
@pytest.mark.parametrize("credited", [True, False])
def test_a_wait_that_comes_to_nothing_says_why(ledger, tmp_path, credited):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    paid = ledger.decision(did)["payments"][0]["amount_fen"]
    ledger.change_size_class(did, "checker", new_size_class="large", new_amount_fen=60_000, reason="统计部门认定为大型")
    ledger.change_size_class(did, "checker", new_size_class="small", new_amount_fen=paid, reason="复核更正")
    back = bank_return(ledger, sent, {payment_reference(did, 0): credited})
    assert back.recoveries == [{"decision_id": did, "kind": "overpayment", "recovery_id": None, "amount_fen": 0}]
    [why] = back.nothing_why
    assert why["why"] == ("entitlement" if credited else "returned")
    settled = [h for h in ledger.decision(did)["history"] if h["action"] == "recovery_settled"][-1]["reason"]
    assert "款项已退回，或已另行追回" not in settled
    assert ("不低于实际发放金额" if credited else "银行退回") in settled
    sound(ledger)


# ------------------------------------------------------------------ session 37 F1: a resize back with a recovery open
def _balance(led, did: int) -> dict:
    [row] = led.balances(unit_id=led.decision(did)["unit_id"])
    return row


def test_a_resize_back_cancels_the_unreceived_recovery_instead_of_paying_a_top_up(ledger, tmp_path):
    """兵团征求意见稿 二(一) “按最新企业划型数据进行多退少补”: paid 120,000 as 微型 (60%), resized to 大型 (30%: a
    recovery of 60,000 ordered, not received), then back to 微型. The unit holds its whole entitlement: before, a
    top-up of 60,000 was paid while the 60,000 was still claimed back; now the open order is cancelled, nothing is due
    either way, and a receipt for the cancelled order is refused."""
    [did] = paid_and_credited(ledger, tmp_path)
    down = ledger.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert (down.new_amount_fen, down.recovery_fen) == (60_000, 60_000) and down.recovery_id is not None
    up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查仍为微型")
    assert up.new_amount_fen == 120_000
    assert up.cancelled_recovery_ids == [down.recovery_id] and up.cancelled_recovery_fen == 60_000
    assert up.supplement_due_fen == 0 and up.recovery_id is None
    assert ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    assert sum(a for _, a in recoveries(ledger, did)) == 0
    assert _balance(ledger, did)["recovery_outstanding_fen"] == 0
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=60_000)
    assert e.value.code == "recovery_cancelled" and "已撤销" in e.value.zh
    # and down again: a new order for what the unit holds above the entitlement, receivable
    again = ledger.change_size_class(did, "checker", new_size_class="large", reason="再次更正")
    assert again.recovery_fen == 60_000 and again.cancelled_recovery_ids == []
    ledger.record_recovery_receipt(again.recovery_id, "cashier", amount_fen=60_000)
    assert _balance(ledger, did)["recovery_outstanding_fen"] == 0
    sound(ledger)


def test_a_received_recovery_stands_and_the_resize_back_tops_up(ledger, tmp_path):
    """The unit paid the 60,000 back before the resize back: nothing to cancel, a top-up of 60,000 is due and paid."""
    [did] = paid_and_credited(ledger, tmp_path)
    down = ledger.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    ledger.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=60_000)
    up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查仍为微型")
    assert up.cancelled_recovery_ids == [] and up.supplement_due_fen == 60_000
    batch = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (batch.paid, batch.amount_fen) == (1, 60_000)
    sound(ledger)


@pytest.mark.parametrize(("at_risk", "raised"), [(100_000, 40_000), (50_000, 0)])
def test_a_resize_back_raises_the_flag_recovery_its_cancelled_order_had_capped(ledger, tmp_path, at_risk, raised):
    """Second outside look (session 37): paid 120,000, resized to 大型 (a 多退少补 order of 60,000 open), then a risk
    flag of ``at_risk`` confirmed: its recovery is capped at the 60,000 left (recoveries never exceed what was paid).
    Resized back to 微型, the order is cancelled and the flag's recovery is raised to what the confirmation wanted, as
    far as the room allows — the same outcome as with the steps the other way round."""
    [did] = paid_and_credited(ledger, tmp_path)
    ledger.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    out = confirm_flag(ledger, raise_flag(ledger, did, amount_fen=at_risk), "auditor", reason="核实")
    assert out.amount_fen == min(at_risk, 60_000)
    up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查仍为微型")
    assert up.raised_recovery_fen == raised and len(up.raised_recovery_ids) == bool(raised)
    assert up.supplement_due_fen == 0
    flagged = sum(a for k, a in recoveries(ledger, did) if k != "overpayment")
    assert flagged == at_risk  # the flag's finding, in full: the unit keeps 120,000 − at_risk
    [bal] = ledger.balances(unit_id=ledger.decision(did)["unit_id"])
    assert bal["recovery_outstanding_fen"] == at_risk
    # a second resize back and forth raises nothing more
    ledger.change_size_class(did, "checker", new_size_class="large", reason="再次更正")
    again = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查")
    assert again.raised_recovery_fen == 0
    assert sum(a for k, a in recoveries(ledger, did) if k != "overpayment") == at_risk
    sound(ledger)
