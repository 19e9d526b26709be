"""The JSON API's casework steps beyond decisions and payments: 告知 and sending, 公示 lists and their documents,
决定书/告知书, bank files and the bank's return, payee accounts under four eyes, recoveries, and a person's own
技能提升补贴 application.

Each route is a thin layer over what the command line calls: ``Ledger.notify`` / ``deliver_outbox`` (``case
notify``, ``case send``), ``Ledger.publicize`` and ``outputs.write_publicity`` (``case publicize``, ``case
publicity``), ``outputs.write_letters`` (``case letters``), ``outputs.write_bank_file`` /
``apply_return_file`` (``case bank-file``, ``case bank-return``), ``set_payee_banks`` (``case payee-bank``),
``set_account`` / ``fix_account`` / ``approve_account`` (``case set-account|fix-account|approve-account``),
``report_dispatch_misuse`` / ``recover_duplicate_subsidies`` (``case dispatch-misuse``, ``case duplicates``) and
``apply_skill_subsidy`` (``case skill-apply``). The ledger checks the operator's role again on every write.

Money-moving writes (bank file, bank return, recoveries) need an ``Idempotency-Key`` (``idempotency.run(...,
required=True)``). Documents are produced in a temporary folder and sent as the response; bank files are kept under
``<work_dir>/bank-files`` (they are what left the office; ``GET /bank-files/{file_key}/{fmt}`` gives them again).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from wengang.casework.ledger import account_digits
from wengang.casework.models import OutboxMessage
from wengang.casework.states import STATE_ZH
from wengang.documents.masking import mask_account_for_display, mask_recipient

from . import idempotency
from .access import V1, may_approve_accounts
from .auth import Principal, mask_id, own, signed_in
from .errors import MAX_ID, ApiError

router = APIRouter(prefix=V1)
Caller = Annotated[Principal, Depends(signed_in)]
REQUIRED, OPTIONAL = idempotency.OPENAPI_REQUIRED, idempotency.OPENAPI_OPTIONAL
MAX_LETTERS = 2000  # one batch PDF; more is a job for ``wengang case letters``
PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _led(request: Request) -> Any:
    return request.app.state.ledger


def _cfg(request: Request) -> Any:
    return request.app.state.config


def _json(obj: Any) -> Any:
    return json.loads(json.dumps(obj, ensure_ascii=False, default=str))


def person_apply_reason(p: Principal) -> str:
    """What the audit event of a person's own 技能提升补贴 application says (the portal operator records it): the
    person's account, so that their history does not show it as the office's step. The API and the page alike."""
    return f"个人账户 {p.login}（{mask_id(p.subject)}）网上申请"


def masked_name(dec: Any) -> Any:
    """A decision registered over the web with its name (``unit_name``) masked on the way in, as the screening masks
    a name column (``kind="text"``, docs/decisions.md §28): a phone or ID number typed into a name — or the ID number
    a nameless application falls back to — is never stored or shown in full. Every web intake path calls this."""
    from wengang.documents.masking import mask_text

    dec.unit_name = mask_text(str(dec.unit_name or ""))
    return dec


def _program(name: str) -> str:
    from wengang.inputs import check_program

    return check_program(name)


def _attachment(data: bytes, filename: str, media: str) -> Response:
    """A file download; the name in RFC 5987 form (Chinese file names) with an ASCII fallback."""
    from urllib.parse import quote

    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"})


# ------------------------------------------------------------------ 告知
class NotifyIn(Strict):
    program: str = Field(description="项目，如 fanhuan / program")
    year: int = Field(ge=2000, le=2100, description="政策年度 / policy year")
    deadline: date | None = Field(None, description="确认期限（仅需确认的文件；过期只提醒，不视为放弃）/ confirm by")
    channels: list[Literal["sms", "portal", "letter"]] = Field(["sms", "portal"], min_length=1, max_length=3,
                                                               description="告知渠道 / channels")
    decision_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        None, max_length=100_000, description="只告知这些决定（缺省：该项目年度全部已筛查的）/ only these")


@router.post("/notices/notify", summary="推送告知（已筛查 → 已告知）/ queue notices", openapi_extra=OPTIONAL)
def notify(body: NotifyIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case notify`` 相同：需确认的文件推送确认信息，其余告知无需申请；消息进入待发队列。"""
    def write() -> dict[str, Any]:
        n = _led(request).notify(_program(body.program), body.year, p.login, deadline=body.deadline,
                                 channels=list(dict.fromkeys(body.channels)), decision_ids=body.decision_ids)
        return {"notified": n}

    return idempotency.run(request, p, body.model_dump(mode="json"), write)


class SendIn(Strict):
    limit: int = Field(10_000, ge=1, le=100_000, description="每次领取的条数 / messages claimed per transaction")


