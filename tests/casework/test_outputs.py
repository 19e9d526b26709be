"""Ledger → documents: the bank file and the bank's return, re-routing to the 税务 account, 公示 and letters.

Every test on the ``ledger`` fixture runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import MORE_STAFF, PAYDAY, RUN, STAFF, TODAY, decision, register_staff, to_payable
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from tests.documents.pdfread import pdf_text
from typer.testing import CliRunner

from wengang.casework import Ledger, LedgerError
from wengang.casework.cli import audit_app, case_app
from wengang.casework.models import Payment, PaymentBatch
from wengang.casework.outputs import apply_return_file, write_bank_file, write_letters, write_publicity
from wengang.documents.bank import ReturnRecord, read_bank_file, write_return_file
from wengang.documents.errors import DocumentError

PAYER = "15001234567890123456"
BANK = "102191000019"
AGENCY = {"name": "呼和浩特市人力资源和社会保障局", "review_body": "呼和浩特市人民政府", "court": "呼和浩特市新城区人民法院"}


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def _batch_sum(led: Ledger, batch_key: str) -> tuple[int, int]:
    P, B = Payment.__table__.c, PaymentBatch.__table__.c
    with led.engine.connect() as c:
        n, s = c.execute(select(func.count(), func.coalesce(func.sum(P.amount_fen), 0)).select_from(
            Payment.__table__.join(PaymentBatch.__table__, P.batch_id == B.id)).where(B.batch_key == batch_key)).one()
    return int(n), int(s)


def _register_banks(led: Ledger, batch_key: str) -> None:
    led.set_payee_banks({p["account_no"]: BANK for p in led.bank_file_plan(batch_key)["payments"]}, "cashier")


def _events(led: Ledger, action: str) -> list[dict]:
    with led.engine.connect() as c:
        return [json.loads(a) for a in c.execute(
            text("select after from case_audit_events where action = :a order by seq"), {"a": action}).scalars()]


def _text(pdf: Path) -> str:
    """The PDF's text without white space (lines break anywhere)."""
    return re.sub(r"\s+", "", pdf_text(pdf))


def _state(led: Ledger, did: int) -> str:
    return led.decision(did)["state"]


