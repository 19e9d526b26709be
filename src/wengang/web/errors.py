"""Every refusal the API gives has one shape: ``{"code", "message_zh", "message_en", "field"}`` (Chinese first).

Ledger refusals (``LedgerError``) keep their stable ``code``; the HTTP status says what kind of refusal it is
(``STATUS``). Pydantic validation errors name the first field in Chinese and list every problem in ``errors``.
A refused document (``DocumentError``: a field that cannot be written, agency details missing, a 公示 list with
decisions not past 复审) is 422 ``document_refused``; an operator input the command line would refuse
(``InputError``: a date, a program name) is 422 ``invalid_input``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wengang.casework.errors import LedgerError
from wengang.documents.errors import DocumentError
from wengang.inputs import InputError

from .accounts import AuthError

# 18 (or 15) letters and digits, hyphens or spaces allowed between them (as a person types a code)
_SPLIT_ID = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z](?:[ -]*[0-9A-Za-z]){14}(?:(?:[ -]*[0-9A-Za-z]){3})?(?![0-9A-Za-z])")
# joined: a 公民身份号码 (18 or 15) or a 统一社会信用代码 (2 characters, the 6-digit 行政区划码, 10 more)
_ID_SHAPED = re.compile(r"\d{17}[\dX]|\d{15}|[0-9A-Z]{2}\d{6}[0-9A-Z]{10}")


def mask_identifiers(text: str) -> str:
    """``text`` with every ID number and credit code in it masked as lists show them (6 + 2 for a credit code, 4 + 4
    for an ID number, docs/decisions.md §22), valid or not, written with hyphens or spaces or not; mobiles and account
    numbers too (``mask_text``). What a refusal says and what the access log writes (session 42: a 校验码错误 echoed
    the whole credit code while ID numbers were masked)."""
    from wengang.documents.masking import mask_identifier, mask_text

    if not text or not any(ch.isdigit() for ch in text):
        return text

    def one(m: re.Match[str]) -> str:
        compact = re.sub(r"[ -]", "", m.group(0)).upper()
        return mask_identifier(compact) if _ID_SHAPED.fullmatch(compact) else m.group(0)

    return mask_text(_SPLIT_ID.sub(one, text))


class ApiError(Exception):
    """A refusal; its messages never echo an identifier in full (:func:`mask_identifiers`)."""

    def __init__(self, status: int, code: str, zh: str, en: str, field: str | None = None):
        zh, en = mask_identifiers(zh), mask_identifiers(en)
        self.status, self.code, self.zh, self.en, self.field = status, code, zh, en, field
        super().__init__(f"{zh} / {en}")


def body(code: str, zh: str, en: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    """Every refusal's JSON; identifiers in its messages masked (:func:`mask_identifiers`)."""
    return {"code": code, "message_zh": mask_identifiers(zh), "message_en": mask_identifiers(en), "field": field,
            **extra}


def check_batch_key(key: str, field: str = "batch_key") -> str:
    """The ledger's batch-key rule (``casework.ledger.check_batch_key``, the bank file's ``_BATCH_ID``) as a 422 naming
    the field, checked before the batch pays (session 40: a key the bank file refuses had stranded the payments)."""
    from wengang.casework.errors import LedgerError
    from wengang.casework.ledger import check_batch_key as ledger_rule

    try:
        return ledger_rule(str(key))
    except LedgerError as exc:
        raise ApiError(422, "bad_batch_key", exc.zh, exc.en, field) from None


# LedgerError codes by HTTP status; any other code is a refused step on the record's state: 409
STATUS = {
    404: {"not_found", "db_not_found", "unknown_file"},
    403: {"role_refused", "operator_disabled", "unknown_operator", "no_actor", "self_change", "same_reviewer",
          "same_operator", "payer_reviewed", "forbidden_record"},
    422: {"bad_input", "bad_key", "bad_amount", "bad_account", "bad_role", "bad_login", "bad_display", "bad_stage",
          "bad_scope", "bad_period", "backdated_publicity", "bad_bank_code", "amount_mismatch", "future_date", "no_roles", "weak_password",
          "bad_identifier", "not_eligible", "not_determinable", "needs_outcomes", "policy_refused"},
    503: {"db_unavailable", "signing_key_required"},  # the service is not configured to write (docs/audit-keys.md)
}


# LedgerError codes that refuse one field of the request: the field named in the refusal
LEDGER_FIELDS = {"bad_account": "account_no", "bad_bank_code": "bank_code"}


