"""``wengang user password | portal-account | logins | token create|revoke|list`` against a real ledger, and the
web service accepting what they made (a password signs in, a token calls the API, a revoked token does not)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from wengang.casework.cli_users import user_app
from wengang.web import accounts

from .conftest import UNIT_B

runner = CliRunner()


def _run(web, *args: str, stdin: str | None = None, code: int = 0) -> str:
    r = runner.invoke(user_app, [*args, "--db", str(web.ledger.engine.url)], input=stdin)
    assert r.exit_code == code, r.output
    return r.output


def _signs_in(web, login: str, password: str) -> int:
    return web.client().post("/api/v1/auth/login", json={"login": login, "password": password}).status_code


def test_password_prompted_twice_or_from_stdin(web):
    out = _run(web, "password", "checker", "-u", "admin", stdin="new-password-1\nnew-password-1\n")
    assert "已设置 checker 的登录密码" in out and "new-password-1" not in out
    assert _signs_in(web, "checker", "new-password-1") == 200
    assert _signs_in(web, "checker", "test-password-checker") == 401
    # two different entries: nothing changes
    out = _run(web, "password", "checker", "-u", "admin", stdin="another-pass-1\nanother-pass-2\n", code=2)
    assert "两次输入的密码不一致" in out
    assert _signs_in(web, "checker", "new-password-1") == 200
    # --password-stdin reads one line; an operator may change their own
    _run(web, "password", "checker", "--password-stdin", "-u", "checker", stdin="from-stdin-pass\n")
    assert _signs_in(web, "checker", "from-stdin-pass") == 200
    # too short, someone else's without the 管理员 role, an unregistered operator: refused in Chinese
    assert "至少 10 个字符" in _run(web, "password", "checker", "--password-stdin", "-u", "admin", stdin="short\n", code=2)
    assert "管理员" in _run(web, "password", "checker", "--password-stdin", "-u", "clerk", stdin="x" * 12 + "\n", code=2)
    assert "未登记" in _run(web, "password", "nobody", "--password-stdin", "-u", "admin", stdin="x" * 12 + "\n", code=2)
    assert "--user" in _run(web, "password", "checker", "--password-stdin", stdin="x" * 12 + "\n", code=2)


def test_portal_accounts_bound_to_a_unit_or_a_person(web):
    out = _run(web, "portal-account", "yiqi", "--unit", UNIT_B, "--display", "另一家", "--password-stdin", "-u", "admin",
               stdin="unit-b-password\n")
    assert "已开设单位账户 yiqi" in out and UNIT_B not in out
    assert _signs_in(web, "yiqi", "unit-b-password") == 200
    c = web.client()
    c.post("/api/v1/auth/login", json={"login": "yiqi", "password": "unit-b-password"})
    mine = c.get("/api/v1/decisions").json()
    assert mine["total"] == 1 and mine["items"][0]["id"] == web.ids[UNIT_B]
    out = _run(web, "portal-account", "lisi", "--person", "152301198505050024", "--password-stdin", "-u", "admin",
               stdin="person-password\n")
    assert "已开设个人账户 lisi" in out
    assert "须给出 --unit" in _run(web, "portal-account", "x", "--password-stdin", "-u", "admin", stdin="p" * 12, code=2)
    assert "须给出 --unit" in _run(web, "portal-account", "x", "--unit", UNIT_B, "--person", "152301198505050024",
                                   "--password-stdin", "-u", "admin", stdin="p" * 12, code=2)
    assert "校验码" in _run(web, "portal-account", "x", "--unit", "91150502MA0N1234XX", "--password-stdin", "-u", "admin",
                          stdin="p" * 12, code=2)
    assert "已被使用" in _run(web, "portal-account", "yiqi", "--unit", UNIT_B, "--password-stdin", "-u", "admin",
                          stdin="p" * 12, code=2)
    listing = _run(web, "logins", "-u", "auditor")
    assert "yiqi" in listing and "lisi" in listing and UNIT_B not in listing and "单位" in listing


def test_token_create_use_list_revoke(web):
    out = _run(web, "token", "create", "cashier", "--role", "出纳", "--label", "银企直连", "-u", "admin")
    token = re.search(r"wg_[\w-]+", out).group(0)
    tid = int(re.search(r"已创建令牌 (\d+)", out).group(1))
    h = {"Authorization": f"Bearer {token}"}
    c = web.client()
    assert c.get("/api/v1/auth/me", headers=h).json()["roles"] == ["payer"]
    listing = _run(web, "token", "list", "-u", "auditor")
    assert "银企直连" in listing and "出纳" in listing and "有效" in listing and token not in listing
    assert "没有" in _run(web, "token", "create", "cashier", "--role", "复核", "--label", "x", "-u", "admin", code=2)
    assert "管理员" in _run(web, "token", "create", "cashier", "--role", "出纳", "--label", "x", "-u", "clerk", code=2)
    assert "已吊销" in _run(web, "token", "revoke", str(tid), "-u", "admin")
    assert c.get("/api/v1/auth/me", headers=h).status_code == 401
    assert "已吊销" in _run(web, "token", "list", "-u", "auditor")
    assert "找不到令牌" in _run(web, "token", "revoke", "999", "-u", "admin", code=2)
    assert [t["revoked"] for t in accounts.list_tokens(web.ledger)] == [True]
    assert web.ledger.verify_audit().ok
