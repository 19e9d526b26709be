"""A 单位 / 个人 web login is managed by the same commands as an operator's: ``wengang user disable|enable|password``
(outside trust audit D7). Before, both said "操作人 … 未登记" for a unit's or person's login and nothing could stop a
leaked one from confirming, declining or asking for changes. Decisions §38: "all sessions of a login ended when its
password changes or it is disabled" — checked here through the API with the session opened before the change.
Each change needs the 管理员 role and is an audit event naming the admin, as an operator's (``operator_disable``)."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from wengang.casework.cli_users import user_app
from wengang.casework.models import AuditEvent

from .conftest import PERSON, UNIT_A, pw

runner = CliRunner()
EV = AuditEvent.__table__.c


def _cli(web, *args: str, stdin: str | None = None, code: int = 0) -> str:
    r = runner.invoke(user_app, [*args, "--db", str(web.ledger.engine.url)], input=stdin)
    assert r.exit_code == code, r.output
    return r.output


def _sign_in(web, login: str, password: str) -> int:
    return web.client().post("/api/v1/auth/login", json={"login": login, "password": password}).status_code


def _events(web, login: str) -> list[dict]:
    rows = web.ledger.read(select(EV.actor, EV.action, EV.reason, EV.before, EV.after)
                           .where(EV.entity == "web_credentials", EV.entity_id == login).order_by(EV.seq))
    return [{**r, "before": json.loads(r["before"] or "null"), "after": json.loads(r["after"] or "null")}
            for r in rows]


def test_disabling_a_unit_login_ends_its_session_at_once(web):
    did = web.ids[UNIT_A]
    unit = web.client("danwei")  # signed in before the change
    assert unit.get("/api/v1/decisions").status_code == 200
    assert unit.get(f"/api/v1/decisions/{did}").status_code == 200
    out = _cli(web, "disable", "danwei", "-u", "admin")
    assert "已停用单位账户 danwei" in out and "会话已全部失效" in out
    # the old session: refused on reads and on the unit's own steps
    assert unit.get("/api/v1/decisions").status_code == 401
    assert unit.get("/api/v1/auth/me").status_code == 401
    r = unit.post(f"/api/v1/decisions/{did}/confirm", json={})
    assert r.status_code in (401, 403), r.text
    assert web.ledger.decision(did)["state"] == "notified"  # nothing was confirmed
    # a new sign-in with the right password is refused as disabled
    r = web.client().post("/api/v1/auth/login", json={"login": "danwei", "password": pw("danwei")})
    assert r.status_code == 403 and r.json()["code"] == "account_disabled", r.text
    # audited like an operator's disabling: the admin, before and after
    [ev] = [e for e in _events(web, "danwei") if e["action"] == "credential_disable"]
    assert ev["actor"] == "admin" and ev["before"] == {"enabled": True} and ev["after"] == {"enabled": False}
    assert "停用" in _cli(web, "logins", "-u", "auditor")
    # disabling again changes nothing and writes nothing
    assert "原已停用" in _cli(web, "disable", "danwei", "-u", "admin")
    assert [e["action"] for e in _events(web, "danwei")].count("credential_disable") == 1
    # enabled again by the admin: the password signs in again
    assert "已启用单位账户 danwei" in _cli(web, "enable", "danwei", "-u", "admin")
    assert _sign_in(web, "danwei", pw("danwei")) == 200
    assert [e["actor"] for e in _events(web, "danwei") if e["action"] == "credential_enable"] == ["admin"]
    assert web.ledger.verify_audit().ok


def test_disabling_a_person_login_refuses_its_application_session(web):
    person = web.client("geren")
    assert person.get("/api/v1/decisions").status_code == 200
    _cli(web, "disable", "geren", "-u", "admin")
    r = person.post("/api/v1/applications/skill-subsidy", json={"facts": {"id_number": PERSON}})
    assert r.status_code in (401, 403), r.text
    assert person.get("/person", headers={"Accept": "application/json"}).status_code == 401


def test_an_admin_resets_a_portal_password_and_the_old_session_ends(web):
    unit = web.client("danwei")
    assert unit.get("/api/v1/decisions").status_code == 200
    out = _cli(web, "password", "danwei", "--password-stdin", "-u", "admin", stdin="unit-new-password\n")
    assert "已设置 danwei 的登录密码" in out and "unit-new-password" not in out
    assert unit.get("/api/v1/decisions").status_code == 401
    assert _sign_in(web, "danwei", pw("danwei")) == 401
    assert _sign_in(web, "danwei", "unit-new-password") == 200
    ev = _events(web, "danwei")[-1]
    assert ev["action"] == "credential_set" and ev["actor"] == "admin" and ev["reason"] == "重设单位账户登录密码"
    assert ev["after"]["kind"] == "unit" and ev["after"]["subject"] == UNIT_A  # the binding is kept
    # a disabled login stays disabled when its password is reset
    _cli(web, "disable", "danwei", "-u", "admin")
    _cli(web, "password", "danwei", "--password-stdin", "-u", "admin", stdin="unit-third-password\n")
    assert _sign_in(web, "danwei", "unit-third-password") == 403
    assert web.ledger.verify_audit().ok


def test_only_an_admin_manages_a_portal_login(web):
    unit = web.client("danwei")
    for args in (("disable", "danwei", "-u", "clerk"), ("enable", "danwei", "-u", "checker")):
        assert "管理员" in _cli(web, *args, code=2)
    assert "--user" in _cli(web, "disable", "danwei", code=2)
    # not even the account itself: the command line does not know who types
    assert "未登记" in _cli(web, "password", "danwei", "--password-stdin", "-u", "danwei", stdin="x" * 12 + "\n", code=2)
    assert "管理员" in _cli(web, "password", "danwei", "--password-stdin", "-u", "clerk", stdin="x" * 12 + "\n", code=2)
    assert unit.get("/api/v1/decisions").status_code == 200  # nothing changed
    assert [e["action"] for e in _events(web, "danwei")] == ["credential_set"]
    # an unknown name is still refused as such
    assert "未登记" in _cli(web, "disable", "nobody", "-u", "admin", code=2)


def test_one_name_one_kind_of_login(web):
    # an operator may not take a unit's login name: disable/enable/password NAME must mean one login
    assert "已是单位或个人网上账户" in _cli(web, "add", "danwei", "--role", "经办", "-u", "admin", code=2)
    # an operator's disabling is as before, and ends its web session too
    clerk = web.client("clerk")
    assert "已停用 clerk" in _cli(web, "disable", "clerk", "-u", "admin")
    assert clerk.get("/api/v1/decisions").status_code in (401, 403)
