"""Security of the web service: forged identifiers, CSRF, the login lock, session expiry, idempotency, headers,
API tokens, credentials in the audit chain."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from wengang.casework.errors import LedgerError
from wengang.casework.models import AuditEvent
from wengang.web import accounts
from wengang.web.auth import SESSION_COOKIE

from .conftest import OTHER_PERSON, PERSON, UNIT_A, UNIT_B, pw
from .test_web_api import EXAMPLE


def _count(web, **where) -> int:
    EV = AuditEvent.__table__.c
    q = select(EV.seq)
    for k, v in where.items():
        q = q.where(EV[k] == v)
    return len(web.ledger.read(q))


# ------------------------------------------------------------------ forged identifiers
def test_unit_cannot_reach_another_units_records(web):
    c = web.client("danwei")
    other = web.ids[UNIT_B]
    # a decision by its id: not found, as a missing one would be (session 42: a 403 told which ids exist)
    for method, url, kw in (("GET", f"/api/v1/decisions/{other}", {}),
                            ("GET", f"/api/v1/decisions/{other}/explanation", {}),
                            ("POST", f"/api/v1/decisions/{other}/confirm", {"json": {}}),
                            ("POST", f"/api/v1/decisions/{other}/decline", {"json": {}})):
        r = c.request(method, url, **kw)
        assert r.status_code == 404, (url, r.text)
        assert r.json()["code"] == "not_found" and r.json()["message_zh"] == f"找不到决定 {other}"
    # a list for another unit's code: refused
    for method, url, kw in (("GET", f"/api/v1/decisions?unit={UNIT_B}", {}),
                            ("GET", f"/api/v1/balances?unit_id={UNIT_B}", {})):
        r = c.request(method, url, **kw)
        assert r.status_code == 403, (url, r.text)
        assert r.json()["code"] == "forbidden_record"
        assert "不属于您的账户" in r.json()["message_zh"] and UNIT_A not in r.json()["message_zh"]
    assert web.ledger.decision(other)["state"] == "notified"  # nothing changed
    assert c.get(f"/api/v1/decisions?unit={UNIT_A}").json()["total"] == 1  # its own code is fine


def test_forged_identifier_in_the_evaluated_facts_is_refused(web):
    import json

    facts = json.loads(EXAMPLE.read_text(encoding="utf-8"))  # UNIT_A's facts
    assert web.client("danwei").post("/api/v1/evaluate", json={"facts": facts}).status_code == 200
    r = web.client("danwei").post("/api/v1/evaluate", json={"facts": {**facts, "credit_code": UNIT_B}})
    assert r.status_code == 403 and r.json()["code"] == "forbidden_record"
    r = web.client("geren").post("/api/v1/evaluate", json={"facts": facts})
    assert r.status_code == 403


def test_person_cannot_reach_another_persons_records(web):
    c = web.client("geren")
    r = c.get(f"/api/v1/decisions/{web.ids[UNIT_A]}")
    assert r.status_code == 404 and r.json()["code"] == "not_found"  # as a missing decision (session 42)
    r = c.get(f"/api/v1/decisions?unit={OTHER_PERSON}")
    assert r.status_code == 403 and "公民身份号码 1523**********0015" in r.json()["message_zh"]
    assert c.get(f"/api/v1/decisions?unit={PERSON}").status_code == 200


# ------------------------------------------------------------------ CSRF
def test_session_writes_need_the_csrf_token(web):
    c = web.client("clerk")
    token = c.headers.pop("X-CSRF-Token")
    did = web.ids[UNIT_B]
    r = c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "单位放弃"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "单位放弃"}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert web.ledger.decision(did)["state"] == "notified"
    # a form post carries it as the csrf_token field
    r = c.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "单位放弃"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and web.ledger.decision(did)["state"] == "declined"


def test_login_form_needs_its_csrf_token(web):
    c = web.client()
    page = c.get("/login")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text and "<script" not in page.text
    field = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"login": "clerk", "password": pw("clerk"), "csrf_token": "x"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text and SESSION_COOKIE not in r.cookies
    r = c.post("/login", data={"login": "clerk", "password": pw("clerk"), "csrf_token": field, "next": "//evil.example"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert c.get("/api/v1/auth/me").json()["login"] == "clerk"


# ------------------------------------------------------------------ login lock
def test_five_failures_lock_the_login_for_some_minutes(web):
    c = web.client()
    for _ in range(5):
        r = c.post("/api/v1/auth/login", json={"login": "clerk", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    r = c.post("/api/v1/auth/login", json={"login": "clerk", "password": pw("clerk")})
    assert r.status_code == 429 and r.json()["code"] == "login_locked" and int(r.headers["Retry-After"]) > 0
    assert "分钟后再试" in r.json()["message_zh"]
    web.clock.advance(minutes=16)
    assert c.post("/api/v1/auth/login", json={"login": "clerk", "password": pw("clerk")}).status_code == 200


def test_failures_from_one_address_lock_that_address(web):
    c = web.client()
    for login in ("a1", "a2", "a3", "a4", "a5"):
        c.post("/api/v1/auth/login", json={"login": login, "password": "wrong-password"})
    r = c.post("/api/v1/auth/login", json={"login": "checker", "password": pw("checker")})
    assert r.status_code == 429


# ------------------------------------------------------------------ sessions
def test_session_expires_when_idle_and_at_its_end(web):
    c = web.client("auditor")
    web.clock.advance(minutes=29)
    assert c.get("/api/v1/auth/me").status_code == 200
    web.clock.advance(minutes=31)
    r = c.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "not_signed_in"
    c = web.client("auditor")
    for _ in range(20):  # active every 29 minutes: the 8-hour end still comes
        web.clock.advance(minutes=29)
        if c.get("/api/v1/auth/me").status_code != 200:
            break
    assert c.get("/api/v1/auth/me").status_code == 401


def test_login_rotates_the_session(web):
    c = web.client("auditor")
    old = c.cookies.get(SESSION_COOKIE)
    c.post("/api/v1/auth/login", json={"login": "auditor", "password": pw("auditor")})
    new = c.cookies.get(SESSION_COOKIE)
    assert new and new != old
    stale = web.client()
    stale.cookies.set(SESSION_COOKIE, old)
    assert stale.get("/api/v1/auth/me").status_code == 401


def test_logout_ends_the_session(web):
    c = web.client("auditor")
    token = c.cookies.get(SESSION_COOKIE)
    assert c.post("/api/v1/auth/logout").status_code == 200
    again = web.client()
    again.cookies.set(SESSION_COOKIE, token)
    assert again.get("/api/v1/auth/me").status_code == 401


# ------------------------------------------------------------------ idempotency
def test_idempotent_replay_and_conflict(web):
    c = web.client("clerk")
    did = web.ids[UNIT_B]
    key = {"Idempotency-Key": "decline-unit-b-1"}
    r1 = c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "单位来电放弃"}, headers=key)
    assert r1.status_code == 200
    events = _count(web)
    r2 = c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "单位来电放弃"}, headers=key)
    assert r2.status_code == 200 and r2.json() == r1.json() and r2.headers["Idempotent-Replayed"] == "true"
    assert _count(web) == events  # nothing written twice
    r3 = c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "另一个理由"}, headers=key)
    assert r3.status_code == 409 and r3.json()["code"] == "idempotency_conflict"
    assert r3.json()["field"] == "Idempotency-Key"
    # without the key the same request is a new write: the ledger refuses declining twice
    assert c.post(f"/api/v1/decisions/{did}/decline", json={"reason": "单位来电放弃"}).status_code == 409


def test_a_refused_write_keeps_no_record_under_its_key(web):
    c = web.client("clerk")
    key = {"Idempotency-Key": "pay-1"}
    r = c.post(f"/api/v1/decisions/{web.ids[UNIT_A]}/confirm", json={"amount_fen": 1}, headers=key)
    assert r.status_code == 422 and r.json()["code"] == "amount_mismatch"
    # the refusal was not stored: the corrected request goes through under the same key …
    r = c.post(f"/api/v1/decisions/{web.ids[UNIT_A]}/confirm", json={"amount_fen": 1_118_430}, headers=key)
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    # … and from then on the key belongs to it
    r = c.post(f"/api/v1/decisions/{web.ids[UNIT_A]}/confirm", json={"amount_fen": 1}, headers=key)
    assert r.status_code == 409 and r.json()["code"] == "idempotency_conflict"


# ------------------------------------------------------------------ headers
def test_security_headers(web):
    c = web.client()
    for url in ("/login", "/healthz", "/api/v1/docs", "/static/wengang.css"):
        h = web.client().get(url).headers
        assert "script-src 'self'" in h["content-security-policy"] and "'unsafe-inline'" not in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in h  # plain HTTP: no HSTS
    tls = web.client(base_url="https://testserver")
    assert tls.get("/healthz").headers["strict-transport-security"].startswith("max-age=")
    r = tls.post("/api/v1/auth/login", json={"login": "clerk", "password": pw("clerk")})
    assert "Secure" in r.headers["set-cookie"]
    assert c.get("/api/v1/openapi.json").headers["cache-control"] == "no-store"


# ------------------------------------------------------------------ API tokens
def test_api_token_acts_with_its_roles_and_no_csrf(web):
    token = accounts.create_token(web.ledger, "cashier", roles=["出纳"], label="银企直连", actor="admin")
    c = web.client()
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/auth/me", headers=h).json()["roles"] == ["payer"]
    r = c.post("/api/v1/payments/batches", json={"batch_key": "T1", "program": "fanhuan", "year": 2025},
               headers=h | {"Idempotency-Key": "token-batch-T1"})
    assert r.status_code == 201
    assert c.post(f"/api/v1/decisions/{web.ids[UNIT_A]}/confirm", json={}, headers=h).status_code == 403
    stored = web.ledger.read(text("select token_hash from web_api_tokens"))
    assert token not in str(stored) and len(stored[0]["token_hash"]) == 64
    with pytest.raises(LedgerError, match="没有"):
        accounts.create_token(web.ledger, "cashier", roles=["复核"], label="x", actor="admin")
    accounts.revoke_token(web.ledger, 1, actor="admin")
    assert c.get("/api/v1/auth/me", headers=h).status_code == 401


# ------------------------------------------------------------------ credentials and the audit chain
def test_credentials_are_argon2_and_audited(web):
    row = web.ledger.read(text("select password_hash from web_credentials where login = 'clerk'"))[0]
    assert row["password_hash"].startswith("$argon2id$") and pw("clerk") not in row["password_hash"]
    assert _count(web, action="credential_set", entity_id="clerk", actor="admin") == 1
    accounts.set_password(web.ledger, "clerk", "a-new-password-1", actor="clerk")  # one's own
    assert _count(web, action="credential_set", entity_id="clerk", actor="clerk") == 1
    with pytest.raises(LedgerError):
        accounts.set_password(web.ledger, "checker", "a-new-password-2", actor="clerk")  # someone else's
    assert web.ledger.verify_audit().ok


def test_a_password_hash_edited_behind_the_ledger_is_refused(web):
    from argon2 import PasswordHasher

    forged = PasswordHasher().hash("attacker-password")
    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_credentials set password_hash = :h where login = 'admin'"), {"h": forged})
    r = web.client().post("/api/v1/auth/login", json={"login": "admin", "password": "attacker-password"})
    assert r.status_code == 403 and r.json()["code"] == "credential_tampered"


def test_a_binding_edited_behind_the_ledger_is_refused(web):
    with web.ledger.engine.begin() as conn:
        conn.execute(text("update web_credentials set subject = :s where login = 'danwei'"), {"s": UNIT_B})
    r = web.client().post("/api/v1/auth/login", json={"login": "danwei", "password": pw("danwei")})
    assert r.status_code == 403


def test_disabled_operator_cannot_sign_in(web):
    from wengang.casework.operators import set_enabled

    set_enabled(web.ledger, "auditor", "admin", enabled=False)
    r = web.client().post("/api/v1/auth/login", json={"login": "auditor", "password": pw("auditor")})
    assert r.status_code == 403 and r.json()["code"] == "operator_disabled"
