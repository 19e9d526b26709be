"""The office's pages: dashboard, screening runs, decisions, the review and payment queues, 公示.

Each write calls the ledger method the CLI's ``wengang case …`` command calls, with the signed-in operator as
the actor (the ledger checks the role and the separation of duties again).
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, select

from wengang.beijing import beijing_today
from wengang.casework import query
from wengang.casework.errors import LedgerError
from wengang.casework.ledger import CREDITED_AFTER_BOUNCE, payment_reference
from wengang.casework.models import (
    AuditEvent,
    Decision,
    PublicityEntry,
    PublicityList,
    Review,
)
from wengang.casework.outputs import FATE_ZH  # the one place (payment fates in Chinese)
from wengang.casework.procedure import procedure
from wengang.casework.states import STATE_ZH, TRANSITIONS
from wengang.documents.masking import mask_account_for_display, mask_text
from wengang.reports.charts import MONEY, bar_chart, count, hbar_chart

from .. import jobs
from ..access import may_approve_accounts
from ..auth import Principal, current_principal, mask_id, own_decision
from ..errors import MAX_ID, ApiError, check_batch_key
from . import router
from .common import (
    PAGE_SIZE,
    RECIPIENT,
    SIZE_ZH,
    STATUS_ZH,
    as_date,
    as_int,
    audience_of,
    back,
    cfg,
    decision_state_zh,
    for_audience,
    form,
    led,
    need,
    page,
    page_number,
    pager,
)

D = Decision.__table__.c
V = Review.__table__.c


def _labels() -> dict[str, str]:
    from wengang.policies.required import PROGRAM_LABELS

    return dict(PROGRAM_LABELS)


# ------------------------------------------------------------------ dashboard
@router.get("/dashboard", include_in_schema=False)
def dashboard(request: Request) -> Response:
    amount = query.amount_sql()
    size = query.size_class_sql()
    rows = led(request).read(
        select(
            D.state,
            D.program,
            size.label("size_class"),
            func.count().label("n"),
            func.coalesce(func.sum(amount), 0).label("fen"),
        ).group_by(D.state, D.program, size)
    )
    labels = _labels()
    by_state: dict[str, list[int]] = {}
    by_program: dict[str, list[int]] = {}
    by_size: dict[str, list[int]] = {}
    payable = (
        "approved",
        "publicized",
        "paid",
        "bounced",
        "account_fixed",
        "held",
        "first_reviewed",
        "confirmed",
        "notified",
        "screened",
        "applied",
    )
    for r in rows:
        for bucket, key in (
            (by_state, r["state"]),
            (by_program, r["program"]),
            (by_size, r["size_class"] or "—"),
        ):
            n, fen = bucket.setdefault(key, [0, 0])
            bucket[key] = [n + r["n"], fen + (int(r["fen"]) if r["state"] in payable else 0)]
    bal = led(request).balances()
    # 已发放 is money sent (not a payment not yet in a bank file, nor one withdrawn); its net, of bounces and
    # recoveries received (``Ledger.balances``: sent_fen, net_sent_fen)
    paid = sum(b["sent_fen"] for b in bal)
    net = sum(b["net_sent_fen"] for b in bal)
    state_order = [s for s in STATE_ZH if s in by_state]
    charts = [
        hbar_chart(
            "各状态决定数",
            [(STATE_ZH[s], by_state[s][0]) for s in state_order],
            measure=count("个"),
            chart_id="chart-state",
        ),
        bar_chart(
            "各项目应发金额",
            [(labels.get(p, p), v[1]) for p, v in sorted(by_program.items())],
            measure=MONEY,
            x_label="项目",
            y_label="金额",
            chart_id="chart-program",
        ),
        bar_chart(
            "各企业划型决定数",
            [(SIZE_ZH.get(s, "未划型"), v[0]) for s, v in sorted(by_size.items())],
            measure=count("个"),
            x_label="企业划型",
            y_label="决定数",
            chart_id="chart-size",
        ),
    ]
    totals = {
        "decisions": sum(v[0] for v in by_state.values()),
        "entitled_fen": sum(v[1] for v in by_state.values()),
        "paid_fen": paid,
        "net_fen": net,
        "waiting_review": sum(by_state.get(s, [0, 0])[0] for s in ("confirmed", "applied", "first_reviewed")),
        "runs": len(jobs.jobs(led(request), limit=1000)),
    }
    table = [
        {"state": s, "zh": STATE_ZH[s], "n": by_state[s][0], "fen": by_state[s][1] if s in payable else None}
        for s in state_order
    ]
    programs = [{"program": labels.get(p, p), "n": v[0], "fen": v[1]} for p, v in sorted(by_program.items())]
    return page(request, "dashboard.html", charts=charts, totals=totals, table=table, programs=programs)


# ------------------------------------------------------------------ screening runs
def _folders(request: Request) -> list[str]:
    return list(jobs.folders(cfg(request)))


_REGION_WAIT = "需经办机构提供地区数据："


def _missing_settings(job: dict[str, Any]) -> list[dict[str, str]]:
    """The region settings a done run said were missing (its ``需经办机构提供地区数据：标签（名称）；…`` reasons), each
    with its Chinese label, unit and an example line for the 地区设置 field."""
    from wengang.settings import EXAMPLE_VALUE, setting_specs

    if job.get("state") != "done":
        return []
    specs = setting_specs()
    names: dict[str, None] = {}
    for r in job["summary"]["summary"].get("by_reason", []):
        text = str(r.get("text") or "")
        if text.startswith(_REGION_WAIT):
            for name in re.findall(r"（([A-Za-z0-9_.]+)）", text):
                names.setdefault(name, None)
    given = job["params"].get("settings") or {}
    return [{"name": n, "label": specs[n].label if n in specs else n,
             "example": f"{n}={EXAMPLE_VALUE.get(specs[n].unit if n in specs else 'text', '…')}"}
            for n in names if n not in given]


@router.get("/screening", include_in_schema=False)
def screening_runs(request: Request) -> Response:
    runs = jobs.jobs(led(request))
    # ``?from=<run>``: the form filled in as that run was started, with the region settings it lacked
    prior: dict[str, Any] | None = None
    missing: list[dict[str, str]] = []
    src = request.query_params.get("from", "")
    if src.isdigit() and 1 <= int(src) <= MAX_ID:
        try:
            prior = jobs.job(led(request), int(src))
        except LedgerError:
            prior = None
        missing = _missing_settings(prior) if prior else []
    return page(
        request,
        "screening_runs.html",
        runs=runs,
        folders=_folders(request),
        today=beijing_today().isoformat(),
        prior=prior["params"] if prior else {},
        prior_id=prior["id"] if prior else None,
        prior_settings="\n".join(f"{k}={v}" for k, v in ((prior or {}).get("params", {}).get("settings") or {}).items()),
        missing=missing,
        state_zh={"queued": "排队中", "running": "运行中", "done": "已完成", "failed": "失败"},
    )


def _settings(text: str) -> dict[str, str]:
    """The 地区设置 field: one ``名称=取值`` a line, each value checked as ``wengang screen --setting`` checks it
    (unit required: 元/分/%); a refusal names the line."""
    from wengang.settings import SettingError, parse_settings

    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        k, eq, v = line.partition("=")
        k, v = k.strip(), v.strip()
        if not eq or not k or not v:
            raise ApiError(422, "invalid_input", f"地区设置第 {n} 行应写成“名称=取值”：{line.strip()}",
                           f"region settings line {n} must be name=value: {line.strip()}", "settings")
        if k in out:
            raise ApiError(422, "invalid_input", f"地区设置第 {n} 行：{k} 已在前面给出",
                           f"region settings line {n}: {k} given twice", "settings")
        try:
            parse_settings({k: v})
        except SettingError as exc:
            zh, _, en = str(exc).partition(" / ")
            raise ApiError(422, "invalid_input", f"地区设置第 {n} 行（{line.strip()}）不予采用：{zh}",
                           f"region settings line {n} ({line.strip()}) refused: {en or zh}", "settings") from None
        out[k] = v
    return out


def _readings(text: str) -> dict[str, str]:
    out = {}
    for line in text.replace("；", "\n").replace(";", "\n").splitlines():
        if not line.strip():
            continue
        k, eq, v = line.partition("=")
        if not eq or not k.strip() or not v.strip():
            raise ApiError(
                422,
                "invalid_input",
                f"政策理解应写成“名称=取值”，每行一个：{line}",
                f"readings must be name=value, one per line: {line}",
                "readings",
            )
        out[k.strip()] = v.strip()
    return out


@router.post("/screening", include_in_schema=False)
async def screening_start(request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    folder = need(f, "folder", "数据目录")
    day = as_date(need(f, "date", "审核日期"), "date", "审核日期")
    params: dict[str, Any] = {
        "folder": folder,
        "date": day.isoformat() if day else None,
        "program": f.get("program") or "fanhuan",
        "year": as_int(f.get("year"), "year", "政策年度", lo=2000, hi=2100),
        "region": f.get("region") or None,
        "readings": _readings(f.get("readings", "")),
        "settings": _settings(f.get("settings", "")),
    }
    jid = await run_in_threadpool(jobs.start, led(request), cfg(request), params, p.actor)
    return back(f"/screening/{jid}")


def _ledger_ids(request: Request, program: str, year: int | None, codes: list[str]) -> dict[str, int]:
    if not codes or year is None:
        return {}
    rows = led(request).read(
        select(D.unit_id, D.id).where(
            D.program == program, D.year == year, D.unit_id.in_(codes), D.claim_key == ""
        )
    )
    return {r["unit_id"]: r["id"] for r in rows}


@router.get("/screening/{job_id}", include_in_schema=False)
def screening_run(job_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    import polars as pl

    job = jobs.job(led(request), job_id)
    q = request.query_params
    filters = {k: q.get(k) or "" for k in ("status", "reason", "size_class", "region")}
    result: dict[str, Any] | None = None
    reasons: dict[str, str] = {}
    choices: dict[str, str] = {}
    links: list[int | None] = []
    if job["state"] == "done":
        summary = job["summary"]["summary"]
        reasons = {r["code"]: r["text"] for r in summary["by_reason"]}
        # codes sharing one text (``?layoff``, ``?fund_reserve``: the same missing region figures) are one choice
        # in the 原因 list, the first code standing for them all
        same: dict[str, list[str]] = {}
        for code, text in reasons.items():
            same.setdefault(text, []).append(code)
        choices = {codes[0]: text for text, codes in same.items()}
        wanted: list[str] | None = None
        if filters["reason"]:
            text = reasons.get(filters["reason"])
            wanted = same[text] if text is not None else [filters["reason"]]
        current = page_number(request)
        result = jobs.results(
            led(request),
            job_id,
            status=filters["status"] or None,
            reason=wanted,
            size_class=filters["size_class"] or None,
            region=filters["region"] or None,
            page=current,
            page_size=PAGE_SIZE,
        )
        # the full codes of this page's rows, to link each to its decision once the run is in the ledger
        out = jobs.out_dir(led(request), job_id)
        lf = pl.scan_parquet(out / "results.parquet")
        for col, v in (("status", filters["status"]), ("size_class", filters["size_class"])):
            if v:
                lf = lf.filter(pl.col(col).cast(pl.String) == v)
        if wanted:
            lf = lf.filter(jobs.reason_matches(wanted))
        if filters["region"]:
            lf = lf.filter(pl.col("region_code").str.starts_with(filters["region"]))
        codes = (
            lf.select("credit_code")
            .slice((current - 1) * PAGE_SIZE, PAGE_SIZE)
            .collect()["credit_code"]
            .to_list()
        )
        year = job["params"].get("year") or date.fromisoformat(job["params"]["date"]).year
        ids = _ledger_ids(request, job["params"].get("program", "fanhuan"), year, codes)
        links = [ids.get(c) for c in codes]
        for row, did in zip(result["items"], links, strict=True):
            row["decision_id"] = did
            codes_ = [c for c in str(row["reasons"] or "").replace(",", ";").split(";") if c]
            row["reason_text"] = "；".join(dict.fromkeys(reasons.get(c, c) for c in codes_))  # each text once
        result["pager"] = pager(request, result["total"], current)
    return page(
        request,
        "screening_run.html",
        job=job,
        result=result,
        filters=filters,
        reasons=choices,
        missing=_missing_settings(job),
        statuses=STATUS_ZH,
        sizes=SIZE_ZH,
        refresh=job["state"] in ("queued", "running"),
        imported=any(links),
    )


@router.post("/screening/{job_id}/import", include_in_schema=False)
async def screening_import(job_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    from wengang.casework.intake import read_screening_output, trusted_keys_of

    p = current_principal(request)

    def write() -> None:
        si = read_screening_output(jobs.out_dir(led(request), job_id), trusted_keys=trusted_keys_of(led(request)))
        led(request).import_decisions(si.run, si.frame, p.login)

    await run_in_threadpool(write)
    return back(f"/screening/{job_id}", "imported")


# ------------------------------------------------------------------ decisions
def _filter(request: Request) -> query.Filter:
    q = request.query_params
    return query.Filter(
        states=query.parse_states([s for s in q.getlist("state") if s]),
        program=q.get("program") or None,
        year=as_int(q.get("year"), "year", "年度", lo=2000, hi=2100),
        region=q.get("region") or None,
        size_class=query.parse_size_class(q.get("size_class") or None),
        reason=q.get("reason") or None,
        unit=q.get("unit") or None,
    )


@router.get("/decisions", include_in_schema=False)
def decisions(request: Request) -> Response:
    f = _filter(request)
    current = page_number(request)
    n, total = led(request).read(query.select_summary(f))[0].values()
    rows = led(request).read(query.select_decisions(f).limit(PAGE_SIZE).offset((current - 1) * PAGE_SIZE))
    q = request.query_params
    return page(
        request,
        "decisions.html",
        rows=rows,
        total_fen=int(total),
        pager=pager(request, int(n), current),
        states=STATE_ZH,
        sizes=SIZE_ZH,
        programs=_labels(),
        filters={k: q.get(k) or "" for k in ("program", "year", "region", "size_class", "reason", "unit")},
        chosen_states=set(q.getlist("state")),
    )


def _first_review_states(d: dict[str, Any]) -> frozenset[str]:
    return TRANSITIONS["first_review"].allowed(procedure(d["policy_doc"], d["program"]).confirmation_required)


def _readings_zh(readings: dict[str, Any]) -> list[str]:
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()  # registers the interpretation switches

    out = []
    for k, v in readings.items():
        try:
            s = interpretations.get(k)
            out.append(f"{s.title}：{s.describe(v)}")
        except (KeyError, LookupError, ValueError):
            out.append(f"{k} = {v}")
    return out


def _reading_results(d: dict[str, Any]) -> list[str]:
    if d["entitlement"]["status"] != "needs_decision" or not d.get("outcomes"):
        return []
    from wengang.documents.letters import reading_results

    return reading_results({"outcomes": d["outcomes"], "readings": d["readings"]})


def _adoptable(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The open questions a 待认定 decision's kept results differ by (decisions §135), each with its readings, for the
    认定政策理解 form (``Ledger.adopt_readings``, as ``case adopt``): none when it keeps no results or is not pending."""
    if d["state"] != "pending_determination" or d["entitlement"]["status"] != "needs_decision" or not d.get("outcomes"):
        return []
    from wengang.documents.letters import DocumentError, outcome_list, varying_switches
    from wengang.rules import interpretations

    try:
        outcomes = outcome_list({"outcomes": d["outcomes"], "readings": d["readings"]})
    except DocumentError:
        return []
    out = []
    for k in varying_switches(outcomes):
        try:
            sw = interpretations.get(k)
        except KeyError:  # a switch this system does not know: the form cannot offer it (the CLI says why)
            return []
        out.append({"switch": k, "title": sw.title, "options": [(v, sw.describe(v)) for v in sw.readings],
                    "default": sw.default})
    return out


