"""Where money leaves, the ledger trusts the audit chain, not the rows as stored (audit of session 33).

Each attack the audit reproduced is replayed through the ledger API and refused; next to it, the normal path still
works. Every test runs on SQLite and on PostgreSQL (the ``db`` fixture of conftest.py).

1. a bank file re-checks its payments, their decisions and the batch's earlier files against the chain;
2. a payment whose row was deleted (decision reset) is not paid again;
3. a bank-confirmed payment cannot be bounced by hand; a 成功 after a manual bounce is flagged and stops re-payment;
4. a 多退少补 top-up is paid by an 出纳 in a batch and goes to the bank in its file;
5. with a signing key, pay and bank files verify the chain against the signed checkpoints first;
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_helpers import PAYDAY, decision, register_staff, rewrite_chain, to_payable
from sqlalchemy import select, text, update

from wengang.casework import LedgerError, audit, checkpoints
from wengang.casework.ledger import BankReturnLine, Ledger
from wengang.casework.models import AuditEvent
from wengang.casework.operators import add_operator
from wengang.casework.outputs import write_bank_file
from wengang.documents.bank import read_bank_file

PAYER = "15001234567890123456"
BANK = "102191000019"


@pytest.fixture
def ledger(db):
    led = register_staff(db.open())
    add_operator(led, "dual", roles=["复核", "出纳"], display_name="复核兼出纳", actor="admin")
    yield led
    led.close()


def sql(led: Ledger, stmt: str, **kw):
    with led.engine.begin() as c:
        return c.execute(text(stmt), kw)


def one(led: Ledger, stmt: str, **kw):
    with led.engine.connect() as c:
        return c.execute(text(stmt), kw).scalar_one()


def pay(led: Ledger, batch: str, actor: str = "cashier"):
    return led.run_payment_batch(batch, "fanhuan", 2025, actor, today=PAYDAY)


def bank_file(led: Ledger, batch: str, out: Path):
    plan = led.bank_file_plan(batch)["payments"]
    if plan:
        led.set_payee_banks({p["account_no"]: BANK for p in plan}, "cashier")
    return write_bank_file(led, batch, out, "cashier", payer_account=PAYER, on=PAYDAY)


def bank_return(led: Ledger, sent, results: dict[str, bool]):
    """The bank's answer to file ``sent``: reference -> credited (成功) or not (失败)."""
    lines = [BankReturnLine(n, p.reference, results[p.reference], p.amount_fen, p.account,
                            "" if results[p.reference] else "账户已销户")
             for n, p in enumerate(read_bank_file(sent.path).payments, 2) if p.reference in results]
    return led.apply_bank_return(sent.file_key, lines, "cashier", sha256="0" * 64, bank_date=PAYDAY)


def payment_of(led: Ledger, did: int, kind: str = "initial", seq: int = 0) -> dict:
    return next(p for p in led.decision(did)["payments"] if (p["kind"], p["seq"]) == (kind, seq))


# ----------------------------------------------------------------------- 1. the bank file
def test_bank_file_refuses_an_edited_payment_row(ledger, tmp_path):
    ids = to_payable(ledger, 3)
    assert pay(ledger, "B1").paid == 3
    ledger.set_payee_banks({ledger.decision(i)["account_no"]: BANK for i in ids}, "cashier")
    p0, other = payment_of(ledger, ids[0]), ledger.decision(ids[1])["account_no"]
    sql(ledger, "update case_payments set account_no = :a, amount_fen = amount_fen * 100 where id = :i",
        a=other, i=p0["id"])
    before = ledger.counts()
    with pytest.raises(LedgerError) as e:
        write_bank_file(ledger, "B1", tmp_path / "bank", "cashier", payer_account=PAYER, on=PAYDAY)
    assert e.value.code == "tampered"
    assert f"支付 {p0['id']}（决定 {ids[0]}）" in e.value.zh and f"payment {p0['id']}" in e.value.en
    assert "报盘文件未生成" in e.value.zh
    assert ledger.counts() == before and not (tmp_path / "bank").exists()
    with pytest.raises(LedgerError, match="报盘文件未生成"):
        ledger.bank_file_plan("B1")
    with pytest.raises(LedgerError, match="报盘文件未生成"):  # recording is checked on its own too
        ledger.record_bank_file("B1", "cashier", file_key="B1", payment_ids=[p0["id"]], value_date=PAYDAY,
                                payer_account=PAYER, total_fen=p0["amount_fen"] * 100, sha256="0" * 64)


