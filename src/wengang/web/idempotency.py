"""``Idempotency-Key`` on writes: the same key with the same request gives the stored response again (the
write is not repeated); the same key with a different request is refused (409 ``idempotency_conflict``).

Keys are per caller (``Principal.actor``). The record is inserted *before* the write runs (status 0), so a
second request with that key while the first is still running is refused (409 ``idempotency_in_progress``),
never executed twice. Only successful responses are kept: after a refusal the record is removed and the
client may retry with the same key once the cause is fixed. The request's fingerprint is the SHA-256 of the
method, the path and the parsed body in canonical JSON (so whitespace or key order do not matter).

Money-moving writes (payments, batches, bank files and returns, recoveries, bounces, settlements) pass
``required=True``: without the header they are refused (428 ``idempotency_key_required``) before anything runs,
so a client that retries after a lost response can never pay twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from wengang.casework.models import Base

from .accounts import Principal, iso
from .errors import ApiError

_T = Base.metadata.tables  # the tables, typed (mypy)

HEADER = "Idempotency-Key"
IR = _T["web_idempotency"].c


def fingerprint(request: Request, payload: Any) -> str:
    text = json.dumps({"m": request.method, "p": request.url.path, "b": payload}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def require_key(request: Request) -> None:
    """Refuse a money-moving write that carries no ``Idempotency-Key`` (428)."""
    if request.headers.get(HEADER) is None:
        raise ApiError(428, "idempotency_key_required",
                       "涉及资金的操作须带请求头 Idempotency-Key（每次新操作用一个新的唯一值，重试时沿用原值），以免重复发放或重复登记",
                       "money-moving writes need an Idempotency-Key header (a new unique value per operation, the same "
                       "value on retry) so that a retry never pays or records twice", HEADER)


def run(request: Request, principal: Principal, payload: Any, write: Callable[[], Any], status: int = 200, *,
        required: bool = False, key: str | None = None) -> JSONResponse:
    """Run ``write`` (returns a JSON-able body) under the request's ``Idempotency-Key``, if it has one;
    ``required``: refuse the request without one (``require_key``). ``key``: a page's form makes its own (the
    header is the API client's): its refusals are said in the page's terms, never naming a header its user did not
    send (session 40)."""
    from_page = key is not None
    key = key if key is not None else request.headers.get(HEADER)
    if key is None:
        if required:
            require_key(request)
        return JSONResponse(write(), status_code=status)
    if not key.strip() or len(key) > 200:
        raise ApiError(422, "bad_idempotency_key", "Idempotency-Key 须为 1 到 200 个字符",
                       "Idempotency-Key must have 1 to 200 characters", HEADER)
    state = request.app.state
    owner, fp = principal.actor[:80], fingerprint(request, payload)
    engine = state.ledger.engine
    with engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            old = conn.execute(select(IR.request_sha256, IR.status, IR.body)
                               .where(IR.owner == owner, IR.key == key)).first()
            if old is None:
                try:
                    conn.execute(insert(_T["web_idempotency"]).values(
                        owner=owner, key=key, request_sha256=fp, status=0, body="", created_at=iso(state.config.clock())))
                except IntegrityError:  # inserted meanwhile by a concurrent request
                    old = (fp, 0, "")
    if old is not None:
        if from_page:  # the same form (the same file) submitted while the first is still running, or changed
            if old[1] == 0 or old[0] != fp:
                raise ApiError(409, "idempotency_in_progress",
                               "同一内容刚刚已提交，仍在处理中（可能重复点击了提交），请稍候刷新页面查看结果，不要重复提交",
                               "the same submission is still being processed (submitted twice?); reload the page "
                               "shortly to see its result")
        if old[0] != fp:
            raise ApiError(409, "idempotency_conflict",
                           "该 Idempotency-Key 已用于另一个不同的请求，请换一个新的键",
                           "this Idempotency-Key was used for a different request; use a new key", HEADER)
        if old[1] == 0:
            raise ApiError(409, "idempotency_in_progress", "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试",
                           "a request with this Idempotency-Key is still being processed; retry later", HEADER)
        return JSONResponse(json.loads(old[2]), status_code=old[1], headers={"Idempotent-Replayed": "true"})
    try:
        result = write()
    except BaseException:
        with engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                conn.execute(delete(_T["web_idempotency"]).where(IR.owner == owner, IR.key == key))
        raise
    text = json.dumps(result, ensure_ascii=False, default=str)
    with engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            conn.execute(update(_T["web_idempotency"]).where(IR.owner == owner, IR.key == key)
                         .values(status=status, body=text))
    return JSONResponse(json.loads(text), status_code=status)


def _header_doc(required: bool) -> dict[str, Any]:
    return {"parameters": [{
        "name": HEADER, "in": "header", "required": required,
        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": ("必填：涉及资金的操作，重试时沿用原值 / required on money-moving writes; reuse it on retry"
                        if required else "可选：同一键重放同一请求不会重复执行 / optional: a retry with the same key is not run twice")}]}


# ``openapi_extra`` of a write route: the header as the OpenAPI spec shows it (the check itself is ``run``)
OPENAPI_REQUIRED = _header_doc(True)
OPENAPI_OPTIONAL = _header_doc(False)
