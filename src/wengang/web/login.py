"""The sign-in pages (form posts, CSRF-protected) and ``render``, the one way pages are rendered.

``render(request, "page.html", **context)`` adds what ``base.html`` needs (the caller, their roles in Chinese,
the session's CSRF token for forms). A failed sign-in re-shows the form with the reason; a lock says for how long.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from . import accounts
from .access import roles_zh
from .auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_login_csrf,
    client_address,
    csrf_token_for,
    login_csrf_pair,
    optional_principal,
)
from .errors import ApiError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter()


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    p = optional_principal(request)
    ctx = {"principal": p, "roles_zh": roles_zh(frozenset(p.roles)) if p else "", "csrf_token": csrf_token_for(request),
           **context}
    resp = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _safe_next(value: Any) -> str:
    """Only a local path: never an address elsewhere (open redirect)."""
    s = str(value or "/")
    return s if s.startswith("/") and not s.startswith("//") and "\\" not in s else "/"


def _login_page(request: Request, *, error: str = "", error_en: str = "", login: str = "", next_: str = "/",
                status: int = 200) -> Response:
    nonce, signed = login_csrf_pair(request)
    resp = render(request, "login.html", status_code=status, error=error, error_en=error_en, login=login,
                  next=_safe_next(next_), login_csrf=signed)
    resp.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/login",
                    secure=request.app.state.config.tls or request.url.scheme == "https")
    return resp


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_=next)


@router.post("/login", include_in_schema=False)
async def login_submit(request: Request) -> Response:
    from fastapi.concurrency import run_in_threadpool

    from .api import set_session_cookie

    form = await request.form()
    login, password, next_ = str(form.get("login") or ""), str(form.get("password") or ""), str(form.get("next") or "/")
    try:
        check_login_csrf(request, form.get("csrf_token"))
    except ApiError as exc:
        return _login_page(request, error=exc.zh, error_en=exc.en, login=login, next_=next_, status=403)
    state = request.app.state
    try:
        p = await run_in_threadpool(accounts.authenticate, state.ledger, login, password,
                                    client=client_address(request), cfg=state.config)
    except accounts.AuthError as exc:
        resp = _login_page(request, error=exc.zh, error_en=exc.en, login=login, next_=next_, status=exc.status)
        if exc.retry_after:
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    token = await run_in_threadpool(accounts.create_session, state.ledger, p, client=client_address(request),
                                    cfg=state.config, replaces=request.cookies.get(SESSION_COOKIE))
    resp = RedirectResponse(_safe_next(next_), status_code=303)
    set_session_cookie(resp, request, token)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout", include_in_schema=False)
def logout_submit(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(request.app.state.ledger, token, cfg=request.app.state.config)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp

