"""``Idempotency-Key`` on writes: the same key with the same request gives the stored response again (the
write is not repeated); the same key with a different request is refused (409 ``idempotency_conflict``).

Keys are per caller (``Principal.actor``). The record is inserted *before* the write runs (status 0), so a
second request with that key while the first is still running is refused (409 ``idempotency_in_progress``),
never executed twice. Only successful responses are kept: after a refusal the record is removed and the
client may retry with the same key once the cause is fixed. The request's fingerprint is the SHA-256 of the
method, the path and the parsed body in canonical JSON (so whitespace or key order do not matter).
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


def run(request: Request, principal: Principal, payload: Any, write: Callable[[], Any], status: int = 200) -> JSONResponse:
    """Run ``write`` (returns a JSON-able body) under the request's ``Idempotency-Key``, if it has one."""
    key = request.headers.get(HEADER)
    if key is None:
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
