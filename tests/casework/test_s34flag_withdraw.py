"""A risk flag confirmed after its decision's payment was created (人社部发〔2024〕40号 六 “在待遇审核和发放环节加强数据比对，
严防冒领、骗取基金和多发待遇风险”; 内人社发〔2025〕18号 五 “切实防范冒领骗取和多发错发”).

Money sent (docs/casework.md): a payment is sent once its bank file is written for the bank (or when made outside a
batch); until the bank answers it is sent and unanswered; a bounce makes it not paid, a credit paid. Before session 34
a flag confirmed for a payment still in its batch left the payment held with no way to withdraw it, and ordered a
recovery for money never sent (computed from every payment row). Now ``risk confirm`` withdraws what was not sent,
waits for the bank's answer on what is with the bank, and recovers only what was actually paid. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from ledger_helpers import (
    MORE_STAFF,
    PAYDAY,
    STAFF,
    bank_file,
    bank_return,
    raise_flag,
    register_staff,
    to_payable,
)
from sqlalchemy import text
from typer.testing import CliRunner

from wengang.casework.ledger import payment_reference
from wengang.casework.risk_queue import confirm_flag
from wengang.documents.bank import read_bank_file


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def actions(led, did: int) -> list[str]:
    return [h["action"] for h in led.decision(did)["history"]]


def sound(led) -> None:
    rep = led.verify_audit()
    assert rep.ok, rep.problems
    assert led.reconcile()["ok"]


def test_a_flag_confirmed_before_the_bank_file_withdraws_the_payment_and_recovers_nothing(ledger, tmp_path):
    # screen/import → approve → publicize → payment batch → (flag raised) → confirm
    ids = to_payable(ledger, 2)
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    [pay] = ledger.decision(ids[0])["payments"]
    fid = raise_flag(ledger, ids[0])
    out = confirm_flag(ledger, fid, "auditor", reason="核实：未全额拨付")
    # withdrawn, named by the flag; no recovery for money never sent
    assert out.recovery_id is None and out.amount_fen is None and ledger.decision(ids[0])["recoveries"] == []
    assert out.withdrawn == [pay["id"]]
    assert "撤回" in out.note_zh and "withdrawn" in out.note_en
    d = ledger.decision(ids[0])
    assert d["recoveries"] == [] and d["state"] == "publicized"  # back to where it was before the payment
    assert d["top_up_bounced"] is None
    assert actions(ledger, ids[0])[-1] == "withdraw_payment"
    with ledger.engine.connect() as c:
        ev = c.execute(text("select after from case_audit_events where action = 'withdraw_payment' "
                            "and entity = 'case_payment_returns'")).scalar_one()
    assert json.loads(ev)["flag_id"] == fid and json.loads(ev)["payment_ids"] == [pay["id"]]
    # no bank-file line, ever: not even held
    plan = ledger.bank_file_plan("B1")
    assert [p["decision_id"] for p in plan["payments"]] == [ids[1]] and plan["held"] == []
    sent = bank_file(ledger, "B1", tmp_path)
    assert sent.count == 1 and [p.reference for p in read_bank_file(sent.path).payments] == [
        payment_reference(ids[1], 0)]
    assert ledger.bank_file_plan("B1")["payments"] == []
    # never paid again while the flag stands (confirmed: never cleared)
    res = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.risk_confirmed) == (0, 1)
    [b] = ledger.balances(unit_id=d["unit_id"])
    assert b["net_fen"] == 0 and b["recovery_due_fen"] == 0
    # a letter does not mention a payment that never left
    assert ledger.letter_view(ids[0])["payments"] == []
    # the caseworker turns it down with the commands that exist
    ledger.hold(ids[0], "clerk", reason=f"风险疑点 {fid} 已核实")
    sound(ledger)


def test_exported_unanswered_then_bounced_recovers_nothing(ledger, tmp_path):
    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    fid = raise_flag(ledger, ids[0])
    out = confirm_flag(ledger, fid, "auditor", reason="核实")
    ref = payment_reference(ids[0], 0)
    assert out.recovery_id is None and out.withdrawn == [] and out.awaiting_bank == [ref]
    assert "尚未回盘" in out.note_zh and "unanswered" in out.note_en
    assert ledger.decision(ids[0])["recoveries"] == [] and ledger.decision(ids[0])["state"] == "paid"
    assert "risk_recovery_pending" in actions(ledger, ids[0])
    res = bank_return(ledger, sent, {ref: False})
    assert [b["reference"] for b in res.bounced] == [ref]
    assert res.risk_recoveries == [{"decision_id": ids[0], "flag_id": fid, "recovery_id": None, "amount_fen": 0}]
    assert ledger.decision(ids[0])["recoveries"] == []
    assert actions(ledger, ids[0]).count("risk_recovery_settled") == 1
    sound(ledger)


def test_exported_unanswered_then_credited_orders_the_recovery_then(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    fid = raise_flag(ledger, ids[0], amount_fen=None)  # no amount at risk: everything actually paid
    out = confirm_flag(ledger, fid, "auditor", reason="核实")
    assert out.recovery_id is None and ledger.decision(ids[0])["recoveries"] == []
    paid = ledger.decision(ids[0])["payments"][0]["amount_fen"]
    res = bank_return(ledger, sent, {payment_reference(i, 0): True for i in ids})
    [r] = res.risk_recoveries
    assert r["decision_id"] == ids[0] and r["amount_fen"] == paid and r["recovery_id"]
    assert [(x["kind"], x["amount_fen"]) for x in ledger.decision(ids[0])["recoveries"]] == [("dispatch_misuse", paid)]
    assert ledger.decision(ids[1])["recoveries"] == []
    # the same return file again settles nothing twice
    again = bank_return(ledger, sent, {payment_reference(i, 0): True for i in ids})
    assert again.risk_recoveries == [] and len(ledger.decision(ids[0])["recoveries"]) == 1
    sound(ledger)


def test_the_recovery_is_what_was_actually_paid_not_the_entitlement(ledger, tmp_path):
    ids = to_payable(ledger, 1)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")  # 30%: half
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    paid = ledger.decision(ids[0])["payments"][0]["amount_fen"]
    bank_return(ledger, sent, {payment_reference(ids[0], 0): True})
    ledger.change_size_class(ids[0], "checker", new_size_class="small", reason="重新核定")  # the other half due
    ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)  # the top-up, not in a bank file yet
    [top] = [p for p in ledger.decision(ids[0])["payments"] if p["kind"] == "supplement"]
    fid = raise_flag(ledger, ids[0])
    out = confirm_flag(ledger, fid, "auditor", reason="核实", amount_fen=10_000_000)
    # the unsent top-up is withdrawn; the recovery is the credited payment, not the entitlement (paid + 30,000)
    assert out.amount_fen == paid and out.withdrawn == [top["id"]]
    d = ledger.decision(ids[0])
    assert d["state"] == "paid" and d["top_up_bounced"] is None
    assert [r["amount_fen"] for r in d["recoveries"]] == [paid]
    assert ledger.bank_file_plan("B2")["payments"] == [] and ledger.bank_file_plan("B2")["held"] == []
    sound(ledger)


def test_a_forged_withdrawal_event_is_found(ledger):
    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    from wengang.casework import audit

    # a decision moved back from paid by an event that names a withdrawal, with no payment withdrawn
    with ledger._tx() as conn:
        conn.execute(text("update case_decisions set state = 'publicized', version = version + 1 where id = :i"),
                     {"i": ids[0]})
        audit.append(conn, actor="auditor", action="withdraw_payment", entity="case_decisions", entity_id=ids[0],
                     before={"state": "paid"}, after={"state": "publicized"})
    rep = ledger.verify_audit()
    assert not rep.ok and any("withdraw_payment" in i.zh and str(ids[0]) in i.zh for i in rep.issues)


def test_a_withdrawn_decision_row_edited_back_to_paid_is_found(ledger):
    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    confirm_flag(ledger, raise_flag(ledger, ids[0]), "auditor", reason="核实")
    sound(ledger)
    with ledger.engine.begin() as c:
        c.execute(text("update case_decisions set state = 'paid' where id = :i"), {"i": ids[0]})
    rep = ledger.verify_audit()
    assert not rep.ok and any("state" in i.en and "publicized" in i.en for i in rep.issues)


def _url(db) -> str:
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def test_risk_confirm_says_what_it_did_in_both_languages(ledger, db):
    from wengang.risk.cli import risk_app

    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    fid = raise_flag(ledger, ids[0])
    r = CliRunner().invoke(risk_app, ["confirm", str(fid), "--reason", "核实：未全额拨付", "--db", _url(db),
                                      "-u", "auditor"])
    assert r.exit_code == 0, r.output
    out = re.sub(r"\s+", " ", r.output)
    assert "已撤回未报盘的付款" in out and "unsent payments" in out and "withdrawn" in out
    assert ledger.bank_file_plan("B1")["payments"] == [] and ledger.decision(ids[0])["recoveries"] == []


def test_a_withdrawn_re_payment_goes_back_to_account_fixed(ledger, tmp_path):
    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    bank_return(ledger, sent, {payment_reference(ids[0], 0): False})
    ledger.approve_account(ledger.fix_account(ids[0], "cashier", account_no="6222000099990000"), "checker")
    assert ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1  # <id>-1, not sent
    out = confirm_flag(ledger, raise_flag(ledger, ids[0]), "auditor", reason="核实")
    # the first payment came back, the second never left: nothing to recover
    assert out.recovery_id is None and len(out.withdrawn) == 1
    d = ledger.decision(ids[0])
    assert d["state"] == "account_fixed" and d["recoveries"] == []
    assert ledger.bank_file_plan("B2")["payments"] == []
    sound(ledger)


def test_a_bounce_by_hand_later_found_credited_orders_the_recovery(ledger, tmp_path):
    ids = to_payable(ledger, 1)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path)
    fid = raise_flag(ledger, ids[0])
    assert confirm_flag(ledger, fid, "auditor", reason="核实").recovery_id is None  # waits for the bank
    [pay] = ledger.decision(ids[0])["payments"]
    ledger.record_bounce(pay["id"], "cashier", reason="开户行电话告知退回")  # the office's answer: nothing to recover
    assert ledger.decision(ids[0])["recoveries"] == [] and ledger.decision(ids[0])["risk_recovery_pending"] == []
    # the bank's file says credited after all: the 复核 checks it, and the flag's recovery is ordered on what is paid
    res = bank_return(ledger, sent, {payment_reference(ids[0], 0): True})
    assert [r["code"] for r in res.refused] == ["paid_after_bounce"]
    ledger.check_credit_after_bounce(ids[0], "checker", credited=True, reason="开户行书面确认已入账")
    assert [(r["kind"], r["amount_fen"]) for r in ledger.decision(ids[0])["recoveries"]] == [
        ("dispatch_misuse", 50_000)]
    sound(ledger)
