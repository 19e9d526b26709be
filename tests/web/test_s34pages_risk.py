"""The 稽核's risk page says what confirming a flag did to its decision's money (``risk_queue.confirm_flag``: a payment
not sent is withdrawn; on a payment with the bank the recovery waits for the bank's answer; then it is settled), and
the caseworker's decision page shows the recoveries waiting (``Ledger.decision()["risk_recovery_pending"]``) —
人社部发〔2024〕40号 六 “严防冒领、骗取基金和多发待遇风险”. Before, the queue went back to the open flags with
“处理结果见该疑点的核查结论” and the flag's verdict read “尚无可追回的已发金额：请暂缓或不予发放” whether its payment
had been withdrawn or was with the bank, and the decision page showed neither."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tests.casework.ledger_helpers import PAYDAY, TODAY, to_payable
from wengang.casework.ledger import BankReturnLine, payment_reference
from wengang.casework.outputs import write_bank_file
from wengang.casework.risk_queue import FLAG_COLUMNS, import_flags
from wengang.documents.bank import read_bank_file

from .conftest import UNIT_A

HTML = {"accept": "text/html,application/xhtml+xml"}
BANK = "102191000019"
PAYER = "15001234567890123456"


def _flag(web: Any, did: int, key: str) -> int:
    unit = web.ledger.decision(did)["unit_id"]
    row = {
        "flag_key": f"dispatch_allocation_mismatch:{key}", "check_id": "dispatch_allocation_mismatch",
        "severity": "高", "program": "fanhuan", "year": 2025, "subject_id": unit, "subject_name": "测试企业",
        "claim_key": "", "region_code": "150100", "record": key, "amount_fen": 50_000,
        "label": "派遣单位未全额拨付用工单位", "citation": "人社部发〔2024〕40号 三", "quote": "全额拨付",
        "evidence": json.dumps({"kept_fen": 50_000}),
    }  # fmt: skip
    import_flags(web.ledger, pl.DataFrame([row], schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS),
                 "auditor")  # fmt: skip
    from wengang.casework.risk_queue import list_flags

    return next(f["id"] for f in list_flags(web.ledger) if f["flag_key"].endswith(f":{key}"))


def _confirm(web: Any, fid: int) -> Any:
    auditor = web.client("auditor")
    r = auditor.post(f"/risk/{fid}/confirm", data={"csrf_token": auditor.headers["X-CSRF-Token"],
                                                   "reason": "核实：未全额拨付", "next": "/risk?status=open"},
                     headers=HTML, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"].startswith("/risk?status=open")  # back to the queue as it was filtered
    return auditor.get(r.headers["location"], headers=HTML)


def _reference(web: Any, did: int) -> str:
    [pay] = web.ledger.decision(did)["payments"]
    return payment_reference(did, pay["seq"], pay["kind"])


def test_confirming_a_flag_before_the_bank_file_says_the_payment_was_withdrawn(web):
    [did] = to_payable(web.ledger, 1)
    assert web.ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    ref = _reference(web, did)
    fid = _flag(web, did, "s34pages-w")
    page = _confirm(web, fid)
    assert page.status_code == 200
    # the notice: what the confirmation did, though the flag has left the open list
    assert f"疑点已核实（疑点编号 {fid}）：已撤回未报盘的付款 {ref}（不再报盘、不予追回）" in page.text
    assert f'id="flag-{fid}"' not in page.text
    # the verdict stays on the flag
    done = web.client("checker").get("/risk", params={"status": "confirmed"}, headers=HTML).text
    assert f"已撤回未报盘的付款 {ref}" in done
    # the decision page: the payment's withdrawal beside it, the step in Chinese in its history
    d = web.client("clerk").get(f"/decisions/{did}", headers=HTML).text
    assert "退回或撤回" in d and f"撤回：风险疑点 {fid} 核实" in d
    assert "撤回未报盘的付款" in d and "withdraw_payment" not in d


def _payable_unit_a(web: Any) -> int:
    """UNIT_A's notified decision (the fixture's) carried through confirmation, both reviews and 公示 (as
    ``ledger_helpers.to_payable``), so that the unit's own account can open it."""
    led, did = web.ledger, web.ids[UNIT_A]
    assert led.confirm_many([did], "clerk", today=TODAY) == 1
    assert led.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert led.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1
    led.publicize("gs-s34pages", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    return did


def test_a_recovery_waiting_for_the_bank_is_shown_until_the_bank_answers(web, tmp_path: Path):
    did = _payable_unit_a(web)
    assert web.ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    plan = web.ledger.bank_file_plan("B1")["payments"]
    web.ledger.set_payee_banks({p["account_no"]: BANK for p in plan}, "cashier")
    sent = write_bank_file(web.ledger, "B1", tmp_path, "cashier", payer_account=PAYER, on=PAYDAY)
    assert sent is not None
    ref = _reference(web, did)
    fid = _flag(web, did, "s34pages-p")
    page = _confirm(web, fid)
    assert (
        f"疑点已核实（疑点编号 {fid}）：决定 {did} 的付款 {ref} 已报盘、银行尚未回盘：追回待银行回盘"
        in page.text
    )
    assert "尚无可追回的已发金额" not in page.text
    # the caseworker's decision page: the recovery waiting, its flag and amount
    d = web.client("clerk").get(f"/decisions/{did}", headers=HTML).text
    assert 'id="risk-pending"' in d and "风险疑点追回：待银行回盘" in d
    section = d[d.index('id="risk-pending"') :]
    section = section[: section.index("</section>")]
    assert f"疑点 {fid}：派遣单位未全额拨付用工单位" in section and "500.00元" in section and ref in section
    assert "待银行回盘后按实际入账金额追回" in section and "auditor" in section  # who confirmed it
    # the unit's own page of the decision (``danwei`` is UNIT_A's account): not the office's pending step
    mine = web.client("danwei").get(f"/decisions/{did}", headers=HTML)
    assert mine.status_code == 200 and 'id="risk-pending"' not in mine.text and "疑点" not in mine.text
    # the bank credits it: the recovery is ordered then, the waiting row goes, the verdict says so
    lines = [BankReturnLine(n, p.reference, True, p.amount_fen, p.account, "")
             for n, p in enumerate(read_bank_file(sent.path).payments, 2)]  # fmt: skip
    web.ledger.apply_bank_return(sent.file_key, lines, "cashier", sha256="e" * 64, bank_date=PAYDAY)
    d = web.client("clerk").get(f"/decisions/{did}", headers=HTML).text
    assert 'id="risk-pending"' not in d and "风险疑点追回：银行已回盘" in d
    done = web.client("checker").get("/risk", params={"status": "confirmed"}, headers=HTML).text
    assert f"银行已回盘：已对决定 {did} 下达追回 500.00元" in done
