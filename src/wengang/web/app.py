"""``create_app(config) -> FastAPI``: the web service.

The ledger is opened (and migrated) once per process and kept in ``app.state.ledger``; ``app.state.config`` is
the ``WebConfig``. Every route goes through ``auth.authorize`` (an application-wide dependency) and must be
declared in ``access.ROUTES`` — the application refuses to start otherwise. The HTML pages come from
the ``web/pages`` package (its ``router``); the sign-in pages are in ``login.py``.

Security headers on every response: a Content-Security-Policy without inline script
(``script-src 'self'``, ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``, and HSTS only over TLS (``config.tls`` or a request
whose scheme is https, which uvicorn sets from ``X-Forwarded-Proto`` of a trusted proxy).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.routing import Mount, Route

from . import access, errors
from .auth import authorize
from .config import WebConfig

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
TITLE = "稳岗 Wengang API"
VERSION = "1"


class SecurityHeaders:
    """The security headers on every response (module docstring); ``Cache-Control: no-store`` under ``/api/``.

    A plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request); a header
    the response set itself is kept."""

    def __init__(self, app: Any, *, tls: bool):
        self.app, self.tls = app, tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                 (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
                 (b"cross-origin-opener-policy", b"same-origin")]
        if self.tls or scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))
        if scope["path"].startswith("/api/"):
            extra.append((b"cache-control", b"no-store"))

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in have)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def size_zh(n: int) -> str:
    """A byte count as a person reads it: 2 GiB, 50 MB, 900 字节."""
    for unit, size in (("GiB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.4g} {unit}"
    return f"{n} 字节"


class BodyLimit:
    """Refuse a request body over its limit while it arrives: an upload (``multipart/form-data``) up to ``limit``
    (``WebConfig.max_upload_bytes``), any other body — JSON or a form, which is parsed whole in memory — up to
    ``json_limit`` (``WebConfig.max_json_bytes``, 10 MB; session 42: a signed-in caller's JSON was parsed up to the
    2 GiB upload limit). The declared ``Content-Length`` is checked on the first read, and the bytes are counted as
    they come (a chunked upload declares none). The refusal is an ``ApiError`` (413), raised where the route reads
    the body, so it is said as every refusal is (a page for a browser, JSON for the API) and nothing of the upload
    is kept."""

    def __init__(self, app: Any, *, limit: int, json_limit: int | None = None):
        self.app, self.limit = app, limit
        self.json_limit = min(limit, json_limit) if json_limit else limit

    def _too_large(self, limit: int, upload: bool) -> errors.ApiError:
        shown = size_zh(limit)
        if not upload:
            return errors.ApiError(413, "too_large",
                                   f"请求体超过上限 {shown}（JSON 与表单内容的上限），未受理；上传文件请用 multipart/form-data",
                                   f"the request body exceeds the {shown} limit for JSON and form bodies; refused "
                                   "(upload files as multipart/form-data)")
        return errors.ApiError(413, "too_large",
                               f"上传内容超过上限 {shown}，未保存；请拆分文件或请管理员调整设置 WENGANG_MAX_UPLOAD_MB",
                               f"the upload exceeds the {shown} limit and was not kept (setting WENGANG_MAX_UPLOAD_MB)")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        # the upload limit only where a file is taken: a multipart body sent to any other route is held to the JSON
        # and form limit (outside second look, session 42: 12 MB as multipart to /api/v1/evaluate was read whole)
        upload = (headers.get(b"content-type", b"").split(b";")[0].strip().lower() == b"multipart/form-data"
                  and scope.get("method") == "POST" and scope.get("path", "") in UPLOAD_PATHS)
        limit = self.limit if upload else self.json_limit
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            # said before any route reads the body: raised inside FastAPI's own body parsing (a JSON or form body) it
            # would come out as its English “There was an error parsing the body” (second look, session 39)
            from starlette.responses import JSONResponse

            e = self._too_large(limit, upload)
            await JSONResponse(errors.body(e.code, e.zh, e.en), status_code=413)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._too_large(limit, upload)
            return message

        await self.app(scope, counted, send)


# the routes that take a file (multipart/form-data): screening tables, the bank's return file (API and page), a
# simulation's table
UPLOAD_PATHS = frozenset({"/api/v1/screening/uploads", "/api/v1/bank-returns", "/bank-files/returns", "/simulations"})


class HeadAsGet:
    """``HEAD`` wherever ``GET`` is served: the request is answered as the ``GET`` (its status and headers, its
    ``Content-Length``, the same role check) and the body is dropped. FastAPI's routes answer only the methods they
    declare (session 42: ``HEAD /healthz``, ``/``, ``/login`` were 405); a ``GET`` changes nothing."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def no_body(message: Any) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, no_body)