def test_money_to_the_bank_and_back(ledger, tmp_path):
    ids = to_payable(ledger, 5)  # imported, confirmed, 初审 by reviewer1, 复审 by reviewer2, on 公示 list gs-0
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 5

    # no bank code for the payee accounts: refused whole, nothing written or recorded
    before = ledger.counts()
    with pytest.raises(DocumentError, match="5 笔付款的收款账户没有登记开户行行号"):
        write_bank_file(ledger, "B1", tmp_path / "bank", "cashier", payer_account=PAYER, on=PAYDAY)
    assert ledger.counts() == before and not (tmp_path / "bank").exists()
    with pytest.raises(LedgerError) as e:
        write_bank_file(ledger, "NO-SUCH", tmp_path, "cashier", payer_account=PAYER)
    assert e.value.code == "not_found"

    _register_banks(ledger, "B1")
    sent = write_bank_file(ledger, "B1", tmp_path / "bank", "cashier", payer_account=PAYER, on=PAYDAY)
    back = read_bank_file(sent.path)
    n, total = _batch_sum(ledger, "B1")
    assert back.total_fen == sent.total_fen == total == sum(decision(i).amount_fen for i in range(5))
    assert back.count == n == 5 and back.batch_id == "B1" and back.on == PAYDAY
    assert [p.reference for p in back.payments] == [f"{i}-0" for i in ids]
    assert sorted(p.name for p in (tmp_path / "bank").iterdir()) == ["B1.txt", "B1.xlsx"]  # no temporary left
    sheet = load_workbook(sent.xlsx).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert f"控制总额（分）：{total}" in cells and "笔数：5" in cells
    assert not any("6222000000000001" in c for c in cells)  # accounts masked in the twin
    [ev] = _events(ledger, "bank_file")
    assert ev["sha256"] == hashlib.sha256(sent.path.read_bytes()).hexdigest() == sent.sha256
    assert ev["file_key"] == "B1" and ev["rows"] == 1
    # every payment goes to the bank once: nothing left to send in B1
    assert write_bank_file(ledger, "B1", tmp_path / "bank", "cashier", payer_account=PAYER, on=PAYDAY) is None

    # the bank's return: 2 credited, 2 bounced, an amount that differs and a reference never sent are set aside
    pays = {p.reference: p for p in back.payments}
    ref = [f"{i}-0" for i in ids]
    records = [
        ReturnRecord(ref[0], True, pays[ref[0]].amount_fen, pays[ref[0]].account),
        ReturnRecord(ref[1], False, pays[ref[1]].amount_fen, pays[ref[1]].account, "账户已销户"),
        ReturnRecord(ref[2], False, pays[ref[2]].amount_fen, pays[ref[2]].account, "户名与账号不符"),
        ReturnRecord(ref[3], True, pays[ref[3]].amount_fen + 1, pays[ref[3]].account),
        ReturnRecord("99999-0", True, 500, "6222999999999999"),
        ReturnRecord(ref[4], True, pays[ref[4]].amount_fen, pays[ref[4]].account),
    ]
    rep = apply_return_file(ledger, write_return_file("B1", PAYDAY, records, tmp_path / "ret1.txt"), "cashier")
    res = rep.result
    assert res.lines == 6 and res.reconciles
    assert [c["line"] for c in res.confirmed] == [2, 7] and [b["line"] for b in res.bounced] == [3, 4]
    assert [(r["line"], r["code"]) for r in res.refused] == [(5, "amount_mismatch"), (6, "unknown_reference")]
    assert res.outstanding == 1  # ids[3] has no valid answer yet
    assert [_state(ledger, i) for i in ids] == ["paid", "bounced", "bounced", "paid", "paid"]
    assert set(rep.reroutable) == {ids[1], ids[2]}  # small firms under 18号 四
    assert rep.reroutable[ids[1]].startswith("内人社发〔2025〕18号 四“对无对公账户的小微企业")
    bal = {b["unit_id"]: b for b in ledger.balances()}
    assert bal[decision(1).unit_id]["returned_fen"] == decision(1).amount_fen and bal[decision(1).unit_id]["net_fen"] == 0
    assert bal[decision(0).unit_id]["net_fen"] == decision(0).amount_fen
    assert ledger.decision(ids[1])["history"][-1]["reason"] == "账户已销户"

    # a second return file: a repeated reference is set aside (both lines), an answered one too; the rest applies
    again = [
        ReturnRecord(ref[3], True, pays[ref[3]].amount_fen, pays[ref[3]].account),
        ReturnRecord(ref[0], True, pays[ref[0]].amount_fen, pays[ref[0]].account),
        ReturnRecord(ref[0], True, pays[ref[0]].amount_fen, pays[ref[0]].account),
        ReturnRecord(ref[4], True, pays[ref[4]].amount_fen, pays[ref[4]].account),
    ]
    res2 = apply_return_file(ledger, write_return_file("B1", PAYDAY, again, tmp_path / "ret2.txt"), "cashier").result
    assert res2.reconciles and [c["line"] for c in res2.confirmed] == [2]
    assert [(r["line"], r["code"]) for r in res2.refused] == [(3, "duplicate"), (4, "duplicate"), (5, "already_recorded")]
    assert res2.outstanding == 0
    # a return file for a file this ledger never wrote is refused whole
    with pytest.raises(LedgerError) as e:
        apply_return_file(ledger, write_return_file("B9", PAYDAY, again[:1], tmp_path / "ret3.txt"), "cashier")
    assert e.value.code == "unknown_file"
    # a return file that does not reconcile in itself is refused whole, nothing applied
    bad = tmp_path / "ret4.txt"
    write_return_file("B1", PAYDAY, again[:1], bad)
    bad.write_bytes(bad.read_bytes().replace(b"\r\nT|1|", b"\r\nT|2|"))
    before = ledger.counts()
    with pytest.raises(DocumentError, match="尾记录“笔数”为2"):
        apply_return_file(ledger, bad, "cashier")
    assert ledger.counts() == before

    # re-route one bounced small firm to its 税务 account, correct the other's account; pay again once
    # (each account change is a request; a 复核 other than the requester approves it before it takes effect)
    basis, cid = ledger.reroute_to_tax_account(ids[1], "cashier", account_no="6200 1111 2222 3333")
    assert basis.startswith("内人社发〔2025〕18号 四")
    [req] = ledger.account_changes(decision_id=ids[1])
    assert req["id"] == cid and req["kind"] == "reroute" and basis in req["reason"]
    assert _state(ledger, ids[1]) == "bounced" and ledger.decision(ids[1])["payee_channel"] is None
    ledger.approve_account(cid, "checker")
    d1 = ledger.decision(ids[1])
    assert d1["state"] == "account_fixed" and d1["account_no"] == "6200111122223333"
    assert d1["payee_channel"] == "tax_payment_account" and d1["history"][-1]["action"] == "fix_account"
    ledger.approve_account(ledger.fix_account(ids[2], "cashier", account_no="6222888800000002"), "checker")
    assert ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    assert ledger.run_payment_batch("B3", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    for i in (ids[1], ids[2]):
        assert [(p["seq"], p["kind"]) for p in ledger.decision(i)["payments"]] == [(0, "initial"), (1, "initial")]
    assert ledger.decision(ids[1])["payments"][1]["channel"] == "tax_payment_account"
    assert [_state(ledger, i) for i in ids] == ["paid"] * 5
    _register_banks(ledger, "B2")
    second = write_bank_file(ledger, "B2", tmp_path / "bank", "cashier", payer_account=PAYER, on=PAYDAY)
    assert [p.reference for p in read_bank_file(second.path).payments] == [f"{ids[1]}-1", f"{ids[2]}-1"]
    assert second.total_fen == _batch_sum(ledger, "B2")[1] == decision(1).amount_fen + decision(2).amount_fen
    assert {b["unit_id"]: b["net_fen"] for b in ledger.balances()} == {decision(i).unit_id: decision(i).amount_fen
                                                                      for i in range(5)}
    assert ledger.verify_audit().ok and ledger.reconcile()["ok"]

    # letters: the amount in 元 and 大写, the clause, masked code, 救济途径
    out = write_letters(ledger, [ids[0], ids[1]], tmp_path / "letters", batch=True, issued_on=date(2025, 11, 20),
                        **AGENCY)
    assert out.letters == 2 and out.paths == [tmp_path / "letters" / "letters.pdf"]
    body = _text(out.paths[0])
    assert "行政复议" in body and "行政诉讼" in body and "60日内向呼和浩特市人民政府申请行政复议" in body
    assert "人民币1,200.00元（大写：壹仟贰佰元整）" in body and "人民币1,200.01元（大写：壹仟贰佰元零壹分）" in body
    assert "内人社发〔2025〕18号一" in body and "911501**********00" in body
    assert decision(0).unit_id not in body and "6200********3333" in body and "账户已销户" in body
    assert "根据内人社发〔2025〕18号四" in body and AGENCY["name"] in body


def test_publicity_from_the_ledger_and_refusal_of_unreviewed(ledger, tmp_path):
    to_payable(ledger, 3)
    xlsx, pdf, p = write_publicity(ledger, "gs-0", tmp_path, agency="呼和浩特市人力资源和社会保障局", phone="0471-1234567",
                                   address="呼和浩特市新城区某路1号")
    assert p.title == "呼和浩特市人力资源和社会保障局 2025年度稳岗返还拟发放名单公示"
    assert (p.start, p.end, p.count) == (date(2025, 10, 1), date(2025, 10, 7), 3)
    assert p.total_fen == sum(decision(i).amount_fen for i in range(3))
    body = _text(pdf)
    assert "自2025年10月1日至2025年10月7日" in body and "0471-1234567" in body and "依据：内人社发〔2025〕18号" in body
    assert "911501**********01" in body and decision(1).unit_id not in body and "1,200.01" in body
    assert "呼和浩特市新城区某路1号" in body
    sheet = load_workbook(xlsx).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert 1200.01 in values and p.title in values  # 元 as a number (two decimals by format)
    assert sheet.cell(3, 4).number_format == "#,##0.00"

    # a decision that has not passed 复审 on the list (put there behind the ledger's back) stops the whole list
    ledger.import_decisions(RUN, [decision(7)], "screener")
    rogue = ledger.find(program="fanhuan", year=2025, unit_id=decision(7).unit_id)
    with ledger.engine.begin() as c:
        c.execute(text("insert into case_publicity_entries (list_id, decision_id, audit_ref) "
                       "select id, :d, 'x' from case_publicity_lists where list_key = 'gs-0'"), {"d": rogue})
    with pytest.raises(DocumentError, match=f"决定 {rogue}（呼和浩特测试企业7有限公司，状态：已筛查待告知）"):
        write_publicity(ledger, "gs-0", tmp_path / "again", agency="某局", phone="12333")
    assert not (tmp_path / "again").exists()
    with pytest.raises(DocumentError, match="缺少经办机构信息"):  # 150100 has no agency block: ask, never invent
        write_publicity(ledger, "gs-0", tmp_path)
    with pytest.raises(LedgerError):
        write_publicity(ledger, "no-such-list", tmp_path, agency="某局", phone="12333")


def test_letters_for_refusals_and_undecided(ledger, tmp_path):
    ledger.import_decisions(RUN, [decision(1), decision(2), decision(3, status="needs_decision", amount_fen=None,
                                                                      reasons=["裁员率口径取决于认定"]),
                                  decision(4, status="ineligible", amount_fen=None, reasons=["✘ 上年度裁员率高于5.5%"])],
                            "screener")
    a, b, c, d = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (1, 2, 3, 4))
    ledger.first_review(a, "reviewer1", approve=False, reason="缴费月数核实不足12个月")
    res = write_letters(ledger, [a, b, c, d], tmp_path, issued_on=date(2025, 9, 1), **AGENCY)
    assert res.skipped == [(b, "screened")] and res.letters == 3
    names = [p.name for p in res.paths]
    assert names == [f"0001_{a}_决定书.pdf", f"0002_{c}_告知书.pdf", f"0003_{d}_决定书.pdf"]
    rejected = _text(res.paths[0])
    assert "不予核准" in rejected and "初审未通过：缴费月数核实不足12个月" in rejected and "行政诉讼" in rejected
    pending = _text(res.paths[1])
    assert "告知书" in pending and "不是最终决定" in pending and "行政复议" not in pending
    refused = _text(res.paths[2])
    assert "上年度裁员率高于5.5%" in refused and "行政复议" in refused
    with pytest.raises(DocumentError, match="--review-body"):
        write_letters(ledger, [a], tmp_path / "x", name="某局")


