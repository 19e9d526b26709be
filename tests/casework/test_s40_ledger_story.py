"""Session 40 outside API audit, the ledger's part (SQLite and PostgreSQL):

1. a batch key the bank file refuses (``documents.bank._BATCH_ID``) is refused by the ledger BEFORE anything is paid
   (the CLI ``case pay --batch "批次/十二月 2025"`` paid, and no bank file could ever be written for the batch);
2. ``run_payment_batch(decision_ids=…)`` counts missing accounts among the selection only;
3. a decision's history holds its own 多退少补 (``recompute_size_class``), recovery, cancellation, receipt and bank
   confirmation events, in order, and no other decision's; the portal's history carries their amounts;
4. messages a person reads show money in 元, not 分.
"""

from __future__ import annotations

import pytest
from ledger_helpers import PAYDAY, bank_file, bank_return, decision, to_payable

from wengang.casework.ledger import LedgerError, payment_reference
from wengang.casework.states import action_zh
from wengang.money import format_yuan

MONEY_EVENTS = ("recompute_size_class", "recover_overpayment", "recovery_receipt", "cancel_recovery", "bank_confirm")


def _paid_and_credited(led, tmp_path, n: int) -> list[int]:
    ids = to_payable(led, n)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(i, 0): True for i in ids})
    return ids


# ------------------------------------------------------------------ 1. the batch key, before paying
@pytest.mark.parametrize("key", ["批次/十二月 2025", "B" * 33, "", "B 1"])
def test_a_batch_key_the_bank_file_refuses_is_refused_before_paying(ledger, key):
    [did] = to_payable(ledger, 1)
    with pytest.raises(LedgerError) as e:
        ledger.run_payment_batch(key, "fanhuan", 2025, "cashier", today=PAYDAY)
    assert e.value.code == "bad_key"
    assert "批次号" in e.value.zh and "1至32位字母、数字" in e.value.zh and "未发放任何款项" in e.value.zh
    assert key[:40] in e.value.zh
    d = ledger.decision(did)
    assert d["payments"] == [] and d["state"] != "paid"
    # a key the bank file takes pays
    assert ledger.run_payment_batch("2025-12_B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1


def test_the_rule_is_the_bank_modules(ledger):
    from wengang.casework.ledger import check_batch_key
    from wengang.documents.bank import _BATCH_ID

    for key in ("A", "a-b_C9", "X" * 32):
        assert _BATCH_ID.fullmatch(key) and check_batch_key(key) == key
    for key in ("X" * 33, "甲", "a/b", "a b", "a.b"):
        assert not _BATCH_ID.fullmatch(key)
        with pytest.raises(LedgerError):
            check_batch_key(key)


# ------------------------------------------------------------------ 2. missing accounts among the selection
def test_missing_account_counts_the_selection_only(ledger):
    from datetime import date

    from ledger_helpers import DEADLINE, RUN, TODAY

    # two decisions carried to 公示 together; one has no account (not selected), the other is paid alone
    ledger.import_decisions(RUN, [decision(0), decision(1, account_no=None)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    did, other = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (0, 1))
    ids = [did, other]
    assert ledger.confirm_many(ids, "clerk", today=TODAY) == 2
    assert ledger.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过") == 2
    assert ledger.review_many(ids, "checker", stage=2, approve=True, reason="复审通过") == 2
    ledger.publicize("gs-0", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    assert ledger.decision(other)["account_no"] is None
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    assert res.paid == 1 and res.missing_account == 0
    rest = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[other])
    assert rest.paid == 0 and rest.missing_account == 1


# ------------------------------------------------------------------ 3. the decision's own money events
def test_history_holds_the_decisions_own_resize_recovery_receipt_and_bank_events(ledger, tmp_path):
    did, other = _paid_and_credited(ledger, tmp_path, 2)
    down = ledger.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert down.recovery_id is not None and down.recovery_fen > 0
    ledger.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=10_000, reference="YH001")
    up = ledger.change_size_class(did, "checker", new_size_class="small", reason="复查仍为小型")
    assert up.cancelled_recovery_ids == [down.recovery_id]

    hist = ledger.decision(did)["history"]
    actions = [h["action"] for h in hist]
    for a in MONEY_EVENTS:
        assert a in actions, (a, actions)
        assert action_zh(a) != a  # a Chinese label
    assert [h["seq"] for h in hist] == sorted(h["seq"] for h in hist)
    assert actions.index("bank_confirm") < actions.index("recompute_size_class") < actions.index("recover_overpayment") \
        < actions.index("recovery_receipt") < actions.index("cancel_recovery")
    assert actions.count("recompute_size_class") == 2

    # the other decision (paid in the same batch, confirmed in the same bank file) sees none of did's money steps
    theirs = [h["action"] for h in ledger.decision(other)["history"]]
    assert "bank_confirm" in theirs
    assert not {"recompute_size_class", "recover_overpayment", "recovery_receipt", "cancel_recovery"} & set(theirs)

    # the portal's history (a unit reading its own decision): each money step with this decision's amount
    from wengang.web.api import portal_history

    d = ledger.decision(did)
    items = portal_history(ledger, d, portal_operator="portal")
    by = {}
    for it in items:
        by.setdefault(it["action"], []).append(it)
    assert [it.get("amount_fen") for it in by["recompute_size_class"]] == [down.new_amount_fen, up.new_amount_fen]
    assert by["recover_overpayment"][0]["amount_fen"] == down.recovery_fen
    assert by["recovery_receipt"][0]["amount_fen"] == 10_000
    assert by["cancel_recovery"][0]["amount_fen"] == -(down.recovery_fen - 10_000)
    assert by["bank_confirm"][0]["amount_fen"] == d["payments"][0]["amount_fen"]
    assert all(it["actor"] == "经办机构" and it["action_zh"] for it in items)


# ------------------------------------------------------------------ 4. money in 元
def test_amount_mismatch_messages_say_yuan(ledger):
    [did] = to_payable(ledger, 1)
    due = ledger.decision(did)["amount_fen"]
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(did, "cashier", amount_fen=1, today=PAYDAY)
    assert e.value.code == "amount_mismatch"
    assert f"发放金额 {format_yuan(1)}与决定应发金额 {format_yuan(due)}不符" in e.value.zh
    assert " 分" not in e.value.zh and "fen" not in e.value.en


def test_confirm_amount_mismatch_says_yuan(ledger):
    from ledger_helpers import DEADLINE, RUN, TODAY

    ledger.import_decisions(RUN, [decision(3)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(3).unit_id)
    due = ledger.decision(did)["amount_fen"]
    with pytest.raises(LedgerError) as e:
        ledger.confirm(did, "clerk", amount_fen=1, today=TODAY)
    assert e.value.code == "amount_mismatch"
    assert f"确认金额 {format_yuan(1)}与决定金额 {format_yuan(due)}不符" in e.value.zh and " 分" not in e.value.zh
