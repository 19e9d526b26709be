"""What happened to each payment, computed once by the ledger (``Ledger._fate``; docs/casework.md "Money sent"):
``Ledger.decision(id)["payments"]`` rows carry ``fate`` — withdrawn, credited, returned, sent, paid_direct, not_sent —
and ``return_reason`` (the return's reason when returned or withdrawn, else None); a bounce a credit check found void
(``_returned``) is credited, its reason kept apart as ``void_return_reason``. ``Ledger.balances`` reports withdrawn,
not-yet-sent and with-the-bank money apart (``withdrawn_fen``, ``not_sent_fen``, ``with_bank_fen``) so that
``sent_fen`` (已发放) is money sent, while ``paid_fen`` / ``returned_fen`` / ``net_fen`` keep reconciling with the
money tables; letters say a payment not sent or with the bank as such.

Before: the rows had no fate (the web page read the tables itself), balances counted a withdrawn payment as paid and
again as returned and a payment not sent as paid, and a letter said “已将…发放至…” of a payment never sent.
Every test runs on SQLite and on PostgreSQL (the ``db`` fixture of conftest.py).
"""

from __future__ import annotations

import pytest
from ledger_helpers import PAYDAY, STAFF, decision, register_staff, to_payable
from test_bounce_followups import alarmed, bank_file, bank_return, pay

from wengang.casework.ledger import PAYMENT_FATES, Ledger, payment_reference
from wengang.casework.outputs import letter_input

A0, A1 = decision(0).amount_fen, decision(1).amount_fen
LOW = 60_000  # a resize to 大型


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF)
    yield led
    led.close()


def fates(led: Ledger, did: int) -> list[tuple[str, str | None, str | None]]:
    return [(p["fate"], p["return_reason"], p["void_return_reason"]) for p in led.decision(did)["payments"]]


def bal(led: Ledger, did: int) -> dict:
    [b] = led.balances(unit_id=led.decision(did)["unit_id"])
    return b


def apart(b: dict) -> tuple[int, ...]:
    """(sent, with the bank, bounced, net sent, not sent, withdrawn) as the unit's page shows them."""
    return (b["sent_fen"], b["with_bank_fen"], b["bounced_fen"], b["net_sent_fen"], b["not_sent_fen"],
            b["withdrawn_fen"])


def sound(led: Ledger) -> None:
    rep = led.verify_audit()
    assert rep.ok, rep.problems
    rec = led.reconcile()
    assert rec["ok"], rec
    # the fates balances reads agree with the predicates found by the other road
    assert rec["fates"] == {k: sum(b[k] for b in led.balances())
                            for k in ("withdrawn_fen", "not_sent_fen", "with_bank_fen")}


def notes(led: Ledger, did: int) -> list[str]:
    item = letter_input(led.letter_view(did))
    assert item is not None
    return item["notes"]


def test_not_sent_then_with_the_bank_then_credited_or_returned(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    pay(ledger, "B1")
    assert fates(ledger, ids[0]) == [("not_sent", None, None)]
    b = bal(ledger, ids[0])
    # paid_fen / net_fen as the money tables hold them; sent is not
    assert (b["paid_fen"], b["net_fen"]) == (A0, A0)
    assert apart(b) == (0, 0, 0, 0, A0, 0)
    assert not any("已将" in n for n in notes(ledger, ids[0]))
    assert any("尚未报送银行" in n for n in notes(ledger, ids[0]))
    sound(ledger)

    sent = bank_file(ledger, "B1", tmp_path / "b1")
    assert fates(ledger, ids[0]) == [("sent", None, None)]
    assert apart(bal(ledger, ids[0])) == (A0, A0, 0, A0, 0, 0)
    assert any("待银行确认入账" in n for n in notes(ledger, ids[0]))
    sound(ledger)

    bank_return(ledger, sent, {payment_reference(ids[0], 0): True, payment_reference(ids[1], 0): False})
    assert fates(ledger, ids[0]) == [("credited", None, None)]
    assert fates(ledger, ids[1]) == [("returned", "账户已销户", None)]
    assert apart(bal(ledger, ids[0])) == (A0, 0, 0, A0, 0, 0)
    b1 = bal(ledger, ids[1])
    assert (b1["paid_fen"], b1["returned_fen"], b1["net_fen"]) == (A1, A1, 0)
    assert apart(b1) == (A1, 0, A1, 0, 0, 0)
    assert any("已将" in n and "发放至" in n for n in notes(ledger, ids[0]))
    assert ledger.letter_view(ids[1])["returns"] == {ledger.decision(ids[1])["payments"][0]["id"]: "账户已销户"}
    sound(ledger)


def test_withdrawn_before_it_was_sent(ledger, tmp_path):
    [did] = to_payable(ledger, 1)
    pay(ledger, "B1")
    res = ledger.change_size_class(did, "checker", new_size_class="large", new_amount_fen=LOW,
                                   reason="统计部门认定为大型")
    [p0] = ledger.decision(did)["payments"]
    assert res.withdrawn == [p0["id"]]
    [(fate, why, void)] = fates(ledger, did)
    assert fate == "withdrawn" and why and void is None
    b = bal(ledger, did)
    # withdrawn: in paid and in returned alike (net unchanged), never sent, never a bounce
    assert (b["paid_fen"], b["returned_fen"], b["net_fen"]) == (A0, A0, 0)
    assert apart(b) == (0, 0, 0, 0, 0, A0)
    sound(ledger)
    # the new entitlement paid in the next batch: not sent yet; the letter names only it, and not as paid
    assert pay(ledger, "B2").paid == 1
    assert [f for f, _, _ in fates(ledger, did)] == ["withdrawn", "not_sent"]
    view = ledger.letter_view(did)
    assert [p["amount_fen"] for p in view["payments"]] == [LOW] and view["returns"] == {}
    assert apart(bal(ledger, did)) == (0, 0, 0, 0, LOW, A0)
    assert not any("已将" in n for n in notes(ledger, did))
    sound(ledger)


def test_paid_outside_a_batch_then_bounced_by_hand(ledger):
    [did] = to_payable(ledger, 1)
    ledger.pay_decision(did, "cashier", today=PAYDAY)
    assert fates(ledger, did) == [("paid_direct", None, None)]
    assert apart(bal(ledger, did)) == (A0, 0, 0, A0, 0, 0)
    sound(ledger)
    [p0] = ledger.decision(did)["payments"]
    ledger.record_bounce(p0["id"], "cashier", reason="户名与账号不符")
    assert fates(ledger, did) == [("returned", "户名与账号不符", None)]
    assert apart(bal(ledger, did)) == (A0, 0, A0, 0, 0, 0)
    sound(ledger)


def test_a_bounce_found_void_is_credited(ledger, tmp_path):
    ids, _, p0, _ = alarmed(ledger, tmp_path)
    # bounced by hand, then the bank's return said credited: the bounce stands until a 复核 checks it
    assert fates(ledger, ids[0]) == [("returned", "单位称账户已销户", None)]
    ledger.check_credit_after_bounce(ids[0], "checker", credited=True, reason="银行书面确认：原付款已入账")
    assert fates(ledger, ids[0]) == [("credited", None, "单位称账户已销户")]
    b = bal(ledger, ids[0])
    assert (b["returned_fen"], b["net_fen"]) == (0, A0)
    assert apart(b) == (A0, 0, 0, A0, 0, 0)
    assert ledger.letter_view(ids[0])["returns"] == {}
    sound(ledger)


def test_every_fate_is_one_of_the_six():
    assert PAYMENT_FATES == ("withdrawn", "credited", "returned", "sent", "paid_direct", "not_sent")