def test_reroute_only_where_the_text_allows_and_for_small_firms(ledger):
    ledger.import_decisions(RUN, [decision(1, size_class="medium"), decision(2, size_class="micro")], "screener")
    medium, micro = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (1, 2))
    with pytest.raises(LedgerError, match="仅适用于小微企业") as e:
        ledger.reroute_to_tax_account(medium, "cashier", account_no="6200111122223333")
    assert e.value.code == "reroute_refused"
    with pytest.raises(LedgerError) as e:
        ledger.reroute_to_tax_account(micro, "cashier", account_no="62-00")
    assert e.value.code == "bad_account"
    # before payment: once approved, the account and channel are set, the state does not move
    _, cid = ledger.reroute_to_tax_account(micro, "cashier", account_no="6200111122223333")
    assert ledger.decision(micro)["account_no"] == decision(2).account_no  # a request only, until approved
    ledger.approve_account(cid, "checker")
    d = ledger.decision(micro)
    assert (d["state"], d["account_no"], d["payee_channel"]) == ("screened", "6200111122223333", "tax_payment_account")
    h = d["history"][-1]  # the approval of the re-route request changed the decision
    assert (h["action"], h["actor"], json.loads(h["after"])["change_id"]) == ("approve_account", "checker", cid)
    [req] = ledger.account_changes(decision_id=micro, pending=False)
    assert (req["kind"], req["requested_by"], req["approver"], req["approve"]) == ("reroute", "cashier", "checker", 1)
    # 内人社办发〔2022〕86号 has no such clause
    other = decision(3, policy_doc="内人社办发〔2022〕86号")
    ledger.import_decisions(RUN, [other], "screener")
    did = ledger.find(program="fanhuan", year=2025, unit_id=other.unit_id)
    with pytest.raises(LedgerError, match="未规定"):
        ledger.reroute_to_tax_account(did, "cashier", account_no="6200111122223333")