_ZH_EN = re.compile(r"\s?/ (?=\S)")  # “中文 / English”, also “（docs/bank-file.md）/ bank file …”
_NO_EN = "the document or file was refused; the reason is in message_zh"


def split_zh_en(text: str) -> tuple[str, str]:
    """A “中文 / English” refusal split in two. A message without an English part gives a plain English sentence in
    ``message_en``, never the Chinese again (session 40: a return file's refusal repeated its Chinese there)."""
    m = _ZH_EN.search(text)
    if m is None:
        return text, _NO_EN
    zh, en = text[:m.start()].rstrip(), text[m.end():].strip()
    return zh, en or _NO_EN


def ledger_status(code: str) -> int:
    return next((s for s, codes in STATUS.items() if code in codes), 409)


_HTTP_ZH = {404: ("not_found", "找不到该地址", "not found"), 405: ("method_not_allowed", "不支持该请求方法", "method not allowed")}


# pydantic's error types that carry a limit (its ``ctx``): the Chinese wording with that limit, never a fixed phrase
# (``greater_than_equal`` is “应不小于 1” for ``ge=1``, not “不能为负数”)
_LIMITED_ZH = {
    "greater_than_equal": ("ge", "应不小于 {}"),
    "greater_than": ("gt", "应大于 {}"),
    "less_than_equal": ("le", "应不大于 {}"),
    "less_than": ("lt", "应小于 {}"),
    "multiple_of": ("multiple_of", "应为 {} 的整数倍"),
    "string_too_short": ("min_length", "应至少 {} 个字符"),
    "string_too_long": ("max_length", "应不超过 {} 个字符"),
    "too_short": ("min_length", "应至少 {} 项"),
    "too_long": ("max_length", "应不超过 {} 项"),
    "string_pattern_mismatch": ("pattern", "格式不符（应符合 {}）"),
    "literal_error": ("expected", "应为 {}"),
    "enum": ("expected", "应为 {}"),
}
_MORE_ZH = {
    "float_parsing": "应为数字", "float_type": "应为数字", "decimal_parsing": "应为数字",
    "string_unicode": "应为文本", "uuid_parsing": "应为 UUID", "datetime_parsing": "应为日期时间",
    "datetime_type": "应为日期时间", "json_type": "应为 JSON", "url_parsing": "应为网址",
}


def pydantic_zh(error: dict[str, Any]) -> str:
    """One pydantic error in Chinese, with the limit its ``ctx`` names (应不小于 1, 应不大于 500, 应至少 1 项 …)."""
    from wengang.evaluate import _PYDANTIC_ZH  # one Chinese wording of pydantic's error types

    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _LIMITED_ZH:
        key, text = _LIMITED_ZH[kind]
        if key in ctx:
            limit = ctx[key]
            if kind in ("literal_error", "enum"):
                limit = str(limit).replace("' or '", "'、'").replace(" or ", "、")
            return text.format(limit)
    return _PYDANTIC_ZH.get(kind) or _MORE_ZH.get(kind) or "取值无效"


# What the command line's messages tell an operator to type (``casework`` writes them once, for the CLI), said as the
# caller of the web service acts: over the JSON API the request's field or the route; on a page the form's field.
# (zh pattern, en pattern, API zh, API en, page zh, page en)
_CLI_WORDS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("请用 --payer-account 给出", "give --payer-account",
     "请在请求体字段 payer_account 给出", "give payer_account in the request body",
     "请在“付款账号”栏填写", "fill in the payer account field"),
    # a page's user does not edit the region data: say what is missing, not the configuration key
    ("，或填入 region_data 的 agency: payer_account", "the fund's payer account is missing",
     "，或填入 region_data 的 agency: payer_account", "the fund's payer account is missing",
     "（本地区未配置付款账号）", "the fund's payer account is missing (none is configured for the region)"),
    ("请用 wengang case payee-bank 登记", "record them with `wengang case payee-bank`",
     "请用 POST /api/v1/payee-banks 登记", "record them with POST /api/v1/payee-banks",
     "请在“银行报盘与回盘”页登记开户行行号", "record them on the bank files page"),
)
_CLI_FIELDS = {  # a ``--option`` a ledger message names → (API field, the page's field label)
    "reason": ("reason", "理由"), "late-reason": ("late_reason", "补录说明"), "payment": ("payment_id", "付款编号"),
    "payer-account": ("payer_account", "付款账号"), "year": ("year", "年度"), "facts": ("facts", "事实"),
    "claim-key": ("claim_key", "职业代码与等级"), "value-date": ("value_date", "付款日期"),
}
_CLI_OPTION = re.compile(r"--([a-z][a-z-]*)")


