"""The JSON API, ``/api/v1``: a thin layer over the service functions the command line uses.

Rules: ``wengang.evaluate.evaluate`` (the same input as ``wengang evaluate``, the same JSON as ``--json``).
Policies: ``policies.loader.load_policy_set``. Screening: ``web.jobs`` around ``screening.pipeline.run_screening``.
Ledger: the ``Ledger`` methods, with the signed-in operator as the actor (a 单位 / 个人 account's own steps go
through ``WebConfig.portal_operator``, the account named in the reason). Lists come from ``casework.query``.

Who may call what: ``access.ROUTES``; a unit or person sees only its own records (``auth.own``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from wengang.casework.models import Decision, Payment, Recovery, RecoveryReceipt, Review
from wengang.documents.masking import mask_account_for_display, mask_text

from . import accounts, idempotency, jobs
from .access import V1
from .auth import SESSION_COOKIE, Principal, is_tls, mask_id, own, own_decision, signed_in
from .errors import MAX_ID, ApiError, check_batch_key

router = APIRouter(prefix=V1)
Caller = Annotated[Principal, Depends(signed_in)]
D = Decision.__table__.c


def _led(request: Request) -> Any:
    return request.app.state.ledger


def _cfg(request: Request) -> Any:
    return request.app.state.config


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ sign-in
class LoginIn(Strict):
    login: str = Field(min_length=1, max_length=64, description="登录名 / login")
    password: str = Field(min_length=1, max_length=256, description="密码 / password")


def principal_json(p: Principal) -> dict[str, Any]:
    return {"login": p.login, "kind": p.kind, "roles": list(p.roles), "display_name": p.display_name,
            "subject": mask_id(p.subject) if p.subject else None, "via": p.via}


def set_session_cookie(response: Any, request: Request, token: str) -> None:
    cfg = _cfg(request)
    response.set_cookie(SESSION_COOKIE, token, max_age=cfg.session_max_hours * 3600, httponly=True,
                        samesite="lax", secure=is_tls(request), path="/")


@router.post("/auth/login", summary="登录（会话 Cookie）/ sign in")
def login(body: LoginIn, request: Request) -> JSONResponse:
    """登录成功后设置 HttpOnly 会话 Cookie，并返回后续写操作须带的 CSRF 令牌（请求头 X-CSRF-Token）。"""
    from .auth import client_address

    if not request.headers.get("content-type", "").startswith("application/json"):
        raise ApiError(415, "json_required", "登录请求须为 JSON（application/json）", "sign-in takes application/json")
    led, cfg = _led(request), _cfg(request)
    p = accounts.authenticate(led, body.login, body.password, client=client_address(request), cfg=cfg)
    token = accounts.create_session(led, p, client=client_address(request), cfg=cfg,
                                    replaces=request.cookies.get(SESSION_COOKIE))
    fresh = accounts.session_principal(led, token, cfg=cfg)
    assert fresh is not None
    resp = JSONResponse({**principal_json(fresh), "csrf_token": fresh.csrf_token})
    set_session_cookie(resp, request, token)
    return resp


@router.post("/auth/logout", summary="退出登录 / sign out")
def logout(request: Request, _: Caller) -> JSONResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(_led(request), token, cfg=_cfg(request))
    resp = JSONResponse({"signed_out": True})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/auth/me", summary="当前登录者 / who am I")
def me(p: Caller) -> dict[str, Any]:
    return {**principal_json(p), "csrf_token": p.csrf_token}


# ------------------------------------------------------------------ rules
class EvaluateIn(Strict):
    facts: dict[str, Any] = Field(description="事实：与 wengang evaluate 的事实文件相同（可含 _case）/ the facts, as for wengang evaluate")
    program: str | None = Field(None, description="项目，如 fanhuan / program")
    region: str | None = Field(None, description="地区代码或名称 / region")
    date: str | None = Field(None, description="审核日期 YYYY-MM-DD / evaluation date")
    readings: dict[str, str] = Field(default_factory=dict, description="认定的政策解释 / fixed readings")
    settings: dict[str, str] = Field(default_factory=dict, description="地区设置（带单位）/ region settings with units")
    drafts: bool = False


def _evaluate(raw: dict[str, Any], p: Principal) -> dict[str, Any]:
    from wengang.evaluate import InvalidFacts, evaluate
    from wengang.inputs import InputError, check_program, parse_date
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()  # registers the interpretation switches

    facts = dict(raw["facts"])
    case = facts.pop("_case", None) or {}
    if not isinstance(case, dict):
        raise ApiError(422, "invalid_input", "facts._case 应为对象", "facts._case must be an object", "facts._case")
    program = raw.get("program") or case.get("program")
    region = raw.get("region") or (str(case["region"]) if case.get("region") else None)
    on = raw.get("date") or case.get("date")
    for name, v in (("program", program), ("region", region), ("date", on)):
        if not v:
            raise ApiError(422, "invalid_input", f"缺少 {name}（或 facts._case.{name}）", f"{name} is required", name)
    try:
        day = parse_date(str(on), "审核日期 date", "date")
        check_program(str(program))
        fixed = interpretations.parse_fixed([f"{k}={v}" for k, v in (raw.get("readings") or {}).items()])
        d = evaluate(str(program), str(region), day, facts, readings=fixed, settings=dict(raw.get("settings") or {}),
                     include_drafts=bool(raw.get("drafts")))
    except InvalidFacts as exc:
        f, zh, en = exc.problems[0]
        raise ApiError(422, "invalid_facts", f"字段 {f}：{zh}", f"field {f}: {en}", f"facts.{f}") from None
    except InputError as exc:
        raise ApiError(422, "invalid_input", exc.zh, exc.en) from None
    except (ValueError, KeyError, LookupError) as exc:
        text = str(exc.args[0]) if exc.args else str(exc)
        zh, _, en = text.partition(" / ")
        raise ApiError(422, "invalid_input", zh, en or zh) from None
    own(p, d.subject_id, "所判定的单位或个人", "the subject of this case")
    return d.to_dict()


@router.post("/evaluate", summary="判定一个案例 / evaluate one case")
async def evaluate_case(body: EvaluateIn, request: Request, p: Caller) -> Response:
    """与 ``wengang evaluate --json`` 相同的输入与输出。带小数点的金额按十进制精确读取。
    单位、个人账户只能判定本单位、本人的案例。"""
    raw = json.loads(await request.body(), parse_float=Decimal)  # 元 amounts stay exact, as on the command line
    # evaluated on the event loop: pure computation (under the GIL a worker thread would only add two hops)
    out = _evaluate(raw, p)
    # one serialisation (dates and Decimals as text), as JSONResponse would write it
    return Response(json.dumps(out, ensure_ascii=False, default=str, allow_nan=False, separators=(",", ":")).encode(),
                    media_type="application/json")


# ------------------------------------------------------------------ policies
def _policies() -> Any:
    from wengang.policies.loader import load_policy_set

    return load_policy_set()


def _doc_json(ps: Any, d: Any, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id, "number": d.display_number, "title": d.title, "jurisdiction": d.jurisdiction,
                           "issued": d.issued, "status": d.status, "programs": list(d.programs),
                           "implements": list(d.implements), "forwards": d.forwards, "source": d.source}
    if full:
        out["clauses"] = d.clauses
        out["note"] = d.note
        blocks = []
        for pid, b in d.programs.items():
            params, settings = ps.effective(d, pid)
            blocks.append({
                "program": pid, "label": b.label, "ruleset": b.ruleset, "clause": b.clause, "valid_from": b.valid_from,
                "valid_to": b.valid_to,
                "parameters": [{"name": n, "value": prm.value, "unit": prm.unit, "formatted": prm.formatted(),
                                "boundary": prm.boundary, "citation": prm.citation(), "quote": prm.quote,
                                "inherited": prm.inherited} for n, prm in params.items()],
                "region_settings": [{"name": n, "unit": s.unit, "description": s.description, "citation": s.citation(),
                                     "quote": s.quote} for n, s in settings.items()]})
        out["program_blocks"] = blocks
    return out


def _json(obj: Any) -> Any:
    return json.loads(json.dumps(obj, ensure_ascii=False, default=str))


@router.get("/policies", summary="政策文件列表 / policy documents")
def policies(_: Caller) -> Any:
    ps = _policies()
    return _json([_doc_json(ps, d, False) for d in ps.documents])


@router.get("/policies/{doc_id}", summary="一份政策文件：条款、参数 / one document: clauses, parameters")
def policy(doc_id: str, _: Caller) -> Any:
    ps = _policies()
    try:
        d = ps.get(doc_id)
    except KeyError as exc:
        raise ApiError(404, "not_found", str(exc.args[0]) if exc.args else f"找不到文件 {doc_id}",
                       f"document {doc_id} not found") from None
    return _json(_doc_json(ps, d, True))


@router.get("/parameters/{name}/timeline", summary="参数时间线 / a parameter's values over time")
def timeline(name: str, _: Caller, region: str | None = None, program: str | None = None, drafts: bool = False) -> Any:
    from wengang.regions import RegionError

    ps = _policies()
    names = {n for d in ps.documents for b in d.programs.values() for n in b.params}
    if name not in names:
        raise ApiError(404, "not_found", f"没有名为 {name} 的政策参数", f"no policy parameter {name}", "name")
    try:
        entries = ps.timeline(name, region, program=program, include_drafts=drafts)
    except RegionError as exc:
        raise ApiError(422, "invalid_input", str(exc), str(exc), "region") from None
    return _json([{**asdict(e), "formatted": e.formatted()} for e in entries])


# ------------------------------------------------------------------ screening runs
class RunStart(Strict):
    folder: str = Field(description="数据目录名（GET /screening/folders）/ registered data folder")
    date: str = Field(description="审核日期 YYYY-MM-DD / evaluation date")
    program: str = "fanhuan"
    year: int | None = Field(None, ge=2000, le=2100, description="政策年度 / policy year")
    region: str | None = Field(None, description="只接受该地区及其下级 / accept only this region and below")
    readings: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, str] = Field(default_factory=dict, description="地区设置，同 wengang screen --setting（带单位："
                                     "元/分/%），如 {\"max_layoff_rate\": \"5.5%\"} / region settings with units")


@router.get("/screening/folders", summary="可筛查的数据目录 / data folders")
def screening_folders(request: Request, _: Caller) -> Any:
    return [{"name": n, "tables": sorted(jobs.tables_in(__import__("pathlib").Path(p)))}
            for n, p in jobs.folders(_cfg(request)).items()]


@router.post("/screening/uploads", summary="上传数据表（multipart，字段名为表名；总大小上限见 WENGANG_MAX_UPLOAD_MB，默认 "
             "2 GiB，超过则 413）/ upload tables", status_code=201)
async def screening_upload(request: Request, p: Caller) -> JSONResponse:
    form = await request.form()
    files = {}
    for k, v in form.multi_items():
        if k == "csrf_token":
            continue
        if isinstance(v, str):
            raise ApiError(422, "invalid_input", f"字段 {k} 应为文件", f"field {k} must be a file", k)
        # the multipart parser spooled it to a temporary file (the body's size is bounded by app.BodyLimit); it is
        # copied in chunks, never read whole into memory
        files[k] = (v.filename or k, v.file)
    name = await run_in_threadpool(jobs.save_upload, _cfg(request), files)
    return JSONResponse({"folder": name}, status_code=201)


@router.post("/screening/runs", summary="发起筛查（后台运行）/ start a screening run", status_code=202,
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def screening_start(body: RunStart, request: Request, p: Caller) -> JSONResponse:
    from wengang.inputs import parse_date

    parse_date(body.date, "审核日期 date", "date")
    payload = body.model_dump()
    return idempotency.run(request, p, payload, lambda: jobs.job(
        _led(request), jobs.start(_led(request), _cfg(request), payload, p.actor)), status=202)


@router.get("/screening/runs", summary="筛查任务列表 / screening runs")
def screening_runs(request: Request, _: Caller) -> Any:
    return _json(jobs.jobs(_led(request)))


@router.get("/screening/runs/{job_id}", summary="筛查任务进度与汇总 / a run's progress and summary")
def screening_run(job_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, _: Caller) -> Any:
    return _json(jobs.job(_led(request), job_id))


@router.get("/screening/runs/{job_id}/results", summary="筛查结果（筛选、分页，证件号脱敏）/ results")
def screening_results(job_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, _: Caller, status: str | None = None, reason: str | None = None,
                      size_class: str | None = None, region: str | None = None,
                      page: Annotated[int, Query(ge=1, le=1_000_000)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    from wengang.casework.query import parse_size_class

    return _json(jobs.results(_led(request), job_id, status=status, reason=reason,
                              size_class=parse_size_class(size_class), region=region, page=page, page_size=page_size))


@router.get("/screening/runs/{job_id}/files/{name}", summary="下载结果文件 / download a result file")
def screening_file(job_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], name: str, request: Request, _: Caller) -> FileResponse:
    if name not in jobs.FILES:
        raise ApiError(404, "not_found", f"没有文件 {name}（可下载：{'、'.join(sorted(jobs.FILES))}）",
                       f"no file {name}", "name")
    path = jobs.out_dir(_led(request), job_id) / name
    if not path.is_file():
        raise ApiError(404, "not_found", f"该次筛查没有生成 {name}", f"this run wrote no {name}", "name")
    return FileResponse(path, filename=f"run{job_id}-{name}")


@router.post("/screening/runs/{job_id}/import", summary="筛查结果入台账 / import a run into the ledger",
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def screening_import(job_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, p: Caller) -> JSONResponse:
    from wengang.casework.intake import read_screening_output, trusted_keys_of

    def write() -> dict[str, Any]:
        si = read_screening_output(jobs.out_dir(_led(request), job_id), trusted_keys=trusted_keys_of(_led(request)))
        res = _led(request).import_decisions(si.run, si.frame, p.login)
        return asdict(res) | {"existing": res.existing}

    return idempotency.run(request, p, {"job_id": job_id}, write)


# ------------------------------------------------------------------ 政策模拟测算
class FundIn(Strict):
    region: str = Field(min_length=1, max_length=40, description="统筹地区（代码或名称）/ pooling region")
    year: int = Field(ge=2000, le=2100)
    balance: str = Field(min_length=1, max_length=40, description="滚存结余，带单位（如 1.2亿元）/ balance with unit")
    spending: str = Field(min_length=1, max_length=40, description="支出，带单位 / spending with unit")
    months: int = Field(12, ge=1, le=12, description="支出所含月数 / months the spending covers")


class SimulationIn(Strict):
    job_id: int = Field(ge=1, le=2**63 - 1, description="人群：已完成的筛查任务 / a done screening run")
    settings: dict[str, str] = Field(default_factory=dict, max_length=200,
                                     description="方案改变的参数：名称 → 带单位的取值（同 --set）/ parameters")
    variant_date: date | None = Field(None, description="方案审核日期 / the variant's evaluation date")
    policy_yaml: str | None = Field(None, max_length=1024 * 1024,
                                    description="政策文件草稿（YAML 文本，按加载规则校验）/ a draft policy file")
    fund: FundIn | None = None


def _simulation(request: Request, sid: str) -> dict[str, Any]:
    from . import simulations

    meta = simulations.get(_cfg(request), sid)
    out = {k: meta[k] for k in ("id", "state", "job_id", "program", "date", "variant_date", "settings", "draft",
                                "created_by", "created_at", "finished_at", "error")}
    out["result"] = simulations.result(_cfg(request), sid) if meta["state"] == "done" else None
    if out["result"] is not None:
        out["result"].pop("population", None)  # a server path
    out["files"] = ({k: f"/simulations/{sid}/{k}" for k in simulations.FILES} if meta["state"] == "done" else {})
    return out


@router.post("/simulations", summary="发起政策模拟测算（后台运行）/ start a policy simulation", status_code=202)
def simulation_start(body: SimulationIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang simulate`` 相同：同一人群按现行政策与方案各判定一次并对比。不写入台账。参数名或单位有误、
    政策文件未通过加载校验的，立即拒绝（422，附加载器的中文说明）；已有测算在运行时 409。"""
    from . import simulations

    fund = {k: str(v) for k, v in body.fund.model_dump().items()} if body.fund else {}
    draft = ("draft.yaml", body.policy_yaml.encode("utf-8")) if body.policy_yaml else None
    sid = simulations.start(_led(request), _cfg(request), job_id=body.job_id, settings=body.settings,
                            variant_date=body.variant_date, fund=fund, draft=draft, actor=p.login)
    return JSONResponse(_json(_simulation(request, sid)), status_code=202)


