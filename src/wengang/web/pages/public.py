"""Pages anyone may open without signing in: the eligibility checker and the policy browser.

The checker runs the rules on what the visitor types (``wengang evaluate``) and stores nothing: no ledger row,
no audit event, no session, no file (a test compares the whole database before and after). Its form carries a
CSRF token all the same, a double-submit cookie signed with the secret key (there is no session to hold one).

The policy browser shows the policy set (``policies.loader.load_policy_set``): documents with every clause at an
anchor (``/policies/<id>#c-<条款>``, where the citations of the other pages lead), the parameters with their
ceiling checks, each parameter's values over time, and every ceiling check of the set on one page.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from wengang.beijing import beijing_today
from wengang.facts.unit import OrgType, SizeClass

from ..errors import ApiError
from . import router
from .common import RECIPIENT, as_date, as_int, clause_url, form, page
from .portal import _evaluate, _result, form_labels

CHECK_CSRF_COOKIE = "wengang_check_csrf"

# the choices of the checker's form, labelled from the one code → Chinese table the decisions print with
ORG_TYPES = {t.value: str(t) for t in OrgType}
SIZES = {"": "未认定", **{c.value: str(c) for c in SizeClass}}
FLAGS = {
    "serious_dishonesty": "列入严重违法失信名单",
    "zombie_clearance": "列入出清名单的僵尸企业",
    "env_noncompliant": "不符合当地环保政策",
    "is_dispatch_firm": "劳务派遣单位",
}
UNIT_DEFAULTS = {
    "credit_code": "",
    "name": "",
    "region_code": "150502",
    "date": "",
    "org_type": "enterprise",
    "size_class": "",
    "months_fully_paid": "",
    "paid_premium_last_year_yuan": "",
    "insured_headcount": "",
    "avg_insured_last_year": "",
    "layoffs_last_year": "0",
    "normal_attrition_last_year": "0",
    "has_corporate_account": "yes",
}


def _sign(request: Request, nonce: str) -> str:
    key = request.app.state.config.secret_key
    return hmac.new(key.encode(), f"check-csrf:{nonce}".encode(), "sha256").hexdigest()


def _check_page(
    request: Request, values: dict[str, str], result: Any = None, status: int = 200, error: str = "",
    error_en: str = "",
) -> Response:
    nonce = request.cookies.get(CHECK_CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = page(
        request,
        "check.html",
        status_code=status,
        values={**UNIT_DEFAULTS, "date": beijing_today().isoformat(), **values},
        check_csrf=_sign(request, nonce),
        org_types=ORG_TYPES,
        sizes=SIZES,
        flags=FLAGS,
        result=result,
        error=error,
        error_en=error_en,  # every refusal in Chinese first, then in English
        audience=RECIPIENT,  # the public checker: a recipient's page even when a caseworker opens it
    )
    resp.set_cookie(
        CHECK_CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        path="/check",
        secure=request.app.state.config.tls or request.url.scheme == "https",
    )
    return resp


@router.get("/check", include_in_schema=False)
def check_form(request: Request) -> Response:
    return _check_page(request, {})


def _unit_facts(f: dict[str, str]) -> tuple[str, date, dict[str, Any]]:
    on = as_date(f.get("date") or beijing_today().isoformat(), "date", "审核日期")
    assert on is not None
    region = f.get("region_code") or ""
    if not region:
        raise ApiError(
            422, "invalid_input", "请填写“参保地行政区划代码”", "region_code is required", "region_code"
        )

    def n(name: str, label: str) -> int | None:
        return as_int(f.get(name), name, label, lo=0, hi=10**9)

    facts: dict[str, Any] = {
        "credit_code": f.get("credit_code", ""),
        "name": f.get("name", ""),
        "region_code": region,
        "org_type": f.get("org_type") or "enterprise",
        "size_class": f.get("size_class") or None,
        "months_fully_paid": n("months_fully_paid", "连续足额缴费月数"),
        "months_fully_paid_total": n("months_fully_paid_total", "累计足额缴费月数"),
        "paid_premium_last_year_yuan": f.get("paid_premium_last_year_yuan") or None,
        "insured_headcount": n("insured_headcount", "上年末参保职工人数"),
        "avg_insured_last_year": n("avg_insured_last_year", "上年度月均参保人数"),
        "layoffs_last_year": n("layoffs_last_year", "上年度裁员人数"),
        "normal_attrition_last_year": n("normal_attrition_last_year", "上年度正常减员人数") or 0,
        "has_corporate_account": f.get("has_corporate_account") == "yes",
    }
    facts.update({k: f.get(k) == "yes" for k in FLAGS})
    return region, on, facts


@router.post("/check", include_in_schema=False)
async def check_submit(request: Request) -> Response:
    f = await form(request)
    nonce = request.cookies.get(CHECK_CSRF_COOKIE) or ""
    given = (await request.form()).get("csrf_token")
    if not nonce or not hmac.compare_digest(_sign(request, nonce), str(given or "")):
        return _check_page(request, f, status=400, error="表单校验码（CSRF）缺失或不符，请刷新页面后重试",
                           error_en="CSRF token missing or wrong; reload the page and try again")
    try:
        region, on, facts = _unit_facts(f)
        d = await run_in_threadpool(_evaluate, "fanhuan", region, on, facts, form_labels("check.html"))
    except ApiError as exc:
        return _check_page(request, f, status=exc.status, error=exc.zh, error_en=exc.en)
    return _check_page(request, f, result=_result(d))


# ------------------------------------------------------------------ policy browser
def _ps() -> Any:
    from wengang.policies.loader import load_policy_set

    return load_policy_set()


def _region_name(key: str) -> str:
    from wengang.regions import REGIONS

    r = REGIONS.get(key)
    return r.name if r else key


STATUS = {"in_force": "有效", "historical": "历史文件", "draft": "征求意见稿"}


@router.get("/policies", include_in_schema=False)
def policies(request: Request) -> Response:
    from wengang.policies.required import PROGRAM_LABELS

    docs = [
        {
            "id": d.id,
            "number": d.display_number,
            "title": d.title,
            "region": _region_name(d.jurisdiction),
            "issued": d.issued,
            "status": STATUS.get(d.status, d.status),
            "draft": d.is_draft,
            "programs": "、".join(PROGRAM_LABELS.get(p, p) for p in d.programs),
            "forwards": d.forwards,
        }
        for d in _ps().documents
    ]
    return page(request, "policies.html", docs=docs)


def _ceiling(p: Any) -> dict[str, Any] | None:
    """The check of a value against the ceiling of the document it implements (``不超过``)."""
    from wengang.policies.units import comparable

    cp = p.ceiling_param
    if cp is None:
        return None
    mine, cap = comparable(p.value), comparable(cp.value)
    ok = None if mine is None or cap is None else mine <= cap
    return {
        "ceiling": cp.formatted(),
        "ceiling_citation": cp.citation(),
        "ceiling_url": clause_url(cp.doc_id, cp.clause),
        "ok": ok,
    }


@router.get("/policies/{doc_id}", include_in_schema=False)
def policy_doc(doc_id: str, request: Request) -> Response:
    from wengang.policies.required import PROGRAM_LABELS

    ps = _ps()
    try:
        d = ps.get(doc_id)
    except KeyError:
        raise ApiError(404, "not_found", f"找不到政策文件 {doc_id}", f"no policy document {doc_id}") from None
    blocks = []
    for pid, b in d.programs.items():
        params, settings = ps.effective(d, pid)
        blocks.append(
            {
                "program": PROGRAM_LABELS.get(pid, pid),
                "label": b.label,
                "clause": b.clause,
                "valid_from": b.valid_from,
                "valid_to": b.valid_to,
                "note": b.note,
                "params": [
                    {
                        "name": n,
                        "value": p.formatted(),
                        "boundary": p.boundary,
                        "citation": p.citation(),
                        "url": clause_url(p.doc_id, p.clause),
                        "quote": p.quote,
                        "inherited": p.inherited,
                        "check": _ceiling(p),
                    }
                    for n, p in params.items()
                ],
                "settings": [
                    {
                        "name": n,
                        "description": s.description,
                        "citation": s.citation(),
                        "url": clause_url(s.doc_id, s.clause),
                        "quote": s.quote,
                    }
                    for n, s in settings.items()
                ],
            }
        )
    implements = []
    for key in d.implements:
        try:
            other = ps.get(key)
            implements.append({"id": other.id, "number": other.display_number})
        except KeyError:
            implements.append({"id": None, "number": key})
    return page(
        request,
        "policy.html",
        d=d,
        region=_region_name(d.jurisdiction),
        status=STATUS.get(d.status, d.status),
        blocks=blocks,
        implements=implements,
        clause_ids={k: f"c-{k}" for k in d.clauses},
    )


@router.get("/parameters/{name}", include_in_schema=False)
def parameter(name: str, request: Request) -> Response:
    from wengang.policies.required import PROGRAM_LABELS
    from wengang.regions import RegionError

    ps = _ps()
    names = {n for d in ps.documents for b in d.programs.values() for n in b.params}
    if name not in names:
        raise ApiError(404, "not_found", f"没有名为 {name} 的政策参数", f"no policy parameter {name}")
    region = request.query_params.get("region") or None
    try:
        entries = ps.timeline(name, region, include_drafts=request.query_params.get("drafts") == "1")
    except RegionError as exc:
        raise ApiError(422, "invalid_input", str(exc), str(exc), "region") from None
    rows = [
        {
            "number": e.number,
            "region": _region_name(e.jurisdiction),
            "from": e.valid_from,
            "to": e.valid_to,
            "value": e.formatted(),
            "citation": e.citation,
            "url": clause_url(e.doc_id, e.citation.rsplit(" ", 1)[-1]),
            "program": PROGRAM_LABELS.get(e.program, e.program),
            "draft": e.status == "draft",
        }
        for e in entries
    ]
    return page(request, "parameter.html", param=name, rows=rows, region=region or "")


@router.get("/ceilings", include_in_schema=False)
def ceilings(request: Request) -> Response:
    from wengang.policies.required import PROGRAM_LABELS

    ps = _ps()
    rows = []
    for d in ps.documents:
        for pid in d.programs:
            params, _ = ps.effective(d, pid)
            for n, p in params.items():
                check = _ceiling(p)
                if check is None or p.inherited:
                    continue
                rows.append(
                    {
                        "doc_id": d.id,
                        "number": d.display_number,
                        "program": PROGRAM_LABELS.get(pid, pid),
                        "name": n,
                        "value": p.formatted(),
                        "citation": p.citation(),
                        "url": clause_url(p.doc_id, p.clause),
                        **check,
                    }
                )
    return page(request, "ceilings.html", rows=rows, failing=sum(1 for r in rows if r["ok"] is False))
