"""Session 40: outside audits of the JSON API and pages (on PostgreSQL) and of tampering, fixed as classes.

1. a payment batch's key is checked against the bank file's rule (``documents.bank._BATCH_ID``) BEFORE it pays;
2. disabling an operator ends their web sessions (enabling them again revives no old cookie);
3. a session row written into ``web_sessions`` by SQL alone (``sha256(token)``) opens no session: the stored id is an
   HMAC under the service's secret key (tamper audit F1);
4. a recovery receipt takes ``reference`` and ``received_on`` as ``case recovery-received`` does;
5. ``GET /api/v1/recoveries`` gives one row per order with received and outstanding amounts;
6. a decision whose document asks no confirmation (内人社发〔2025〕18号 四) shows 已告知（无需确认） and says no confirmation is needed;
7. a person's own application on the page is recorded as the API records it (their account named);
8. a 公示 recorded after the fact before the 复审 of what it lists is taken with a warning (API ``warnings``, page);
9. an unknown program, ``missing_account`` outside the selection, NUL characters, a huge amount, the error page's
   route, a page's in-progress upload and a return file refusal's English.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.casework.ledger_helpers import PAYDAY, bank_file, bank_return, to_payable
from wengang.casework import RunIn
from wengang.casework.ledger import payment_reference
from wengang.casework.operators import set_enabled
from wengang.web.auth import SESSION_COOKIE

from .conftest import PERSON, UNIT_A, decision

HTML = {"accept": "text/html,application/xhtml+xml"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(params=["web", pytest.param("pg_web", marks=pytest.mark.postgres)])
def site(request):
    """The service over SQLite and over PostgreSQL (where a NUL in text was a 500)."""
    return request.getfixturevalue(request.param)


def _key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def _count(led, sql: str) -> int:
    with led.engine.connect() as c:
        return int(c.execute(text(sql)).scalar_one())


# ------------------------------------------------------------------ 1. the batch key, before paying
@pytest.mark.parametrize("bad", ["批次/十二月 2025", "B" * 40, "a b"])
def test_a_batch_key_the_bank_file_refuses_pays_nothing(web, bad):
    led = web.ledger
    ids = to_payable(led, 2)
    r = web.client("cashier").post("/api/v1/payments/batches", headers=_key(f"k-{len(bad)}"),
                                   json={"batch_key": bad, "program": "fanhuan", "year": 2025,
                                         "today": PAYDAY.isoformat()})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "bad_batch_key" and body["field"] == "batch_key"
    assert "1至32位字母" in body["message_zh"] and "未发放" in body["message_zh"]
    assert _count(led, "select count(*) from case_payments") == 0
    assert {led.decision(i)["state"] for i in ids} != {"paid"}


def test_the_payment_page_refuses_such_a_key_before_paying(web):
    led = web.ledger
    to_payable(led, 1)
    c = web.client("cashier")
    r = c.post("/queues/payment", headers=HTML,
               data={"csrf_token": c.headers["X-CSRF-Token"], "batch_key": "批次/十二月", "group": "fanhuan:2025"})
    assert r.status_code == 422 and "1至32位字母" in r.text
    assert _count(led, "select count(*) from case_payments") == 0
    page = c.get("/queues/payment", headers=HTML).text
    assert 'maxlength="32"' in page


# ------------------------------------------------------------------ 2. disabling an operator ends their sessions
def test_disabling_an_operator_ends_their_sessions_and_enabling_revives_none(web):
    clerk = web.client("clerk")
    assert clerk.get("/api/v1/auth/me").status_code == 200
    set_enabled(web.ledger, "clerk", "admin", enabled=False)
    assert _count(web.ledger, "select count(*) from web_sessions where login = 'clerk'") == 0
    set_enabled(web.ledger, "clerk", "admin", enabled=True)
    assert clerk.get("/api/v1/auth/me").status_code == 401  # the old cookie is dead
    assert web.client("clerk").get("/api/v1/auth/me").status_code == 200  # a new sign-in works


# ------------------------------------------------------------------ 3. a forged session row
def test_a_session_row_written_by_sql_alone_opens_no_session(site):
    web = site
    led = web.ledger
    now = datetime.now(UTC)
    token = "forged-zhao"
    with led.engine.begin() as c:
        c.execute(text("insert into web_sessions (id, login, csrf_token, created_at, last_seen, expires_at, client) "
                       "values (:id, 'cashier', 'csrf-x', :t, :t, :e, 'x')"),
                  {"id": hashlib.sha256(token.encode()).hexdigest(), "t": now.isoformat(),
                   "e": (now + timedelta(hours=8)).isoformat()})
    c = web.client()
    c.cookies.set(SESSION_COOKIE, token)
    assert c.get("/api/v1/auth/me").status_code == 401
    r = c.post("/api/v1/payments/batches", headers={**_key("forge"), "X-CSRF-Token": "csrf-x"},
               json={"batch_key": "F1", "program": "fanhuan", "year": 2025})
    assert r.status_code == 401
    # a real session's stored id is not the plain SHA-256 of its cookie
    real = web.client("cashier")
    cookie = real.cookies.get(SESSION_COOKIE)
    with led.engine.connect() as conn:
        ids = set(conn.execute(text("select id from web_sessions where login = 'cashier'")).scalars())
    assert hashlib.sha256(cookie.encode()).hexdigest() not in ids and len(ids) == 2
    assert real.get("/api/v1/auth/me").status_code == 200
    real.post("/api/v1/auth/logout")
    assert _count(led, "select count(*) from web_sessions where login = 'cashier'") == 1  # the forged row only


# ------------------------------------------------------------------ 4, 5. recovery receipts
def _order(web, tmp_path) -> tuple[int, int]:
    led = web.ledger
    [did] = to_payable(led, 1)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(did, 0): True})
    down = led.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert down.recovery_id is not None and down.recovery_fen == 60_000
    return did, down.recovery_id


def test_receipts_take_a_reference_and_a_day_and_the_list_gives_one_row_per_order(web, tmp_path):
    did, rid = _order(web, tmp_path)
    cashier = web.client("cashier")
    day = "2025-11-10"
    r = cashier.post(f"/api/v1/recoveries/{rid}/receipts", headers=_key("r1"),
                     json={"amount_fen": 20_000, "received_on": day, "reference": "YH001"})
    assert r.status_code == 201, r.text
    assert (r.json()["received_fen"], r.json()["owed_fen"]) == (20_000, 40_000)
    # a second equal instalment the same day: taken with its own reference
    r = cashier.post(f"/api/v1/recoveries/{rid}/receipts", headers=_key("r2"),
                     json={"amount_fen": 20_000, "received_on": day, "reference": "YH002"})
    assert r.status_code == 201, r.text
    # the same reference again: refused, naming the request's field (not a command option)
    r = cashier.post(f"/api/v1/recoveries/{rid}/receipts", headers=_key("r3"),
                     json={"amount_fen": 20_000, "received_on": day, "reference": "YH002"})
    assert r.status_code == 409 and "不重复计入" in r.json()["message_zh"]
    assert "--reference" not in r.json()["message_zh"]
    r = cashier.post(f"/api/v1/recoveries/{rid}/receipts", headers=_key("r4"),
                     json={"amount_fen": 1, "received_on": "2999-01-01"})
    assert r.status_code == 422
    r = cashier.post(f"/api/v1/recoveries/{rid}/receipts", headers=_key("r5"),
                     json={"amount_fen": 1, "reference": "x" * 129})
    assert r.status_code == 422
    rows = [x for x in cashier.get("/api/v1/recoveries", params={"decision_id": did}).json() if x["amount_fen"] > 0]
    assert len(rows) == 1
    [row] = rows
    assert (row["id"], row["amount_fen"], row["received_fen"], row["outstanding_fen"]) == (rid, 60_000, 40_000, 20_000)
    assert [(k["amount_fen"], k["reference"], k["received_on"]) for k in row["receipts"]] == [
        (20_000, "YH001", day), (20_000, "YH002", day)]


# ------------------------------------------------------------------ 6. no confirmation asked
def test_a_decision_whose_document_asks_no_confirmation_says_so(web):
    did = web.ids[UNIT_A]  # 内人社发〔2025〕18号 四 “以短信等方式告知企业，无需企业申请”
    unit = web.client("danwei")
    page = unit.get(f"/decisions/{did}", headers=HTML).text
    assert "已告知（无需确认）" in page and "已告知待确认" not in page
    # the form stays only as the way to give or correct an account (the unit's one way to name where to be paid)
    assert "无需确认或申请" in page and "提交即确认接受" in page
    assert f'action="/decisions/{did}/decline"' in page  # the unit may still decline
    listing = unit.get("/unit", headers=HTML).text
    assert "已告知（无需确认）" in listing and "已告知待确认" not in listing
    # the office's lists say the same
    clerk = web.client("clerk")
    for path in ("/decisions", "/queues/review"):
        listing = clerk.get(path, headers=HTML).text
        assert "<td>已告知（无需确认）</td>" in listing and "<td>已告知待确认</td>" not in listing, path


# ------------------------------------------------------------------ 7. a person's own application
def test_a_persons_page_application_names_their_account_as_the_api_does(web):
    from .test_web_pages import PERSON_FORM

    c = web.client("geren")
    r = c.post("/person/apply", data={**PERSON_FORM, "csrf_token": c.headers["X-CSRF-Token"]}, headers=HTML,
               follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    did = web.ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-01-02-01:5")
    first = web.ledger.decision(did)["history"][0]
    assert first["actor"] == "portal" and "个人账户 geren" in (first["reason"] or "") and "网上申请" in first["reason"]


# ------------------------------------------------------------------ 8. a 公示 before the 复审, recorded late
def _approved(web) -> list[int]:
    led = web.ledger
    ids = [web.ids[UNIT_A]]
    for did in ids:
        led.first_review(did, "clerk", approve=True, reason="初审通过")
        led.second_review(did, "checker", approve=True, reason="复审通过")
    return ids


def test_a_late_publicity_before_the_review_is_taken_with_a_warning(web):
    ids = _approved(web)
    clerk = web.client("clerk")
    body = {"list_key": "GS-LATE", "program": "fanhuan", "year": 2025, "starts_on": "2025-10-01", "days": 7,
            "decision_ids": ids}
    r = clerk.post("/api/v1/publicity/lists", json=body)
    assert r.status_code == 422 or r.status_code == 409  # without a late reason: refused
    r = clerk.post("/api/v1/publicity/lists", json={**body, "late_reason": "2025-10-01 张贴于大厅"})
    assert r.status_code == 201, r.text
    [w] = r.json()["warnings"]
    assert "早于所列决定的复审日期" in w["message_zh"] and "不能倒签" in w["message_zh"] and w["message_en"]


def test_the_publicity_page_shows_that_warning(web):
    _approved(web)
    c = web.client("clerk")
    r = c.post("/publicity", headers=HTML, follow_redirects=True,
               data={"csrf_token": c.headers["X-CSRF-Token"], "list_key": "GS-LATE2", "program": "fanhuan",
                     "year": "2025", "starts_on": "2025-10-01", "days": "7", "late_reason": "2025-10-01 张贴于大厅"})
    assert r.status_code == 200, r.text[:500]
    assert "早于所列决定的复审日期" in r.text and "不能倒签" in r.text


def test_a_timely_publicity_has_no_warning(web):
    ids = _approved(web)
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    r = web.client("clerk").post("/api/v1/publicity/lists", json={
        "list_key": "GS-OK", "program": "fanhuan", "year": 2025, "starts_on": today.isoformat(), "days": 7,
        "decision_ids": ids})
    assert r.status_code == 201, r.text
    assert r.json()["warnings"] == []


# ------------------------------------------------------------------ 9. misc
def test_an_unknown_program_is_refused_before_a_batch(web):
    r = web.client("cashier").post("/api/v1/payments/batches", headers=_key("nope"),
                                   json={"batch_key": "B9", "program": "nope", "year": 2025})
    assert r.status_code == 422 and r.json()["code"] == "invalid_input" and "项目" in r.json()["message_zh"]
    c = web.client("cashier")
    r = c.post("/queues/payment", headers=HTML,
               data={"csrf_token": c.headers["X-CSRF-Token"], "batch_key": "B9", "group": "nope:2025"})
    assert r.status_code == 422 and "项目" in r.text and "<html" in r.text.lower()


def test_missing_account_counts_the_selection_only(web):
    led = web.ledger
    [payable] = to_payable(led, 1)
    run = RunIn("fanhuan", 2025, "150500", {"web-test-s40": "e" * 64}, {"内人社发〔2025〕18号": "2025-05-27"})
    led.import_decisions(run, [decision("91150502MA0N4444XA", "无账户公司", 200_000, account_no=None)], "clerk")
    led.notify("fanhuan", 2025, "clerk", channels=("sms",))
    other = led.find(program="fanhuan", year=2025, unit_id="91150502MA0N4444XA")
    led.first_review(other, "clerk", approve=True, reason="初审")
    led.second_review(other, "checker", approve=True, reason="复审")
    assert led.decision(other)["account_no"] is None and led.decision(other)["state"] == "approved"
    r = web.client("cashier").post("/api/v1/payments/batches", headers=_key("sel"), json={
        "batch_key": "SEL1", "program": "fanhuan", "year": 2025, "today": PAYDAY.isoformat(),
        "decision_ids": [payable]})
    assert r.status_code == 201, r.text
    assert r.json()["paid"] == 1 and r.json()["missing_account"] == 0


@pytest.mark.parametrize(("method", "path", "kw"), [
    ("get", "/api/v1/decisions?unit=%00", {}),
    ("get", "/api/v1/publicity/lists/a%00b", {}),
    ("get", "/api/v1/bank-files/a%00b/txt", {}),
    ("post", "/api/v1/decisions/{did}/reviews", {"json": {"stage": 1, "approve": True, "reason": "a\u0000b"}}),
])
def test_a_nul_character_is_refused_in_chinese_before_the_database(site, method, path, kw):
    web = site
    c = web.client("clerk")
    r = getattr(c, method)(path.format(did=web.ids[UNIT_A]), **kw)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "nul_character" and "空字符" in r.json()["message_zh"]
    assert not CJK.search(r.json()["message_en"])


def test_a_nul_in_a_page_form_is_refused_as_a_page(web):
    c = web.client("clerk")
    r = c.post(f"/decisions/{web.ids[UNIT_A]}/review", headers=HTML,
               data={"csrf_token": c.headers["X-CSRF-Token"], "stage": "1", "verdict": "approve", "reason": "a\x00b"})
    assert r.status_code == 422 and "空字符" in r.text
    assert web.ledger.decision(web.ids[UNIT_A])["state"] == "notified"


def test_a_huge_amount_is_refused_as_input(web):
    r = web.client("checker").post(f"/api/v1/decisions/{web.ids[UNIT_A]}/resize", headers=_key("huge"),
                                   json={"size_class": "large", "amount_fen": 10**30, "reason": "x"})
    assert r.status_code == 422 and r.json()["field"] == "amount_fen"


def test_the_error_page_keeps_a_routes_slashes(web):
    c = web.client("clerk")  # 经办: may not request a payee account (出纳)
    r = c.post(f"/decisions/{web.ids[UNIT_A]}/account", headers=HTML,
               data={"csrf_token": c.headers["X-CSRF-Token"], "account_no": "6222000011112222444", "kind": "set"})
    assert r.status_code == 403
    assert "/decisions/{decision_id}/account" in r.text and "decisions{decision_id}" not in r.text


def test_a_page_upload_still_running_is_told_in_page_terms(web, tmp_path):
    led = web.ledger
    data = b"not a return file\r\n"
    with led.engine.begin() as conn:  # the same file submitted a moment ago, still running
        conn.execute(text("insert into web_idempotency (owner, key, request_sha256, status, body, created_at) values "
                          "('cashier', :k, 'x', 0, '', :t)"),
                     {"k": "page-bank-return-" + hashlib.sha256(data).hexdigest(), "t": datetime.now(UTC).isoformat()})
    c = web.client("cashier")
    r = c.post("/bank-files/returns", headers={**HTML, "X-CSRF-Token": c.headers["X-CSRF-Token"]},
               files={"file": ("ret.txt", data, "text/plain")}, data={"csrf_token": c.headers["X-CSRF-Token"]})
    assert r.status_code == 409, r.text[:500]
    assert "Idempotency-Key" not in r.text and "仍在处理中" in r.text


def test_a_refused_return_file_has_english_in_message_en(web):
    utf8 = "H|WGRET|1|C1|20261207|1|100\r\nD|1|13-0|成功||6222000099999999|100\r\nT|1|100\r\n".encode()
    for n, data in enumerate((b"hello\r\n", b"\xff\xfe\r\n", b"H|X|1\r\n", utf8)):
        r = web.client("cashier").post("/api/v1/bank-returns", headers=_key(f"ret-{n}"),
                                       files={"file": ("ret.txt", data, "text/plain")})
        assert r.status_code == 422, r.text
        assert not CJK.search(r.json()["message_en"]), r.json()
        assert CJK.search(r.json()["message_zh"])


# ------------------------------------------------------------------ 10. a session row's login and expiry are sealed
def _session_row(led, login: str) -> dict:
    with led.engine.connect() as conn:
        return dict(conn.execute(text("select * from web_sessions where login = :l"), {"l": login}).mappings().one())


def test_a_session_whose_login_is_swapped_by_sql_is_not_signed_in(site):
    web = site
    c = web.client("danwei")  # a 单位 portal login
    me = c.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["login"] == "danwei"
    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_sessions set login = 'cashier' where login = 'danwei'"))
    r = c.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "not_signed_in" and "cashier" not in r.text
    r = c.post("/api/v1/payments/batches", headers=_key("swap"),
               json={"batch_key": "S1", "program": "fanhuan", "year": 2025})
    assert r.status_code == 401
    assert _count(web.ledger, "select count(*) from case_payments") == 0
    # the tampered row is gone; the 出纳's own sign-in is untouched
    assert _count(web.ledger, "select count(*) from web_sessions where login = 'cashier'") == 0
    assert web.client("cashier").get("/api/v1/auth/me").json()["login"] == "cashier"


def test_a_seal_copied_from_another_session_does_not_carry_its_login(web):
    unit, cashier = web.client("danwei"), web.client("cashier")
    theirs = _session_row(web.ledger, "cashier")
    with web.ledger.engine.begin() as conn:  # every field but the id copied from the 出纳's row
        conn.execute(text("update web_sessions set login = :l, csrf_token = :s, created_at = :c, expires_at = :e, "
                          "last_seen = :t where login = 'danwei'"),
                     {"l": "cashier", "s": theirs["csrf_token"], "c": theirs["created_at"], "e": theirs["expires_at"],
                      "t": theirs["last_seen"]})
    assert unit.get("/api/v1/auth/me").status_code == 401
    assert cashier.get("/api/v1/auth/me").status_code == 200


def test_a_session_expiry_pushed_out_by_sql_is_not_signed_in(web):
    c = web.client("auditor")
    row = _session_row(web.ledger, "auditor")
    later = (datetime.fromisoformat(row["expires_at"]) + timedelta(days=365)).isoformat(timespec="microseconds")
    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_sessions set expires_at = :e where login = 'auditor'"), {"e": later})
    assert c.get("/api/v1/auth/me").status_code == 401
    assert _count(web.ledger, "select count(*) from web_sessions where login = 'auditor'") == 0
    # nor does moving the creation time on with it, nor a last_seen set in the future
    c = web.client("auditor")
    row = _session_row(web.ledger, "auditor")
    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_sessions set created_at = :e where login = 'auditor'"),
                     {"e": (datetime.fromisoformat(row["created_at"]) + timedelta(hours=7)).isoformat()})
    assert c.get("/api/v1/auth/me").status_code == 401
    c = web.client("auditor")
    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_sessions set last_seen = :e where login = 'auditor'"),
                     {"e": (web.clock() + timedelta(days=30)).isoformat(timespec="microseconds")})
    assert c.get("/api/v1/auth/me").status_code == 401


def test_an_untouched_session_still_works_slides_and_ends(web):
    c = web.client("danwei")
    first = _session_row(web.ledger, "danwei")
    assert c.headers["X-CSRF-Token"] == first["csrf_token"]  # the seal is the session's CSRF token
    for _ in range(5):  # active every 25 minutes: the idle end slides (beyond the 30-minute idle limit)
        web.clock.advance(minutes=25)
        assert c.get("/api/v1/auth/me").status_code == 200
    row = _session_row(web.ledger, "danwei")
    assert row["last_seen"] > first["last_seen"]
    assert (row["expires_at"], row["created_at"], row["csrf_token"]) == (
        first["expires_at"], first["created_at"], first["csrf_token"])
    # a write with the session's CSRF token still goes through the CSRF check (refused on role, not on CSRF)
    r = c.post("/api/v1/payments/batches", headers=_key("unit-pay"),
               json={"batch_key": "U1", "program": "fanhuan", "year": 2025})
    assert r.status_code == 403 and r.json()["code"] != "csrf_failed"
    for _ in range(20):  # the sealed 8-hour end still comes
        web.clock.advance(minutes=25)
        if c.get("/api/v1/auth/me").status_code != 200:
            break
    assert c.get("/api/v1/auth/me").status_code == 401
    assert web.clock() < datetime.fromisoformat(first["created_at"]) + timedelta(hours=8, minutes=30)