@router.get("/simulations/{sim_id}", summary="测算进度与结果（金额为分）/ a simulation and its result")
def simulation(sim_id: str, request: Request, _: Caller) -> Any:
    return _json(_simulation(request, sim_id))


# ------------------------------------------------------------------ decisions
def _decision_row(r: dict[str, Any], fates: Any = ()) -> dict[str, Any]:
    # a paid decision as its payments stand (in a batch and not yet in a bank file is not 已发放)
    from .pages.common import decision_state_zh

    return {"id": r["id"], "unit_id": mask_id(r["unit_id"]), "unit_name": r["unit_name"], "program": r["program"],
            "year": r["year"], "state": r["state"], "state_zh": decision_state_zh(r["state"], None, fates),
            "amount_fen": r["amount_fen"], "size_class": r["size_class"], "region_code": r["region_code"],
            "policy_doc": r["policy_doc"], "origin": r["origin"], "changed_at": r["changed_at"],
            "hold_reason": r["hold_reason"], "has_account": bool(r["has_account"])}


@router.get("/decisions", summary="决定列表（筛选、分页；证件号脱敏）/ decisions")
def decisions(request: Request, p: Caller, state: Annotated[list[str] | None, Query()] = None,
              program: str | None = None, year: Annotated[int | None, Query(ge=2000, le=2100)] = None, region: str | None = None,
              size_class: str | None = None, reason: str | None = None, unit: str | None = None,
              min_yuan: str | None = None, max_yuan: str | None = None,
              page: Annotated[int, Query(ge=1, le=1_000_000)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    """单位、个人账户只看到本单位、本人的决定；以他人的证件号查询（unit=…）被拒绝（403）。"""
    from wengang.casework import query

    if p.kind != "operator" and unit is not None:
        own(p, unit, "所查询的单位或个人", "the unit asked for")
    f = query.Filter(states=query.parse_states(state or []), program=program, year=year, region=region,
                     size_class=query.parse_size_class(size_class), reason=reason,
                     unit=unit if p.kind == "operator" else None,
                     min_fen=query.parse_yuan(min_yuan, "min_yuan"), max_fen=query.parse_yuan(max_yuan, "max_yuan"))
    stmt = query.select_decisions(f)
    summary = query.select_summary(f)
    if p.kind != "operator":
        stmt = stmt.where(D.unit_id == p.subject)
        sub = stmt.subquery()
        from sqlalchemy import func

        summary = select(func.count(), func.coalesce(func.sum(sub.c.amount_fen), 0))
    led = _led(request)
    count, total = led.read(summary)[0].values()
    rows = led.read(stmt.limit(page_size).offset((page - 1) * page_size))
    from .pages.common import payment_fates

    fates = payment_fates(led, [r["id"] for r in rows if r["state"] == "paid"])
    return {"total": int(count), "total_fen": int(total), "page": page, "page_size": page_size,
            "items": [_decision_row(r, fates.get(r["id"], ())) for r in rows]}


def _load(request: Request, p: Principal, decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)]) -> dict[str, Any]:
    d = _led(request).decision(decision_id)
    own_decision(p, decision_id, d["unit_id"])
    return d