def test_payee_bank_codes_are_checked_and_audited(ledger):
    with pytest.raises(LedgerError) as e:
        ledger.set_payee_banks({"6222000000000001": "10219100001"}, "cashier")
    assert e.value.code == "bad_bank_code"
    assert ledger.set_payee_banks({"6222 0000 0000 0001": BANK}, "cashier") == 1
    assert ledger.set_payee_banks({"6222000000000001": BANK}, "cashier") == 0  # unchanged: no event
    assert ledger.set_payee_banks({"6222000000000001": "105191000011"}, "cashier") == 1
    assert [e["bank_code"] for e in _events(ledger, "set_payee_bank")] == [BANK, "105191000011"]


_examples = itertools.count()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=8))
def test_property_control_total_is_the_sum_of_the_batch_to_the_fen(amounts):
    k = next(_examples)
    with tempfile.TemporaryDirectory() as tmp:
        led = register_staff(Ledger.open(f"sqlite:///{tmp}/p.db"), STAFF | MORE_STAFF)
        try:
            led.import_decisions(RUN, [decision(i, amount_fen=a) for i, a in enumerate(amounts)], "screener")
            ids = led.select_ids(program="fanhuan", year=2025)
            led.review_many(ids, "reviewer1", stage=1, approve=True, reason="初审")
            led.review_many(ids, "reviewer2", stage=2, approve=True, reason="复审")
            led.publicize("gs", "fanhuan", 2025, "cw", starts_on=date(2025, 10, 1), days=7)
            led.run_payment_batch(f"P{k}", "fanhuan", 2025, "cashier", today=PAYDAY)
            _register_banks(led, f"P{k}")
            sent = write_bank_file(led, f"P{k}", Path(tmp), "cashier", payer_account=PAYER, on=TODAY)
            back = read_bank_file(sent.path)
            assert back.total_fen == sent.total_fen == _batch_sum(led, f"P{k}")[1] == sum(amounts)
            assert back.count == len(amounts)
            assert sorted(p.amount_fen for p in back.payments) == sorted(amounts)
        finally:
            led.close()


