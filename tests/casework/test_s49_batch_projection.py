"""Session 49: a payment batch checks the ledger against its events once, before paying, and pays from that check.

``Ledger.run_payment_batch`` built two projections with every table re-hashed (one for the program-year's other
decisions, one for the candidates: 4–5 s each on PostgreSQL at 100 k). Now the check before paying follows every
decision of the program-year and the first pass pays from it; what is written after it is still caught, since each
chunk folds the events appended since and compares the stored rows under the write lock. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from ledger_helpers import PAYDAY, to_payable
from sqlalchemy import text

from wengang.casework import Ledger


def _sql(ledger, stmt, **kw):
    with ledger.engine.begin() as c:
        c.execute(text(stmt), kw)


def _after_the_check(monkeypatch, then) -> None:
    """Run ``then()`` right after the batch's check before paying (``Ledger._unverified_others``) has built its
    projection, before the first chunk is paid."""
    original = Ledger._unverified_others

    def check_then(self, conn, *a, **k):
        out = original(self, conn, *a, **k)
        then()
        return out

    monkeypatch.setattr(Ledger, "_unverified_others", check_then)


def test_a_row_edited_after_the_check_is_refused_the_others_paid(ledger, monkeypatch):
    """(The tree before built the pass's projection after the edit and refused the whole import chunk; now the edit is
    found by the chunk's comparison, and only the decision edited is refused.)"""
    ids = to_payable(ledger, 3)
    _after_the_check(monkeypatch, lambda: _sql(
        ledger, "UPDATE case_decisions SET amount_fen = amount_fen + 100000 WHERE id = :i", i=ids[1]))
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 2 and res.tampered == [ids[1]]
    with ledger.engine.connect() as c:
        paid = set(c.execute(text("select decision_id from case_payments")).scalars())
    assert paid == {ids[0], ids[2]}


def test_a_decision_made_payable_after_the_check_is_checked_and_paid(ledger, monkeypatch):
    ids = to_payable(ledger, 2)
    later: list[int] = []
    _after_the_check(monkeypatch, lambda: later.extend(to_payable(ledger, 1, start=2)))
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert later and res.paid == 3 and res.tampered == []
    with ledger.engine.connect() as c:
        paid = set(c.execute(text("select decision_id from case_payments")).scalars())
    assert paid == {*ids, *later}


def test_an_edit_of_a_decision_made_payable_after_the_check_is_refused(ledger, monkeypatch):
    to_payable(ledger, 2)
    later: list[int] = []

    def then() -> None:
        later.extend(to_payable(ledger, 1, start=2))
        _sql(ledger, "UPDATE case_decisions SET account_no = '6222000000000000999' WHERE id = :i", i=later[0])

    _after_the_check(monkeypatch, then)
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 2 and res.tampered == later


def test_an_edit_during_the_pass_is_refused_in_its_chunk(ledger, monkeypatch):
    """The pass builds once and pays chunk by chunk: a decision of a later chunk edited while an earlier one is paid
    (its amount and its rules' channel) is refused under that chunk's write lock, the rest paid."""
    from wengang.progress import Step

    ids = to_payable(ledger, 4)
    edits = [
        ("UPDATE case_decisions SET amount_fen = 99999999 WHERE id = :i", ids[2]),
        ("UPDATE case_decisions SET payment_channel = 'tax_refund' WHERE id = :i", ids[3]),
    ]
    original = Step.advance

    def then(self, n=1):  # after a chunk is paid and committed, before the next: the next ones edited behind it
        original(self, n)
        if edits:
            stmt, did = edits.pop(0)
            _sql(ledger, stmt, i=did)

    monkeypatch.setattr(Step, "advance", then)
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, chunk_size=1)
    assert res.paid == 2 and sorted(res.tampered) == [ids[2], ids[3]]
    reasons = {did: issue.zh for did, issue in res.refused}
    assert "amount_fen" in reasons[ids[2]] and "999,999.99元" in reasons[ids[2]]
    assert "payment_channel" in reasons[ids[3]]
