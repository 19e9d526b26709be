"""Session 39 (outside audit aud4 F2): ``GET /api/v1/bank-files/{file_key}/{fmt}`` serves a bank file only when its bytes
are the ones whose sha256 the ledger recorded (``case_bank_files`` and the ``bank_file`` audit event). A file edited on
disk is refused (409 ``bank_file_changed``, Chinese first), the refusal is recorded in the audit chain, and the edited
bytes are never served. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.casework.ledger_helpers import PAYDAY, to_payable

BANK = "102191000019"
PAYER = "15001234567890123456"


@pytest.fixture(params=["web", pytest.param("pg_web", marks=pytest.mark.postgres)])
def site(request: Any) -> Any:
    return request.getfixturevalue(request.param)


def _written(site: Any) -> tuple[Any, Path, dict[str, Any]]:
    led = site.ledger
    site.ids["s39"] = to_payable(led, 2)
    assert led.run_payment_batch("S39", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    plan = led.bank_file_plan("S39")
    led.set_payee_banks({p["account_no"]: BANK for p in plan["payments"]}, "cashier")
    cashier = site.client("cashier")
    r = cashier.post("/api/v1/payments/batches/S39/bank-file", json={"payer_account": PAYER, "value_date": "2025-11-01"},
                     headers={"Idempotency-Key": "s39-bf"})
    assert r.status_code == 201, r.text
    return cashier, Path(site.app.state.config.work_path) / "bank-files", r.json()


def _mismatches(led: Any) -> list[dict[str, Any]]:
    with led.engine.connect() as c:
        return [json.loads(a) for (a,) in c.execute(text(
            "select after from case_audit_events where action = 'bank_file_mismatch' order by seq"))]


def test_an_untouched_bank_file_is_served_as_recorded(site):
    cashier, folder, _ = _written(site)
    for fmt in ("txt", "xlsx"):
        r = cashier.get(f"/api/v1/bank-files/S39/{fmt}")
        assert r.status_code == 200, r.text
        assert r.content == (folder / f"S39.{fmt}").read_bytes()
        assert 'filename="S39.' in r.headers["content-disposition"]
    assert cashier.get("/api/v1/bank-files/S39/txt").headers["content-type"] == "text/plain; charset=gb18030"
    with site.ledger.engine.connect() as c:
        recorded = c.execute(text("select sha256 from case_bank_files where file_key = 'S39'")).scalar_one()
    assert hashlib.sha256(cashier.get("/api/v1/bank-files/S39/txt").content).hexdigest() == recorded
    assert _mismatches(site.ledger) == []


def test_a_bank_file_edited_on_disk_is_refused_and_recorded(site):
    cashier, folder, _ = _written(site)
    txt = folder / "S39.txt"
    body = txt.read_bytes()  # GBK (docs/bank-file.md)
    evil = "6222999988887777"
    payee = site.ledger.decision(site.ids["s39"][0])["account_no"]
    assert payee.encode() in body
    txt.write_bytes(body.replace(payee.encode(), evil.encode()))  # control total unchanged: a bank would accept it
    r = cashier.get("/api/v1/bank-files/S39/txt")
    assert r.status_code == 409, r.text
    err = r.json()
    assert err["code"] == "bank_file_changed"
    assert err["message_zh"].startswith("报盘文件 S39.txt 与台账记录不符，不予提供（已记入审计链）")
    assert "生成后被改动" in err["message_zh"] and "not served" in err["message_en"]
    assert evil not in r.text
    [ev] = _mismatches(site.ledger)
    assert ev["file_key"] == "S39" and ev["format"] == "txt" and ev["sha256"] != ev["recorded"]
    assert site.ledger.verify_audit().ok  # the record keeps the chain whole
    # the XLSX twin too
    xlsx = folder / "S39.xlsx"
    xlsx.write_bytes(xlsx.read_bytes() + b"\0")
    r = cashier.get("/api/v1/bank-files/S39/xlsx")
    assert r.status_code == 409 and r.json()["code"] == "bank_file_changed"
    assert [e["format"] for e in _mismatches(site.ledger)] == ["txt", "xlsx"]


def test_a_recorded_digest_edited_by_sql_refuses_the_file(site):
    cashier, _, _ = _written(site)
    with site.ledger.engine.begin() as c:
        c.execute(text("update case_bank_files set sha256 = :h where file_key = 'S39'"), {"h": "0" * 64})
    r = cashier.get("/api/v1/bank-files/S39/txt")  # refused before the disk is read (the row is re-hashed)
    assert r.status_code == 409 and "校验失败" in r.json()["message_zh"] and "H|WGPAY" not in r.text


def test_the_api_refuses_a_publicity_list_starting_before_its_review(web):
    # second look (session 39): the API and the page checked only the backdating grace, so a list starting 3 days
    # before a 复审 made today ended at once and its decisions were payable; as `case publicize` now
    from datetime import timedelta

    from wengang.casework.ledger import _beijing_today

    clerk, checker = web.client("clerk"), web.client("checker")
    from .conftest import UNIT_A

    did = web.ids[UNIT_A]
    assert clerk.post(f"/api/v1/decisions/{did}/confirm", json={}).status_code == 200
    assert clerk.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 1, "approve": True, "reason": "初审通过"}
                      ).status_code == 201
    assert checker.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 2, "approve": True, "reason": "复审通过"}
                        ).status_code == 201
    body = {"list_key": "gs-early", "program": "fanhuan", "year": 2025, "days": 3,
            "starts_on": (_beijing_today() - timedelta(days=2)).isoformat()}
    r = clerk.post("/api/v1/publicity/lists", json=body)
    assert r.status_code in (409, 422) and r.json()["code"] == "publicity_before_review", r.text
    assert "早于所列决定的复审日期" in r.text