@router.post("/notices/send", summary="发送待发消息 / deliver the outbox", openapi_extra=OPTIONAL)
def send(body: SendIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case send`` 相同。配置了短信网关（WENGANG_NOTICE_GATEWAY）时经网关发送，否则写入
    ``<work_dir>/outbox.jsonl``（收件人脱敏）。失败的消息留待下次重试。"""
    from wengang.casework.notices import FileSender, HttpSender

    def write() -> dict[str, Any]:
        cfg = _cfg(request)
        if cfg.notice_gateway:
            sender: Any = HttpSender(cfg.notice_gateway)
        else:
            cfg.work_path.mkdir(parents=True, exist_ok=True)
            sender = FileSender(cfg.work_path / "outbox.jsonl")
        try:
            return _led(request).deliver_outbox(sender, limit=body.limit, actor=p.login)
        finally:
            if isinstance(sender, HttpSender):
                sender.close()

    return idempotency.run(request, p, body.model_dump(), write)


@router.get("/notices", summary="待发与已发消息（收件人脱敏）/ the outbox")
def notices(request: Request, _: Caller, decision_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
            state: Literal["pending", "sending", "sent", "failed"] | None = None,
            page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
            page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> Any:
    OB = OutboxMessage.__table__.c
    q = select(OB.id, OB.decision_id, OB.template, OB.channel, OB.recipient, OB.state, OB.attempts, OB.sent_at,
               OB.last_error).order_by(OB.id)
    if decision_id is not None:
        q = q.where(OB.decision_id == decision_id)
    if state is not None:
        q = q.where(OB.state == state)
    rows = _led(request).read(q.limit(page_size).offset((page - 1) * page_size))
    # a person's mobile or ID number is masked (documents.masking.mask_recipient), as the summary promises
    return _json([{**r, "recipient": mask_recipient(r["recipient"])} for r in rows])


# ------------------------------------------------------------------ 公示
class PublicizeIn(Strict):
    list_key: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$", description="公示名单编号 / list key")
    program: str
    year: int = Field(ge=2000, le=2100)
    starts_on: date = Field(description="公示开始日期 / first day")
    days: int = Field(7, ge=1, le=365, description="公示天数（自然日）/ calendar days")
    decision_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(None, max_length=100_000)
    late_reason: str | None = Field(None, max_length=500, description="补录此前已张贴的公示：张贴地点和日期（开始日期早于今天"
                                                                     "3天以上时必填）/ a list posted earlier: where and when")


def publicity_warnings(led: Any, program: str, year: int, starts_on: date, late_reason: str | None,
                       decision_ids: list[int] | None = None) -> list[dict[str, str]]:
    """As ``case publicize``: a 公示 starting before the 复审 of what it lists is refused, and one recorded after the fact
    (``late_reason``: a paper list posted then) is taken with the warning the command prints, returned here (the API's
    ``warnings``, the page's notice) — it was taken silently (session 40)."""
    from wengang.casework.errors import LedgerError

    if not (late_reason or "").strip():
        led.check_publicity_after_review(program, year, starts_on, decision_ids)
        return []
    try:
        led.check_publicity_after_review(program, year, starts_on, decision_ids)
    except LedgerError as e:
        return [{"code": e.code, "message_zh": f"⚠ {e.zh}；按补录说明（late_reason）登记，由经办人负责核实",
                 "message_en": f"{e.en}; recorded as stated by late_reason, for the caseworker to verify"}]
    return []


@router.post("/publicity/lists", summary="公示复审通过的决定 / put approved decisions on a 公示 list", status_code=201,
             openapi_extra=OPTIONAL)
def publicize(body: PublicizeIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case publicize`` 相同：只列入复审通过（已复审）的决定。"""
    from wengang.casework.ledger import check_publicity_start

    check_publicity_start(body.starts_on, body.late_reason)
    warnings = publicity_warnings(_led(request), _program(body.program), body.year, body.starts_on, body.late_reason,
                                  body.decision_ids)

    def write() -> dict[str, Any]:
        n = _led(request).publicize(body.list_key, _program(body.program), body.year, p.login,
                                    starts_on=body.starts_on, days=body.days, decision_ids=body.decision_ids,
                                    late_reason=body.late_reason)
        return {"list_key": body.list_key, "publicized": n, "warnings": warnings}

    return idempotency.run(request, p, body.model_dump(mode="json"), write, status=201)


@router.get("/publicity/lists/{list_key}", summary="公示名单：决定与复审情况 / a 公示 list")
def publicity_list(list_key: str, request: Request, _: Caller) -> Any:
    view = _led(request).publicity_view(list_key)
    view["entries"] = [e | {"unit_id": mask_id(e["unit_id"]), "state_zh": STATE_ZH.get(e["state"], e["state"])}
                       for e in view["entries"]]
    return _json(view)


@router.get("/publicity/lists/{list_key}/document", summary="公示文件下载（XLSX 或 PDF）/ the 公示 document",
            response_class=Response, responses={200: {"content": {PDF: {}, XLSX: {}}}})
def publicity_document(list_key: str, request: Request, p: Caller, format: Literal["pdf", "xlsx"] = "pdf",
                       agency: Annotated[str | None, Query(max_length=100)] = None,
                       phone: Annotated[str | None, Query(max_length=40)] = None,
                       address: Annotated[str | None, Query(max_length=200)] = None,
                       channel: Annotated[str | None, Query(max_length=200)] = None,
                       issued: date | None = None) -> Response:
    """与 ``wengang case publicity`` 相同：名单中每个决定都须复审通过，否则整份拒绝并列出；经办机构信息缺省取地区配置。"""
    from wengang.casework.outputs import write_publicity

    with tempfile.TemporaryDirectory(prefix="wengang-publicity-") as tmp:
        xlsx, pdf, _ = write_publicity(_led(request), list_key, Path(tmp), agency=agency, phone=phone,
                                       address=address, channel=channel, issued_on=issued)
        path = pdf if format == "pdf" else xlsx
        return _attachment(path.read_bytes(), path.name, PDF if format == "pdf" else XLSX)


# ------------------------------------------------------------------ 决定书 / 告知书
def _letters(request: Request, ids: list[int], *, issued: date | None, agency: dict[str, str | None],
             single: bool) -> Response:
    from wengang.casework.outputs import write_letters

    with tempfile.TemporaryDirectory(prefix="wengang-letters-") as tmp:
        res = write_letters(_led(request), ids, Path(tmp), batch=True, issued_on=issued, **agency)
        if not res.paths:
            if single:
                did, state = res.skipped[0]
                raise ApiError(409, "not_decided", f"决定 {did} 尚未作出决定（状态：{STATE_ZH.get(state, state)}），不能出具文书",
                               f"decision {did} is not decided yet ({state})")
            raise ApiError(409, "not_decided", f"所选 {len(ids)} 个决定均尚未作出决定，没有可出具的文书",
                           f"none of the {len(ids)} decisions selected is decided yet")
        name = f"决定{ids[0]}.pdf" if single else "letters.pdf"
        resp = _attachment(res.paths[0].read_bytes(), name, PDF)
        resp.headers["X-Letters"] = str(res.letters)
        resp.headers["X-Letters-Skipped"] = str(len(res.skipped))
        return resp


AgencyName = Annotated[str | None, Query(max_length=100, description="经办机构（缺省取地区配置）")]
Short = Annotated[str | None, Query(max_length=200)]


@router.get("/decisions/{decision_id}/letter", summary="决定书或告知书（PDF）/ the decision letter",
            response_class=Response, responses={200: {"content": {PDF: {}}}})
def letter(decision_id: Annotated[int, PathParam(ge=1, le=2**63 - 1)], request: Request, _: Caller,
           issued: date | None = None, agency: AgencyName = None, review_body: Short = None, court: Short = None,
           phone: Short = None, address: Short = None) -> Response:
    """与 ``wengang case letters DECISION_ID`` 相同：理由、条款、金额（含大写）、救济途径。尚未作出决定的拒绝（409）。"""
    return _letters(request, [decision_id], issued=issued, single=True,
                    agency={"name": agency, "review_body": review_body, "court": court, "phone": phone,
                            "address": address})


@router.get("/letters", summary="一批决定书、告知书合为一个 PDF / letters of a selection",
            response_class=Response, responses={200: {"content": {PDF: {}}}})
def letters(request: Request, _: Caller, program: str, year: Annotated[int, Query(ge=2000, le=2100)],
            state: Annotated[list[str] | None, Query()] = None, issued: date | None = None,
            agency: AgencyName = None, review_body: Short = None, court: Short = None, phone: Short = None,
            address: Short = None) -> Response:
    """与 ``wengang case letters --program --year --state --batch`` 相同；尚未作出决定的跳过
    （响应头 X-Letters、X-Letters-Skipped 给出份数）。一次至多 2000 个决定。"""
    from wengang.casework.query import parse_states

    states = parse_states(state or [])
    ids = _led(request).select_ids(program=_program(program), year=year, states=states or None)
    if not ids:
        raise ApiError(404, "not_found", "没有符合条件的决定", "no decision matches")
    if len(ids) > MAX_LETTERS:
        raise ApiError(422, "too_many", f"所选决定 {len(ids)} 个，一次至多 {MAX_LETTERS} 个；请用 state 缩小范围，"
                       "或在服务器上用 wengang case letters", f"{len(ids)} decisions; at most {MAX_LETTERS} at a time")
    return _letters(request, ids, issued=issued, single=False,
                    agency={"name": agency, "review_body": review_body, "court": court, "phone": phone,
                            "address": address})


# ------------------------------------------------------------------ bank files
BANK_KEY = r"^[A-Za-z0-9_-]{1,32}$"


def _bank_dir(request: Request) -> Path:
    return _cfg(request).work_path / "bank-files"


class BankFileIn(Strict):
    payer_account: str | None = Field(None, max_length=32, description="付款账号（失业保险基金支出户；缺省取地区配置）")
    value_date: date | None = Field(None, description="付款日期（缺省今天）/ value date")


class HoldReason(BaseModel):
    """One reason a payment is held back (``Ledger.bank_file_plan()["held"][i]["held_reasons"]``)."""

    code: str = Field(description="paid_after_bounce 退回后银行又报入账，待复核核实；risk_flag 风险疑点未经稽核排除")
    zh: str
    en: str


class HeldPayment(BaseModel):
    """A payment of the batch not written to the bank file, and why (``Ledger.bank_file_plan()["held"]``)."""

    payment_id: int
    decision_id: int
    reference: str = Field(description="业务参考号（决定号-序号）/ payment reference")
    kind: str = Field(description="initial 首次发放；supplement 多退少补补发 / first payment or top-up")
    unit_name: str = Field(description="单位名称或姓名（与决定列表相同）/ payee name, as the decision list shows it")
    unit_id: str = Field(description="统一社会信用代码或公民身份号码（脱敏）/ masked identifier")
    account_no: str | None = Field(description="收款账户（脱敏）/ masked payee account")
    amount_fen: int = Field(description="金额（分）/ amount in fen")
    amount_yuan: str = Field(description="金额（元，文字）/ amount in 元, as text")
    reason_code: str = Field(description="暂不报盘的首要原因代码（全部原因见 reasons）：paid_after_bounce 退回后银行又报"
                                         "入账，待复核核实；risk_flag 风险疑点未经稽核排除 / the first reason's code")
    reason_zh: str = Field(description="首要原因及解除办法 / the first reason, in Chinese, and what lifts it")
    reason_en: str
    reasons: list[HoldReason] = Field(description="暂不报盘的全部原因，首要的在前；须全部解除方可报盘 / every reason "
                                                  "it is held, the first first; each must be lifted before it is sent")


class BatchCounts(BaseModel):
    """The batch's payments, each counted once: ``payments = in_files + withdrawn + held + pending``."""

    payments: int = Field(description="批次中的付款笔数 / payments in the batch")
    written_now: int = Field(description="本次写入报盘文件 / written to this file")
    written_before: int = Field(description="此前已写入报盘文件 / in earlier bank files of the batch")
    held: int = Field(description="暂不报盘（见 held）/ held, listed in held")
    withdrawn: int = Field(description="未报盘即撤回或退回的 / withdrawn before being sent")
    pending: int = Field(description="仍待报盘（生成期间刚解除暂停的；再次生成即可）/ still to send")
    reconciles: bool = Field(description="payments = written_now + written_before + withdrawn + held + pending")


class BankFileOut(BaseModel):
    batch_key: str
    file_key: str | None = Field(description="报盘批次号；没有可报盘的付款时为 null / null: nothing written")
    count: int = Field(description="写入报盘文件的笔数 / payments written")
    total_fen: int = Field(description="控制总额（分）/ control total in fen")
    total_yuan: str
    sha256: str | None = None
    files: dict[str, str] | None = Field(None, description="下载地址 / download links (txt, xlsx)")
    held: list[HeldPayment] = Field(description="暂不报盘的付款及原因（未写入报盘文件）/ payments held back, and why")
    held_count: int
    held_total_fen: int
    held_total_yuan: str
    batch_counts: BatchCounts
    message_zh: str
    message_en: str


def _batch_counts(plan: dict[str, Any], written_now: int) -> dict[str, Any]:
    """``BatchCounts`` from the ledger's counts of the plan (``Ledger.bank_file_plan()["counts"]``), read after the
    write: its bank files split into this one and the earlier ones."""
    c = plan["counts"]
    return {"payments": c["payments"], "written_now": written_now, "written_before": c["in_files"] - written_now,
            "held": c["held"], "withdrawn": c["withdrawn"], "pending": c["pending"], "reconciles": c["reconciles"]}


def bank_file_result(led: Any, batch_key: str, res: Any) -> dict[str, Any]:
    """The response of ``POST .../bank-file``: what was written (``res``: ``outputs.BankFileWritten`` or None) and,
    fail closed, every payment of the batch held back with its reason, read from ``Ledger.bank_file_plan`` after the
    write as ``wengang case bank-file`` reads it; the batch's counts reconcile (``BatchCounts``)."""
    from wengang.casework.outputs import hold_reasons
    from wengang.money import format_yuan

    plan = led.bank_file_plan(batch_key, counts=True)
    held = []
    for r in plan["held"]:
        why = hold_reasons(r)  # every reason, the first first (``Ledger._to_send``)
        held.append({"payment_id": r["id"], "decision_id": r["decision_id"], "reference": r["reference"],
                     "kind": r["kind"], "unit_name": r["unit_name"], "unit_id": mask_id(r["unit_id"]),
                     "account_no": mask_account_for_display(r["account_no"]), "amount_fen": r["amount_fen"],
                     "amount_yuan": format_yuan(r["amount_fen"]), "reason_code": why[0]["code"],
                     "reason_zh": why[0]["zh"], "reason_en": why[0]["en"], "reasons": why})
    held_fen = sum(h["amount_fen"] for h in held)
    count, total = (res.count, res.total_fen) if res is not None else (0, 0)
    counts = _batch_counts(plan, count)
    if res is not None:
        zh, en = (f"报盘批次号 {res.file_key}：{count} 笔，控制总额 {format_yuan(total)}",
                  f"bank file {res.file_key}: {count} payments, {total} fen")
    elif held:
        zh, en = f"批次 {batch_key} 没有可报盘的付款", f"nothing to send in batch {batch_key}"
    else:
        zh, en = (f"批次 {batch_key} 没有待报盘的付款（均已写入报盘文件）", f"nothing left to send in batch {batch_key}")
    if held:
        zh += f"；{len(held)} 笔（{format_yuan(held_fen)}）暂不报盘，未写入报盘文件，原因见 held"
        en += f"; {len(held)} payments ({held_fen} fen) held back, not in the file: see held"
    if counts["pending"]:
        zh += f"；{counts['pending']} 笔在生成期间解除暂停，仍待报盘，请再次生成"
        en += f"; {counts['pending']} payments released meanwhile are still to send: write the file again"
    if not counts["reconciles"]:
        zh += "；批次笔数对不上（生成期间批次有变动），请重新查询"
        en += "; the batch's counts do not reconcile (it changed meanwhile): look again"
    out: dict[str, Any] = {"batch_key": batch_key, "file_key": None, "count": count, "total_fen": total,
                           "total_yuan": format_yuan(total), "held": held, "held_count": len(held),
                           "held_total_fen": held_fen, "held_total_yuan": format_yuan(held_fen),
                           "batch_counts": counts, "message_zh": zh + "。", "message_en": en + "."}
    if res is not None:
        base = f"{V1}/bank-files/{res.file_key}"
        out |= {"file_key": res.file_key, "sha256": res.sha256, "files": {"txt": f"{base}/txt", "xlsx": f"{base}/xlsx"}}
    return BankFileOut.model_validate(out).model_dump(mode="json")


@router.post("/payments/batches/{batch_key}/bank-file", summary="生成银行报盘文件 / write the batch's bank file",
             status_code=201, openapi_extra=REQUIRED, responses={201: {"model": BankFileOut}})
def bank_file(batch_key: str, body: BankFileIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case bank-file`` 相同：批次中尚未报盘的付款写成报盘文件（TXT）及 XLSX 对照表，sha256 记入审计链；
    每笔付款只进入一个报盘文件。没有可报盘的付款时 ``file_key`` 为 null。须带 Idempotency-Key。

    暂不报盘的付款（风险疑点未经稽核排除、退回后银行又报入账待复核核实等）不写入报盘文件，逐笔列于 ``held``：决定号、
    单位名称、脱敏的证件号和账户、金额（分、元）及全部原因（reasons：代码及中英文原因，首要的在前，亦见于
    reason_code/zh/en；须全部解除方可报盘）。``batch_counts`` 对账：批次付款笔数 = 本次写入 + 此前写入 + 撤回 +
    暂不报盘 + 仍待报盘。/ Payments held back are listed in ``held`` with every reason; ``batch_counts`` reconciles
    the batch (``Ledger.bank_file_plan(counts=True)``)."""
    from wengang.casework.outputs import write_bank_file

    def write() -> dict[str, Any]:
        led = _led(request)
        res = write_bank_file(led, batch_key, _bank_dir(request), p.login, payer_account=body.payer_account,
                              on=body.value_date)
        return bank_file_result(led, batch_key, res)

    return idempotency.run(request, p, {"batch_key": batch_key, **body.model_dump(mode="json")}, write, status=201,
                           required=True)


@router.get("/bank-files/{file_key}/{fmt}", summary="下载报盘文件（txt）或对照表（xlsx）/ download a bank file",
            response_class=FileResponse, responses={200: {"content": {"text/plain": {}, XLSX: {}}}})
def bank_file_download(file_key: str, fmt: Literal["txt", "xlsx"], request: Request, p: Caller) -> Response:
    from wengang.casework.outputs import _safe

    led = _led(request)
    led.bank_file_payments(file_key)  # 404 for a file this ledger never recorded
    path = _bank_dir(request) / f"{_safe(file_key)}.{fmt}"
    if not re.fullmatch(BANK_KEY, file_key) or not path.is_file():
        raise ApiError(404, "not_found", f"服务器上没有报盘文件 {file_key}.{fmt}（可能由命令行生成）",
                       f"no bank file {file_key}.{fmt} on this server", "file_key")
    # served from the bytes hashed, so a file edited on disk is never handed out (409 bank_file_changed, recorded)
    body = path.read_bytes()
    led.check_bank_file(file_key, fmt, hashlib.sha256(body).hexdigest(), p.login)  # LedgerError → 409
    return Response(body, media_type="text/plain; charset=gb18030" if fmt == "txt" else XLSX,  # docs/bank-file.md
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


MAX_RETURN = 50 * 1024 * 1024


@router.post("/bank-returns", summary="上传银行回盘文件（multipart，字段 file）/ apply the bank's return file",
             openapi_extra={**REQUIRED, "requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": {"type": "object", "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}}}}}}})
async def bank_return(request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case bank-return`` 相同：成功的登记到账，失败的登记退回；对不上的行隔离并列出（行号、原因）。
    已核实的风险疑点等待本次回盘确定的追回列于 ``risk_recoveries``（decision_id、flag_id、recovery_id：null 为无须追回、
    amount_fen）。整份文件格式或合计不符时全部拒绝（422）。须带 Idempotency-Key。"""
    from fastapi.concurrency import run_in_threadpool

    idempotency.require_key(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "multipart_required", "请以 multipart/form-data 上传，字段名 file",
                       "upload as multipart/form-data, field file", "file")
    data = await read_return_upload(request)
    return await run_in_threadpool(apply_bank_return, request, p, data)


async def read_return_upload(request: Request) -> bytes:
    """The return file of a multipart upload (field ``file``), checked for size: ``POST /api/v1/bank-returns`` and
    the /bank-files page's form both read it here."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_RETURN + 64 * 1024:  # refused before the body is read
        raise ApiError(413, "too_large", "回盘文件超过 50 MB，未登记", "the return file is over 50 MB", "file")
    form = await request.form()
    up = form.get("file")
    if up is None or isinstance(up, str):
        raise ApiError(422, "invalid_input", "缺少回盘文件（字段 file）", "the return file (field file) is missing", "file")
    data = await up.read(MAX_RETURN + 1)
    if not data or len(data) > MAX_RETURN:
        raise ApiError(422, "invalid_input", "回盘文件为空或超过 50 MB", "the return file is empty or over 50 MB", "file")
    return data


def apply_bank_return(request: Request, p: Any, data: bytes, key: str | None = None) -> JSONResponse:
    """Apply a return file (``outputs.apply_return_file``, as ``wengang case bank-return``) under an idempotency key
    (the request's ``Idempotency-Key``, or ``key`` — the page's, made from the file's SHA-256): the one code path of the
    API and the page. A replay answers with the stored result (header ``Idempotent-Replayed``), nothing applied twice."""
    import hashlib

    from wengang.casework.outputs import apply_return_file

    def write() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="wengang-return-") as tmp:
            path = Path(tmp) / "return.txt"
            path.write_bytes(data)
            rep = apply_return_file(_led(request), path, p.login)
        res = rep.result
        return {"file_key": res.file_key, "batch_key": res.batch_key, "lines": res.lines,
                "confirmed": res.confirmed, "refused": res.refused, "outstanding": res.outstanding,
                "bounced": [b | {"reroute_basis": rep.reroutable.get(b["decision_id"])} for b in res.bounced],
                "risk_recoveries": res.risk_recoveries, "recoveries": res.recoveries, "reconciles": res.reconciles}

    return idempotency.run(request, p, {"sha256": hashlib.sha256(data).hexdigest()}, lambda: _json(write()), 200,
                           required=True, key=key)


class PayeeBank(Strict):
    account_no: str = Field(min_length=6, max_length=40)
    bank_code: str = Field(min_length=12, max_length=12, description="12位开户行行号（支付系统行号）/ CNAPS code")


class PayeeBanksIn(Strict):
    banks: list[PayeeBank] = Field(min_length=1, max_length=100_000)


@router.post("/payee-banks", summary="登记收款账户的开户行行号 / record payee banks", openapi_extra=OPTIONAL)
def payee_banks(body: PayeeBanksIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case payee-bank`` 相同（报盘文件需要开户行行号）。"""
    def write() -> dict[str, Any]:
        banks = {b.account_no: b.bank_code for b in body.banks}
        return {"accounts": len(banks), "changed": _led(request).set_payee_banks(banks, p.login)}

    return idempotency.run(request, p, body.model_dump(), write)


# ------------------------------------------------------------------ payee accounts (four eyes)
class AccountIn(Strict):
    account_no: str = Field(min_length=1, max_length=64, description="收款账户 / payee account")
    reason: str = Field("补录或更改收款账户", min_length=1, max_length=500)
    kind: Literal["set", "fix"] = Field("set", description="set 发放前补录或更改；fix 退回后更正 / before payment, after a bounce")


@router.post("/decisions/{decision_id}/account", summary="申请补录、更正收款账户（须另一人复核）/ request a payee account",
             status_code=201, openapi_extra=OPTIONAL)
def request_account(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: AccountIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case set-account`` / ``fix-account`` 相同：登记为变更申请，须申请人以外的复核人员复核后生效；
    复核前不向任何账户发放。"""
    def write() -> dict[str, Any]:
        led = _led(request)
        step = led.set_account if body.kind == "set" else led.fix_account
        cid = step(decision_id, p.login, account_no=body.account_no, reason=body.reason)
        return {"decision_id": decision_id, "change_id": cid, "approved": False}

    return idempotency.run(request, p, body.model_dump(), write, status=201)


@router.get("/account-changes", summary="收款账户变更申请（复核人员见完整账号，其他人脱敏）/ account change requests")
def account_changes(request: Request, p: Caller, pending: bool = True,
                    decision_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None) -> Any:
    """复核人员（可复核账户变更者）看到申请的完整账号，以便与单位提供的开户证明核对（与 ``wengang case
    account-requests`` 相同）；其他角色只看到脱敏账号。``account_full`` 说明所给账号是否完整。

    The reviewer who approves account changes sees the requested number in full (to compare it with the unit's
    papers, as ``case account-requests`` shows it); any other caller gets it masked."""
    rows = _led(request).account_changes(decision_id=decision_id, pending=pending)
    keep = ("id", "decision_id", "seq", "kind", "requested_by", "reason", "approver", "approve")
    full = may_approve_accounts(p)
    return _json([{k: r.get(k) for k in keep}
                  | {"account_no": r["account_no"] if full else mask_account_for_display(r["account_no"]),
                     "account_full": full} for r in rows])


class ApprovalIn(Strict):
    approve: bool = True
    reason: str = Field("", max_length=500, description="复核意见 / note")


@router.post("/account-changes/{change_id}/approval", summary="复核收款账户变更（四眼）/ approve an account change",
             openapi_extra=OPTIONAL)
def approve_account(change_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: ApprovalIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case approve-account`` 相同：须申请人以外的复核人员；通过后生效，驳回则申请关闭。"""
    def write() -> dict[str, Any]:
        _led(request).approve_account(change_id, p.login, approve=body.approve, reason=body.reason)
        return {"change_id": change_id, "approved": body.approve}

    return idempotency.run(request, p, body.model_dump(), write)


# ------------------------------------------------------------------ revocation (risk flag confirmed)
class RevocationIn(Strict):
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S",
                        description="撤销理由（写入不予发放决定书）/ the reason (goes into the letter)")


@router.post("/decisions/{decision_id}/revocation", summary="撤销核准，不予发放（风险疑点已核实）/ revoke an approval",
             status_code=201, openapi_extra=REQUIRED)
def revocation(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: RevocationIn, request: Request,
               p: Caller) -> JSONResponse:
    """与 ``wengang case revoke`` 相同：风险疑点经稽核核实的决定，由核实者以外的复核人员撤销核准、不予发放（人社部发〔2024〕40号
    六）；未报盘的付款撤回；付款已报盘、银行未回盘的，回盘后再撤销（409 ``bank_unanswered``）。须带 Idempotency-Key。"""
    def write() -> dict[str, Any]:
        res = _led(request).revoke(decision_id, p.login, reason=body.reason)
        return {"decision_id": decision_id, "state": res.state, "state_zh": STATE_ZH[res.state],
                "flag_ids": res.flag_ids, "withdrawn_payment_ids": res.withdrawn}

    return idempotency.run(request, p, body.model_dump(), write, status=201, required=True)


# ------------------------------------------------------------------ recoveries
class MisuseIn(Strict):
    reason: str = Field(min_length=1, max_length=500, description="违规情形 / what was found")
    amount_fen: int | None = Field(None, gt=0, le=2**63 - 1, description="应退回金额（分；缺省为未拨付部分）")


@router.post("/decisions/{decision_id}/recoveries", summary="派遣单位未按规定拨付使用：责令退回 / order a recovery",
             status_code=201, openapi_extra=REQUIRED)
def recovery_misuse(decision_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], body: MisuseIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case dispatch-misuse`` 相同：退回未拨付（或给定）的部分，并取消下一年度申领资格。须带 Idempotency-Key。"""
    def write() -> dict[str, Any]:
        led = _led(request)
        rid = led.report_dispatch_misuse(decision_id, p.login, reason=body.reason, amount_fen=body.amount_fen)
        out = {"decision_id": decision_id, "recovery_ids": [] if rid is None else [rid], "kind": "dispatch_misuse"}
        if rid is None:  # nothing paid yet: unsent payments withdrawn, or the recovery waits for the bank
            from wengang.casework.outputs import NOTHING_PAID_YET_EN, NOTHING_PAID_YET_ZH

            out |= {"recovery_pending": led.decision(decision_id)["recovery_pending"],
                    "message_zh": NOTHING_PAID_YET_ZH, "message_en": NOTHING_PAID_YET_EN}
        return out

    return idempotency.run(request, p, body.model_dump(), write, status=201, required=True)


class DuplicatesIn(Strict):
    person_id: str = Field(min_length=15, max_length=18, description="公民身份号码 / the person")
    scope: Literal["same_occupation", "same_occupation_level", "any"] = "same_occupation"


@router.post("/recoveries/duplicates", summary="技能提升补贴与职业培训补贴重复享受：由后享受的退回 / duplicates",
             status_code=201, openapi_extra=REQUIRED)
def recovery_duplicates(body: DuplicatesIn, request: Request, p: Caller) -> JSONResponse:
    """与 ``wengang case duplicates`` 相同（兵团征求意见稿 一（三）“按照后享受的单位或个人退回资金的原则”）。
    须带 Idempotency-Key。"""
    def write() -> dict[str, Any]:
        ids = _led(request).recover_duplicate_subsidies(body.person_id, p.login, scope=body.scope)
        return {"person_id": mask_id(body.person_id), "recovery_ids": ids, "kind": "duplicate_subsidy"}

    return idempotency.run(request, p, body.model_dump(), write, status=201, required=True)


# ------------------------------------------------------------------ a person's own application
class SkillApplyIn(Strict):
    facts: dict[str, Any] = Field(description="技能提升补贴的事实（与 wengang evaluate 相同；id_number 须为本人）")
    region: str | None = Field(None, max_length=20, description="地区（缺省取 facts.insured_region）/ region")
    date: str | None = Field(None, description="审核日期 YYYY-MM-DD（缺省取 facts.application_date）")
    account_no: str | None = Field(None, max_length=64, description="本人银行账户（登记为变更申请，须另一人复核后生效）/ "
                                                                     "personal account (a change request a second "
                                                                     "person approves)")
    contact: str | None = Field(None, max_length=100, description="联系电话 / phone")


@router.post("/applications/skill-subsidy", summary="申请技能提升补贴（个人本人，或经办代为登记）/ apply",
             status_code=201, openapi_extra=OPTIONAL)
def skill_apply(body: SkillApplyIn, request: Request, p: Caller) -> JSONResponse:
    """按政策规则判定后登记为申请（已申请），与 ``wengang case skill-apply`` 相同；规则判定不符合的拒绝（422）。
    个人账户只能为本人（绑定的公民身份号码）申请。"""
    from wengang.casework.intake import decision_from_obj
    from wengang.evaluate import InvalidFacts, evaluate
    from wengang.inputs import parse_date
    from wengang.programs import load_all

    load_all()  # registers the interpretation switches

    facts = dict(body.facts)
    facts.pop("_case", None)
    if p.kind == "unit":  # access.ROUTES lets no unit here; belt and braces
        raise ApiError(403, "role_refused", "单位账户不能申请个人补贴", "a unit account cannot apply for a personal subsidy")
    if p.kind == "person":
        own(p, str(facts.get("id_number") or ""), "申请中的公民身份号码", "the id_number applied for")
    region = body.region or facts.get("insured_region")
    on = body.date or facts.get("application_date")
    if not region or not on:
        raise ApiError(422, "invalid_input", "缺少 region（或 facts.insured_region）与 date（或 facts.application_date）",
                       "region and date are required (or facts.insured_region, facts.application_date)")
    day = parse_date(str(on), "审核日期 date", "date")

    def write() -> dict[str, Any]:
        try:
            ev = evaluate("skill_subsidy", str(region), day, dict(facts))
        except InvalidFacts as exc:
            f, zh, en = exc.problems[0]
            raise ApiError(422, "invalid_facts", f"字段 {f}：{zh}", f"field {f}: {en}", f"facts.{f}") from None
        except (ValueError, KeyError, LookupError) as exc:
            text = str(exc.args[0]) if exc.args else str(exc)
            zh, _, en = text.partition(" / ")
            raise ApiError(422, "invalid_input", zh, en or zh) from None
        own(p, ev.subject_id, "所申请的个人", "the applicant")
        dec = masked_name(decision_from_obj(_json(ev.to_dict()), facts=facts, account_no=body.account_no,
                                            contact=body.contact))
        if p.kind == "person":
            actor, why = _cfg(request).portal_operator, person_apply_reason(p)
        else:
            actor, why = p.login, "经办人员代为登记申请"
        did = _led(request).apply_skill_subsidy(dec, actor, reason=why)
        d = _led(request).decision(did)
        # the account given is a change request a second person approves (docs/decisions.md §31, as at confirm):
        # whoever registers an application — an operator for someone, or the portal for a person — cannot set it
        # (compared as the ledger stores it: ledger.account_digits)
        given = account_digits(body.account_no)
        change = next((c["id"] for c in _led(request).account_changes(decision_id=did)
                       if given and c["account_no"] == given), None)
        return {"decision_id": did, "state": d["state"], "state_zh": STATE_ZH.get(d["state"], d["state"]),
                "status": d["entitlement"]["status"], "amount_fen": d["entitlement"]["amount_fen"],
                "account_change_id": change}

    return idempotency.run(request, p, body.model_dump(mode="json"), lambda: _json(write()), status=201)

