"""The monthly upward report (晋人社厅发〔2024〕28号 四 “每月发放日后要统计汇总发放情况”) leaves a payment withdrawn before
it was sent out of 发放 and 退回 (session 34 audit D4): the money never left and the bank never saw it. Before, a
payment withdrawn by a resize and its re-payment were reported as 发放 2 笔 and 退回 once; the net was right but
the gross count and amounts were inflated. Now the withdrawal is a column of its own and the net still agrees
with the ledger to the fen."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from tests.casework.ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from wengang.casework import Ledger
from wengang.casework.ledger import BankReturnLine, payment_reference
from wengang.casework.outputs import write_bank_file
from wengang.documents.bank import read_bank_file
from wengang.reports.statistics import monthly_payments


def bank_file(led: Ledger, batch: str, out: Path):
    plan = led.bank_file_plan(batch)["payments"]
    led.set_payee_banks({p["account_no"]: "102191000019" for p in plan}, "cashier")
    return write_bank_file(led, batch, out, "cashier", payer_account="15001234567890123456", on=PAYDAY)


def bank_return(led: Ledger, sent, credited: set[str]) -> None:
    lines = [BankReturnLine(n, p.reference, True, p.amount_fen, p.account, "")
             for n, p in enumerate(read_bank_file(sent.path).payments, 2) if p.reference in credited]
    led.apply_bank_return(sent.file_key, lines, "cashier", sha256=sent.file_key.ljust(64, "0"), bank_date=PAYDAY)


def _withdrawn_then_repaid(tmp_path: Path) -> tuple[str, int, int, dict[str, int]]:
    url = f"sqlite:///{tmp_path}/ledger.db"
    led = register_staff(Ledger.open(url), STAFF | MORE_STAFF)
    try:
        [a] = to_payable(led, 1)
        led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)  # a-0, never sent
        first = led.decision(a)["payments"][0]["amount_fen"]
        res = led.change_size_class(a, "checker", new_size_class="large", new_amount_fen=60_000, reason="大型")
        assert len(res.withdrawn) == 1
        led.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)  # a-1 = 60,000
        sent = bank_file(led, "B2", tmp_path / "b2")
        bank_return(led, sent, {payment_reference(a, 1)})
        [bal] = led.balances()
        assert led.reconcile()["ok"]
        return url, a, first, bal
    finally:
        led.close()


def test_monthly_leaves_a_withdrawn_payment_out_of_paid_and_returned(tmp_path: Path) -> None:
    url, _, first, bal = _withdrawn_then_repaid(tmp_path)
    [row] = monthly_payments(url, 2025)
    assert (row.payments, row.paid_fen) == (1, 60_000) == (1, bal["sent_fen"])
    assert (row.returned, row.returned_fen) == (0, 0) == (0, bal["bounced_fen"])
    assert (row.withdrawn, row.withdrawn_fen) == (1, first) == (1, bal["withdrawn_fen"])
    assert row.net_fen == bal["net_fen"] == 60_000


def test_monthly_cli_and_sheet_show_the_withdrawal_apart(tmp_path: Path) -> None:
    from wengang.cli import app

    url, _, first, _ = _withdrawn_then_repaid(tmp_path)
    out = tmp_path / "m.xlsx"
    r = CliRunner().invoke(app, ["report", "monthly", "--db", url, "--month", PAYDAY.strftime("%Y-%m"),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "发放 1 笔，600.00元；退回 0.00元" in said and "未报盘即撤回 1 笔" in said
    ws = openpyxl.load_workbook(out)["本月发放"]
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert "本月撤回金额（未发出）" in values and first / 100 in values


def test_monthly_shows_payments_not_sent_to_the_bank_apart(tmp_path: Path) -> None:
    """Outside audit F3 (session 37): a batch run but no bank file written yet was reported as 发放 while the ledger's
    balance said 未报盘 and the letters “尚未报送银行”. It is 未报盘 in the report until a bank file has it, then 发放
    by its own date; the net agrees with the ledger's once it is sent."""
    from wengang.cli import app

    url = f"sqlite:///{tmp_path}/ledger.db"
    led = register_staff(Ledger.open(url), STAFF | MORE_STAFF)
    try:
        [a] = to_payable(led, 1)
        led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
        amount = led.decision(a)["payments"][0]["amount_fen"]
        [row] = monthly_payments(url, 2025)
        assert (row.payments, row.paid_fen, row.not_sent, row.not_sent_fen) == (0, 0, 1, amount)
        out = tmp_path / "m.xlsx"
        r = CliRunner().invoke(app, ["report", "monthly", "--db", url, "--month", PAYDAY.strftime("%Y-%m"),
                                     "--out", str(out)])
        assert r.exit_code == 0, r.output
        said = " ".join(r.output.split())
        assert "发放 0 笔，0.00元" in said and f"未报盘 1 笔，{amount / 100:,.2f}元（尚未报送银行，不计入发放）" in said
        values = [c for row in openpyxl.load_workbook(out)["本月发放"].iter_rows(values_only=True) for c in row]
        assert "本月未报盘金额（尚未发出）" in values and amount / 100 in values
        sent = bank_file(led, "B1", tmp_path / "b1")
        bank_return(led, sent, {payment_reference(a, 0)})
        [row] = monthly_payments(url, 2025)
        [bal] = led.balances()
        assert (row.payments, row.paid_fen, row.not_sent_fen) == (1, amount, 0)
        assert row.net_fen == bal["net_fen"] == amount
    finally:
        led.close()


def test_money_is_paid_out_in_the_month_its_bank_file_is_dated(tmp_path: Path) -> None:
    """Outside audit (session 37): a batch of 30 December sent to the bank on 5 January was reported as December's
    发放 once sent (December's report, made again, changed) and never as January's. The bank file's date is when the
    money left."""
    from datetime import date

    url = f"sqlite:///{tmp_path}/ledger.db"
    led = register_staff(Ledger.open(url), STAFF | MORE_STAFF)
    try:
        [a] = to_payable(led, 1)
        led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=date(2025, 12, 30))
        amount = led.decision(a)["payments"][0]["amount_fen"]
        plan = led.bank_file_plan("B1")["payments"]
        led.set_payee_banks({p["account_no"]: "102191000019" for p in plan}, "cashier")
        write_bank_file(led, "B1", tmp_path / "b1", "cashier", payer_account="15001234567890123456",
                        on=date(2026, 1, 5))  # fmt: skip
        by = {r.month: r for r in monthly_payments(url)}
        assert "2025-12" not in by or by["2025-12"].paid_fen == 0
        assert (by["2026-01"].payments, by["2026-01"].paid_fen) == (1, amount)
    finally:
        led.close()
