"""Recoveries other than a risk flag's order only money actually paid (docs/casework.md "Money sent", session 34).

The paths: 划型变更 / 多退少补 (``change_size_class``, 兵团征求意见稿 二(一)), a dispatch firm's misuse
(``report_dispatch_misuse``, 晋人社厅发〔2024〕28号 五 “要求其退回未使用和拨付部分，并取消下一年度申领资格”) and a duplicate
技能提升补贴 / 职业培训补贴 (``recover_duplicate_subsidies``, 兵团征求意见稿 一（三）“按照后享受的单位或个人退回资金的原则”).
Before this change each computed the recovery from every payment row: a payment in a batch and in no bank file
(never sent), or in a bank file and unanswered (fate unknown), was recovered as if paid, and the unsent payment still
went to the bank. Now, for each path: (a) a payment not sent is withdrawn (never in a bank file) and nothing is
recovered; (b) sent and unanswered, the recovery waits for the bank — bounced: nothing, credited: the amount paid;
(c) paid and credited: the recovery as before. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from ledger_helpers import (
    MORE_STAFF,
    PAYDAY,
    STAFF,
    approve_applied_accounts,
    bank_file,
    bank_return,
    decision,
    register_staff,
    to_payable,
)

from wengang.casework import AllocationIn, LedgerError
from wengang.casework.ledger import payment_reference
from wengang.documents.bank import read_bank_file

PERSON = "150102199001011234"


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


# ------------------------------------------------------------------ helpers
def refs(sent) -> list[str]:
    return [p.reference for p in read_bank_file(sent.path).payments]


def recoveries(led, did: int) -> list[tuple[str, int]]:
    return [(r["kind"], r["amount_fen"]) for r in led.decision(did)["recoveries"]]


def sound(led) -> None:
    rep = led.verify_audit()
    assert rep.ok, rep.problems
    assert led.reconcile()["ok"]


def the_payment(led, did: int) -> dict:
    [p] = [p for p in led.decision(did)["payments"] if p["kind"] == "initial"]
    return p


# 划型变更: ``fanhuan`` decision 0 of ledger_helpers, entitled 120,000 fen, lowered to 60,000
LOW = 60_000


def resize_down(led, did: int):
    return led.change_size_class(did, "checker", new_size_class="large", new_amount_fen=LOW, reason="统计部门认定为大型")


# a dispatch firm's refund of 300,000 fen; misuse: 60,000 fen not passed on
MISUSE = 60_000


def dispatch(led) -> int:
    dec = decision(80, unit_name="某劳务派遣有限公司", amount_fen=300_000)
    allocs = [AllocationIn("91150100USER0001", "用工单位甲", 10, 150_000),
              AllocationIn("91150100USER0002", "用工单位乙", 4, 60_000)]
    did = led.apply_dispatch(dec, allocs, "clerk")
    led.first_review(did, "clerk", approve=True, reason="名单备案")
    led.second_review(did, "checker", approve=True, reason="同意")
    led.publicize("gs-d", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    approve_applied_accounts(led)
    return did


def person(program: str, claim: str, amount: int, year: int = 2025):
    return decision(0, unit_id=PERSON, unit_name="张三", program=program, claim_key=claim, amount_fen=amount,
                    payment_channel="personal_account", size_class=None, year=year, clause="二")


def duplicate_pair(led) -> tuple[int, int]:
    """A 职业培训补贴 paid first (on the spot: sent), then a 技能提升补贴 of the same occupation approved, not paid."""
    train = led.self_apply(person("training_subsidy", "6-07-06-05:4", 80_000), "clerk")
    led.first_review(train, "clerk", approve=True, reason="ok")
    led.second_review(train, "checker", approve=True, reason="ok")
    approve_applied_accounts(led)
    led.pay_decision(train, "cashier", today=PAYDAY)
    skill = led.apply_skill_subsidy(person("skill_subsidy", "6-07-06-05:4", 150_000), "clerk")
    led.first_review(skill, "clerk", approve=True, reason="ok")
    led.second_review(skill, "checker", approve=True, reason="ok")
    approve_applied_accounts(led)
    return train, skill


# ------------------------------------------------------------------ 划型变更 / 多退少补
def test_resize_a_payment_not_sent_is_withdrawn_and_the_new_amount_paid_instead(ledger, tmp_path):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    pay = the_payment(ledger, did)
    res = resize_down(ledger, did)
    # nothing recovered for money that never left; the payment above the new entitlement never goes out
    assert res.recovery_id is None and recoveries(ledger, did) == []
    assert res.withdrawn == [pay["id"]] and res.awaiting_bank == [] and not res.supplement_due_fen
    assert ledger.decision(did)["state"] == "publicized"
    assert ledger.bank_file_plan("B1")["payments"] == []
    assert bank_file(ledger, "B1", tmp_path / "b1") is None
    # the next batch pays the new entitlement, once
    b2 = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (b2.paid, b2.amount_fen, b2.supplements) == (1, LOW, 0)
    sent = bank_file(ledger, "B2", tmp_path / "b2")
    assert refs(sent) == [payment_reference(did, 1)]
    bank_return(ledger, sent, {payment_reference(did, 1): True})
    [b] = ledger.balances(unit_id=decision(0).unit_id)
    assert b["net_fen"] == LOW and b["recovery_due_fen"] == 0
    sound(ledger)


@pytest.mark.parametrize("credited", [False, True])
def test_resize_sent_unanswered_waits_for_the_bank(ledger, tmp_path, credited):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    ref = payment_reference(did, 0)
    paid = the_payment(ledger, did)["amount_fen"]
    res = resize_down(ledger, did)
    assert res.recovery_id is None and res.withdrawn == [] and res.awaiting_bank == [ref]
    assert recoveries(ledger, did) == [] and [w["kind"] for w in ledger.decision(did)["recovery_pending"]] == [
        "overpayment"]
    back = bank_return(ledger, sent, {ref: credited})
    if credited:
        [r] = back.recoveries
        assert (r["decision_id"], r["kind"], r["amount_fen"]) == (did, "overpayment", paid - LOW) and r["recovery_id"]
        assert recoveries(ledger, did) == [("overpayment", paid - LOW)]
    else:
        assert back.recoveries == [{"decision_id": did, "kind": "overpayment", "recovery_id": None, "amount_fen": 0}]
        assert recoveries(ledger, did) == [] and ledger.decision(did)["state"] == "bounced"
    assert ledger.decision(did)["recovery_pending"] == []
    # the same return again settles nothing twice
    assert bank_return(ledger, sent, {ref: credited}).recoveries == []
    assert len(recoveries(ledger, did)) == int(credited)
    sound(ledger)


def test_resize_paid_and_credited_recovers_as_before(ledger, tmp_path):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    bank_return(ledger, sent, {payment_reference(did, 0): True})
    paid = the_payment(ledger, did)["amount_fen"]
    res = resize_down(ledger, did)
    assert res.recovery_id and res.diff_fen == LOW - paid
    assert recoveries(ledger, did) == [("overpayment", paid - LOW)]
    assert not getattr(res, "withdrawn", None) and not getattr(res, "awaiting_bank", None)
    sound(ledger)


def test_resize_an_unsent_top_up_above_the_new_entitlement_is_withdrawn(ledger, tmp_path):
    [did] = to_payable(ledger, 1)
    resize_down(ledger, did)  # 大型 (30%): 60,000 paid and credited
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path / "b1")
    bank_return(ledger, sent, {payment_reference(did, 0): True})
    ledger.change_size_class(did, "checker", new_size_class="micro", reason="划型更正")  # 60%: 60,000 more due
    ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)  # the top-up, not sent
    [top] = [p for p in ledger.decision(did)["payments"] if p["kind"] == "supplement"]
    res = ledger.change_size_class(did, "checker", new_size_class="large", reason="复核：仍为大型")
    # the 60,000 top-up would pay 60,000 too much: withdrawn; nothing due, nothing recovered
    assert res.recovery_id is None and res.supplement_due_fen == 0 and res.withdrawn == [top["id"]]
    assert ledger.bank_file_plan("B2")["payments"] == []
    b3 = ledger.run_payment_batch("B3", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (b3.supplements, b3.supplement_fen) == (0, 0)
    assert recoveries(ledger, did) == []
    sound(ledger)


# ------------------------------------------------------------------ dispatch firm's misuse
def test_misuse_a_payment_not_sent_is_withdrawn_and_the_part_to_return_never_paid(ledger, tmp_path):
    did = dispatch(ledger)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    pay = the_payment(ledger, did)
    assert ledger.report_dispatch_misuse(did, "clerk", reason="未按规定拨付用工单位乙", amount_fen=MISUSE) is None
    assert recoveries(ledger, did) == []
    d = ledger.decision(did)
    assert d["state"] == "publicized" and d["entitlement"]["amount_fen"] == 300_000 - MISUSE
    assert "withdraw_payment" in [h["action"] for h in d["history"]]
    assert ledger.bank_file_plan("B1")["payments"] == [] and bank_file(ledger, "B1", tmp_path / "b1") is None
    # reported again: nothing more; disqualified next year all the same
    assert ledger.report_dispatch_misuse(did, "clerk", reason="again", amount_fen=MISUSE) is None
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(decision(80, year=2026), "clerk")
    assert e.value.code == "disqualified"
    # the next batch pays what the firm keeps, never the part to return
    b2 = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    assert (b2.paid, b2.amount_fen) == (1, 300_000 - MISUSE)
    sent = bank_file(ledger, "B2", tmp_path / "b2")
    assert refs(sent) == [payment_reference(did, 1)] and pay["id"] != the_payment_ids(ledger, did)[-1]
    sound(ledger)


def the_payment_ids(led, did: int) -> list[int]:
    return [p["id"] for p in led.decision(did)["payments"]]


@pytest.mark.parametrize("credited", [False, True])
def test_misuse_sent_unanswered_waits_for_the_bank(ledger, tmp_path, credited):
    did = dispatch(ledger)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    sent = bank_file(ledger, "B1", tmp_path)
    ref = payment_reference(did, 0)
    assert ledger.report_dispatch_misuse(did, "clerk", reason="截留", amount_fen=MISUSE) is None
    assert recoveries(ledger, did) == []
    assert [w["kind"] for w in ledger.decision(did)["recovery_pending"]] == ["dispatch_misuse"]
    back = bank_return(ledger, sent, {ref: credited})
    [r] = back.recoveries
    assert (r["kind"], r["amount_fen"], bool(r["recovery_id"])) == ("dispatch_misuse", MISUSE if credited else 0,
                                                                     credited)
    assert recoveries(ledger, did) == ([("dispatch_misuse", MISUSE)] if credited else [])
    if credited:  # idempotent as before
        assert ledger.report_dispatch_misuse(did, "clerk", reason="again", amount_fen=MISUSE) == r["recovery_id"]
    else:  # bounced: after the account is fixed, the re-payment pays only what the firm keeps
        assert ledger.decision(did)["state"] == "bounced"
        cid = ledger.fix_account(did, "cashier", account_no="6222000099990000")
        ledger.approve_account(cid, "checker")
        b2 = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
        assert b2.amount_fen == 300_000 - MISUSE
    sound(ledger)


def test_misuse_paid_and_credited_recovers_as_before(ledger, tmp_path):
    did = dispatch(ledger)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    sent = bank_file(ledger, "B1", tmp_path)
    bank_return(ledger, sent, {payment_reference(did, 0): True})
    rid = ledger.report_dispatch_misuse(did, "clerk", reason="截留", amount_fen=MISUSE)
    assert rid and recoveries(ledger, did) == [("dispatch_misuse", MISUSE)]
    assert ledger.report_dispatch_misuse(did, "clerk", reason="again", amount_fen=MISUSE) == rid
    d = ledger.decision(did)
    assert d["entitlement"]["amount_fen"] == 300_000 and not d.get("recovery_pending")
    sound(ledger)


# ------------------------------------------------------------------ duplicate subsidies
def test_duplicate_a_payment_not_sent_is_withdrawn_and_never_paid(ledger, tmp_path):
    train, skill = duplicate_pair(ledger)
    ledger.run_payment_batch("B1", "skill_subsidy", 2025, "cashier", today=PAYDAY)
    pay = the_payment(ledger, skill)
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []
    assert recoveries(ledger, skill) == [] and recoveries(ledger, train) == []
    d = ledger.decision(skill)
    assert d["state"] == "approved" and d["entitlement"]["amount_fen"] == 0
    assert ledger.bank_file_plan("B1")["payments"] == [] and bank_file(ledger, "B1", tmp_path) is None
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []  # again: nothing
    # never paid again: its entitlement is nil
    assert ledger.run_payment_batch("B2", "skill_subsidy", 2025, "cashier", today=PAYDAY).paid == 0
    assert the_payment_ids(ledger, skill) == [pay["id"]]
    sound(ledger)


@pytest.mark.parametrize("credited", [False, True])
def test_duplicate_sent_unanswered_waits_for_the_bank(ledger, tmp_path, credited):
    train, skill = duplicate_pair(ledger)
    ledger.run_payment_batch("B1", "skill_subsidy", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    ref = payment_reference(skill, 0)
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []
    assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == []  # again: one wait, not two
    assert [w["kind"] for w in ledger.decision(skill)["recovery_pending"]] == ["duplicate_subsidy"]
    assert recoveries(ledger, skill) == []
    back = bank_return(ledger, sent, {ref: credited})
    [r] = back.recoveries
    assert (r["decision_id"], r["amount_fen"], bool(r["recovery_id"])) == (skill, 150_000 if credited else 0, credited)
    assert recoveries(ledger, skill) == ([("duplicate_subsidy", 150_000)] if credited else [])
    assert recoveries(ledger, train) == []
    if credited:
        assert ledger.recover_duplicate_subsidies(PERSON, "clerk") == [r["recovery_id"]]
    sound(ledger)


def test_duplicate_paid_and_credited_recovers_as_before(ledger, tmp_path):
    train, skill = duplicate_pair(ledger)
    ledger.run_payment_batch("B1", "skill_subsidy", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    bank_return(ledger, sent, {payment_reference(skill, 0): True})
    rec = ledger.recover_duplicate_subsidies(PERSON, "clerk")
    assert len(rec) == 1 and ledger.recover_duplicate_subsidies(PERSON, "clerk") == rec
    assert recoveries(ledger, skill) == [("duplicate_subsidy", 150_000)] and recoveries(ledger, train) == []
    assert ledger.decision(skill)["entitlement"]["amount_fen"] == 150_000
    sound(ledger)