@router.get("/decisions/{decision_id}", summary="一个决定：应发金额、支付、追回、历史 / one decision")
def decision(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, p: Caller) -> Any:
    d = _load(request, p, decision_id)
    out = {k: d[k] for k in ("id", "unit_name", "claim_key", "program", "year", "region_code", "policy_doc", "clause",
                             "status", "state", "size_class", "origin", "deadline", "hold_reason", "reasons",
                             "readings", "entitlement", "base_fen")}
    out["unit_id"] = d["unit_id"] if p.kind != "operator" else mask_id(d["unit_id"])
    from .pages.common import decision_state_zh

    out["state_zh"] = decision_state_zh(d["state"], d["hold_reason"], [x["fate"] for x in d["payments"]])
    out["account_no"] = mask_account_for_display(d["account_no"])
    from .pages.common import audience_of
    from .pages.office import payment_fate_zh

    # what happened to each payment (``Ledger.decision``'s ``fate``; docs/casework.md "Money sent"), and in Chinese
    # as the decision page says it (a return's reason as a letter says it, unless the caller is an operator)
    out["payments"] = [{"id": x["id"], "kind": x["kind"], "amount_fen": x["amount_fen"], "channel": x["channel"],
                        "account_no": mask_account_for_display(x["account_no"]), "fate": x["fate"],
                        "fate_zh": payment_fate_zh(x, audience_of(p))} for x in d["payments"]]
    # reasons are free text: a 稽核's confirmation may quote a risk flag's evidence (a claim id holding a 公民身份号码)
    out["recoveries"] = [{k: x[k] for k in ("id", "kind", "amount_fen")} | {"reason": mask_text(x["reason"] or "")}
                         for x in d["recoveries"]]
    if p.kind != "operator":  # a unit's or person's own account: its own part of each event only (§103)
        out["history"] = portal_history(_led(request), d, portal_operator=_cfg(request).portal_operator)
        # a recovery's reason is the office's text (a 稽核's finding may name a witness): its amount and kind only
        out["recoveries"] = [{k: x[k] for k in ("id", "kind", "amount_fen")} for x in d["recoveries"]]
        return _json(out)
    out["history"] = [{k: h[k] for k in ("seq", "at", "actor", "action")} | {"reason": _masked(h["reason"])}
                      | {"before": _masked(json.loads(h["before"] or "null")),
                         "after": _masked(json.loads(h["after"] or "null"))}
                      for h in d["history"]]
    return _json(out)