def test_bank_file_refuses_a_payment_no_event_created(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    p0 = payment_of(ledger, ids[0])
    sql(ledger, "insert into case_payments (batch_id, decision_id, kind, seq, amount_fen, channel, account_no, "
                "audit_ref) select batch_id, decision_id, kind, 1, amount_fen, channel, account_no, 'forged' "
                "from case_payments where id = :i", i=p0["id"])
    with pytest.raises(LedgerError, match="没有创建它的审计事件"):
        bank_file(ledger, "B1", tmp_path / "bank")
    assert not (tmp_path / "bank").exists()


def test_deleted_bank_file_item_does_not_send_a_payment_twice(ledger, tmp_path):
    ids = to_payable(ledger, 3)
    pay(ledger, "B1")
    first = bank_file(ledger, "B1", tmp_path / "bank")
    assert first.count == 3
    pid = payment_of(ledger, ids[0])["id"]
    sql(ledger, "delete from case_bank_file_items where payment_id = :i", i=pid)
    with pytest.raises(LedgerError) as e:
        bank_file(ledger, "B1", tmp_path / "bank2")
    assert e.value.code == "audit_broken" and "case_bank_file_items" in e.value.zh
    assert not (tmp_path / "bank2").exists()
    assert one(ledger, "select count(*) from case_bank_files") == 1


def test_bank_files_still_carry_each_payment_once(ledger, tmp_path):
    ids = to_payable(ledger, 3)
    pay(ledger, "B1")
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    assert [p.reference for p in read_bank_file(sent.path).payments] == [f"{i}-0" for i in ids]
    assert bank_file(ledger, "B1", tmp_path / "bank") is None
    f, rows = ledger.bank_file_payments("B1")  # written again byte for byte: still checked, still the same
    assert f["count"] == 3 and [r["id"] for r in rows] == [payment_of(ledger, i)["id"] for i in ids]
    assert ledger.verify_audit().ok


# ------------------------------------------------------------------- 2. a deleted payment row
def test_deleted_payment_row_and_reset_state_is_not_paid_again(ledger):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    pid = payment_of(ledger, ids[0])["id"]
    sql(ledger, "delete from case_payments where id = :i", i=pid)
    sql(ledger, "update case_decisions set state = 'publicized' where id = :i", i=ids[0])
    res = pay(ledger, "B2")
    assert res.paid == 0 and ids[0] in dict(res.refused)
    assert "支付记录已不存在" in dict(res.refused)[ids[0]].zh or "case_payments" in dict(res.refused)[ids[0]].zh
    assert one(ledger, "select count(*) from case_payments where decision_id = :i", i=ids[0]) == 0
    with pytest.raises(LedgerError, match=f"决定 {ids[0]}"):
        ledger.pay_decision(ids[0], "cashier", today=PAYDAY)
    rep = ledger.verify_audit()
    assert not rep.ok and any("支付记录已不存在" in p for p in rep.problems)


def test_payment_without_the_event_naming_its_decisions_stops_all(ledger):
    """An older pay event names no decision: a row of it that is gone stops every payment (fail closed)."""
    ids = to_payable(ledger, 2)
    more = to_payable(ledger, 1, start=10)
    pay(ledger, "B1")
    with ledger.engine.begin() as c:  # as events were written before they named their decisions
        ev = AuditEvent.__table__
        for e in [dict(r) for r in c.execute(select(ev).where(ev.c.action == "pay")).mappings()]:
            import json

            after = json.loads(e["after"])
            after.pop("ids")
            e["after"] = audit.canonical(after)
            c.execute(update(ev).where(ev.c.seq == e["seq"]).values(after=e["after"]))
    rewrite_chain(ledger)
    sql(ledger, "delete from case_payments where decision_id = :i", i=ids[0])
    sql(ledger, "update case_decisions set state = 'publicized' where id = :i", i=ids[0])
    with pytest.raises(LedgerError) as e:
        pay(ledger, "B2")
    assert e.value.code == "audit_broken" and "暂停全部发放" in e.value.zh
    assert one(ledger, "select count(*) from case_payments") == len(ids) + len(more) - 1


def test_paying_again_after_a_bounce_still_works(ledger):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    ledger.record_bounce(payment_of(ledger, ids[0])["id"], "cashier", reason="户名不符")
    ledger.approve_account(ledger.fix_account(ids[0], "cashier", account_no="6222888800000000"), "checker")
    res = pay(ledger, "B2")
    assert res.paid == 1 and not res.refused
    assert payment_of(ledger, ids[0], seq=1)["account_no"] == "6222888800000000"
    assert ledger.verify_audit().ok and ledger.reconcile()["ok"]


# ---------------------------------------------------------------- 3. bounces and the bank
def test_bank_confirmed_payment_cannot_be_bounced_by_hand(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    res = bank_return(ledger, sent, {f"{i}-0": True for i in ids})
    assert len(res.confirmed) == 2
    pid = payment_of(ledger, ids[0])["id"]
    with pytest.raises(LedgerError) as e:
        ledger.record_bounce(pid, "cashier", reason="单位称未收到")
    assert e.value.code == "bank_confirmed" and "已由银行回盘确认入账" in e.value.zh
    assert ledger.decision(ids[0])["state"] == "paid"
    assert pay(ledger, "B2").paid == 0
    assert one(ledger, "select count(*) from case_payments") == 2


def test_bank_credit_after_a_manual_bounce_is_flagged_and_stops_repayment(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    pid = payment_of(ledger, ids[0])["id"]
    ledger.record_bounce(pid, "cashier", reason="单位称账户已销户")  # before the bank has answered: allowed
    ledger.approve_account(ledger.fix_account(ids[0], "cashier", account_no="6222888800000000"), "checker")
    res = bank_return(ledger, sent, {f"{ids[0]}-0": True, f"{ids[1]}-0": True})
    [flag] = res.refused
    assert flag["code"] == "paid_after_bounce" and "可能重复支付" in flag["zh"] and "double payment" in flag["en"]
    assert len(res.confirmed) == 1
    hist = ledger.decision(ids[0])["history"]
    assert hist[-1]["action"] == "bank_credited_after_bounce" and "已入账" in hist[-1]["reason"]
    again = pay(ledger, "B2")
    assert again.paid == 0 and "可能重复支付" in dict(again.refused)[ids[0]].zh
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[0], "cashier", today=PAYDAY)
    assert e.value.code == "credited_after_bounce"
    assert len(ledger.decision(ids[0])["payments"]) == 1


def test_bank_failure_still_bounces(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    res = bank_return(ledger, sent, {f"{ids[0]}-0": False, f"{ids[1]}-0": True})
    assert len(res.bounced) == 1 and len(res.confirmed) == 1 and not res.refused
    assert ledger.decision(ids[0])["state"] == "bounced"


# --------------------------------------------------------------------- 4. 多退少补 top-ups
def test_top_up_is_paid_by_a_cashier_and_sent_to_the_bank(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")  # 30%: half of 60%
    pay(ledger, "B1")
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    bank_return(ledger, sent, {f"{i}-0": True for i in ids})
    paid_before = sum(b["paid_fen"] for b in ledger.balances())
    up = ledger.change_size_class(ids[0], "checker", new_size_class="micro", reason="划型更正为微型")
    assert up.diff_fen == up.supplement_due_fen == 60_000 and up.supplement_payment_id is None
    assert len(ledger.decision(ids[0])["payments"]) == 1  # the reviewer pays nothing
    assert sum(b["paid_fen"] for b in ledger.balances()) == paid_before  # nothing counted as paid yet
    res = pay(ledger, "B2")
    assert (res.supplements, res.supplement_fen, res.paid, res.amount_fen) == (1, 60_000, 1, 60_000)
    sup = payment_of(ledger, ids[0], kind="supplement")
    assert sup["amount_fen"] == 60_000 and sup["batch_id"] is not None
    actor = one(ledger, "select actor from case_audit_events where ref = :r", r=sup["audit_ref"])
    assert actor == "cashier"
    assert pay(ledger, "B3").supplements == 0  # paid once
    second = bank_file(ledger, "B2", tmp_path / "bank")
    [line] = read_bank_file(second.path).payments
    assert (line.reference, line.amount_fen) == (f"{ids[0]}-S0", 60_000)
    res = bank_return(ledger, second, {f"{ids[0]}-S0": True})
    assert [c["payment_id"] for c in res.confirmed] == [sup["id"]]
    bal = ledger.balances()
    sent_total = sent.total_fen + second.total_fen
    assert sum(b["paid_fen"] for b in bal) == sent_total == paid_before + 60_000
    assert ledger.verify_audit().ok and ledger.reconcile()["ok"]


def test_top_up_is_not_paid_by_the_one_who_resized_it(ledger):
    ids = to_payable(ledger, 2)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")
    pay(ledger, "B1")
    ledger.change_size_class(ids[0], "dual", new_size_class="micro", reason="划型更正")
    assert pay(ledger, "B2", "dual").supplements == 0
    assert pay(ledger, "B2", "cashier").supplements == 1
    with pytest.raises(LedgerError):  # a 复核 without the 出纳 role cannot pay at all
        pay(ledger, "B3", "checker")


def test_top_up_refused_when_the_account_was_edited(ledger):
    ids = to_payable(ledger, 2)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")
    pay(ledger, "B1")
    ledger.change_size_class(ids[0], "checker", new_size_class="micro", reason="划型更正")
    sql(ledger, "update case_decisions set account_no = '6217000066666666' where id = :i", i=ids[0])
    res = pay(ledger, "B2")
    assert res.supplements == 0 and ids[0] in dict(res.refused)
    assert one(ledger, "select count(*) from case_payments where account_no = '6217000066666666'") == 0
    # an edit that is not even an account is held before the rows are read (not 6 to 32 digits): not paid either
    sql(ledger, "update case_decisions set account_no = '6217-0000-EVIL' where id = :i", i=ids[0])
    res = pay(ledger, "B3")
    assert res.supplements == 0 and res.unpaid == {"top_up_bad_account": 1}


def test_reduction_still_orders_a_recovery(ledger):
    ids = to_payable(ledger, 1)
    ledger.pay_decision(ids[0], "cashier", today=PAYDAY)  # sent at once: a reduction recovers money actually paid
    down = ledger.change_size_class(ids[0], "checker", new_size_class="large", new_amount_fen=60_000, reason="大型")
    assert down.recovery_id and down.diff_fen == 60_000 - decision(0).amount_fen and not down.supplement_due_fen
    assert pay(ledger, "B2").supplements == 0


# ----------------------------------------------------------------- 5. signed checkpoints
@pytest.fixture
def signed(ledger, tmp_path):
    key, pub = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "ledger.checkpoints.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    return cp


def test_pay_refuses_a_truncated_chain(ledger, signed):
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    cut = one(ledger, "select max(seq) from case_audit_events")
    ledger.hold(ids[0], "clerk", reason="缓缴未补足")
    ledger.checkpoint()
    sql(ledger, "delete from case_audit_events where seq > :s", s=cut)
    sql(ledger, "update case_decisions set state = 'publicized', hold_reason = null, version = version - 1 "
                "where id = :i", i=ids[0])
    assert ledger.verify_audit().ok  # the chain alone cannot tell
    lines = signed.read_text().splitlines()
    with pytest.raises(LedgerError) as e:
        pay(ledger, "B1")
    assert e.value.code == "checkpoint_mismatch" and "链条被截断" in e.value.zh
    with pytest.raises(LedgerError, match="签名检查点"):
        ledger.pay_decision(ids[0], "cashier", today=PAYDAY)
    assert one(ledger, "select count(*) from case_payments") == 0
    ledger.appended = True
    with pytest.raises(LedgerError, match="不再签署新的检查点"):
        ledger.checkpoint()
    assert signed.read_text().splitlines() == lines  # nothing signed over it
    ledger.appended = False  # (closing would try again, and refuse again)


def test_pay_and_bank_file_refuse_a_rewritten_chain(ledger, signed, tmp_path):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    ledger.set_payee_banks({ledger.decision(i)["account_no"]: BANK for i in ids}, "cashier")
    more = to_payable(ledger, 1, start=10)
    ledger.checkpoint()
    sql(ledger, "update case_decisions set amount_fen = amount_fen * 10 where id = :i", i=more[0])
    rewrite_chain(ledger)
    assert ledger.verify_audit().ok  # recomputed: consistent without the checkpoints
    with pytest.raises(LedgerError) as e:
        pay(ledger, "B2")
    assert e.value.code == "checkpoint_mismatch" and "链条被改写" in e.value.zh
    with pytest.raises(LedgerError) as e:
        write_bank_file(ledger, "B1", tmp_path / "bank", "cashier", payer_account=PAYER, on=PAYDAY)
    assert e.value.code == "checkpoint_mismatch"
    assert not (tmp_path / "bank").exists()
    assert one(ledger, "select count(*) from case_payments where decision_id = :i", i=more[0]) == 0


def test_signed_ledger_pays_and_signs_as_before(ledger, signed, tmp_path):
    ids = to_payable(ledger, 2)
    ledger.checkpoint()
    assert pay(ledger, "B1").paid == 2
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    assert sent is not None and sent.count == 2
    rec = ledger.checkpoint()
    assert rec is not None and rec["seq"] == one(ledger, "select max(seq) from case_audit_events")
    assert len(ids) == 2
