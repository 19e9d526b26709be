"""A unit's (or person's) own page of a decision says what happened to each payment, in plain Chinese: 已发放（银行已
入账）, 已报盘，待银行回盘, 被退回（the bank's or office's reason, as a letter says it）, 已撤回，未发放 (the ledger
withdrew it before it went to the bank: a confirmed risk flag, 人社部发〔2024〕40号 六, or the credit check), or 待报盘，
尚未发放. Before, the recipient's table listed every payment as “发放” with nothing else, so a withdrawn payment read as
money sent. The caseworker's page keeps its “退回或撤回” column with the office's wording."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.casework.ledger_helpers import PAYDAY
from wengang.casework.ledger import BankReturnLine
from wengang.casework.outputs import write_bank_file
from wengang.documents.bank import read_bank_file

from .test_s34pages_risk import BANK, HTML, PAYER, _confirm, _flag, _payable_unit_a

COLUMN = "发放情况"


def _payments_table(html: str) -> str:
    """The text of the decision page's payments table (tags stripped, cells separated by |)."""
    at = html.index("<h2>发放记录</h2>")
    table = html[at : html.index("</table>", at)]
    return re.sub(r"(\s*\|\s*)+", "|", re.sub(r"<[^>]+>", "|", table))


def _unit_sees(web: Any, did: int) -> str:
    r = web.client("danwei").get(f"/decisions/{did}", headers=HTML)
    assert r.status_code == 200, r.text[:500]
    return _payments_table(r.text)


def _sent(web: Any, tmp_path: Path) -> Any:
    """UNIT_A's decision paid in batch B1 and its bank file written: the payment is with the bank."""
    did = _payable_unit_a(web)
    assert web.ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    plan = web.ledger.bank_file_plan("B1")["payments"]
    web.ledger.set_payee_banks({p["account_no"]: BANK for p in plan}, "cashier")
    sent = write_bank_file(web.ledger, "B1", tmp_path, "cashier", payer_account=PAYER, on=PAYDAY)
    assert sent is not None
    return did, sent


def _answer(web: Any, sent: Any, paid: bool, reason: str = "") -> None:
    lines = [BankReturnLine(n, p.reference, paid, p.amount_fen, p.account, reason)
             for n, p in enumerate(read_bank_file(sent.path).payments, 2)]  # fmt: skip
    web.ledger.apply_bank_return(sent.file_key, lines, "cashier", sha256="e" * 64, bank_date=PAYDAY)


def test_a_withdrawn_payment_is_said_withdrawn_not_paid(web):
    did = _payable_unit_a(web)
    assert web.ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    assert f"|{COLUMN}|" in _unit_sees(web, did) and "待报盘，尚未发放" in _unit_sees(web, did)
    fid = _flag(web, did, "s34portal-w")
    _confirm(web, fid)  # the 稽核 confirms the flag: the payment, not yet in a bank file, is withdrawn
    [pay] = web.ledger.decision(did)["payments"]
    table = _unit_sees(web, did)
    assert f"|{pay['id']}|发放|11,184.30元|已撤回，未发放|" in table, table
    assert "已发放" not in table and "疑点" not in table and "撤回：" not in table  # not the office's reason
    # the caseworker's column keeps the office's wording
    clerk = web.client("clerk").get(f"/decisions/{did}", headers=HTML).text
    assert "退回或撤回" in clerk and f"撤回：风险疑点 {fid} 核实" in clerk and COLUMN not in clerk


def test_a_payment_with_the_bank_then_credited(web, tmp_path: Path):
    did, sent = _sent(web, tmp_path)
    assert "|已报盘，待银行回盘|" in _unit_sees(web, did)
    _answer(web, sent, True)
    table = _unit_sees(web, did)
    assert "|已发放（银行已入账）|" in table and "待银行回盘" not in table, table


def test_a_bounced_payment_says_the_reason_as_a_letter_does(web, tmp_path: Path):
    did, sent = _sent(web, tmp_path)
    _answer(web, sent, False, "账户已销户")
    table = _unit_sees(web, did)
    assert "|被退回（账户已销户）|" in table and "已发放" not in table, table


def test_a_bounce_recorded_by_hand_drops_the_offices_codes(web, tmp_path: Path):
    did, _ = _sent(web, tmp_path)
    [pay] = web.ledger.decision(did)["payments"]
    web.ledger.record_bounce(pay["id"], "cashier", reason="户名与账号不符（account_name_mismatch）")
    table = _unit_sees(web, did)
    assert "|被退回（户名与账号不符）|" in table, table
    assert "account_name_mismatch" not in table
    clerk = web.client("clerk").get(f"/decisions/{did}", headers=HTML).text
    assert "户名与账号不符（account_name_mismatch）" in clerk  # the caseworker's page as recorded
