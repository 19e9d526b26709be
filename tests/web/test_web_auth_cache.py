"""The verified-principal cache (``accounts._VERIFIED``): a token or session already checked against its audit
events costs one indexed query per request, and any audit event (a role withdrawn, a token revoked, an operator
disabled) or an edited row makes the next request check everything again."""

from __future__ import annotations

from sqlalchemy import event, text

from wengang.casework.operators import change_roles, set_enabled
from wengang.web import accounts


def _statements(web, fn):
    seen: list[str] = []

    def count(conn, cursor, statement, *a):
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    event.listen(web.ledger.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(web.ledger.engine, "before_cursor_execute", count)
    return seen


def test_a_checked_token_costs_one_query_until_the_audit_chain_moves(web, monkeypatch):
    token = accounts.create_token(web.ledger, "cashier", roles=["出纳"], label="银企直连", actor="admin")
    c = web.client()
    h = {"Authorization": f"Bearer {token}"}
    fast: list[dict] = []
    real = accounts._token_row_fast
    monkeypatch.setattr(accounts, "_token_row_fast", lambda *a: fast.append(real(*a)) or fast[-1])
    assert _statements(web, lambda: c.get("/api/v1/auth/me", headers=h)) != []  # checked in full, remembered
    assert fast == []
    assert _statements(web, lambda: c.get("/api/v1/auth/me", headers=h)) == []  # then: one statement, no ORM
    assert len(fast) == 1 and fast[0]["login"] == "cashier" and fast[0]["head"] >= 1
    # a role withdrawn is an audit event: the next request sees it
    change_roles(web.ledger, "cashier", "admin", add=["复核"], remove=["出纳"])
    r = c.get("/api/v1/auth/me", headers=h)  # the token's only role is gone: it may do nothing
    assert r.status_code == 403 and r.json()["code"] == "role_refused"
    assert c.post("/api/v1/payments/batches", json={"batch_key": "X", "program": "fanhuan", "year": 2025},
                  headers=h | {"Idempotency-Key": "x"}).status_code == 403
    change_roles(web.ledger, "cashier", "admin", add=["出纳"])
    assert c.get("/api/v1/auth/me", headers=h).json()["roles"] == ["payer"]
    set_enabled(web.ledger, "cashier", "admin", enabled=False)
    assert c.get("/api/v1/auth/me", headers=h).status_code == 403


def test_an_edited_token_row_is_checked_again_and_refused(web):
    token = accounts.create_token(web.ledger, "cashier", roles=["出纳"], label="x", actor="admin")
    c = web.client()
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/auth/me", headers=h).status_code == 200
    with web.ledger.engine.begin() as conn:  # behind the ledger's back: no audit event, the head does not move
        conn.execute(text("update web_api_tokens set roles = 'payer,reviewer'"))
    r = c.get("/api/v1/auth/me", headers=h)
    assert r.status_code == 403 and r.json()["code"] == "token_tampered"


def test_a_session_is_checked_again_after_a_password_change(web):
    c = web.client("checker")
    assert c.get("/api/v1/auth/me").status_code == 200
    accounts.set_password(web.ledger, "checker", "a-new-password-1", actor="admin")  # ends its sessions too
    assert c.get("/api/v1/auth/me").status_code == 401