# the office's own investigation of a risk flag is not the party's history (the outcome is: a revocation, a
# withdrawn payment or a recovery, each an event of its own); their money steps are named without the flag
_PORTAL_HIDDEN = frozenset({"risk_import", "risk_clear", "risk_confirm"})
_PORTAL_ZH = {"recover_risk_flag": "追回", "recover_raised": "追回", "risk_recovery_pending": "追回待银行回盘",
              "risk_recovery_settled": "追回：银行已回盘"}


def portal_history(led: Any, d: dict[str, Any], *, portal_operator: str) -> list[dict[str, Any]]:
    """A decision's history as its own unit or person reads it: for each event the time, what happened (the
    action and its Chinese label), who (``经办机构``, or ``本单位`` / ``本人`` for the party's own step on the
    portal) and, where the event moved money, this decision's own amount — the sum of the rows of this decision
    the event created (its payment, return, bank confirmation, recovery, receipt, recomputed entitlement, or the
    decision itself as imported). Nothing is read from the event's before/after: a bulk event (a 告知, review,
    公示 or payment batch over many decisions) holds the other decisions' ids and the batch's total, which are
    other parties' data; staff logins and the reason text stay with the office (docs/decisions.md §103)."""
    from sqlalchemy import func

    from wengang.casework.models import AuditEvent, BankConfirmation, PaymentReturn, Recomputation
    from wengang.casework.states import action_zh

    did = d["id"]
    shown = [h for h in d["history"] if h["action"] not in _PORTAL_HIDDEN]
    seqs = [h["seq"] for h in shown]
    E = AuditEvent.__table__.c
    refs = {r["seq"]: r["ref"] for r in led.read(select(E.seq, E.ref).where(E.seq.in_(seqs)))} if seqs else {}
    P, X, B = Payment.__table__.c, PaymentReturn.__table__.c, BankConfirmation.__table__.c
    C, K, R = Recovery.__table__.c, RecoveryReceipt.__table__.c, Recomputation.__table__.c
    own_payments = select(P.id).where(P.decision_id == did)
    own_recoveries = select(C.id).where(C.decision_id == did)
    # the decision's own money rows by the event that created them; the first kind that matches is the event's
    sources = [select(R.audit_ref, func.sum(R.new_amount_fen)).where(R.decision_id == did).group_by(R.audit_ref),
               select(P.audit_ref, func.sum(P.amount_fen)).where(P.decision_id == did).group_by(P.audit_ref),
               select(X.audit_ref, func.sum(X.amount_fen)).where(X.payment_id.in_(own_payments)).group_by(X.audit_ref),
               select(B.audit_ref, func.sum(B.amount_fen)).where(B.payment_id.in_(own_payments)).group_by(B.audit_ref),
               select(C.audit_ref, func.sum(C.amount_fen)).where(C.decision_id == did).group_by(C.audit_ref),
               select(K.audit_ref, func.sum(K.amount_fen)).where(K.recovery_id.in_(own_recoveries))
               .group_by(K.audit_ref)]
    amounts: dict[str, int] = {}
    for stmt in sources:
        for row in led.read(stmt):
            ref, fen = tuple(row.values())
            amounts.setdefault(ref, int(fen))
    if d.get("amount_fen") is not None:
        amounts.setdefault(d["audit_ref"], int(d["amount_fen"]))  # the decision as imported or registered
    who = {"unit": "本单位", "person": "本人"}
    out = []
    for h in shown:
        reason = h["reason"] or ""
        mine = h["actor"] == portal_operator and reason.startswith(("单位账户 ", "个人账户 "))
        item: dict[str, Any] = {"at": h["at"], "action": h["action"],
                                "action_zh": _PORTAL_ZH.get(h["action"], action_zh(h["action"])),
                                "actor": (who["unit"] if reason.startswith("单位") else who["person"]) if mine
                                else "经办机构"}
        ref = refs.get(h["seq"])
        if ref is not None and ref in amounts:
            item["amount_fen"] = amounts[ref]
        out.append(item)
    return out


