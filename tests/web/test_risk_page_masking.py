"""No full 公民身份号码 where a risk flag's evidence is shown (outside trust audit D6; decisions §28, ``mask_text``).

The /risk page masked the subject column but printed the evidence as stored: a claim id
``150121196501013000/2024-05`` reached every 稽核 and 复核 in full. The evidence is now shown through ``mask_text``
(any value: a text holding an ID, a list of claim ids), and so is the free text that may quote it — the 稽核's
reason on the page, in the decision's history and recoveries (API and page) — while the ledger keeps the full
values. The crawl walks the risk page (every status, every page) and the decision it touched, as every role."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import polars as pl
import pytest

from tests.casework.ledger_helpers import PAYDAY, TODAY
from wengang.casework.risk_queue import FLAG_COLUMNS, import_flags, list_flags

from .conftest import OTHER_PERSON, PERSON, ROLE_LOGIN, UNIT_A

HTML = {"accept": "text/html,application/xhtml+xml"}
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# 18-digit ID shapes as the screening leaves them in claim ids: checksum or not (a mistyped ID is someone's ID)
CLAIMANT = "150121196501013000"
OTHERS = ["150121196501015006", "15012119650104000X"]


def _import(web: Any, did: int) -> dict[str, int]:
    def row(key: str, check: str, subject: str, program: str, evidence: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return {"flag_key": f"{check}:{key}", "check_id": check, "severity": "高", "program": program, "year": 2025,
                "subject_id": subject, "subject_name": "测试对象", "claim_key": "", "region_code": "150502",
                "record": key, "amount_fen": 50_000, "label": "测试疑点", "citation": "人社部发〔2024〕40号 六",
                "quote": "严防冒领", "evidence": json.dumps(evidence, ensure_ascii=False)} | kw  # fmt: skip

    rows = [
        row("d6-cross", "ui_cross_region", CLAIMANT, "ui", {
            "claim_id": f"{CLAIMANT}/2024-05", "start_month": "2024-05", "other_region": "150581",
            "other_claims": [f"{x}/2024-03" for x in OTHERS], "monthly_fen": 190_000}),
        row("d6-status", "ui_status_anomaly", OTHERS[1], "ui", {
            "claim_id": f"{OTHERS[1]}/2024-02", "id_check": "校验码错误", "registry": {"id_number": OTHERS[0]}}),
        row("d6-unit", "dispatch_allocation_mismatch", UNIT_A, "fanhuan", {
            "firm_id": "PX0", "user_units": 2, "claimant": PERSON, "dispatch_share_fen": 500_000}),
    ]
    import_flags(web.ledger, pl.DataFrame(rows, schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS),
                 "auditor")  # fmt: skip
    return {f["flag_key"].split(":")[1]: f["id"] for f in list_flags(web.ledger)}


def _paid_unit_a(web: Any) -> int:
    led, did = web.ledger, web.ids[UNIT_A]
    assert led.confirm_many([did], "clerk", today=TODAY) == 1
    assert led.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert led.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1
    led.publicize("gs-d6", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    assert led.run_payment_batch("B-D6", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1
    return did


def _verdict(web: Any, fid: int, step: str, reason: str) -> None:
    auditor = web.client("auditor")
    r = auditor.post(f"/risk/{fid}/{step}", data={"csrf_token": auditor.headers["X-CSRF-Token"], "reason": reason,
                                                  "next": "/risk"}, headers=HTML, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    shown = auditor.get(r.headers["location"], headers=HTML)
    assert shown.status_code == 200 and not FULL_ID.findall(shown.text), FULL_ID.findall(shown.text)


def _crawl_risk(client: Any) -> list[str]:
    """Every page of the queue under every status filter (the pager's links followed)."""
    texts, todo, seen = [], [f"/risk?status={s}" for s in ("", "open", "confirmed", "cleared")], set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url, headers=HTML, follow_redirects=False)
        assert not FULL_ID.findall(r.text), (url, FULL_ID.findall(r.text))  # refusals too
        if r.status_code != 200:
            continue
        texts.append(r.text)
        todo += [u.replace("&amp;", "&") for u in re.findall(r'href="(/risk\?[^"]*page=\d+[^"]*)"', r.text)]
    return texts


@pytest.fixture
def flagged(web):
    did = _paid_unit_a(web)
    ids = _import(web, did)
    # the 稽核's reasons quote the evidence, as they would
    _verdict(web, ids["d6-unit"], "confirm", f"核实：派遣人员 {PERSON} 与 {CLAIMANT}/2024-05 重复")
    _verdict(web, ids["d6-status"], "clear", f"已排除：{OTHERS[1]} 系录入错误")
    return web, did, ids


def test_no_full_id_on_the_risk_page_for_any_role(flagged):
    web, did, ids = flagged
    readers = 0
    for role, login in [*ROLE_LOGIN.items(), ("anonymous", None)]:
        texts = _crawl_risk(web.client(login))
        for text in texts:
            assert not FULL_ID.findall(text), (role, FULL_ID.findall(text))
        if texts:
            readers += 1
            assert f"{CLAIMANT[:4]}**********{CLAIMANT[-4:]}/2024-05" in "".join(texts)  # masked, not dropped
    assert readers == 2  # the 稽核 and the 复核 read the queue; the others are refused
    # the page shows the evidence and the reasons, masked (the first 4 and last 4, one * per hidden digit)
    page = web.client("checker").get("/risk?status=", headers=HTML).text
    assert "1501**********5006/2024-03" in page and "1501**********000X" in page
    assert "派遣人员 1523**********0015" in page and "系录入错误" in page
    # the ledger keeps the full values (a machine step needs them): only the display masks
    [cross] = [f for f in list_flags(web.ledger) if f["id"] == ids["d6-cross"]]
    assert cross["evidence"]["claim_id"] == f"{CLAIMANT}/2024-05"


def test_no_full_id_where_the_confirmation_reached_the_decision(flagged):
    web, did, _ = flagged
    for login in ("admin", "clerk", "checker", "cashier", "auditor"):
        c = web.client(login)
        api = c.get(f"/api/v1/decisions/{did}")
        assert api.status_code == 200, api.text
        assert not FULL_ID.findall(api.text), (login, FULL_ID.findall(api.text))
        history = " ".join(str(h["reason"]) for h in api.json()["history"])
        assert "风险疑点" in history and "1523**********0015" in history
        page = c.get(f"/decisions/{did}", headers=HTML)
        assert page.status_code == 200 and not FULL_ID.findall(page.text), (login, FULL_ID.findall(page.text))
        assert "撤回：风险疑点" in page.text  # the withdrawn payment's reason, masked
        # the office's other lists where a withdrawal's reason reaches (what left the office, queues, JSON lists)
        for url in ("/bank-files", "/queues/payment", "/queues/review", "/dashboard", "/api/v1/payments",
                    "/api/v1/recoveries", f"/api/v1/decisions/{did}/reviews"):
            r = c.get(url, headers=HTML)
            assert not FULL_ID.findall(r.text), (login, url, FULL_ID.findall(r.text))
    assert "撤回：风险疑点" in web.client("auditor").get("/bank-files", headers=HTML).text
    # the unit's own view: no one else's ID either
    own = web.client("danwei").get(f"/api/v1/decisions/{did}")
    assert own.status_code == 200 and CLAIMANT not in own.text and PERSON not in own.text
    assert OTHER_PERSON not in own.text