class NoNul:
    """Refuse a request holding a NUL character (``\\x00``) in its path, its query or a JSON / form body: 422, Chinese
    first, before any route or database sees it. PostgreSQL stores no NUL in text, so one reaching a query was a 500
    (``?unit=%00``, a review reason ``"a\\u0000b"``, ``/publicity/lists/a%00b``: session 40 audit); no field of
    the service takes one. The one place for the class, not a check per field. Uploaded files (multipart) are not
    read here: a table or a bank return is checked by its own reader."""

    _JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
    CAP = 10 * 1024 * 1024  # a JSON or form body is read whole up to this (BodyLimit refuses a larger one)

    def __init__(self, app: Any, *, cap: int | None = None):
        self.app, self.cap = app, cap or self.CAP

    @staticmethod
    async def _refuse(scope: Any, receive: Any, send: Any, where: str) -> None:
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        zh = f"请求的{where}含有空字符（NUL，\\x00），不予受理；请删去该字符后重试"
        en = "the request contains a NUL character (\\x00); refused"
        request = Request(scope, receive)
        if "app" in scope and errors.wants_html(request):
            resp = errors.html_error(request, 422, "nul_character", zh, en)
        else:
            resp = JSONResponse(errors.body("nul_character", zh, en), status_code=422)
        await resp(scope, receive, send)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string") or b""
        if "\x00" in scope.get("path", "") or b"%00" in (scope.get("raw_path") or b""):
            await self._refuse(scope, receive, send, "地址")
            return
        if b"%00" in query or b"\x00" in query:
            await self._refuse(scope, receive, send, "查询参数")
            return
        ctype = dict(scope.get("headers") or ()).get(b"content-type", b"").split(b";")[0].strip().lower()
        if ctype not in (b"application/json", b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        messages: list[Any] = []
        size = 0
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                size += len(message.get("body", b""))
                if not message.get("more_body") or size > self.cap:
                    break
        except errors.ApiError as e:  # the body limit (BodyLimit), said as a refusal
            from starlette.responses import JSONResponse

            await JSONResponse(errors.body(e.code, e.zh, e.en), status_code=e.status)(scope, receive, send)
            return
        data = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if b"\x00" in data or (ctype == b"application/json" and self._JSON_NUL.search(data)) or (
                ctype != b"application/json" and b"%00" in data):
            await self._refuse(scope, receive, send, "内容")
            return
        if ctype == b"application/json":
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:  # FastAPI said “There was an error parsing the body” (session 42)
                from starlette.responses import JSONResponse

                zh = f"请求体不是有效的 UTF-8 JSON（第 {exc.start + 1} 个字节不是 UTF-8 编码），未受理；请以 UTF-8 编码发送"
                en = f"the request body is not valid UTF-8 JSON (byte {exc.start + 1} is not UTF-8); refused"
                await JSONResponse(errors.body("invalid_json", zh, en), status_code=422)(scope, receive, send)
                return

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


class PageAssets(StaticFiles):
    """``/static``: what the pages load (the style sheet, the icon). ``static/vendor/`` holds the browser tests'
    accessibility checker (axe-core, 650 KB; its README), which no page loads: not served (outside web audit,
    session 42: it was public at ``/static/vendor/axe-core/axe.min.js``). The tests inject it from the file."""

    NOT_SERVED = ("vendor",)

    async def get_response(self, path: str, scope: Any) -> Response:
        from starlette.exceptions import HTTPException

        if Path(path).parts[:1] and Path(path).parts[0].lower() in self.NOT_SERVED:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the application serves (HEAD aside), included routers flattened."""
    out: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)  # FastAPI ≥ 0.16x keeps included routers as one entry
            if inner is not None:
                walk(inner.routes, prefix + r.include_context.prefix)
            elif isinstance(r, APIRoute | Route) and not isinstance(r, Mount):
                out.extend((m, prefix + r.path) for m in sorted(r.methods or ()) if m != "HEAD")

    walk(app.routes, "")
    return out


def undeclared(app: FastAPI) -> list[str]:
    """Routes with no entry in ``access.ROUTES`` (static files aside)."""
    return [f"{m} {p}" for m, p in endpoints(app) if (m, p) not in access.ROUTES]


def mask_access_log() -> None:
    """Put :class:`errors.MaskedAccessLog` on the ``uvicorn.access`` logger itself, so the access log masks identifiers
    whatever runs the app (``uvicorn --factory``, gunicorn's uvicorn workers), not only under ``wengang serve``'s
    logging setup; added once however many apps a process builds."""
    log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, errors.MaskedAccessLog) for f in log.filters):
        log.addFilter(errors.MaskedAccessLog())


def create_app(config: WebConfig | None = None, *, ledger: Any = None) -> FastAPI:
    """The application over the ledger at ``config.database_url`` (or the ``ledger`` given)."""
    from wengang.casework import Ledger

    from . import api, api_casework, jobs, login, pages

    cfg = config or WebConfig.from_env()
    mask_access_log()
    if not cfg.secret_key:
        raise ValueError(f"缺少密钥：请设置环境变量 {__import__('wengang.web.config', fromlist=['x']).SECRET_ENV} / "
                         "no secret key: set WENGANG_SECRET_KEY")
    led = ledger or Ledger.open(cfg.database_url, schema=cfg.schema, migrate=cfg.migrate)
    if ledger is None:
        # with the casework commands' signing key, the service seals the events it writes too (docs/audit-keys.md
        # “Seals”): once the chain is sealed, an event written without the key is refused
        from wengang.casework.checkpoints import signer_from

        led.checkpointer = signer_from(cfg.signing_key, cfg.checkpoints, cfg.database_url, cfg.checkpoints_db)
    jobs.recover(led, cfg)

    app = FastAPI(title=TITLE, version=VERSION, openapi_url=f"{access.V1}/openapi.json", docs_url=None,
                  redoc_url=None, dependencies=[Depends(authorize)], redirect_slashes=False,
                  description="失业保险援企稳岗：判定、政策、免申即享筛查与经办台账的 JSON 接口。")
    app.state.config = cfg
    app.state.ledger = led
    errors.install(app)

    app.add_middleware(NoNul, cap=cfg.max_json_bytes)  # inside BodyLimit: a body too large is refused unread
    app.add_middleware(BodyLimit, limit=cfg.max_upload_bytes, json_limit=cfg.max_json_bytes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders, tls=cfg.tls)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        try:
            with led.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            return JSONResponse({"status": "error", "database": "unavailable", "detail": type(exc).__name__},
                                status_code=503)
        return JSONResponse({"status": "ok", "database": led.dialect})

    @app.get(f"{access.V1}/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> Response:
        spec = app.openapi()
        ops = []
        for path, item in spec.get("paths", {}).items():
            for method, op in item.items():
                allowed = access.ROUTES.get((method.upper(), path), frozenset())
                ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                            "roles": access.roles_zh(allowed)})
        return login.render(request, "api_docs.html", title=TITLE, version=VERSION, operations=ops,
                            openapi_url=f"{access.V1}/openapi.json")

    app.include_router(api.router)
    app.include_router(api_casework.router)
    app.include_router(login.router)
    app.include_router(pages.router)
    app.mount("/static", PageAssets(directory=str(Path(__file__).parent / "static")), name="static")

    missing = undeclared(app)
    if missing:
        raise RuntimeError("以下地址未在 web/access.py 的 ROUTES 中声明所需角色 / routes without declared roles: "
                           + ", ".join(missing))
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory wengang.web.app:app_from_env`` (several workers; settings from the environment)."""
    return create_app(WebConfig.from_env())
