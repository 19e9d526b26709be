"""The readers of the ledger outside ledger.py count a return the credit check found void as the ledger does
(``Ledger._returned``): the projection (payment time and ``audit verify``), the monthly report, the bank-file
page; and a re-payment after a bounce pays only what is still due when a 多退少补 top-up stayed paid.

Every test runs on SQLite and on PostgreSQL (the ``db`` fixture of conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ledger_helpers import PAYDAY, register_staff, to_payable
from test_bounce_followups import (
    A0,
    NEW_ACCOUNT,
    alarmed,
    balance,
    bank_file,
    bank_return,
    counted_paid_is_what_the_bank_holds,
    pay,
    payment_of,
    sound,
)
from typer.testing import CliRunner

from wengang.casework import LedgerError
from wengang.casework.cli import case_app
from wengang.casework.ledger import Ledger
from wengang.casework.operators import add_operator
from wengang.casework.projection import Projection
from wengang.documents.bank import read_bank_file
from wengang.reports.statistics import monthly_payments

UP = A0 // 2  # 大型 (30%) paid first, then 微型 (60%): the other half is the top-up
FIRST = A0 - UP  # what was paid as 大型


@pytest.fixture
def ledger(db):
    led = register_staff(db.open())
    add_operator(led, "dual", roles=["复核", "出纳"], display_name="复核兼出纳", actor="admin")
    yield led
    led.close()


def findings(led: Ledger) -> list[str]:
    """What the projection over every decision finds (as ``audit verify`` runs it)."""
    with led.engine.connect() as c:
        p = Projection.build(c)
        return [i.zh for i in p.issues] + [d.issue().zh for d in p.differences(c)]


def voided_then_resized(led: Ledger, tmp_path: Path) -> tuple[int, object]:
    """A payment bounced by hand, credited by the bank, checked credited (the bounce void), then the decision resized
    up: a 多退少补 top-up of ``UP`` is due."""
    ids, sent, p0, _ = alarmed(led, tmp_path, large=True)
    did = ids[0]
    res = led.check_credit_after_bounce(did, "checker", credited=True, reason="银行书面确认：原付款已入账")
    assert res.state == "paid"
    up = led.change_size_class(did, "checker", new_size_class="micro", reason="划型更正")
    assert up.supplement_due_fen == UP
    return did, sent


# ------------------------------------------------------ 1. the projection counts a void return as the ledger does
def test_top_up_after_a_voided_bounce_is_paid_sent_and_verified(ledger, tmp_path):
    did, _ = voided_then_resized(ledger, tmp_path)
    assert findings(ledger) == []
    b2 = pay(ledger, "B2")
    # before: refused up front (补发须人工核对), and the projection took the correct top-up for a wrong one
    assert b2.refused == [] and (b2.supplements, b2.supplement_fen) == (1, UP)
    s0 = payment_of(ledger, did, kind="supplement")
    assert s0["amount_fen"] == UP
    sent = bank_file(ledger, "B2", tmp_path / "b2")
    assert sent is not None and sent.total_fen == UP
    assert [(p.reference, p.amount_fen) for p in read_bank_file(sent.path).payments] == [(f"{did}-S0", UP)]
    bank_return(ledger, sent, {f"{did}-S0": True})
    # the bank file, the projection and the audit agree: no finding, paid once, nothing more due
    assert findings(ledger) == []
    again = pay(ledger, "B3")
    assert (again.paid, again.supplements, again.refused) == (0, 0, [])
    b = balance(ledger, did)
    assert (b["paid_fen"], b["returned_fen"], b["net_fen"]) == (FIRST + UP, 0, FIRST + UP)
    counted_paid_is_what_the_bank_holds(ledger)
    sound(ledger)


def test_projection_voids_the_return_at_the_check_not_before(ledger, tmp_path):
    """A re-payment made while the bounce stood was right then; the check voids the return from its own event on,
    so the earlier re-payment is no finding and the recovery settles the double payment."""
    ids, _, _, sent2 = alarmed(ledger, tmp_path, repay=True, send_repay=True)
    did = ids[0]
    bank_return(ledger, sent2, {f"{did}-1": True})
    res = ledger.check_credit_after_bounce(did, "checker", credited=True, reason="银行确认原付款已入账")
    assert res.recovery_fen == A0
    assert findings(ledger) == []
    with ledger.engine.connect() as c:
        assert Projection.build(c, [did]).derived[did].net == A0  # paid twice, recovery ordered: A0 counted
    sound(ledger)


# ---------------------------------------------------- 2. a re-payment after a bounce never pays a top-up twice
def bounced_after_top_up(led: Ledger, tmp_path: Path) -> tuple[int, object]:
    """Paid and sent; resized up and the top-up paid, sent and credited; then the bank returns the initial payment
    and the corrected account is approved: the decision waits to be paid again."""
    ids = to_payable(led, 2)
    led.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")
    pay(led, "B1")
    sent1 = bank_file(led, "B1", tmp_path / "b1")
    did = ids[0]
    led.change_size_class(did, "checker", new_size_class="micro", reason="划型更正")
    assert pay(led, "B2").supplements == 1
    bank_return(led, bank_file(led, "B2", tmp_path / "b2"), {f"{did}-S0": True})
    bank_return(led, sent1, {f"{did}-0": False, f"{ids[1]}-0": True}, reason="账户已销户")
    assert led.decision(did)["state"] == "bounced"
    led.approve_account(led.fix_account(did, "cashier", account_no=NEW_ACCOUNT), "checker")
    return did, sent1


def test_repayment_after_a_bounce_pays_the_entitlement_less_the_top_up_still_paid(ledger, tmp_path):
    did, _ = bounced_after_top_up(ledger, tmp_path)
    res = pay(ledger, "B3")
    # before: the re-payment was the whole new entitlement (FIRST + UP), the top-up paid a second time
    assert (res.paid, res.amount_fen, res.refused) == (1, FIRST, [])
    p1 = payment_of(ledger, did, seq=1)
    assert (p1["amount_fen"], p1["account_no"]) == (FIRST, NEW_ACCOUNT)
    sent = bank_file(ledger, "B3", tmp_path / "b3")
    assert [(p.reference, p.amount_fen) for p in read_bank_file(sent.path).payments] == [(f"{did}-1", FIRST)]
    bank_return(ledger, sent, {f"{did}-1": True})
    b = balance(ledger, did)
    assert (b["paid_fen"], b["returned_fen"], b["net_fen"]) == (2 * FIRST + UP, FIRST, FIRST + UP)  # net = entitlement
    assert ledger.decision(did)["state"] == "paid"
    again = pay(ledger, "B4")
    assert (again.paid, again.supplements) == (0, 0)
    assert findings(ledger) == []
    counted_paid_is_what_the_bank_holds(ledger)
    sound(ledger)


def test_pay_decision_pays_what_is_still_due_too(ledger, tmp_path):
    did, _ = bounced_after_top_up(ledger, tmp_path)
    with pytest.raises(LedgerError) as e:  # the whole entitlement is not what is due
        ledger.pay_decision(did, "cashier", amount_fen=FIRST + UP, today=PAYDAY)
    assert e.value.code == "amount_mismatch"
    pid = ledger.pay_decision(did, "cashier", amount_fen=FIRST, today=PAYDAY)
    assert payment_of(ledger, did, seq=1)["id"] == pid
    assert balance(ledger, did)["net_fen"] == FIRST + UP
    sound(ledger)


def test_repayment_with_nothing_left_due_is_refused_and_says_why(ledger, tmp_path):
    did, _ = bounced_after_top_up(ledger, tmp_path)
    # lowered while bounced (no settlement then): the top-up still paid (UP) covers it (大型 again: FIRST = UP)
    ledger.change_size_class(did, "checker", new_size_class="large", reason="划型再更正")
    res = pay(ledger, "B3")
    assert res.paid == 0 and [i for i, _ in res.refused] == [did]
    assert "已无应发金额" in res.refused[0][1].zh
    assert [p["seq"] for p in ledger.decision(did)["payments"] if p["kind"] == "initial"] == [0]
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(did, "cashier", today=PAYDAY)
    assert e.value.code == "nothing_due"
    sound(ledger)


# ------------------------------------------------ 4. the monthly report: net = the ledger's reconciled net
def test_monthly_report_net_is_the_ledger_net_with_a_voided_bounce(ledger, db, tmp_path):
    did, _ = voided_then_resized(ledger, tmp_path)
    assert pay(ledger, "B2").supplements == 1
    bank_return(ledger, bank_file(ledger, "B2", tmp_path / "b2"), {f"{did}-S0": True})
    rec = ledger.reconcile()
    assert rec["ok"] and rec["voided_returns_fen"] == FIRST
    # the report connects by URL: on PostgreSQL to the test's schema
    rows = monthly_payments(db.url if db.schema is None else f"{db.url}?options=-csearch_path%3D{db.schema}")
    assert sum(r.returned_fen for r in rows) == 0  # the void return is not money back
    assert sum(r.net_fen for r in rows) == rec["net_fen"] == sum(b["net_fen"] for b in ledger.balances())


# ---------------------------------------------------- 5. bank-file says what it held back, and why
def test_cli_bank_file_names_the_payments_held_back(ledger, db, tmp_path):
    if db.kind != "sqlite":
        pytest.skip("the CLI on a SQLite file")
    ids, _, _, _ = alarmed(ledger, tmp_path, repay=True)
    ledger.close()
    out = CliRunner().invoke(
        case_app,
        [
            "bank-file",
            "B2",
            "--out",
            str(tmp_path / "b2"),
            "--db",
            db.url,
            "--user",
            "cashier",
            "--payer-account",
            "15001234567890123456",
        ],
    )
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "暂不报盘 1 笔" in text and f"决定 {ids[0]}" in text and "credit-check" in text
    assert "均已写入报盘文件" not in text  # not "nothing left": one is held
