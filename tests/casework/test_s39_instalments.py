"""A recovery (追回) repaid in instalments (outside casework audit, session 39): ``case recovery-received`` refused
any part payment (“到账金额 43892 分与应追回 53892 分不符”). Now each receipt of at most what is still owed is
recorded with its day and bank reference, the order stays open (部分到账) until the receipts sum to it, a receipt
above what is owed is refused naming both in 元, the same receipt twice is not counted twice, balances and the
monthly report count what was received, and a resize back cancels only the part not received. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from ledger_helpers import MORE_STAFF, STAFF, case_cli, cli_url, register_staff
from test_s34money_recoveries import paid_and_credited
from test_s34recover_sent import sound

from wengang.casework.ledger import LedgerError
from wengang.reports.statistics import monthly_payments

D1, D2 = date(2025, 11, 10), date(2025, 11, 20)


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def _balance(led, did: int) -> dict:
    [row] = led.balances(unit_id=led.decision(did)["unit_id"])
    return row


def _order(led, did: int) -> dict:
    [r] = [r for r in led.decision(did)["recoveries"] if r["amount_fen"] > 0]
    return r


def _down(led, tmp_path) -> tuple[int, int]:
    """Paid 120,000 and credited, then resized to 大型: a 多退少补 order of 60,000."""
    [did] = paid_and_credited(led, tmp_path)
    down = led.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert down.recovery_fen == 60_000 and down.recovery_id is not None
    return did, down.recovery_id


def test_instalments_sum_to_the_order_and_the_order_stays_open_until_then(ledger, db, tmp_path):
    did, rid = _down(ledger, tmp_path)
    r = ledger.record_recovery_receipt(rid, "cashier", amount_fen=20_000, received_on=D1, reference="YH001")
    assert (r["received_fen"], r["owed_fen"]) == (20_000, 40_000)
    b = _balance(ledger, did)
    assert (b["recovered_fen"], b["recovery_outstanding_fen"], b["net_fen"]) == (20_000, 40_000, 100_000)
    assert _order(ledger, did)["owed_fen"] == 40_000
    # the same bank reference again: refused, not counted twice
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=20_000, received_on=D1, reference="YH001")
    assert e.value.code == "already_received" and "不重复计入" in e.value.zh
    # above what is still owed: refused, Chinese first, owed and given in 元
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=40_001, received_on=D2, reference="YH002")
    assert e.value.code == "amount_mismatch"
    assert "到账金额 400.01元超过追回单" in e.value.zh and "尚欠的 400.00元" in e.value.zh
    assert _balance(ledger, did)["recovered_fen"] == 20_000
    r = ledger.record_recovery_receipt(rid, "cashier", amount_fen=40_000, received_on=D2, reference="YH002")
    assert (r["received_fen"], r["owed_fen"]) == (60_000, 0)
    order = _order(ledger, did)
    assert [(k["amount_fen"], k["received_on"], k["reference"]) for k in order["receipts"]] == [
        (20_000, D1, "YH001"), (40_000, D2, "YH002")]
    assert order["owed_fen"] == 0
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=1, received_on=D2, reference="YH003")
    assert e.value.code == "already_received" and "已全额到账" in e.value.zh
    b = _balance(ledger, did)
    assert (b["recovered_fen"], b["recovery_outstanding_fen"], b["net_fen"]) == (60_000, 0, 60_000)
    # the monthly report counts both instalments
    assert sum(m.recovered_fen for m in monthly_payments(cli_url(db))) == 60_000
    sound(ledger)


def test_without_a_reference_the_same_amount_and_day_counts_once(ledger, tmp_path):
    did, rid = _down(ledger, tmp_path)
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=10_000, received_on=D1)
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=10_000, received_on=D1)
    assert e.value.code == "already_received" and "--reference" in e.value.zh
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=10_000, received_on=D2)  # another day: another receipt
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=10_000, received_on=D1, reference="YH9")
    assert _balance(ledger, did)["recovered_fen"] == 30_000
    sound(ledger)


def test_a_resize_back_cancels_only_the_part_not_received(ledger, tmp_path):
    """20,000 of the 60,000 came back before the resize back to 微型: the 40,000 not received is cancelled, the
    20,000 the unit returned is topped up by the next batch, and the unit ends holding its 120,000."""
    did, rid = _down(ledger, tmp_path)
    ledger.record_recovery_receipt(rid, "cashier", amount_fen=20_000, received_on=D1, reference="YH001")
    up = ledger.change_size_class(did, "checker", new_size_class="micro", reason="复查仍为微型")
    assert up.cancelled_recovery_ids == [rid] and up.cancelled_recovery_fen == 40_000
    assert up.supplement_due_fen == 20_000 and up.recovery_id is None
    order = _order(ledger, did)
    assert (order["received_fen"], order["cancelled_fen"], order["owed_fen"]) == (20_000, 40_000, 0)
    with pytest.raises(LedgerError) as e:
        ledger.record_recovery_receipt(rid, "cashier", amount_fen=40_000, received_on=D2, reference="YH002")
    assert e.value.code == "recovery_cancelled" and "撤销前已到账 200.00元" in e.value.zh
    batch = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=date(2025, 11, 1))
    assert (batch.paid, batch.amount_fen) == (1, 20_000)
    b = _balance(ledger, did)
    assert (b["recovered_fen"], b["recovery_outstanding_fen"], b["net_fen"]) == (20_000, 0, 120_000)
    sound(ledger)


def test_the_cli_records_a_part_payment_and_case_show_lists_each_receipt(db, tmp_path):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    try:
        did, rid = _down(led, tmp_path)
    finally:
        led.close()
    # the audit's refusal: 438.92元 of 538.92元 — here 200.00元 of 600.00元
    out = case_cli(db, "recovery-received", str(rid), "20000", "--date", "2025-11-10", "--reference", "YH001",
                   "-u", "cashier")
    assert "部分到账 200.00 元" in out and "尚欠 400.00 元" in out
    out = case_cli(db, "recovery-received", str(rid), "50000", "--reference", "YH002", "-u", "cashier", code=2)
    assert out.startswith("✘ 到账金额 500.00元超过追回单") and "尚欠的 400.00元" in out
    out = case_cli(db, "show", str(did), "-u", "auditor")
    assert "部分到账，尚欠 400.00 元" in out and "到账 200.00 元 2025-11-10 凭证号 YH001" in out
    case_cli(db, "recovery-received", str(rid), "40000", "--date", "2025-11-20", "--reference", "YH002",
             "-u", "cashier")
    out = case_cli(db, "show", str(did), "-u", "auditor")
    assert "已全额到账" in out and "凭证号 YH002" in out
