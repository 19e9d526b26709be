"""Session 41, outside ledger audit: money settled on rows checked against their events, one snapshot for the check.

1. A resize's 多退少补 (``change_size_class`` → ``_settle`` → ``_cancel_open_overpayments``) read the recovery orders
   and their receipts without re-hashing them: with the receipts deleted by SQL it cancelled a whole order as never
   received (the unit never paid back what it had returned); with a cancellation deleted it re-opened the order.
   Now it refuses (``audit_broken``, Chinese first), and ``audit verify`` finds a cancellation that is not minus what
   was not received at that moment, so a row deleted and put back afterwards still shows.
2. A recovery receipt trusted the stored order amount: raised by SQL, a receipt of 100,779.62元 was taken on an
   order of 779.62元 and the row set back. Now the order is checked first, and verify and reconcile find receipts
   above their order.
3. On PostgreSQL a bank file or a payment run racing a resize read the events, then (in a later statement, READ
   COMMITTED) the resize's recomputation with no event yet visible to it, and stopped everything as “written behind
   the ledger”. Now the check reads one snapshot (REPEATABLE READ); the race is made deterministic by resizing from
   another connection between the events read and the rows read.

SQLite and PostgreSQL, as the other ledger tests.
"""

from __future__ import annotations

from datetime import date

import pytest
from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, bank_file, register_staff, to_payable
from sqlalchemy import delete, insert, select, update
from test_s34money_recoveries import paid_and_credited

from wengang.casework import projection
from wengang.casework.ledger import Ledger, LedgerError
from wengang.casework.models import PaymentReturn, Recomputation, Recovery, RecoveryReceipt

D1 = date(2025, 11, 10)
K = RecoveryReceipt.__table__
C = Recovery.__table__


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def _down(led, tmp_path) -> tuple[int, int]:
    """Paid 120,000 and credited, resized to 大型: a 多退少补 order of 60,000."""
    [did] = paid_and_credited(led, tmp_path)
    down = led.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert down.recovery_fen == 60_000 and down.recovery_id is not None
    return did, down.recovery_id


def _rows(led, t) -> list[dict]:
    with led.engine.connect() as c:
        return [dict(r) for r in c.execute(select(t).order_by(t.c.id)).mappings()]


def _sql(led, stmt) -> None:
    """A write by SQL, behind the ledger (no event, no key)."""
    with led.engine.begin() as c:
        c.execute(stmt)


def _unchecked(monkeypatch) -> None:
    """The ledger as it was before session 41: nothing checked before money is settled."""
    monkeypatch.setattr(Ledger, "_checked", lambda self, conn, ids, zh, en: None, raising=False)


def _refused_broken(exc: LedgerError, step: str) -> None:
    assert exc.code in ("audit_broken", "tampered"), (exc.code, exc.zh)
    assert exc.zh.startswith(("审计链校验失败，暂停" + step, "决定")) and f"暂停{step}" in exc.zh, exc.zh
    assert "audit verify" in exc.zh


# ------------------------------------------------------------------ 1. a resize's 多退少补 on checked rows
def test_a_resize_refuses_while_a_receipt_is_deleted_and_settles_right_once_restored(ledger, tmp_path):
    did, rid = _down(ledger, tmp_path)
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=20_000, received_on=D1, reference="R1")
    saved = _rows(ledger, K)
    _sql(ledger, delete(K))
    with pytest.raises(LedgerError) as e:
        ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查划型")
    _refused_broken(e.value, "划型变更与多退少补")
    assert "case_recovery_receipts" in e.value.zh
    # nothing was written: no recomputation, no cancellation
    assert [r["seq"] for r in _rows(ledger, C) if r["decision_id"] == did] == [0]
    _sql(ledger, insert(K).values(saved))
    up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查划型")
    assert (up.cancelled_recovery_ids, up.cancelled_recovery_fen, up.supplement_due_fen) == ([rid], 40_000, 20_000)
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems


def test_a_cancellation_made_while_a_receipt_was_deleted_shows_after_the_row_is_put_back(ledger, tmp_path,
                                                                                        monkeypatch):
    """The audit's trick, done with the check switched off (as the ledger was): the cancellation of the whole
    60,000 stays in the ledger, hashed by its own event; verify now finds it against the receipt of 20,000 recorded
    before it, and nothing more is paid or settled on the decision."""
    did, rid = _down(ledger, tmp_path)
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=20_000, received_on=D1, reference="R1")
    saved = _rows(ledger, K)
    _sql(ledger, delete(K))
    with monkeypatch.context() as m:
        _unchecked(m)
        up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查划型")
    assert up.cancelled_recovery_fen == 60_000  # the money-wrong answer the audit saw
    _sql(ledger, insert(K).values(saved))
    rep = ledger.verify_audit()
    assert not rep.ok
    [issue] = [i for i in rep.issues if "撤销追回单" in i.zh]
    assert f"撤销追回单 {rid} 的金额为 600.00元，按撤销时的记录应为 400.00元" in issue.zh
    assert "已到账 200.00元" in issue.zh
    with pytest.raises(LedgerError) as e:
        ledger.change_size_class(did, "checker", new_size_class="large", reason="再查")
    _refused_broken(e.value, "划型变更与多退少补")
    assert "撤销追回单" in e.value.zh


