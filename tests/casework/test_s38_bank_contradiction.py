"""A later bank return that says 失败 for a payment an earlier return confirmed credited (outside tamper audit F3,
session 38): before, it was reported as "本回盘文件已处理 … 此前均已登记" with exit 0 and nobody was told. Now the line is
set aside with a warning, an event records it, and nothing changes (a bounce would pay the decision twice if the
money did reach the payee). On SQLite and PostgreSQL."""

from __future__ import annotations

from ledger_helpers import PAYDAY, bank_file, to_payable
from sqlalchemy import select

from wengang.casework.ledger import BankReturnLine
from wengang.casework.models import AuditEvent
from wengang.documents.bank import read_bank_file


def test_a_failed_line_for_a_payment_already_credited_is_a_warning_not_already_applied(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(ledger, "B1", tmp_path / "bank")
    pays = read_bank_file(sent.path).payments
    first = [BankReturnLine(n, p.reference, True, p.amount_fen, p.account, "") for n, p in enumerate(pays, 2)]
    res = ledger.apply_bank_return(sent.file_key, first, "cashier", sha256="a" * 64, bank_date=PAYDAY)
    assert len(res.confirmed) == 2
    # the same file again: already applied, quietly
    again = ledger.apply_bank_return(sent.file_key, first, "cashier", sha256="a" * 64, bank_date=PAYDAY)
    assert {r["code"] for r in again.refused} == {"already_recorded"}
    # a "corrected" file: the first payment now 失败
    flipped = [BankReturnLine(ln.line, ln.reference, i != 0, ln.amount_fen, ln.account, "账户已销户" if i == 0 else "")
               for i, ln in enumerate(first)]
    res = ledger.apply_bank_return(sent.file_key, flipped, "cashier", sha256="b" * 64, bank_date=PAYDAY)
    codes = {r["reference"]: r["code"] for r in res.refused}
    assert codes == {first[0].reference: "failed_after_credit", first[1].reference: "already_recorded"}
    (warn,) = [r for r in res.refused if r["code"] == "failed_after_credit"]
    assert "银行结果前后不符" in warn["zh"] and "账户已销户" in warn["zh"] and "不得据此重新发放" in warn["zh"]
    assert not res.bounced and all(ledger.decision(i)["state"] == "paid" for i in ids)
    E = AuditEvent.__table__.c
    with ledger.engine.connect() as c:
        ev = c.execute(select(E.entity_id, E.reason).where(E.action == "bank_contradiction")).all()
    assert len(ev) == 1 and "此前已确认入账" in ev[0][1]
    assert ledger.verify_audit().ok