runner = CliRunner()


def test_cli_bank_file_return_publicity_letters(tmp_path):
    """The commands end to end; a 通辽 list takes the agency from region_data/150500.yaml with no option typed."""
    db = f"sqlite:///{tmp_path}/cli.db"
    led = register_staff(Ledger.open(db), STAFF | MORE_STAFF)
    led.import_decisions(RUN, [decision(i, region_code="150502") for i in range(3)], "screener")
    ids = led.select_ids(program="fanhuan", year=2025)
    led.review_many(ids, "reviewer1", stage=1, approve=True, reason="初审")
    led.review_many(ids, "reviewer2", stage=2, approve=True, reason="复审")
    led.publicize("gs-tl", "fanhuan", 2025, "cw", starts_on=date(2025, 10, 1), days=5)
    led.run_payment_batch("T1", "fanhuan", 2025, "cashier", today=PAYDAY)
    plan = led.bank_file_plan("T1")["payments"]
    led.close()

    def case(*args, code=0):
        r = runner.invoke(case_app, [*args, "--db", db])
        assert r.exit_code == code, r.output
        return r.output

    r = case("bank-file", "T1", "--out", str(tmp_path / "bank"), "--payer-account", PAYER, "-u", "cashier", code=2)
    assert "没有登记开户行行号" in r and "Traceback" not in r
    csv = tmp_path / "banks.csv"
    csv.write_text("账号,行号\n" + "".join(f"{p['account_no']},{BANK}\n" for p in plan), "utf-8")
    assert "变更 3" in case("payee-bank", "--file", str(csv), "-u", "cashier")
    out = case("bank-file", "T1", "--out", str(tmp_path / "bank"), "--payer-account", PAYER, "--date", "2025-11-01",
               "-u", "cashier")
    total = sum(p["amount_fen"] for p in plan)
    assert f"3 笔，控制总额 {total} 分" in out and read_bank_file(tmp_path / "bank" / "T1.txt").total_fen == total
    assert "没有待报盘的付款" in case("bank-file", "T1", "--out", str(tmp_path / "bank"), "--payer-account", PAYER,
                                 "-u", "cashier")
    assert "找不到发放批次 NOPE" in case("bank-file", "NOPE", "--out", str(tmp_path / "bank"), "-u", "cashier", code=2)
    ret = write_return_file("T1", PAYDAY, [
        ReturnRecord(plan[0]["reference"], True, plan[0]["amount_fen"], plan[0]["account_no"]),
        ReturnRecord(plan[1]["reference"], False, plan[1]["amount_fen"], plan[1]["account_no"], "账户已冻结"),
        ReturnRecord(plan[2]["reference"], True, plan[2]["amount_fen"] + 100, plan[2]["account_no"]),
    ], tmp_path / "ret.txt")
    out = case("bank-return", str(ret), "-u", "cashier", code=1)
    assert "3 行 = 到账 1 + 退回 1 + 隔离 1" in out and "账户已冻结" in out
    assert f"wengang case reroute {plan[1]['decision_id']}" in out
    out = case("reroute", str(plan[1]["decision_id"]), "--tax-account", "6200111122223333", "-u", "cashier")
    assert "依据" in out and "须另一人复核后生效" in out
    cid = re.search(r"approve-account (\d+)", out).group(1)
    case("approve-account", cid, "-u", "cashier", code=2)  # the 出纳 who asked may not approve it
    assert "复核通过并生效" in case("approve-account", cid, "-u", "checker")
    assert "本次发放 1 个单位，共 1,200.01 元" in case("pay", "T2", "fanhuan", "2025", "--today", "2025-11-01", "-u", "cashier",
                                                  "-y")
    r = runner.invoke(audit_app, ["verify", "--db", db, "-u", "auditor"])  # the whole bank path agrees with the events
    assert r.exit_code == 0 and "审计链完整" in r.output, r.output
    out = case("publicity", "gs-tl", "--out", str(tmp_path / "pub"), "-u", "cw")
    assert "通辽市人力资源和社会保障局 2025年度稳岗返还拟发放名单公示" in out.replace("\n", "")
    body = _text(tmp_path / "pub" / "公示_gs-tl.pdf")
    assert "联系电话：12333" in body and "自2025年10月1日至2025年10月5日" in body
    out = case("letters", "--program", "fanhuan", "--year", "2025", "--out", str(tmp_path / "letters"), "-u", "cw")
    assert "文书 3 份" in out
    body = _text(sorted((tmp_path / "letters").iterdir())[0])
    assert "向通辽市人民政府申请行政复议" in body and "向有管辖权的人民法院提起行政诉讼" in body
    assert "请给出决定编号" in case("letters", "--out", str(tmp_path / "x"), "-u", "cw", code=2)
    assert "未知状态 payed" in case("letters", "--state", "payed", "--out", str(tmp_path / "x"), "-u", "cw", code=2)


def test_an_account_of_the_units_own_undoes_the_reroute(ledger):
    ledger.import_decisions(RUN, [decision(1, size_class="small")], "screener")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.approve_account(ledger.reroute_to_tax_account(did, "cashier", account_no="6200111122223333")[1], "checker")
    assert ledger.decision(did)["payee_channel"] == "tax_payment_account"
    cid = ledger.set_account(did, "cashier", account_no="6222000011112222", reason="单位开立对公账户")
    ledger.approve_account(cid, "checker")
    d = ledger.decision(did)
    assert (d["account_no"], d["payee_channel"]) == ("6222000011112222", None)
    assert d["history"][-1]["after"] == json.dumps({"account_no": "6222000011112222", "change_id": cid,
                                                    "payee_channel": None},
                                                   ensure_ascii=False, sort_keys=True, separators=(",", ":"))