@router.get("/decisions/{decision_id}", include_in_schema=False)
def decision_page(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    from .common import cite_url

    p = current_principal(request)
    d = led(request).decision(decision_id)
    own_decision(p, decision_id, d["unit_id"])
    reviews = led(request).read(
        select(V.stage, V.reviewer, V.approve, V.reason).where(V.decision_id == decision_id).order_by(V.stage)
    )
    if p.kind != "operator":  # a unit or person is told a review was done, by the office, not by which login (§103)
        reviews = [{**r, "reviewer": "经办机构"} for r in reviews]
    changes = led(request).account_changes(decision_id=decision_id) if p.kind == "operator" else []
    full = may_approve_accounts(p)  # the 复核 compares the requested number with the unit's papers (§103)
    for c in changes:
        c["account_shown"] = c["account_no"] if full else mask_account_for_display(c["account_no"])
    roles = set(p.roles)
    # a document that asks no confirmation (内人社发〔2025〕18号 四 “无需企业申请”): the page says so, and keeps the form
    # only as the way to give or correct an account (session 40: the portal had said 已告知待确认 as if it were needed)
    needs_confirmation = procedure(d["policy_doc"], d["program"]).confirmation_required
    may_answer = d["state"] == "notified" and (p.kind != "operator" or "caseworker" in roles)
    can = {
        "confirm": may_answer and needs_confirmation,
        "decline": may_answer,
        "first_review": "caseworker" in roles and d["state"] in _first_review_states(d),
        "second_review": "reviewer" in roles
        and d["state"] == "first_reviewed"
        and not any(r["stage"] == 1 and r["reviewer"] == p.login for r in reviews),
        "approve_account": "reviewer" in roles,
        # the 出纳 requests a payee account (补录/更改 before payment, 更正 after a bounce), as
        # ``POST /api/v1/decisions/{id}/account`` does; a 复核 other than the requester approves it (four eyes)
        "account": operator_may(p, "account") and _account_kind(d["state"]) is not None,
    }
    may_resolve = operator_may(p, "resolve")
    adoptable = _adoptable(d) if may_resolve else []
    can["adopt"] = bool(adoptable)
    can["resolve"] = may_resolve and d["state"] == "pending_determination"
    from wengang.casework.states import action_zh

    history = (
        [{**h, "action_zh": action_zh(h["action"]), "reason": mask_text(h["reason"] or "")} for h in d["history"]]
        if p.kind == "operator"
        else []
    )
    shown_id = d["unit_id"] if p.kind != "operator" else mask_id(d["unit_id"])
    operator = p.kind == "operator"
    resp = page(
        request,
        "decision.html",
        audience=audience_of(p),  # reasons and explanation: the office's hints for a caseworker only
        risk_pending=_risk_pending_rows(d) if operator else [],
        returns=_payment_returns(d) if operator else {},
        fates=_payment_fates(d) if not operator else {},
        d=d,
        shown_id=shown_id,
        reviews=reviews,
        changes=changes,
        can=can,
        history=history,
        account_kind=_account_kind(d["state"]),
        program_label=_labels().get(d["program"], d["program"]),
        # a paid decision as its payments stand (in a batch, not yet in a bank file: not 已发放)
        state_shown=decision_state_zh(d["state"], d["hold_reason"], [x["fate"] for x in d["payments"]],
                                      confirmation_required=needs_confirmation),
        basis_url=cite_url(d["policy_doc"], d["clause"]),
        readings=_readings_zh(d["readings"]),
        # a 待认定's result under each understanding, as its 告知书 lists them (decisions §135)
        reading_results=_reading_results(d),
        adoptable=adoptable,
        explanation_lines=[x for x in (d["explanation"] or "").splitlines() if x.strip()],
        account=mask_account_for_display(d["account_no"]),
        portal=p.kind != "operator",
    )
    if full and changes:
        resp.headers["Cache-Control"] = "no-store"  # a full account number: not kept by the browser's cache
    return resp


def operator_may(p: Principal, code: str) -> bool:
    """The signed-in operator holds the role the ledger's matrix gives step ``code`` (``access.action``): the page
    offers a step's form only to whom ``access.ROUTES`` lets post it (the JSON API's check)."""
    from ..access import action

    return p.kind == "operator" and bool(set(p.roles) & action(code))


def _account_kind(state: str) -> str | None:
    """Which payee-account request a decision in ``state`` takes (``Ledger.set_account`` / ``fix_account``): ``fix``
    after a bounce, ``set`` before payment, None when neither applies (paid, ended)."""
    from wengang.casework.states import TERMINAL

    if state == "bounced":
        return "fix"
    if state in TERMINAL or state in ("paid", "account_fixed"):
        return None
    return "set"


@router.post("/decisions/{decision_id}/account", include_in_schema=False)
async def decision_account(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    """The 出纳 requests a payee account for a decision (``Ledger.set_account``, or ``fix_account`` after a bounce,
    as ``POST /api/v1/decisions/{id}/account``): a change request that a 复核 other than the requester approves on
    the review queue or this decision's page; nothing is paid to it before."""
    p = current_principal(request)
    f = await form(request)
    account = need(f, "account_no", "收款账号")
    if not account.isdigit() or not 6 <= len(account) <= 32:
        raise ApiError(422, "invalid_input", "收款账号应为 6 到 32 位数字", "account number: 6 to 32 digits",
                       "account_no")
    reason = f.get("reason") or "补录或更改收款账户"
    if len(reason) > 500:
        raise ApiError(422, "invalid_input", "理由不超过 500 字", "reason: at most 500 characters", "reason")

    def write() -> None:
        d = led(request).decision(decision_id)
        step = led(request).fix_account if d["state"] == "bounced" else led(request).set_account
        step(decision_id, p.login, account_no=account, reason=reason)

    await run_in_threadpool(write)
    return back(f"/decisions/{decision_id}", "account_requested")


def _risk_pending_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The decision's confirmed risk flags whose recovery waits for the bank's answer (``risk_recovery_pending`` of
    ``Ledger.decision``): the flag, the amount the 稽核 confirmed (None: all that was actually paid) and the payments
    with the bank, by their bank-file reference."""
    refs = {x["id"]: payment_reference(d["id"], x["seq"], x["kind"]) for x in d["payments"]}
    return [
        {**w, "references": [refs.get(i, str(i)) for i in w.get("payment_ids") or []]}
        for w in d.get("risk_recovery_pending") or []
    ]


def payment_fate_zh(x: dict[str, Any], audience: str = RECIPIENT) -> str:
    """A payment row of ``Ledger.decision`` as its fate reads in Chinese (``FATE_ZH``); a return's reason through
    the ``recipient`` filter unless the reader is a caseworker (the JSON API says the same)."""
    said = FATE_ZH.get(x["fate"], x["fate"])
    if x["fate"] == "returned":
        why = mask_text(for_audience(x["return_reason"], audience)).rstrip("。")
        said = f"{said}（{why}）" if why else said
    return said


def _payment_returns(d: dict[str, Any]) -> dict[int, str]:
    """Payment id → why it did not stay paid, as the office recorded it (the caseworker's column 退回或撤回): a
    bounce's reason, or the withdrawal of a payment never sent (a confirmed risk flag's ``撤回：…``, the credit
    check's); a bounce the bank contradicted and a 复核 found void is said void (as the bank-files page says).
    Identifiers a reason quotes (a 稽核's, from a flag's evidence) are masked (``mask_text``, decisions §28)."""
    out: dict[int, str] = {}
    for x in d["payments"]:
        if x["return_reason"] is not None:
            out[x["id"]] = mask_text(x["return_reason"])
        elif x["void_return_reason"] is not None:
            out[x["id"]] = mask_text(x["void_return_reason"]) + "（经复核核实已入账，退回作废，不计为退回）"
    return out


def _payment_fates(d: dict[str, Any]) -> dict[int, str]:
    """Payment id → what happened to it, as the unit or person reads it (``payment_fate_zh`` of each payment's
    ``fate``, which ``Ledger.decision`` computes in one place)."""
    return {x["id"]: payment_fate_zh(x) for x in d["payments"]}


def _portal_actor(request: Request, p: Principal, verb: str) -> tuple[str, str]:
    """The ledger actor and the reason's prefix (as the JSON API: a unit acts through the portal operator)."""
    if p.kind == "operator":
        return p.login, "经办人员代为登记："
    who = "单位" if p.kind == "unit" else "个人"
    return cfg(request).portal_operator, f"{who}账户 {p.login}（{mask_id(p.subject)}）网上{verb}："


def _where_after(p: Principal, decision_id: int) -> str:
    return "/unit" if p.kind == "unit" else "/person" if p.kind == "person" else f"/decisions/{decision_id}"


@router.post("/decisions/{decision_id}/confirm", include_in_schema=False)
async def decision_confirm(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    if f.get("agree") != "yes":
        raise ApiError(422, "invalid_input", "请勾选“确认接受”后再提交", "tick the confirmation box", "agree")
    account = f.get("account_no") or None
    if account is not None and (not account.isdigit() or not 6 <= len(account) <= 32):
        raise ApiError(
            422,
            "invalid_input",
            "收款账号应为 6 到 32 位数字",
            "account number: 6 to 32 digits",
            "account_no",
        )

    def write() -> None:
        d = led(request).decision(decision_id)
        own_decision(p, decision_id, d["unit_id"])
        actor, why = _portal_actor(request, p, "确认")
        led(request).confirm(
            decision_id,
            actor,
            amount_fen=d["entitlement"]["amount_fen"],
            account_no=account,
            reason=why + "单位确认接受",
        )

    await run_in_threadpool(write)
    return back(_where_after(p, decision_id), "confirmed")


@router.post("/decisions/{decision_id}/decline", include_in_schema=False)
async def decision_decline(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    reason = f.get("reason") or "单位选择放弃"
    if len(reason) > 500:
        raise ApiError(
            422, "invalid_input", "放弃理由不超过 500 字", "reason: at most 500 characters", "reason"
        )

    def write() -> None:
        d = led(request).decision(decision_id)
        own_decision(p, decision_id, d["unit_id"])
        actor, why = _portal_actor(request, p, "放弃")
        led(request).decline(decision_id, actor, reason=why + reason)

    await run_in_threadpool(write)
    return back(_where_after(p, decision_id), "declined")


def _review_fields(f: dict[str, str]) -> tuple[int, bool, str]:
    stage = as_int(need(f, "stage", "审核环节"), "stage", "审核环节", lo=1, hi=2)
    verdict = need(f, "verdict", "审核意见")
    if verdict not in ("approve", "reject"):
        raise ApiError(
            422,
            "invalid_input",
            "审核意见应为“通过”或“不通过”",
            "verdict must be approve or reject",
            "verdict",
        )
    reason = need(f, "reason", "审核理由")
    if len(reason) > 500:
        raise ApiError(
            422, "invalid_input", "审核理由不超过 500 字", "reason: at most 500 characters", "reason"
        )
    assert stage is not None
    return stage, verdict == "approve", reason


@router.post("/decisions/{decision_id}/review", include_in_schema=False)
async def decision_review(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    p = current_principal(request)
    stage, approve, reason = _review_fields(await form(request))
    step = led(request).first_review if stage == 1 else led(request).second_review
    await run_in_threadpool(lambda: step(decision_id, p.login, approve=approve, reason=reason))
    return back(f"/decisions/{decision_id}", f"reviewed{stage}")


@router.post("/decisions/{decision_id}/readings", include_in_schema=False)
async def decision_readings(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    """认定政策理解: the 待认定 decision takes the rules' own result under the readings chosen (``Ledger.adopt_readings``,
    as ``wengang case adopt``)."""
    p = current_principal(request)
    f = await form(request)
    readings = {k.removeprefix("reading:"): v for k, v in f.items() if k.startswith("reading:") and v}
    if not readings:
        raise ApiError(422, "invalid_input", "请为每个待认定的问题选择一种政策理解", "choose a reading for each open question",
                       "reading")
    reason = f.get("reason") or ""
    if len(reason) > 500:
        raise ApiError(422, "invalid_input", "认定理由不超过 500 字", "reason: at most 500 characters", "reason")
    await run_in_threadpool(lambda: led(request).adopt_readings(decision_id, p.login, readings=readings, reason=reason))
    return back(f"/decisions/{decision_id}", await _settled(request, decision_id, "adopted"))


@router.post("/decisions/{decision_id}/resolution", include_in_schema=False)
async def decision_resolution(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    """人工认定: the caseworker decides a 待认定 decision, with the amount in 元 where eligible (``Ledger.resolve``, as
    ``wengang case resolve``)."""
    from wengang.money import MoneyError, yuan_to_fen

    p = current_principal(request)
    f = await form(request)
    verdict = need(f, "verdict", "认定结论")
    if verdict not in ("eligible", "ineligible"):
        raise ApiError(422, "invalid_input", "认定结论应为“符合条件”或“不符合条件”", "verdict: eligible or ineligible",
                       "verdict")
    reason = need(f, "reason", "认定理由")
    if len(reason) > 500:
        raise ApiError(422, "invalid_input", "认定理由不超过 500 字", "reason: at most 500 characters", "reason")
    amount: int | None = None
    if verdict == "eligible":
        text = need(f, "amount_yuan", "认定金额（元）").removesuffix("元")
        try:
            amount = yuan_to_fen(text)
        except MoneyError as exc:  # (its text is "中文 / English")
            zh, _, en = str(exc).partition(" / ")
            raise ApiError(422, "invalid_input", f"认定金额（元）无法读取：{zh}", f"amount in yuan: {en or zh}",
                           "amount_yuan") from None
        if amount < 0:
            raise ApiError(422, "invalid_input", "认定金额不能为负数", "the amount must not be negative", "amount_yuan")
    await run_in_threadpool(lambda: led(request).resolve(decision_id, p.login, eligible=verdict == "eligible",
                                                         amount_fen=amount, reason=reason))
    return back(f"/decisions/{decision_id}", await _settled(request, decision_id, "resolved"))


async def _settled(request: Request, decision_id: int, done: str) -> str:
    """What the page says once a 待认定 decision is settled: a screened one goes on to 告知 and 审核, an application
    (its state ``applied``) to 初审."""
    state = (await run_in_threadpool(lambda: led(request).decision(decision_id)))["state"]
    return f"{done}_applied" if state == "applied" else done


# ------------------------------------------------------------------ review queue
@router.get("/queues/review", include_in_schema=False)
def review_queue(request: Request) -> Response:
    p = current_principal(request)
    roles = set(p.roles)
    cols = (
        D.id,
        D.unit_id,
        D.unit_name,
        D.program,
        D.year,
        D.state,
        query.amount_sql().label("amount_fen"),
        D.policy_doc,
        D.origin,
    )
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    if "caseworker" in roles:
        rows = led(request).read(
            select(*cols)
            .where(D.state.in_(("confirmed", "applied", "screened", "notified")))
            .order_by(D.id)
            .limit(500)
        )
        first = [r for r in rows if r["state"] in _first_review_states(r)][:200]
    if "reviewer" in roles:
        first_by = select(V.reviewer).where(V.decision_id == D.id, V.stage == 1).scalar_subquery()
        second = led(request).read(
            select(*cols, first_by.label("first_reviewer"))
            .where(D.state == "first_reviewed")
            .order_by(D.id)
            .limit(200)
        )
        changes = led(request).account_changes()
        full = may_approve_accounts(p)  # the 复核 compares the requested number with the unit's papers (§103)
        for c in changes:
            c["account_shown"] = c["account_no"] if full else mask_account_for_display(c["account_no"])
        credits = _credit_alarms(request)
    resp = page(
        request,
        "review_queue.html",
        first=first,
        second=second,
        changes=changes,
        credits=credits if "reviewer" in roles else [],
        me=p.login,
        programs=_labels(),
    )
    if changes:
        resp.headers["Cache-Control"] = "no-store"  # full account numbers for the 复核: not kept by the browser's cache
    return resp


@router.post("/queues/review", include_in_schema=False)
async def review_many(request: Request) -> Response:
    p = current_principal(request)
    data = await request.form()
    ids = sorted({int(v) for v in data.getlist("ids") if isinstance(v, str) and v.isdigit()})
    f = {k: str(v).strip() for k, v in data.items() if isinstance(v, str) and k not in ("csrf_token", "ids")}
    stage, approve, reason = _review_fields(f)
    if not ids:
        raise ApiError(422, "invalid_input", "请至少勾选一个决定", "select at least one decision", "ids")
    n = await run_in_threadpool(
        lambda: led(request).review_many(ids, p.login, stage=stage, approve=approve, reason=reason)
    )
    if n == 0:
        raise ApiError(
            409,
            "nothing_reviewed",
            "勾选的决定均不在可审核状态（或复审人与初审人相同），未审核任何决定",
            "none of the selected decisions could be reviewed",
        )
    return back("/queues/review", "reviewed_many")


@router.post("/queues/review/accounts", include_in_schema=False)
async def approve_account(request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    cid = as_int(need(f, "change_id", "账户变更编号"), "change_id", "账户变更编号", lo=1)
    verdict = need(f, "verdict", "复核意见")
    if verdict not in ("approve", "reject"):
        raise ApiError(
            422, "invalid_input", "复核意见应为“通过”或“退回”", "verdict must be approve or reject", "verdict"
        )
    assert cid is not None
    await run_in_threadpool(
        lambda: led(request).approve_account(
            cid, p.login, approve=verdict == "approve", reason=f.get("reason", "")
        )
    )
    nxt = f.get("next", "")
    return back(
        nxt if re.fullmatch(r"/decisions/\d+", nxt) else "/queues/review",
        "account_approved" if verdict == "approve" else "account_rejected",
    )


def _credit_alarms(request: Request) -> list[dict[str, Any]]:
    """Open credit-after-bounce alarms (the bank credited a payment recorded as bounced; no 复核 has checked it),
    as the ledger lists them on each decision (``credit_alarms``): the decision is not paid again until checked."""
    EV = AuditEvent.__table__.c
    ids = [
        int(r["entity_id"])
        for r in led(request).read(
            select(EV.entity_id)
            .where(EV.entity == "case_decisions", EV.action == CREDITED_AFTER_BOUNCE)
            .group_by(EV.entity_id)
            .order_by(func.min(EV.seq))
            .limit(500)
        )
    ]
    out: list[dict[str, Any]] = []
    for did in ids:
        d = led(request).decision(did)
        pays = {p["id"]: p for p in d["payments"]}
        for a in d["credit_alarms"]:
            p = pays.get(a["payment_id"]) or {}
            ref = payment_reference(did, p["seq"], p["kind"]) if p else str(a["payment_id"])
            out.append({**a, "unit_name": d["unit_name"], "state": d["state"], "amount_fen": p.get("amount_fen"),
                        "reference": ref})
    return out[:200]


@router.post("/queues/review/credit-check", include_in_schema=False)
async def credit_check(request: Request) -> Response:
    """A 复核 records the check of a credit after a bounce (``Ledger.check_credit_after_bounce``): the credit
    stands (the return is void, the payment counts as paid) or the bank corrected its line (the return stands)."""
    p = current_principal(request)
    f = await form(request)
    did = as_int(need(f, "decision_id", "决定编号"), "decision_id", "决定编号", lo=1, hi=MAX_ID)
    pid = as_int(f["payment_id"], "payment_id", "付款编号", lo=1, hi=MAX_ID) if f.get("payment_id") else None
    verdict = need(f, "verdict", "核实结果")
    if verdict not in ("credited", "corrected"):
        raise ApiError(
            422,
            "invalid_input",
            "核实结果应为“已入账（退回作废）”或“银行更正（退回成立）”",
            "verdict must be credited or corrected",
            "verdict",
        )
    reason = need(f, "reason", "核实情况")
    if len(reason) > 500:
        raise ApiError(422, "invalid_input", "核实情况不超过 500 字", "reason: at most 500 characters", "reason")
    assert did is not None
    await run_in_threadpool(
        lambda: led(request).check_credit_after_bounce(
            did, p.login, credited=verdict == "credited", reason=reason, payment_id=pid
        )
    )
    return back("/queues/review", "credit_confirmed" if verdict == "credited" else "credit_corrected")


# ------------------------------------------------------------------ 公示
@router.get("/publicity", include_in_schema=False)
def publicity_lists(request: Request) -> Response:
    L, E = PublicityList.__table__.c, PublicityEntry.__table__.c
    lists = led(request).read(
        select(L.id, L.list_key, L.program, L.year, L.starts_on, L.ends_on, func.count(E.id).label("n"))
        .select_from(PublicityList.__table__.outerjoin(PublicityEntry.__table__, E.list_id == L.id))
        .group_by(L.id)
        .order_by(L.id.desc())
    )
    from wengang.documents.publicity import publicity_subject

    for row in lists:  # a unit program lists units (家), a person program persons (人), as its 公示 document says
        row["count_text"] = f"{row['n']} 人" if publicity_subject(row["program"]) == "person" else f"{row['n']} 家"
    from wengang.casework.procedure import publicity_documents
    from wengang.casework.states import PUBLICITY_PROGRAMS

    approved = led(request).read(
        select(
            D.program,
            D.year,
            D.policy_doc,
            func.count().label("n"),
            func.coalesce(func.sum(query.amount_sql()), 0).label("fen"),
        )
        .where(D.state == "approved")
        .group_by(D.program, D.year, D.policy_doc)
    )
    # only a decision whose own document has a 公示 step awaits one (the ledger refuses the others a list,
    # ``no_publicity_step``: 技能提升补贴 is paid once 复审 approves it)
    groups: dict[tuple[bool, str, int], dict[str, Any]] = {}
    for r in approved:
        step = r["program"] in PUBLICITY_PROGRAMS or r["policy_doc"] in publicity_documents(r["program"])
        g = groups.setdefault((step, r["program"], r["year"]), {"program": r["program"], "year": r["year"], "n": 0,
                                                                 "fen": 0})
        g["n"] += int(r["n"])
        g["fen"] += int(r["fen"])
    waiting = [g for (step, _, _), g in sorted(groups.items()) if step]
    no_step = [g for (step, _, _), g in sorted(groups.items()) if not step]
    return page(
        request,
        "publicity.html",
        lists=lists,
        waiting=waiting,
        no_step=no_step,
        programs=_labels(),
        today=beijing_today().isoformat(),
        suggested=f"GS-{beijing_today():%Y%m%d}-{uuid.uuid4().hex[:4].upper()}",
    )


@router.post("/publicity", include_in_schema=False)
async def publicity_create(request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    key = need(f, "list_key", "公示名单编号")
    if len(key) > 64:
        raise ApiError(
            422,
            "invalid_input",
            "公示名单编号不超过 64 个字符",
            "list key: at most 64 characters",
            "list_key",
        )
    program = need(f, "program", "项目")
    year = as_int(need(f, "year", "年度"), "year", "年度", lo=2000, hi=2100)
    start = as_date(need(f, "starts_on", "公示开始日期"), "starts_on", "公示开始日期")
    days = as_int(need(f, "days", "公示天数"), "days", "公示天数", lo=1, hi=90)
    assert year is not None and start is not None and days is not None
    from wengang.casework.ledger import check_publicity_start

    late = (f.get("late_reason") or "").strip() or None
    check_publicity_start(start, late)
    from ..api_casework import publicity_warnings

    # as `case publicize`: not before the 复审 of what it lists; a paper list recorded later is taken with a warning
    warnings = await run_in_threadpool(lambda: publicity_warnings(led(request), program, year, start, late))
    n = await run_in_threadpool(
        lambda: led(request).publicize(key, program, year, p.login, starts_on=start, days=days, late_reason=late)
    )
    if n == 0:
        raise ApiError(
            409,
            "nothing_publicized",
            f"{year} 年度没有复审通过待公示的决定，公示名单 {key} 已建立但为空",
            "no approved decisions to publicize",
        )
    return back("/publicity", "publicized_before_review" if warnings else "publicized")


def _publicity_file(request: Request, list_key: str, kind: str) -> FileResponse:
    from wengang.casework.outputs import write_publicity
    from wengang.documents.errors import DocumentError

    folder = cfg(request).work_path / "publicity" / uuid.uuid4().hex[:12]
    try:
        xlsx, pdf, _ = write_publicity(led(request), list_key, Path(folder))
    except DocumentError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise ApiError(409, "document_refused", zh, en or zh) from None
    path = pdf if kind == "pdf" else xlsx
    media = (
        "application/pdf"
        if kind == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(path, media_type=media, filename=path.name)


@router.get("/publicity/{list_key}/pdf", include_in_schema=False)
def publicity_pdf(list_key: str, request: Request) -> FileResponse:
    return _publicity_file(request, list_key, "pdf")


@router.get("/publicity/{list_key}/xlsx", include_in_schema=False)
def publicity_xlsx(list_key: str, request: Request) -> FileResponse:
    return _publicity_file(request, list_key, "xlsx")


# ------------------------------------------------------------------ payment queue
def _payment_context(request: Request, p: Principal) -> dict[str, Any]:
    L, E = PublicityList.__table__.c, PublicityEntry.__table__.c
    ends = (
        select(func.max(L.ends_on))
        .select_from(PublicityList.__table__.join(PublicityEntry.__table__, E.list_id == L.id))
        .where(E.decision_id == D.id)
        .scalar_subquery()
    )
    reviewed_by_me = (
        select(func.count()).where(V.decision_id == D.id, V.reviewer == p.login).scalar_subquery()
    )
    rows = led(request).read(
        select(
            D.id,
            D.unit_id,
            D.unit_name,
            D.program,
            D.year,
            D.state,
            query.amount_sql().label("amount_fen"),
            D.account_no.is_not(None).label("has_account"),
            ends.label("publicity_ends"),
            reviewed_by_me.label("mine"),
        )
        .where(D.state.in_(("approved", "publicized", "account_fixed")))
        .order_by(D.id)
        .limit(500)
    )
    today = beijing_today()
    for r in rows:
        blockers = []
        if not r["has_account"]:
            blockers.append("无收款账户")
        if r["program"] == "fanhuan":
            pe = r["publicity_ends"]
            pe = date.fromisoformat(pe) if isinstance(pe, str) else pe
            if pe is None:
                blockers.append("未公示")
            elif pe >= today:
                blockers.append(f"公示期至 {pe} 未满")
        if r["mine"]:
            blockers.append("本人审核过，须由其他出纳发放")
        r["blockers"] = blockers
    groups = sorted({(r["program"], r["year"]) for r in rows})
    return {
        "rows": rows,
        "groups": groups,
        "programs": _labels(),
        "today": today.isoformat(),
        "suggested": f"P{today:%Y%m%d}-{uuid.uuid4().hex[:4].upper()}",
        "result": None,
    }


@router.get("/queues/payment", include_in_schema=False)
def payment_queue(request: Request) -> Response:
    return page(request, "payment_queue.html", **_payment_context(request, current_principal(request)))


@router.post("/queues/payment", include_in_schema=False)
async def payment_batch(request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    key = need(f, "batch_key", "批次编号")
    check_batch_key(key)  # the bank file's rule, before anything is paid (session 40)
    program, _, year_text = need(f, "group", "项目与年度").partition(":")
    year = as_int(year_text, "group", "年度", lo=2000, hi=2100)
    assert year is not None
    from wengang.inputs import check_program

    check_program(program)
    res = await run_in_threadpool(lambda: led(request).run_payment_batch(key, program, year, p.login))
    notes = []
    if res.missing_account:
        notes.append(f"{res.missing_account} 个缺收款账户未发放")
    if res.pending_account:
        notes.append(f"{res.pending_account} 个收款账户变更待复核")
    if res.reviewed_by_payer:
        notes.append(f"{res.reviewed_by_payer} 个为本人审核过的，须由其他出纳发放")
    refused = [{"decision_id": i, "zh": iss.zh} for i, iss in res.refused]
    result = {
        "batch_key": key,
        "paid": res.paid,
        "amount_fen": res.amount_fen,
        "notes": notes,
        "refused": refused,
    }
    # the queue again, the batch's result on top (reloading asks before posting again; and the same batch key
    # pays nobody twice)
    ctx = _payment_context(request, p)
    ctx["result"] = result
    return page(
        request,
        "payment_queue.html",
        notice=f"批次 {key}：发放 {res.paid} 笔，合计 {_yuan(res.amount_fen)}。",
        **ctx,
    )


def _yuan(fen: int) -> str:
    from wengang.money import format_yuan

    return format_yuan(fen)
