"""The monthly report dates a recovery received by the day the money arrived (session 40): ``case recovery-received
… --date`` records ``received_on``, but ``report monthly`` dated every receipt by the last business date in the
audit chain, so receipts of October entered in September were September's (追回到账 538.92元) and October said
0.00元. Now a receipt is counted in the month of its ``received_on``; a receipt recorded before receipts had a day
falls back to the audit chain's business date; the months' nets still add up to the ledger's. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.casework.conftest import DB, pg_available
from tests.casework.ledger_helpers import MORE_STAFF, PAYDAY, STAFF, cli_url, register_staff, to_payable
from tests.reports.test_s34money_monthly import bank_file, bank_return
from wengang.casework.ledger import payment_reference
from wengang.reports.statistics import monthly_payments

DEC, JAN = date(2025, 12, 3), date(2026, 1, 15)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    if request.param == "postgres" and not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
    d = DB(request.param, tmp_path)
    yield d
    d.drop()


def _received_later(db, tmp_path: Path) -> tuple[int, int]:
    """Paid 120,000 on PAYDAY (November) and credited, resized to 大型 (a recovery of 60,000), and both receipts
    entered at once while the ledger's last business date is still November: 20,000 received 3 December, 40,000
    received 15 January. Returns the recovery's id and the ledger's net."""
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    try:
        [did] = to_payable(led, 1)
        led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
        bank_return(led, bank_file(led, "B1", tmp_path / "b1"), {payment_reference(did, 0)})
        down = led.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
        assert down.recovery_fen == 60_000
        led.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=20_000, received_on=DEC,
                                    reference="YH001")
        led.record_recovery_receipt(down.recovery_id, "cashier", amount_fen=40_000, received_on=JAN,
                                    reference="YH002")
        [bal] = led.balances()
        assert led.reconcile()["ok"]
        return down.recovery_id, bal["net_fen"]
    finally:
        led.close()


def _by_month(rows) -> dict[str, tuple[int, int, int]]:
    out: dict[str, tuple[int, int, int]] = {}
    for r in rows:
        n, paid, rec = out.get(r.month, (0, 0, 0))
        out[r.month] = (n + r.recovered, paid + r.paid_fen, rec + r.recovered_fen)
    return out


def test_a_receipt_is_counted_in_the_month_it_was_received(db, tmp_path: Path) -> None:
    _, net = _received_later(db, tmp_path)
    url = cli_url(db)
    rows = monthly_payments(url)
    nov = PAYDAY.strftime("%Y-%m")
    assert _by_month(rows) == {nov: (0, 120_000, 0), "2025-12": (1, 0, 20_000), "2026-01": (1, 0, 40_000)}
    # the months' nets add up to the ledger's (paid − returned − recovered; nothing unsent here)
    assert sum(r.net_fen for r in rows) == net == 60_000
    assert not any(r.not_sent_fen for r in rows)
    # the year filter by the receipt's own year
    assert sum(r.recovered_fen for r in monthly_payments(url, 2025)) == 20_000
    assert [(r.month, r.recovered_fen, r.paid_fen) for r in monthly_payments(url, 2026)] == [("2026-01", 40_000, 0)]


def test_report_monthly_says_the_receipt_in_its_month(db, tmp_path: Path) -> None:
    from wengang.cli import app

    _received_later(db, tmp_path)
    said = {}
    for m in (PAYDAY.strftime("%Y-%m"), "2025-12", "2026-01"):
        r = CliRunner().invoke(app, ["report", "monthly", "--db", cli_url(db), "--month", m,
                                     "--out", str(tmp_path / f"{m}.xlsx")])
        assert r.exit_code == 0, r.output
        said[m] = " ".join(r.output.split())
    assert "追回到账 0.00元" in said[PAYDAY.strftime("%Y-%m")]
    assert "追回到账 200.00元；净发放 -200.00元" in said["2025-12"]
    assert "追回到账 400.00元；净发放 -400.00元" in said["2026-01"]


def test_a_receipt_without_a_day_falls_back_to_the_business_date(db, tmp_path: Path) -> None:
    """Receipts recorded before instalments (migration 0009) have no ``received_on``: dated as before, by the
    business date last recorded before them in the audit chain (here November's bank return)."""
    _, net = _received_later(db, tmp_path)
    eng = create_engine(cli_url(db))
    try:
        with eng.begin() as c:
            c.execute(text("UPDATE case_recovery_receipts SET received_on = NULL WHERE amount_fen = 20000"))
    finally:
        eng.dispose()
    rows = monthly_payments(cli_url(db))
    nov = PAYDAY.strftime("%Y-%m")
    assert _by_month(rows) == {nov: (1, 120_000, 20_000), "2026-01": (1, 0, 40_000)}
    assert sum(r.net_fen for r in rows) == net