def test_a_resize_refuses_while_a_cancellation_is_deleted(ledger, tmp_path):
    did, rid = _down(ledger, tmp_path)
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=20_000, received_on=D1, reference="R1")
    up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查划型")
    assert up.cancelled_recovery_fen == 40_000
    _sql(ledger, delete(C).where(C.c.seq < 0))
    with pytest.raises(LedgerError) as e:
        ledger.change_size_class(did, "checker", new_size_class="large", reason="再查")
    _refused_broken(e.value, "划型变更与多退少补")
    assert "case_recoveries" in e.value.zh
    # the top-up due is not withdrawn nor the order re-opened: nothing was written
    assert [r["seq"] for r in _rows(ledger, C) if r["decision_id"] == did] == [0]


def test_a_receipt_written_behind_the_ledger_stops_the_resize_and_further_receipts(ledger, tmp_path):
    did, rid = _down(ledger, tmp_path)
    _sql(ledger, insert(K).values(recovery_id=rid, amount_fen=60_000, received_on=D1, reference="X",
                                  receipt_key="ref:X", audit_ref="f" * 32))
    with pytest.raises(LedgerError) as e:
        ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查划型")
    _refused_broken(e.value, "划型变更与多退少补")
    assert "没有创建它们的审计事件" in e.value.zh
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=1, received_on=D1, reference="R2")
    _refused_broken(e.value, "登记追回到账")


# ------------------------------------------------------------------ 2. a receipt on a checked order
def test_a_receipt_is_refused_while_its_order_is_raised_by_sql(ledger, tmp_path):
    did, rid = _down(ledger, tmp_path)
    _sql(ledger, update(C).where(C.c.id == rid).values(amount_fen=10_060_000))
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=10_060_000, received_on=D1, reference="X")
    _refused_broken(e.value, "登记追回到账")
    assert "case_recoveries" in e.value.zh
    assert _rows(ledger, K) == []
    _sql(ledger, update(C).where(C.c.id == rid).values(amount_fen=60_000))
    r = ledger.record_recovery_receipt(rid, "cashier", amount_fen=60_000, received_on=D1, reference="R1")
    assert r["owed_fen"] == 0
    assert ledger.verify_audit().ok and ledger.reconcile()["ok"]


def test_a_receipt_taken_on_a_raised_order_shows_after_the_order_is_set_back(ledger, tmp_path, monkeypatch):
    did, rid = _down(ledger, tmp_path)
    _sql(ledger, update(C).where(C.c.id == rid).values(amount_fen=10_060_000))
    with monkeypatch.context() as m:
        _unchecked(m)
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=10_060_000, received_on=D1, reference="X")
    _sql(ledger, update(C).where(C.c.id == rid).values(amount_fen=60_000))
    rep = ledger.verify_audit()
    assert not rep.ok
    assert any(f"追回单 {rid} 的到账合计 100,600.00元超过追回金额 600.00元" in i.zh for i in rep.issues), rep.problems
    rec = ledger.reconcile()
    assert not rec["ok"]
    [above] = rec["receipts_above_order"]
    assert (above["recovery_id"], above["received_fen"], above["recovery_fen"]) == (rid, 10_060_000, 60_000)
    assert above["zh"].startswith(f"追回单 {rid}（决定 {did}）的到账合计")
    with pytest.raises(LedgerError) as e:  # and nothing more is settled on the decision
        ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查划型")
    _refused_broken(e.value, "划型变更与多退少补")


# ------------------------------------------------------------------ the other settlements: a credit check
def test_a_credit_check_refuses_while_the_bounce_it_voids_is_edited(ledger, tmp_path):
    """The credit check settles a bounce the bank contradicted (a return voided, a re-payment withdrawn or
    recovered): with the return row edited by SQL it refuses, as a payment would, and records nothing."""
    from test_bounce_followups import alarmed

    X = PaymentReturn.__table__
    ids, _, p0, _ = alarmed(ledger, tmp_path)
    _sql(ledger, update(X).where(X.c.payment_id == p0["id"]).values(amount_fen=1))
    with pytest.raises(LedgerError) as e:
        ledger.check_credit_after_bounce(ids[0], "checker", credited=True, reason="银行书面确认：原付款已入账")
    _refused_broken(e.value, "核实退回后入账")
    assert ledger.decision(ids[0])["state"] == "bounced"


# ------------------------------------------------------------------ 3. one snapshot for the payment-time check
def _race(monkeypatch, db, other_did: int) -> list[int]:
    """Between the events read and the gate rows read of the next payment-time check, another operator's resize
    of ``other_did`` commits (from its own connection)."""
    fired: list[int] = []
    check = projection.Projection._check_gates

    def racing(self, conn):
        if not fired:
            fired.append(other_did)
            other = db.open(migrate=False)
            try:
                other.change_size_class(other_did, "checker", new_size_class="large", reason="划型更正")
            finally:
                other.engine.dispose()
        return check(self, conn)

    monkeypatch.setattr(projection.Projection, "_check_gates", racing)
    return fired


def test_a_bank_file_racing_a_resize_is_not_refused_as_forged(ledger, db, tmp_path, monkeypatch):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[ids[0]])
    fired = _race(monkeypatch, db, ids[1])
    plan = ledger.bank_file_plan("B1")
    assert fired == [ids[1]]
    assert [p["decision_id"] for p in plan["payments"]] == [ids[0]]
    monkeypatch.undo()
    assert bank_file(ledger, "B1", tmp_path / "b1") is not None
    with ledger.engine.connect() as c:
        assert c.execute(select(Recomputation.__table__.c.decision_id)).scalars().all() == [ids[1]]
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems


def test_a_payment_run_racing_a_resize_is_not_refused_as_forged(ledger, db, monkeypatch):
    ids = to_payable(ledger, 2)
    fired = _race(monkeypatch, db, ids[1])
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[ids[0]])
    assert fired == [ids[1]] and res.paid == 1 and not res.tampered
    monkeypatch.undo()
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems
