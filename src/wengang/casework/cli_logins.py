"""``wengang user password | portal-account | logins | token create|revoke|list``: web sign-in for the ledger's
operators, 单位 and 个人 accounts, and API tokens for other systems.

Registered on ``user_app`` (imported at the bottom of cli_users.py); the work is in ``wengang.web.accounts``
(argon2id password hashes, each credential an audit event). A password is typed twice at a hidden prompt, or
read from the first line of standard input with ``--password-stdin`` (scripts); it is never an option on the
command line, where the shell history and ``ps`` would keep it.

    wengang user password zhangsan -u admin                       # a 管理员 sets an operator's password
    wengang user password zhangsan -u zhangsan                    # an operator changes their own
    wengang user password shunda -u admin                         # a 管理员 resets a 单位/个人 login's password
    wengang user disable shunda -u admin                          # (cli_users.py) its sessions end at once
    wengang user portal-account shunda --unit 91150502MA0N1234XN --display 顺达商贸 -u admin
    wengang user portal-account zhangsan-geren --person 152301199001010015 -u admin
    wengang user token create yinqi --role 出纳 --label 银企直连 -u admin   # printed once
    wengang user token revoke 3 -u admin
"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from .cli import DB, _open, _refuse, _run, console
from .cli_users import ADMIN, ROLE_HELP, _need_user, user_app
from .roles import ROLES

token_app = typer.Typer(help="API 令牌（其他系统调用接口）/ API tokens", no_args_is_help=True)
user_app.add_typer(token_app, name="token")

STDIN = typer.Option(False, "--password-stdin", help="从标准输入的第一行读取密码（脚本用）/ read the password from stdin")


def _password(from_stdin: bool) -> str:
    """The new password: stdin's first line, or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        pw = line[:-1] if line.endswith("\n") else line
        pw = pw[:-1] if pw.endswith("\r") else pw
        if not pw:
            _run(_refuse, "weak_password", "标准输入中没有密码", "no password on standard input")
        return pw
    first = typer.prompt("新密码 / new password", hide_input=True)
    second = typer.prompt("再次输入新密码 / repeat the password", hide_input=True)
    if first != second:
        _run(_refuse, "weak_password", "两次输入的密码不一致，未作修改", "the two passwords differ; nothing changed")
    return str(first)


@user_app.command("password")
def password(login: str = typer.Argument(..., help="操作人员的登录名（须已用 user add 登记），或单位、个人网上账户的登录名 / "
                                                 "an operator's or a unit/person login"),
             password_stdin: bool = STDIN, db: str = DB,
             user: str = typer.Option(None, "--user", "-u", help="办理人：管理员，或本人修改自己的密码 / acting user")) -> None:
    """设置网上登录密码（至少 10 个字符；修改后原有会话失效）：操作人员的由管理员或本人设置，单位、个人账户的由管理员
    重设 / set the web password of an operator (an admin, or the operator) or of a unit/person login (an admin)."""
    from wengang.web import accounts

    actor = _need_user(user)
    led = _open(db)
    pw = _password(password_stdin)
    _run(accounts.set_password, led, login, pw, actor=actor)
    console.print(f"✔ 已设置 {login} 的登录密码（原有会话已失效）/ password set for {login}; its sessions ended")


@user_app.command("portal-account")
def portal_account(login: str = typer.Argument(..., help="单位或个人账户的登录名 / login of the account"),
                   unit: str = typer.Option(None, "--unit", help="绑定的统一社会信用代码（单位账户）/ the unit's credit code"),
                   person: str = typer.Option(None, "--person", help="绑定的公民身份号码（个人账户）/ the person's ID number"),
                   display: str = typer.Option(None, "--display", help="显示名（单位名称或姓名）/ display name"),
                   password_stdin: bool = STDIN, db: str = DB, user: str = ADMIN) -> None:
    """开设单位或个人网上账户：只能查看、确认本单位（本人）的决定 / open a 单位 or 个人 web account."""
    from wengang.web import accounts
    from wengang.web.auth import mask_id

    actor = _need_user(user)
    if bool(unit) == bool(person):
        _run(_refuse, "bad_input", "须给出 --unit（统一社会信用代码）或 --person（公民身份号码）之一",
             "give exactly one of --unit CREDIT_CODE or --person ID_NUMBER")
    kind, subject = ("unit", unit) if unit else ("person", person)
    led = _open(db)
    pw = _password(password_stdin)
    _run(accounts.add_portal_account, led, login, pw, kind=kind, subject=str(subject), actor=actor,
         display_name=display)
    what = "单位" if kind == "unit" else "个人"
    console.print(f"✔ 已开设{what}账户 {login}，绑定 {mask_id(subject)} / {kind} account {login} opened")