def for_web(zh: str, en: str, *, page: bool = False) -> tuple[str, str]:
    """A ledger or document refusal said in the command line's words (``--payer-account``, ``wengang case …``),
    reworded for the web caller: the API's field or route, or the page's field. Any other text is unchanged."""
    if "--" not in zh + en and "wengang " not in zh + en:
        return zh, en
    for cz, ce, az, ae, pz, pe in _CLI_WORDS:
        zh, en = zh.replace(cz, pz if page else az), en.replace(ce, pe if page else ae)

    def opt(m: re.Match[str], lang: str) -> str:
        api, label = _CLI_FIELDS.get(m.group(1), (m.group(1).replace("-", "_"), ""))
        if not page:
            return f"字段 {api}" if lang == "zh" else f"field {api}"
        return f"“{label or api}”栏" if lang == "zh" else f"the {api.replace('_', ' ')} field"

    return _CLI_OPTION.sub(lambda m: opt(m, "zh"), zh), _CLI_OPTION.sub(lambda m: opt(m, "en"), en)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(x) for x in loc if x not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(x) for x in loc)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the JSON API): refusals are shown as a page, not as JSON."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


_ABS_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.+~@-]+/)+[\w.+~@-]*")


def without_server_paths(request: Any, text: str) -> str:
    """``scrub_paths`` with the service's work directory (``request.app.state.config``)."""
    cfg = getattr(request.app.state, "config", None)
    return scrub_paths(text, str(cfg.work_path) if cfg is not None else None)


def scrub_paths(text: str, work: str | None) -> str:
    """A message naming a file on the server (``/srv/…/web/uploads/ab12/units.csv``, a temporary copy) says it relative
    to the service's work directory (``uploads/ab12/units.csv``), or by its name alone: a page shows no server path.
    Only paths under the work directory or whose folder is on this machine are touched, so a route (``/api/v1/…``)
    in a message stays."""
    import os

    work = os.path.abspath(work) if work else None

    def one(m: re.Match[str]) -> str:
        path = m.group(0)
        if work and (path == work or path.startswith(work.rstrip("/") + "/")):
            return os.path.relpath(path, work)
        # a folder of this machine other than the root itself: “/decisions/{decision_id}/account” (a route in a
        # refusal) is no file, and lost its slashes when “/” counted as the folder (session 40)
        folder = os.path.dirname(path.rstrip("/"))
        if (folder != "/" and os.path.isdir(folder)) or path.startswith(("/tmp/", "/var/", "/srv/", "/home/")):
            return os.path.basename(path.rstrip("/")) or path
        return path

    return _ABS_PATH.sub(one, text)


