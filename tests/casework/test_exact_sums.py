"""Money sums in the ledger are exact (issue 12 item 5): amounts near 2^63 fen never wrap around.

PostgreSQL's SUM(bigint) is numeric, so sums past 2^63 come back exact; SQLite's SUM raises "integer
overflow", which the ledger turns into a clear error (金额合计超出范围) instead of a traceback.
"""

from __future__ import annotations

from datetime import date

import pytest
from ledger_helpers import DEADLINE, PAYDAY, RUN, TODAY, decision

from wengang.casework import LedgerError

BIG = 2**62 + 12_345  # two of them pass 2^63 − 1


def _paid_pair(ledger) -> list[int]:
    ledger.import_decisions(RUN, [decision(i, amount_fen=BIG) for i in (1, 2)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (1, 2)]
    assert ledger.confirm_many(ids, "clerk", today=TODAY) == 2
    assert ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过") == 2
    assert ledger.review_many(ids, "checker", stage=2, approve=True, reason="复审通过") == 2
    ledger.publicize("gs-big", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    return ids


def test_a_batch_of_large_amounts_totals_exactly(ledger, db):
    _paid_pair(ledger)
    res = ledger.run_payment_batch("b-big", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 2 and res.amount_fen == 2 * BIG  # the audit's control total: no Int64 wrap
    bal = ledger.balances()
    assert [b["paid_fen"] for b in bal] == [BIG, BIG]  # per unit: within BIGINT
    if db.kind == "postgres":
        rec = ledger.reconcile()  # SUM over the whole table passes 2^63: numeric, exact
        assert rec["ok"] and rec["case_payments"]["table_fen"] == 2 * BIG and rec["net_fen"] == 2 * BIG
    else:
        with pytest.raises(LedgerError) as exc:
            ledger.reconcile()
        assert exc.value.code == "amount_overflow"
        assert "金额合计超出范围" in str(exc.value) and "Traceback" not in str(exc.value)


def test_an_amount_beyond_bigint_is_refused_on_import(ledger):
    with pytest.raises(LedgerError) as exc:
        ledger.import_decisions(RUN, [decision(1, amount_fen=2**63)], "clerk")
    assert exc.value.code == "bad_input" and "金额超出范围" in str(exc.value)