@user_app.command("logins")
def logins(db: str = DB, user: str = typer.Option(..., "--user", "-u", help="查询人 / acting user")) -> None:
    """列出网上登录账户（证件号脱敏）/ list web logins."""
    from wengang.web import accounts
    from wengang.web.auth import mask_id

    from .operators import require

    led = _open(db, existing=True)
    _run(require, led, user, "read")
    t = Table("登录名 login", "类型 kind", "绑定 bound to", "显示名 name", "状态 state")
    for r in accounts.list_logins(led):
        t.add_row(r["login"], accounts.KINDS[r["kind"]], mask_id(r["subject"]), r["display_name"],
                  "启用 enabled" if r["enabled"] else "停用 disabled")
    console.print(t)


@token_app.command("create")
def token_create(login: str = typer.Argument(..., help="令牌代表的操作人员 / the operator the token acts as"),
                 role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP + "（须为该操作人员现有的角色）"),
                 label: str = typer.Option(..., "--label", help="用途说明，如 银企直连 / what the token is for"),
                 days: int = typer.Option(365, "--days", min=1, max=3650, help="有效天数 / valid for days"),
                 no_expiry: bool = typer.Option(False, "--no-expiry", help="不设有效期（不建议）/ never expires"),
                 db: str = DB, user: str = ADMIN) -> None:
    """为其他系统创建 API 令牌（请求头 Authorization: Bearer …）；令牌只显示这一次 / create an API token."""
    from sqlalchemy import select

    from wengang.web import accounts

    actor = _need_user(user)
    led = _open(db)
    token = _run(accounts.create_token, led, login, roles=role, label=label, actor=actor,
                 days=None if no_expiry else days)
    [row] = led.read(select(accounts.TOK.id).where(accounts.TOK.token_hash == accounts.sha256(token)))
    tid = row["id"]
    console.print(f"✔ 已创建令牌 {tid}（{login}，{'、'.join(role)}，{label}）/ token {tid} created", highlight=False)
    console.print("令牌只显示这一次，请立即妥善保存；台账只保存其 SHA-256 / shown once; only its SHA-256 is kept:",
                  highlight=False)
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., min=1, help="令牌编号（token list）/ token id"), db: str = DB,
                 user: str = ADMIN) -> None:
    """吊销 API 令牌，立即失效 / revoke an API token."""
    from wengang.web import accounts

    _run(accounts.revoke_token, _open(db), token_id, actor=_need_user(user))
    console.print(f"✔ 令牌 {token_id} 已吊销 / token {token_id} revoked")


@token_app.command("list")
def token_list(db: str = DB, user: str = typer.Option(..., "--user", "-u", help="查询人 / acting user")) -> None:
    """列出 API 令牌（不显示令牌本身）/ list API tokens."""
    from wengang.web import accounts

    from .operators import require

    led = _open(db, existing=True)
    _run(require, led, user, "read")
    t = Table("编号 id", "操作人员 login", "角色 roles", "用途 label", "创建 created", "到期 expires", "状态 state")
    for r in accounts.list_tokens(led):
        t.add_row(str(r["id"]), r["login"], "、".join(ROLES.get(x, x) for x in r["roles"].split(",")), r["label"],
                  r["created_at"][:10], (r["expires_at"] or "不过期")[:10], "已吊销 revoked" if r["revoked"] else "有效 active")
    console.print(t)

