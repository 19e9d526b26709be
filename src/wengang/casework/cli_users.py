"""``wengang user ...``: the ledger's registered operators and their roles (issue 12).

Mounted by the main CLI as ``app.add_typer(user_app, name="user")``. SQLAlchemy is imported only inside the
commands that open the ledger (start-up time).

    wengang user add admin --role 管理员 --display 王管理 --bootstrap      # the first admin, table empty
    wengang user add zhangsan --role 经办 --display 张三 -u admin
    wengang user roles zhangsan --add 复核 --remove 经办 -u admin
    wengang user disable zhangsan -u admin                                # an operator, or a 单位/个人 web login
    wengang user list -u zhangsan
    wengang user matrix                                                   # who may do what
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from .cli import DB, _open, _refuse, _run, console
from .roles import ROLES, matrix_rows

if TYPE_CHECKING:
    from .operators import Actor

user_app = typer.Typer(help="台账操作人员与角色 / ledger operators and roles", no_args_is_help=True)


@user_app.callback()
def _user_group(ctx: typer.Context) -> None:
    """台账操作人员与角色 / ledger operators and roles."""
    from .cli_audit import _finish_all

    ctx.call_on_close(_finish_all)  # sign a checkpoint over what the command appended, as `case` commands do

ADMIN = typer.Option(None, "--user", "-u", help="办理的管理员 / acting admin")
ROLE_HELP = "角色（可多次）：" + "、".join(f"{zh} {c}" for c, zh in ROLES.items()) + "；出纳也可写作 支付"


def _need_user(user: str | None) -> str:
    if not user:
        _run(_refuse, "no_actor", "须以 --user 注明办理的管理员", "the acting admin (--user) is required")
    return str(user)


def _show(op: Actor) -> str:
    state = "" if op.enabled else "（已停用 / disabled）"
    return f"{op.label}：{op.roles_zh}{state}"


@user_app.command("add")
def add(name: str = typer.Argument(..., help="登录名（不区分大小写与全角半角）/ login"),
        role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP),
        display: str = typer.Option(None, "--display", help="显示名（中文姓名）/ display name"),
        bootstrap: bool = typer.Option(False, "--bootstrap", help="台账尚无操作人员时创建第一个管理员 / first admin"),
        db: str = DB, user: str = ADMIN) -> None:
    """登记操作人员 / register an operator (an admin's task; the first admin with --bootstrap)."""
    from .operators import add_operator

    if not bootstrap:
        _need_user(user)
    op = _run(add_operator, _open(db), name, roles=role, display_name=display, actor=user, bootstrap=bootstrap)
    console.print(f"✔ 已登记 {_show(op)} / registered {op.login}: {', '.join(op.roles)}")


@user_app.command("list")
def list_(db: str = DB, user: str = typer.Option(..., "--user", "-u", help="查询人 / acting user")) -> None:
    """列出操作人员及其角色 / list operators and their roles."""
    from .operators import all_operators, require

    led = _open(db)
    _run(require, led, user, "read")
    t = Table("登录名 login", "显示名 name", *(f"{zh} {c}" for c, zh in ROLES.items()), "状态 state")
    for op in all_operators(led):
        t.add_row(op.login, op.display_name, *("✔" if r in op.roles else "" for r in ROLES),
                  "启用 enabled" if op.enabled else "停用 disabled")
    console.print(t)


def _portal_switch(led: Any, name: str, actor: str, *, enabled: bool) -> bool:
    """A 单位 / 个人 web account named ``name`` disabled or enabled (True), or False when ``name`` is no such
    account (then it is an operator's login, ``operators.set_enabled``)."""
    from wengang.web import accounts

    kind = _run(accounts.portal_kind, led, name)
    if kind is None:
        return False
    acc = _run(accounts.set_account_enabled, led, name, enabled=enabled, actor=actor)
    what = f"{accounts.KINDS[kind]}账户 {acc.login}"
    if not acc.changed:
        console.print(f"{what} 原已{'启用' if enabled else '停用'}，未作修改 / {kind} login {acc.login} was "
                      f"{'enabled' if enabled else 'disabled'} already")
    elif enabled:
        console.print(f"✔ 已启用{what} / enabled the {kind} login {acc.login}")
    else:
        console.print(f"✔ 已停用{what}，其网上会话已全部失效 / disabled the {kind} login {acc.login}; its sessions ended")
    return True


NAME = typer.Argument(..., help="操作人员登录名，或单位、个人网上账户的登录名（user logins）/ an operator's or a unit/person login")


@user_app.command("disable")
def disable(name: str = NAME, db: str = DB, user: str = ADMIN) -> None:
    """停用操作人员，或单位、个人网上账户（记录保留；不能再办理或登录，会话立即失效）/ disable an operator or a
    unit/person web login."""
    from .operators import set_enabled

    led, actor = _open(db), _need_user(user)
    if _portal_switch(led, name, actor, enabled=False):
        return
    op = _run(set_enabled, led, name, actor, enabled=False)
    console.print(f"✔ 已停用 {op.label}，其网上会话已全部失效 / disabled {op.login}; their web sessions ended")


@user_app.command("enable")
def enable(name: str = NAME, db: str = DB, user: str = ADMIN) -> None:
    """重新启用操作人员，或单位、个人网上账户 / enable an operator or a unit/person web login again."""
    from .operators import set_enabled

    led, actor = _open(db), _need_user(user)
    if _portal_switch(led, name, actor, enabled=True):
        return
    op = _run(set_enabled, led, name, actor, enabled=True)
    console.print(f"✔ 已启用 {_show(op)} / enabled {op.login}")


@user_app.command("roles")
def roles(name: str,
          add: list[str] = typer.Option([], "--add", help="增加角色 / grant (" + "、".join(ROLES.values()) + ")"),
          remove: list[str] = typer.Option([], "--remove", help="撤销角色 / withdraw"),
          db: str = DB, user: str = ADMIN) -> None:
    """增加或撤销角色（管理员不能修改自己的角色）/ grant or withdraw roles."""
    from .operators import change_roles

    if not add and not remove:
        _run(_refuse, "no_roles", "须给出 --add 或 --remove", "give --add or --remove")
    op = _run(change_roles, _open(db), name, _need_user(user), add=add, remove=remove)
    console.print(f"✔ {_show(op)} / {op.login}: {', '.join(op.roles)}")


@user_app.command("matrix")
def matrix() -> None:
    """角色与可办理事项对照表 / the role × action matrix."""
    t = Table("事项", "action", *ROLES.values())
    for code, zh, allowed in matrix_rows():
        t.add_row(zh, code, *("✔" if ok else "" for ok in allowed))
    console.print(t)
    console.print("另：初审与复审须为两人；发放人不得为该决定的初审或复审人；管理员仅凭管理员角色不能审核或发放。\n"
                  "Also: two different people review; the payer reviewed neither stage; admin alone neither reviews nor pays.")


from . import cli_logins  # noqa: E402, F401 - web logins and API tokens: registers on user_app