def _masked(value: Any) -> Any:
    """An audit event's reason, before and after as the decision shows them: accounts and identifiers masked (an
    account change's event holds the full numbers; only the ledger and those who approve the change see them), and
    any other text with the identifiers inside it masked (``mask_text``, decisions §28: a reason quoting a risk
    flag's claim id)."""
    if isinstance(value, dict):
        return {k: (mask_account_for_display(v) if "account" in k and isinstance(v, str)
                    else mask_id(v) if k in ("unit_id", "id_number", "credit_code", "recipient") and isinstance(v, str)
                    else _masked(v)) for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


@router.get("/decisions/{decision_id}/explanation", summary="决定的依据与理由 / why")
def explanation(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, p: Caller) -> Any:
    """The reasons and the rules' trace. A unit or person reads them as its letters say them (no field names, command
    lines or the agency's verification checks: ``documents.recipient``, ``casework.outputs.recipient_trace``); an
    operator reads the caseworker's text."""
    d = _load(request, p, decision_id)
    reasons, expl = d["reasons"], d["explanation"]
    if getattr(p, "kind", None) != "operator":
        from wengang.casework.outputs import UNDECIDED, recipient_trace
        from wengang.documents.recipient import recipient_text

        reasons = [t for t in (recipient_text(r) for r in reasons) if t]
        trace = recipient_trace(expl, d["program"], d["state"] in UNDECIDED)
        expl = "\n".join(t for t in (recipient_text(line) for line in trace) if t)
    return _json({"id": d["id"], "status": d["status"], "policy_doc": d["policy_doc"], "clause": d["clause"],
                  "reasons": reasons, "readings": d["readings"], "explanation": expl,
                  "entitlement": d["entitlement"]})


class ConfirmIn(Strict):
    amount_fen: int | None = Field(None, ge=0, le=MAX_ID, description="确认金额（分），须与决定一致 / amount, must match")
    account_no: str | None = Field(None, max_length=64, description="收款账户（变更须另一人复核）/ payee account")


class DeclineIn(Strict):
    reason: str = Field("单位选择放弃", max_length=500)


def _portal(request: Request, p: Principal, verb_zh: str) -> tuple[str, str]:
    """The ledger actor and the reason's prefix: an operator acts as themselves; a unit or person through the
    portal operator, named in the reason."""
    if p.kind == "operator":
        return p.login, "经办人员代为登记："
    who = "单位" if p.kind == "unit" else "个人"
    return _cfg(request).portal_operator, f"{who}账户 {p.login}（{mask_id(p.subject)}）网上{verb_zh}："


@router.post("/decisions/{decision_id}/confirm", summary="确认接受 / confirm",
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def confirm(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ConfirmIn, request: Request, p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        _load(request, p, decision_id)
        actor, why = _portal(request, p, "确认")
        cid = _led(request).confirm(decision_id, actor, amount_fen=body.amount_fen, account_no=body.account_no,
                                    reason=why + "单位确认接受")
        return {"decision_id": decision_id, "state": "confirmed", "account_change_id": cid}

    return idempotency.run(request, p, body.model_dump(), write)


@router.post("/decisions/{decision_id}/decline", summary="放弃 / decline",
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def decline(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: DeclineIn, request: Request, p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        _load(request, p, decision_id)
        actor, why = _portal(request, p, "放弃")
        _led(request).decline(decision_id, actor, reason=why + body.reason)
        return {"decision_id": decision_id, "state": "declined"}

    return idempotency.run(request, p, body.model_dump(), write)


@router.get("/decisions/{decision_id}/reviews", summary="初审、复审记录 / reviews")
def reviews(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, _: Caller) -> Any:
    V = Review.__table__.c
    return _led(request).read(select(V.id, V.stage, V.reviewer, V.approve, V.reason)
                              .where(V.decision_id == decision_id).order_by(V.stage))


class ReviewIn(Strict):
    stage: int = Field(ge=1, le=2, description="1 初审（经办）、2 复审（复核）/ 1 first, 2 second review")
    approve: bool
    reason: str = Field(min_length=1, max_length=500)


@router.post("/decisions/{decision_id}/reviews", summary="初审或复审 / review", status_code=201,
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def review(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ReviewIn, request: Request, p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        led = _led(request)
        step = led.first_review if body.stage == 1 else led.second_review
        step(decision_id, p.login, approve=body.approve, reason=body.reason)
        return {"decision_id": decision_id, "stage": body.stage, "approve": body.approve,
                "state": led.decision(decision_id)["state"]}

    return idempotency.run(request, p, body.model_dump(), write, status=201)


class ReadingsIn(Strict):
    readings: dict[str, str] = Field(min_length=1, max_length=50,
                                     description="解释开关 → 认定的理解（见 GET /policies 与 docs/interpretations.md）/ switch → reading")
    reason: str = Field("", max_length=500)


@router.post("/decisions/{decision_id}/readings", summary="认定政策理解：待认定决定按规则在该理解下的结果办理 / adopt readings",
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def adopt_readings(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ReadingsIn, request: Request,
                   p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        led = _led(request)
        status, amount = led.adopt_readings(decision_id, p.login, readings=body.readings, reason=body.reason)
        return {"decision_id": decision_id, "status": status, "amount_fen": amount,
                "state": led.decision(decision_id)["state"]}

    return idempotency.run(request, p, body.model_dump(), write)


class ResolutionIn(Strict):
    eligible: bool
    amount_fen: int | None = Field(None, ge=0, le=MAX_ID, description="符合条件时必填，以分计 / required when eligible, in fen")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/decisions/{decision_id}/resolution", summary="人工认定待认定决定 / resolve a needs-decision case by hand",
             openapi_extra=idempotency.OPENAPI_OPTIONAL)
def resolve(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ResolutionIn, request: Request,
            p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        led = _led(request)
        led.resolve(decision_id, p.login, eligible=body.eligible, amount_fen=body.amount_fen, reason=body.reason)
        return {"decision_id": decision_id, "state": led.decision(decision_id)["state"]}

    return idempotency.run(request, p, body.model_dump(), write)


class PayOne(Strict):
    amount_fen: int | None = Field(None, ge=0, le=MAX_ID)
    today: date | None = None


@router.post("/decisions/{decision_id}/payments", summary="单笔发放 / pay one decision", status_code=201,
             openapi_extra=idempotency.OPENAPI_REQUIRED)
def pay_one(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: PayOne, request: Request, p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        pid = _led(request).pay_decision(decision_id, p.login, amount_fen=body.amount_fen, today=body.today)
        return {"decision_id": decision_id, "payment_id": pid}

    return idempotency.run(request, p, body.model_dump(), write, status=201, required=True)


class ResizeIn(Strict):
    size_class: str
    # the rules' amount for the new class is computed by the ledger; an amount given must be one the rules can give
    amount_fen: int | None = Field(default=None, ge=0, le=MAX_ID)  # a BIGINT at most (10**30: 500, session 40)
    reason: str = Field(min_length=1, max_length=500)


@router.post("/decisions/{decision_id}/resize", summary="划型变更、多退少补 / size-class change and settlement",
             openapi_extra=idempotency.OPENAPI_REQUIRED)
def resize(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ResizeIn, request: Request, p: Caller) -> JSONResponse:
    from wengang.casework.query import parse_size_class

    def write() -> dict[str, Any]:
        size = parse_size_class(body.size_class)
        assert size is not None
        return asdict(_led(request).change_size_class(decision_id, p.login, new_size_class=size,
                                                      new_amount_fen=body.amount_fen, reason=body.reason))

    return idempotency.run(request, p, body.model_dump(), write, required=True)


# ------------------------------------------------------------------ payments, recoveries
@router.get("/payments", summary="支付记录 / payments")
def payments(request: Request, _: Caller, decision_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
             page: Annotated[int, Query(ge=1, le=1_000_000)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    P = Payment.__table__.c
    q = select(P.id, P.batch_id, P.decision_id, P.kind, P.seq, P.amount_fen, P.channel, P.account_no).order_by(P.id)
    if decision_id is not None:
        q = q.where(P.decision_id == decision_id)
    rows = _led(request).read(q.limit(page_size).offset((page - 1) * page_size))
    return [r | {"account_no": mask_account_for_display(r["account_no"])} for r in rows]


def missing_account(led: Any, program: str, year: int, decision_ids: list[int]) -> int:
    """Decisions of the selection waiting to be paid with no payee account (the ledger's ``missing_account`` counts
    the whole program and year, also outside ``decision_ids``: session 40)."""
    from sqlalchemy import func

    D = Decision.__table__.c
    rows = led.read(select(func.count().label("n")).where(
        D.program == program, D.year == year, D.state.in_(("approved", "publicized", "account_fixed")),
        D.account_no.is_(None), D.id.in_(list(decision_ids))))
    return int(rows[0]["n"]) if rows else 0


class BatchIn(Strict):
    batch_key: str = Field(min_length=1, max_length=64, description="批次号：1至32位字母、数字、“-”或“_”（银行报盘文件的规则）"
                                                                    " / 1-32 of [A-Za-z0-9_-], the bank file's rule")
    program: str
    year: int = Field(ge=2000, le=2100)
    today: date | None = None
    decision_ids: list[int] | None = None


@router.post("/payments/batches", summary="批量发放 / run a payment batch", status_code=201,
             openapi_extra=idempotency.OPENAPI_REQUIRED)
def pay_batch(body: BatchIn, request: Request, p: Caller) -> JSONResponse:
    from wengang.inputs import check_program

    # before anything is paid: a key the bank file refuses would leave the batch paid and never sent (session 40)
    check_batch_key(body.batch_key)
    check_program(body.program)  # as `case pay`: an unknown program is refused, not "paid 0"

    def write() -> dict[str, Any]:
        led = _led(request)
        res = led.run_payment_batch(body.batch_key, body.program, body.year, p.login, today=body.today,
                                    decision_ids=body.decision_ids)
        out = asdict(res)
        if body.decision_ids is not None:  # counted within the selection only, as ``unpaid`` is
            out["missing_account"] = missing_account(led, body.program, body.year, body.decision_ids)
        out["refused"] = [{"decision_id": i, "message_zh": iss.zh, "message_en": iss.en} for i, iss in res.refused]
        return out

    return idempotency.run(request, p, body.model_dump(), write, status=201, required=True)


class BounceIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


@router.post("/payments/{payment_id}/bounce", summary="登记银行退回 / record a bounce",
             openapi_extra=idempotency.OPENAPI_REQUIRED)
def bounce(payment_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: BounceIn, request: Request, p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        _led(request).record_bounce(payment_id, p.login, reason=body.reason)
        return {"payment_id": payment_id, "bounced": True}

    return idempotency.run(request, p, body.model_dump(), write, required=True)


@router.get("/recoveries", summary="追回单 / recovery orders")
def recoveries(request: Request, _: Caller, decision_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Any:
    """One row per recovery order: its amount, what has been received (``received_fen``) and what is still owed
    (``outstanding_fen``), with its receipts nested (``receipts``). (The receipts used to be outer-joined: one row per
    receipt, each repeating the order's amount, session 40.)"""
    C, K = Recovery.__table__.c, RecoveryReceipt.__table__.c
    q = select(C.id, C.decision_id, C.kind, C.seq, C.amount_fen, C.reason).order_by(C.id)
    if decision_id is not None:
        q = q.where(C.decision_id == decision_id)
    led = _led(request)
    rows = led.read(q)
    got: dict[int, list[dict[str, Any]]] = {}
    if rows:
        kq = select(K.id, K.recovery_id, K.amount_fen, K.received_on, K.reference).order_by(K.recovery_id, K.id)
        if decision_id is not None:
            kq = kq.where(K.recovery_id.in_(select(C.id).where(C.decision_id == decision_id)))
        for k in led.read(kq):
            got.setdefault(int(k["recovery_id"]), []).append(
                {"id": k["id"], "amount_fen": k["amount_fen"], "received_on": k["received_on"], "reference": k["reference"]})
    out = []
    for r in rows:
        receipts = got.get(int(r["id"]), [])
        received = sum(int(k["amount_fen"]) for k in receipts)
        owed = max(int(r["amount_fen"]) - received, 0) if int(r["amount_fen"]) > 0 else 0
        out.append({**r, "received_fen": received, "outstanding_fen": owed, "receipts": receipts})
    return out


class ReceiptIn(Strict):
    amount_fen: int = Field(gt=0, le=MAX_ID)
    # as `case recovery-received --date --reference`: a second receipt of the same amount on one day needs its reference
    received_on: date | None = Field(None, description="到账日期（缺省为今天）/ day received (default today)")
    reference: str | None = Field(None, max_length=128, description="银行凭证号：同一凭证不重复计入 / bank reference")


@router.post("/recoveries/{recovery_id}/receipts", summary="登记追回到账 / record a recovery received", status_code=201,
             openapi_extra=idempotency.OPENAPI_REQUIRED)
def recovery_receipt(recovery_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ReceiptIn, request: Request, p: Caller) -> JSONResponse:
    def write() -> dict[str, Any]:
        # (a day after today is refused by the ledger, 422 future_date, as the command's --date is)
        return _led(request).record_recovery_receipt(recovery_id, p.login, amount_fen=body.amount_fen,
                                                     received_on=body.received_on, reference=body.reference)

    return idempotency.run(request, p, body.model_dump(mode="json"), write, status=201, required=True)


@router.get("/balances", summary="按单位、项目的发放与追回余额 / balances")
def balances(request: Request, p: Caller, unit_id: str | None = None, program: str | None = None) -> Any:
    if p.kind != "operator":
        if unit_id is not None:
            own(p, unit_id, "所查询的单位或个人", "the unit asked for")
        unit_id = p.subject
    rows = _led(request).balances(unit_id=unit_id, program=program)
    return [r | {"unit_id": mask_id(r["unit_id"]) if p.kind == "operator" else r["unit_id"]} for r in rows]


@router.get("/audit/verify", summary="校验审计链 / verify the audit chain")
def audit_verify(request: Request, _: Caller) -> Any:
    rep = _led(request).verify_audit()
    return {"ok": rep.ok, "events": rep.events, "head_seq": rep.head_seq, "head_hash": rep.head_hash,
            "issues": [{"kind": i.kind, "message_zh": i.zh, "message_en": i.en} for i in rep.issues],
            "warnings": rep.warnings}

