"""``POST /payments/batches/{batch_key}/bank-file`` lists the payments it held back, and why (fail closed: a payment
not written to the bank file is named with its reason wherever the money path is shown), as ``wengang case bank-file``
does from the same ``Ledger.bank_file_plan``; the batch's counts reconcile.

Batch B2 holds three payments: a re-payment of decision d0, whose earlier payment the bank credited after it had
been recorded as bounced (no 复核 has checked it: ``paid_after_bounce``); d1, whose unit a 风险疑点 names that the
稽核 has not cleared (``risk_flag``, 人社部发〔2024〕40号 六); and d2, which goes to the bank."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.casework.ledger_helpers import PAYDAY, to_payable
from wengang.casework.ledger import BankReturnLine
from wengang.casework.outputs import held_notice, write_bank_file
from wengang.casework.risk_queue import FLAG_COLUMNS, confirm_flag, import_flags, list_flags
from wengang.documents.bank import ReturnRecord, read_bank_file, write_return_file
from wengang.money import format_yuan

BANK = "102191000019"
PAYER = "15001234567890123456"
NEW_ACCOUNT = "6222888800000000"
ROUTE = "/api/v1/payments/batches/{}/bank-file"


def _key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def _banks(led: Any, batch: str) -> None:
    plan = led.bank_file_plan(batch)
    led.set_payee_banks({p["account_no"]: BANK for p in plan["payments"] + plan["held"]}, "cashier")


def _flag(unit_id: str, key: str = "s34api") -> pl.DataFrame:
    row = {
        "flag_key": f"dispatch_allocation_mismatch:{key}", "check_id": "dispatch_allocation_mismatch",
        "severity": "高", "program": "fanhuan", "year": 2025, "subject_id": unit_id, "subject_name": "测试企业",
        "claim_key": "", "region_code": "150100", "record": "s34api", "amount_fen": 50_000,
        "label": "派遣单位未全额拨付用工单位", "citation": "人社部发〔2024〕40号 三", "quote": "全额拨付",
        "evidence": json.dumps({"kept_fen": 50_000}),
    }  # fmt: skip
    return pl.DataFrame([row], schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS)


@pytest.fixture
def held_batch(web: Any, tmp_path: Path) -> dict[str, int]:
    return make_held(web, tmp_path)


@pytest.fixture(params=["web", pytest.param("pg_web", marks=pytest.mark.postgres)])
def site(request: Any) -> Any:
    """The service over SQLite, and over PostgreSQL (skipped when the server is unreachable)."""
    return request.getfixturevalue(request.param)


def make_held(web: Any, tmp_path: Path) -> dict[str, int]:
    led = web.ledger
    [d0] = to_payable(led, 1)
    assert led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    _banks(led, "B1")
    sent = write_bank_file(led, "B1", tmp_path / "b1", "cashier", payer_account=PAYER, on=PAYDAY)
    assert sent is not None
    p0 = next(p for p in led.decision(d0)["payments"] if p["seq"] == 0)
    led.record_bounce(p0["id"], "cashier", reason="单位称账户已销户")
    led.approve_account(led.fix_account(d0, "cashier", account_no=NEW_ACCOUNT), "checker")
    d1, d2 = to_payable(led, 2, start=1)
    assert led.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 3
    # the bank's return of B1: the payment recorded as bounced was credited (possible double payment)
    lines = [BankReturnLine(n, p.reference, True, p.amount_fen, p.account, "")
             for n, p in enumerate(read_bank_file(sent.path).payments, 2)]
    res = led.apply_bank_return(sent.file_key, lines, "cashier", sha256="b" * 64, bank_date=PAYDAY)
    assert [r["code"] for r in res.refused] == ["paid_after_bounce"]
    # a 风险疑点 on d1's unit, imported after its payment was made: not cleared
    import_flags(led, _flag(led.decision(d1)["unit_id"]), "auditor")
    _banks(led, "B2")
    return {"d0": d0, "d1": d1, "d2": d2}


def _expected_held(led: Any, batch: str) -> list[dict[str, Any]]:
    """What the ledger (and so the command line) holds back in ``batch``, keyed as the API lists it."""
    return [{"payment_id": r["id"], "decision_id": r["decision_id"], "reference": r["reference"],
             "amount_fen": r["amount_fen"], "amount_yuan": format_yuan(r["amount_fen"]), "unit_name": r["unit_name"],
             "reason_zh": r["held_zh"], "reason_en": r["held_en"]} for r in led.bank_file_plan(batch)["held"]]


def _shown(held: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("payment_id", "decision_id", "reference", "amount_fen", "amount_yuan", "unit_name", "reason_zh", "reason_en")
    return [{k: h[k] for k in keys} for h in held]


def test_held_payments_are_listed_with_their_reasons_and_the_counts_reconcile(web, held_batch):
    led, cashier = web.ledger, web.client("cashier")
    d0, d1, d2 = held_batch["d0"], held_batch["d1"], held_batch["d2"]
    expected = _expected_held(led, "B2")  # read before the write: the file takes only d2
    assert sorted(h["decision_id"] for h in expected) == [d0, d1]

    r = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER, "value_date": "2025-11-01"},
                     headers=_key("s34api-1"))
    assert r.status_code == 201, r.text
    out = r.json()
    d2_fen = led.decision(d2)["entitlement"]["amount_fen"]
    assert (out["file_key"], out["count"], out["total_fen"]) == ("B2", 1, d2_fen)
    assert out["total_yuan"] == format_yuan(d2_fen)

    # both held payments, each with its reason, exactly as the ledger's plan (and the command line) says
    held = {h["decision_id"]: h for h in out["held"]}
    assert _shown(out["held"]) == expected == _expected_held(led, "B2")
    assert (held[d0]["reason_code"], held[d1]["reason_code"]) == ("paid_after_bounce", "risk_flag")
    assert "【可能重复支付】" in held[d0]["reason_zh"] and f"credit-check {d0}" in held[d0]["reason_en"]
    assert "风险疑点" in held[d1]["reason_zh"] and "派遣单位未全额拨付用工单位" in held[d1]["reason_zh"]
    assert "人社部发〔2024〕40号 三" in held[d1]["reason_zh"] and "risk flag" in held[d1]["reason_en"]
    assert held[d0]["reference"] == f"{d0}-1" and held[d0]["kind"] == "initial"
    notice = held_notice(led.bank_file_plan("B2")["held"]) or ""
    assert all(h["reason_zh"] in notice and str(h["decision_id"]) in notice for h in out["held"])

    # masked as the decision list masks: the identifier and the account, never whole
    unit_d1 = led.decision(d1)["unit_id"]
    assert held[d1]["unit_id"] != unit_d1 and held[d1]["unit_id"][:6] == unit_d1[:6] and "*" in held[d1]["unit_id"]
    assert held[d0]["account_no"] is not None and NEW_ACCOUNT not in held[d0]["account_no"]
    assert held[d0]["account_no"].replace(" ", "")[-4:] == NEW_ACCOUNT[-4:]
    assert NEW_ACCOUNT not in r.text and unit_d1 not in r.text

    # the counts: written + held = the batch's payments
    held_fen = sum(h["amount_fen"] for h in expected)
    assert (out["held_count"], out["held_total_fen"], out["held_total_yuan"]) == (2, held_fen, format_yuan(held_fen))
    assert out["batch_counts"] == {"payments": 3, "written_now": 1, "written_before": 0, "held": 2, "withdrawn": 0,
                                   "pending": 0, "reconciles": True}
    assert out["count"] + out["held_count"] == out["batch_counts"]["payments"]
    assert "暂不报盘" in out["message_zh"] and "held back" in out["message_en"]
    # what was written is the one payment not held
    f, rows = led.bank_file_payments("B2")
    assert [x["decision_id"] for x in rows] == [d2] and f["count"] == 1


def test_nothing_to_send_but_held_says_so_and_lists_them(web, held_batch):
    """Once d2 is sent, a second request writes no file; it does not claim all went to the bank."""
    led, cashier = web.ledger, web.client("cashier")
    assert cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER}, headers=_key("s34api-2")).status_code == 201
    r = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER}, headers=_key("s34api-3"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["file_key"] is None and out["count"] == 0 and out["files"] is None
    assert "均已写入报盘文件" not in out["message_zh"] and "没有可报盘的付款" in out["message_zh"]
    assert _shown(out["held"]) == _expected_held(led, "B2")
    assert {h["reason_code"] for h in out["held"]} == {"paid_after_bounce", "risk_flag"}
    assert out["batch_counts"] == {"payments": 3, "written_now": 0, "written_before": 1, "held": 2, "withdrawn": 0,
                                   "pending": 0, "reconciles": True}
    # a replay under the same key answers the same
    again = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER}, headers=_key("s34api-3"))
    assert again.json() == out and again.headers["idempotent-replayed"] == "true"


def test_a_withdrawn_repayment_is_counted_once(web, held_batch):
    """The 复核 finds the credited payment stood: the held re-payment is withdrawn (never sent), the batch reconciles."""
    led, cashier = web.ledger, web.client("cashier")
    d0 = held_batch["d0"]
    res = led.check_credit_after_bounce(d0, "checker", credited=True, reason="银行确认原付款已入账")
    assert len(res.withdrawn) == 1
    r = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER}, headers=_key("s34api-4"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert [h["decision_id"] for h in out["held"]] == [held_batch["d1"]] == \
        [h["decision_id"] for h in led.bank_file_plan("B2")["held"]]
    assert out["batch_counts"] == {"payments": 3, "written_now": 1, "written_before": 0, "held": 1, "withdrawn": 1,
                                   "pending": 0, "reconciles": True}


def test_the_spec_describes_the_held_payments(web):
    spec = web.client().get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/payments/batches/{batch_key}/bank-file"]["post"]
    ref = op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schemas = spec["components"]["schemas"]
    out = schemas[ref]["properties"]
    assert {"held", "held_count", "held_total_fen", "batch_counts", "message_zh", "message_en"} <= set(out)
    held = schemas["HeldPayment"]["properties"]
    assert {"decision_id", "unit_name", "unit_id", "amount_fen", "amount_yuan", "reason_code", "reason_zh",
            "reason_en"} <= set(held)
    assert "reconciles" in schemas["BatchCounts"]["properties"]


# ---------------------------------------------------------------- session 34: every reason, the ledger's counts
def _codes(held: list[dict[str, Any]]) -> dict[int, list[str]]:
    return {h["decision_id"]: [x["code"] for x in h["reasons"]] for h in held}


def test_a_payment_held_by_a_flag_and_an_unchecked_credit_lists_both_reasons(site, tmp_path):
    """d0's re-payment is held by the unchecked credit after its bounce and, now, by a 风险疑点 on its unit too: the
    API lists both (the first as reason_code/zh/en, as the ledger orders them), and checking the credit leaves the
    flag holding it (fail closed)."""
    led, cashier = site.ledger, site.client("cashier")
    ids = make_held(site, tmp_path)
    d0, d1 = ids["d0"], ids["d1"]
    import_flags(led, _flag(led.decision(d0)["unit_id"], "s34held"), "auditor")
    [f0] = [f for f in list_flags(led) if f["subject_id"] == led.decision(d0)["unit_id"]]
    plan = led.bank_file_plan("B2")
    [h0] = [h for h in plan["held"] if h["decision_id"] == d0]
    assert [x["code"] for x in h0["held_reasons"]] == ["paid_after_bounce", "risk_flag"]

    r = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER, "value_date": "2025-11-01"},
                     headers=_key("s34held-1"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert _codes(out["held"]) == {d0: ["paid_after_bounce", "risk_flag"], d1: ["risk_flag"]}
    held = {h["decision_id"]: h for h in out["held"]}
    # exactly the ledger's reasons, in its order; the first repeated as reason_code / reason_zh / reason_en
    assert held[d0]["reasons"] == h0["held_reasons"]
    assert (held[d0]["reason_code"], held[d0]["reason_zh"], held[d0]["reason_en"]) == (
        "paid_after_bounce", h0["held_zh"], h0["held_en"])
    alarm, risk = held[d0]["reasons"]
    assert "【可能重复支付】" in alarm["zh"] and f"credit-check {d0}" in alarm["en"]
    assert f"风险疑点 {f0['id']}" in risk["zh"] and f"risk flag {f0['id']}" in risk["en"]
    assert out["batch_counts"] == {"payments": 3, "written_now": 1, "written_before": 0, "held": 2, "withdrawn": 0,
                                   "pending": 0, "reconciles": True}
    notice = held_notice(led.bank_file_plan("B2")["held"]) or ""
    assert alarm["zh"] in notice and risk["zh"] in notice

    # the bank corrects its line: the credit is checked, yet the flag still holds d0's re-payment
    led.check_credit_after_bounce(d0, "checker", credited=False, reason="银行更正：款项未入账")
    r = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER}, headers=_key("s34held-2"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["file_key"] is None and _codes(out["held"]) == {d0: ["risk_flag"], d1: ["risk_flag"]}
    assert {h["decision_id"]: h["reason_code"] for h in out["held"]} == {d0: "risk_flag", d1: "risk_flag"}
    assert out["batch_counts"] == {"payments": 3, "written_now": 0, "written_before": 1, "held": 2, "withdrawn": 0,
                                   "pending": 0, "reconciles": True}
    assert led.batch_counts("B2") == {"payments": 3, "in_files": 1, "withdrawn": 0, "held": 2, "pending": 0,
                                      "reconciles": True}


def test_the_held_reason_code_is_the_ledgers_not_a_guess(web, held_batch):
    """The API takes the code the ledger gives: no matching of Chinese text, no re-reading of alarms."""
    import wengang.web.api_casework as api

    assert not hasattr(api, "_held_code")
    plan = web.ledger.bank_file_plan("B2")
    r = web.client("cashier").post(ROUTE.format("B2"), json={"payer_account": PAYER}, headers=_key("s34held-3"))
    assert r.status_code == 201, r.text
    assert {h["decision_id"]: h["reason_code"] for h in r.json()["held"]} == \
        {h["decision_id"]: h["held_code"] for h in plan["held"]}


def test_the_bank_return_lists_the_risk_recoveries_it_settled(site, tmp_path):
    """A 风险疑点 confirmed while its payment was with the bank waits for the bank's answer; the return file that
    answers orders the recovery of what was actually paid, and the API says so (``risk_recoveries``)."""
    led, cashier = site.ledger, site.client("cashier")
    ids = make_held(site, tmp_path)
    d2 = ids["d2"]
    r = cashier.post(ROUTE.format("B2"), json={"payer_account": PAYER, "value_date": "2025-11-01"},
                     headers=_key("s34held-4"))
    assert r.status_code == 201, r.text
    txt = cashier.get(r.json()["files"]["txt"])
    (tmp_path / "B2.txt").write_bytes(txt.content)
    sent = read_bank_file(tmp_path / "B2.txt")
    import_flags(led, _flag(led.decision(d2)["unit_id"], "s34held-d2"), "auditor")
    [f2] = [f for f in list_flags(led) if f["subject_id"] == led.decision(d2)["unit_id"]]
    assert confirm_flag(led, f2["id"], "auditor", reason="核实：未全额拨付").awaiting_bank == [f"{d2}-0"]
    ret = write_return_file("B2", date(2025, 11, 2), [ReturnRecord(p.reference, True, p.amount_fen, p.account)
                                                      for p in sent.payments], tmp_path / "ret.txt")
    r = cashier.post("/api/v1/bank-returns", files={"file": ("ret.txt", ret.read_bytes(), "text/plain")},
                     headers=_key("s34held-5"))
    assert r.status_code == 200, r.text
    [rec] = led.decision(d2)["recoveries"]
    assert r.json()["risk_recoveries"] == [{"decision_id": d2, "flag_id": f2["id"], "recovery_id": rec["id"],
                                            "amount_fen": 50_000}]
    assert rec["amount_fen"] == 50_000
