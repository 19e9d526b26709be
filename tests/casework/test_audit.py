"""The hash chain detects edited, deleted and reordered events and rows changed behind the ledger."""

from __future__ import annotations

from ledger_helpers import PAYDAY, register_staff, to_payable
from sqlalchemy import text


def _ledger_with_history(ledger):
    ids = to_payable(ledger, 5)
    ledger.pay_decision(ids[0], "cashier", today=PAYDAY)  # sent at once: its reduction recovers money paid
    ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", new_amount_fen=60_000, reason="划型为大型")
    rep = ledger.verify_audit()
    assert rep.ok and rep.events > 10
    return ids


def _tamper(ledger, sql, **params):
    with ledger.engine.begin() as c:
        c.execute(text(sql), params)


def test_edited_event_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "update case_audit_events set actor = 'mallory' where seq = 3")
    rep = ledger.verify_audit()
    assert not rep.ok and any("事件 3" in p and "edited" in p for p in rep.problems)


def test_deleted_event_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "delete from case_audit_events where seq = 4")
    rep = ledger.verify_audit()
    assert not rep.ok and any("chain broken" in p or "sequence gap" in p for p in rep.problems)


def test_reordered_events_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "update case_audit_events set seq = -1 where seq = 5")
    _tamper(ledger, "update case_audit_events set seq = 5 where seq = 6")
    _tamper(ledger, "update case_audit_events set seq = 6 where seq = -1")
    rep = ledger.verify_audit()
    assert not rep.ok


def test_edited_payment_amount_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "update case_payments set amount_fen = amount_fen + 100 where id = 2")
    rep = ledger.verify_audit()
    assert not rep.ok and any("case_payments" in p for p in rep.problems)
    assert not ledger.reconcile()["ok"]


def test_edited_decision_explanation_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "update case_decisions set amount_fen = 1 where id = 3")
    assert not ledger.verify_audit().ok


def test_row_inserted_behind_the_ledger_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "insert into case_recoveries (decision_id, kind, seq, amount_fen, reason, audit_ref) "
                    "values (1, 'overpayment', 9, 5, 'x', 'forged')")
    rep = ledger.verify_audit()
    assert not rep.ok and any("unrecorded" in p for p in rep.problems)


def test_deleted_row_detected(ledger):
    _ledger_with_history(ledger)
    _tamper(ledger, "delete from case_publicity_entries where id = 2")
    assert not ledger.verify_audit().ok


def test_corrections_are_new_entries(ledger):
    """多退少补 never edits the paid payment: it adds a recovery order."""
    ids = _ledger_with_history(ledger)
    d = ledger.decision(ids[0])
    assert [p["amount_fen"] for p in d["payments"]] == [120_000]
    assert [(r["kind"], r["amount_fen"]) for r in d["recoveries"]] == [("overpayment", 60_000)]
    assert d["entitlement"]["amount_fen"] == 60_000 and d["amount_fen"] == 120_000


def test_verify_reports_head_for_external_anchoring(db):
    ledger = db.open()
    try:
        rep = ledger.verify_audit()
        assert rep.ok and rep.events == 0 and rep.head_hash == "0" * 64
        _ledger_with_history(register_staff(ledger))
        rep2 = ledger.verify_audit()
        assert rep2.head_seq == rep2.events and len(rep2.head_hash) == 64
    finally:
        ledger.close()


def test_operator_inserted_behind_the_ledger_detected(ledger):
    """An operator row written by raw SQL (say, a forged 出纳) is covered by no event: verify says so."""
    _tamper(ledger, "insert into case_operators (login, display_name, roles, enabled, audit_ref) "
                    "values ('mallory', 'x', 'payer', true, 'forged')")
    rep = ledger.verify_audit()
    assert not rep.ok and any("case_operators" in p and "unrecorded" in p for p in rep.problems)


def test_operator_events_carry_who_did_what(ledger):
    with ledger.engine.connect() as c:
        rows = c.exec_driver_sql("select actor, action, entity, row_count, after from case_audit_events "
                                 "where entity = 'case_operators' order by seq").all()
    assert [(r[0], r[1], r[3]) for r in rows][:2] == [("admin", "operator_add", 1), ("admin", "operator_add", 1)]
    assert '"roles":["caseworker"]' in rows[1][4] and '"login":"clerk"' in rows[1][4]
