"""Authentication and authorisation as FastAPI dependencies.

* ``authorize`` runs before every route (an application-wide dependency): it finds the caller (session cookie
  or ``Authorization: Bearer`` API token), checks the route's roles in ``access.ROUTES``, and for a
  state-changing request made with a session cookie checks the CSRF token (``X-CSRF-Token`` header or the
  form field ``csrf_token``). The caller is left in ``request.state.principal``.
* ``current_principal`` / ``optional_principal`` hand it to a route; ``require_roles(...)``, ``require_unit`` and
  ``require_person`` narrow a route further; ``own(...)`` refuses a unit's or person's access to a record that is
  not theirs (403 with the reason).
* The login form's CSRF token is a double-submit cookie signed with the secret key (``login_csrf_pair``,
  ``check_login_csrf``): before sign-in there is no session to hold one.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from wengang.documents.errors import DocumentError
from wengang.documents.masking import mask_identifier, mask_loose

from . import access
from .accounts import AuthError, Principal, session_principal, token_principal
from .errors import ApiError

__all__ = ["Principal", "authorize", "current_principal", "signed_in", "optional_principal", "require_roles", "require_unit",
           "require_person", "own", "mask_id", "csrf_token_for", "login_csrf_pair", "check_login_csrf",
           "SESSION_COOKIE", "LOGIN_CSRF_COOKIE"]

SESSION_COOKIE = "wengang_session"
LOGIN_CSRF_COOKIE = "wengang_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE = {"GET", "HEAD", "OPTIONS"}


def client_address(request: Request) -> str:
    """The caller's address (uvicorn puts the forwarded one here when the proxy is trusted)."""
    return request.client.host if request.client else "unknown"


def is_tls(request: Request) -> bool:
    return bool(request.app.state.config.tls) or request.url.scheme == "https"


def _principal(request: Request) -> Principal | None:
    state = request.app.state
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return token_principal(state.ledger, auth[7:].strip(), cfg=state.config)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return session_principal(state.ledger, token, cfg=state.config)
    return None


async def _csrf_ok(request: Request, principal: Principal) -> bool:
    expected = principal.csrf_token or ""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = str((await request.form()).get(CSRF_FIELD) or "")
    return bool(expected) and hmac.compare_digest(expected, given or "")


async def authorize(request: Request) -> None:
    """The one check every route makes (installed on the whole application)."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    method = "GET" if request.method == "HEAD" else request.method
    allowed = access.ROUTES.get((method, path))
    if allowed is None:  # create_app refuses to start with such a route; never reached
        raise ApiError(500, "undeclared_route", "该地址未声明所需角色", f"{method} {path} has no declared roles")
    try:
        principal = _principal(request)
    except AuthError:
        if "public" in allowed:
            principal = None
        else:
            raise
    request.state.principal = principal
    if "public" in allowed:
        return
    if principal is None:
        raise ApiError(401, "not_signed_in", "请先登录", "sign in first")
    if not set(principal.roles) & allowed:
        raise ApiError(403, "role_refused",
                       f"您的角色（{access.roles_zh(frozenset(principal.roles)) or '无'}）不能访问此功能；需要：{access.roles_zh(allowed)}",
                       f"your roles ({', '.join(principal.roles) or 'none'}) may not {method} {path}; "
                       f"needs one of: {', '.join(sorted(allowed))}")
    if method not in SAFE and principal.via == "session" and not await _csrf_ok(request, principal):
        raise ApiError(403, "csrf_failed", "表单校验码（CSRF）缺失或不符，请刷新页面后重试",
                       "CSRF token missing or wrong; reload the page and try again")


def optional_principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def current_principal(request: Request) -> Principal:
    p = optional_principal(request)
    if p is None:
        raise ApiError(401, "not_signed_in", "请先登录", "sign in first")
    return p


async def signed_in(request: Request) -> Principal:
    """``current_principal`` as a dependency: async, so FastAPI calls it on the event loop instead of handing it
    to a worker thread on every request (the JSON API's ``Caller``)."""
    return current_principal(request)


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency: the caller holds one of ``roles`` (role codes, ``unit`` or ``person``)."""
    want = frozenset(roles)

    def dep(p: Principal = Depends(current_principal)) -> Principal:
        if not set(p.roles) & want:
            raise ApiError(403, "role_refused", f"需要以下角色之一：{access.roles_zh(want)}",
                           f"needs one of: {', '.join(sorted(want))}")
        return p

    return dep


require_unit = require_roles("unit")
require_person = require_roles("person")


def own(p: Principal, unit_id: str | None, what_zh: str = "该记录", what_en: str = "this record") -> None:
    """A unit or person may touch only records of its own 统一社会信用代码 / 公民身份号码; operators pass."""
    if p.kind == "operator":
        return
    if unit_id is None or str(unit_id).strip().upper() != (p.subject or "").upper():
        kind = "统一社会信用代码" if p.kind == "unit" else "公民身份号码"
        raise ApiError(403, "forbidden_record",
                       f"{what_zh}不属于您的账户（绑定的{kind} {mask_id(p.subject or '')}），无权访问",
                       f"{what_en} does not belong to your account; access refused")


def own_decision(p: Principal, decision_id: int, unit_id: str | None) -> None:
    """A unit or person asking for a decision by its id that is not its own hears what it would of a decision that does
    not exist: 404 ``not_found`` in the ledger's words (``找不到决定 N``), not 403 — a different answer told which
    decision ids exist (outside web audit, session 42). Operators read every decision."""
    if p.kind == "operator":
        return
    if unit_id is None or str(unit_id).strip().upper() != (p.subject or "").upper():
        from wengang.casework.errors import LedgerError

        raise LedgerError("not_found", f"找不到决定 {decision_id}", f"decision {decision_id} not found")


def mask_id(value: str | None) -> str:
    """A 统一社会信用代码 or 公民身份号码 as lists show it (``documents.masking``)."""
    if not value:
        return ""
    try:
        return mask_identifier(value)
    except DocumentError:
        return mask_loose(value)


def csrf_token_for(request: Request) -> str:
    """The session's CSRF token, for a form's hidden ``csrf_token`` field."""
    p = optional_principal(request)
    return (p.csrf_token or "") if p else ""


def _sign(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"login-csrf:{nonce}".encode(), "sha256").hexdigest()


def login_csrf_pair(request: Request) -> tuple[str, str]:
    """(cookie value, form field value) for the sign-in form."""
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    return nonce, _sign(request.app.state.config.secret_key, nonce)


def check_login_csrf(request: Request, field: Any) -> None:
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    expected = _sign(request.app.state.config.secret_key, nonce) if nonce else ""
    if not expected or not hmac.compare_digest(expected, str(field or "")):
        raise ApiError(403, "csrf_failed", "表单校验码（CSRF）缺失或不符，请刷新页面后重试",
                       "CSRF token missing or wrong; reload the page and try again")
