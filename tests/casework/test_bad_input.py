"""Refused steps say why in Chinese and English and leave the ledger exactly as it was."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from ledger_helpers import DEADLINE, PAYDAY, RUN, RUN_SX, TODAY, decision, decision_sx, snapshot, to_payable

from wengang.casework import AllocationIn, LedgerError


def _confirmed(ledger):
    ledger.import_decisions(RUN, [decision(1), decision(2)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.confirm(did, "clerk", today=TODAY)
    return did


BAD = {
    "pay before approval": lambda L, d: L.pay_decision(d, "cashier", today=PAYDAY),
    "approve own first review": lambda L, d: (L.first_review(d, "lead", approve=True, reason="ok"),
                                              L.second_review(d, "lead", approve=True, reason="ok")),
    "confirm twice": lambda L, d: L.confirm(d, "clerk", today=TODAY),
    "decline after confirming": lambda L, d: L.decline(d, "clerk"),
    "second review before first": lambda L, d: L.second_review(d, "checker", approve=True, reason="x"),
    "fix account before any bounce": lambda L, d: L.fix_account(d, "cashier", account_no="1"),
    "no actor": lambda L, d: L.first_review(d, " ", approve=True, reason="x"),
    "unknown decision": lambda L, d: L.confirm(999_999, "clerk"),
    "self-apply over a screening decision": lambda L, d: L.self_apply(decision(1), "clerk"),
    "ineligible self-application": lambda L, d: L.self_apply(decision(50, status="ineligible"), "clerk"),
    "dispatch to a public institution": lambda L, d: L.apply_dispatch(
        decision(60), [AllocationIn("11150000X", "某局", 3, 100, public_institution=True)], "clerk"),
    "dispatch allocations exceed the refund": lambda L, d: L.apply_dispatch(
        decision(61), [AllocationIn("91150000Y", "用工单位", 3, 999_999_999)], "clerk"),
    "zero-day publicity": lambda L, d: L.publicize("x", "fanhuan", 2025, "clerk", starts_on=TODAY, days=0),
    "bad import row": lambda L, d: L.import_decisions(RUN, [decision(70, payment_channel="cash")], "clerk"),
    "float amount": lambda L, d: L.import_decisions(RUN, [decision(71, amount_fen=12.5)], "clerk"),
    "import of another year": lambda L, d: L.import_decisions(RUN, [decision(72, year=2024)], "clerk"),
    "duplicate unit in one import": lambda L, d: L.import_decisions(RUN, [decision(73), decision(73)], "clerk"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_refused_and_unchanged(ledger, name):
    did = _confirmed(ledger)
    if name == "approve own first review":
        before = None  # the first review is allowed; check around the refused second one
        ledger.first_review(did, "lead", approve=True, reason="ok")  # lead holds 经办 and 复核
        before = snapshot(ledger)
        with pytest.raises(LedgerError) as e:
            ledger.second_review(did, "lead", approve=True, reason="ok")
        assert e.value.code == "same_reviewer"
    else:
        before = snapshot(ledger)
        with pytest.raises(LedgerError) as e:
            BAD[name](ledger, did)
    msg = str(e.value)
    assert " / " in msg and any("\u4e00" <= ch <= "\u9fff" for ch in msg.split(" / ")[0]), msg
    assert snapshot(ledger) == before


def test_confirm_waived_is_refused(ledger):
    # 晋人社厅发〔2024〕28号 六: waived only once its period (to 2024-12-31) is over (E8)
    ledger.import_decisions(RUN_SX, [decision_sx(1)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31))
    assert ledger.waive_unconfirmed("fanhuan", 2024, "clerk", today=date(2025, 1, 1)) == 1
    did = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(1).unit_id)
    before = snapshot(ledger)
    with pytest.raises(LedgerError, match="视为放弃"):
        ledger.confirm(did, "clerk", today=date(2024, 12, 1))
    assert snapshot(ledger) == before


def test_amount_mismatch_refused(ledger):
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE)
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.confirm(did, "clerk", amount_fen=1, today=TODAY)
    assert e.value.code == "amount_mismatch" and "不符" in e.value.zh
    assert snapshot(ledger) == before


def test_confirm_after_the_period_is_refused_where_the_text_waives(ledger):
    ledger.import_decisions(RUN_SX, [decision_sx(1)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31))
    did = ledger.find(program="fanhuan", year=2024, unit_id=decision_sx(1).unit_id)
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.confirm(did, "clerk", today=date(2025, 1, 1))
    assert e.value.code == "period_over" and "2024-12-31" in e.value.zh
    assert snapshot(ledger) == before


def test_pay_with_wrong_amount_and_during_publicity_refused(ledger):
    ids = to_payable(ledger, 1)
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[0], "cashier", amount_fen=1, today=PAYDAY)
    assert e.value.code == "amount_mismatch"
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[0], "cashier", today=date(2025, 10, 3))
    assert e.value.code == "not_payable"
    assert snapshot(ledger) == before


def test_bad_table_import_names_rows_and_fields(ledger):
    df = pl.DataFrame({
        "unit_id": ["A1", "A2", None], "unit_name": ["甲", "乙", "丙"], "region_code": ["150100"] * 3,
        "program": ["fanhuan"] * 3, "policy_doc": ["内人社发〔2025〕18号"] * 3, "clause": ["一"] * 3,
        "status": ["eligible", "maybe", "eligible"], "amount_fen": [100, 200, None],
        "reasons": [["r"], [], ["r"]], "explanation": ["e"] * 3, "readings": ["{}"] * 3,
        "payment_channel": ["corporate_account"] * 3, "size_class": ["small"] * 3, "year": [2025] * 3,
    })
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.import_decisions(RUN, df, "clerk")
    assert "第 2 行 字段 status" in e.value.zh and "第 3 行 字段 unit_id" in e.value.zh
    assert "row 3 field amount_fen" in e.value.en
    assert snapshot(ledger) == before


def test_a_step_dated_after_today_is_refused_and_the_payment_records_its_date(ledger):
    """Dating a payment ahead (``--today``) would skip a 公示 period that has not run out; it is refused, and
    the day a batch was paid as of is in its audit event."""
    from datetime import date, timedelta

    from ledger_helpers import PAYDAY, to_payable

    to_payable(ledger, 1)
    before = ledger.verify_audit().head_hash
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch("ahead", "fanhuan", 2025, "cashier", today=date.today() + timedelta(days=2))
    assert e.value.code == "future_date" and ledger.verify_audit().head_hash == before
    assert ledger.run_payment_batch("b", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    with ledger.engine.connect() as c:
        after = c.exec_driver_sql("select after from case_audit_events where action = 'pay'").scalar()
    assert '"as_of":"2025-11-01"' in after