def html_error(request: Request, status: int, code: str, zh: str, en: str,
               headers: dict[str, str] | None = None) -> Response:
    """The refusal as a page (``pages/error.html``); not signed in: to the sign-in form, then back here."""
    from urllib.parse import quote

    from .login import render

    zh, en = mask_identifiers(without_server_paths(request, zh)), mask_identifiers(without_server_paths(request, en))

    if status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    resp = render(request, "pages/error.html", status_code=status, code=code, message_zh=zh, message_en=en,
                  status=status)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if wants_html(request):
            return html_error(request, exc.status, exc.code, exc.zh, exc.en)
        return JSONResponse(body(exc.code, exc.zh, exc.en, exc.field), status_code=exc.status)

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError) -> Response:
        html = wants_html(request)
        zh, en = for_web(exc.zh, exc.en, page=html)
        if html:
            return html_error(request, ledger_status(exc.code), exc.code, zh, en)
        # a refusal of one field the caller sent names it, as a validation error does
        return JSONResponse(body(exc.code, zh, en, LEDGER_FIELDS.get(exc.code)), status_code=ledger_status(exc.code))

    @app.exception_handler(DocumentError)
    async def _document(request: Request, exc: DocumentError) -> Response:
        zh, en = split_zh_en(str(exc))
        html = wants_html(request)
        zh, en = for_web(zh, en, page=html)
        if html:
            return html_error(request, 422, "document_refused", zh, en)
        zh, en = without_server_paths(request, zh), without_server_paths(request, en)
        return JSONResponse(body("document_refused", zh, en), status_code=422)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        if wants_html(request):  # a page's form: the refusal as a page, as every other refusal is
            return html_error(request, 422, "invalid_input", exc.zh, exc.en)
        return JSONResponse(body("invalid_input", exc.zh, exc.en), status_code=422)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        if wants_html(request):
            return html_error(request, exc.status, exc.code, exc.zh, exc.en, headers)
        return JSONResponse(body(exc.code, exc.zh, exc.en), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for e in exc.errors():
            if e.get("type") == "json_invalid":  # the body is not JSON: its "field" is a character position
                at = (e.get("loc") or ("body", "?"))[-1]
                zh, en = f"请求体不是有效的 JSON（第 {at} 个字符附近）", f"the request body is not valid JSON (near character {at})"
                return JSONResponse(body("invalid_json", zh, en), status_code=422)
            f = _field(tuple(e.get("loc", ())))
            zh = pydantic_zh(dict(e))
            errors.append({"field": f, "message_zh": zh, "message_en": e.get("msg", "")})
        first = errors[0] if errors else {"field": None, "message_zh": "请求无效", "message_en": "invalid request"}
        more = f"（另有 {len(errors) - 1} 处）" if len(errors) > 1 else ""
        if wants_html(request):
            return html_error(request, 422, "invalid_input", f"字段 {first['field']}：{first['message_zh']}{more}",
                              f"field {first['field']}: {first['message_en']}")
        return JSONResponse(body("invalid_input", f"字段 {first['field']}：{first['message_zh']}{more}",
                                 f"field {first['field']}: {first['message_en']}", first["field"], errors=errors),
                            status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, zh, en = _HTTP_ZH.get(exc.status_code, ("http_error", "请求无法处理", str(exc.detail)))
        status = exc.status_code
        if status == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's own words for a body its JSON reader gave up on, other than bad syntax (said as json_invalid,
            # above): a body nested too deep for the reader (a non-UTF-8 one is refused before, by NoNul)
            code, status = "invalid_json", 422
            zh = "请求体不是有效的 UTF-8 JSON，或嵌套层数过多（无法读取），未受理；请检查请求体"
            en = "the request body is not valid UTF-8 JSON or is nested too deeply to read; refused"
        if wants_html(request):
            return html_error(request, status, code, zh, en, getattr(exc, "headers", None))
        return JSONResponse(body(code, zh, en), status_code=status, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("wengang.web").exception("unexpected error")
        return JSONResponse(body("internal_error", "服务器内部错误，已记录日志，请联系管理员",
                                 f"internal error ({type(exc).__name__}); logged"), status_code=500)


# Identifiers and counters a request names: bounded where they are read, so that a number too large for the database
# (2^70) is refused as input (422, naming the field) instead of reaching SQLite or PostgreSQL as an overflow
MAX_ID = 2**63 - 1


class MaskedAccessLog:
    """A logging filter for the server's access log: a credit code or ID number in a request's address (``?unit=…``)
    is masked as lists show it, so the log does not hold identifiers in full (docs/deployment.md).

    The address is URL-decoded first (up to three times, for a doubly encoded one) and the log holds the decoded and
    masked form: ``?unit=%31%35…`` or ``152301%2D199001010015`` named an ID number the encoded form hid from the
    masking (outside web audit, session 42). An identifier written with hyphens or spaces inside it is masked too;
    control characters the decoding produced are written as ``\\xNN`` (no forged log lines)."""

    _ID = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
    _CONTROL = re.compile(r"[\x00-\x1f\x7f]")

    @classmethod
    def masked(cls, address: str) -> str:
        """A request's address (path and query) as the access log writes it: decoded, identifiers masked."""
        from urllib.parse import unquote

        from wengang.documents.masking import mask_identifier

        for _ in range(3):
            decoded = unquote(address, errors="replace")
            if decoded == address:
                break
            address = decoded
        address = cls._CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", address)

        def one(m: Any) -> str:
            try:
                return mask_identifier(m.group(0)) if any(c.isdigit() for c in m.group(0)) else m.group(0)
            except DocumentError:
                return m.group(0)

        return mask_identifiers(cls._ID.sub(one, address))

    def filter(self, record: Any) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            args = list(record.args)
            args[2] = self.masked(args[2])
            record.args = tuple(args)
        return True


def access_log_config() -> dict[str, Any]:
    """Uvicorn's own logging setup with :class:`MaskedAccessLog` on the access log."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    cfg = copy.deepcopy(LOGGING_CONFIG)
    cfg.setdefault("filters", {})["masked"] = {"()": MaskedAccessLog}
    cfg["handlers"]["access"]["filters"] = ["masked"]
    return cfg
