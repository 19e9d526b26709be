"""Session 32 audit of the web service: numbers too large for the database, and identifiers in history and outbox.

* A path or query id of 2^70 reached the database: a 409 "金额合计超出范围" quoting the driver, or a 500. It is now
  refused as input (422) before any query, on the API and the pages.
* A decision's history (JSON) carried an account change's full numbers to every operator, 稽核 included.
* The outbox list showed recipients as stored: a person's mobile or ID number in full.
"""

from __future__ import annotations

import pytest

from .conftest import PERSON, UNIT_A

HUGE = str(2**70)


@pytest.mark.parametrize(
    "url",
    [f"/api/v1/decisions/{HUGE}", f"/api/v1/decisions?page={HUGE}", f"/api/v1/decisions?year={HUGE}",
     f"/api/v1/payments?decision_id={HUGE}", f"/api/v1/recoveries?decision_id={HUGE}",
     f"/api/v1/decisions/{HUGE}/reviews", f"/api/v1/screening/runs/{HUGE}"],
)  # fmt: skip
def test_an_id_too_large_is_refused_as_input(web, url):
    r = web.client("auditor").get(url)
    assert r.status_code == 422, r.text
    assert "too large" not in r.text and "sqlite" not in r.text.lower()


def test_an_id_too_large_on_a_page_is_refused(web):
    r = web.client("clerk").get(f"/decisions/{HUGE}", headers={"Accept": "text/html"})
    assert r.status_code in (404, 422) and "Traceback" not in r.text


def test_history_masks_account_numbers(web):
    did = web.ids[UNIT_A]
    full = "6222021234567890123"
    cid = web.ledger.set_account(did, "cashier", account_no=full, reason="单位更换基本户")
    web.ledger.approve_account(cid, "checker", reason="已核实")
    for login in ("auditor", "clerk", "checker"):
        r = web.client(login).get(f"/api/v1/decisions/{did}")
        assert r.status_code == 200, r.text
        assert full not in r.text, login
    events = [h for h in web.client("auditor").get(f"/api/v1/decisions/{did}").json()["history"]
              if "account" in str(h["after"])]  # fmt: skip
    assert events and all("6222" in str(h["after"]) for h in events)


def test_the_outbox_masks_a_persons_recipient(web):
    rows = web.client("auditor").get("/api/v1/notices?page_size=500").json()
    shown = " ".join(str(r["recipient"]) for r in rows)
    assert rows and "13800000000" not in shown and PERSON not in shown
    page = web.client("auditor").get("/notices", headers={"Accept": "text/html"}).text
    assert "13800000000" not in page and PERSON not in page


def test_a_body_that_is_not_json_is_called_so(web):
    did = web.ids[UNIT_A]
    r = web.client("clerk").post(f"/api/v1/decisions/{did}/reviews", content=b'{"stage":1,',
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "invalid_json"
    assert "不是有效的 JSON" in r.json()["message_zh"]


def test_the_access_log_masks_identifiers_in_addresses():
    import logging
    import logging.config

    from wengang.web.errors import access_log_config

    logging.config.dictConfig(access_log_config())
    log = logging.getLogger("uvicorn.access")
    record = log.makeRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                            ("127.0.0.1:5000", "GET", f"/api/v1/balances?unit_id={UNIT_A}&p={PERSON}", "1.1", 200),
                            None)  # fmt: skip
    [handler] = log.handlers
    assert handler.filters and all(f.filter(record) for f in handler.filters)
    line = record.getMessage()
    assert UNIT_A not in line and PERSON not in line and "unit_id=911505" in line


def test_a_backdated_publicity_list_needs_a_reason(web):
    clerk, checker = web.client("clerk"), web.client("checker")
    did = web.ids[UNIT_A]  # one decision through 复审, for the list to have an entry (an empty list is refused)
    assert clerk.post(f"/api/v1/decisions/{did}/confirm", json={}).status_code == 200
    assert clerk.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 1, "approve": True, "reason": "初审通过"}).status_code == 201
    assert checker.post(f"/api/v1/decisions/{did}/reviews", json={"stage": 2, "approve": True, "reason": "复审通过"}).status_code == 201
    body = {"list_key": "gs-old", "program": "fanhuan", "year": 2025, "starts_on": "2025-10-01", "days": 5}
    r = clerk.post("/api/v1/publicity/lists", json=body)
    assert r.status_code == 422 and r.json()["code"] == "backdated_publicity"
    assert web.ledger.decision(did)["state"] == "approved"
    r = clerk.post("/api/v1/publicity/lists", json=body | {"late_reason": "已于2025-10-01张贴"})
    assert r.status_code == 201 and r.json()["publicized"] == 1, r.text
