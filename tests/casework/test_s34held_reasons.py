"""A payment held back from its bank file names every reason that holds it, and the batch's payments reconcile.

``Ledger._to_send`` holds an unsent payment of a batch while its decision has a credit the bank reported after the
payment was recorded as bounced that no 复核 has checked (``paid_after_bounce``: sending could pay twice; 人社部发
〔2024〕40号 六 “严防冒领、骗取基金和多发待遇风险”), or a 风险疑点 the 稽核 has not cleared (``risk_flag``; same clause,
内人社发〔2025〕18号 五 “切实防范冒领骗取和多发错发”). Before session 34 a payment held for both reasons showed only the
first, so lifting it seemed to release the payment; now ``held_reasons`` lists both (``held_code``/``held_zh``/
``held_en``: the first), the ledger counts the batch (``batch_counts``: payments = in bank files + withdrawn before
sending + held + pending), and ``wengang case bank-file`` prints every reason and the counts, Chinese first;
``wengang case bank-return`` shows the recoveries of confirmed risk flags the bank's answer settled. SQLite and
PostgreSQL (the ``db`` fixture of conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from ledger_helpers import MORE_STAFF, STAFF, register_staff, to_payable
from test_bounce_followups import NEW_ACCOUNT, bank_file, bank_return, pay, payment_of
from test_s34flag_withdraw import raise_flag
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.casework.outputs import held_notice
from wengang.casework.risk_queue import clear_flag, confirm_flag
from wengang.documents.bank import ReturnRecord, read_bank_file, write_return_file
from wengang.money import format_yuan

PAYER = "15001234567890123456"


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def _url(db) -> str:
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def two_holds(led, tmp_path: Path) -> dict[str, int]:
    """Batch B2: d0's re-payment (its B1 payment, bounced by hand, was then credited by the bank: an unchecked
    alarm) whose unit also has an uncleared risk flag; d1, held by a risk flag only; d2, to send."""
    [d0] = to_payable(led, 1)
    assert pay(led, "B1").paid == 1
    sent = bank_file(led, "B1", tmp_path / "b1")
    led.record_bounce(payment_of(led, d0)["id"], "cashier", reason="单位称账户已销户")
    led.approve_account(led.fix_account(d0, "cashier", account_no=NEW_ACCOUNT), "checker")
    d1, d2 = to_payable(led, 2, start=1)
    assert pay(led, "B2").paid == 3
    res = bank_return(led, sent, {f"{d0}-0": True})
    assert [r["code"] for r in res.refused] == ["paid_after_bounce"]
    f0 = raise_flag(led, d0, key="s34held-0")
    f1 = raise_flag(led, d1, key="s34held-1")
    plan = led.bank_file_plan("B2")
    led.set_payee_banks({p["account_no"]: "102191000019" for p in plan["payments"] + plan["held"]}, "cashier")
    return {"d0": d0, "d1": d1, "d2": d2, "f0": f0, "f1": f1}


def codes(plan: dict) -> dict[int, list[str]]:
    return {h["decision_id"]: [x["code"] for x in h["held_reasons"]] for h in plan["held"]}


def test_a_payment_held_twice_keeps_both_reasons_until_both_are_lifted(ledger, tmp_path):
    ids = two_holds(ledger, tmp_path)
    d0, d1, d2 = ids["d0"], ids["d1"], ids["d2"]
    plan = ledger.bank_file_plan("B2", counts=True)
    assert [p["decision_id"] for p in plan["payments"]] == [d2]
    assert codes(plan) == {d0: ["paid_after_bounce", "risk_flag"], d1: ["risk_flag"]}
    h0 = next(h for h in plan["held"] if h["decision_id"] == d0)
    alarm, risk = h0["held_reasons"]
    # the first (most important) is repeated as held_code / held_zh / held_en
    assert (h0["held_code"], h0["held_zh"], h0["held_en"]) == ("paid_after_bounce", alarm["zh"], alarm["en"])
    assert "可能重复支付" in alarm["zh"] and f"credit-check {d0}" in alarm["en"]
    assert f"风险疑点 {ids['f0']}" in risk["zh"] and "人社部发〔2024〕40号 三" in risk["zh"]
    assert f"risk flag {ids['f0']}" in risk["en"]
    assert plan["counts"] == {"payments": 3, "in_files": 0, "withdrawn": 0, "held": 2, "pending": 1,
                              "reconciles": True}
    assert ledger.batch_counts("B2") == plan["counts"]

    # the bank corrects its line: the alarm is lifted, the risk flag still holds the re-payment (fail closed)
    ledger.check_credit_after_bounce(d0, "checker", credited=False, reason="银行更正：款项未入账")
    plan = ledger.bank_file_plan("B2")
    assert codes(plan) == {d0: ["risk_flag"], d1: ["risk_flag"]}
    assert plan["held"][0]["held_code"] == "risk_flag" and plan["held"][0]["held_zh"] == risk["zh"]
    sent = bank_file(ledger, "B2", tmp_path / "b2")
    assert sent is not None and [p.reference for p in read_bank_file(sent.path).payments] == [f"{d2}-0"]
    assert ledger.batch_counts("B2") == {"payments": 3, "in_files": 1, "withdrawn": 0, "held": 2, "pending": 0,
                                         "reconciles": True}
    # the 稽核 clears d0's flag: only now does the re-payment go
    clear_flag(ledger, ids["f0"], "auditor", reason="核实无误")
    assert codes(ledger.bank_file_plan("B2")) == {d1: ["risk_flag"]}
    sent = bank_file(ledger, "B2", tmp_path / "b2")
    assert sent is not None and [p.reference for p in read_bank_file(sent.path).payments] == [f"{d0}-1"]
    assert ledger.batch_counts("B2") == {"payments": 3, "in_files": 2, "withdrawn": 0, "held": 1, "pending": 0,
                                         "reconciles": True}


def test_clearing_the_flag_first_leaves_the_alarm_and_a_withdrawal_is_counted_once(ledger, tmp_path):
    ids = two_holds(ledger, tmp_path)
    d0, d1 = ids["d0"], ids["d1"]
    clear_flag(ledger, ids["f0"], "auditor", reason="核实无误")
    plan = ledger.bank_file_plan("B2")
    assert codes(plan) == {d0: ["paid_after_bounce"], d1: ["risk_flag"]}  # still held: the alarm is unchecked
    # the 复核 finds the first payment did reach the payee: the re-payment is withdrawn, never sent
    res = ledger.check_credit_after_bounce(d0, "checker", credited=True, reason="银行书面确认原付款已入账")
    assert len(res.withdrawn) == 1
    plan = ledger.bank_file_plan("B2", counts=True)
    assert codes(plan) == {d1: ["risk_flag"]}
    assert plan["counts"] == {"payments": 3, "in_files": 0, "withdrawn": 1, "held": 1, "pending": 1,
                              "reconciles": True}
    from wengang.casework.outputs import counts_line

    line = counts_line("B2", plan["counts"])
    assert line.index("批次 B2 共 3 笔") < line.index("batch B2: 3 payments")
    assert "未报盘即撤回或退回 1" in line and "暂不报盘 1" in line and "仍待报盘 1" in line


def test_held_notice_names_every_reason_of_a_payment(ledger, tmp_path):
    ids = two_holds(ledger, tmp_path)
    plan = ledger.bank_file_plan("B2")
    text = held_notice(plan["held"]) or ""
    h0 = next(h for h in plan["held"] if h["decision_id"] == ids["d0"])
    alarm, risk = h0["held_reasons"]
    assert "原因 2 项" in text and f"1. {alarm['zh']} / {alarm['en']}" in text and f"2. {risk['zh']}" in text
    assert text.index(alarm["zh"]) < text.index(alarm["en"])  # Chinese first


def test_cli_bank_file_prints_every_reason_and_the_counts(ledger, db, tmp_path):
    ids = two_holds(ledger, tmp_path)
    d0, d1, d2 = ids["d0"], ids["d1"], ids["d2"]
    r = CliRunner().invoke(case_app, ["bank-file", "B2", "--out", str(tmp_path / "b2"), "--db", _url(db),
                                      "--user", "cashier", "--payer-account", PAYER, "--date", "2025-11-01"])
    assert r.exit_code == 0, r.output
    out = re.sub(r"\s+", " ", r.output)
    assert "报盘批次号 B2：1 笔" in out
    # d0: both reasons, numbered, each Chinese then English; d1: its one reason
    m0 = out.index(f"暂不报盘 1 笔（{format_yuan(payment_of(ledger, d0, seq=1)['amount_fen'])}），涉及决定 {d0}，业务参考号 {d0}-1，"
                   "原因 2 项，须全部解除方可报盘")
    one, two = out.index(" 1. 事件 ", m0), out.index(" 2. 风险疑点 ", m0)
    assert m0 < one < out.index("【可能重复支付】", one) < out.index(f"credit-check {d0}", one) < two
    assert two < out.index(f"风险疑点 {ids['f0']}（待核查）", two) < out.index(f"risk flag {ids['f0']} (open", two)
    assert f"涉及决定 {d1}，业务参考号 {d1}-0：风险疑点 {ids['f1']}（待核查）" in out
    assert f"{d2}-0" not in out  # sent, not held
    assert "批次 B2 共 3 笔 = 已写入报盘文件 1 + 未报盘即撤回或退回 0 + 暂不报盘 2 + 仍待报盘 0" in out
    assert "batch B2: 3 payments = 1 in bank files" in out
    assert out.index("批次 B2 共 3 笔") < out.index("batch B2: 3 payments")


def test_cli_bank_return_shows_the_risk_recoveries_it_settled(ledger, db, tmp_path):
    ids = to_payable(ledger, 2)
    assert pay(ledger, "B1").paid == 2
    sent = bank_file(ledger, "B1", tmp_path / "b1")
    fid = raise_flag(ledger, ids[0])  # 50 000 fen at risk
    out = confirm_flag(ledger, fid, "auditor", reason="核实：未全额拨付")
    assert out.awaiting_bank == [f"{ids[0]}-0"]
    fid1 = raise_flag(ledger, ids[1], key="k2")
    assert confirm_flag(ledger, fid1, "auditor", reason="核实：未全额拨付").awaiting_bank == [f"{ids[1]}-0"]
    # the bank credits the first, sends the second back
    ret = write_return_file("B1", read_bank_file(sent.path).on,
                            [ReturnRecord(p.reference, p.reference == f"{ids[0]}-0", p.amount_fen, p.account,
                                          "" if p.reference == f"{ids[0]}-0" else "账户已销户")
                             for p in read_bank_file(sent.path).payments], tmp_path / "ret.txt")
    r = CliRunner().invoke(case_app, ["bank-return", str(ret), "--db", _url(db), "--user", "cashier"])
    assert r.exit_code == 0, r.output
    text = re.sub(r"\s+", " ", r.output)
    [rec] = ledger.decision(ids[0])["recoveries"]
    assert rec["amount_fen"] == 50_000
    assert (f"风险疑点 {fid}（决定 {ids[0]}）：银行已回盘，按实际发放金额下达追回 {format_yuan(50_000)}（追回单 "
            f"{rec['id']}）") in text
    assert f"risk flag {fid} (decision {ids[0]})" in text and f"recovery {rec['id']} of 50000 fen" in text
    assert text.index(f"风险疑点 {fid}") < text.index(f"risk flag {fid}")
    # and why: the ledger's reason (Ledger._why_nothing), not a guess covering every case
    assert (f"风险疑点 {fid1}（决定 {ids[1]}）：银行已回盘，无须追回（银行退回，款项未入账，没有实际发放的金额可追回）" in text
            and f"risk flag {fid1} (decision {ids[1]}): answered by the bank, nothing to recover (the bank sent the "
                "money back" in text)
    assert ledger.decision(ids[1])["recoveries"] == []


def test_each_unchecked_credit_of_a_decision_is_a_reason_of_its_own(ledger, tmp_path):
    """Two payments of d0, each bounced by hand, both later credited by the bank: two alarms, each checked on its own
    (``check_credit_after_bounce`` ``payment_id``). The re-payment waiting in B3 lists both; checking one leaves the
    other holding it."""
    [d0] = to_payable(ledger, 1)
    assert pay(ledger, "B1").paid == 1
    sent1 = bank_file(ledger, "B1", tmp_path / "b1")
    p0 = payment_of(ledger, d0)
    ledger.record_bounce(p0["id"], "cashier", reason="单位称账户已销户")
    ledger.approve_account(ledger.fix_account(d0, "cashier", account_no=NEW_ACCOUNT), "checker")
    assert pay(ledger, "B2").paid == 1
    sent2 = bank_file(ledger, "B2", tmp_path / "b2")
    p1 = payment_of(ledger, d0, seq=1)
    ledger.record_bounce(p1["id"], "cashier", reason="单位称账户又已销户")
    ledger.approve_account(ledger.fix_account(d0, "cashier", account_no="6222888800000001"), "checker")
    assert pay(ledger, "B3").paid == 1
    for sent, ref in ((sent1, f"{d0}-0"), (sent2, f"{d0}-1")):
        assert [r["code"] for r in bank_return(ledger, sent, {ref: True}).refused] == ["paid_after_bounce"]
    [h] = ledger.bank_file_plan("B3")["held"]
    first, second = h["held_reasons"]
    assert [first["code"], second["code"]] == ["paid_after_bounce", "paid_after_bounce"]
    assert f"付款 {d0}-0 已入账" in first["zh"] and f"付款 {d0}-1 已入账" in second["zh"]
    assert h["held_zh"] == first["zh"]
    ledger.check_credit_after_bounce(d0, "checker", credited=False, reason="银行更正：款项未入账", payment_id=p0["id"])
    [h] = ledger.bank_file_plan("B3")["held"]
    assert [x["zh"] for x in h["held_reasons"]] == [second["zh"]]
