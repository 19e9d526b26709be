"""Pages for what the office checks and what left it: the 稽核's risk-flag queue (风险疑点核查), the notices sent
(the outbox) and the bank files with the bank's returns.

The queue's two steps call ``casework.risk_queue.clear_flag`` / ``confirm_flag`` (as ``wengang risk clear`` /
``risk confirm``): the ledger checks the 稽核 role again, and each verdict — with the recovery a confirmation
orders — is an audit event. The notices page lists the outbox and lets the 经办 push the 告知 and send it
(``Ledger.notify`` / ``deliver_outbox``, as ``POST /api/v1/notices/notify|send``); the bank-files page lists what left
and lets the 出纳 write a batch's bank file and give payee banks (``outputs.write_bank_file`` /
``Ledger.set_payee_banks``, as ``POST /api/v1/payments/batches/{key}/bank-file`` and ``POST /api/v1/payee-banks``),
with the API's roles (``access.ROUTES``) and CSRF.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import func, select

from wengang.beijing import beijing_today
from wengang.casework import risk_queue
from wengang.casework.ledger import WITHDRAWN, Ledger, payment_reference
from wengang.casework.models import (
    AuditEvent,
    BankConfirmation,
    BankFile,
    BankFileItem,
    Decision,
    OutboxMessage,
    Payment,
    PaymentBatch,
    PaymentReturn,
)
from wengang.casework.outputs import PASSED_REVIEW, REFUSED, UNDECIDED
from wengang.casework.risk_queue import RISK_RECOVERY_PENDING, RISK_RECOVERY_SETTLED
from wengang.documents.masking import mask_account_for_display

from ...documents.masking import mask_recipient, mask_text
from ..auth import current_principal, mask_id
from ..errors import MAX_ID, ApiError
from . import router
from .common import DONE, as_date, as_int, back, cfg, form, led, need, page, page_number, pager, yuan
from .office import operator_may

DONE.update(
    risk_cleared="疑点已排除，理由已记录。",
    risk_confirmed="疑点已核实：处理结果见该疑点的“核查结论”。",
)
RISK_PAGE = 50
_ID_SHAPE = re.compile(r"^(?:\d{17}[\dXx]|\d{15}|[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10})$")


def _shown(key: str, value: Any) -> Any:
    """An evidence value as the page shows it: an ID number or a credit code masked, an amount in fen also in 元,
    anything else as text with every 公民身份号码, mobile and account inside it masked (``mask_text``, decisions
    §28): a claim id ``150121196501013000/2024-05`` or a list of them shows ``1501**********3000/2024-05``."""
    if value is None:
        return "—"
    if isinstance(value, str) and _ID_SHAPE.match(value.strip()):
        return mask_id(value)
    if key.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,} 分（{yuan(value)}）"
    return mask_text(str(value))


def _money_steps(request: Request, flag_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the confirmation of each flag did to its decision's money, as the audit trail records it
    (``risk_queue.confirm_flag``): the payments not sent that it withdrew (``withdraw_payment``), the recovery that
    waits for the bank's answer on a payment sent (``risk_recovery_pending``) and how the bank's answer settled it
    (``risk_recovery_settled``). Flag id → {"withdrawn": [payment id], "pending": event after, "settled": …}."""
    if not flag_ids:
        return {}
    EV, P = AuditEvent.__table__.c, Payment.__table__.c
    wanted = set(flag_ids)
    rows = led(request).read(
        select(EV.action, EV.after)
        .where(EV.action.in_((WITHDRAWN, RISK_RECOVERY_PENDING, RISK_RECOVERY_SETTLED)))
        .where(EV.after.contains('"flag_id"', autoescape=True))
        .order_by(EV.seq)
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        after = json.loads(r["after"] or "null") or {}
        fid = after.get("flag_id")
        if fid not in wanted:
            continue
        steps = out.setdefault(fid, {"withdrawn": [], "pending": None, "settled": None})
        if r["action"] == WITHDRAWN:
            steps["withdrawn"] += [i for i in after.get("payment_ids") or [] if i not in steps["withdrawn"]]
        elif r["action"] == RISK_RECOVERY_PENDING:
            steps["pending"] = after
        else:
            steps["settled"] = after
    ids = {i for s in out.values() for i in s["withdrawn"] + _pending_ids(s)}
    refs = {}
    if ids:
        for p in led(request).read(select(P.id, P.decision_id, P.seq, P.kind).where(P.id.in_(sorted(ids)))):
            refs[p["id"]] = payment_reference(p["decision_id"], p["seq"], p["kind"])
    for steps in out.values():
        steps["withdrawn_refs"] = [refs.get(i, str(i)) for i in steps["withdrawn"]]
        steps["pending_refs"] = [refs.get(i, str(i)) for i in _pending_ids(steps)]
    return out


def _decision_states(request: Request, ids: list[int]) -> dict[int, str]:
    """Decision id → its state (for the advice on what ends a decision a confirmed flag stops)."""
    if not ids:
        return {}
    D = Decision.__table__.c
    return {r["id"]: r["state"] for r in led(request).read(select(D.id, D.state).where(D.id.in_(sorted(set(ids)))))}


def _pending_ids(steps: dict[str, Any]) -> list[int]:
    return list((steps["pending"] or {}).get("payment_ids") or [])


def _verdict(r: dict[str, Any], steps: dict[str, Any] | None = None, state: str | None = None) -> str:
    """What a flag's review decided and did, for the 稽核: 排除; or, confirmed, the payments withdrawn before they
    were sent, the recovery ordered, waiting for the bank's answer, or settled by it; or the referral."""
    if r["status"] == "cleared":
        return "已排除"
    if r["status"] != "confirmed":
        return ""
    did = r["decision_id"]
    if not did:
        return "台账中无对应决定：已记录，移交原发放机构处理"
    steps = steps or {}
    parts = []
    if steps.get("withdrawn"):
        parts.append(f"已撤回未报盘的付款 {'、'.join(steps['withdrawn_refs'])}（不再报盘、不予追回）")
    settled, pending = steps.get("settled"), steps.get("pending")
    if settled:
        parts.append(
            f"银行已回盘：已对决定 {did} 下达追回 {yuan(settled.get('amount_fen'))}（追回单 {settled['recovery_id']}）"
            if settled.get("recovery_id")
            else f"银行已回盘：决定 {did} 无须追回（"
            f"{Ledger.WHY_NOTHING_ZH.get(settled.get('why') or '', '款项已退回，或已另行追回')}）"
        )
    elif pending:
        parts.append(
            f"决定 {did} 的付款 {'、'.join(steps['pending_refs'])} 已报盘、银行尚未回盘：追回待银行回盘，"
            "回盘退回的无须追回，回盘入账的按实际入账金额追回"
        )
    elif r["recovery_id"]:
        parts.append(f"已对决定 {did} 下达追回（追回单 {r['recovery_id']}）")
    else:
        # what ends the decision now (a confirmed flag is never cleared): the one advice every screen gives
        advice = risk_queue.confirmed_flag_advice(did, state)[0] if state else "请依决定的状态撤销核准或在审核中不予通过"
        parts.append(f"决定 {did} 尚无可追回的已发金额：{advice}")
    return "；".join(parts)


# ------------------------------------------------------------------ 风险疑点核查
@router.get("/risk", include_in_schema=False)
def risk_queue_page(request: Request) -> Response:
    from wengang.risk.registry import CHECKS, SEVERITIES

    q = request.query_params
    status = q.get("status", "open")
    filters: dict[str, Any] = {
        "status": [status] if status else [],
        "check": [q["check"]] if q.get("check") else [],
        "severity": [q["severity"]] if q.get("severity") else [],
        "region": q.get("region") or None,
    }
    if filters["check"] and filters["check"][0] not in CHECKS:
        raise ApiError(422, "invalid_input", f"未知核查项：{filters['check'][0]}", "unknown check", "check")
    if filters["severity"] and filters["severity"][0] not in SEVERITIES:
        raise ApiError(
            422, "invalid_input", f"风险等级只能是 {'、'.join(SEVERITIES)}", "unknown severity", "severity"
        )
    current = page_number(request)
    total = risk_queue.count_flags(led(request), **filters)
    rows = risk_queue.list_flags(led(request), **filters, limit=RISK_PAGE, offset=(current - 1) * RISK_PAGE)
    shown = _shown_flag(request)
    confirmed = [r["id"] for r in rows if r["status"] == "confirmed" and r["decision_id"]]
    if shown is not None and shown["status"] == "confirmed" and shown["decision_id"]:
        confirmed.append(shown["id"])
    steps = _money_steps(request, confirmed)
    states = _decision_states(request, [r["decision_id"] for r in [*rows, *([shown] if shown else [])]
                                        if r["status"] == "confirmed" and r["decision_id"]])
    for r in rows:
        labels = CHECKS[r["check_id"]].evidence if r["check_id"] in CHECKS else {}
        r["evidence_rows"] = [(labels.get(k, k), _shown(k, v)) for k, v in r["evidence"].items()]
        r["subject_shown"] = mask_id(r["subject_id"])
        # free text may quote the evidence (a 稽核's reason naming the claim): identifiers masked as in the evidence
        r["subject_name"] = mask_text(r["subject_name"] or "")
        r["review_reason"] = mask_text(r["review_reason"] or "")
        r["verdict"] = mask_text(_verdict(r, steps.get(r["id"]), states.get(r["decision_id"])))
    context: dict[str, Any] = {}
    # after a verdict: what it did (the flag may be off the list as it is filtered)
    if shown is not None and shown["status"] != "open":
        context["notice"] = mask_text(
            f"疑点已核实（疑点编号 {shown['id']}）：{_verdict(shown, steps.get(shown['id']), states.get(shown['decision_id']))}。"
            if shown["status"] == "confirmed"
            else f"疑点已排除（疑点编号 {shown['id']}），理由已记录。"
        )
    p = current_principal(request)
    return page(
        request,
        "risk_queue.html",
        **context,
        rows=rows,
        pager=pager(request, total, current, RISK_PAGE),
        checks={k: c.label for k, c in CHECKS.items()},
        severities=SEVERITIES,
        statuses=risk_queue.STATUS_ZH,
        filters={
            "status": status,
            "check": q.get("check", ""),
            "severity": q.get("severity", ""),
            "region": q.get("region", ""),
        },
        can_review="auditor" in p.roles,
    )


def _shown_flag(request: Request) -> dict[str, Any] | None:
    """The flag a verdict just settled (``?flag=<id>`` after ``?done=risk_…``), from the ledger; None without one."""
    q = request.query_params
    if q.get("done") not in ("risk_confirmed", "risk_cleared") or not (q.get("flag") or "").isdigit():
        return None
    found = risk_queue.list_flags(led(request), ids=[int(q["flag"])])
    return found[0] if found else None


def _reason(f: dict[str, str], label: str) -> str:
    reason = need(f, "reason", label)
    if len(reason) > 500:
        raise ApiError(
            422, "invalid_input", f"{label}不超过 500 字", "reason: at most 500 characters", "reason"
        )
    return reason


def _back_to_queue(f: dict[str, str], done: str, flag_id: int) -> Response:
    """Back to the queue as it was filtered, naming the flag the verdict settled (its page says what it did)."""
    nxt = f.get("next", "")
    url = nxt if re.fullmatch(r"/risk(\?[\w=&%.\-]*)?", nxt) else "/risk"
    url = re.sub(r"(?<=[?&])(?:flag|done)=[^&]*&?", "", url).rstrip("?&")
    return back(url + ("&" if "?" in url else "?") + f"flag={flag_id}", done)


@router.post("/risk/{flag_id}/clear", include_in_schema=False)
async def risk_clear(flag_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    reason = _reason(f, "排除理由")
    await run_in_threadpool(lambda: risk_queue.clear_flag(led(request), flag_id, p.login, reason=reason))
    return _back_to_queue(f, "risk_cleared", flag_id)


@router.post("/risk/{flag_id}/confirm", include_in_schema=False)
async def risk_confirm(flag_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request) -> Response:
    from wengang.money import MoneyError, yuan_to_fen

    p = current_principal(request)
    f = await form(request)
    reason = _reason(f, "核实情况")
    amount_fen = None
    if f.get("amount_yuan"):
        try:
            amount_fen = yuan_to_fen(f["amount_yuan"])
        except (MoneyError, ValueError, ArithmeticError):
            raise ApiError(
                422,
                "invalid_input",
                f"追回金额应为元，至多两位小数：{f['amount_yuan']}",
                "amount: yuan with at most two decimals",
                "amount_yuan",
            ) from None
    await run_in_threadpool(
        lambda: risk_queue.confirm_flag(led(request), flag_id, p.login, reason=reason, amount_fen=amount_fen)
    )
    return _back_to_queue(f, "risk_confirmed", flag_id)


# ------------------------------------------------------------------ notices (outbox)
LETTER_STATES = PASSED_REVIEW | REFUSED | UNDECIDED
OUTBOX_STATE_ZH = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
CHANNEL_ZH = {"sms": "短信", "portal": "网上办事大厅", "letter": "书面告知书"}
TEMPLATE_ZH = {
    "offer": "告知（待确认）",
    "inform": "告知（无需申请）",
    "reminder": "提醒确认",
    "declined": "放弃确认",
    "bounced": "退回通知",
    "paid": "到账通知",
}


@router.get("/notices", include_in_schema=False)
def notices_page(request: Request) -> Response:
    OB = OutboxMessage.__table__.c
    state = request.query_params.get("state") or ""
    if state and state not in OUTBOX_STATE_ZH:
        raise ApiError(
            422,
            "invalid_input",
            f"发送状态只能是 {'、'.join(OUTBOX_STATE_ZH.values())}",
            "unknown state",
            "state",
        )
    current = page_number(request)
    cond = [OB.state == state] if state else []
    counts = {r["state"]: r["n"] for r in led(request).read(
        select(OB.state, func.count().label("n")).group_by(OB.state))}  # fmt: skip
    total = counts.get(state, 0) if state else sum(counts.values())
    D = Decision.__table__.c
    rows = led(request).read(
        select(OB.id, OB.decision_id, OB.template, OB.channel, OB.recipient, OB.state, OB.attempts, OB.sent_at,
               OB.last_error, D.state.label("decision_state"))
        .select_from(OutboxMessage.__table__.join(Decision.__table__, D.id == OB.decision_id))
        .where(*cond)
        .order_by(OB.id.desc())
        .limit(50)
        .offset((current - 1) * 50)
    )  # fmt: skip
    for m in rows:  # a letter only for a decision made (``outputs.letter_input``); the API refuses the others
        m["letter"] = m["decision_state"] in LETTER_STATES
        m["recipient_shown"] = mask_recipient(m["recipient"])  # a person's mobile or ID number masked
    p = current_principal(request)
    # the 经办's step on this page: 推送告知 for the screened decisions, by program and year (``Ledger.notify``)
    screened = led(request).read(
        select(D.program, D.year, func.count().label("n"))
        .where(D.state == "screened")
        .group_by(D.program, D.year)
        .order_by(D.program, D.year)
    ) if operator_may(p, "notify") else []
    from wengang.policies.required import PROGRAM_LABELS

    return page(
        request,
        "notices.html",
        rows=rows,
        counts=counts,
        state=state,
        states=OUTBOX_STATE_ZH,
        channels=CHANNEL_ZH,
        templates=TEMPLATE_ZH,
        pager=pager(request, total, current),
        can_letter="caseworker" in p.roles,
        can_notify=operator_may(p, "notify"),
        can_send=operator_may(p, "send"),
        screened=screened,
        programs=PROGRAM_LABELS,
    )


@router.post("/notices/notify", include_in_schema=False)
async def notices_notify(request: Request) -> Response:
    """推送告知 for the screened decisions of a program and year: ``Ledger.notify`` as ``POST
    /api/v1/notices/notify`` and ``wengang case notify`` (an offer to confirm where the document asks for it, a
    notice elsewhere); the messages wait in the outbox until sent."""
    from wengang.inputs import check_program

    p = current_principal(request)
    data = await request.form()
    f = {k: str(v).strip() for k, v in data.items() if isinstance(v, str) and k not in ("csrf_token", "channels")}
    program, _, year_text = need(f, "group", "项目与年度").partition(":")
    program = check_program(program)
    year = as_int(year_text, "group", "年度", lo=2000, hi=2100)
    deadline = as_date(f.get("deadline"), "deadline", "确认期限")
    channels = list(dict.fromkeys(str(v) for v in data.getlist("channels")))
    if not channels:
        raise ApiError(422, "invalid_input", "请至少选择一个告知渠道", "choose at least one channel", "channels")
    bad = [c for c in channels if c not in CHANNEL_ZH]
    if bad:
        raise ApiError(422, "invalid_input", f"告知渠道只能是 {'、'.join(CHANNEL_ZH.values())}",
                       f"unknown channel {bad[0]}", "channels")
    assert year is not None
    n = await run_in_threadpool(
        lambda: led(request).notify(program, year, p.login, deadline=deadline, channels=channels)
    )
    if n == 0:
        raise ApiError(409, "nothing_notified", f"{_program_zh(program)} {year} 年度没有已筛查待告知的决定，未推送告知",
                       f"no screened decisions of {program} {year} to notify")
    return back("/notices", "notified")


def _program_labels() -> dict[str, str]:
    from wengang.policies.required import PROGRAM_LABELS

    return dict(PROGRAM_LABELS)


def _program_zh(program: str) -> str:
    return _program_labels().get(program, program)


@router.post("/notices/send", include_in_schema=False)
async def notices_send(request: Request) -> Response:
    """发送待发消息, as ``POST /api/v1/notices/send`` (``Ledger.deliver_outbox``): through the SMS gateway when one is
    configured (WENGANG_NOTICE_GATEWAY), else into ``<work_dir>/outbox.jsonl`` (recipients masked)."""
    from wengang.casework.notices import FileSender, HttpSender

    p = current_principal(request)

    def write() -> Any:
        c = cfg(request)
        if c.notice_gateway:
            sender: Any = HttpSender(c.notice_gateway)
        else:
            c.work_path.mkdir(parents=True, exist_ok=True)
            sender = FileSender(c.work_path / "outbox.jsonl")
        try:
            return led(request).deliver_outbox(sender, limit=10_000, actor=p.login)
        finally:
            if isinstance(sender, HttpSender):
                sender.close()

    await run_in_threadpool(write)
    return back("/notices", "sent")


# ------------------------------------------------------------------ bank files and returns
@router.get("/bank-files", include_in_schema=False)
def bank_files_page(request: Request) -> Response:
    return page(request, "bank_files.html", **_bank_files_context(request))


def _bank_files_context(request: Request) -> dict[str, Any]:
    BF, IT, P = BankFile.__table__.c, BankFileItem.__table__.c, Payment.__table__.c
    B, C, RT = PaymentBatch.__table__.c, BankConfirmation.__table__.c, PaymentReturn.__table__.c
    ok = BankFileItem.__table__.join(BankConfirmation.__table__, C.payment_id == IT.payment_id)
    back_ = BankFileItem.__table__.join(PaymentReturn.__table__, RT.payment_id == IT.payment_id)
    # a return the bank contradicted and a 复核 found void is not money back (the ledger's own rule)
    counted = Ledger._returned()

    def per_file(col: Any, joined: Any, *cond: Any) -> Any:
        return select(col).select_from(joined).where(IT.file_id == BF.id, *cond).scalar_subquery()

    files = led(request).read(
        select(
            BF.id, BF.file_key, BF.value_date, BF.payer_account, BF.count, BF.total_fen, BF.sha256, B.batch_key,
            B.program, B.year,
            per_file(func.count(C.id), ok).label("ok_n"),
            per_file(func.coalesce(func.sum(C.amount_fen), 0), ok).label("ok_fen"),
            per_file(func.count(RT.id), back_, counted).label("back_n"),
            per_file(func.coalesce(func.sum(RT.amount_fen), 0), back_, counted).label("back_fen"),
        )
        .select_from(BankFile.__table__.join(PaymentBatch.__table__, B.id == BF.batch_id))
        .order_by(BF.id.desc())
        .limit(500)
    )  # fmt: skip
    for f in files:
        f["payer_masked"] = mask_account_for_display(f["payer_account"])
        f["outstanding"] = f["count"] - f["ok_n"] - f["back_n"]
    returns = led(request).read(
        select(C.return_sha256, C.bank_date, func.count(C.id).label("n"), func.sum(C.amount_fen).label("fen"))
        .group_by(C.return_sha256, C.bank_date)
        .order_by(C.bank_date.desc())
        .limit(200)
    )
    bounces = led(request).read(
        select(RT.id, RT.payment_id, RT.amount_fen, RT.reason, P.decision_id, (~counted).label("void"))
        .select_from(PaymentReturn.__table__.join(Payment.__table__, P.id == RT.payment_id))
        .order_by(RT.id.desc())
        .limit(200)
    )
    for b in bounces:  # a withdrawal's reason may quote a risk flag's evidence (the 稽核's): identifiers masked
        b["reason"] = mask_text(b["reason"] or "")
    p = current_principal(request)
    can_write = operator_may(p, "bank_file")
    batches = _batches_to_send(request) if can_write or operator_may(p, "account") else []
    for b in batches:  # the payer account the region's configuration gives (masked), or None: the field is required
        payer = _configured_payer(request, b["batch_key"]) if can_write else None
        b["payer_shown"] = mask_account_for_display(payer) if payer else None
    return {
        "files": files,
        "returns": returns,
        "bounces": bounces,
        "can_download": can_write,  # GET /api/v1/bank-files/{key}/{fmt}: the same role
        "can_write": can_write,
        "can_banks": operator_may(p, "account"),
        "batches": batches,
        # payments to send whose payee account has no bank code yet: the 出纳 gives it here (the account stays masked)
        "no_bank": _without_bank_code(request, batches) if operator_may(p, "account") else [],
        "today": beijing_today().isoformat(),
        "programs": _program_labels(),
        "result": None,
        "ret": None,
        "can_return": operator_may(p, "bounce"),
    }


def _configured_payer(request: Request, batch_key: str) -> str | None:
    """The payer account (失业保险基金支出户) the batch's regions are configured with, as ``write_bank_file`` takes it
    when the form gives none; None: not configured, the form must give it."""
    from wengang.casework.outputs import agency_config

    rows = led(request).bank_file_plan(batch_key)["payments"]
    return agency_config(r["region_code"] for r in rows).get("payer_account") or None if rows else None


def _batches_to_send(request: Request) -> list[dict[str, Any]]:
    """Payment batches with payments in no bank file yet (``Ledger._not_sent``), newest first."""
    B, P = PaymentBatch.__table__.c, Payment.__table__.c
    return led(request).read(
        select(B.batch_key, B.program, B.year, func.count(P.id).label("n"),
               func.coalesce(func.sum(P.amount_fen), 0).label("fen"))
        .select_from(PaymentBatch.__table__.join(Payment.__table__, P.batch_id == B.id))
        .where(Ledger._not_sent())
        .group_by(B.id, B.batch_key, B.program, B.year)
        .order_by(B.id.desc())
        .limit(200)
    )  # fmt: skip


def _without_bank_code(request: Request, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payments to send (``Ledger.bank_file_plan``) whose payee account has no bank code, at most 200."""
    out: list[dict[str, Any]] = []
    for b in batches:
        for r in led(request).bank_file_plan(b["batch_key"])["payments"]:
            if not r["bank_code"] and len(out) < 200:
                out.append({"batch_key": b["batch_key"], "payment_id": r["id"], "decision_id": r["decision_id"],
                            "unit_name": r["unit_name"], "account_shown": mask_account_for_display(r["account_no"])})
    return out


@router.post("/bank-files", include_in_schema=False)
async def bank_file_create(request: Request) -> Response:
    """生成银行报盘文件 for a payment batch, as ``POST /api/v1/payments/batches/{key}/bank-file`` and ``wengang case
    bank-file`` (``outputs.write_bank_file``): the batch's payments not yet sent, into one file kept under
    ``<work_dir>/bank-files`` and offered for download; payments held back are listed with their reasons."""
    from wengang.casework.outputs import write_bank_file

    from ..api_casework import _bank_dir, bank_file_result

    p = current_principal(request)
    f = await form(request)
    key = need(f, "batch_key", "发放批次")
    if len(key) > 64:
        raise ApiError(422, "invalid_input", "批次编号不超过 64 个字符", "batch key: at most 64 characters", "batch_key")
    payer = f.get("payer_account") or None
    if payer is not None and (not payer.isdigit() or not 6 <= len(payer) <= 32):
        raise ApiError(422, "invalid_input", "付款账号应为 6 到 32 位数字", "payer account: 6 to 32 digits",
                       "payer_account")
    on = as_date(f.get("value_date"), "value_date", "付款日期")
    if payer is None and not await run_in_threadpool(_configured_payer, request, key):
        raise ApiError(422, "payer_account_missing",
                       "本地区未配置付款账号（失业保险基金支出户），请在“付款账号”栏填写；报盘文件未生成",
                       "no payer account is configured for the region: fill in the payer account field", "payer_account")

    def write() -> dict[str, Any]:
        ledger = led(request)
        res = write_bank_file(ledger, key, _bank_dir(request), p.login, payer_account=payer, on=on)
        return bank_file_result(ledger, key, res)

    result = await run_in_threadpool(write)
    ctx = _bank_files_context(request)
    ctx["result"] = result
    return page(request, "bank_files.html", **ctx)  # the result's own section says what was written


@router.post("/bank-files/returns", include_in_schema=False)
async def bank_return_upload(request: Request) -> Response:
    """上传银行回盘文件, through the code path of ``POST /api/v1/bank-returns`` (``api_casework.apply_bank_return``).
    The form makes its own idempotency key from the file's SHA-256, so submitting the same file again shows the
    result it had and records nothing twice. Lines ending in a bare LF (a file saved by an editor) become CRLF, the
    form the return-file reader takes (docs/bank-file.md)."""
    import hashlib

    from ..api_casework import apply_bank_return, read_return_upload

    p = current_principal(request)
    data = await read_return_upload(request)
    data = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    key = "page-bank-return-" + hashlib.sha256(data).hexdigest()
    resp = await run_in_threadpool(apply_bank_return, request, p, data, key)
    ret = json.loads(bytes(resp.body))
    ret["replayed"] = resp.headers.get("Idempotent-Replayed") == "true"
    ctx = _bank_files_context(request)
    ctx["ret"] = ret
    return page(request, "bank_files.html", **ctx)


@router.post("/bank-files/payee-banks", include_in_schema=False)
async def payee_bank(request: Request) -> Response:
    """登记收款账户的开户行行号 (the bank file needs it), as ``POST /api/v1/payee-banks`` (``Ledger.set_payee_banks``)."""
    p = current_principal(request)
    f = await form(request)
    code = need(f, "bank_code", "开户行行号")
    if not re.fullmatch(r"\d{12}", code):
        raise ApiError(422, "invalid_input", "开户行行号应为 12 位数字", "bank code: 12 digits", "bank_code")
    if f.get("payment_id"):  # a payment of a batch to send: its own payee account (the page shows it masked)
        pid = as_int(f["payment_id"], "payment_id", "付款编号", lo=1, hi=MAX_ID)
        key = need(f, "batch_key", "发放批次")
        rows = [r for r in led(request).bank_file_plan(key)["payments"] if r["id"] == pid]
        if not rows:
            raise ApiError(409, "not_to_send", f"付款 {pid} 不在发放批次 {key} 的待报盘付款中（可能已报盘或已撤回），请刷新页面",
                           f"payment {pid} is not among batch {key}'s payments to send; reload the page", "payment_id")
        account = str(rows[0]["account_no"])
    else:
        account = need(f, "account_no", "收款账号")
        if not account.isdigit() or not 6 <= len(account) <= 32:
            raise ApiError(422, "invalid_input", "收款账号应为 6 到 32 位数字", "account number: 6 to 32 digits",
                           "account_no")
    await run_in_threadpool(lambda: led(request).set_payee_banks({account: code}, p.login))
    return back("/bank-files", "payee_banks")
