"""Registered operators (经办人员) and the check every ledger action makes.

``require(ledger_or_conn, actor, action)`` is the one check: the operator is registered, enabled and holds
the role the action needs (``roles.ACTIONS``). The ledger calls it for every write (``Ledger._need_actor``);
document commands and reads call it themselves. It returns the operator, whose normalised ``login`` is
what the audit trail records.

Operators are managed by a 管理员 (``add_operator``, ``set_enabled``, ``change_roles``); each change is an
audit event. The first 管理员 is created with ``bootstrap=True`` while no operator exists. An admin
cannot change their own roles or disable themselves: nobody grants themselves 复核 or 出纳, and the
ledger always keeps an enabled admin.

This identifies who acts; it does not authenticate them (the API/web layer does, design.md).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from . import audit
from .errors import LedgerError
from .models import AuditEvent, Operator, WebCredential
from .roles import ACTIONS, ROLES, clean_display, normalize_login, parse_role

OP = Operator.__table__.c


@dataclass(frozen=True, slots=True)
class Actor:
    """A registered operator as the checks see it."""

    login: str
    display_name: str
    roles: tuple[str, ...]  # role codes in ``ROLES`` order
    enabled: bool

    @property
    def label(self) -> str:
        return self.login if self.display_name == self.login else f"{self.login}（{self.display_name}）"

    @property
    def roles_zh(self) -> str:
        return "、".join(ROLES[r] for r in self.roles) or "无"


def _ordered(codes: Iterable[str]) -> tuple[str, ...]:
    s = set(codes)
    return tuple(r for r in ROLES if r in s)


def _actor(row: Any) -> Actor:
    return Actor(row.login, row.display_name, _ordered(filter(None, row.roles.split(","))), bool(row.enabled))


@contextmanager
def _connect(target: Any) -> Iterator[Connection]:
    """A connection from a Connection (used as is), a Ledger or an Engine."""
    if isinstance(target, Connection):
        yield target
        return
    engine = getattr(target, "engine", target)
    with engine.connect() as conn:
        yield conn


def from_events(conn: Connection, login: str, audit_ref: str) -> tuple[tuple[str, ...], bool] | None:
    """An operator's roles and enabled flag as the audit events made them (state from events, docs/casework.md):
    the ``operator_add`` event the row was written with, then every role change and (dis)abling. None when the
    row has no add event of its own (a row written around the ledger)."""
    EV = AuditEvent.__table__.c
    rows = conn.execute(select(EV.action, EV.after).where(or_(
        and_(EV.ref == audit_ref, EV.action == "operator_add"),
        and_(EV.entity == "case_operators", EV.entity_id == login))).order_by(EV.seq)).all()
    roles: tuple[str, ...] | None = None
    enabled = False
    for action, after in rows:
        a = json.loads(after) if after else {}
        if action == "operator_add":
            if a.get("login") != login:
                return None  # another operator's event: the row borrowed its reference
            roles, enabled = _ordered(a.get("roles", ())), bool(a.get("enabled"))
        elif roles is not None and "roles" in a:
            roles = _ordered(a["roles"])
        elif roles is not None and "enabled" in a:
            enabled = bool(a["enabled"])
    return None if roles is None else (roles, enabled)


def lookup(conn: Connection, login: str) -> Actor | None:
    """The registered operator, with the roles and enabled flag the audit events give: an edit of the row's
    ``roles`` or ``enabled`` column alone grants nothing (and ``audit verify`` reports it)."""
    row = conn.execute(select(OP.login, OP.display_name, OP.roles, OP.enabled, OP.audit_ref)
                       .where(OP.login == login)).first()
    if row is None:
        return None
    derived = from_events(conn, row.login, row.audit_ref)
    if derived is None:
        return None  # not registered through the ledger: unknown
    return Actor(row.login, row.display_name, derived[0], derived[1])


def verify(conn: Connection) -> list[audit.Issue]:
    """Operator rows whose roles or enabled flag differ from their audit events, or that have no add event."""
    issues = []
    for row in conn.execute(select(OP.login, OP.roles, OP.enabled, OP.audit_ref).order_by(OP.login)):
        stored = (_ordered(filter(None, row.roles.split(","))), bool(row.enabled))
        derived = from_events(conn, row.login, row.audit_ref)
        if derived is None:
            issues.append(audit.Issue("unrecorded", f"操作人 {row.login} 没有登记事件（未经台账写入）",
                                      f"operator {row.login} has no registration event (written around the ledger)"))
        elif derived != stored:
            issues.append(audit.Issue(
                "projection", f"操作人 {row.login} 的角色或启用状态与审计事件不符：记录为 {stored}，事件为 {derived}",
                f"operator {row.login}: roles/enabled {stored} differ from the events {derived}"))
    return issues


def all_operators(target: Any) -> list[Actor]:
    """Every registered operator, roles and enabled flag as their events give them."""
    with _connect(target) as conn:
        logins = conn.execute(select(OP.login).order_by(OP.login)).scalars().all()
        return [a for a in (lookup(conn, x) for x in logins) if a is not None]


def _nearest(conn: Connection, typed: str, login: str) -> list[str]:
    """Registered operators a mistyped name may have meant: same display name first, then similar logins."""
    ops = [_actor(r) for r in conn.execute(select(OP.login, OP.display_name, OP.roles, OP.enabled))]
    by_login = {a.login: a for a in ops}
    hits = [a.login for a in ops if a.display_name == typed.strip()]
    hits += difflib.get_close_matches(login, list(by_login), n=3, cutoff=0.5)
    return [by_login[x].label for x in dict.fromkeys(hits)][:3]


def _unknown(conn: Connection, typed: str, login: str) -> LedgerError:
    if conn.execute(select(func.count()).select_from(Operator.__table__)).scalar_one() == 0:
        return LedgerError(
            "no_operators",
            "台账尚未登记任何操作人员：请先创建第一个管理员 wengang user add 登录名 --role 管理员 --bootstrap",
            "no operator is registered yet: create the first admin with wengang user add NAME --role admin --bootstrap")
    if conn.execute(select(OP.login).where(OP.login == login)).first() is not None:
        # a row no registration event stands behind (written into the table directly): not "a similar operator"
        return LedgerError(
            "unknown_operator",
            f"操作人「{typed}」在操作人员表中，但没有登记事件（可能绕过程序直接写入数据库），不予承认；请运行 wengang audit verify",
            f"operator {login!r} is in the operator table with no registration event (written into the database "
            "directly?): not recognised; run wengang audit verify")
    near = [x for x in _nearest(conn, typed, login) if x.split("（")[0] != login]
    return LedgerError(
        "unknown_operator",
        f"操作人「{typed}」未登记" + (f"；相近的已登记操作人：{'、'.join(near)}" if near else "；请管理员用 wengang user add 登记"),
        f"operator {login!r} is not registered" + (f"; nearest registered: {', '.join(near)}" if near else ""))


def require(target: Any, actor: Any, action: str) -> Actor:
    """The operator ``actor`` names, if registered, enabled and holding the role ``action`` needs.

    ``target`` is a Ledger, an Engine or a Connection (inside a transaction: checked under its lock).
    Raises ``LedgerError`` (no_actor, bad_login, no_operators, unknown_operator, operator_disabled,
    role_refused); an action missing from ``roles.ACTIONS`` is a KeyError (a programming error).
    """
    act = ACTIONS[action]
    login = normalize_login(actor)
    with _connect(target) as conn:
        op = lookup(conn, login)
        if op is None:
            raise _unknown(conn, str(actor), login)
    if not op.enabled:
        raise LedgerError("operator_disabled", f"操作人 {op.label} 已停用，不能进行「{act.zh}」",
                          f"operator {op.login} is disabled and cannot {act.en}")
    if act.role is None:
        if not op.roles:
            raise LedgerError("role_refused", f"操作人 {op.label} 没有任何角色，不能进行「{act.zh}」",
                              f"operator {op.login} holds no role and cannot {act.en}")
    elif act.role not in op.roles:
        raise LedgerError(
            "role_refused",
            f"操作人 {op.label} 没有「{ROLES[act.role]}」角色，不能进行「{act.zh}」（现有角色：{op.roles_zh}）",
            f"operator {op.login} lacks the {act.role} role needed to {act.en} (holds: {', '.join(op.roles) or 'none'})")
    return op


# ------------------------------------------------------------------ management (管理员)
def _target(conn: Connection, login: str, typed: str) -> Actor:
    op = lookup(conn, login)
    if op is None:
        raise _unknown(conn, typed, login)
    return op


def _not_self(admin: Actor, login: str, zh: str, en: str) -> None:
    if admin.login == login:
        raise LedgerError("self_change", f"{zh}（须由另一名管理员办理）", f"{en} (another admin must)")


def add_operator(ledger: Any, login: str, *, roles: Sequence[str], display_name: str | None = None,
                 actor: str | None = None, bootstrap: bool = False) -> Actor:
    """Register an operator. ``roles``: codes or Chinese labels. ``bootstrap``: the first operator, while
    none exists, must be a 管理员 and is recorded as acting for itself; otherwise ``actor`` is an admin."""
    name = normalize_login(login)
    codes = _ordered(parse_role(r) for r in roles)
    if not codes:
        raise LedgerError("no_roles", "须至少给出一个角色（--role）", "at least one role (--role) is required")
    display = clean_display(display_name, name)
    with ledger._tx() as conn:  # the ledger's write transaction and lock
        if bootstrap:
            if conn.execute(select(func.count()).select_from(Operator.__table__)).scalar_one():
                raise LedgerError("bootstrap_refused", "已有登记的操作人员，不能再用 --bootstrap；请由管理员（--user）办理",
                                  "operators exist already: --bootstrap is refused; an admin (--user) must add operators")
            if "admin" not in codes:
                raise LedgerError("bootstrap_refused", "第一个操作人员须为管理员（--role 管理员）",
                                  "the first operator must be an admin (--role admin)")
            by = name
        else:
            by = require(conn, actor, "manage_operators").login
        if lookup(conn, name) is not None:
            raise LedgerError("operator_exists", f"操作人 {name} 已登记", f"operator {name} is already registered")
        # one name, one kind of login: ``user disable|enable|password NAME`` must know whom NAME means
        W = WebCredential.__table__.c
        if conn.execute(select(W.kind).where(W.login == name, W.kind != "operator")).first() is not None:
            raise LedgerError("login_taken", f"登录名 {name} 已是单位或个人网上账户，请另取登录名",
                              f"login {name} is a unit or person web account; choose another")
        ref = audit.new_ref()
        conn.execute(insert(Operator.__table__).values(login=name, display_name=display, roles=",".join(codes),
                                                       enabled=True, audit_ref=ref))
        audit.append(conn, actor=by, action="operator_add", entity="case_operators", ref=ref,
                     reason="初始化第一个管理员" if bootstrap else "",
                     after={"login": name, "display_name": display, "roles": list(codes), "enabled": True})
        return Actor(name, display, codes, True)


def _end_sessions(conn: Connection, login: str) -> None:
    """Delete the operator's web sessions (``web_sessions``): disabling ends them at once, as ``wengang user disable``
    and docs/deployment.md say, so that enabling the operator again does not revive an old cookie (session 40). API
    tokens stay (refused while the operator is disabled; ``wengang user token revoke`` ends one for good)."""
    from .models import Base

    sessions = Base.metadata.tables["web_sessions"]
    conn.execute(delete(sessions).where(sessions.c.login == login))


def set_enabled(ledger: Any, login: str, actor: str, *, enabled: bool) -> Actor:
    """Disable (停用) or enable again an operator; disabling yourself is refused. Disabling ends the operator's web
    sessions at once. No change, no event."""
    name = normalize_login(login)
    with ledger._tx() as conn:  # the ledger's write transaction and lock
        admin = require(conn, actor, "manage_operators")
        op = _target(conn, name, login)
        _not_self(admin, name, "管理员不能停用或启用自己", "an admin cannot disable or enable themselves")
        if not enabled:  # also when disabled already: no web session of a disabled operator survives
            _end_sessions(conn, name)
        if op.enabled == enabled:
            return op
        conn.execute(update(Operator.__table__).where(OP.login == name).values(enabled=enabled))
        audit.append(conn, actor=admin.login, action="operator_enable" if enabled else "operator_disable",
                     entity="case_operators", entity_id=name, before={"enabled": op.enabled}, after={"enabled": enabled})
        return Actor(op.login, op.display_name, op.roles, enabled)


def change_roles(ledger: Any, login: str, actor: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> Actor:
    """Grant and withdraw roles (codes or Chinese labels). Your own roles are not yours to change; an
    operator keeps at least one role (disable instead). No change, no event."""
    name = normalize_login(login)
    plus = {parse_role(r) for r in add}
    minus = {parse_role(r) for r in remove}
    if plus & minus:
        both = "、".join(ROLES[r] for r in _ordered(plus & minus))
        raise LedgerError("bad_role", f"同一角色不能既增加又撤销：{both}", "a role cannot be both added and removed")
    with ledger._tx() as conn:  # the ledger's write transaction and lock
        admin = require(conn, actor, "manage_operators")
        op = _target(conn, name, login)
        _not_self(admin, name, "管理员不能修改自己的角色", "an admin cannot change their own roles")
        new = _ordered((set(op.roles) | plus) - minus)
        if not new:
            raise LedgerError("no_roles", f"操作人 {op.label} 须至少保留一个角色；不再使用请停用（wengang user disable）",
                              f"operator {op.login} must keep at least one role; disable them instead")
        if new == op.roles:
            return op
        conn.execute(update(Operator.__table__).where(OP.login == name).values(roles=",".join(new)))
        audit.append(conn, actor=admin.login, action="operator_roles", entity="case_operators", entity_id=name,
                     before={"roles": list(op.roles)}, after={"roles": list(new)})
        return Actor(op.login, op.display_name, new, op.enabled)
