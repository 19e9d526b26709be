"""A risk flag holds payment until the 稽核 clears it (人社部发〔2024〕40号 六 “在待遇审核和发放环节加强数据比对，严防冒领、
骗取基金和多发待遇风险”; 内人社发〔2025〕18号 五 “切实防范冒领骗取和多发错发”).

An outside audit imported a 高 flag for an unpaid decision, confirmed it (the queue advised “case hold”), and paid the
decision straight after: nothing in the payment path read the flags. Now a flag that matches a decision (program,
subject, year, and its claim key when it has one) and is open or confirmed holds it in ``pay``, a single payment, a
top-up and the bank file, and every one of them says why. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import polars as pl
import pytest
from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.casework.errors import LedgerError
from wengang.casework.outputs import write_bank_file
from wengang.casework.risk_queue import FLAG_COLUMNS, clear_flag, confirm_flag, import_flags

BANK = "102191000019"
PAYER = "15001234567890123456"


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def flag(
    unit_id: str, *, key: str = "k1", year: int = 2025, claim_key: str = "", program: str = "fanhuan"
) -> pl.DataFrame:
    row = {
        "flag_key": f"dispatch_allocation_mismatch:{key}", "check_id": "dispatch_allocation_mismatch", "severity": "高",
        "program": program, "year": year, "subject_id": unit_id, "subject_name": "测试企业", "claim_key": claim_key,
        "region_code": "150100", "record": key, "amount_fen": 50_000, "label": "派遣单位未全额拨付用工单位",
        "citation": "人社部发〔2024〕40号 三", "quote": "全额拨付", "evidence": json.dumps({"kept_fen": 50_000}),
    }  # fmt: skip
    return pl.DataFrame([row], schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS)


def unit(ledger, did: int) -> str:
    return ledger.decision(did)["unit_id"]


def test_an_open_flag_holds_the_batch_and_a_single_payment_until_cleared(ledger):
    ids = to_payable(ledger, 3)
    import_flags(ledger, flag(unit(ledger, ids[0])), "auditor")
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.risk_open, res.risk_confirmed) == (2, 1, 0)
    assert ledger.decision(ids[0])["state"] == "publicized"
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[0], "cashier", today=PAYDAY)
    assert (
        e.value.code == "risk_hold"
        and "风险疑点 1（待核查）" in e.value.zh
        and "risk flag 1 (open" in e.value.en
    )
    assert [(f["id"], f["status"]) for f in ledger.decision(ids[0])["risk_flags"]] == [(1, "open")]
    # cleared (排除) by the 稽核: paid by the next batch
    clear_flag(ledger, 1, "auditor", reason="派遣单位已补拨，核实无误")
    assert ledger.decision(ids[0])["risk_flags"] == []
    again = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (again.paid, again.risk_open) == (1, 0) and ledger.decision(ids[0])["state"] == "paid"
    assert ledger.verify_audit().ok


def test_a_confirmed_flag_keeps_the_hold(ledger):
    ids = to_payable(ledger, 2)
    import_flags(ledger, flag(unit(ledger, ids[1])), "auditor")
    out = confirm_flag(ledger, 1, "auditor", reason="核实：未全额拨付")
    # a confirmed flag is never cleared: the note names the step that ends it (s34 audit D7), not ``case hold``
    assert out.decision_id == ids[1] and out.recovery_id is None and f"case revoke {ids[1]}" in out.note_zh
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.risk_open, res.risk_confirmed) == (1, 0, 1)
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[1], "cashier", today=PAYDAY)
    assert e.value.code == "risk_hold" and "风险疑点 1（已核实）" in e.value.zh
    # the caseworker turns it down through the existing commands
    ledger.hold(ids[1], "clerk", reason="风险疑点 1 已核实")
    assert ledger.decision(ids[1])["state"] == "held"


def test_a_flag_on_another_year_subject_or_claim_holds_nothing(ledger):
    ids = to_payable(ledger, 2)
    u = unit(ledger, ids[0])
    frames = [
        flag(u, key="y", year=2024),
        flag(u, key="c", claim_key="4-07-05-02:4"),
        flag(u, key="p", program="training_subsidy"),
        flag("91150100MA99999999", key="s"),
    ]
    import_flags(ledger, pl.concat(frames), "auditor")
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.risk_open, res.risk_confirmed) == (2, 0, 0)


def test_a_flag_with_the_decisions_claim_key_holds_it(ledger):
    ids = to_payable(ledger, 1)
    import_flags(
        ledger, flag(unit(ledger, ids[0]), claim_key=""), "auditor"
    )  # no claim key: every claim of the unit
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0


def test_a_flag_imported_after_the_batch_holds_its_bank_file_line(ledger, tmp_path):
    ids = to_payable(ledger, 2)
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    ledger.set_payee_banks(
        {p["account_no"]: BANK for p in ledger.bank_file_plan("B1")["payments"]}, "cashier"
    )
    import_flags(ledger, flag(unit(ledger, ids[0])), "auditor")
    plan = ledger.bank_file_plan("B1")
    assert [p["decision_id"] for p in plan["payments"]] == [ids[1]]
    assert [h["decision_id"] for h in plan["held"]] == [ids[0]] and "风险疑点 1" in plan["held"][0]["held_zh"]
    sent = write_bank_file(ledger, "B1", tmp_path, "cashier", payer_account=PAYER, on=PAYDAY)
    assert sent is not None and sent.count == 1
    # cleared: the held payment goes in the next file
    clear_flag(ledger, 1, "auditor", reason="核实无误")
    sent2 = write_bank_file(ledger, "B1", tmp_path, "cashier", payer_account=PAYER, on=PAYDAY)
    assert sent2 is not None and sent2.count == 1
    assert ledger.verify_audit().ok


def test_a_flag_imported_between_plan_and_record_refuses_the_file(ledger):
    to_payable(ledger, 2)
    ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    plan = ledger.bank_file_plan("B1")
    import_flags(ledger, flag(plan["payments"][0]["unit_id"]), "auditor")
    with pytest.raises(LedgerError) as e:
        ledger.record_bank_file(
            "B1",
            "cashier",
            file_key="B1",
            payment_ids=[p["id"] for p in plan["payments"]],
            value_date=PAYDAY,
            payer_account=PAYER,
            total_fen=sum(p["amount_fen"] for p in plan["payments"]),
            sha256="0" * 64,
        )
    assert e.value.code == "batch_changed"


def test_a_flag_holds_a_top_up(ledger):
    ids = to_payable(ledger, 1)
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="暂按大型")  # 30%: half
    assert ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    up = ledger.change_size_class(ids[0], "checker", new_size_class="small", reason="重新核定")
    assert up.supplement_due_fen == 60_000
    import_flags(ledger, flag(unit(ledger, ids[0])), "auditor")
    res = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.supplements, res.risk_open) == (0, 1)
    clear_flag(ledger, 1, "auditor", reason="核实无误")
    res = ledger.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert (res.supplements, res.supplement_fen, res.risk_open) == (1, 60_000, 0)


def _url(db) -> str:
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def test_the_cli_says_why(ledger, db, tmp_path):
    ids = to_payable(ledger, 3)
    import_flags(ledger, flag(unit(ledger, ids[0])), "auditor")
    import_flags(ledger, flag(unit(ledger, ids[1]), key="k2"), "auditor")
    confirm_flag(ledger, 2, "auditor", reason="核实")
    runner = CliRunner()

    def case(*args: str, code: int = 0) -> str:
        r = runner.invoke(case_app, [*args, "--db", _url(db)])
        assert r.exit_code == code, r.output
        return re.sub(r"\s+", " ", r.output)

    one = tmp_path / "one.txt"
    one.write_text(f"{ids[0]}\n", "utf-8")
    out = case(
        "pay", "B1", "fanhuan", "2025", "--ids", str(one), "--today", "2025-11-01", "-u", "cashier", "-y"
    )
    assert "风险疑点 1（待核查）" in out and "派遣单位未全额拨付用工单位" in out and "跳过 1" in out
    out = case("pay", "B1", "fanhuan", "2025", "--today", "2025-11-01", "-u", "cashier")
    assert "本次发放 1 个单位" in out and "风险疑点待核查 1 个" in out and "风险疑点已核实 1 个" in out
    out = case("show", str(ids[1]), "-u", "auditor")
    assert "【风险疑点 2】" in out and "已核实" in out
    assert [ledger.decision(i)["state"] for i in ids] == ["publicized", "publicized", "paid"]
