"""The casework ledger: services that carry a decision from screening to payment.

Every write runs in one transaction holding the ledger's write lock (PostgreSQL: a transaction-level
advisory lock; SQLite: ``BEGIN IMMEDIATE``), moves state with a compare-and-set on ``version``, and
appends audit events. Any ``LedgerError`` rolls the whole transaction back: a refused step changes
nothing. Unique constraints back every exactly-once promise (see docs/casework.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    column,
    create_engine,
    event,
    exists,
    func,
    literal,
    or_,
    select,
    table,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from wengang.money import fen_to_yuan, format_yuan, times_rate_half_up
from wengang.progress import step

from . import DEFAULT_URL, audit, bulk, operators, projection
from .errors import LedgerError
from .models import (
    HASHED,
    AccountApproval,
    AccountChange,
    Allocation,
    AllocationIn,
    AuditEvent,
    BankConfirmation,
    BankFile,
    BankFileItem,
    Base,
    Decision,
    DecisionIn,
    Disqualification,
    OutboxMessage,
    PayeeBank,
    Payment,
    PaymentBatch,
    PaymentReturn,
    PublicityEntry,
    PublicityList,
    Recomputation,
    Recovery,
    RecoveryReceipt,
    Review,
    RiskFlag,
    RiskReview,
    Run,
    RunIn,
    Transfer,
    canonical_claim_keys,
    stored_claim_keys,
)
from .notices import CHANNELS, PROGRAM_ZH, Sender, address, failure_text, render, shown_recipient
from .procedure import Procedure, procedure, publicity_documents
from .risk_queue import RISK_RECOVERY_PENDING, RISK_RECOVERY_SETTLED, confirmed_flag_advice
from .risk_queue import STATUS_ZH as RISK_STATUS_ZH
from .states import (
    NO_DOCUMENT,
    PUBLICITY_PROGRAMS,
    STATE_ZH,
    TERMINAL,
    TRANSITIONS,
    action_zh,
    check,
    no_document,
)

# 不得重复享受: which skill and training subsidies are "the same" (legal review A7); claim_key is "<职业>:<等级>".
# The readings are the rules' switch's; the lead wires the default to it.
DUPLICATE_SCOPES = {
    "same_occupation": lambda key: key.split(":", 1)[0],
    "same_occupation_level": lambda key: key,
    "any": lambda key: "",
}
DUPLICATE_SCOPE_DEFAULT = "same_occupation"
LOCK_KEY = 0x57474C44  # "WGLD": the ledger's advisory write lock on PostgreSQL
_ANALYZE_AFTER = 10_000  # rows a bulk write leaves before PostgreSQL's statistics are refreshed (``_fresh_statistics``)
CHECKED = "wengang_money_checked"  # connection-info entry: decisions ``Ledger._checked`` checked in this transaction
# audit action: the bank's return says a payment was credited that the office had recorded as bounced; the decision
# is not paid again (``_alarms``) until a 复核 has looked (``check_credit_after_bounce``; docs/casework.md)
CREDITED_AFTER_BOUNCE = "bank_credited_after_bounce"
# the check's outcomes (audit actions on the decision): the credit stands, or the bank corrected its line
CREDIT_CONFIRMED = "bank_credit_confirmed"
CREDIT_CORRECTED = "bank_credit_corrected"
CREDIT_CHECKS = (CREDIT_CONFIRMED, CREDIT_CORRECTED)
# a payment not yet in a bank file, withdrawn so it never goes to the bank: a re-payment the credit check found the
# earlier payment had made unnecessary, or any unsent payment of a decision whose risk flag is confirmed (return rows
# with this action; on the decision, the move back from paid: projection.WITHDRAWN, checked there)
WITHDRAWN = projection.WITHDRAWN
# a 多退少补 top-up bounced (the decision stays paid): shown on the decision, the next top-up waits for an account
TOP_UP_BOUNCED = "bounce_supplement"
# what happened to a payment (docs/casework.md "Money sent"; ``Ledger._fate``), the first of these that holds:
# withdrawn before it was sent (a return row written as ``WITHDRAWN``); credited (the bank confirmed it, also when a
# bounce recorded by hand was found void: ``_returned``); returned (a return that counts); sent, the bank not answered
# (in a bank file); paid outside a batch (``pay_decision``, no bank file); not sent (in a batch, in no bank file)
PAYMENT_FATES = ("withdrawn", "credited", "returned", "sent", "paid_direct", "not_sent")
# the fates of a payment whose money left and did not come back (sent, not bounced, not withdrawn): what "享受" means
# for a duplicate subsidy (兵团征求意见稿 一（三）“按照后享受的单位或个人退回资金的原则”; ``recover_duplicate_subsidies``)
ENJOYED_FATES = ("credited", "sent", "paid_direct")
# the two programs that may not both be enjoyed (兵团征求意见稿 一（三）): 技能提升补贴, 职业培训补贴
DUPLICATE_PROGRAMS = ("skill_subsidy", "training_subsidy")
# a recovery ordered by a 多退少补 resize (``change_size_class``), a dispatch firm's misuse (``report_dispatch_misuse``)
# or a duplicate subsidy (``recover_duplicate_subsidies``) that waits for the bank's answer on a payment of the
# decision sent and unanswered (audit actions on the decision, as ``RISK_RECOVERY_PENDING`` / ``_SETTLED`` for a risk
# flag): ``_recover_sent`` records the wait, ``_settle_recoveries`` closes it once every payment has its answer —
# a bounce leaves nothing to recover, a credit has the recovery ordered then (docs/casework.md "Money sent")
RECOVERY_PENDING = "recovery_pending"
RECOVERY_SETTLED = "recovery_settled"
# the entitlement a misuse or duplicate sets when the decision's money has not all left and been answered, so a
# re-payment (after a withdrawal or a bounce) never pays the part to be returned (Recomputation.kind)
RECOMPUTE_KIND = {"dispatch_misuse": "misuse", "duplicate_subsidy": "duplicate"}
D = Decision.__table__.c
P = Payment.__table__.c
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ImportResult:
    run_id: int
    offered: int
    inserted: int
    # of the rows this import inserted: entitled with the payment held (缓缴未补足, a quarantined row), and refusals
    # resting on a quarantined row, stored 待认定 (screening.holds) — never counted from rows already stored
    held: int = 0
    to_verify: int = 0
    # the decisions already stored (by another run or an application) this run concludes otherwise: the ledger keeps
    # them as they are and says so (``Ledger._disagreements``): decision_id, unit (masked), unit_name, claim_key,
    # state, differs (status / amount / hold), stored and new status and amount_fen, new_hold_reason, action
    # (resolve / resize / review / risk / release / none; held: this import held it), zh, en (what_zh, what_en: the
    # difference alone)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    # rows not inserted because the claim was decided in another year and may be enjoyed once only (技能提升补贴:
    # 内人社发〔2025〕18号 二): unit (masked), claim_key, decision_id and year of the other decision
    already_claimed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def existing(self) -> int:
        return self.offered - self.inserted - len(self.already_claimed)


@dataclass
class BatchResult:
    batch_id: int | None  # None: nothing was payable, no batch recorded
    paid: int
    amount_fen: int
    missing_account: int
    chunks: int
    # payable, but the payer reviewed them (初审 or 复审): left for another 出纳 (separation of duties)
    reviewed_by_payer: int = 0
    # not paid because the stored decision differs from its audit events: (decision id, the finding)
    refused: list[tuple[int, audit.Issue]] = field(default_factory=list)
    pending_account: int = 0  # not paid: an account change awaits a second person's approval
    # 多退少补 top-ups this run paid (also counted in ``paid`` and ``amount_fen``): decisions already paid whose
    # entitlement was raised (``change_size_class``); they go to the bank in the batch's file like any payment
    supplements: int = 0
    supplement_fen: int = 0
    # top-ups due but not paid: the last one bounced and no account change was approved since (as after a bounce)
    supplement_awaiting_account: int = 0
    # not paid (nor their top-ups): a risk flag matching them is open (待核查) or confirmed (已核实); a decision with
    # both counts as confirmed (``Ledger._risk_flagged``)
    risk_open: int = 0
    risk_confirmed: int = 0
    # decisions of the run's program and year (of ``decision_ids`` if given) that were no candidate, whose stored row
    # differs from its audit events (a state set to 审核未通过 by SQL, say): ``audit verify`` fails on them
    unverified: list[tuple[int, audit.Issue]] = field(default_factory=list)
    # every decision the run found differing from its events (``refused`` for that reason, and ``unverified``): the
    # ledger fails verification, and no checkpoint is signed over it (``Ledger.checkpoint``)
    tampered: list[int] = field(default_factory=list)
    # every decision of the run left unpaid, counted by one reason each (``UNPAID_REASONS``, in that order): those
    # waiting to be paid and the paid ones owed a top-up; ``paid`` + these account for every candidate
    unpaid: dict[str, int] = field(default_factory=dict)


# Why a batch leaves a decision unpaid (``Ledger._unpaid_sql``), in the order the checks are read: (中文, English).
UNPAID_REASONS: dict[str, tuple[str, str]] = {
    "no_document": ("无有效政策文件，不予发放（没有有效文件不发钱）", "rests on no document in force: not paid"),
    "change_pending": ("收款账户变更待复核", "an account change awaits a second person's approval"),
    "no_account": ("缺少收款账户", "no payee account"),
    "bad_account": ("收款账号不是6至32位数字，须先更正账户（case set-account）",
                    "the payee account is not 6 to 32 digits: correct it first (case set-account)"),
    "bad_name": ("单位名称含“|”、制表符或换行，不能写入银行报盘文件（docs/bank-file.md），须先更正名称",
                 "the payee name holds '|', a tab or a line break, which the bank file cannot carry: correct it first"),
    "risk_confirmed": ("风险疑点已核实，不予发放（case show 查看处理办法）", "a risk flag was confirmed: not paid"),
    "risk_open": ("风险疑点待稽核核查", "a risk flag awaits the 稽核's review"),
    "not_publicized": ("尚未公示", "not on a 公示 list yet"),
    "publicity_running": ("公示期未满", "its 公示 period has not ended"),
    "zero": ("应发金额为零", "nothing due (zero amount)"),
    "reviewed_by_payer": ("由本人初审或复审，须由另一名出纳发放", "you reviewed it: another payer pays it"),
    "refused": ("被拒付（记录与审计事件不符、退回后银行入账待核实或已无应发金额，见上方提示）",
                "refused (a row at odds with its events, a bank credit after a bounce not checked, or nothing due)"),
    "top_up_bounced": ("补发退回，待更正账户", "a top-up bounced: waiting for an account change"),
    "top_up_change_pending": ("应补发，收款账户变更待复核", "a top-up due: an account change awaits approval"),
    "top_up_no_account": ("应补发，缺少收款账户", "a top-up due: no payee account"),
    "top_up_bad_account": ("应补发，收款账号不是6至32位数字", "a top-up due: the payee account is not 6 to 32 digits"),
    "top_up_bad_name": ("应补发，单位名称不能写入银行报盘文件", "a top-up due: the payee name cannot go into the bank file"),
    "top_up_risk": ("应补发，风险疑点未经稽核排除", "a top-up due: a risk flag holds it"),
    "top_up_by_payer": ("应补发，由本人审核或核定，须由另一名出纳补发", "a top-up due: you reviewed or resized it"),
    "top_up_refused": ("应补发，被拒付（见上方提示）", "a top-up due: refused (see above)"),
}


@dataclass
class BankReturnLine:
    """One detail line of the bank's return file as read (``documents.bank.read_return_lines``)."""

    line: int  # line number in the file (the header is line 1)
    reference: str  # ``payment_reference``
    paid: bool  # 成功 / 失败
    amount_fen: int
    account: str  # the account the bank credited or tried
    reason: str = ""


@dataclass
class BankReturnResult:
    """What a return file did: each line is confirmed, bounced or refused (set aside, nothing applied)."""

    file_key: str
    batch_key: str
    lines: int
    confirmed: list[dict[str, Any]] = field(default_factory=list)
    bounced: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # line, reference, code, zh, en
    outstanding: int = 0  # payments of the file the bank has not answered for yet
    # recoveries of confirmed risk flags that waited for this answer (``_settle_risk_recoveries``): decision_id,
    # flag_id, recovery_id (None: the money came back, nothing to recover), amount_fen
    risk_recoveries: list[dict[str, Any]] = field(default_factory=list)
    # recoveries of a resize, a misuse or a duplicate that waited for this answer (``_settle_recoveries``):
    # decision_id, kind, recovery_id (None: nothing to recover), amount_fen
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    # for each of those two that orders nothing, why (``Ledger._why_nothing``): decision_id, flag_id or kind, why
    # (returned / recovered / entitlement / covered), zh, en
    nothing_why: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.lines == len(self.confirmed) + len(self.bounced) + len(self.refused)


@dataclass
class CreditCheckResult:
    """What ``check_credit_after_bounce`` recorded."""

    decision_id: int
    payment_id: int  # the payment recorded as bounced that the bank said was credited
    credited: bool  # True: the credit stands (the payment counts as paid); False: the bank corrected its line
    state: str  # the decision's state afterwards
    withdrawn: list[int] = field(default_factory=list)  # re-payments not yet sent, withdrawn (never go to the bank)
    recovery_id: int | None = None  # the 多退少补 recovery of a re-payment that reached the payee as well
    recovery_fen: int = 0


@dataclass
class AccountFileResult:
    """What ``request_accounts`` did with a file: rows = requested + refused."""

    batch: str | None  # the request batch (the requests' audit ref) for ``approve_accounts``; None: none requested
    rows: int
    requested: list[tuple[int, int, int]]  # (row, decision id, change id)
    refused: list[tuple[int, str, str]]  # (row, zh, en)
    banks_changed: int = 0  # 开户行行号 registered or changed (``set_payee_banks``)


@dataclass
class AccountApprovalsResult:
    """What ``approve_accounts`` did: changes approved (or rejected), refused (decision id, why), already decided."""

    decided: list[int] = field(default_factory=list)
    refused: list[tuple[int, int, str, str]] = field(default_factory=list)  # (change id, decision id, zh, en)
    already: int = 0


def payment_reference(decision_id: int, seq: int, kind: str = "initial") -> str:
    """The 业务参考号 of a payment in the bank file: ``<decision id>-<seq>`` (seq 1: the re-payment after a bounce);
    a 多退少补 top-up ``<decision id>-S<seq>`` (its seq counts the decision's top-ups)."""
    return f"{decision_id}-S{seq}" if kind == "supplement" else f"{decision_id}-{seq}"


def account_digits(account: str | None) -> str:
    """An account as the bank file writes it: full-width digits as ASCII (NFKC), spaces left out."""
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", account or ""))


# a payee account (银行账号, the 税务's premium account): 6 to 32 ASCII digits once ``account_digits`` has read it
_ACCOUNT = re.compile(r"[0-9]{6,32}")
# the same of a stored account, in SQL (a decision imported before accounts were checked where they enter may hold
# another): spaces allowed between the digits, as ``account_digits`` leaves them out
_ACCOUNT_SQL = r"^ *([0-9] *){6,32}$"


def _document_params(policy_doc: str, program: str) -> tuple[Any, dict[str, Any]] | None:
    """(the program block, its parameters with what they inherit) of a decision's own document — or of the document it
    forwards, as ``procedure.procedure`` reads it; None for a document the ledger does not know."""
    from wengang.policies.loader import load_policy_set

    from .procedure import _documents

    docs = _documents()
    doc, seen = docs.get(policy_doc), 0
    while doc is not None and program not in doc.programs and doc.forwards and seen < 5:  # type: ignore[attr-defined]
        doc, seen = docs.get(doc.forwards), seen + 1  # type: ignore[attr-defined]
    if doc is None or program not in doc.programs:  # type: ignore[attr-defined]
        return None
    params, _ = load_policy_set().effective(doc, program)
    return doc.programs[program], params  # type: ignore[attr-defined]


def _skill_subsidy_cap(policy_doc: str, claim_key: str) -> tuple[int, str] | None:
    """The most a 技能提升补贴 of this claim's level can be under its document: the level's standard (or ceiling,
    不超过), raised by the document's uplift for urgently-needed occupations where it has one (内人社发〔2025〕18号 二
    “补贴标准在原标准基础上上浮 10%”), with its citation; None when the document or the level is unknown."""
    found = _document_params(policy_doc, "skill_subsidy")
    level = claim_key.rsplit(":", 1)[-1].strip() if ":" in claim_key else ""
    if found is None or level not in ("3", "4", "5"):
        return None
    _, params = found
    std = params.get(f"amount_level{level}")
    if std is None or not isinstance(std.value, int):
        return None
    cap, cite = std.value, std.citation()
    up = params.get("urgent_uplift_rate")
    if up is not None:
        cap = times_rate_half_up(cap, 1 + up.value)
        cite = cite if up.citation() == cite else f"{cite}；{up.citation()}"
    return cap, cite


FANHUAN_CLASSES = ("large", "medium", "small", "micro")
SIZE_CLASS_ZH = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


def _refund_rate(params: Mapping[str, Any], size_class: str | None, unit_id: str,
                 readings: Mapping[str, Any]) -> Any:
    """The 稳岗返还 rate the document gives a unit of ``size_class`` (``fanhuan.rate_2024``): 大型 → the large rate for an
    enterprise; a 参照实施 organisation (社会团体、律师事务所、个体工商户…: a credit code not of 工商 企业, GB 32100 “91”) by
    the reading ``fanhuan.reference_orgs_rate`` (the document's parameter, else the decision's reading, else its
    default ``sme``); the others → the SME rate. None when the document has no such rates or the class is unknown."""
    large, sme = params.get("refund_rate_large"), params.get("refund_rate_sme")
    if large is None or sme is None or size_class not in FANHUAN_CLASSES:
        return None
    if size_class != "large":
        return sme.value
    fixed = params.get("reference_orgs_rate")
    reading = fixed.value if fixed is not None else readings.get("fanhuan.reference_orgs_rate", "sme")
    return large.value if unit_id.upper().startswith("91") or reading == "by_size" else sme.value


def _rescaled(amount: int, old_rate: Any, new_rate: Any) -> tuple[int, int, int]:
    """The amounts (lowest, highest, nearest) the one rounding rule (``money.times_rate_half_up``: base × rate, half up
    once) gives at ``new_rate`` for every base it gave ``amount`` at ``old_rate``: the base is no longer known, only that
    base × old_rate rounded to ``amount``, i.e. lies in [amount − ½, amount + ½) / old_rate. Exact (fractions)."""
    import math
    from fractions import Fraction

    k = Fraction(new_rate) / Fraction(old_rate)
    half = Fraction(1, 2)
    lo = max(0, math.floor(max(Fraction(0), (amount - half) * k) + half))
    hi = math.ceil((amount + half) * k + half) - 1
    near = math.floor(amount * k + half)
    return lo, max(lo, hi), min(max(near, lo), max(lo, hi))


@dataclass
class RevokeResult:
    """``Ledger.revoke``: the decision ends 已撤销核准（不予发放）."""

    decision_id: int
    state: str
    flag_ids: list[int]  # the confirmed risk flags it rests on
    withdrawn: list[int] = field(default_factory=list)  # payments not sent, withdrawn (never go to the bank)


@dataclass
class SettleResult:
    recomputation_id: int
    diff_fen: int
    # a top-up is no longer paid by the resize: it is due, and the next ``run_payment_batch`` (by an 出纳) pays it
    supplement_payment_id: int | None = None
    recovery_id: int | None = None
    supplement_due_fen: int = 0  # the top-up now due (paid by the next batch of the program and year)
    withdrawn: list[int] = field(default_factory=list)  # payments not sent, withdrawn (above the new entitlement)
    awaiting_bank: list[str] = field(default_factory=list)  # sent, unanswered: the recovery waits for the bank
    # what the resize did, for its message: the entitlement before and after; whether the decision was paid (then
    # settled: 多退少补); the recovery ordered; references of the payments withdrawn; why nothing is recovered when
    # the decision was paid above the new entitlement (``_why_nothing``: other recoveries cover it)
    old_amount_fen: int | None = None
    new_amount_fen: int | None = None
    settled: bool = False
    recovery_fen: int = 0
    withdrawn_refs: list[str] = field(default_factory=list)
    no_recovery_zh: str = ""
    no_recovery_en: str = ""
    rules_basis: str = ""  # a resize: how the rules' amount for the new size class was found (``_resize_amount``)
    # 多退少补 recoveries ordered by an earlier resize and not received, cancelled and reckoned again (``_settle``)
    cancelled_recovery_ids: list[int] = field(default_factory=list)
    cancelled_recovery_fen: int = 0
    # confirmed risk flags' recoveries those orders had capped, raised now the room is free (``_raise_capped_flags``)
    raised_recovery_ids: list[int] = field(default_factory=list)
    raised_recovery_fen: int = 0


def _err_not_found(what: str, what_en: str, key: Any) -> LedgerError:
    return LedgerError("not_found", f"找不到{what} {key}", f"{what_en} {key} not found")


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def _beijing_today() -> date:
    from wengang.beijing import beijing_today

    return beijing_today()


# a 公示 entered by hand may start a few days back (posted on Friday, recorded on Monday); further back it is the
# record of a paper 公示 posted earlier, which must say so: otherwise payment could follow the record at once
PUBLICITY_BACKDATE_DAYS = 3


def check_publicity_start(starts_on: date, late_reason: str | None) -> None:
    """Refuse a 公示 start more than :data:`PUBLICITY_BACKDATE_DAYS` before today (Beijing) unless ``late_reason``
    says where and when the list was posted. Called where operators act (the CLI, the web service): the ledger's
    own API is also driven with simulated dates (the demo story, tests)."""
    now = _beijing_today()
    if starts_on < now - timedelta(days=PUBLICITY_BACKDATE_DAYS) and not (late_reason or "").strip():
        raise LedgerError(
            "backdated_publicity",
            f"公示开始日期 {starts_on} 早于今天（{now}）超过 {PUBLICITY_BACKDATE_DAYS} 天：补录此前已张贴的公示，请说明张贴的地点和"
            "日期（--late-reason）；未实际公示的，请从今天起公示",
            f"the publicity period starts {starts_on}, more than {PUBLICITY_BACKDATE_DAYS} days before today ({now}): to record a list "
            "posted earlier, say where and when (--late-reason); otherwise start it today",
        )


def _refuse_no_document(d: Mapping[str, Any], step: str) -> None:
    """No money without a document in force: a decision whose 依据 is 无有效政策 (no document covers its year or region)
    is never resolved eligible, approved or paid (outside audit, session 39: such a decision was paid 100万元 with a
    决定书 “根据无有效政策”)."""
    if no_document(d.get("policy_doc")):
        raise LedgerError(
            "no_document",
            f"决定 {d['id']} 的依据为“{d.get('policy_doc') or '无'}”，没有有效的政策文件，不能{step}：没有有效文件不发钱；"
            "待该年度（地区）文件发布并导入后重新筛查",
            f"decision {d['id']} rests on no document in force ({d.get('policy_doc')!r}): it cannot be {step} — no "
            "money without a document; screen again once the year's document is installed",
        )


def _refuse_unregistrable(dec: DecisionIn) -> None:
    """What an application may be registered as: 符合条件, or 待认定 with its result under each reading kept (the agency
    settles the reading, ``case adopt`` / ``case resolve``, then 初审). One the rules refuse is not registered; one that
    lacks data is not either, and says what to supply — the applicant gives it and the case is evaluated again (a
    待认定 application had been refused as “未通过规则审核” with the rest: it had passed nothing and failed nothing)."""
    from .intake import STATUS_ZH

    if dec.status == "eligible":
        return
    said = STATUS_ZH.get(dec.status, dec.status)
    if dec.status == "needs_decision":
        if not (dec.outcomes or "").strip():
            raise LedgerError("needs_outcomes",
                              "申请的结论待认定，但未带有各政策理解下的结果（wengang evaluate --json 的 outcomes），无法登记："
                              "请用 wengang evaluate --json 重新判定后申请",
                              "the application is needs_decision without its results by reading (the outcomes of "
                              "wengang evaluate --json): evaluate again and apply with that output")
        return
    if dec.status == "not_determinable":
        raise LedgerError("not_determinable",
                          f"申请的结论为“{said}”，缺少判定所需的数据，暂不登记：请补充后重新判定再申请（{dec.explanation}）",
                          f"the application cannot be determined ({dec.status}): supply the missing data and "
                          "evaluate again")
    raise LedgerError("not_eligible", f"申请未通过规则审核（{said}）：{dec.explanation}",
                      f"the application is not eligible under the rules ({dec.status})")


def check_batch_key(batch_key: Any) -> str:
    """A payment batch's key as the bank file will need it: the bank module's one rule (``documents.bank._BATCH_ID``,
    1 to 32 letters, digits, “-” or “_”), checked BEFORE anything is paid under it — a key the bank file refuses left
    the decisions paid and no bank file could ever be written for them (session 40, ``case pay --batch "批次/十二月"``)."""
    from wengang.documents.bank import _BATCH_ID

    if not isinstance(batch_key, str) or not _BATCH_ID.fullmatch(batch_key):
        shown = str(batch_key)[:40]
        raise LedgerError("bad_key",
                          f"批次号“{shown}”不符合银行报盘文件的要求：应为1至32位字母、数字、“-”或“_”（不能含汉字、空格、“/”）；"
                          "未发放任何款项",
                          f"batch key {shown!r} is refused by the bank file's rule (1-32 of A-Z a-z 0-9 - _); "
                          "nothing was paid")
    return batch_key


def _today(today: date | None) -> date:
    """The day a step is taken as of. A later day than today (Beijing) is refused: dating a payment or a
    waiver ahead would skip a 公示 period or a confirmation deadline that has not run out."""
    now = _beijing_today()
    if today is not None and today > now:
        raise LedgerError("future_date", f"不能以今天（{now}）之后的日期 {today} 办理：公示期、确认期限须实际届满",
                          f"a step cannot be dated after today ({now}): {today}; a period must really have run out")
    return today or now


@contextmanager
def _amounts_in_range() -> Iterator[None]:
    """A money sum or value past the database's 64-bit integers is a clear refusal, never a traceback.

    PostgreSQL's SUM(bigint) is numeric (exact, no overflow); SQLite's SUM raises "integer overflow", and either
    refuses a value beyond BIGINT. The transaction is rolled back first (the connection's ``with`` exits inside).
    """
    try:
        yield
    except (DBAPIError, OverflowError) as exc:
        text_ = str(getattr(exc, "orig", exc)).lower()
        integers = "out of range" in text_ and ("bigint" in text_ or "integer" in text_)
        if isinstance(exc, OverflowError) or "integer overflow" in text_ or integers:
            raise LedgerError(
                "amount_overflow",
                "金额合计超出范围：超过数据库整数上限 9223372036854775807 分，请核对金额",
                f"amount or sum out of range: more than 9223372036854775807 fen ({text_.splitlines()[0]})",
            ) from None
        raise


class Ledger:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name
        # signs a checkpoint of the chain head (checkpoints.Signer); written by ``checkpoint()`` / ``close()``
        self.checkpointer: Any = None
        self.appended = False  # events were appended since the last checkpoint
        # decisions a payment run found differing from their audit events: no checkpoint is signed over them
        self.unverified_rows: set[int] = set()

    # ------------------------------------------------------------------ setup
    @classmethod
    def open(cls, url: str = DEFAULT_URL, *, schema: str | None = None, migrate: bool = True, **engine_kw: Any) -> Ledger:
        """Open (and by default migrate to head) the ledger at ``url``; ``schema`` sets PG's search_path."""
        if url.startswith("sqlite"):
            engine_kw.setdefault("connect_args", {}).setdefault("timeout", 120)
            engine = create_engine(url, **engine_kw)

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")
        else:
            if schema:
                args = engine_kw.setdefault("connect_args", {})
                args["options"] = f"-csearch_path={schema}"
            engine = create_engine(url, **engine_kw)
        ledger = cls(engine)
        if migrate:
            ledger.migrate()
        return ledger

    def migrate(self, revision: str = "head") -> None:
        """``alembic upgrade head`` with the migrations shipped in the package."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)

    def close(self) -> None:
        try:
            if not self.unverified_rows:  # never signed over rows a payment run found tampered (``checkpoint``)
                try:
                    self.checkpoint()
                except LedgerError as e:  # a ledger that fails verification is not signed; the CLI says so
                    if e.code != "ledger_unverified":
                        raise
        finally:
            self.engine.dispose()

    # the tables whose rows are re-hashed before a checkpoint is signed (``_unfit_to_sign``): all those the events
    # hash but the ones with a row or more per decision (decisions, notices, reviews, 公示 entries, risk flags), whose
    # rows every payment and bank file re-hashes for what it pays (``projection.GATES``) and whose row counts are
    # checked here; re-hashing them all would make every command as slow as ``audit verify``
    SIGN_REHASHED = frozenset(HASHED) - {"case_decisions", "case_outbox", "case_reviews", "case_publicity_entries",
                                          "case_risk_flags"}

    def _unfit_to_sign(self, conn: Connection) -> list[audit.Issue]:
        """What stops a new checkpoint, whatever this command touched (outside casework audit D2, session 42: a
        payment batch signed a checkpoint while ``audit verify`` failed on a payment's amount, a payment row deleted,
        an operator's roles, a run's region, a notice deleted, a payee bank's code, an event's seal removed). Checked:
        the whole chain (order, links, each event's hash), the seals from the ledger's first sealed event on, every
        hashed table's row count against its events, the rows of the tables in ``SIGN_REHASHED``, the operators'
        roles and the payee banks against their events. Not checked here (``audit verify`` does): the contents of
        the per-decision tables left out of ``SIGN_REHASHED``."""
        EV = AuditEvent.__table__.c
        proj = projection.Projection.build(conn, (), check_rows=False)  # walks the chain; collects the payee banks
        issues = list(proj.chain.issues)
        start = [s for s in (audit.sealed_from(conn),) if s is not None]
        if self.checkpointer is not None:
            from .checkpoints import _sealed_from, read_lines

            path = self.checkpointer.store.path
            if (last := (read_lines(path) if path.exists() else [])[-1:]) and _sealed_from(last[0]) is not None:
                start.append(_sealed_from(last[0]))
        if start:
            n = conn.execute(select(func.count()).where(EV.seq >= min(start), EV.seal.is_(None))).scalar_one()
            if n:
                first = conn.execute(select(func.min(EV.seq)).where(EV.seq >= min(start), EV.seal.is_(None))).scalar()
                issues.append(audit.Issue("unsealed", f"自事件 {min(start)} 起每个事件都应加封，而有 {n} 个事件没有封印"
                                          f"（第一个为事件 {first}）", f"{n} events from event {min(start)} on carry "
                                          f"no seal (the first: event {first})"))
        covered = dict(conn.execute(select(EV.entity, func.sum(EV.row_count)).where(EV.content_hash.is_not(None))
                                    .group_by(EV.entity)).all())
        for name in HASHED:
            actual = conn.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one()
            if actual != (want := int(covered.get(name) or 0)):
                issues.append(audit.Issue("unrecorded", f"{name} 有 {actual} 行，审计事件记录的是 {want} 行（存在未经记录的增删）",
                                          f"{name} has {actual} rows but events cover {want} (unrecorded insert/delete)"))
        rep = audit.VerifyReport()
        for ev in conn.execute(select(AuditEvent.__table__).where(EV.entity.in_(sorted(self.SIGN_REHASHED)),
                                                                  EV.content_hash.is_not(None)).order_by(EV.seq)
                               ).mappings():
            audit.check_rows(conn, rep, dict(ev))
        issues += rep.issues
        issues += [diff.issue() for diff in proj.bank_differences(conn)]
        issues += operators.verify(conn)
        return issues

    def checkpoint(self) -> dict[str, Any] | None:
        """Sign and store a checkpoint of the chain head if events were appended since the last one."""
        if not (self.appended and self.checkpointer is not None):
            return None
        if self.unverified_rows:
            shown = "、".join(map(str, sorted(self.unverified_rows)[:20])) + (" …" if len(self.unverified_rows) > 20 else "")
            raise LedgerError("ledger_unverified",
                              f"决定 {shown} 的台账记录与其审计事件不符（wengang audit verify 校验不通过），不在其上签署新的检查点："
                              "请先查明并处理",
                              f"decisions {shown} differ from their audit events (wengang audit verify fails); no new "
                              "checkpoint is signed over them")
        with self._read() as conn:
            unfit = self._unfit_to_sign(conn)
        if unfit:
            more = f"（另有 {len(unfit) - 1} 处）" if len(unfit) > 1 else ""
            raise LedgerError("ledger_unverified",
                              f"审计链或台账记录校验不通过，不在其上签署新的检查点：{unfit[0].zh}{more}；"
                              "请运行 wengang audit verify 查明并处理",
                              f"the audit chain or the ledger's rows fail verification; no new checkpoint is signed "
                              f"over them: {unfit[0].en}" + (f" ({len(unfit) - 1} more)" if len(unfit) > 1 else "")
                              + "; run wengang audit verify")
        rec = self.checkpointer.write(self)
        self.appended = False
        return rec

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with _amounts_in_range(), self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            conn.info.pop(audit.APPENDED, None)
            conn.info.pop(audit.SEAL_REQUIRED, None)
            conn.info.pop(audit.FIRST_SEAL, None)  # the ledger's first seal is recorded once (audit.sealed_from)
            conn.info.pop(CHECKED, None)  # decisions checked against their events in this transaction (``_checked``)
            conn.info[audit.SEALER] = self.checkpointer.seal if self.checkpointer is not None else None
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                if self.checkpointer is None:  # no unsealed event on a sealed ledger (docs/audit-keys.md “Seals”)
                    conn.info[audit.SEAL_REQUIRED] = self._sealed(conn)
                yield conn
            if conn.info.pop(audit.APPENDED, False):  # committed with new events: a checkpoint is due
                self.appended = True

    @staticmethod
    def _sealed(conn: Connection) -> bool:
        """Has this ledger sealed events (``case_ledger_meta.sealed_from``, or its last event carries a seal)?"""
        EV = AuditEvent.__table__.c
        return audit.sealed_from(conn) is not None or bool(
            conn.execute(select(EV.seal.is_not(None)).order_by(EV.seq.desc()).limit(1)).scalar())

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction on one snapshot: on PostgreSQL REPEATABLE READ (a read-only transaction there is
        never refused for serialization), so a check that reads the events and then the rows they cover
        (``Projection.build(check_rows=True)``) never sees rows committed after the events it read (outside ledger
        audit, session 41: a bank file racing a resize reported the resize's recomputation as written behind the
        ledger and stopped every payment). SQLite's deferred ``BEGIN`` in WAL mode reads one snapshot already."""
        with _amounts_in_range(), self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def _need_actor(self, actor: str, action: str) -> str:
        """The acting operator's login (normalised), if registered, enabled and holding the role ``action``
        needs (``roles.ACTIONS``); else ``LedgerError``. Every write starts here, before any change."""
        return operators.require(self, actor, action).login

    def _insert(self, tbl: Any) -> Any:
        return (pg_insert if self.dialect == "postgresql" else sqlite_insert)(tbl)

    def _fresh_statistics(self, rows: int, *tables: str) -> None:
        """After a bulk write of ``rows`` rows (at least ``_ANALYZE_AFTER``), PostgreSQL's planner statistics of
        ``tables`` brought up to date. Right after an import of 1 M decisions it still took the table for a few
        thousand rows and read each chunk of 5,000 ids through the state index: 0.55 s a query, 12 s of a 100 k 初审
        and 5 s of its notice, against 7 ms by the key once analysed (0.5 s); autovacuum analyses a minute or more
        later. SQLite plans by its indexes alone: nothing to do."""
        if self.dialect != "postgresql" or rows < _ANALYZE_AFTER:
            return
        with self.engine.begin() as conn:
            for table in tables:
                conn.exec_driver_sql(f'ANALYZE "{table}"')  # (a fixed table name of the ledger's own)

    # ---------------------------------------------------------------- helpers
    def _load(self, conn: Connection, decision_id: int) -> dict[str, Any]:
        row = conn.execute(select(Decision.__table__).where(D.id == decision_id)).mappings().first()
        if row is None:
            raise _err_not_found("决定", "decision", decision_id)
        return dict(row)

    @staticmethod
    def _kept_figures(conn: Connection, d: dict[str, Any]) -> tuple[int | None, str | None]:
        """Decision ``d``'s ``base_fen`` and ``outcomes`` where the event that created it hashed them (hash version 4
        on), else (None, None): a row imported before the ledger kept them has none, and a value put there since is
        covered by no hash, so it is not stated, rescaled by or adopted from."""
        if d.get("base_fen") is None and d.get("outcomes") is None:
            return None, None
        EV = AuditEvent.__table__.c
        after = conn.execute(select(EV.after).where(EV.ref == d["audit_ref"], EV.entity == "case_decisions")
                             .order_by(EV.seq).limit(1)).scalar()
        if after is None or "base_fen" not in audit.hashed_columns("case_decisions", after):
            return None, None
        return d.get("base_fen"), d.get("outcomes") or None

    def _entitlement(self, conn: Connection, d: dict[str, Any]) -> tuple[str, int | None, str | None]:
        R = Recomputation.__table__.c
        r = conn.execute(
            select(R.new_status, R.new_amount_fen, R.new_size_class)
            .where(R.decision_id == d["id"]).order_by(R.seq.desc()).limit(1)
        ).first()
        return (r[0], r[1], r[2]) if r else (d["status"], d["amount_fen"], d["size_class"])

    @staticmethod
    def _amount_sql() -> Any:
        R = Recomputation.__table__.c
        latest = (select(R.new_amount_fen).where(R.decision_id == D.id).order_by(R.seq.desc()).limit(1)
                  .scalar_subquery())
        return func.coalesce(latest, D.amount_fen)

    @staticmethod
    def _proc(d: dict[str, Any]) -> Procedure:
        return procedure(d["policy_doc"], d["program"])

    def _move(self, conn: Connection, d: dict[str, Any], action: str, to: str, actor: str, reason: str,
              note: dict[str, Any] | None = None, **values: Any) -> None:
        t = check(action, d["state"], d["id"], confirmation_required=self._proc(d).confirmation_required)
        assert to in t.targets, (action, to)
        res = conn.execute(
            update(Decision.__table__).where(D.id == d["id"], D.version == d["version"])
            .values(state=to, version=D.version + 1, **values)
        )
        if res.rowcount != 1:  # pragma: no cover - the write lock makes this unreachable
            raise LedgerError("concurrent_change", f"决定 {d['id']} 已被他人修改，请重试",
                              f"decision {d['id']} changed concurrently; retry")
        audit.append(
            conn, actor=actor, action=action, entity="case_decisions", entity_id=d["id"], reason=reason,
            before={"state": d["state"], **{k: _jsonable(d[k]) for k in values}},
            after={"state": to, **{k: _jsonable(v) for k, v in values.items()}, **(note or {})},
        )
        d.update(values, state=to, version=d["version"] + 1)

    def _insert_rows(self, conn: Connection, model: Any, rows: Sequence[dict[str, Any]], *, actor: str,
                     action: str, reason: str = "", after: Any = None) -> tuple[str, int]:
        """INSERT ... ON CONFLICT DO NOTHING; one audit event covering the rows actually inserted."""
        ref = audit.new_ref()
        if rows:
            conn.execute(self._insert(model.__table__).on_conflict_do_nothing(),
                         [{**r, "audit_ref": ref} for r in rows])
        seq = audit.append(conn, actor=actor, action=action, entity=model.__tablename__, ref=ref,
                           reason=reason, after=after)
        n = 0 if seq is None else conn.execute(
            select(func.count()).select_from(model.__table__).where(model.__table__.c.audit_ref == ref)
        ).scalar_one()
        return ref, n

    def _queue_refusals(self, conn: Connection, ids: Collection[int], actor: str, step: str) -> None:
        """Tell each of ``ids`` already told it would be paid (an inform or offer queued) that it is not: the refusal
        on the channels it was told on (outside audit, session 39: refused at 复审 after “将发放…无需申请”, never told)."""
        OB = OutboxMessage.__table__.c
        told: dict[int, list[str]] = {}
        for i in range(0, len(ids), 5000):
            part = sorted(ids)[i:i + 5000]
            for did, ch in conn.execute(select(OB.decision_id, OB.channel).distinct().where(
                    OB.decision_id.in_(part), OB.template.in_(("inform", "offer"))).order_by(OB.decision_id, OB.channel)):
                told.setdefault(int(did), []).append(ch)
        for did, chans in told.items():
            d = self._load(conn, did)
            self._queue_notice(conn, d, "refused", [c for c in CHANNELS if c in chans] or chans, actor, step=step)

    def _queue_notice(self, conn: Connection, d: dict[str, Any], template: str, channels: Sequence[str],
                      actor: str, key_suffix: str = "", *, amount_fen: int | None = None, **extra: str) -> None:
        """``amount_fen``: the amount the message is about when it is not the entitlement (a top-up that bounced)."""
        amount = amount_fen if amount_fen is not None else self._entitlement(conn, d)[1]
        rows = [
            {"decision_id": d["id"], "template": template, "channel": ch,
             "idempotency_key": f"{d['id']}:{template}{key_suffix}:{ch}",
             "recipient": shown_recipient(d), "body": render(template, ch, d, amount, **extra),
             "state": "pending", "attempts": 0}
            for ch in channels
        ]
        self._insert_rows(conn, OutboxMessage, rows, actor=actor, action=f"queue_{template}",
                          after={"decision_id": d["id"]})

    # ------------------------------------------------------------- screening
    def record_run(self, run: RunIn, actor: str) -> int:
        """Record a screening run (idempotent on its fingerprint ``run_key``); return its id."""
        actor = self._need_actor(actor, "import")
        with self._tx() as conn:
            return self._record_run(conn, run, actor)

    @staticmethod
    def run_key(run: RunIn) -> str:
        """A run's identity: its input fingerprints (a screening's results file hash) and parameters."""
        return hashlib.sha256(audit.canonical(asdict(run)).encode()).hexdigest()

    def find_run(self, run: RunIn) -> int | None:
        """The id of this very run if it was recorded before (an import offered again), else None. A run whose
        results were recorded under another program or year is refused (``_same_input_elsewhere``)."""
        T = Run.__table__.c
        with self._read() as conn:
            found = conn.execute(select(T.id).where(T.run_key == self.run_key(run))).scalar_one_or_none()
            if found is None:
                self._same_input_elsewhere(conn, run)
            return found

    @staticmethod
    def _fingerprints(inputs: Mapping[str, Any]) -> set[str]:
        """A run's input file hashes (SHA-256 hex), not its other inputs (the evaluation date)."""
        return {v for v in inputs.values() if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)}

    def _same_input_elsewhere(self, conn: Connection, run: RunIn) -> None:
        """Refuse a run whose results file is already recorded under another program or year (D3: a 2025 screening
        imported again as 2026 made every unit entitled, and paid, twice). A person program's results are split by
        each row's application year (``intake``: ``--year``), so one file may serve several years there."""
        from .intake import PERSON_PROGRAMS

        T = Run.__table__.c
        for fp in sorted(self._fingerprints(run.inputs)):
            for rid, program, year, inputs in conn.execute(
                select(T.id, T.program, T.year, T.inputs).where(T.inputs.contains(fp)).order_by(T.id)
            ).all():
                if fp not in self._fingerprints(json.loads(inputs)):
                    continue
                if program == run.program and (year == run.year or program in PERSON_PROGRAMS):
                    continue
                raise LedgerError(
                    "run_other_year",
                    f"该筛查结果（文件 SHA-256 {fp[:12]}…）已作为{PROGRAM_ZH.get(program, program)}（{program}）{year} "
                    f"年度导入（批次 {rid}），不能再作为{PROGRAM_ZH.get(run.program, run.program)}（{run.program}）"
                    f"{run.year} 年度导入：一次筛查只对应它所筛查的项目和年度，{run.year} 年度须另行筛查",
                    f"these results (SHA-256 {fp[:12]}...) were imported as {program} {year} (run {rid}); they cannot "
                    f"be imported again as {run.program} {run.year}: screen {run.year} on its own")

    def _record_run(self, conn: Connection, run: RunIn, actor: str) -> int:
        run_key = self.run_key(run)
        T = Run.__table__.c
        if conn.execute(select(T.id).where(T.run_key == run_key)).scalar_one_or_none() is None:
            self._same_input_elsewhere(conn, run)
        self._insert_rows(conn, Run, [{
            "run_key": run_key, "program": run.program, "year": run.year, "region_code": run.region_code,
            "inputs": bulk.dumps(run.inputs), "policy_versions": bulk.dumps(run.policy_versions),
            "readings": bulk.dumps(run.readings),
        }], actor=actor, action="record_run")
        return conn.execute(select(T.id).where(T.run_key == run_key)).scalar_one()

    def _import_result(self, run: RunIn, run_id: int, df: pl.DataFrame, existing: pl.DataFrame,
                       inserted: int, actor: str) -> ImportResult:
        """What an import did, from the rows it offered (``df``) and the keys stored before it (``existing``): the
        held and 待认定 rows it inserted (the rows of this run whose key was not stored before), and the stored
        decisions it disagrees with (``_disagreements``). An approved decision this run holds is held at once
        (``_hold_on_import``)."""
        key = list(bulk.KEY)
        held = to_verify = 0
        with self._read() as conn:
            if inserted:
                marked = conn.execute(select(D.unit_id, D.claim_key, D.init_state).where(
                    D.run_id == run_id, or_(D.init_state == "held", and_(D.init_state == "pending_determination",
                                                                         D.init_hold_reason.is_not(None))))).all()
                if marked:
                    mine = pl.DataFrame([tuple(r) for r in marked], orient="row", schema={
                        "unit_id": pl.String, "claim_key": pl.String, "init_state": pl.String,
                    }).with_columns(pl.col("claim_key").fill_null(""))
                    if existing.height:
                        mine = mine.join(existing, on=key, how="anti")
                    held = mine.filter(pl.col("init_state") == "held").height
                    to_verify = mine.height - held
            disagreements = self._disagreements(conn, run, run_id, df, existing) if existing.height else []
        self._hold_on_import(run_id, disagreements, actor)
        return ImportResult(run_id=run_id, offered=df.height, inserted=inserted, held=held, to_verify=to_verify,
                            disagreements=disagreements)

    def _disagreements(self, conn: Connection, run: RunIn, run_id: int, df: pl.DataFrame,
                       existing: pl.DataFrame) -> list[dict[str, Any]]:
        """The decisions stored before this run (by another run or an application) whose entitlement — status and
        amount after any 认定 or 划型变更 — or payment hold this run's row for the same key contradicts. The import
        never changes a stored decision (one decision per (year, program, unit, claim)); each is named with what
        differs and the step that settles it: 待认定 → ``case resolve``; an amount → ``case resize`` (多退少补 when
        paid); not entitled any more → the review refuses it, or after approval the 稽核's risk check (``wengang
        risk``; a confirmed flag stops the payment, ``case revoke``, or recovers it)."""
        from wengang.documents.masking import mask_unit_id

        from .intake import STATUS_ZH
        from .states import state_zh

        key = list(bulk.KEY)
        offered = df.join(existing, on=key, how="semi")
        if offered.height == 0:
            return []
        stored = conn.execute(select(D.id, D.unit_id, D.claim_key, D.unit_name, D.state, D.status, D.amount_fen,
                                     D.size_class, D.hold_reason).where(
            D.program == run.program, D.year == run.year, or_(D.run_id.is_(None), D.run_id != run_id))).all()
        if not stored:
            return []
        cols = {"decision_id": pl.Int64, "unit_id": pl.String, "claim_key": pl.String, "unit_name": pl.String,
                "state": pl.String, "status": pl.String, "amount_fen": pl.Int64, "size_class": pl.String,
                "hold_reason": pl.String}
        sf = stored_claim_keys(pl.DataFrame([tuple(r) for r in stored], schema=cols, orient="row").with_columns(
            pl.col("claim_key").fill_null("")), run.program)
        R = Recomputation.__table__.c
        rec = conn.execute(select(R.decision_id, R.seq, R.new_status, R.new_amount_fen, R.new_size_class)
                           .select_from(Recomputation.__table__.join(Decision.__table__, D.id == R.decision_id))
                           .where(D.program == run.program, D.year == run.year)).all()
        if rec:
            latest = (pl.DataFrame([tuple(r) for r in rec], orient="row", schema={
                "decision_id": pl.Int64, "seq": pl.Int64, "r_status": pl.String, "r_amount": pl.Int64,
                "r_size": pl.String}).sort("seq").group_by("decision_id").last().drop("seq"))
            sf = sf.join(latest, on="decision_id", how="left").with_columns(
                pl.col("r_status").is_not_null().alias("recomputed"),
                pl.coalesce("r_status", "status").alias("status"),
                pl.when(pl.col("r_status").is_not_null()).then(pl.col("r_amount")).otherwise(pl.col("amount_fen"))
                .alias("amount_fen"),
                pl.when(pl.col("r_status").is_not_null()).then(pl.col("r_size")).otherwise(pl.col("size_class"))
                .alias("size_class")).drop("r_status", "r_amount", "r_size")
        if "recomputed" not in sf.columns:
            sf = sf.with_columns(pl.lit(False).alias("recomputed"))
        new = offered.select(*key, pl.col("status").alias("new_status"), pl.col("amount_fen").alias("new_amount_fen"),
                             pl.col("size_class").alias("new_size_class"),
                             pl.col("payment_hold").fill_null(False).alias("new_hold"),
                             pl.col("payment_hold_reason").alias("new_hold_reason"))
        undetermined = ("needs_decision", "not_determinable")  # both are stored 待认定
        both_eligible = (pl.col("status") == "eligible") & (pl.col("new_status") == "eligible")
        pairs = sf.join(new, on=key, how="inner").with_columns(
            ((pl.col("status") != pl.col("new_status"))
             & ~(pl.col("status").is_in(undetermined) & pl.col("new_status").is_in(undetermined))).alias("_status"),
            (both_eligible & (pl.col("amount_fen") != pl.col("new_amount_fen"))).fill_null(False).alias("_amount"),
            (both_eligible & (pl.col("hold_reason").is_not_null() != pl.col("new_hold"))).alias("_hold"),
        ).filter(pl.col("_status") | pl.col("_amount") | pl.col("_hold")).sort("decision_id")
        out: list[dict[str, Any]] = []
        # the readings this run fixed: a 待认定 decision may take the rules' result under them (``case adopt``)
        adopt = " ".join(f"--reading {k}={v}" for k, v in sorted(run.readings.items()))
        for r in pairs.iter_rows(named=True):
            differs = [k for k in ("status", "amount", "hold") if r[f"_{k}"]]
            new_hold_reason = (r["new_hold_reason"] or bulk.HOLD_DEFAULT_REASON) if r["new_hold"] else None

            def said(status: str, amount: int | None) -> str:
                return STATUS_ZH.get(status, status) + (f" {format_yuan(amount)}" if status == "eligible"
                                                         and amount is not None else "")

            def said_en(status: str, amount: int | None) -> str:
                return status + (f" {amount} fen" if status == "eligible" and amount is not None else "")

            hold_zh = "" if not new_hold_reason else (f"，暂缓发放（{new_hold_reason}）" if r["new_status"] == "eligible"
                                                      else f"（结论待核实：{new_hold_reason}）")
            what_zh = (f"已入库{'（经人工认定或重新核定）' if r['recomputed'] else ''}：{said(r['status'], r['amount_fen'])}"
                       + ("，暂缓发放" if "hold" in differs and r["hold_reason"] else "")
                       + f"；本批次：{said(r['new_status'], r['new_amount_fen'])}{hold_zh}"
                       + ("，不暂缓" if "hold" in differs and not r["new_hold"] else ""))
            what_en = (f"stored{' (as determined or recomputed)' if r['recomputed'] else ''} "
                       f"{said_en(r['status'], r['amount_fen'])}; this run "
                       f"{said_en(r['new_status'], r['new_amount_fen'])}" + (", payment held" if r["new_hold"] else "")
                       + f" (differs: {', '.join(differs)})")
            action, zh, en = self._settled_by(r, differs, state_zh(r["state"]), adopt)
            out.append({
                "decision_id": r["decision_id"], "unit": mask_unit_id(r["unit_id"]), "unit_name": r["unit_name"],
                "claim_key": r["claim_key"], "state": r["state"], "differs": differs,
                "stored_status": r["status"], "stored_amount_fen": r["amount_fen"], "new_status": r["new_status"],
                "new_amount_fen": r["new_amount_fen"], "new_hold_reason": new_hold_reason, "action": action,
                "zh": f"{what_zh}。{zh}", "en": f"{what_en}. {en}", "what_zh": what_zh, "what_en": what_en,
            })
        return out

    def _hold_on_import(self, run_id: int, disagreements: list[dict[str, Any]], actor: str) -> None:
        """Fail closed where money leaves: a decision approved and not yet paid that this run holds (a 缓缴 not made
        good, a quarantined row that may stop or reduce the payment) is held now, with the run's reason, not only
        advised — a hold left to a later ``case hold`` was paid by the next batch (outside audit D). Its release then
        asks what that reason asks (``release``: a quarantined row's hold by a 复核, with a reason). Lifting a hold,
        changing an amount or a conclusion stays a person's decision."""
        todo = [d for d in disagreements if d["action"] == "hold"]
        if not todo:
            return
        with self._tx() as conn:
            for d in todo:
                cur = self._load(conn, d["decision_id"])
                if cur["state"] not in ("approved", "publicized"):
                    continue  # moved on since the disagreements were read: the advice stands
                why = d["new_hold_reason"]
                self._move(conn, cur, "hold", "held", actor, f"筛查批次 {run_id} 要求暂缓发放：{why}", hold_reason=why)
                d["action"], d["state"] = "held", "held"
                d["zh"] = (f"{d['what_zh']}。已按本批次暂缓发放（{why}）：核实后解除暂缓"
                           f"（wengang case release {d['decision_id']} --reason …）")
                d["en"] = (f"{d['what_en']}. Held now, as this run holds it ({why}): verify, then "
                           f"wengang case release {d['decision_id']} --reason ...")

    @staticmethod
    def _settled_by(r: dict[str, Any], differs: list[str], state: str, adopt: str = "") -> tuple[str, str, str]:
        """The step that settles a disagreement of a new run with a stored decision (``_disagreements``); ``adopt``:
        the readings the new run fixed, as ``case adopt`` options (empty: it fixed none)."""
        did, st = r["decision_id"], r["state"]
        sent = st in ("paid", "bounced", "account_fixed")
        if st == "pending_determination":
            how = {"eligible": f"--eligible --amount-fen {r['new_amount_fen']}", "ineligible": "--ineligible"}.get(
                r["new_status"], "--eligible/--ineligible")
            if adopt and r["new_status"] in ("eligible", "ineligible"):
                # the run settled the question by the readings it fixed: the decision can take the rules' own result
                # under them from what it kept, rather than an amount typed by hand
                return ("resolve",
                        f"该决定待认定，本批次按其认定的政策理解得出结论：按认定的政策理解办理（wengang case adopt {did} {adopt} "
                        f"--reason …），或核实后人工认定（wengang case resolve {did} {how} --reason …）",
                        f"it awaits a determination and this run decided it under the readings it fixed: wengang case "
                        f"adopt {did} {adopt} --reason ..., or verify and wengang case resolve {did} {how} --reason ...")
            return ("resolve", f"该决定待认定：核实后人工认定（wengang case resolve {did} {how} --reason …）",
                    f"it awaits a determination: verify, then wengang case resolve {did} {how} --reason ...")
        if st in TERMINAL:
            return ("none", f"该决定已终结（{state}），新批次不改变它：请核实两次筛查所用的数据",
                    f"it is closed ({st}); the new run does not change it: check the data of both runs")
        risk_zh = ("交稽核作风险疑点核查（wengang risk），核实后" + ("追回已发放的资金（wengang risk confirm）" if sent
                                                               else "由复核撤销核准、不予发放（wengang case revoke）"))
        risk_en = "refer it to the 稽核's risk check (wengang risk); once confirmed " + (
            "the money paid is recovered (wengang risk confirm)" if sent else "a 复核 revokes it (wengang case revoke)")
        review_zh = (f"该决定尚在审核中（{state}）：初审或复审时核实，确不符合条件的审核不通过"
                     f"（wengang case review {did} --stage {2 if st == 'first_reviewed' else 1} --reject --reason …）")
        review_en = f"it is still in review ({st}): verify at review and reject it if it is not entitled"
        if "status" in differs:
            if sent or st in ("approved", "publicized", "held"):
                return "risk", f"该决定当前为“{state}”：{risk_zh}", risk_en
            return "review", review_zh, review_en
        if "amount" in differs and r["new_size_class"] and r["new_size_class"] != r["size_class"]:
            size = r["new_size_class"]
            return ("resize", f"金额不同（划型 {r['size_class'] or '—'} → {size}）：核实后按划型变更重新核定"
                    f"（wengang case resize {did} {size} {r['new_amount_fen']} --reason …）" + ("，已发放的多退少补" if sent else ""),
                    f"the amount differs (size class {r['size_class']} -> {size}): verify, then wengang case resize {did} "
                    f"{size} {r['new_amount_fen']} --reason ..." + (" (paid: the difference is settled)" if sent else ""))
        if "amount" in differs:  # the same size class: the data the amount rests on differ (缴费基数 …)
            lower = (r["new_amount_fen"] or 0) < (r["amount_fen"] or 0)
            if not (sent or st in ("approved", "publicized", "held")):
                return ("review", f"金额不同而划型相同，所依据的缴费等数据不同。{review_zh}",
                        f"the amount differs with the same size class (the data differ). {review_en}")
            if lower:  # paid, or to be paid, above what this run finds
                return ("risk", f"本批次金额更低而划型相同，所依据的缴费等数据不同：{risk_zh}",
                        f"this run finds less with the same size class (the data differ): {risk_en}")
            return ("none", "本批次金额更高而划型相同，所依据的缴费等数据不同：台账仍按已核定的金额办理，不会自动补发；"
                    "请核实两次筛查所用的数据",
                    "this run finds more with the same size class (the data differ): the ledger keeps the amount "
                    "decided and pays no top-up by itself; check the data of both runs")
        if r["new_hold"]:
            if sent:
                return "risk", f"该决定当前为“{state}”，本批次要求暂缓发放：{risk_zh}", risk_en
            if st in ("approved", "publicized"):
                return ("hold", f"本批次要求暂缓发放：核实后暂缓（wengang case hold {did} --reason …）",
                        f"this run holds the payment: verify, then wengang case hold {did} --reason ...")
            return "review", review_zh, review_en
        if st == "held":
            from .states import HOLD_DEFERRAL, hold_kinds

            if hold_kinds(r["hold_reason"]) == (HOLD_DEFERRAL,):
                return ("release", f"本批次不再暂缓发放：核实缓缴已补足后解除暂缓（wengang case release {did}）",
                        f"this run no longer holds the payment: verify it is paid up, then wengang case release {did}")
            return ("release", f"本批次不再暂缓发放：按暂缓理由（{r['hold_reason']}）核实后解除暂缓"
                    f"（wengang case release {did} --reason …）",
                    f"this run no longer holds the payment: verify what the hold names, then wengang case release "
                    f"{did} --reason ...")
        return ("none", "本批次不再暂缓发放，该决定也未暂缓：无须处理", "neither holds the payment: nothing to do")

    def import_decisions(self, run: RunIn, decisions: Any, actor: str, *, chunk_size: int = 200_000) -> ImportResult:
        """Store a screening run's decisions (list of DecisionIn/dicts, pyarrow Table or polars DataFrame).

        Idempotent: re-importing the same decisions inserts nothing; a killed import resumes. One audit
        event per chunk covers the inserted rows by content hash.

        The natural keys already stored for (program, year) are read once and anti-joined away, so a
        re-import writes (and locks) nothing. The rest goes in with COPY (PostgreSQL) or one prepared
        ``executemany`` (SQLite), always behind ``ON CONFLICT DO NOTHING`` semantics: a row someone else
        stored after the key read is skipped by the unique constraint, never written twice. The chunk's
        content hash is computed from the frame written and the ids read back (``audit.inserted_hash``).
        """
        actor = self._need_actor(actor, "import")
        # one written form of every claim key, whichever path the table came by (models.canonical_claim_keys)
        df = canonical_claim_keys(bulk.to_frame(decisions))
        bulk.validate(df, run.program, run.year)
        with self._tx() as conn:
            run_id = self._record_run(conn, run, actor)
        with self._read() as conn:
            existing = self._stored_keys(conn, run.program, run.year)
            claimed = self._claimed_other_years(conn, run)
        already: list[dict[str, Any]] = []
        if claimed.height:
            from wengang.documents.masking import mask_unit_id

            hit = df.join(existing, on=list(bulk.KEY), how="anti").join(claimed, on=list(bulk.KEY), how="inner")
            already = [{"unit": mask_unit_id(r["unit_id"]), "claim_key": r["claim_key"], "decision_id": r["other_id"],
                        "year": r["other_year"]} for r in hit.unique(list(bulk.KEY)).iter_rows(named=True)]
            existing = pl.concat([existing, claimed.select(bulk.KEY)]).unique(maintain_order=True)
        df = self._hold_beyond_yearly_count(run, df, existing)
        inserted = 0
        with (ThreadPoolExecutor(2, thread_name_prefix="wengang-import") as pool,
              step("导入筛查结果", total=df.height, unit="条") as shown):
            for off in range(0, df.height, chunk_size):
                shown.update(done=off)
                part = df.slice(off, chunk_size)
                new = part.join(existing, on=list(bulk.KEY), how="anti", maintain_order="left") \
                    if existing.height else part
                if new.height == 0:
                    continue
                with self._tx() as conn:
                    Q = Disqualification.__table__.c
                    disq = set(conn.execute(select(Q.unit_id).where(Q.program == run.program,
                                                                    Q.year == run.year)).scalars())
                    ref = audit.new_ref()
                    rows = bulk.db_frame(new, run_id, ref, disq)
                    if self.dialect == "postgresql":
                        n = self._copy_decisions(conn, rows, pool)
                    else:
                        n = self._sqlite_insert_decisions(conn, rows)
                    # every offered row went in: hash the frame we wrote, with the ids the database gave it
                    pre = audit.inserted_hash(conn, rows, ref) if n == rows.height else None
                    held = rows.filter(pl.col("state") == "held").height
                    audit.append(conn, actor=actor, action="import", entity="case_decisions", ref=ref,
                                 precomputed=pre, after={"run_id": run_id, "offset": off, "offered": part.height,
                                                         **({"held": held} if held else {})})
                    inserted += n
            shown.update(done=df.height)
        self._fresh_statistics(inserted, "case_decisions")
        res = self._import_result(run, run_id, df, existing, inserted, actor)
        res.already_claimed = already
        return res

    def _hold_beyond_yearly_count(self, run: RunIn, df: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
        """技能提升补贴 “每人每年可享受 1 次补贴，对取得自治区急需紧缺职业（工种）证书的，在此基础上增加 2 次补贴次数”
        (内人社发〔2025〕18号 二): one screening run counts a person's claims of the year itself, but a later run does not
        see what the ledger already holds for them (the person audit, session 38: a second ordinary subsidy of 2025 was
        imported and paid). A new eligible claim of a person who already has a live decision of the program and year is
        imported held, naming those decisions, until a caseworker has counted them (fail closed; an urgent-occupation
        claim may rightly be a second or third)."""
        if run.program != "skill_subsidy" or df.height == 0:
            return df
        ended = ("not_eligible", "rejected", "declined", "waived", "revoked", "disqualified")
        with self._read() as conn:
            live: dict[str, list[int]] = {}
            for uid, did in conn.execute(select(D.unit_id, D.id).where(
                    D.program == run.program, D.year == run.year, D.state.not_in(ended)).order_by(D.id)):
                live.setdefault(uid, []).append(int(did))
        if not live:
            return df
        new = df.join(existing, on=list(bulk.KEY), how="anti") if existing.height else df
        over = new.filter((pl.col("status") == "eligible") & pl.col("unit_id").is_in(list(live)))
        if over.height == 0:
            return df
        why = {uid: ("本年度已有技能提升补贴决定（决定 " + "、".join(map(str, live[uid])) + "）：每人每年可享受 1 次补贴，"
                     "取得急需紧缺职业（工种）证书的增加 2 次（内人社发〔2025〕18号 二），须核对本年度次数后解除暂缓")
               for uid in over["unit_id"].unique().to_list()}
        hit = pl.col("unit_id").is_in(list(why)) & (pl.col("status") == "eligible") & ~pl.col("payment_hold").fill_null(False)
        keys = pl.concat_str([pl.col(k).cast(pl.String) for k in bulk.KEY], separator="\x1f")
        new_keys = set(new.select(keys.alias("k"))["k"].to_list())
        hit = hit & keys.is_in(list(new_keys))
        return df.with_columns(
            pl.when(hit).then(True).otherwise(pl.col("payment_hold")).alias("payment_hold"),
            pl.when(hit).then(pl.col("unit_id").replace_strict(why, default=None))
            .otherwise(pl.col("payment_hold_reason")).alias("payment_hold_reason"),
        )

    def _claimed_other_years(self, conn: Connection, run: RunIn) -> pl.DataFrame:
        """(unit_id, claim_key, other_id, other_year) of the open or enjoyed 技能提升补贴 claims of other years: 同一职业
        （工种）同一等级只能申请并享受一次 (内人社发〔2025〕18号 二) — a later year's screening must not decide the claim
        again (outside audit C: a 2027 run inserted it). Keys compared in canonical form (``stored_claim_keys``)."""
        schema = {"unit_id": pl.String, "claim_key": pl.String, "other_id": pl.Int64, "other_year": pl.Int64}
        if run.program != "skill_subsidy":
            return pl.DataFrame(schema=schema)
        rows = conn.execute(select(D.unit_id, D.claim_key, D.id, D.year).where(
            D.program == run.program, D.year != run.year, D.state.not_in(list(TERMINAL))).order_by(D.id)).all()
        df = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
        return stored_claim_keys(df.with_columns(pl.col("claim_key").fill_null("")), run.program) \
            .unique(["unit_id", "claim_key"], keep="first", maintain_order=True)

    def _stored_keys(self, conn: Connection, program: str, year: int) -> pl.DataFrame:
        """(unit_id, claim_key) of the decisions already stored for (program, year)."""
        schema = {c: pl.String for c in bulk.KEY}
        if self.dialect == "postgresql":
            from psycopg import sql

            q = sql.SQL("COPY (SELECT unit_id, claim_key FROM case_decisions WHERE program = {} AND year = {}) "
                        "TO STDOUT (FORMAT csv)").format(sql.Literal(program), sql.Literal(int(year)))
            buf = bytearray()
            with conn.connection.driver_connection.cursor() as cur, cur.copy(q) as cp:
                for data in cp:
                    buf += data
            if not buf:
                return pl.DataFrame(schema=schema)
            df = pl.read_csv(bytes(buf), has_header=False, new_columns=list(bulk.KEY), schema=schema)
        else:
            rows = conn.exec_driver_sql(
                "SELECT unit_id, claim_key FROM case_decisions WHERE program = ? AND year = ?", (program, year)
            ).all()
            df = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
        # a key stored in another spelling (before keys had one form) is the claim its canonical form names: the
        # anti-join must find it, or the claim is inserted and paid a second time (outside audit A)
        # (a key twice after that is harmless: the frame is only anti- and semi-joined)
        return stored_claim_keys(df.with_columns(pl.col("claim_key").fill_null("")), program)

    def _sqlite_insert_decisions(self, conn: Connection, rows: pl.DataFrame) -> int:
        cols = ", ".join(bulk.DB_COLUMNS)
        marks = ", ".join("?" for _ in bulk.DB_COLUMNS)
        return conn.exec_driver_sql(
            f"INSERT INTO case_decisions ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows.rows(),
        ).rowcount

    def _copy_decisions(self, conn: Connection, rows: pl.DataFrame, pool: ThreadPoolExecutor) -> int:
        """COPY straight into case_decisions; on a key stored meanwhile, COPY to a temp table and
        ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``. Returns the rows inserted."""
        import psycopg

        raw = conn.connection.driver_connection
        cols = ", ".join(bulk.DB_COLUMNS)

        def copy_into(target: str) -> int:
            with raw.cursor() as cur:
                with cur.copy(f"COPY {target} ({cols}) FROM STDIN {bulk.COPY_OPTS}") as cp:
                    # encode slice k + 1 in a worker while slice k goes to the server
                    pending = None
                    for piece in rows.iter_slices(bulk.COPY_SLICE):
                        nxt = pool.submit(bulk.csv_bytes, piece)
                        if pending is not None:
                            cp.write(pending.result())
                        pending = nxt
                    if pending is not None:
                        cp.write(pending.result())
                return cur.rowcount

        sp = conn.begin_nested()
        try:
            n = copy_into("case_decisions")
            sp.commit()
            return n
        except psycopg.errors.UniqueViolation:
            sp.rollback()  # someone stored some of these keys after we read them: take the general path
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE case_tmp_decisions ON COMMIT DROP AS SELECT {cols} FROM case_decisions WITH NO DATA"
        )
        copy_into("case_tmp_decisions")
        tmp = table("case_tmp_decisions", *[column(c) for c in bulk.DB_COLUMNS])
        conn.execute(
            pg_insert(Decision.__table__).from_select(list(bulk.DB_COLUMNS), select(*tmp.c).where(literal(True)))
            .on_conflict_do_nothing()
        )
        conn.exec_driver_sql("DROP TABLE case_tmp_decisions")
        return conn.execute(select(func.count()).select_from(Decision.__table__)
                            .where(D.audit_ref == rows["audit_ref"][0])).scalar_one()

    def resolve(self, decision_id: int, actor: str, *, eligible: bool, amount_fen: int | None, reason: str) -> None:
        """待认定 → decided by the caseworker (recorded as a determination, the rule output stays)."""
        self._resolve(decision_id, actor, eligible=eligible, amount_fen=amount_fen, reason=reason, kind="determination")

    def _resolve(self, decision_id: int, actor: str, *, eligible: bool, amount_fen: int | None, reason: str,
                 kind: str) -> None:
        """``resolve`` recorded as ``kind``: ``determination`` (人工认定, an amount the caseworker gives) or ``reading``
        (``adopt_readings``: the rules' result under the readings the agency adopted)."""
        actor = self._need_actor(actor, "resolve")
        if eligible and (not isinstance(amount_fen, int) or amount_fen < 0):
            raise LedgerError("bad_amount", "认定符合条件时须给出金额（--amount-fen，以分计的非负整数，或带单位如 1484.50元）",
                              "eligible needs an amount (--amount-fen: whole fen, or yuan with its unit)")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            check("resolve", d["state"], decision_id)
            if eligible:
                _refuse_no_document(d, "认定为符合条件")
                if not (reason or "").strip():
                    raise LedgerError("no_reason", "人工认定金额须写明理由（--reason）：该金额为人工核定，不是规则核定",
                                      "a manual amount needs a reason (--reason): it is not the rules' amount")
                # where the document's most for the claim is known (技能提升补贴: the level's standard), no more than it
                cap = (_skill_subsidy_cap(d["policy_doc"], d["claim_key"] or "")
                       if d["program"] == "skill_subsidy" else None)
                if cap is not None and amount_fen is not None and amount_fen > cap[0]:
                    raise LedgerError(
                        "not_rules_amount",
                        f"认定金额 {format_yuan(amount_fen)} 超过文件给该等级的最高金额 {format_yuan(cap[0])}（{cap[1]}），不予认定",
                        f"the amount {amount_fen} fen exceeds the most the document gives ({cap[0]} fen, {cap[1]})")
            self._recompute(conn, d, actor, kind=kind, status="eligible" if eligible else "ineligible",
                            size_class=d["size_class"], amount=amount_fen if eligible else 0, reason=reason)
            # a result that came with a payment hold (缓缴未补足, a quarantined row) stays held once eligible; an
            # application goes on to 初审, a screened decision to 告知
            on = "screened" if d["origin"] == "screening" else "applied"
            to = ("held" if d["hold_reason"] else on) if eligible else "not_eligible"
            self._move(conn, d, "resolve", to, actor, reason)

    def adopt_readings(self, decision_id: int, actor: str, *, readings: Mapping[str, str], reason: str) -> tuple[str, int | None]:
        """待认定 → the rules' result under the readings the agency adopts (认定政策理解): the decision's kept result
        under each reading (``outcomes``, decisions §135) gives the status and the amount; recorded as a ``resolve`` of
        recomputation kind ``reading`` (not a 人工认定 amount), whose reason names the readings. ``readings`` must settle every switch the result depends on; the
        agency's other determinations (a switch this decision does not depend on) are passed over. Returns the status
        and amount taken."""
        from wengang.documents.letters import DocumentError, outcome_list, varying_switches
        from wengang.rules import interpretations
        from wengang.rules.engine import STATUS_ZH

        with self._read() as conn:
            d = self._load(conn, decision_id)
            kept = self._kept_figures(conn, d)[1]
        check("resolve", d["state"], decision_id)
        if kept is None and d["status"] == "not_determinable":  # it lacks data, not a reading: none is kept to adopt
            raise LedgerError("no_outcomes",
                              f"决定 {decision_id} 无法判定是因为缺少数据，不是政策理解未认定：请补充数据后重新筛查导入，或核实后人工认定"
                              "（wengang case resolve --eligible/--ineligible）",
                              f"decision {decision_id} lacks data rather than a reading: supply it and screen again, or "
                              "resolve it by hand")
        if kept is None:
            raise LedgerError("no_outcomes",
                              f"决定 {decision_id} 没有保存各政策理解下的结果：请按认定的理解重新筛查后导入，或人工认定"
                              "（wengang case resolve --eligible/--ineligible）",
                              f"decision {decision_id} keeps no results by reading: screen again under the adopted "
                              "readings and import, or resolve it by hand")
        try:
            outcomes = outcome_list({"outcomes": kept, "readings": json.loads(d["readings"] or "{}")})
        except DocumentError as exc:
            raise LedgerError("no_outcomes", f"决定 {decision_id} 的各政策理解下的结果无法读取：{exc}", str(exc)) from None
        # the switches whose reading differs between the kept results; those the agency settles narrow them down
        varying = varying_switches(outcomes)
        given = {str(k): str(v) for k, v in readings.items() if str(k) in varying}
        for k, v in given.items():
            try:
                sw = interpretations.get(k)
            except KeyError as exc:  # a switch a ledger-format table named that this system does not know
                raise LedgerError("bad_readings", str(exc).strip("'\""), f"unknown interpretation switch {k!r}") from None
            if v not in sw.readings:
                raise LedgerError("bad_readings", f"{sw.title}（{k}）没有“{v}”这种理解，可选：" + "、".join(sw.readings),
                                  f"{k} has no reading {v!r}")
        matching = [o for o in outcomes if all(o["readings"].get(k) == v for k, v in given.items())]
        results = {(o["status"], o["amount_fen"]) for o in matching}
        if len(results) != 1:
            # still more than one result: the switches left unsettled among them (one of which decides it)
            left = [k for k in varying if k not in given and len({o["readings"].get(k) for o in matching}) > 1]

            def title(k: str) -> str:
                try:
                    return f"{interpretations.get(k).title}（{k}）"
                except KeyError:
                    return k

            raise LedgerError("bad_readings",
                              f"决定 {decision_id} 的结果仍取决于尚未认定的政策理解：{'、'.join(map(title, left)) or '（无保存的结果）'}",
                              f"decision {decision_id} still depends on readings not settled: {left}")
        [(status, amount)] = results
        if status not in ("eligible", "ineligible"):
            raise LedgerError("bad_readings", f"按该组理解，决定 {decision_id} 仍为“{STATUS_ZH.get(status, status)}”：须补充数据后人工认定",
                              f"under these readings decision {decision_id} is still {status}")
        said = "；".join(f"{interpretations.get(k).title}按“{interpretations.get(k).describe(v)}”" for k, v in given.items())
        why = f"认定政策理解（规则结果：{STATUS_ZH[status]}" + (f"，{format_yuan(amount)}" if amount is not None else "") + f"）：{said}"
        self._resolve(decision_id, actor, eligible=status == "eligible", amount_fen=amount,
                      reason=f"{why}。{reason}".rstrip("。") if reason.strip() else why, kind="reading")
        return status, amount

    # ------------------------------------------------------------ notices
    def notify(self, program: str, year: int, actor: str, *, deadline: date | None = None,
               channels: Sequence[str] = ("sms", "portal"), decision_ids: Sequence[int] | None = None,
               chunk_size: int = 2000) -> int:
        """Queue notices for screened decisions and move them to 'notified'.

        Where the decision's document asks for confirmation (晋人社厅发〔2024〕28号 六, 兵团征求意见稿 二(一)) the
        notice is an offer to confirm; ``deadline`` is the date to confirm by, after which reminders go out
        (``remind_unconfirmed``) — never a waiver, which only the document's own period can bring. Elsewhere
        (内人社发〔2025〕18号 四 “以短信等方式告知企业，无需企业申请”) it only informs the unit.
        """
        actor = self._need_actor(actor, "notify")
        done, last = 0, 0
        screened = and_(D.program == program, D.year == year, D.state == "screened")
        if decision_ids is not None:
            screened = and_(screened, D.id.in_(list(decision_ids)))
        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(Decision.__table__).where(screened)).scalar_one()
        with step("推送告知", total=total, unit="个单位") as shown:
            while True:
                with self._tx() as conn:
                    q = (select(Decision.__table__, self._amount_sql().label("ent"))
                         .where(screened, D.id > last).order_by(D.id).limit(chunk_size))
                    ds = [dict(r) for r in conn.execute(q).mappings()]
                    if not ds:
                        break
                    msgs = []
                    for d in ds:
                        d["deadline"] = deadline
                        proc = self._proc(d)
                        tpl = "offer" if proc.confirmation_required else "inform"
                        for ch in channels:
                            msgs.append({"decision_id": d["id"], "template": tpl, "channel": ch,
                                         "idempotency_key": f"{d['id']}:{tpl}:{ch}", "recipient": shown_recipient(d),
                                         "body": render(tpl, ch, d, d["ent"], proc), "state": "pending", "attempts": 0})
                    ids = [d["id"] for d in ds]
                    conn.execute(update(Decision.__table__).where(D.id.in_(ids), D.state == "screened")
                                 .values(state="notified", deadline=deadline, version=D.version + 1))
                    audit.append(conn, actor=actor, action="notify", entity="case_decisions",
                                 before={"state": "screened", "ids": ids},
                                 after={"state": "notified", "deadline": deadline.isoformat() if deadline else None,
                                        "ids": ids})
                    self._insert_rows(conn, OutboxMessage, msgs, actor=actor, action="queue_offer")
                    done += len(ids)
                    last = ids[-1]
                    shown.update(done=done)
        self._fresh_statistics(done, "case_decisions", "case_outbox")  # (once the last chunk's transaction is over)
        return done

    def queue_notice(self, decision_id: int, template: str, actor: str, *, channels: Sequence[str] = ("sms",)) -> None:
        """Queue one more notice (e.g. 'paid', a reminder) for a decision; idempotent per template+channel."""
        actor = self._need_actor(actor, "notify")
        with self._tx() as conn:
            self._queue_notice(conn, self._load(conn, decision_id), template, channels, actor)

    def deliver_outbox(self, sender: Sender, *, limit: int = 10_000, max_attempts: int = 5, rounds: int = 3,
                       lease_seconds: int = 300, actor: str) -> dict[str, int]:
        """Send pending messages: claim, send (with idempotency key), mark sent; failures are retried.

        ``actor`` is the registered operator (经办) the delivery runs as: a scheduled job runs under an
        operator registered for it (docs/decisions.md), there is no built-in system user."""
        actor = self._need_actor(actor, "send")
        # Every claimable message is gone through once a round, ``limit`` at a time (the batch claimed per
        # transaction), until the outbox is drained; a message that failed is tried again the next round,
        # so none is tried more than ``rounds`` times per call. ``remaining`` counts what is left for a
        # later call (failed and due again, or claimed by another sender whose lease has not run out).
        OB = OutboxMessage.__table__
        stats = {"sent": 0, "failed_attempts": 0, "gave_up": 0, "remaining": 0}

        def claimable() -> Any:
            stale = (datetime.now(UTC) - timedelta(seconds=lease_seconds)).isoformat(timespec="microseconds")
            return and_(OB.c.attempts < max_attempts,
                        or_(OB.c.state == "pending", and_(OB.c.state == "sending", OB.c.claimed_at < stale)))

        with self._read() as conn:
            total = conn.execute(select(func.count()).select_from(OB).where(claimable())).scalar_one()
        with step("发送消息", total=total, unit="条") as shown:
            for _ in range(rounds):
                last, failed = 0, 0
                while True:
                    with self._tx() as conn:
                        # the address comes from the decision (the outbox keeps only the masked recipient)
                        rows = [dict(r) for r in conn.execute(
                            select(OB, D.contact, D.unit_id).join(Decision.__table__, D.id == OB.c.decision_id)
                            .where(claimable(), OB.c.id > last).order_by(OB.c.id).limit(limit)).mappings()]
                        if not rows:
                            break
                        conn.execute(update(OB).where(OB.c.id.in_([r["id"] for r in rows]))
                                     .values(state="sending", attempts=OB.c.attempts + 1, claimed_at=audit.now_iso()))
                    last = rows[-1]["id"]
                    for r in rows:
                        try:
                            sender.send(key=r["idempotency_key"], channel=r["channel"], recipient=address(r),
                                        body=r["body"])
                        except Exception as exc:  # noqa: BLE001 - any sender failure is retried
                            failed += 1
                            stats["failed_attempts"] += 1
                            gave_up = r["attempts"] + 1 >= max_attempts
                            stats["gave_up"] += gave_up
                            with self._tx() as conn:
                                conn.execute(update(OB).where(OB.c.id == r["id"]).values(
                                    state="failed" if gave_up else "pending", last_error=failure_text(exc)))
                            shown.advance(gave_up)  # the count is of messages settled: sent or given up
                            continue
                        with self._tx() as conn:
                            conn.execute(update(OB).where(OB.c.id == r["id"]).values(state="sent", sent_at=audit.now_iso()))
                            audit.append(conn, actor=actor, action="notice_sent", entity="case_outbox", entity_id=r["id"],
                                         before={"state": "sending"}, after={"state": "sent", "key": r["idempotency_key"]})
                        stats["sent"] += 1
                        shown.advance()
                if not failed:
                    break
        with self._read() as conn:
            stats["remaining"] = conn.execute(select(func.count()).select_from(OB).where(
                OB.c.state.in_(("pending", "sending")), OB.c.attempts < max_attempts)).scalar_one()
        return stats

    # --------------------------------------------------- confirm / decline
    def confirm(self, decision_id: int, actor: str, *, amount_fen: int | None = None, account_no: str | None = None,
                reason: str = "单位确认接受", today: date | None = None) -> int | None:
        """The unit confirms; the amount, if given, must match. An account it gives that differs from the one
        on file is a change request (returned) that a second person approves (``approve_account``)."""
        actor = self._need_actor(actor, "confirm")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            check("confirm", d["state"], decision_id)
            _, ent, _ = self._entitlement(conn, d)
            if amount_fen is not None and amount_fen != ent:
                raise LedgerError("amount_mismatch", f"确认金额 {format_yuan(amount_fen)}与决定金额 {format_yuan(ent)}不符",
                                  f"confirmed amount {fen_to_yuan(amount_fen)} yuan does not match the decision's "
                                  f"{fen_to_yuan(ent)} yuan")
            self._refuse_if_period_over(d, _today(today))
            told = self._proc(d).notice_only
            if told is not None and reason == "单位确认接受":  # recorded as the unit's reply, said as not required
                reason = f"单位回复接受（按{told}，本决定无需单位确认，登记为单位回复）"
            self._move(conn, d, "confirm", "confirmed", actor, reason)
            if account_no and account_no != d["account_no"]:
                return self._request_account(conn, d, actor, "confirm", account_no, "单位确认时提供的收款账户")
            return None

    def _refuse_if_period_over(self, d: dict[str, Any], today: date) -> None:
        """晋人社厅发〔2024〕28号 六: after the policy period a unit that neither confirmed nor applied has waived.

        The operator's confirmation deadline is no such limit: within the period a late confirmation or
        application is taken (兵团征求意见稿 二(一) reminds, it does not waive)."""
        proc = self._proc(d)
        if proc.waived_on(today):
            why = proc.waiver or proc.policy_doc
            raise LedgerError("period_over",
                              f"{proc.policy_doc} 政策执行期限已于 {proc.period_end} 届满（今天 {today}），期限内未确认且未主动申请，"
                              f"视为放弃，不予受理（{why}）",
                              f"the policy period of {proc.policy_doc} ended on {proc.period_end} (today {today}); "
                              "not confirmed or applied within it, so treated as waived")

    def decline(self, decision_id: int, actor: str, *, reason: str = "单位选择放弃") -> None:
        """The unit declines; it is told it may still apply within the year (兵团征求意见稿 二(一))."""
        actor = self._need_actor(actor, "decline")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            self._move(conn, d, "decline", "declined", actor, reason)
            self._queue_notice(conn, d, "declined", ("sms",), actor)

    def _docs(self, conn: Connection, program: str, year: int, states: Sequence[str], pred: Any) -> list[str]:
        """The policy documents of (program, year)'s decisions in ``states`` whose procedure meets ``pred``."""
        docs = conn.execute(select(D.policy_doc).distinct().where(
            D.program == program, D.year == year, D.state.in_(list(states)))).scalars()
        return [doc for doc in docs if pred(procedure(doc, program))]

    def waive_unconfirmed(self, program: str, year: int, actor: str, *, today: date | None = None) -> int:
        """视为放弃 (晋人社厅发〔2024〕28号 六 “在政策执行期限内，未确认且未主动申请的，视为企业放弃”).

        Only decisions whose document provides the waiver, only once its period (the program block's
        ``valid_to``) is over, and only those still 'notified': a unit that confirmed or applied (its
        decision is 'confirmed' / 'applied') has not waived. An operator's deadline never waives.
        """
        actor = self._need_actor(actor, "waive")
        today = _today(today)
        with self._tx() as conn:
            docs = self._docs(conn, program, year, ("notified",), lambda p: p.waived_on(today))
            ids = list(conn.execute(select(D.id).where(D.program == program, D.year == year, D.state == "notified",
                                                       D.policy_doc.in_(docs)).order_by(D.id)).scalars())
            for i in range(0, len(ids), 5000):
                part = ids[i:i + 5000]
                conn.execute(update(Decision.__table__).where(D.id.in_(part), D.state == "notified")
                             .values(state="waived", version=D.version + 1))
                audit.append(conn, actor=actor, action="waive", entity="case_decisions",
                             reason=f"政策执行期限（{'、'.join(docs)}）届满，期限内未确认且未主动申请，视为放弃",
                             before={"state": "notified", "ids": part}, after={"state": "waived", "ids": part})
            return len(ids)

    def remind_unconfirmed(self, program: str, year: int, actor: str, *, today: date | None = None,
                           channels: Sequence[str] = ("sms",)) -> int:
        """对未及时确认的企业，主动联系提醒确认 (兵团征求意见稿 二(一)).

        'notified' decisions that ask for confirmation and whose operator deadline has passed, while the
        policy period runs: one reminder per decision and day is queued and recorded. The state does not
        change and nothing is waived. Returns how many were reminded.
        """
        actor = self._need_actor(actor, "notify")
        today = _today(today)
        done = 0
        with self._tx() as conn:
            docs = self._docs(conn, program, year, ("notified",),
                              lambda p: p.confirmation_required and not p.period_over(today))
            ds = [dict(r) for r in conn.execute(
                select(Decision.__table__, self._amount_sql().label("ent"))
                .where(D.program == program, D.year == year, D.state == "notified", D.policy_doc.in_(docs),
                       D.deadline.is_not(None), D.deadline < today).order_by(D.id)).mappings()]
            for i in range(0, len(ds), 5000):
                part = ds[i:i + 5000]
                msgs = [{"decision_id": d["id"], "template": "reminder", "channel": ch,
                         "idempotency_key": f"{d['id']}:reminder:{today.isoformat()}:{ch}",
                         "recipient": shown_recipient(d),
                         "body": render("reminder", ch, d, d["ent"], self._proc(d)), "state": "pending", "attempts": 0}
                        for d in part for ch in channels]
                ref, n = self._insert_rows(conn, OutboxMessage, msgs, actor=actor, action="queue_reminder")
                if n == 0:
                    continue  # already reminded today
                OB = OutboxMessage.__table__.c
                ids = list(conn.execute(select(OB.decision_id).distinct().where(OB.audit_ref == ref)
                                        .order_by(OB.decision_id)).scalars())
                audit.append(conn, actor=actor, action="remind", entity="case_decisions",
                             reason=f"确认期限已过，{today} 提醒确认（不视为放弃）",
                             before={"state": "notified", "ids": ids}, after={"state": "notified", "ids": ids})
                done += len(ids)
        return done

    # ------------------------------------------------------- applications
    def self_apply(self, decision: DecisionIn, actor: str, *, today: date | None = None) -> int:
        """自主申请 by a unit screening missed, or a decliner applying again within the year. A 技能提升补贴 gets the
        checks ``apply_skill_subsidy`` makes (its level's amount, once per occupation and level) whichever way it
        comes (outside audit B/C: through ``self_apply`` it skipped both)."""
        actor = self._need_actor(actor, "apply")
        if decision.program == "skill_subsidy":
            self._check_skill_amount(decision)
        with self._tx() as conn:
            if decision.program == "skill_subsidy":
                self._check_skill_once(conn, decision)
            return self._apply(conn, decision, actor, "self_application", _today(today))

    def apply_skill_subsidy(self, decision: DecisionIn, actor: str, *, today: date | None = None,
                            reason: str = "") -> int:
        """技能提升补贴 application by a person; ``claim_key`` = "<职业(工种)>:<等级>". ``reason`` goes into the
        audit event (the web names the person's own account there when they apply themselves)."""
        actor = self._need_actor(actor, "apply")
        if decision.program != "skill_subsidy" or not decision.claim_key:
            raise LedgerError("bad_input", "技能提升补贴申请须为 skill_subsidy 项目并注明职业（工种）与等级",
                              "a skill-subsidy application needs program skill_subsidy and claim_key occupation:level")
        self._check_skill_amount(decision)
        with self._tx() as conn:
            self._check_skill_once(conn, decision)
            return self._apply(conn, decision, actor, "application", _today(today), reason)

    @staticmethod
    def _check_skill_amount(decision: DecisionIn) -> None:
        """The amount a 技能提升补贴 application carries is the rules' (outside audit D4: an edited evaluation with
        999,999元 was registered as it stood): never above what its document gives the claim's level (the CLI
        re-evaluates the facts, the web evaluates them itself; this holds for every caller)."""
        if not decision.claim_key:
            raise LedgerError("bad_input", "技能提升补贴申请须注明职业（工种）与等级",
                              "a skill-subsidy application needs claim_key occupation:level")
        cap = _skill_subsidy_cap(decision.policy_doc, decision.claim_key)
        if decision.amount_fen is not None and (cap is None or decision.amount_fen > cap[0]):
            shown = format_yuan(decision.amount_fen)
            if cap is None:
                raise LedgerError("not_rules_amount",
                                  f"申请金额 {shown} 无法按规则核对（文件“{decision.policy_doc}”或等级“{decision.claim_key}”"
                                  "未知），不予登记",
                                  f"the amount {decision.amount_fen} fen cannot be checked against the rules (unknown "
                                  f"document {decision.policy_doc!r} or level {decision.claim_key!r}); not registered")
            raise LedgerError("not_rules_amount",
                              f"申请金额 {shown} 超过规则给该等级的最高金额 {format_yuan(cap[0])}（{cap[1]}），不予登记："
                              "金额须为 wengang evaluate 按规则判定的结果",
                              f"the amount {decision.amount_fen} fen exceeds the most the rules give this level "
                              f"({cap[0]} fen, {cap[1]}); not registered: it must be the rules' result")

    def _check_skill_once(self, conn: Connection, decision: DecisionIn) -> None:
        """同一职业（工种）同一等级只能申请并享受一次 (内人社发〔2025〕18号 二), across years. The claim key is canonical
        (DecisionIn); a key stored before that was (a spelling variant) is compared in its canonical form too."""
        other = next((o for o in conn.execute(select(D.id, D.year, D.claim_key).where(
            D.program == "skill_subsidy", D.unit_id == decision.unit_id, D.year != decision.year,
            D.state.not_in(list(TERMINAL))).order_by(D.id)).all()
            if self._same_claim("skill_subsidy", o[2], decision.claim_key)), None)
        if other is not None:
            raise LedgerError("already_claimed",
                              f"同一职业（工种）同一等级只能申请并享受一次（已有 {other[1]} 年度决定 {other[0]}）",
                              f"same occupation and level only once (decision {other[0]}, year {other[1]})")

    def apply_dispatch(self, decision: DecisionIn, allocations: Sequence[AllocationIn], actor: str, *,
                       today: date | None = None) -> int:
        """劳务派遣单位 application with its user units (用工单位) and their shares, kept on file."""
        actor = self._need_actor(actor, "apply")
        for a in allocations:
            if a.public_institution:
                raise LedgerError("public_institution",
                                  f"派遣到机关事业单位（{a.user_unit_name}）的劳动者不在稳岗返还政策覆盖范围之内",
                                  f"workers dispatched to public institutions ({a.user_unit_id}) are not covered")
            if not isinstance(a.amount_fen, int) or a.amount_fen < 0 or a.workers < 0:
                raise LedgerError("bad_amount", "分配金额与人数须为非负整数", "allocation amount and workers must be non-negative")
        if decision.status != "eligible":  # the shares are of an amount the rules decided: none is yet
            _refuse_unregistrable(decision)
            raise LedgerError("not_eligible",
                              "派遣单位申请的结论为“待认定”：用工单位分配须按规则核定的返还金额，请先认定政策理解后重新判定，再申请",
                              f"a dispatch firm's application is {decision.status}: its allocations share the amount "
                              "the rules decide, so settle the reading or the data and evaluate again first")
        total = sum(a.amount_fen for a in allocations)
        if decision.amount_fen is None or total > decision.amount_fen:
            raise LedgerError("allocation_exceeds",
                              f"用工单位分配合计 {format_yuan(total)}超过返还金额 {format_yuan(decision.amount_fen)}",
                              f"allocations {fen_to_yuan(total)} yuan exceed the refund {fen_to_yuan(decision.amount_fen)} yuan")
        with self._tx() as conn:
            did = self._apply(conn, decision, actor, "dispatch", _today(today))
            self._insert_rows(conn, Allocation, [
                {"decision_id": did, "user_unit_id": a.user_unit_id, "user_unit_name": a.user_unit_name,
                 "workers": a.workers, "amount_fen": a.amount_fen} for a in allocations
            ], actor=actor, action="allocate", after={"decision_id": did})
            return did

    @staticmethod
    def _same_claim(program: str, stored: str | None, key: str) -> bool:
        """Is a stored claim key the claim ``key`` (canonical) names? Keys are canonical since DecisionIn made them so
        (``models.canonical_claim_key``); one stored before then is compared in its canonical form, and in a
        program of one claim a unit-year any key is that claim. A stored key with no canonical form matches as
        written only."""
        from .models import CLAIM_KEYS, stored_claim_key

        return program not in CLAIM_KEYS or stored_claim_key(program, stored) == key

    def _apply(self, conn: Connection, dec: DecisionIn, actor: str, origin: str, today: date, reason: str = "") -> int:
        df = bulk.to_frame([dec])
        bulk.validate(df, dec.program, dec.year)
        # 晋28号 六: an application made after the period of the document it rests on is not one made within it, as
        # of the ledger's own today (the evaluation date the applicant passes can be any day: outside audit aud2)
        self._refuse_if_period_over({"policy_doc": dec.policy_doc, "program": dec.program}, today)
        _refuse_unregistrable(dec)
        Q = Disqualification.__table__.c
        if conn.execute(select(exists().where(Q.unit_id == dec.unit_id, Q.program == dec.program,
                                              Q.year == dec.year))).scalar_one():
            raise LedgerError("disqualified", f"单位 {dec.unit_id} 已被取消 {dec.year} 年度申领资格",
                              f"unit {dec.unit_id} is disqualified for {dec.year}")
        # the stored decision of this claim: its key is canonical, or (stored before keys were) compared in its
        # canonical form; a program of one claim a year has one decision a year whatever key it was stored with
        old = next((dict(o) for o in conn.execute(select(Decision.__table__).where(
            D.year == dec.year, D.program == dec.program, D.unit_id == dec.unit_id,
        ).order_by(D.claim_key != dec.claim_key, D.id)).mappings() if self._same_claim(dec.program, o["claim_key"],
                                                                                   dec.claim_key)), None)
        if old is not None:
            old = dict(old)
            if old["state"] == "declined":
                if today.year > dec.year:
                    raise LedgerError("year_over", f"放弃后仅可在 {dec.year} 年内申领",
                                      f"a decliner may apply again only within {dec.year}")
                self._move(conn, old, "reapply", "applied", actor, "放弃后本年内申领")
                self._account_at_application(conn, old, dec.account_no, actor)
                return old["id"]
            if old["state"] in ("screened", "notified") and origin == "self_application":
                # 晋28号 六: only a unit that neither confirmed nor applied within the period has waived
                self._refuse_if_period_over(old, today)
                self._move(conn, old, "apply_offered", "applied", actor, "已筛查单位自行申请")
                self._account_at_application(conn, old, dec.account_no, actor)
                return old["id"]
            if old["origin"] == origin and old["state"] not in TERMINAL:
                self._account_at_application(conn, old, dec.account_no, actor)
                return old["id"]  # the same application again: nothing else changes
            raise LedgerError("already_decided",
                              f"该单位本年度已有决定 {old['id']}（状态：{STATE_ZH.get(old['state'], old['state'])}），不能重复申请",
                              f"unit already has decision {old['id']} ({old['state']}) for this program and year")
        ref = audit.new_ref()
        # entitled, payment waits (兵团 二(一)); a result that rests on an open reading waits for 认定 (its results by
        # reading kept, as a screened 待认定's are: ``case adopt`` / ``case resolve``, then 初审)
        state = "pending_determination" if dec.status == "needs_decision" else "held" if dec.payment_hold else "applied"
        # the payee account given with the application is not the decision's yet: like one given at ``confirm`` it is
        # a change request a second person approves (docs/decisions.md §25, §31), so whoever registers (and may 初审)
        # an application cannot choose where its money goes
        row = bulk.db_frame(df, 0, ref, set()).with_columns(
            run_id=None, origin=pl.lit(origin), state=pl.lit(state), init_state=pl.lit(state),
            account_no=pl.lit(None, pl.String), init_account_no=pl.lit(None, pl.String),
        ).to_dicts()[0]
        conn.execute(self._insert(Decision.__table__).on_conflict_do_nothing(), row)
        audit.append(conn, actor=actor, action="self_apply", entity="case_decisions", ref=ref, reason=reason,
                     after={"origin": origin, "state": state, **({"hold_reason": row["hold_reason"]}
                                                                  if dec.payment_hold else {})})
        did = conn.execute(select(D.id).where(D.audit_ref == ref)).scalar_one()
        self._account_at_application(conn, self._load(conn, did), dec.account_no, actor)
        return did

    def _account_at_application(self, conn: Connection, d: dict[str, Any], account_no: str | None,
                                actor: str) -> int | None:
        """An account given with an application (``case skill-apply --account``, the API's ``account_no``, a person's
        own through the portal): a change request (kind ``apply``), approved by someone other than who registered it
        (``approve_account``), as §31 decided for the account a unit gives at ``confirm`` — the portal operator
        registers the portal's, so a 复核 approves a person's own account as a unit's. Nothing when no account is
        given, when it is the decision's already, or when the same account already awaits approval."""
        if account_no is None or not str(account_no).strip():
            return None
        if account_no == d["account_no"]:
            return None
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        same = conn.execute(select(AC.id).where(AC.decision_id == d["id"], AC.account_no == account_no,
                                                ~exists().where(AA.change_id == AC.id))).scalar()
        if same is not None:
            return same
        return self._request_account(conn, d, actor, "apply", account_no, "申请时提供的收款账户（须另一人复核）")

    # ----------------------------------------------------------- reviews
    def first_review(self, decision_id: int, actor: str, *, approve: bool, reason: str) -> None:
        """初审."""
        self._review(decision_id, actor, 1, approve, reason)

    def second_review(self, decision_id: int, actor: str, *, approve: bool, reason: str) -> None:
        """复审 by a different user than the first review."""
        self._review(decision_id, actor, 2, approve, reason)

    def _review(self, decision_id: int, actor: str, stage: int, approve: bool, reason: str) -> None:
        action = "first_review" if stage == 1 else "second_review"
        actor = self._need_actor(actor, action)
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            check(action, d["state"], decision_id, confirmation_required=self._proc(d).confirmation_required)
            if approve:
                _refuse_no_document(d, "审核通过")
            if stage == 2:
                V = Review.__table__.c
                first = conn.execute(select(V.reviewer).where(V.decision_id == decision_id, V.stage == 1)).scalar_one()
                if first == actor:
                    raise LedgerError("same_reviewer", f"复审须由初审人（{first}）以外的人员进行",
                                      f"the second review must be done by someone other than the first reviewer ({first})")
            _, n = self._insert_rows(conn, Review, [{"decision_id": decision_id, "stage": stage, "reviewer": actor,
                                                      "approve": int(approve), "reason": reason}],
                                     actor=actor, action=action, reason=reason)
            if n != 1:  # pragma: no cover - the state check precedes it
                raise LedgerError("already_reviewed", "该决定已审核", "already reviewed")
            to = ("first_reviewed" if stage == 1 else "approved") if approve else "rejected"
            self._move(conn, d, action, to, actor, reason)
            if not approve:
                self._queue_refusals(conn, [decision_id], actor, f"经{'初审' if stage == 1 else '复审'}")

    def confirm_many(self, decision_ids: Sequence[int], actor: str, *, today: date | None = None,
                     reason: str = "网上经办平台确认") -> int:
        """Confirmations fed in from the online hall or a window list, set-based. Returns how many moved;
        ids not in 'notified', or whose document's period is over where it waives (晋28号 六), are left as
        they are. The operator's deadline does not stop a confirmation."""
        actor = self._need_actor(actor, "confirm")
        today = _today(today)
        moved = 0
        for i in range(0, len(decision_ids), 5000):
            part = list(decision_ids[i:i + 5000])
            with self._tx() as conn:
                rows = conn.execute(select(D.id, D.policy_doc, D.program).where(D.id.in_(part),
                                                                                D.state == "notified")).all()
                ok = [r.id for r in rows if not procedure(r.policy_doc, r.program).waived_on(today)]
                if not ok:
                    continue
                conn.execute(update(Decision.__table__).where(D.id.in_(ok)).values(state="confirmed", version=D.version + 1))
                audit.append(conn, actor=actor, action="confirm", entity="case_decisions", reason=reason,
                             before={"state": "notified", "ids": ok}, after={"state": "confirmed", "ids": ok})
                moved += len(ok)
        return moved

    def review_many(self, decision_ids: Sequence[int], actor: str, *, stage: int, approve: bool, reason: str) -> int:
        """Collective 初审 (stage 1) or 复审 (stage 2) of a list, set-based, one audit event per chunk.

        Stage 2 skips decisions whose first review was by ``actor`` (a second pair of eyes is required).
        Returns how many were reviewed.
        """
        if stage not in (1, 2):
            raise LedgerError("bad_stage", "审核环节只能是 1（初审）或 2（复审）", "stage must be 1 or 2")
        actor = self._need_actor(actor, "first_review" if stage == 1 else "second_review")
        V = Review.__table__.c
        src_state = ("confirmed", "applied") if stage == 1 else ("first_reviewed",)
        no_conf = tuple(TRANSITIONS["first_review"].without_confirmation)
        to = ("first_reviewed" if stage == 1 else "approved") if approve else "rejected"
        done = 0
        for i in range(0, len(decision_ids), 5000):
            part = list(decision_ids[i:i + 5000])
            with self._tx() as conn:
                cond = D.state.in_(src_state)
                if stage == 1:  # documents that ask for no confirmation: straight from the screening
                    docs = {(r.policy_doc, r.program) for r in conn.execute(
                        select(D.policy_doc, D.program).distinct().where(D.id.in_(part), D.state.in_(no_conf)))}
                    free = [and_(D.policy_doc == doc, D.program == prog) for doc, prog in sorted(docs)
                            if not procedure(doc, prog).confirmation_required]
                    if free:
                        cond = or_(cond, and_(D.state.in_(no_conf), or_(*free)))
                cond = and_(D.id.in_(part), cond)
                if approve:  # no money without a document in force (_refuse_no_document): left as it is
                    cond = and_(cond, func.trim(func.coalesce(D.policy_doc, "")).not_in(NO_DOCUMENT))
                if stage == 2:
                    cond = and_(cond, ~exists().where(V.decision_id == D.id, V.stage == 1, V.reviewer == actor))
                ref = audit.new_ref()
                conn.execute(self._insert(Review.__table__).from_select(
                    ["decision_id", "stage", "reviewer", "approve", "reason", "audit_ref"],
                    select(D.id, literal(stage), literal(actor), literal(int(approve)), literal(reason),
                           literal(ref)).where(cond)).on_conflict_do_nothing())
                action = "first_review" if stage == 1 else "second_review"
                if audit.append(conn, actor=actor, action=action, entity="case_reviews", ref=ref, reason=reason) is None:
                    continue
                ids = list(conn.execute(select(V.decision_id).where(V.audit_ref == ref).order_by(V.decision_id)).scalars())
                conn.execute(update(Decision.__table__).where(D.id.in_(ids)).values(state=to, version=D.version + 1))
                audit.append(conn, actor=actor, action=action, entity="case_decisions", reason=reason,
                             before={"state": list(src_state) + (list(no_conf) if stage == 1 else []), "ids": ids},
                             after={"state": to, "ids": ids})
                if not approve:
                    self._queue_refusals(conn, ids, actor, f"经{'初审' if stage == 1 else '复审'}")
                done += len(ids)
        self._fresh_statistics(done, "case_decisions", "case_reviews")
        return done

    def hold(self, decision_id: int, actor: str, *, reason: str = "缓缴企业待补足失业保险费") -> None:
        """Hold payment (e.g. a 缓缴 firm must first pay its deferred premiums)."""
        actor = self._need_actor(actor, "hold")
        with self._tx() as conn:
            self._move(conn, self._load(conn, decision_id), "hold", "held", actor, reason, hold_reason=reason)

    def release(self, decision_id: int, actor: str, *, reason: str | None = None) -> None:
        """Lift a hold: back to 复审通过 if it was held after approval; else (held on arrival) to 已筛查 for a
        screening decision, 已申请待初审 for an application.

        What a release needs comes from why the decision is held (``states.hold_kinds`` of its ``hold_reason``), never
        from a default that may not be true (outside audit, story B: a hold for an unreadable 严重失信 row was released
        with “已补足缓缴的失业保险费” and paid):

        * a deferral (兵团征求意见稿 二(一) “在及时补足失业保险费后，再按规定条件和比例发放”) only: a 经办; without a
          reason the release says the firm paid up (``RELEASE_DEFAULT``);
        * a quarantined input row (docs/decisions.md §26: the row may stop or reduce the payment and was never read):
          an explicit reason (what was checked and found), and a 复核 (the 复审 role; the 经办 imports and does
          初审), not the operator who did the decision's 初审 — four eyes as on accounts and revocations;
        * a 不超过 ceiling (``rules.batch.CAP_HOLD_REASONS``): as a quarantined row — a 复核 other than the 初审, stating
          the standard the 统筹地区 (or the bank) set and that it is this amount (one 经办 had released it and the
          ceiling was paid; outside review, session 41);
        * an objection raised during 公示 (a hold whose reason names 异议; 内人社办发〔2022〕86号（三）10 “公示无异议后按规定
          进行支付”): as a ceiling — an explicit reason and a 复核, not the operator who put the hold on nor the 初审
          (one 经办 had held and released it alone; outside casework audit Q, session 42);
        * a dispatch firm that has not applied, a unit with no account the money may go to (``states``: the
          screening's dispatch and account holds): as a ceiling, stating the application and its 备案, or the account;
        * any other hold (by hand, with its own reason): an explicit reason; put on after the 复审 approved (a complaint
          during 公示 that does not say 异议), as an objection (outside second look, session 42).

        The event records the hold's reason and kinds (``after.released``)."""
        from .states import (
            HOLD_ACCOUNT,
            HOLD_CAP,
            HOLD_DEFERRAL,
            HOLD_DISPATCH,
            HOLD_OBJECTION,
            HOLD_OTHER,
            HOLD_QUARANTINE,
            RELEASE_DEFAULT,
            held_zh,
            hold_kinds,
        )

        login = operators.normalize_login(actor)
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            check("release", d["state"], decision_id)
            kinds = hold_kinds(d["hold_reason"])
            text_ = (reason or "").strip()
            if not text_:
                if kinds != (HOLD_DEFERRAL,):
                    raise LedgerError(
                        "reason_required",
                        f"决定 {decision_id} 的暂缓理由为“{d['hold_reason'] or '未注明'}”（{held_zh(d['hold_reason'])}）："
                        "解除须写明理由（--reason：核实了什么、结论如何），不按缓缴补足处理",
                        f"decision {decision_id} is held for: {d['hold_reason'] or 'no reason given'}; a release needs "
                        "a stated reason (--reason: what was checked and found), not the deferral's default")
                text_ = RELEASE_DEFAULT[HOLD_DEFERRAL]
            V = Review.__table__.c
            approved = conn.execute(select(exists().where(V.decision_id == decision_id, V.stage == 2,
                                                          V.approve == 1))).scalar_one()
            # a hold put on by hand after the 复审 approved: money is about to leave, so a second person releases it
            # as an objection is released (a complaint during 公示 need not say 异议; outside second look, session 42)
            by_hand_late = HOLD_OTHER in kinds and approved
            if {HOLD_QUARANTINE, HOLD_CAP, HOLD_DISPATCH, HOLD_ACCOUNT, HOLD_OBJECTION} & set(kinds) or by_hand_late:
                why_zh, why_en = (("因输入数据有误（被隔离、未经核实）而暂缓", "held for a quarantined input row")
                                  if HOLD_QUARANTINE in kinds else
                                  ("的金额只是文件规定的“不超过”上限而暂缓（须写明统筹地区确定的标准及其即为该金额）",
                                   "held as its amount is only the document's ceiling (state the standard set and that it "
                                   "is this amount)") if HOLD_CAP in kinds else
                                  ("因劳务派遣单位尚未主动申请而暂缓（须写明已受理其申请并对用工单位名单和被派遣劳动者数量留存备案）",
                                   "held as a dispatch firm that has not applied (state the application received and "
                                   "its 备案)") if HOLD_DISPATCH in kinds else
                                  ("因无可用的收款账户而暂缓（须写明补充的对公账户）",
                                   "held for want of an account the money may go to (state the account supplied)")
                                  if HOLD_ACCOUNT in kinds else
                                  ("因公示期间有异议而暂缓（内人社办发〔2022〕86号（三）10“公示无异议后按规定进行支付”）",
                                   "held for an objection raised during 公示 (paid only once 公示 ends without objection)")
                                  if HOLD_OBJECTION in kinds else
                                  ("在复审通过后被暂缓（发放前的暂缓由另一人核实后解除）",
                                   "held after the second review approved it (released by another person once checked)"))
                try:
                    actor = operators.require(conn, login, "second_review").login
                except LedgerError as e:
                    if e.code != "role_refused":
                        raise
                    raise LedgerError(
                        "role_refused",
                        f"决定 {decision_id} {why_zh}：解除须由复核人员核实后办理，经办不能解除（{e.zh}）",
                        f"decision {decision_id} is {why_en}: a 复核 (reviewer) releases it once checked, not a "
                        f"caseworker ({e.en})") from None
                first = conn.execute(select(V.reviewer).where(V.decision_id == decision_id, V.stage == 1)).scalar()
                if first == actor:
                    raise LedgerError("same_operator", f"解除须由初审人（{first}）以外的复核人员办理",
                                      f"the release must be done by a reviewer other than the first reviewer ({first})")
                if HOLD_OBJECTION in kinds or by_hand_late:  # four eyes: not the one who held the decision
                    EV = AuditEvent.__table__.c
                    holder = conn.execute(select(EV.actor).where(
                        EV.entity == "case_decisions", EV.entity_id == str(decision_id), EV.action == "hold")
                        .order_by(EV.seq.desc()).limit(1)).scalar()
                    if holder == actor:
                        raise LedgerError("same_operator",
                                          f"决定 {decision_id} {why_zh}：解除须由办理该暂缓的人员（{holder}）以外的"
                                          "复核人员核实后办理",
                                          f"decision {decision_id} is {why_en}: the release must be done by a "
                                          f"reviewer other than the operator who held it ({holder})")
            else:
                actor = operators.require(conn, login, "hold").login
            to = "approved" if approved else "screened" if d["origin"] == "screening" else "applied"
            self._move(conn, d, "release", to, actor, text_,
                       note={"released": {"hold_reason": d["hold_reason"], "kinds": list(kinds)}}, hold_reason=None)

    def revoke(self, decision_id: int, actor: str, *, reason: str) -> RevokeResult:
        """撤销核准，不予发放: end an approved decision that a confirmed risk flag (风险疑点已核实) stops for good, by a
        复核 other than the 稽核 who confirmed it (four eyes), with the reason the letter gives the recipient.

        From 复审通过, 公示, 暂缓 (after 复审 only), 已退回 or 账户已更正 (``TRANSITIONS["revoke"]``); fail closed: it only
        stops money. Refused while a payment of the decision is with the bank unanswered (``_unanswered``): the
        confirmed flag's recovery waits for that answer (``_settle_risk_recoveries``), and a bounce recorded then
        must still find the decision in its state; revoke once the bank has answered. Its payments not sent (a top-up
        in a batch, in no bank file) are withdrawn (``_withdraw_unsent``). Basis: 人社部发〔2024〕40号 六 “在待遇审核和
        发放环节加强数据比对，严防冒领、骗取基金和多发待遇风险”."""
        actor = self._need_actor(actor, "revoke")
        text = (reason or "").strip()
        if not text:
            raise LedgerError("no_reason", "撤销核准须写明理由（--reason，将写入不予发放决定书）",
                              "a reason is required to revoke (--reason; it goes into the letter)")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            if d["state"] == "paid":
                raise LedgerError(
                    "transition_refused",
                    f"决定 {decision_id} 已发放，不能撤销核准：已发的款项由风险疑点核实时下达的追回收回（见 case show）",
                    f"decision {decision_id} is paid and cannot be revoked: money paid is recovered by the recovery "
                    "the confirmed flag ordered (see case show)")
            check("revoke", d["state"], decision_id, confirmation_required=self._proc(d).confirmation_required)
            V = Review.__table__.c
            if d["state"] == "held" and not conn.execute(select(exists().where(
                    V.decision_id == decision_id, V.stage == 2, V.approve == 1))).scalar_one():
                raise LedgerError(
                    "transition_refused",
                    f"决定 {decision_id} 入库即暂缓、尚未复审通过，无核准可撤销：解除暂缓后在审核中不予通过",
                    f"decision {decision_id} was held on arrival and never approved: nothing to revoke; release it "
                    "and refuse it in review")
            F, RR = RiskFlag.__table__.c, RiskReview.__table__.c
            flags = conn.execute(
                select(F.id, RR.reviewer)
                .select_from(Decision.__table__.join(RiskFlag.__table__, self._flag_matches_decision())
                             .join(RiskReview.__table__, RR.flag_id == F.id))
                .where(D.id == decision_id, RR.outcome == "confirmed")
                .order_by(F.id)).all()
            if not flags:
                raise LedgerError(
                    "no_confirmed_flag",
                    f"决定 {decision_id} 没有经稽核核实的风险疑点，不能撤销核准（待核查的疑点先由稽核 risk clear/confirm）",
                    f"decision {decision_id} has no risk flag confirmed by the 稽核; nothing to revoke on "
                    "(open flags: risk clear/confirm first)")
            by_others = [f.id for f in flags if f.reviewer != actor]
            if not by_others:
                who = "、".join(sorted({f.reviewer for f in flags}))
                raise LedgerError(
                    "same_operator",
                    f"撤销核准须由核实风险疑点的稽核（{who}）以外的复核人员办理",
                    f"the revocation must be done by a reviewer other than who confirmed the risk flag ({who})")
            waiting = self._unanswered_payments(conn, decision_id)
            if waiting:
                refs = "、".join(w["reference"] for w in waiting)
                raise LedgerError(
                    "bank_unanswered",
                    f"决定 {decision_id} 的付款 {refs} 已报盘、银行尚未回盘，暂不能撤销核准：回盘后再撤销"
                    "（追回届时按实际入账金额确定；在此之前风险疑点已暂停发放）",
                    f"payment {refs} of decision {decision_id} is with the bank, unanswered: revoke once the bank "
                    "has answered (the recovery follows its answer; the flag stops payment meanwhile)")
            ids = [f.id for f in flags]
            basis = f"风险疑点 {'、'.join(map(str, ids))} 经稽核核实，撤销核准，不予发放：{text}"
            withdrawn = self._withdraw_unsent(conn, decision_id, actor, f"撤回：{basis}", {"flag_ids": ids})
            d = self._load(conn, decision_id)
            self._move(conn, d, "revoke", "revoked", actor, text, {"flag_ids": ids, "withdrawn": withdrawn},
                       hold_reason=None)
            self._queue_refusals(conn, [decision_id], actor, "经核查撤销核准")
            return RevokeResult(decision_id, "revoked", ids, withdrawn)

    # ------------------------------------------------ account changes (four eyes)
    def set_account(self, decision_id: int, actor: str, *, account_no: str, reason: str) -> int:
        """Request to give or correct the payee account before payment; returns the request's id.

        Nothing changes until another operator approves it (``approve_account``); meanwhile the decision is
        not paid, to the old account or any other."""
        actor = self._need_actor(actor, "account")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            self._refuse_account_change(conn, d, "set")
            return self._request_account(conn, d, actor, "set", account_no, reason)

    def fix_account(self, decision_id: int, actor: str, *, account_no: str, reason: str = "更正收款账户") -> int:
        """After a bounce: request the corrected account; once another operator approves it the decision is
        'account_fixed' and the next batch pays again (seq + 1). Returns the request's id.

        After a bounced 多退少补 top-up the decision itself stays paid: the request only changes the account
        (kind 'set'), and the next batch pays the top-up to it."""
        actor = self._need_actor(actor, "account")
        with self._tx() as conn:
            # it reads the payments, returns and confirmations (``_top_up_waits``, the state a bounce set): checked
            # against the events first (outside casework audit D1, session 42)
            self._checked(conn, {decision_id}, "更正账户", "account fix")
            d = self._load(conn, decision_id)
            if d["state"] == "paid" and self._top_up_waits(conn, d["id"]):
                return self._request_account(conn, d, actor, "set", account_no, reason)
            self._refuse_account_change(conn, d, "fix")
            return self._request_account(conn, d, actor, "fix", account_no, reason)

    def _refuse_account_change(self, conn: Connection, d: dict[str, Any], kind: str) -> None:
        if kind == "reroute":  # after a bounce, or before payment
            if d["state"] == "bounced":
                return
            kind = "set"
        if kind == "fix":
            check("fix_account", d["state"], d["id"])
        elif d["state"] == "paid" and self._top_up_waits(conn, d["id"]):
            return  # its top-up bounced: the next one waits for this account (the decision stays paid)
        elif d["state"] in TERMINAL or d["state"] in ("paid", "bounced", "account_fixed"):
            raise LedgerError("transition_refused", f"决定 {d['id']} 当前状态为“{STATE_ZH.get(d['state'], d['state'])}”，不能直接修改账户",
                              f"decision {d['id']} is {d['state']}; use fix_account after a bounce")

    @staticmethod
    def _top_up_bounced() -> Any:
        """The decision has a 多退少补 top-up that bounced (a return the bank did not contradict) with no account
        change approved since: the next top-up waits for one, as a bounced initial payment waits for fix_account
        (domain/facts.md §10 step 8 “已退回单位名单，限期更正账户”, the basis of the transition 'bounce'; not to the
        account that just sent the money back). "Since" is the audit chain's order."""
        top, ret_ev, appr_ev = Payment.__table__.alias("top"), AuditEvent.__table__.alias("ret_ev"), \
            AuditEvent.__table__.alias("appr_ev")
        X, K = PaymentReturn.__table__.c, BankConfirmation.__table__.c
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        # correlated through ``top`` (the enclosing EXISTS), not ``D`` two levels up: SQLAlchemy would not correlate it
        approved_since = exists().where(AC.decision_id == top.c.decision_id, AA.change_id == AC.id, AA.approve == 1,
                                        appr_ev.c.ref == AA.audit_ref, appr_ev.c.seq > ret_ev.c.seq)
        # a top-up withdrawn before it was sent (``WITHDRAWN``) did not bounce: no account is to blame
        return exists().where(top.c.decision_id == D.id, top.c.kind == "supplement", X.payment_id == top.c.id,
                              ~exists().where(K.payment_id == top.c.id), ret_ev.c.ref == X.audit_ref,
                              ret_ev.c.action != WITHDRAWN, ~approved_since)

    def _top_up_waits(self, conn: Connection, decision_id: int) -> bool:
        return bool(conn.execute(select(exists().where(D.id == decision_id, self._top_up_bounced()))).scalar_one())

    def _request_account(self, conn: Connection, d: dict[str, Any], actor: str, kind: str, account_no: str,
                         reason: str) -> int:
        if not account_no or not str(account_no).strip():
            raise LedgerError("bad_account", "账户不能为空", "account must not be empty")
        # checked where it enters, as an account file's rows are: "1" or 不是账号 was requested, approved and paid, and
        # only the bank file refused it (outside web audit F2, session 38)
        given, account_no = str(account_no).strip(), account_digits(account_no)
        if not _ACCOUNT.fullmatch(account_no):
            shown = given if len(given) <= 40 else given[:39] + "…"
            raise LedgerError("bad_account", f"收款账号“{shown}”应为6至32位数字（决定 {d['id']}）",
                              f"payee account {shown!r} of decision {d['id']} must be 6 to 32 digits")
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        pending = conn.execute(select(AC.id).where(AC.decision_id == d["id"], ~exists().where(AA.change_id == AC.id))
                               ).scalar()
        if pending is not None:
            raise LedgerError("change_pending", f"决定 {d['id']} 已有待复核的账户变更 {pending}，请先复核",
                              f"decision {d['id']} already has account change {pending} awaiting approval")
        seq = conn.execute(select(func.count()).where(AC.decision_id == d["id"])).scalar_one()
        ref, _ = self._insert_rows(conn, AccountChange, [{
            "decision_id": d["id"], "seq": seq, "kind": kind, "account_no": account_no, "requested_by": actor,
            "reason": reason}], actor=actor, action="request_account", reason=reason,
            after={"decision_id": d["id"], "kind": kind})
        return conn.execute(select(AC.id).where(AC.audit_ref == ref)).scalar_one()

    def approve_account(self, change_id: int, actor: str, *, approve: bool = True, reason: str = "") -> None:
        """A second operator (not the requester) approves an account change, which then takes effect, or
        turns it down. Either way the request is closed. A re-route (``reroute_to_tax_account``) also sets
        the channel to the 税务 premium account; any other account is the unit's own and undoes a re-route."""
        actor = self._need_actor(actor, "approve_account")
        with self._tx() as conn:
            self._approve_account(conn, change_id, actor, approve, reason)

    def _approve_account(self, conn: Connection, change_id: int, actor: str, approve: bool, reason: str) -> None:
        AC = AccountChange.__table__.c
        c = conn.execute(select(AccountChange.__table__).where(AC.id == change_id)).mappings().first()
        if c is None:
            raise _err_not_found("账户变更", "account change", change_id)
        if c["requested_by"] == actor:
            raise LedgerError("same_operator", f"账户变更须由申请人（{actor}）以外的人员复核",
                              f"an account change must be approved by someone other than its requester ({actor})")
        d = self._load(conn, c["decision_id"])
        if approve and (c["kind"] in ("fix", "reroute") or d["state"] in ("bounced", "paid")):
            # after a bounce it reads the payments, returns and confirmations: checked against the events as a bounce
            # is (outside casework audit D1, session 42); an ordinary account change before payment is not
            self._checked(conn, {d["id"]}, "复核账户变更", "account approval")
        if approve:
            self._refuse_account_change(conn, d, c["kind"] if c["kind"] in ("fix", "reroute") else "set")
            # a request made before accounts were checked where they enter may hold another: turned down, not made
            # effective (the payment would hold it anyway; second outside look, session 38)
            if not _ACCOUNT.fullmatch(account_digits(c["account_no"])):
                raise LedgerError("bad_account", f"变更申请 {change_id} 中的收款账号不是6至32位数字，不能复核通过："
                                  "请复核不通过后按正确账号重新申请",
                                  f"account change {change_id} is not 6 to 32 digits: turn it down and request again")
        reason = reason or ("复核通过" if approve else "复核未通过")
        _, n = self._insert_rows(conn, AccountApproval, [{"change_id": change_id, "approver": actor,
                                                          "approve": int(approve), "reason": reason}],
                                 actor=actor, action="approve_account" if approve else "reject_account",
                                 reason=reason, after={"change_id": change_id})
        if n != 1:
            raise LedgerError("already_decided", f"账户变更 {change_id} 已复核", f"account change {change_id} was decided")
        if not approve:
            return
        note = {"change_id": change_id}
        # the 税务 account for a re-route; any other account is the unit's own (undoes a re-route)
        channel = "tax_payment_account" if c["kind"] == "reroute" else None
        values = {"payee_channel": channel} if channel != d["payee_channel"] else {}
        if c["kind"] == "fix" or (c["kind"] == "reroute" and d["state"] == "bounced"):
            self._move(conn, d, "fix_account", "account_fixed", actor, reason, note=note, account_no=c["account_no"],
                       **values)
            return
        conn.execute(update(Decision.__table__).where(D.id == d["id"]).values(
            account_no=c["account_no"], version=D.version + 1, **values))
        audit.append(conn, actor=actor, action="approve_account", entity="case_decisions", entity_id=d["id"],
                     reason=reason, before={"account_no": d["account_no"], **{k: d[k] for k in values}},
                     after={"account_no": c["account_no"], **values, **note})

    def account_changes(self, *, decision_id: int | None = None, pending: bool = True) -> list[dict[str, Any]]:
        """Account change requests (by default those still awaiting approval), oldest first."""
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        q = select(AccountChange.__table__, AA.approver, AA.approve).select_from(
            AccountChange.__table__.outerjoin(AccountApproval.__table__, AA.change_id == AC.id))
        if decision_id is not None:
            q = q.where(AC.decision_id == decision_id)
        if pending:
            q = q.where(AA.id.is_(None))
        with self._read() as conn:
            return [dict(r) for r in conn.execute(q.order_by(AC.id)).mappings()]

    def request_accounts(self, rows: Sequence[bulk.AccountRow], actor: str, *, reason: str,
                         program: str | None = None, year: int | None = None) -> AccountFileResult:
        """``set_account`` for each row of an account file (``bulk.read_account_file``; 免申即享: the 税务's data) in
        one transaction and one audit event, whose ref is the request batch a second person approves with
        ``approve_accounts``. A row is found by 决定号, or by 统一社会信用代码 with 项目/年度 (the row's, else
        ``program``/``year``); a bad row is refused with its row number and why, the good ones are kept. A row's
        开户行行号 is then registered as ``set_payee_banks`` does."""
        actor = self._need_actor(actor, "account")
        text_ = (reason or "").strip()
        if not text_:
            raise LedgerError("no_reason", "须写明理由（--reason）", "a reason is required (--reason)")
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        refused: list[tuple[int, str, str]] = []
        good: list[tuple[bulk.AccountRow, dict[str, Any], str]] = []
        seen: dict[int, int] = {}
        with self._tx() as conn:
            # rows naming one decision: the same account and bank twice is one request (the repeat is refused as a
            # repeat); different accounts (or banks) are a conflict the file cannot settle — every such row is refused,
            # each naming the others, and none is requested (outside audit, story 9: the first was kept silently)
            found: dict[int, tuple[dict[str, Any], str] | LedgerError] = {}
            rows_of: dict[int, list[int]] = {}
            for i, r in enumerate(rows):
                try:
                    found[i] = self._account_row(conn, r, program, year)
                except LedgerError as e:
                    found[i] = e
                    continue
                rows_of.setdefault(found[i][0]["id"], []).append(i)
            conflict: dict[int, LedgerError] = {}
            for did, idx in rows_of.items():
                if len({(found[i][1], rows[i].bank_code) for i in idx}) > 1:  # type: ignore[index]
                    for i in idx:
                        others = "、".join(str(rows[j].row) for j in idx if j != i)
                        conflict[i] = LedgerError(
                            "conflicting_rows",
                            f"与第 {others} 行是同一决定 {did}，但账号或开户行行号不同：各行均不登记，请核实后只保留一行",
                            f"rows {others} name the same decision {did} with another account or bank code: none is "
                            "requested; keep one row")
            for i, r in enumerate(rows):
                try:
                    if isinstance(found[i], LedgerError):
                        raise found[i]  # type: ignore[misc]
                    if i in conflict:
                        raise conflict[i]
                    d, account = found[i]  # type: ignore[misc]
                    if d["id"] in seen:
                        raise LedgerError("duplicate_row", f"与第 {seen[d['id']]} 行重复（同一决定 {d['id']}、同一账号），"
                                          "只按第一行登记",
                                          f"a repeat of row {seen[d['id']]} (decision {d['id']}, same account)")
                    self._refuse_account_change(conn, d, "set")
                    pending = conn.execute(select(AC.id).where(AC.decision_id == d["id"],
                                                               ~exists().where(AA.change_id == AC.id))).scalar()
                    if pending is not None:
                        raise LedgerError("change_pending", f"决定 {d['id']} 已有待复核的账户变更 {pending}",
                                          f"decision {d['id']} already has account change {pending} awaiting approval")
                except LedgerError as e:
                    refused.append((r.row, e.zh, e.en))
                    continue
                seen[d["id"]] = r.row
                good.append((r, d, account))
            if not good:
                return AccountFileResult(None, len(rows), [], refused)
            seqs = dict(conn.execute(select(AC.decision_id, func.count()).where(
                AC.decision_id.in_([d["id"] for _, d, _ in good])).group_by(AC.decision_id)).all())
            ref, _ = self._insert_rows(conn, AccountChange, [
                {"decision_id": d["id"], "seq": seqs.get(d["id"], 0), "kind": "set", "account_no": account,
                 "requested_by": actor, "reason": text_} for _, d, account in good],
                actor=actor, action="request_account", reason=text_,
                after={"kind": "set", "rows": len(rows), "requested": len(good), "refused": len(refused)})
            ids = dict(conn.execute(select(AC.decision_id, AC.id).where(AC.audit_ref == ref)).all())
        requested = [(r.row, d["id"], ids[d["id"]]) for r, d, _ in good]
        banks = {account: r.bank_code for r, _, account in good if r.bank_code}
        changed = self.set_payee_banks(banks, actor) if banks else 0
        return AccountFileResult(ref, len(rows), requested, sorted(refused), changed)

    def _account_row(self, conn: Connection, r: bulk.AccountRow, program: str | None,
                     year: int | None) -> tuple[dict[str, Any], str]:
        """The decision a file row names and its account (digits), or ``LedgerError`` saying what is wrong."""
        import unicodedata

        if r.problem is not None:
            raise LedgerError("bad_input", r.problem[0], r.problem[1])
        account = account_digits(r.account_no)
        if not _ACCOUNT.fullmatch(account):
            raise LedgerError("bad_account", f"账号“{r.account_no or ''}”应为6至32位数字",
                              f"account {r.account_no!r} must be 6 to 32 digits")
        if r.bank_code is not None and not re.fullmatch(r"[0-9]{12}", r.bank_code):
            raise LedgerError("bad_bank_code", f"开户行行号“{r.bank_code}”应为12位数字（支付系统行号）",
                              f"bank code {r.bank_code!r} must be 12 digits (CNAPS)")
        if r.decision_id is not None:
            if not r.decision_id.isdigit() or not 0 < int(r.decision_id) < 2**63:
                raise LedgerError("bad_input", f"决定号“{r.decision_id}”应为正整数",
                                  f"decision id {r.decision_id!r} must be a positive integer")
            d = self._load(conn, int(r.decision_id))
            if r.unit_id is not None and r.unit_id.upper() != d["unit_id"].upper():
                raise LedgerError("unit_mismatch", f"统一社会信用代码与决定 {d['id']} 的单位不符",
                                  f"the credit code differs from decision {d['id']}'s unit")
        elif r.unit_id is None:
            raise LedgerError("bad_input", "决定号和统一社会信用代码都为空", "neither a decision id nor a credit code")
        else:
            prog = bulk.program_of(r.program) if r.program is not None else program
            yr = bulk.year_of(r.year) if r.year is not None else year
            if r.program is not None and prog is None:
                raise LedgerError("bad_input", f"项目“{r.program}”不是已知的项目（可写项目代码如 fanhuan，或其名称如 稳岗返还）",
                                  f"program {r.program!r} is not a known program (its code, e.g. fanhuan, or its name)")
            if r.year is not None and yr is None:
                raise LedgerError("bad_input", f"年度“{r.year}”不是年份（如 2025 或 2025年）",
                                  f"year {r.year!r} is not a year (e.g. 2025)")
            if prog is None or yr is None:
                raise LedgerError("bad_input", "按统一社会信用代码查找决定须有项目和年度（列或 --program/--year）",
                                  "finding a decision by credit code needs its program and year (columns or options)")
            found = list(conn.execute(select(D.id).where(D.program == prog, D.year == yr,
                                                         D.unit_id == r.unit_id.upper()).limit(2)).scalars())
            if len(found) != 1:
                zh = "没有" if not found else "有多个（请填决定号）"
                raise LedgerError("not_found" if not found else "ambiguous",
                                  f"{prog} {yr} 年度{zh}统一社会信用代码为 {r.unit_id} 的决定",
                                  f"{'no' if not found else 'more than one'} {prog} {yr} decision for {r.unit_id}")
            d = self._load(conn, found[0])

        def same(a: str) -> str:
            return "".join(unicodedata.normalize("NFKC", a).split())

        if r.account_name is not None and same(r.account_name) != same(d["unit_name"]):
            # the account is the unit's own: a payment to another holder is refused, not requested
            raise LedgerError("name_mismatch", f"户名“{r.account_name}”与决定 {d['id']} 的单位名称不符",
                              f"the account holder differs from decision {d['id']}'s unit name")
        return d, account

    def approve_accounts(self, batch: str, actor: str, *, approve: bool = True, reason: str = "",
                         chunk_size: int = 500) -> AccountApprovalsResult:
        """``approve_account`` for each change of a request batch (``request_accounts``) still awaiting approval,
        ``chunk_size`` to a transaction; each approval is its own audit event, as one by one. Never by the requester;
        a change its decision no longer allows (paid, refused…) is left pending and reported."""
        actor = self._need_actor(actor, "approve_account")
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        with self._read() as conn:
            changes = conn.execute(select(AC.id, AC.requested_by, AC.decision_id).where(AC.audit_ref == batch)
                                   .order_by(AC.id)).all()
        if not changes:
            raise _err_not_found("账户变更申请批次", "account request batch", batch)
        if any(by == actor for _, by, _ in changes):
            raise LedgerError("same_operator", f"账户变更须由申请人（{actor}）以外的人员复核",
                              f"an account change must be approved by someone other than its requester ({actor})")
        out = AccountApprovalsResult()
        for i in range(0, len(changes), chunk_size):
            with self._tx() as conn:
                for cid, _, did in changes[i:i + chunk_size]:
                    if conn.execute(select(exists().where(AA.change_id == cid))).scalar_one():
                        out.already += 1
                        continue
                    try:
                        if approve:  # checked before anything is written: a refusal leaves the chunk's others
                            self._refuse_account_change(conn, self._load(conn, did), "set")
                    except LedgerError as e:
                        out.refused.append((cid, did, e.zh, e.en))
                        continue
                    self._approve_account(conn, cid, actor, approve, reason)
                    out.decided.append(cid)
        return out

    # ------------------------------------------------------------- 公示
    def publicize(self, list_key: str, program: str, year: int, actor: str, *, starts_on: date, days: int,
                  decision_ids: Sequence[int] | None = None, late_reason: str | None = None) -> int:
        """Put approved decisions on a 公示 list running ``days`` calendar days from ``starts_on``. ``late_reason``: why
        the list is recorded after it started (a paper list posted earlier), kept in both audit events."""
        actor = self._need_actor(actor, "publicize")
        if days < 1:
            raise LedgerError("bad_period", "公示期至少 1 天", "the publicity period must be at least one day")
        with self._tx() as conn:
            if program not in PUBLICITY_PROGRAMS:
                # only decisions whose own document has a 公示 step (procedure.py ``publicity``); 技能提升补贴 has none:
                # its list was made and paid during its period (outside audit, session 39)
                q = select(D.policy_doc).distinct().where(D.program == program, D.year == year, D.state == "approved")
                if decision_ids is not None:
                    q = q.where(D.id.in_(list(decision_ids)))
                docs = set(conn.execute(q).scalars())
                without = sorted(docs - publicity_documents(program))
                if without or not docs:
                    raise LedgerError(
                        "no_publicity_step",
                        f"{PROGRAM_ZH.get(program, program)}的文件（{'、'.join(without) or '—'}）没有公示环节，复审通过后即发放"
                        "（docs/casework.md），不能列入公示名单",
                        f"{program!r} under {', '.join(without) or 'its documents'} has no 公示 step (paid after 复审): "
                        "not publicized")
            L = PublicityList.__table__.c
            q = select(D.id).where(D.program == program, D.year == year, D.state == "approved")
            if decision_ids is not None:
                q = q.where(D.id.in_(list(decision_ids)))
            ids = list(conn.execute(q.order_by(D.id)).scalars())
            # a decision is on one list (its entry is UNIQUE): one back to 复审通过 after a hold was released stays on
            # the list it was on, and waits for its end (``_payable``). Nothing left to list: no list is made (outside
            # casework audit D7, session 42: an empty list GS-D was created, with its event and checkpoint)
            listed = self._on_lists(conn, ids)
            ids = [i for i in ids if i not in listed]
            if not ids:
                shown = "；".join(f"决定 {did} 已在公示名单 {key} 中" for did, key in sorted(listed.items())[:10])
                raise LedgerError("nothing_to_publicize",
                                  f"没有可列入公示名单 {list_key} 的决定（{shown or '无复审通过的决定'}），未创建该名单",
                                  f"nothing to put on 公示 list {list_key} ("
                                  + ("; ".join(f"decision {did} is on list {key}" for did, key in sorted(listed.items())[:10])
                                     or "no approved decision") + "); the list is not created")
            self._insert_rows(conn, PublicityList, [{"list_key": list_key, "program": program, "year": year,
                                                     "starts_on": starts_on, "ends_on": starts_on + timedelta(days=days - 1)}],
                              actor=actor, action="publicity_list", reason=late_reason or "")
            list_id = conn.execute(select(L.id).where(L.list_key == list_key)).scalar_one()
            ref, n = self._insert_rows(conn, PublicityEntry, [{"list_id": list_id, "decision_id": i} for i in ids],
                                       actor=actor, action="publicize", after={"list_key": list_key},
                                       reason=late_reason or "")
            E = PublicityEntry.__table__.c
            if n:
                conn.execute(update(Decision.__table__)
                             .where(D.id.in_(select(E.decision_id).where(E.audit_ref == ref)), D.state == "approved")
                             .values(state="publicized", version=D.version + 1))
                audit.append(conn, actor=actor, action="publicize", entity="case_decisions",
                             before={"state": "approved", "publicity_ref": ref},
                             after={"state": "publicized", "publicity_ref": ref, "count": n,
                                    **({"late_reason": late_reason} if late_reason else {})},
                             reason=late_reason or "")
            return n

    @staticmethod
    def _on_lists(conn: Connection, ids: Collection[int]) -> dict[int, str]:
        """Of ``ids``, those on a 公示 list already, with the list's key."""
        L, E = PublicityList.__table__.c, PublicityEntry.__table__.c
        out: dict[int, str] = {}
        ids = sorted(set(ids))
        for i in range(0, len(ids), 5_000):
            out.update((int(did), key) for did, key in conn.execute(
                select(E.decision_id, L.list_key).where(E.list_id == L.id, E.decision_id.in_(ids[i:i + 5_000]))))
        return out

    def on_publicity_lists(self, ids: Collection[int]) -> dict[int, str]:
        """Of ``ids``, those on a 公示 list already, with the list's key (``case publicize`` says so)."""
        with self._read() as conn:
            return self._on_lists(conn, ids)

    def check_publicity_after_review(self, program: str, year: int, starts_on: date,
                                     decision_ids: Collection[int] | None = None) -> None:
        """Refuse a 公示 starting before the latest 复审 (Beijing day) of the approved decisions it would list: a list
        cannot have been posted before the decisions on it were approved, and a backdated start would let payment
        follow at once (outside audit, session 39). Called where operators act, as ``check_publicity_start``: the
        ledger's own API is driven with simulated dates (tests, the demo story); the CLI takes a list recorded after
        the fact (``--late-reason``) with a warning."""

        V, EV = Review.__table__.c, AuditEvent.__table__.c
        q = (select(func.max(EV.at)).select_from(Review.__table__.join(AuditEvent.__table__, EV.ref == V.audit_ref)
                                                 .join(Decision.__table__, D.id == V.decision_id))
             .where(V.stage == 2, V.approve == 1, D.program == program, D.year == year, D.state == "approved"))
        if decision_ids is not None:
            q = q.where(D.id.in_(list(decision_ids)))
        with self._read() as conn:
            at = conn.execute(q).scalar_one()
        if at is None:
            return
        last = datetime.fromisoformat(at).astimezone(timezone(timedelta(hours=8))).date()
        if starts_on < last:
            raise LedgerError(
                "publicity_before_review",
                f"公示开始日期 {starts_on} 早于所列决定的复审日期 {last}：公示须在复审通过之后，不能倒签",
                f"the publicity period starts {starts_on}, before the latest second review ({last}) of the decisions "
                "it lists: a 公示 follows the review and cannot be backdated",
            )

    # ---------------------------------------------------------- payment
    def _payable(self, program: str, year: int, today: date, payer: str | None = None, *,
                 bank_file: bool = True) -> Any:
        """Decisions of (program, year) that can be paid ``today``; with ``payer``, only those the payer
        reviewed at neither stage (the one who pays is not one who approved). A payment that goes to the bank in a
        file (``bank_file``: a batch's) needs a payee name the file can hold (``_bad_name``)."""
        L, E = PublicityList.__table__.c, PublicityEntry.__table__.c
        cond = and_(D.program == program, D.year == year, D.state.in_(("approved", "publicized", "account_fixed")),
                    D.account_no.is_not(None), ~self._bad_account(), self._amount_sql() > 0, ~self._change_pending(),
                    ~self._risk_flagged(), func.trim(func.coalesce(D.policy_doc, "")).not_in(NO_DOCUMENT))
        if bank_file:
            cond = and_(cond, ~self._bad_name())
        ended = exists().where(E.decision_id == D.id, E.list_id == L.id, L.ends_on < today)
        if program in PUBLICITY_PROGRAMS:
            cond = and_(cond, ended)
        elif docs := sorted(publicity_documents(program)):  # a document with its own 公示 step (procedure.py)
            cond = and_(cond, or_(D.policy_doc.not_in(docs), ended))
        # a decision on a 公示 list waits for its end, whatever its program (a list made before the check above)
        cond = and_(cond, ~exists().where(E.decision_id == D.id, E.list_id == L.id, L.ends_on >= today))
        if payer is not None:
            cond = and_(cond, ~self._reviewed_by(payer))
        return cond

    @staticmethod
    def _reviewed_by(login: str) -> Any:
        V = Review.__table__.c
        return exists().where(V.decision_id == D.id, V.reviewer == login)

    @staticmethod
    def _bad_account() -> Any:
        """A stored payee account that is not 6 to 32 digits (``_ACCOUNT_SQL``): accounts are checked where they enter
        (``_request_account``, account files, the 税务 account), but a decision imported with its account may hold
        another. Such a decision is not paid: before, it was, and only the bank file refused it (fail closed)."""
        return and_(D.account_no.is_not(None), ~D.account_no.regexp_match(_ACCOUNT_SQL))

    @staticmethod
    def _bad_name() -> Any:
        """A payee name the bank file cannot hold (docs/bank-file.md “no field may contain ``|``, a tab, CR or LF
        (refused when the batch is made)”; ``documents.bank._text``): blank, or with ``|``, a tab, CR or LF. Before,
        ``case pay`` paid such a decision and every later ``case bank-file`` of its batch was refused whole."""
        return or_(*(D.unit_name.contains(c, autoescape=True) for c in ("|", "\t", "\r", "\n")),
                   func.trim(D.unit_name) == "")

    def _unpaid_sql(self, program: str, year: int, today: date, payer: str | None) -> Any:
        """Why a decision waiting to be paid (复审通过, 公示, 账户已更正) is not paid by a batch of ``payer`` ``today``: the
        first of ``UNPAID_REASONS`` that holds (the checks of ``_payable``, in that order); "refused" when all hold —
        the batch refused it (a row at odds with its events, a bank credit after a bounce not checked, nothing due).
        For a paid decision owed a 多退少补 top-up (``_supplement_due``), why the top-up is not paid (``top_up_*``)."""
        L, E = PublicityList.__table__.c, PublicityEntry.__table__.c
        R, EV = Recomputation.__table__.c, AuditEvent.__table__.c
        listed = exists().where(E.decision_id == D.id)
        ended = exists().where(E.decision_id == D.id, E.list_id == L.id, L.ends_on < today)
        docs = sorted(publicity_documents(program))
        publicity = literal(True) if program in PUBLICITY_PROGRAMS else (
            D.policy_doc.in_(docs) if docs else literal(False))
        running = exists().where(E.decision_id == D.id, E.list_id == L.id, L.ends_on >= today)
        by_payer = self._reviewed_by(payer) if payer is not None else literal(False)
        resized = (exists().where(R.decision_id == D.id, EV.ref == R.audit_ref, EV.actor == payer)
                   if payer is not None else literal(False))
        return case(
            (and_(D.state == "paid", self._top_up_bounced()), "top_up_bounced"),
            (and_(D.state == "paid", self._change_pending()), "top_up_change_pending"),
            (and_(D.state == "paid", D.account_no.is_(None)), "top_up_no_account"),
            (and_(D.state == "paid", self._bad_account()), "top_up_bad_account"),
            (and_(D.state == "paid", self._bad_name()), "top_up_bad_name"),
            (and_(D.state == "paid", self._risk_flagged()), "top_up_risk"),
            (and_(D.state == "paid", or_(by_payer, resized)), "top_up_by_payer"),
            (func.trim(func.coalesce(D.policy_doc, "")).in_(NO_DOCUMENT), "no_document"),
            (D.state == "paid", "top_up_refused"),
            (self._change_pending(), "change_pending"),
            (D.account_no.is_(None), "no_account"),
            (self._bad_account(), "bad_account"),
            (self._bad_name(), "bad_name"),
            (self._risk_flagged("confirmed"), "risk_confirmed"),
            (self._risk_flagged(), "risk_open"),
            (and_(publicity, ~listed), "not_publicized"),
            (or_(and_(publicity, ~ended), running), "publicity_running"),
            (func.coalesce(self._amount_sql(), 0) <= 0, "zero"),
            (by_payer, "reviewed_by_payer"),
            else_="refused",
        )

    def _unpaid_cond(self, program: str, year: int) -> Any:
        """The candidates of a payment batch of (program, year): decisions waiting to be paid, and paid ones owed a
        多退少补 top-up."""
        R = Recomputation.__table__.c
        return and_(D.program == program, D.year == year, or_(
            D.state.in_(("approved", "publicized", "account_fixed")),
            and_(D.state == "paid", exists().where(R.decision_id == D.id), self._due_sql() > 0)))

    def _unpaid(self, conn: Connection, program: str, year: int, today: date, payer: str | None,
                decision_ids: Collection[int] | None = None) -> dict[int, str]:
        """Every decision of (program, year) a payment batch leaves unpaid, with why (``_unpaid_sql``): those waiting
        to be paid, and the paid ones owed a top-up (``_due_sql`` > 0) — only of ``decision_ids`` when given."""
        cond = self._unpaid_cond(program, year)
        why = self._unpaid_sql(program, year, today, payer)
        if decision_ids is None:
            return {int(i): w for i, w in conn.execute(select(D.id, why).where(cond))}
        out: dict[int, str] = {}
        chosen = sorted(decision_ids)
        for i in range(0, len(chosen), 5000):
            out |= {int(d): w for d, w in conn.execute(select(D.id, why).where(cond, D.id.in_(chosen[i:i + 5000])))}
        return out

    def unpaid_reasons(self, decision_ids: Collection[int], program: str, year: int, payer: str, *,
                       today: date | None = None) -> dict[int, tuple[str, str]]:
        """Of ``decision_ids``, those a batch by ``payer`` would leave (or left) unpaid, each with why in Chinese and
        English (``UNPAID_REASONS``): what ``case pay --ids`` says of each one it skipped."""
        payer = operators.normalize_login(payer)
        with self._read() as conn:
            return {did: UNPAID_REASONS[w] for did, w in
                    self._unpaid(conn, program, year, _today(today), payer, decision_ids).items()}

    @staticmethod
    def _change_pending() -> Any:
        """The decision has an account change awaiting approval: it is paid to no account until then."""
        AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
        return exists().where(AC.decision_id == D.id, ~exists().where(AA.change_id == AC.id))

    @staticmethod
    def _flag_matches_decision() -> Any:
        """A risk flag concerns a decision as ``risk_queue._decision_for`` finds it: same program, year and subject,
        and the flag's claim key when it has one."""
        F = RiskFlag.__table__.c
        return and_(F.program == D.program, F.year == D.year, F.subject_id == D.unit_id,
                    or_(F.claim_key.is_(None), F.claim_key == "", F.claim_key == D.claim_key))

    @staticmethod
    def _risk_flagged(status: str | None = None) -> Any:
        """The decision has a risk flag (风险疑点) that matches it as ``risk_queue._decision_for`` matches (program,
        subject, year, and the flag's claim key when it has one) and that the 稽核 has not cleared (排除): open
        (待核查) or confirmed (已核实). Not paid, to no account, until cleared: 人社部发〔2024〕40号 六 “在待遇审核和
        发放环节加强数据比对，严防冒领、骗取基金和多发待遇风险”; 内人社发〔2025〕18号 五 “切实防范冒领骗取和多发错发”.
        ``status`` "open" / "confirmed": only flags in that state (counting why decisions wait)."""
        F, R = RiskFlag.__table__.c, RiskReview.__table__.c
        cond = [Ledger._flag_matches_decision()]
        if status == "open":
            cond.append(~exists().where(R.flag_id == F.id))
        elif status == "confirmed":
            cond.append(exists().where(R.flag_id == F.id, R.outcome == "confirmed"))
        else:  # fail closed: any verdict but 排除 keeps the hold
            cond.append(~exists().where(R.flag_id == F.id, R.outcome == "cleared"))
        return exists().where(*cond)

    @staticmethod
    def _risk_flags(conn: Connection, ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
        """Of ``ids``, decisions held by a risk flag not cleared (``_risk_flagged``): decision id -> its flags."""
        F, R = RiskFlag.__table__.c, RiskReview.__table__.c
        state = func.coalesce(R.outcome, "open")
        found: dict[int, list[dict[str, Any]]] = {}
        ordered = sorted(ids)
        for i in range(0, len(ordered), 5000):
            q = (select(D.id.label("decision_id"), F.id, state.label("status"), F.check_id, F.severity, F.label,
                        F.citation)
                 .select_from(Decision.__table__.join(RiskFlag.__table__, Ledger._flag_matches_decision())
                     .outerjoin(RiskReview.__table__, R.flag_id == F.id))
                 .where(D.id.in_(ordered[i:i + 5000]), state != "cleared").order_by(D.id, F.id))
            for r in conn.execute(q).mappings():
                found.setdefault(r["decision_id"], []).append(dict(r))
        return found

    @staticmethod
    def _risk_holds(conn: Connection, ids: Collection[int]) -> dict[int, audit.Issue]:
        """``_risk_flags`` as the reason a decision is not paid, naming its flags and what lifts the hold."""
        out = {}
        found = Ledger._risk_flags(conn, ids)
        states = dict(conn.execute(select(D.id, D.state).where(D.id.in_(sorted(found)))).all()) if found else {}
        for did, flags in found.items():
            zh = "；".join(f"风险疑点 {f['id']}（{RISK_STATUS_ZH.get(f['status'], f['status'])}）：{f['label']}"
                          f"（{f['citation']}）" for f in flags)
            en = "; ".join(f"risk flag {f['id']} ({f['status']}, {f['check_id']})" for f in flags)
            opened = " ".join(str(f["id"]) for f in flags if f["status"] != "confirmed")
            # a confirmed flag is never cleared: say what ends the decision (``risk_queue.confirmed_flag_advice``)
            done_zh, done_en = confirmed_flag_advice(did, states.get(did, ""))
            what_zh = ([f"待核查的经稽核排除前暂停发放（稽核 wengang risk clear 或 confirm {opened}）"] if opened else []) + (
                [f"已核实的不再排除，不予发放：{done_zh}"] if any(f["status"] == "confirmed" for f in flags) else [])
            what_en = ([f"open: not paid until the 稽核 clears it (wengang risk clear or confirm {opened})"]
                       if opened else []) + ([f"confirmed (never cleared), not paid: {done_en}"]
                                             if any(f["status"] == "confirmed" for f in flags) else [])
            out[did] = audit.Issue("payment", f"{zh}。{'；'.join(what_zh)}", f"{en}: {'; '.join(what_en)}")
        return out

    @staticmethod
    def _check_events(proj: projection.Projection, step_zh: str = "发放", step_en: str = "payment") -> None:
        """Money leaves only on an intact chain: a broken or edited chain stops the payment altogether."""
        if not proj.chain.ok:
            first = proj.chain.issues[0]
            raise LedgerError("audit_broken", f"审计链校验失败，暂停{step_zh}（请运行 wengang audit verify）：{first.zh}",
                              f"the audit chain fails verification; {step_en} stopped (run wengang audit verify): "
                              f"{first.en}")

    def _checked(self, conn: Connection, ids: Collection[int], step_zh: str, step_en: str) -> None:
        """Before money is settled on decisions ``ids`` (a resize's or recomputation's 多退少补, a recovery ordered or
        received, a payment withdrawn, a credit check), what it reads is checked against the events as ``case pay``
        checks it (``_signed_chain``, ``_verified``): the chain and its checkpoints; every money event re-hashed
        (payments, returns, recoveries and their receipts, bank files); the tables that gate or settle money re-hashed
        whole (``projection.GATES``, ``projection.SETTLES``); the decisions' rows and money as their events say, and
        their recoveries, cancellations and receipts as the ledger allowed them (``projection.recovery_problems``).
        Any difference refuses (``audit_broken`` / ``tampered``), nothing is written. Once per decision and
        transaction (under the write lock what was checked stays so; the ledger's own writes carry their events).
        Outside ledger audit, session 41: a resize computed from a receipts table emptied by SQL cancelled 779.62元
        as never received; a receipt was taken on an order raised by SQL to 100,779.62元."""
        done = conn.info.setdefault(CHECKED, set())
        todo = sorted(set(ids) - done)
        if not todo:
            return
        self._signed_chain(conn)
        proj = projection.Projection.build(conn, todo, check_rows=True)
        self._check_events(proj, step_zh, step_en)
        # the decision's money and rows as the events say (``bad``), and of its workflow columns the one settling
        # reads (``state``: paid or not); an account or channel that differs is refused where money leaves by it
        bad = {did: i for did, i in proj.bad.items() if did in proj.ids}
        for diff in proj.differences(conn, todo):
            if diff.column in ("state", "*"):
                bad.setdefault(diff.row_id, diff.issue())
        if bad:
            did, issue = min(bad.items())
            # the row's hash says only that a range of rows changed: name the payment and the column where the events
            # locate it (``Projection._check_payment``; outside casework audit D1, session 42)
            located = [i for i in proj.issues if i is not issue and f"（决定 {did}，事件" in i.zh][:1]
            raise LedgerError("tampered", f"决定 {did} 的台账记录与审计事件不符，暂停{step_zh}（请运行 wengang audit verify）："
                              + "；".join([issue.zh, *(i.zh for i in located)]),
                              f"decision {did} differs from its audit events; {step_en} stopped (run wengang audit "
                              "verify): " + "; ".join([issue.en, *(i.en for i in located)]))
        done.update(todo)

    @staticmethod
    def _alarm_events(conn: Connection, decision_id: int | None = None) -> tuple[list[dict[str, Any]], dict[int, int]]:
        """The ``CREDITED_AFTER_BOUNCE`` events (of one decision, or all) in order, each with its ``after``, and which
        of them a check closed: alarm seq -> the check's seq."""
        EV = AuditEvent.__table__.c
        cond = [EV.entity == "case_decisions", EV.action.in_((CREDITED_AFTER_BOUNCE, *CREDIT_CHECKS))]
        if decision_id is not None:
            cond.append(EV.entity_id == str(decision_id))
        alarms, checked = [], {}
        for seq, eid, action, actor, at, reason, after in conn.execute(
                select(EV.seq, EV.entity_id, EV.action, EV.actor, EV.at, EV.reason, EV.after).where(*cond)
                .order_by(EV.seq)):
            a = json.loads(after or "null") or {}
            if action == CREDITED_AFTER_BOUNCE:
                alarms.append({"seq": seq, "decision_id": int(eid), "actor": actor, "at": at, "reason": reason,
                               **{k: a.get(k) for k in ("payment_id", "file_key", "line", "sha256", "repaid",
                                                        "bank_date", "account")}})
            else:
                checked.update({int(s): seq for s in a.get("alarm_seqs") or ()})
        return alarms, checked

    @staticmethod
    def _alarms(conn: Connection, ids: Collection[int]) -> dict[int, audit.Issue]:
        """Of ``ids``, decisions the bank credited after the office had recorded the payment as bounced
        (``CREDITED_AFTER_BOUNCE``) and no 复核 has checked yet (``check_credit_after_bounce``): not paid again,
        whatever their state, until the possible double payment is looked into. The first open alarm of each
        (``_open_alarms`` gives them all)."""
        return {did: issues[0] for did, issues in Ledger._open_alarms(conn, ids).items()}

    @staticmethod
    def _open_alarms(conn: Connection, ids: Collection[int]) -> dict[int, list[audit.Issue]]:
        """``_alarms`` with every open alarm of a decision, in order: each is checked on its own
        (``check_credit_after_bounce`` ``payment_id``), so checking one leaves the others holding it."""
        out: dict[int, list[audit.Issue]] = {}
        alarms, checked = Ledger._alarm_events(conn)
        for a in alarms:
            did, seq = a["decision_id"], a["seq"]
            if did in ids and seq not in checked:
                out.setdefault(did, []).append(audit.Issue(
                    "payment", f"事件 {seq}：{a['reason']}；核实后以 wengang case credit-check {did} 登记",
                    f"event {seq}: the bank credited a payment of decision {did} that was recorded as bounced "
                    f"(possible double payment); not paid again until checked (wengang case credit-check {did})"))
        return out

    def _signed_chain(self, conn: Connection) -> None:
        """With a signing key configured, money leaves only on a chain that still holds every signed checkpoint's
        head: a chain cut at the tail or recomputed after an edit stops payments and bank files (docs/audit-keys.md)."""
        if self.checkpointer is not None:
            self.checkpointer.check(conn)
        elif self._sealed(conn):  # a sealed ledger pays only where the seals can be checked (docs/audit-keys.md)
            raise audit.seal_required()

    def _verified(self, conn: Connection, d: dict[str, Any]) -> None:
        """Refuse to pay decision ``d`` unless its stored row is what its audit events say."""
        proj = projection.Projection.build(conn, [d["id"]], check_rows=True)
        self._check_events(proj)
        bad = proj.refused(conn, [d["id"]])
        if bad:
            issue = bad[d["id"]]
            raise LedgerError("tampered", f"决定 {d['id']} 的台账记录与审计事件不符，不予发放：{issue.zh}",
                              f"decision {d['id']} differs from its audit events; not paid: {issue.en}")

    def run_payment_batch(self, batch_key: str, program: str, year: int, actor: str, *, today: date | None = None,
                          chunk_size: int = 5000, max_chunks: int | None = None,
                          decision_ids: Sequence[int] | None = None) -> BatchResult:
        """Pay every payable decision of (program, year) in chunks, one transaction each (only those of
        ``decision_ids`` if given).

        Re-running (or resuming after a kill) with the same ``batch_key`` pays only those not yet paid:
        payments are UNIQUE on (decision_id, kind, seq). Decisions the payer reviewed (初审 or 复审) are
        skipped and counted in ``reviewed_by_payer``: another 出纳 pays them.
        """
        check_batch_key(batch_key)  # before anything is paid: a key the bank file refuses strands the payments
        actor = self._need_actor(actor, "pay")
        today = _today(today)
        paid = amount = chunks = 0
        last = 0
        batch_id = None
        refused: dict[int, audit.Issue] = {}
        tampered: set[int] = set()
        seq_sql = select(func.count()).where(P.decision_id == D.id, P.kind == "initial").scalar_subquery()
        cols = HASHED["case_payments"]
        schema = {c: audit._dtype(Payment.__table__.c[c]) for c in cols}
        with self._read() as conn:
            self._signed_chain(conn)
            unverified, followed = self._unverified_others(conn, program, year, today, actor, decision_ids)
        with step("发放", unit="个单位") as shown:
            while max_chunks is None or chunks < max_chunks:
                # The payable set, computed once per pass (not once per chunk), with its workflow columns rebuilt
                # from the audit events (projection.py). Each chunk re-checks both under the write lock, so a
                # decision held or paid meanwhile is skipped, payments stay UNIQUE, and a decision whose stored
                # row differs from its events is refused and reported, never paid.
                with self._read() as conn:
                    todo = list(conn.execute(select(D.id).where(self._payable(program, year, today, actor), D.id > last)
                                             .order_by(D.id)).scalars())
                    if decision_ids is not None:
                        chosen = set(decision_ids)
                        todo = [i for i in todo if i in chosen]
                    if not todo:
                        proj = None
                    elif followed is not None and followed.ids is not None and followed.ids.issuperset(todo):
                        # the projection the check before paying built follows these decisions already: the events
                        # since are folded in under the write lock below, as for one built here (a second build
                        # re-hashed every gate table and event again: 4–5 s of a 100 k batch on PostgreSQL)
                        proj = followed
                    else:
                        proj = projection.Projection.build(conn, todo, check_rows=True)
                    followed = None
                if proj is None:
                    break
                self._check_events(proj)
                shown.update(total=shown.done + len(todo))
                for off in range(0, len(todo), chunk_size):
                    if max_chunks is not None and chunks >= max_chunks:
                        break
                    ids = todo[off:off + chunk_size]
                    with self._tx() as conn:
                        proj.advance(conn)  # events appended since the pass began (under the write lock now)
                        self._check_events(proj)
                        # exactly what the INSERT below will pay (we hold the write lock), with its stored columns
                        in_range = and_(D.id.between(ids[0], ids[-1]) if decision_ids is None else D.id.in_(ids),
                                    self._payable(program, year, today, actor))
                        width = len(projection.STORED)
                        read = [tuple(r) for r in conn.execute(
                            select(*projection.STORED, D.amount_fen, D.payment_channel).where(in_range))]
                        stored = [r[:width] for r in read]
                        now, chunk = {r[0] for r in stored}, set(ids)
                        bad = proj.refused(conn, now & chunk, [r for r in stored if r[0] in chunk])
                        # what the payment reads besides the workflow columns, as the build verified it: an edit by
                        # SQL since (the pass builds once, chunks follow) is refused, not paid
                        for did, issue in proj.imported_edits((r[0], *r[width:]) for r in read if r[0] in chunk).items():
                            bad.setdefault(did, issue)
                        if now - chunk:  # became payable since the pass began: check those too
                            late = projection.Projection.build(conn, now - chunk, check_rows=True)
                            self._check_events(late)
                            bad.update(late.refused(conn, now - chunk))
                        tampered.update(bad)
                        for did, issue in (self._alarms(conn, now) | self._nothing_due(conn, now)).items():
                            bad.setdefault(did, issue)
                        refused.update(bad)
                        if batch_id is None and len(bad) < len(now):
                            batch_id = self._batch(conn, batch_key, program, year, actor)
                        ref = audit.new_ref()
                        # what is still due: the entitlement, less a top-up still paid when a re-payment follows
                        # a bounce (never paid twice)
                        src = select(literal(batch_id), D.id, literal("initial"), seq_sql, self._due_sql(),
                                     func.coalesce(D.payee_channel, D.payment_channel), D.account_no, literal(ref)
                                     ).where(in_range)
                        if bad:
                            src = src.where(D.id.not_in(list(bad)))
                        rows = conn.execute(self._insert(Payment.__table__).from_select(
                            ["batch_id", "decision_id", "kind", "seq", "amount_fen", "channel", "account_no", "audit_ref"],
                            src,
                        ).on_conflict_do_nothing().returning(*[P[c] for c in cols])).all()
                        if rows:
                            conn.execute(update(Decision.__table__)
                                         .where(D.id.in_(select(P.decision_id).where(P.audit_ref == ref)))
                                         .values(state="paid", version=D.version + 1))
                            # the rows we just wrote, hashed as ``rows_hash`` would read them back (id order)
                            pre = audit.frame_hash(pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
                                                   .sort("id"))
                            audit.append(conn, actor=actor, action="pay", entity="case_payments", ref=ref,
                                         precomputed=pre, after={"batch": batch_key, "decision_state": "paid",
                                                                  "as_of": today.isoformat(),
                                                                  "ids": sorted(r[2] for r in rows)})
                            paid += pre[0]
                            amount += pre[2]
                    chunks += 1
                    last = ids[-1]
                    shown.advance(len(ids))
        if max_chunks is None or chunks < max_chunks:
            n_sup, sup_fen, batch_id = self._pay_supplements(batch_key, program, year, actor, today, batch_id,
                                                             decision_ids, refused, chunk_size, tampered)
            paid, amount = paid + n_sup, amount + sup_fen
        else:
            n_sup = sup_fen = 0
        with self._read() as conn:
            # the counts below cover the selection only when ``decision_ids`` is given (session 40: a batch of
            # one decision reported every account missing in the whole program-year)
            sel = true() if decision_ids is None else D.id.in_(list(decision_ids))
            waiting = and_(D.program == program, D.year == year,
                           D.state.in_(("approved", "publicized", "account_fixed")))
            missing = conn.execute(select(func.count()).select_from(Decision.__table__).where(
                waiting, D.account_no.is_(None), sel)).scalar_one()
            pending = conn.execute(select(func.count()).select_from(Decision.__table__).where(
                waiting, self._change_pending(), sel)).scalar_one()
            own = conn.execute(select(func.count()).select_from(Decision.__table__).where(
                self._payable(program, year, today), self._reviewed_by(actor), sel)).scalar_one()
            R = Recomputation.__table__.c
            awaiting = conn.execute(select(func.count()).select_from(Decision.__table__).where(
                D.program == program, D.year == year, D.state == "paid", exists().where(R.decision_id == D.id),
                self._due_sql() > 0, self._top_up_bounced(), sel)).scalar_one()
            # held by a risk flag: waiting to be paid, or paid and owed a top-up
            flagged = and_(self._risk_flagged(), or_(waiting, and_(
                D.program == program, D.year == year, D.state == "paid", exists().where(R.decision_id == D.id),
                self._due_sql() > 0)))
            if decision_ids is not None:
                flagged = and_(flagged, D.id.in_(list(decision_ids)))
            confirmed = self._risk_flagged("confirmed")
            risk_confirmed, risk_open = (conn.execute(select(func.count()).select_from(Decision.__table__).where(
                flagged, c)).scalar_one() for c in (confirmed, ~confirmed))
            # every candidate left unpaid, by one reason each (outside audit, story 13: "本次发放 0…缺少账户 222" of 223,
            # the one whose 公示 had not ended named nowhere); with ``paid`` they account for every candidate
            if decision_ids is None:
                why = self._unpaid_sql(program, year, today, actor)
                unpaid = Counter(dict(conn.execute(select(why, func.count()).where(self._unpaid_cond(program, year))
                                                   .group_by(why)).all()))
            else:
                unpaid = Counter(self._unpaid(conn, program, year, today, actor, decision_ids).values())
        tampered.update(unverified)
        self.unverified_rows |= tampered
        return BatchResult(batch_id=batch_id, paid=paid, amount_fen=amount, missing_account=missing, chunks=chunks,
                           reviewed_by_payer=own, refused=sorted(refused.items()), pending_account=pending,
                           supplements=n_sup, supplement_fen=sup_fen, supplement_awaiting_account=awaiting,
                           risk_open=risk_open, risk_confirmed=risk_confirmed,
                           unpaid={k: unpaid[k] for k in UNPAID_REASONS if unpaid[k]},
                           unverified=sorted(unverified.items()), tampered=sorted(tampered))

    def _unverified_others(self, conn: Connection, program: str, year: int, today: date, payer: str,
                           decision_ids: Sequence[int] | None) -> tuple[dict[int, audit.Issue], projection.Projection]:
        """Before paying: of (program, year)'s decisions (those of ``decision_ids`` if given) that are no candidate,
        those whose stored row differs from its audit events (the candidates are checked as they are paid). A state
        set to 审核未通过 by SQL takes a decision out of the batch: it is still a row ``audit verify`` fails on,
        said as such, and the run signs no checkpoint over it (outside audit aud4 F4). Returns them and the
        projection built, which follows every one of those decisions (the candidates too: the batch pays from it)."""
        every = set(conn.execute(select(D.id).where(D.program == program, D.year == year)).scalars())
        if decision_ids is not None:
            every &= set(decision_ids)
        others = every - set(conn.execute(select(D.id).where(self._payable(program, year, today, payer))).scalars())
        # built even with no other decision: the chain, every money event and every table that decides whether a
        # decision is paid (``projection.GATES``: reviews, risk flags and verdicts …) are checked before anything is
        # paid, so a risk flag deleted or a reviewer edited by SQL stops the run (``audit_broken``), whichever
        # decisions it concerned (outside tamper audit, session 40: F2, F3)
        proj = projection.Projection.build(conn, every, check_rows=True)
        self._check_events(proj)
        return (proj.refused(conn, others) if others else {}), proj

    @staticmethod
    def _nothing_due(conn: Connection, ids: Collection[int]) -> dict[int, audit.Issue]:
        """Of ``ids``, decisions to be paid again after a bounce with nothing left due (``_due_sql`` ≤ 0: a 多退少补
        top-up still paid covers an entitlement lowered since): not paid, settled by a recovery ordered by hand."""
        if not ids:
            return {}
        due = Ledger._due_sql()
        # by the ids' range, kept to the ids here: an IN of a chunk's 5,000 ids is a query text the driver parses
        # each time (50 ms a chunk on PostgreSQL), for the few re-payments it finds
        wanted = set(ids)
        rows = [(did, n) for did, n in conn.execute(select(D.id, due).where(
            D.id.between(min(wanted), max(wanted)), D.state == "account_fixed", due <= 0)) if did in wanted]
        return {did: audit.Issue("payment", f"决定 {did} 重新发放时已无应发金额（{format_yuan(n)}：已发放的补发款不少于现应发金额），"
                                 "不予发放，须人工核对多退少补",
                                 f"decision {did} has nothing left due on its re-payment ({fen_to_yuan(n)} yuan: top-ups still paid "
                                 "cover the entitlement); not paid, settle by hand") for did, n in rows}

    @staticmethod
    def _returned() -> Any:
        """A return counts unless the bank confirmed the same payment credited: a bounce recorded by hand that the
        bank contradicted and a 复核 confirmed (``check_credit_after_bounce``) is void. No other path records both."""
        X, K = PaymentReturn.__table__.c, BankConfirmation.__table__.c
        return ~exists().where(K.payment_id == X.payment_id)

    # ------------------------------------------------------------ money sent (docs/casework.md "Money sent")
    @staticmethod
    def _sent() -> Any:
        """A payment is sent once it is in a bank file written for the bank (``record_bank_file``: its
        ``case_bank_file_items`` row), or when it was made outside a batch (``pay_decision``: paid on the spot, no
        bank file). Sent, it is 已报盘未回盘 until the bank answers (``_unanswered``); a return that counts
        (``_returned``) makes it not paid; a bank confirmation (``case_bank_confirmations``) makes it paid. A payment
        not sent can still be withdrawn (``_withdraw_unsent``): it never reaches anyone."""
        Item = BankFileItem.__table__.c
        return or_(P.batch_id.is_(None), exists().where(Item.payment_id == P.id))

    @staticmethod
    def _unanswered() -> Any:
        """Sent in a bank file and not answered by the bank: no confirmation, no return. Its fate is unknown."""
        Item, X, K = BankFileItem.__table__.c, PaymentReturn.__table__.c, BankConfirmation.__table__.c
        return and_(exists().where(Item.payment_id == P.id), ~exists().where(X.payment_id == P.id),
                    ~exists().where(K.payment_id == P.id))

    @staticmethod
    def _not_sent() -> Any:
        """Created in a payment batch, in no bank file yet, not returned or withdrawn: money that has not left."""
        Item, X = BankFileItem.__table__.c, PaymentReturn.__table__.c
        return and_(P.batch_id.is_not(None), ~exists().where(Item.payment_id == P.id),
                    ~exists().where(X.payment_id == P.id))

    @staticmethod
    def _sent_seq() -> Any:
        """When a payment was sent (``_sent``), as the ``seq`` of the audit event that sent it (correlated to the
        query's payment row): the ``bank_file_items`` event that put it into a bank file written for the bank, or,
        made outside a batch (``pay_decision``: paid on the spot), its own ``pay`` event. The chain's order is the
        order the ledger recorded these moments in (each event's ``at`` is its time). NULL when not sent. Payments of
        one bank file share their moment."""
        Item, EV = BankFileItem.__table__.c, AuditEvent.__table__.c
        in_file = (select(func.min(EV.seq)).select_from(BankFileItem.__table__.join(AuditEvent.__table__,
                                                                                    EV.ref == Item.audit_ref))
                   .where(Item.payment_id == P.id).scalar_subquery())
        direct = select(func.min(EV.seq)).where(EV.ref == P.audit_ref).scalar_subquery()
        return case((P.batch_id.is_(None), direct), else_=in_file)

    @staticmethod
    def _fate() -> Any:
        """What happened to a payment (``PAYMENT_FATES``), as one SQL expression over ``case_payments`` (correlated
        to the query's payment row): the one place the ledger, the pages, the API, the letters and ``balances`` read
        it from. Its order matters: a withdrawn payment has a return row and was never in a bank file; a payment the
        bank confirmed is credited even with a return row (a bounce by hand found void, ``_returned``); a return
        that counts makes it returned, whether or not it was in a bank file; otherwise in a bank file it is sent and
        unanswered (``_unanswered``), outside a batch paid (``_sent``), in a batch and no bank file not sent
        (``_not_sent``)."""
        X, K, EV = PaymentReturn.__table__.c, BankConfirmation.__table__.c, AuditEvent.__table__.c
        Item = BankFileItem.__table__.c
        withdrawn = exists().where(X.payment_id == P.id, EV.ref == X.audit_ref, EV.action == WITHDRAWN)
        return case((withdrawn, "withdrawn"), (exists().where(K.payment_id == P.id), "credited"),
                    (exists().where(X.payment_id == P.id), "returned"),
                    (exists().where(Item.payment_id == P.id), "sent"), (P.batch_id.is_(None), "paid_direct"),
                    else_="not_sent")

    def _payments_with_fate(self, conn: Connection, decision_id: int) -> list[dict[str, Any]]:
        """The decision's payment rows, each with its ``fate`` (``_fate``) and ``return_reason`` (the return's
        reason when returned or withdrawn, else None); ``void_return_reason``: a bounce's reason when a credit check
        found it void (the payment is credited), else None. One query for all of them."""
        R = PaymentReturn.__table__.alias("r")  # not the table ``_fate`` correlates over
        cols = list(Payment.__table__.columns.keys())
        rows = conn.execute(select(Payment.__table__, self._fate().label("fate_"), R.c.reason.label("return_reason_"))
                            .select_from(Payment.__table__.outerjoin(R, R.c.payment_id == P.id))
                            .where(P.decision_id == decision_id).order_by(P.id)).mappings()
        out = []
        for r in rows:
            fate, why = r["fate_"], r["return_reason_"]
            out.append({**{k: r[k] for k in cols}, "fate": fate,
                        "return_reason": why if fate in ("returned", "withdrawn") else None,
                        "void_return_reason": why if fate == "credited" else None})
        return out

    def _sent_paid(self, conn: Connection, decision_id: int) -> int:
        """What the decision was actually paid, before any recovery: its payments sent (``_sent``) less the returns
        that count (``_returned``). Never the entitlement, never a payment not sent."""
        X = PaymentReturn.__table__.c
        sent = conn.execute(select(func.coalesce(func.sum(P.amount_fen), 0)).where(
            P.decision_id == decision_id, self._sent())).scalar_one()
        ret = conn.execute(select(func.coalesce(func.sum(X.amount_fen), 0)).select_from(
            PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id)).where(
                P.decision_id == decision_id, self._sent(), self._returned())).scalar_one()
        return int(sent) - int(ret)

    def _recoverable(self, conn: Connection, decision_id: int, kind: str, wanted: int | None = None) -> int:
        """THE rule for what a recovery of ``kind`` may order on a decision (docs/casework.md "Money sent"), used by
        every path — 多退少补 (a resize, the credit check), a risk flag, a misuse, a duplicate: the recoveries ordered
        on a decision, all kinds together, never exceed what it was actually paid (``_sent_paid``, before
        recoveries). ``room`` = that − every recovery already ordered, any kind. A recovery by entitlement (多退少补,
        ``overpayment``) is room − the entitlement. A misuse or duplicate whose report lowered the entitlement (a
        recomputation of kind ``RECOMPUTE_KIND[kind]``: its money was still with the bank) has the part to return
        inside that lowering already, so it too is at most room − the entitlement: what 多退少补 has ordered of it is
        not ordered again. Otherwise ``wanted`` (None: all of room). Returns fen ≥ 0."""
        C, R = Recovery.__table__.c, Recomputation.__table__.c
        ordered = conn.execute(select(func.coalesce(func.sum(C.amount_fen), 0)).where(
            C.decision_id == decision_id)).scalar_one()
        room = self._sent_paid(conn, decision_id) - int(ordered)
        want = room if wanted is None else wanted
        lowered = kind in RECOMPUTE_KIND and conn.execute(select(exists().where(
            R.decision_id == decision_id, R.kind == RECOMPUTE_KIND[kind]))).scalar_one()
        if kind == "overpayment" or lowered:
            _, ent, _ = self._entitlement(conn, self._load(conn, decision_id))
            want = min(want, room - (ent or 0))
        return max(0, min(want, room))

    def _unanswered_payments(self, conn: Connection, decision_id: int) -> list[dict[str, Any]]:
        """The decision's payments sent in a bank file and not answered yet (``_unanswered``), with their reference."""
        rows = conn.execute(select(P.id, P.seq, P.kind, P.amount_fen).where(P.decision_id == decision_id,
                                                                            self._unanswered()).order_by(P.id))
        return [{"payment_id": r.id, "amount_fen": r.amount_fen,
                 "reference": payment_reference(decision_id, r.seq, r.kind)} for r in rows]

    def _withdraw_unsent(self, conn: Connection, decision_id: int, actor: str, reason: str,
                         note: dict[str, Any]) -> list[int]:
        """Withdraw the decision's payments not sent (``_not_sent``) so they never go to the bank: a return row each
        (audit ``WITHDRAWN``, as the credit check withdraws a re-payment). A withdrawn payment of the decision's own
        (not a top-up) moves it from paid back to the state it had before that payment, as its events say
        (``projection.before_pay``; audit ``WITHDRAWN`` on the decision, checked by the projection). Returns the
        payment ids withdrawn."""
        self._checked(conn, [decision_id], "撤回未报盘的付款", "withdrawing payments not sent")
        rows = conn.execute(select(P.id, P.kind, P.seq, P.amount_fen).where(P.decision_id == decision_id,
                                                                            self._not_sent()).order_by(P.id)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        refs = [payment_reference(decision_id, r.seq, r.kind) for r in rows]
        self._insert_rows(conn, PaymentReturn, [{"payment_id": r.id, "amount_fen": r.amount_fen, "reason": reason}
                                                for r in rows], actor=actor, action=WITHDRAWN, reason=reason,
                          after={"ids": [decision_id], "payment_ids": ids, **note})
        d = self._load(conn, decision_id)
        if any(r.kind == "initial" for r in rows) and d["state"] == "paid":
            proj = projection.Projection.build(conn, [decision_id])
            back = proj.before_pay.get(decision_id)
            if back not in projection.PAYABLE:  # a decision from before migration 0003: by what it has
                X = PaymentReturn.__table__.c
                bounced = conn.execute(select(exists().where(
                    X.payment_id == P.id, P.decision_id == decision_id, P.kind == "initial", P.id.not_in(ids),
                    self._returned()))).scalar_one()
                E = PublicityEntry.__table__.c
                listed = conn.execute(select(exists().where(E.decision_id == decision_id))).scalar_one()
                back = "account_fixed" if bounced else "publicized" if listed else "approved"
            if conn.execute(update(Decision.__table__).where(D.id == decision_id, D.version == d["version"])
                            .values(state=back, version=D.version + 1)).rowcount != 1:  # pragma: no cover
                raise LedgerError("concurrent_change", f"决定 {decision_id} 已被他人修改，请重试",
                                  f"decision {decision_id} changed concurrently; retry")
            audit.append(conn, actor=actor, action=WITHDRAWN, entity="case_decisions", entity_id=decision_id,
                         reason=f"{reason}：付款 {'、'.join(refs)} 未报盘即撤回，决定回到付款前的状态",
                         before={"state": "paid"}, after={"state": back, "payment_ids": ids, **note})
        return ids

    @staticmethod
    def _risk_pending(conn: Connection, ids: Collection[int] | None = None) -> list[dict[str, Any]]:
        """``RISK_RECOVERY_PENDING`` events not closed by a ``RISK_RECOVERY_SETTLED`` (of ``ids``, or all), in order."""
        return Ledger._waits(conn, ids, (RISK_RECOVERY_PENDING, RISK_RECOVERY_SETTLED))

    @staticmethod
    def _recovery_pending(conn: Connection, ids: Collection[int] | None = None) -> list[dict[str, Any]]:
        """``RECOVERY_PENDING`` events (resize, misuse, duplicate) not closed by a ``RECOVERY_SETTLED``, in order."""
        return Ledger._waits(conn, ids, (RECOVERY_PENDING, RECOVERY_SETTLED))

    @staticmethod
    def _waits(conn: Connection, ids: Collection[int] | None, pair: tuple[str, str]) -> list[dict[str, Any]]:
        """Events of ``pair[0]`` (a recovery waiting for the bank) not closed by one of ``pair[1]`` naming it
        (``pending_seq``), of decisions ``ids`` (or all), in order."""
        EV = AuditEvent.__table__.c
        cond = [EV.entity == "case_decisions", EV.action.in_(pair)]
        if ids is not None:
            cond.append(EV.entity_id.in_([str(i) for i in sorted(ids)]))
        pending: dict[int, dict[str, Any]] = {}
        for seq, eid, action, actor, after in conn.execute(select(EV.seq, EV.entity_id, EV.action, EV.actor, EV.after)
                                                           .where(*cond).order_by(EV.seq)):
            a = json.loads(after or "null") or {}
            if action == pair[0]:
                pending[seq] = {"seq": seq, "decision_id": int(eid), "confirmed_by": actor, **a}
            else:
                pending.pop(int(a.get("pending_seq", 0)), None)
        return list(pending.values())

    def _settle_risk_recoveries(self, conn: Connection, ids: Collection[int], actor: str,
                                whys: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Close the recoveries confirmed risk flags left waiting (``RISK_RECOVERY_PENDING``) on decisions of ``ids``
        whose payments now all have the bank's answer: the recovery is computed then from what was actually paid
        (``_recoverable``) — nothing when the bank sent the money back — and ordered (``_order_recovery``).
        Called where the bank's answer is recorded (``apply_bank_return``, ``record_bounce``). Returns what it did."""
        out = []
        waits = [w for w in self._risk_pending(conn, ids) if not self._unanswered_payments(conn, w["decision_id"])]
        # one check for all of them
        self._checked(conn, {w["decision_id"] for w in waits}, "多退少补与追回", "settlement and recovery")
        for w in waits:
            did = w["decision_id"]
            flag = w.get("flag_id")
            out.append(self._settle_wait(
                conn, w, actor, whys, kind=w.get("kind") or "risk_flag", key={"flag_id": flag},
                due=self._recoverable(conn, did, "risk_flag", w.get("amount_fen") or None), label=f"风险疑点 {flag}",
                settled_action=RISK_RECOVERY_SETTLED,
                order_reason=f"风险疑点 {flag} 经稽核 {w['confirmed_by']} 核实（{w.get('label', '')}，"
                             f"{w.get('citation', '')}），银行回盘确认入账后按实际发放金额追回：{w.get('reason', '')}"))
        return out

    def _settle_wait(self, conn: Connection, w: Mapping[str, Any], actor: str, whys: list[dict[str, Any]] | None, *,
                     kind: str, key: dict[str, Any], due: int, label: str, settled_action: str, order_reason: str,
                     seq: int | None = None) -> dict[str, Any]:
        """One waiting recovery (``w``, its pending event) closed now that the bank has answered: ``due`` ordered
        (``_order_recovery``), or nothing and why (``_why_nothing``, added to ``whys``); the settled event names the
        wait it closes. ``key``: what the wait is of (a flag, or a recovery kind). Returns what was done."""
        did = w["decision_id"]
        rid = self._order_recovery(conn, did, kind, due, actor, order_reason, seq=seq) if due > 0 else None
        due = due if rid is not None else 0
        why, why_zh, why_en = self._why_nothing(conn, did, kind, w) if rid is None else (None, "", "")
        audit.append(conn, actor=actor, action=settled_action, entity="case_decisions", entity_id=did,
                     reason=(f"{label}：银行已回盘，下达追回 {format_yuan(due)}（追回单 {rid}）" if rid else
                             f"{label}：银行已回盘，无须追回（{why_zh}）"),
                     after={**key, "pending_seq": w["seq"], "recovery_id": rid, "amount_fen": due, "why": why})
        if why is not None and whys is not None:
            whys.append({"decision_id": did, **key, "why": why, "zh": why_zh, "en": why_en})
        return {"decision_id": did, **key, "recovery_id": rid, "amount_fen": due}

    def _reopen_risk_recoveries(self, conn: Connection, decision_id: int, actor: str,
                                which: Sequence[str] = (RISK_RECOVERY_PENDING, RECOVERY_PENDING)) -> list[dict[str, Any]]:
        """A bounce that closed a waiting recovery (a risk flag's, or a resize's, misuse's or duplicate's) with nothing
        to recover was found credited after all (``check_credit_after_bounce``): the wait is opened again (a new
        pending event naming the one it replaces) and settled on what is now paid. ``which``: the kinds of wait
        (``RISK_RECOVERY_PENDING``, ``RECOVERY_PENDING``) to reopen."""
        EV = AuditEvent.__table__.c
        out = []
        for pair, settle in (((RISK_RECOVERY_PENDING, RISK_RECOVERY_SETTLED), self._settle_risk_recoveries),
                             ((RECOVERY_PENDING, RECOVERY_SETTLED), self._settle_recoveries)):
            if pair[0] not in which:
                continue
            rows = conn.execute(select(EV.seq, EV.action, EV.after).where(
                EV.entity == "case_decisions", EV.entity_id == str(decision_id),
                EV.action.in_(pair)).order_by(EV.seq)).all()
            waits = {seq: json.loads(after) for seq, action, after in rows if action == pair[0]}
            done = [json.loads(after) for _, action, after in rows if action == pair[1]]
            reopened = {w.get("reopens") for w in waits.values()}
            again = [(a["pending_seq"], waits[a["pending_seq"]]) for a in done
                     if a.get("recovery_id") is None and a.get("pending_seq") in waits
                     and a["pending_seq"] not in reopened]
            for seq, w in again:
                what = f"风险疑点 {w.get('flag_id')}" if pair[0] == RISK_RECOVERY_PENDING else \
                    action_zh(f"recover_{w.get('kind')}")
                audit.append(conn, actor=actor, action=pair[0], entity="case_decisions", entity_id=decision_id,
                             reason=f"{what}：登记退回的付款经复核核实已入账，重新确定追回", after={**w, "reopens": seq})
            if again:
                out += settle(conn, {decision_id}, actor)
        return out

    def _recover_sent(self, conn: Connection, decision_id: int, kind: str, actor: str, reason: str, *,
                      wanted: int | None = None, seq: int | None = None) -> tuple[int | None, int, list[str]]:
        """Order a recovery of ``kind`` for money actually paid, never for money not sent or whose fate is unknown
        (docs/casework.md "Money sent"). The caller has withdrawn what it must of the payments not sent
        (``_withdraw_unsent``). With ``seq`` given, a recovery already ordered as (kind, seq) is the answer
        (idempotent). Nothing actually paid to recover, even if every payment with the bank were credited: nothing.
        A payment sent and unanswered: the recovery waits (audit ``RECOVERY_PENDING``, once per kind), and
        ``_settle_recoveries`` orders it when the bank has answered. Returns (recovery id, fen, references waited on)."""
        self._checked(conn, [decision_id], "多退少补与追回", "settlement and recovery")
        C = Recovery.__table__.c
        if seq is not None:
            done = conn.execute(select(C.id, C.amount_fen).where(C.decision_id == decision_id, C.kind == kind,
                                                                  C.seq == seq)).first()
            if done is not None:
                return done[0], done[1], []
        due = self._recoverable(conn, decision_id, kind, wanted)
        if due <= 0:
            return None, 0, []
        waiting = self._unanswered_payments(conn, decision_id)
        if waiting:
            refs = [w["reference"] for w in waiting]
            if not any(w.get("kind") == kind for w in self._recovery_pending(conn, {decision_id})):
                audit.append(conn, actor=actor, action=RECOVERY_PENDING, entity="case_decisions", entity_id=decision_id,
                             reason=f"{reason}；付款 {'、'.join(refs)} 已报盘、银行尚未回盘：追回待回盘后按实际发放金额确定",
                             after={"kind": kind, "amount_fen": wanted, "recovery_seq": seq, "reason": reason,
                                    "payment_ids": [w["payment_id"] for w in waiting]})
            return None, 0, refs
        return self._order_recovery(conn, decision_id, kind, due, actor, reason, seq=seq), due, []

    def _settle_recoveries(self, conn: Connection, ids: Collection[int], actor: str,
                           whys: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Close the recoveries a resize, a misuse or a duplicate left waiting (``RECOVERY_PENDING``) on decisions of
        ``ids`` whose payments now all have the bank's answer: computed then on what was actually paid
        (``_recoverable``) — nothing when the bank sent the money back — and ordered. Called where the bank's answer
        is recorded, next to ``_settle_risk_recoveries``. Returns what it did."""
        out = []
        waits = [w for w in self._recovery_pending(conn, ids) if not self._unanswered_payments(conn, w["decision_id"])]
        # one check for all of them
        self._checked(conn, {w["decision_id"] for w in waits}, "多退少补与追回", "settlement and recovery")
        for w in waits:
            did, kind = w["decision_id"], w["kind"]
            out.append(self._settle_wait(
                conn, w, actor, whys, kind=kind, key={"kind": kind},
                due=self._recoverable(conn, did, kind, w.get("amount_fen")),
                label=action_zh(f"recover_{kind}"), settled_action=RECOVERY_SETTLED, seq=w.get("recovery_seq"),
                order_reason=f"{w.get('reason', '')}（银行回盘确认入账后按实际发放金额追回，{w['confirmed_by']} 下达）"))
        return out

    # the codes of ``_why_nothing`` as a short Chinese phrase, for a screen that has only the code (the audit event's)
    WHY_NOTHING_ZH = {"returned": "银行退回，款项未入账", "recovered": "已下达的追回已达实际发放金额",
                      "entitlement": "现核定应享受金额不低于实际发放金额", "covered": "应追回部分已由已下达的追回覆盖"}

    def _why_nothing(self, conn: Connection, decision_id: int, kind: str,
                     wait: Mapping[str, Any]) -> tuple[str, str, str]:
        """Why a recovery that waited for the bank orders nothing now (``_recoverable`` gave 0): (code, 中文, English).
        ``returned``: a payment waited on came back and nothing of the decision is actually paid; ``recovered``:
        the recoveries already ordered reach what was actually paid; ``entitlement``: the entitlement (raised again,
        or lowered less) is not below what was paid less what is already ordered; ``covered``: what is left to
        recover of the part wanted was ordered already."""
        X, C = PaymentReturn.__table__.c, Recovery.__table__.c
        paid = self._sent_paid(conn, decision_id)
        pids = list(wait.get("payment_ids") or [])
        came_back = bool(pids) and conn.execute(select(func.count()).where(
            X.payment_id.in_(pids), exists().where(P.id == X.payment_id), self._returned())).scalar_one() > 0
        if came_back and paid <= 0:
            return ("returned", "银行退回，款项未入账，没有实际发放的金额可追回",
                    "the bank sent the money back: nothing was actually paid to recover")
        ordered = int(conn.execute(select(func.coalesce(func.sum(C.amount_fen), 0)).where(
            C.decision_id == decision_id)).scalar_one())
        if ordered >= paid:
            return ("recovered", f"已下达的追回 {format_yuan(ordered)} 已达实际发放金额 {format_yuan(paid)}，已另行追回",
                    f"recoveries already ordered ({ordered} fen) reach what was actually paid ({paid} fen)")
        _, ent, _ = self._entitlement(conn, self._load(conn, decision_id))
        if paid - ordered <= (ent or 0):
            return ("entitlement", f"现核定应享受金额 {format_yuan(ent or 0)} 不低于实际发放金额 {format_yuan(paid)}"
                                   + (f"（已下达追回 {format_yuan(ordered)}）" if ordered else "") + "，无多发部分",
                    f"the entitlement now ({ent or 0} fen) is not below what was actually paid ({paid} fen"
                    + (f", {ordered} fen ordered already" if ordered else "") + "): nothing paid too much")
        return ("covered", f"应追回部分已由已下达的追回 {format_yuan(ordered)} 覆盖",
                f"the part to recover is covered by recoveries already ordered ({ordered} fen)")

    @staticmethod
    def _due_sql() -> Any:
        """A decision's 多退少补 top-up due: entitlement − (paid − returned − overpayment recovered)."""
        X, C = PaymentReturn.__table__.c, Recovery.__table__.c
        paid = select(func.coalesce(func.sum(P.amount_fen), 0)).where(P.decision_id == D.id).scalar_subquery()
        returned = (select(func.coalesce(func.sum(X.amount_fen), 0))
                    .select_from(PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id))
                    .where(P.decision_id == D.id, Ledger._returned()).scalar_subquery())
        recovered = select(func.coalesce(func.sum(C.amount_fen), 0)).where(
            C.decision_id == D.id, C.kind == "overpayment").scalar_subquery()
        return Ledger._amount_sql() - paid + returned + recovered

    def _supplement_due(self, program: str, year: int, payer: str | None = None) -> Any:
        """Paid decisions of (program, year) owed a top-up, with an account and no account change pending; with
        ``payer``, only those the payer neither reviewed nor resized (the one who pays is not one who decided)."""
        R = Recomputation.__table__.c
        # only a recomputed entitlement can exceed what was paid (cheap test first: most paid decisions have none)
        cond = and_(D.program == program, D.year == year, D.state == "paid", D.account_no.is_not(None),
                    exists().where(R.decision_id == D.id), ~self._change_pending(), self._due_sql() > 0,
                    ~self._top_up_bounced(), ~self._risk_flagged(), ~self._bad_name(), ~self._bad_account())
        if payer is not None:
            EV = AuditEvent.__table__.c
            resized = exists().where(R.decision_id == D.id, EV.ref == R.audit_ref, EV.actor == payer)
            cond = and_(cond, ~self._reviewed_by(payer), ~resized)
        return cond

    def top_ups_due(self, decision_ids: Collection[int]) -> dict[int, int]:
        """Of ``decision_ids``, the paid decisions owed a 多退少补 top-up (``_due_sql`` > 0), with the fen due: what
        ``run_payment_batch`` pays them next (selected or not), unless something holds it (a risk flag, an account
        change, a bounced top-up, or the payer decided it). Used to say so when a selected run does not pay one."""
        if not decision_ids:
            return {}
        R = Recomputation.__table__.c
        with self._read() as conn:
            return {int(did): int(n) for did, n in conn.execute(select(D.id, self._due_sql()).where(
                D.id.in_(sorted(decision_ids)), D.state == "paid", exists().where(R.decision_id == D.id),
                self._due_sql() > 0))}

    def amounts_due(self, decision_ids: Collection[int]) -> dict[int, int]:
        """Of ``decision_ids``, the fen a payment step would pay each (``_due_sql``, the amount ``run_payment_batch``
        and ``pay_decision`` write, ≥ 0): the entitlement for a first payment, the entitlement less a top-up still paid
        for a re-payment after a bounce, and for a paid decision its 多退少补 top-up due (0: nothing due). Whether the
        step may pay it now (state, account, 公示, holds) is the step's own check. For ``case pay``'s preview."""
        if not decision_ids:
            return {}
        with self._read() as conn:
            return {int(did): max(0, int(n or 0)) for did, n in conn.execute(
                select(D.id, self._due_sql()).where(D.id.in_(sorted(decision_ids))))}

    def _pay_supplements(self, batch_key: str, program: str, year: int, actor: str, today: date,
                         batch_id: int | None, decision_ids: Sequence[int] | None,
                         refused: dict[int, audit.Issue], chunk_size: int,
                         tampered: set[int] | None = None) -> tuple[int, int, int | None]:
        """Pay the top-ups due (``_supplement_due``) in this batch, by this 出纳, checked as an initial payment is:
        the decision's row, the rows it rests on and its earlier payments re-hashed against the chain. Returns
        (payments, fen, batch id)."""
        paid = amount = 0
        cols = HASHED["case_payments"]
        schema = {c: audit._dtype(Payment.__table__.c[c]) for c in cols}
        seq_sql = select(func.count()).where(P.decision_id == D.id, P.kind == "supplement").scalar_subquery()
        with self._read() as conn:
            todo = list(conn.execute(select(D.id).where(self._supplement_due(program, year, actor))
                                     .order_by(D.id)).scalars())
        if decision_ids is not None:
            chosen = set(decision_ids)
            todo = [i for i in todo if i in chosen]
        for off in range(0, len(todo), chunk_size):
            ids = todo[off:off + chunk_size]
            with self._tx() as conn:
                due = and_(D.id.in_(ids), self._supplement_due(program, year, actor))
                now = set(conn.execute(select(D.id).where(due)).scalars())
                if not now:
                    continue
                proj = projection.Projection.build(conn, now, check_rows=True)
                self._check_events(proj)
                bad = proj.refused(conn, now)
                if tampered is not None:
                    tampered.update(bad)
                for did, issue in self._alarms(conn, now).items():
                    bad.setdefault(did, issue)
                refused.update(bad)
                ok = sorted(now - set(bad))
                if not ok:
                    continue
                if batch_id is None:
                    batch_id = self._batch(conn, batch_key, program, year, actor)
                ref = audit.new_ref()
                src = select(literal(batch_id), D.id, literal("supplement"), seq_sql, self._due_sql(),
                             func.coalesce(D.payee_channel, D.payment_channel), D.account_no, literal(ref)
                             ).where(D.id.in_(ok))
                rows = conn.execute(self._insert(Payment.__table__).from_select(
                    ["batch_id", "decision_id", "kind", "seq", "amount_fen", "channel", "account_no", "audit_ref"], src,
                ).on_conflict_do_nothing().returning(*[P[c] for c in cols])).all()
                if rows:
                    pre = audit.frame_hash(pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row").sort("id"))
                    audit.append(conn, actor=actor, action="pay_supplement", entity="case_payments", ref=ref,
                                 precomputed=pre, reason="多退少补：补发",
                                 after={"batch": batch_key, "as_of": today.isoformat(),
                                        "ids": sorted(r[2] for r in rows)})
                    paid += pre[0]
                    amount += pre[2]
        return paid, amount, batch_id

    def _batch(self, conn: Connection, batch_key: str, program: str, year: int, actor: str) -> int:
        check_batch_key(batch_key)  # every path that pays under a batch key comes here (the tx rolls back)
        B = PaymentBatch.__table__.c
        self._insert_rows(conn, PaymentBatch, [{"batch_key": batch_key, "program": program, "year": year}],
                          actor=actor, action="payment_batch")
        bid, bprog, byear = conn.execute(select(B.id, B.program, B.year).where(B.batch_key == batch_key)).one()
        if (bprog, byear) != (program, year):
            raise LedgerError("batch_mismatch", f"批次 {batch_key} 属于 {bprog} {byear} 年度",
                              f"batch {batch_key} belongs to {bprog} {byear}")
        return bid

    def risk_holds(self, decision_ids: Collection[int]) -> dict[int, audit.Issue]:
        """Of ``decision_ids``, those a risk flag not cleared holds (``_risk_flagged``), with the reason."""
        with self._read() as conn:
            return self._risk_holds(conn, decision_ids)

    def pay_decision(self, decision_id: int, actor: str, *, amount_fen: int | None = None,
                     today: date | None = None) -> int:
        """Pay one decision now (same rules as a batch); returns the payment id."""
        actor = self._need_actor(actor, "pay")
        today = _today(today)
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            check("pay", d["state"], decision_id)
            V = Review.__table__.c
            stages = list(conn.execute(select(V.stage).where(V.decision_id == decision_id, V.reviewer == actor)
                                       .order_by(V.stage)).scalars())
            if stages:
                done = "、".join("初审" if s == 1 else "复审" for s in stages)
                raise LedgerError("payer_reviewed", f"决定 {decision_id} 的{done}由 {actor} 办理，发放须由另一名出纳进行",
                                  f"{actor} reviewed decision {decision_id}; another payer must pay it")
            flag = self._risk_holds(conn, {decision_id}).get(decision_id)
            if flag is not None:  # named before the generic refusal below (``_payable`` leaves it out too)
                raise LedgerError("risk_hold", f"决定 {decision_id} 暂停发放：{flag.zh}",
                                  f"decision {decision_id} is not paid: {flag.en}")
            if not conn.execute(select(exists().where(D.id == decision_id, self._payable(
                    d["program"], d["year"], today, bank_file=False)))).scalar_one():
                code = conn.execute(select(self._unpaid_sql(d["program"], d["year"], today, None))
                                    .where(D.id == decision_id)).scalar_one()
                zh, en = UNPAID_REASONS.get(code, UNPAID_REASONS["refused"])
                raise LedgerError("not_payable", f"决定 {decision_id} 暂不能发放：{zh}",
                                  f"decision {decision_id} is not payable yet: {en}")
            # the entitlement, less a top-up still paid when this re-pays a bounce (as a batch pays it)
            ent = int(conn.execute(select(self._due_sql()).where(D.id == decision_id)).scalar_one())
            if (none := self._nothing_due(conn, {decision_id}).get(decision_id)) is not None:
                raise LedgerError("nothing_due", none.zh, none.en)
            if amount_fen is not None and amount_fen != ent:
                raise LedgerError("amount_mismatch", f"发放金额 {format_yuan(amount_fen)}与决定应发金额 {format_yuan(ent)}不符",
                                  f"amount {fen_to_yuan(amount_fen)} yuan does not match the {fen_to_yuan(ent)} yuan "
                                  "due on the decision")
            self._signed_chain(conn)
            self._verified(conn, d)
            alarm = self._alarms(conn, {decision_id}).get(decision_id)
            if alarm is not None:
                raise LedgerError("credited_after_bounce", f"决定 {decision_id} 暂停发放：{alarm.zh}",
                                  f"decision {decision_id} is not paid: {alarm.en}")
            seq = conn.execute(select(func.count()).where(P.decision_id == decision_id, P.kind == "initial")).scalar_one()
            ref, n = self._insert_rows(conn, Payment, [{
                "batch_id": None, "decision_id": decision_id, "kind": "initial", "seq": seq, "amount_fen": ent,
                "channel": d["payee_channel"] or d["payment_channel"], "account_no": d["account_no"]}], actor=actor,
                action="pay", after={"as_of": today.isoformat(), "ids": [decision_id]})
            if n != 1:  # pragma: no cover - guarded by the state check under the write lock
                raise LedgerError("already_paid", f"决定 {decision_id} 已发放", f"decision {decision_id} already paid")
            self._move(conn, d, "pay", "paid", actor, "发放")
            return conn.execute(select(P.id).where(P.audit_ref == ref)).scalar_one()

    def record_bounce(self, payment_id: int, actor: str, *, reason: str) -> None:
        """The bank returned a payment (退回). The payment stays; a return row reverses it."""
        actor = self._need_actor(actor, "bounce")
        with self._tx() as conn:
            self._bounce(conn, payment_id, actor, reason)
            did = conn.execute(select(P.decision_id).where(P.id == payment_id)).scalar_one()
            self._settle_risk_recoveries(conn, {did}, actor)  # a recovery waiting for this answer: nothing to recover
            self._settle_recoveries(conn, {did}, actor)

    def _bounce(self, conn: Connection, payment_id: int, actor: str, reason: str) -> None:
        p = conn.execute(select(Payment.__table__).where(P.id == payment_id)).mappings().first()
        if p is None:
            raise _err_not_found("支付记录", "payment", payment_id)
        # what a bounce reads (the payment's amount, the bank's confirmation) is checked against the events as
        # ``case pay`` and ``bank-file`` check it: a confirmation deleted by SQL let a credited payment be bounced and
        # paid again (outside casework audit D1, session 42; docs/decisions.md §127)
        self._checked(conn, {p["decision_id"]}, "登记退回", "bounce")
        d = self._load(conn, p["decision_id"])
        C = BankConfirmation.__table__.c
        confirmed = conn.execute(select(C.bank_date, C.return_sha256).where(C.payment_id == payment_id)).first()
        if confirmed is not None:  # the money is with the payee: a bounce would pay it a second time
            raise LedgerError("bank_confirmed",
                              f"支付 {payment_id}（决定 {d['id']}）已由银行回盘确认入账（{confirmed[0]}），不能登记退回；"
                              "如款项确被退回，须以银行的退票凭证核实后另行处理",
                              f"payment {payment_id} (decision {d['id']}) was confirmed credited by the bank's return "
                              f"({confirmed[0]}); it cannot be recorded as bounced")
        EV = AuditEvent.__table__.c
        for (after,) in conn.execute(select(EV.after).where(EV.entity == "case_decisions", EV.entity_id == str(d["id"]),
                                                             EV.action == CREDIT_CONFIRMED)):
            a = json.loads(after)
            if a.get("recovery_id") and payment_id in (a.get("overpaid") or ()):  # counted paid twice, recovery ordered
                raise LedgerError("recovery_instead",
                                  f"支付 {payment_id}（决定 {d['id']}）经核实为重复支付，已开追回单 {a.get('recovery_id')}；"
                                  f"款项退回请登记追回到账（wengang case recovery-received {a.get('recovery_id')}）",
                                  f"payment {payment_id} (decision {d['id']}) was checked as paid twice and recovery "
                                  f"{a.get('recovery_id')} ordered; record the money back as that recovery received")
        if p["kind"] == "initial":
            check("bounce", d["state"], d["id"])
        _, n = self._insert_rows(conn, PaymentReturn, [{"payment_id": payment_id, "amount_fen": p["amount_fen"],
                                                        "reason": reason}], actor=actor, action="bounce", reason=reason)
        if n != 1:
            raise LedgerError("already_bounced", f"支付 {payment_id} 已登记退回", f"payment {payment_id} already bounced")
        if p["kind"] == "initial":
            self._move(conn, d, "bounce", "bounced", actor, reason)
        else:  # the decision stays paid: say on it why its top-up is not paid again until the account is changed
            audit.append(conn, actor=actor, action=TOP_UP_BOUNCED, entity="case_decisions", entity_id=d["id"],
                         reason=f"补发退回：{reason}；更正账户（case fix-account / set-account，须另一人复核）后再补发",
                         after={"payment_id": payment_id, "reference": payment_reference(d["id"], p["seq"], p["kind"]),
                                "amount_fen": p["amount_fen"], "awaiting_account": True})
        # the amount of the payment that bounced (a top-up's, not the entitlement the first payment had credited)
        self._queue_notice(conn, d, "bounced", ("sms",), actor, key_suffix=f"{payment_id}", amount_fen=p["amount_fen"])

    # ------------------------------------ bank files and the bank's return (casework/outputs.py)
    def set_payee_banks(self, banks: Mapping[str, str], actor: str, *, reason: str = "登记收款账户开户行行号") -> int:
        """Record the payee bank (12-digit 支付系统行号) of accounts, for the bank file. Returns how many changed."""
        from wengang.documents.masking import mask_account_for_display

        actor = self._need_actor(actor, "account")
        clean: dict[str, str] = {}
        for acc, code in banks.items():
            a, c = account_digits(acc), account_digits(str(code))
            shown = mask_account_for_display(a)  # a refusal names the account as every list does: masked
            if not _ACCOUNT.fullmatch(a):
                raise LedgerError("bad_account", f"账号“{shown}”应为6至32位数字", f"account {shown} must be 6 to 32 digits")
            if not re.fullmatch(r"[0-9]{12}", c):
                raise LedgerError("bad_bank_code", f"账号 {shown} 的开户行行号“{c}”应为12位数字（支付系统行号）",
                                  f"bank code {c!r} of account {shown} must be 12 digits (CNAPS)")
            clean[a] = c
        K = PayeeBank.__table__
        changed = 0
        with self._tx() as conn:
            accounts = sorted(clean)
            old: dict[str, str] = {}
            for i in range(0, len(accounts), 5000):
                old.update(conn.execute(select(K.c.account_no, K.c.bank_code)
                                        .where(K.c.account_no.in_(accounts[i:i + 5000]))).all())
            # a row that already holds the code is left alone only if its events say so too: one edited behind
            # the ledger is set again, with an event (otherwise it would stay at odds with the audit trail)
            same = [a for a in accounts if old.get(a) == clean[a]]
            recorded: dict[str, str] = {}
            EV = AuditEvent.__table__.c
            for i in range(0, len(same), 5000):
                for acc, after in conn.execute(select(EV.entity_id, EV.after).where(
                        EV.entity == "case_payee_banks", EV.action == "set_payee_bank",
                        EV.entity_id.in_(same[i:i + 5000])).order_by(EV.seq)):
                    recorded[acc] = json.loads(after)["bank_code"]
            for a in accounts:
                if old.get(a) == clean[a] and recorded.get(a) == clean[a]:
                    continue
                if a in old:
                    conn.execute(update(K).where(K.c.account_no == a).values(bank_code=clean[a]))
                else:
                    conn.execute(K.insert().values(account_no=a, bank_code=clean[a]))
                audit.append(conn, actor=actor, action="set_payee_bank", entity="case_payee_banks", entity_id=a,
                             reason=reason, before={"bank_code": old.get(a)}, after={"bank_code": clean[a]})
                changed += 1
        return changed

    def _batch_row(self, conn: Connection, batch_key: str) -> dict[str, Any]:
        B = PaymentBatch.__table__.c
        row = conn.execute(select(PaymentBatch.__table__).where(B.batch_key == batch_key)).mappings().first()
        if row is None:
            raise _err_not_found("发放批次", "payment batch", batch_key)
        return dict(row)

    @staticmethod
    def _unsent(batch_id: int) -> Any:
        """Payments of a batch not yet in a bank file (and not returned meanwhile)."""
        Item, X = BankFileItem.__table__.c, PaymentReturn.__table__.c
        return and_(P.batch_id == batch_id, ~exists().where(Item.payment_id == P.id), ~exists().where(X.payment_id == P.id))

    def _payment_rows(self, conn: Connection, cond: Any) -> list[dict[str, Any]]:
        """Payments with the payee's name, the bank file's reference and the account's bank code (None: unknown).

        Only what the audit chain vouches for goes to the bank (``_file_verified``); otherwise ``LedgerError``."""
        K = PayeeBank.__table__.c
        rows = [dict(r) for r in conn.execute(
            select(P.id, P.decision_id, P.seq, P.kind, P.amount_fen, P.channel, P.account_no, P.audit_ref, D.unit_id,
                   D.unit_name, D.region_code)
            .select_from(Payment.__table__.join(Decision.__table__, P.decision_id == D.id)).where(cond)
            .order_by(P.id)).mappings()]
        if not rows:
            return rows
        self._signed_chain(conn)
        proj = self._file_verified(conn, rows)
        accounts = sorted({account_digits(r["account_no"]) for r in rows})
        banks: dict[str, str] = {}
        for i in range(0, len(accounts), 5000):
            banks.update(conn.execute(select(K.account_no, K.bank_code)
                                      .where(K.account_no.in_(accounts[i:i + 5000]))).all())
        self._banks_verified(conn, accounts, proj)
        for r in rows:
            r["reference"] = payment_reference(r["decision_id"], r["seq"], r["kind"])
            r["bank_code"] = banks.get(account_digits(r["account_no"]))
        return rows

    def _file_verified(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> projection.Projection:
        """Refuse a bank file (whole) unless every payment going into it, and its decision, is what the audit chain
        says, as ``case pay`` checks before paying: the chain intact; every money row ever recorded (payments,
        returns, recoveries, earlier bank files and their items, confirmations) re-hashed against its event, so a
        payment whose bank-file item was deleted is not sent again; each payment created by an event and equal to
        what the events had its decision owe (amount, account, channel); each decision's row as its events say."""
        dids = sorted({r["decision_id"] for r in rows})
        proj = projection.Projection.build(conn, dids, check_rows=True)
        if not proj.chain.ok:
            first = proj.chain.issues[0]
            raise LedgerError("audit_broken", f"审计链或已记录的支付、报盘记录校验失败，报盘文件未生成（请运行 wengang audit "
                              f"verify）：{first.zh}",
                              f"the audit chain or the recorded payments and bank files fail verification; no bank "
                              f"file written (run wengang audit verify): {first.en}")
        known = proj.refs.get("case_payments", set())
        bad: list[tuple[dict[str, Any], audit.Issue]] = [
            (r, audit.Issue("unrecorded", f"支付 {r['id']} 没有创建它的审计事件（在台账之外写入）",
                            f"payment {r['id']} was created by no audit event (written behind the ledger)"))
            for r in rows if r["audit_ref"] not in known]
        refused = proj.refused(conn, dids)
        # the finding that names the payment itself (its amount, account or channel against its decision) first
        own = {r["id"]: i for r in rows for i in proj.issues
               if i.kind == "payment" and f"case_payments id {r['id']}（" in i.zh}
        bad += sorted(((r, own.get(r["id"], refused[r["decision_id"]])) for r in rows if r["decision_id"] in refused),
                      key=lambda b: b[0]["id"] not in own)
        if bad:
            shown = bad[:10]
            more = " …" if len(bad) > 10 else ""
            raise LedgerError(
                "tampered",
                f"{len(bad)} 笔付款或其决定与审计事件不符，整个报盘文件未生成（请运行 wengang audit verify）："
                + "；".join(f"支付 {r['id']}（决定 {r['decision_id']}）：{i.zh}" for r, i in shown) + more,
                f"{len(bad)} payments or their decisions differ from the audit events; no bank file written "
                "(run wengang audit verify): "
                + "; ".join(f"payment {r['id']} (decision {r['decision_id']}): {i.en}" for r, i in shown) + more)
        return proj

    def _banks_verified(self, conn: Connection, accounts: Sequence[str],
                        proj: projection.Projection | None = None) -> None:
        """No bank file while a bank code it would use differs from its ``set_payee_bank`` events: an edited code
        could send the money to another bank. The whole file is refused (fail closed) and the accounts named."""
        if not accounts:
            return
        if proj is None:
            proj = projection.Projection.build(conn, ())  # follows no decision: the chain and the bank events only
        self._check_events(proj)
        diffs = proj.bank_differences(conn, accounts)
        if diffs:
            shown_zh = "；".join(d.issue().zh for d in diffs[:10]) + (" …" if len(diffs) > 10 else "")
            shown_en = "; ".join(d.issue().en for d in diffs[:10]) + (" ..." if len(diffs) > 10 else "")
            raise LedgerError("tampered", f"{len(diffs)} 个收款账户的开户行行号与审计事件不符，报盘文件未生成"
                              f"（请运行 wengang audit verify）：{shown_zh}",
                              f"{len(diffs)} payee bank codes differ from their audit events; no bank file written "
                              f"(run wengang audit verify): {shown_en}")

    # why a payment of a batch is held back from its bank file (``_to_send``), most important first
    HOLD_CODES = ("paid_after_bounce", "risk_flag")

    def _to_send(self, conn: Connection, batch_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The batch's unsent payments (``_payment_rows``): those to send now, and those held back.

        A payment is held while its decision has a credit the bank reported after the payment was recorded as
        bounced that no 复核 has checked (``_open_alarms``, code ``paid_after_bounce``: a re-payment sent meanwhile
        could reach the payee a second time), or a risk flag the 稽核 has not cleared (``_risk_holds``, code
        ``risk_flag``: imported after the payment was created). Fail closed, every reason is kept: ``held_reasons``
        lists them all (``{code, zh, en}``, most important first, each open alarm on its own), and ``held_code``,
        ``held_zh``, ``held_en`` repeat the first, so lifting one hold never releases a payment silently."""
        rows = self._payment_rows(conn, self._unsent(batch_id))
        dids = {r["decision_id"] for r in rows}
        risk = self._risk_holds(conn, dids)
        alarms = self._open_alarms(conn, dids)
        reasons: dict[int, list[dict[str, str]]] = {}
        for did in dids:
            found = [("paid_after_bounce", i) for i in alarms.get(did, ())]
            found += [("risk_flag", risk[did])] if did in risk else []
            if found:
                reasons[did] = [{"code": code, "zh": i.zh, "en": i.en} for code, i in found]
        for r in rows:
            why = reasons.get(r["decision_id"])
            if why:
                r["held_reasons"] = [dict(x) for x in why]
                r["held_code"], r["held_zh"], r["held_en"] = why[0]["code"], why[0]["zh"], why[0]["en"]
        return [r for r in rows if "held_reasons" not in r], [r for r in rows if "held_reasons" in r]

    @staticmethod
    def _batch_counts(conn: Connection, batch_id: int, send: Sequence[dict[str, Any]],
                      held: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The batch's payments, each counted once, read with ``send`` and ``held`` (``_to_send``) in the same
        transaction: ``payments = in_files + withdrawn + held + pending``. ``in_files``: in a bank file (sent);
        ``withdrawn``: not in a bank file and returned (withdrawn or sent back before sending, never to go);
        ``held``: held back, with their reasons; ``pending``: to send now."""
        Item, X = BankFileItem.__table__.c, PaymentReturn.__table__.c
        in_file = exists().where(Item.payment_id == P.id)
        withdrawn = and_(~in_file, exists().where(X.payment_id == P.id))
        n, files, gone = conn.execute(select(
            func.count(), func.coalesce(func.sum(case((in_file, 1), else_=0)), 0),
            func.coalesce(func.sum(case((withdrawn, 1), else_=0)), 0)).where(P.batch_id == batch_id)).one()
        c = {"payments": int(n), "in_files": int(files), "withdrawn": int(gone), "held": len(held),
             "pending": len(send)}
        c["reconciles"] = c["payments"] == c["in_files"] + c["withdrawn"] + c["held"] + c["pending"]
        return c

    def bank_file_plan(self, batch_key: str, *, counts: bool = False) -> dict[str, Any]:
        """A batch, the bank files written for it, its payments not yet in a file (``_payment_rows``) and, apart,
        those held back with every reason (``held``, see ``_to_send``); with ``counts``, its payments counted as
        well (``counts``, see ``_batch_counts``), read in the same transaction so they agree with the lists."""
        with self._read() as conn:
            batch = self._batch_row(conn, batch_key)
            # which payments were sent is read from the bank-file items: not while an item names a payment id given
            # again after payments were deleted (outside tamper audit, session 40 F6: 「已写入报盘文件 3」)
            rep = audit.VerifyReport()
            projection.reused_payment_ids(conn, rep)
            if rep.issues:
                raise LedgerError("audit_broken", f"已记录的付款与报盘记录校验失败，报盘文件未生成（请运行 wengang audit verify）："
                                  f"{rep.issues[0].zh}", f"the recorded payments and bank files fail verification; no "
                                  f"bank file written (run wengang audit verify): {rep.issues[0].en}")
            F = BankFile.__table__.c
            files = [dict(r) for r in conn.execute(select(BankFile.__table__).where(F.batch_id == batch["id"])
                                                   .order_by(F.id)).mappings()]
            payments, held = self._to_send(conn, batch["id"])
            plan = {"batch": batch, "files": files, "payments": payments, "held": held}
            if counts:
                plan["counts"] = self._batch_counts(conn, batch["id"], payments, held)
            return plan

    def batch_counts(self, batch_key: str) -> dict[str, Any]:
        """The batch's payments counted so they reconcile (``_batch_counts``): in bank files, withdrawn or returned
        before sending, held, still to send."""
        return self.bank_file_plan(batch_key, counts=True)["counts"]

    def bank_file_payments(self, file_key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A bank file written before and its payments, to write it again byte for byte (bank codes verified)."""
        F, Item = BankFile.__table__.c, BankFileItem.__table__.c
        with self._read() as conn:
            f = conn.execute(select(BankFile.__table__).where(F.file_key == file_key)).mappings().first()
            if f is None:
                raise _err_not_found("报盘文件", "bank file", file_key)
            return dict(f), self._payment_rows(conn, P.id.in_(select(Item.payment_id).where(Item.file_id == f["id"])))

    def check_bank_file(self, file_key: str, fmt: str, sha256: str, actor: str) -> None:
        """Refuse to hand out bank file ``file_key`` (``fmt`` txt or xlsx) again unless the copy on disk, whose
        digest is ``sha256``, is the one recorded when it was written: the ``bank_file`` audit event's digest (the
        TXT's also in ``case_bank_files``, and the two must agree). A mismatch is recorded (audit action
        ``bank_file_mismatch``) and refused (``bank_file_changed``): a file edited on disk never leaves the office
        (outside audit aud4 F2: an account changed in the TXT, control total unchanged, was served)."""
        actor = self._need_actor(actor, "bank_file")
        F, EV = BankFile.__table__.c, AuditEvent.__table__.c
        with self._read() as conn:
            f = conn.execute(select(F.id, F.sha256, F.audit_ref).where(F.file_key == file_key)).first()
            if f is None:
                raise _err_not_found("报盘文件", "bank file", file_key)
            after = conn.execute(select(EV.after).where(EV.entity == "case_bank_files", EV.action == "bank_file",
                                                        EV.ref == f.audit_ref).order_by(EV.seq)).scalar()
        said = json.loads(after or "null") or {}
        want = said.get("sha256" if fmt == "txt" else "xlsx_sha256")
        why = None
        if fmt == "txt" and f.sha256 != want:
            why = ("台账记录的报盘文件 sha256 与审计事件不符（请运行 wengang audit verify）",
                   "the recorded sha256 differs from the audit event's (run wengang audit verify)")
        elif not want:
            why = ("审计链中没有该文件的 sha256，无法核对", "the audit chain holds no sha256 for this file; it cannot be checked")
        elif sha256 != want:
            why = (f"服务器上的文件 sha256 {sha256} 与生成时记入审计链的 {want} 不符：文件在生成后被改动",
                   f"the file on the server has sha256 {sha256}, not {want} as recorded when it was written: "
                   "it was changed since")
        if why is None:
            return
        noted, noted_en = "已记入审计链", "recorded in the audit chain"
        try:
            with self._tx() as conn:
                audit.append(conn, actor=actor, action="bank_file_mismatch", entity="case_bank_files", entity_id=f.id,
                             reason=f"报盘文件 {file_key}.{fmt} 与记录不符，拒绝提供：{why[0]}",
                             after={"file_key": file_key, "format": fmt, "sha256": sha256, "recorded": want})
        except LedgerError as e:  # refused all the same: the record failing must not turn into serving the file
            noted, noted_en = f"未能记入审计链：{e.zh}", f"not recorded: {e.en}"
        raise LedgerError("bank_file_changed",
                          f"报盘文件 {file_key}.{fmt} 与台账记录不符，不予提供（{noted}）：{why[0]}。请勿使用服务器上的"
                          "这份文件，并按审计链记录的 sha256 查明改动",
                          f"bank file {file_key}.{fmt} does not match the ledger's record and is not served "
                          f"({noted_en}): {why[1]}")

    def record_bank_file(self, batch_key: str, actor: str, *, file_key: str, payment_ids: Sequence[int],
                         value_date: date, payer_account: str, total_fen: int, sha256: str,
                         xlsx_sha256: str | None = None) -> int:
        """Record a disbursement file written for the batch's unsent payments (audit action ``bank_file``).

        The file must hold exactly the payments of the batch not yet sent, and its control total must be their
        sum; a payment goes into one file only (UNIQUE). Under the write lock the payments, their decisions and
        every money row recorded before (earlier files and their items included) are checked against the audit
        chain and the signed checkpoints again (``_payment_rows``). Refused, nothing recorded, otherwise."""
        actor = self._need_actor(actor, "bank_file")
        with self._tx() as conn:
            batch = self._batch_row(conn, batch_key)
            # checked again under the write lock, as the plan was: chain, signed checkpoint, rows, earlier files
            send, held = self._to_send(conn, batch["id"])
            unsent = {r["id"]: r["amount_fen"] for r in send}
            if sorted(payment_ids) != sorted(unsent) or sum(unsent.values()) != total_fen:
                raise LedgerError("batch_changed",
                                  f"批次 {batch_key} 的待报盘付款已变化（现有 {len(unsent)} 笔，合计 {format_yuan(sum(unsent.values()))}），请重新生成",
                                  f"the unsent payments of batch {batch_key} changed ({len(unsent)}, "
                                  f"{fen_to_yuan(sum(unsent.values()))} yuan); write the file again")
            F = BankFile.__table__.c
            _, n = self._insert_rows(conn, BankFile, [{
                "batch_id": batch["id"], "file_key": file_key, "value_date": value_date, "payer_account": payer_account,
                "count": len(unsent), "total_fen": total_fen, "sha256": sha256}], actor=actor, action="bank_file",
                after={"batch": batch_key, "file_key": file_key, "sha256": sha256, "xlsx_sha256": xlsx_sha256})
            if n != 1:
                raise LedgerError("file_exists", f"报盘文件批次号 {file_key} 已被使用", f"bank file {file_key} already exists")
            fid = conn.execute(select(F.id).where(F.file_key == file_key)).scalar_one()
            ref = audit.new_ref()
            conn.execute(self._insert(BankFileItem.__table__).from_select(
                ["file_id", "payment_id", "audit_ref"],
                select(literal(fid), P.id, literal(ref)).where(self._unsent(batch["id"]),
                                                               P.id.not_in([r["id"] for r in held])))
                .on_conflict_do_nothing())
            audit.append(conn, actor=actor, action="bank_file_items", entity="case_bank_file_items", ref=ref,
                         after={"file_key": file_key})
            return int(fid)

    def apply_bank_return(self, file_key: str, lines: Sequence[BankReturnLine], actor: str, *, sha256: str,
                          bank_date: date) -> BankReturnResult:
        """Apply the bank's return file in one transaction: 成功 lines are recorded as bank confirmations, 失败 lines
        as bounces (``record_bounce`` with the bank's reason). A line whose reference is not in the file sent,
        repeats, differs in amount (or, when paid, in the account credited), or whose payment already has a bank
        result is refused: set aside and reported with its line number and reason, nothing of it applied."""
        actor = self._need_actor(actor, "bounce")
        F, Item = BankFile.__table__.c, BankFileItem.__table__.c
        C, X = BankConfirmation.__table__.c, PaymentReturn.__table__.c
        with self._tx() as conn:
            f = conn.execute(select(BankFile.__table__).where(F.file_key == file_key)).mappings().first()
            if f is None:
                raise LedgerError("unknown_file", f"回盘文件的批次号 {file_key} 不是本台账生成的报盘文件",
                                  f"batch id {file_key} of the return file is no bank file of this ledger")
            batch_key = conn.execute(select(PaymentBatch.__table__.c.batch_key)
                                     .where(PaymentBatch.__table__.c.id == f["batch_id"])).scalar_one()
            answered = or_(exists().where(C.payment_id == P.id), exists().where(X.payment_id == P.id))
            sent = {payment_reference(r.decision_id, r.seq, r.kind): r._asdict() for r in conn.execute(
                select(P.id, P.decision_id, P.seq, P.kind, P.amount_fen, P.account_no, D.state, answered.label("answered"),
                       exists().where(X.payment_id == P.id).label("returned"),
                       exists().where(C.payment_id == P.id).label("confirmed"))
                .select_from(Payment.__table__.join(Decision.__table__, P.decision_id == D.id))
                .where(P.id.in_(select(Item.payment_id).where(Item.file_id == f["id"]))))}
            # the same return file applied again raises no second alarm (its credits were reported already)
            alarmed = {(a["payment_id"], a["sha256"]) for a in self._alarm_events(conn)[0]}
            res = BankReturnResult(file_key=file_key, batch_key=batch_key, lines=len(lines))
            times = Counter(ln.reference for ln in lines)
            confirm: list[dict[str, Any]] = []
            bounce: list[tuple[BankReturnLine, dict[str, Any]]] = []
            credited_after_bounce: list[tuple[BankReturnLine, dict[str, Any]]] = []
            contradicted: list[tuple[BankReturnLine, dict[str, Any]]] = []
            for ln in lines:
                p = sent.get(ln.reference)
                why: tuple[str, str, str] | None = None
                if times[ln.reference] > 1:
                    why = ("duplicate", f"业务参考号 {ln.reference} 在回盘文件中出现 {times[ln.reference]} 次",
                           f"reference {ln.reference} occurs {times[ln.reference]} times")
                elif p is None:
                    why = ("unknown_reference", f"业务参考号 {ln.reference} 不在报盘文件 {file_key} 中",
                           f"reference {ln.reference} was not sent in {file_key}")
                elif ln.amount_fen != p["amount_fen"]:
                    why = ("amount_mismatch", f"金额 {format_yuan(ln.amount_fen)}与报盘的 {format_yuan(p['amount_fen'])}不符",
                           f"amount {fen_to_yuan(ln.amount_fen)} yuan differs from the {fen_to_yuan(p['amount_fen'])} yuan sent")
                elif (p["answered"] and ln.paid and p["returned"] and not p["confirmed"]
                      and (p["id"], sha256) not in alarmed):
                    # the bank credited a payment the office had recorded as bounced: it may be paid twice
                    credited_after_bounce.append((ln, p))
                    why = ("paid_after_bounce",
                           f"【警告：可能重复支付】银行回盘称付款 {ln.reference}（决定 {p['decision_id']}）已成功入账，"
                           "但该付款已登记为退回；该决定暂停再次发放，须立即核实（复核以 wengang case credit-check "
                           f"{p['decision_id']} 登记核实结果），已重发的须追回",
                           f"[WARNING: possible double payment] the bank says payment {ln.reference} (decision "
                           f"{p['decision_id']}) was credited, but it was recorded as bounced; the decision is not paid "
                           "again until checked (a reviewer records the outcome with wengang case credit-check "
                           f"{p['decision_id']}), and a re-payment already made must be recovered")
                elif p["answered"] and not ln.paid and p["confirmed"]:
                    # a later return says 失败 for a payment an earlier one confirmed credited: not the same file again
                    # (said so, an event recorded), and nothing changed — a bounce would pay the decision a second time
                    # if the money did reach the payee (outside tamper audit F3, session 38)
                    contradicted.append((ln, p))
                    why = ("failed_after_credit",
                           f"【警告：银行结果前后不符】回盘称付款 {ln.reference}（决定 {p['decision_id']}）失败"
                           f"（{ln.reason or '未注明原因'}），但该付款此前已由银行回盘确认入账；未作任何改动，须向银行核实："
                           "如款项确被退回，以银行的退票凭证另行处理，不得据此重新发放",
                           f"[WARNING: the bank contradicts itself] the return says payment {ln.reference} (decision "
                           f"{p['decision_id']}) failed, but an earlier return confirmed it credited; nothing changed: "
                           "check with the bank, and do not pay it again on this line")
                elif p["answered"]:
                    why = ("already_recorded", f"付款 {ln.reference} 的银行处理结果已登记过",
                           f"payment {ln.reference} already has a bank result")
                elif ln.paid and account_digits(ln.account) != account_digits(p["account_no"]):
                    why = ("account_mismatch", f"银行入账账号（尾号 {account_digits(ln.account)[-4:]}）与报盘账号（尾号 "
                           f"{account_digits(p['account_no'])[-4:]}）不符", "the account credited is not the one sent")
                elif not ln.paid and p["kind"] == "initial" and p["state"] != "paid":
                    why = ("state", f"决定 {p['decision_id']} 当前状态不是“已发放”，不能登记退回",
                           f"decision {p['decision_id']} is {p['state']}, not paid")
                if why is not None:
                    res.refused.append({"line": ln.line, "reference": ln.reference, "code": why[0], "zh": why[1],
                                        "en": why[2]})
                elif ln.paid:
                    confirm.append({"payment_id": p["id"], "amount_fen": p["amount_fen"], "account_no": account_digits(ln.account),
                                    "bank_date": bank_date, "return_sha256": sha256})
                    res.confirmed.append({"line": ln.line, "reference": ln.reference, "payment_id": p["id"],
                                          "decision_id": p["decision_id"], "amount_fen": p["amount_fen"]})
                else:
                    bounce.append((ln, p))
            if bounce:  # what the bounces read, checked once for all of them before anything is written (``_bounce``)
                self._checked(conn, {p["decision_id"] for _, p in bounce}, "登记退回", "bounce")
            if confirm:
                self._insert_rows(conn, BankConfirmation, confirm, actor=actor, action="bank_confirm",
                                  after={"file_key": file_key, "sha256": sha256})
            for ln, p in credited_after_bounce:
                repaid = conn.execute(select(func.count()).where(P.decision_id == p["decision_id"], P.kind == p["kind"],
                                                                 P.seq > p["seq"])).scalar_one()
                audit.append(conn, actor=actor, action=CREDITED_AFTER_BOUNCE, entity="case_decisions",
                             entity_id=p["decision_id"],
                             reason=f"【可能重复支付】银行回盘 {file_key} 第 {ln.line} 行：付款 {ln.reference} 已入账，但已登记退回；"
                                    "暂停再次发放，待核实" + ("（已重新发放，须追回）" if repaid else ""),
                             after={"payment_id": p["id"], "file_key": file_key, "line": ln.line, "sha256": sha256,
                                    "repaid": int(repaid), "bank_date": bank_date.isoformat(),
                                    "account": account_digits(ln.account)})
            for ln, p in contradicted:
                audit.append(conn, actor=actor, action="bank_contradiction", entity="case_decisions",
                             entity_id=p["decision_id"],
                             reason=f"银行回盘 {file_key} 第 {ln.line} 行称付款 {ln.reference} 失败（{ln.reason or '未注明原因'}），"
                                    "但此前已确认入账：未作改动，待向银行核实",
                             after={"payment_id": p["id"], "file_key": file_key, "line": ln.line, "sha256": sha256,
                                    "bank_date": bank_date.isoformat()})
            for ln, p in bounce:
                self._bounce(conn, p["id"], actor, ln.reason)
                res.bounced.append({"line": ln.line, "reference": ln.reference, "payment_id": p["id"],
                                    "decision_id": p["decision_id"], "amount_fen": p["amount_fen"], "reason": ln.reason})
            answered_now = {r["decision_id"] for r in res.confirmed + res.bounced}
            if answered_now:
                res.risk_recoveries = self._settle_risk_recoveries(conn, answered_now, actor, res.nothing_why)
                res.recoveries = self._settle_recoveries(conn, answered_now, actor, res.nothing_why)
            res.outstanding = conn.execute(
                select(func.count()).select_from(BankFileItem.__table__.join(Payment.__table__, Item.payment_id == P.id))
                .where(Item.file_id == f["id"], ~answered)).scalar_one()
            if (res.lines and not res.confirmed and not res.bounced
                    and all(r["code"] == "already_recorded" for r in res.refused)):
                # the same file again, every line recorded before: nothing changed, so no event says it was applied
                # (outside casework audit D8, session 42: “本次未作任何改动” while an event was appended and signed)
                return res
            audit.append(conn, actor=actor, action="bank_return", entity="case_bank_files", entity_id=f["id"],
                         reason=f"银行回盘 {file_key}", after={
                             "sha256": sha256, "lines": res.lines, "confirmed": len(res.confirmed),
                             "bounced": len(res.bounced),
                             "refused": [{"line": r["line"], "reference": r["reference"], "code": r["code"]}
                                         for r in res.refused]})
            return res

    def check_credit_after_bounce(self, decision_id: int, actor: str, *, credited: bool, reason: str,
                                  payment_id: int | None = None) -> CreditCheckResult:
        """Record the check of a credit the bank reported for a payment recorded as bounced (``paid_after_bounce``,
        audit ``CREDITED_AFTER_BOUNCE``), which stops the decision from being paid again until it is checked.

        ``credited``: the bank confirms the money reached the payee. The payment gets its bank confirmation, which
        makes the bounce void (``_returned``), so the decision counts as paid by it (已发放). Each later payment of
        the same kind is then settled: one the bank sent back stays returned; one not yet in a bank file is
        withdrawn (a return row: it never goes to the bank); one still with the bank unanswered refuses the check
        (``awaiting_bank``: its answer decides); one that reached the payee too is an overpayment, recovered by the
        多退少补 recovery order (``_order_recovery`` kind ``overpayment``, as ``change_size_class`` orders it).

        Not ``credited``: the bank corrected its line (the money did not reach the payee); the bounce stands and
        the stop is lifted: the decision waits for its account, or is paid again, as after any bounce.

        By a 复核 (``credit_check``) other than who recorded the bounce, with a reason; each alarm is checked once.
        ``payment_id`` picks the alarm when the decision has several open. Returns what was recorded.

        Basis: 人社部发〔2024〕40号 六 “健全审核、公示、拨付等监督机制……在待遇审核和发放环节加强数据比对，严防冒领、骗取基金和
        多发待遇风险”; 内人社发〔2025〕18号 五 “切实防范冒领骗取和多发错发”; the recovery is the 多退少补 of 兵团征求意见稿
        二(一)."""
        actor = self._need_actor(actor, "credit_check")
        text_ = (reason or "").strip()
        if not text_:
            raise LedgerError("no_reason", "须写明核实情况（--reason），如银行的书面确认或更正",
                              "a reason is required (--reason): e.g. the bank's written confirmation or correction")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            self._checked(conn, [decision_id], "核实退回后入账", "the credit check")
            alarms, checked = self._alarm_events(conn, decision_id)
            mine = [a for a in alarms if payment_id is None or a["payment_id"] == payment_id]
            open_ = [a for a in mine if a["seq"] not in checked]
            if not open_:
                if mine:
                    done = checked[mine[-1]["seq"]]
                    raise LedgerError("already_checked", f"决定 {decision_id} 的退回后入账已核实（事件 {done}），不能重复登记",
                                      f"the credit after a bounce of decision {decision_id} was checked already "
                                      f"(event {done})")
                raise LedgerError("no_alarm", f"决定 {decision_id} 没有待核实的退回后入账"
                                  + (f"（支付 {payment_id}）" if payment_id is not None else ""),
                                  f"decision {decision_id} has no credit after a bounce to check"
                                  + (f" (payment {payment_id})" if payment_id is not None else ""))
            pids = sorted({a["payment_id"] for a in open_})
            if len(pids) > 1:
                raise LedgerError("ambiguous", f"决定 {decision_id} 有多笔待核实的支付（{pids}），请用 --payment 指明",
                                  f"decision {decision_id} has several payments to check ({pids}); give --payment")
            p = dict(conn.execute(select(Payment.__table__).where(P.id == pids[0])).mappings().one())
            X, K, Item = PaymentReturn.__table__.c, BankConfirmation.__table__.c, BankFileItem.__table__.c
            EV = AuditEvent.__table__.c
            bounced_by = conn.execute(select(EV.actor).select_from(PaymentReturn.__table__.join(
                AuditEvent.__table__, EV.ref == X.audit_ref)).where(X.payment_id == p["id"])).scalar_one()
            if bounced_by == actor:  # four eyes, as on an account change
                raise LedgerError("same_operator", f"支付 {p['id']} 的退回由 {actor} 登记，核实须由另一人进行",
                                  f"{actor} recorded the bounce of payment {p['id']}; another person must check it")
            ref = payment_reference(decision_id, p["seq"], p["kind"])
            note: dict[str, Any] = {"decision_id": decision_id, "payment_id": p["id"], "reference": ref,
                                    "alarm_seqs": [a["seq"] for a in open_], "credited": credited}
            if not credited:
                audit.append(conn, actor=actor, action=CREDIT_CORRECTED, entity="case_decisions", entity_id=decision_id,
                             reason=f"核实：银行更正，付款 {ref} 未入账，退回成立，解除暂停发放：{text_}", after=note)
                return CreditCheckResult(decision_id, p["id"], False, d["state"])
            AC, AA = AccountChange.__table__.c, AccountApproval.__table__.c
            pending = conn.execute(select(AC.id).where(AC.decision_id == decision_id,
                                                       ~exists().where(AA.change_id == AC.id))).scalar()
            if pending is not None:  # it would be left with nothing to change (the decision counts as paid)
                raise LedgerError("change_pending", f"决定 {decision_id} 有待复核的账户变更 {pending}，请先复核或驳回",
                                  f"decision {decision_id} has account change {pending} awaiting approval; decide it first")
            later = [dict(r) for r in conn.execute(
                select(P.id, P.seq, P.kind, P.batch_id, P.amount_fen,
                       exists().where(X.payment_id == P.id).label("returned"),
                       exists().where(K.payment_id == P.id).label("confirmed"),
                       exists().where(Item.payment_id == P.id).label("sent"))
                .where(P.decision_id == decision_id, P.kind == p["kind"], P.seq > p["seq"]).order_by(P.seq)).mappings()]
            waiting = [q for q in later if q["sent"] and not q["returned"] and not q["confirmed"]]
            if waiting:
                shown = "、".join(payment_reference(decision_id, q["seq"], q["kind"]) for q in waiting)
                raise LedgerError("awaiting_bank", f"重发的付款 {shown} 已报盘、银行尚未回盘：待其回盘后再登记核实结果"
                                  "（退回的无须追回，入账的须追回）",
                                  f"the re-payment {shown} is with the bank and not answered yet: record the check once "
                                  "the bank has answered (returned: nothing to recover; credited: recovered)")
            a = open_[-1]
            on = date.fromisoformat(a["bank_date"]) if a["bank_date"] else \
                datetime.fromisoformat(a["at"]).astimezone(timezone(timedelta(hours=8))).date()
            self._insert_rows(conn, BankConfirmation, [{
                "payment_id": p["id"], "amount_fen": p["amount_fen"], "account_no": a["account"] or account_digits(p["account_no"]),
                "bank_date": on, "return_sha256": a["sha256"]}], actor=actor, action="bank_confirm", reason=text_,
                after={"file_key": a["file_key"], "sha256": a["sha256"], "credit_check": True, "ids": [decision_id]})
            withdraw = [q for q in later if not q["returned"] and not q["sent"] and q["batch_id"] is not None]
            if withdraw:
                why = f"撤回：{ref} 经核实已入账，其后重发的付款尚未报盘，不再发出"
                self._insert_rows(conn, PaymentReturn, [{"payment_id": q["id"], "amount_fen": q["amount_fen"],
                                                         "reason": why} for q in withdraw],
                                  actor=actor, action=WITHDRAWN, reason=why, after={"ids": [decision_id]})
            gone = {q["id"] for q in withdraw}
            overpaid = [q["id"] for q in later if not q["returned"] and q["id"] not in gone]
            res = CreditCheckResult(decision_id, p["id"], True, d["state"], withdrawn=sorted(gone))
            # a misuse's, duplicate's or resize's recovery the bounce had closed is settled first, under its own
            # basis (晋人社厅发〔2024〕28号 五 for a misuse); 多退少补 then orders only what is still paid above the
            # entitlement (``_recoverable``: every recovery ordered counts), so nothing is recovered twice
            self._reopen_risk_recoveries(conn, decision_id, actor, (RECOVERY_PENDING,))
            _, ent, _ = self._entitlement(conn, d)
            over = self._recoverable(conn, decision_id, "overpayment")
            if over > 0:
                again = [payment_reference(decision_id, q["seq"], q["kind"]) for q in later if q["id"] in overpaid]
                cause = (f"其后重发的付款 {'、'.join(again)} 亦已发出" if again else
                         f"已发放金额高于现核定的应享受金额 {format_yuan(ent or 0)}")
                res.recovery_id = self._order_recovery(
                    conn, decision_id, "overpayment", over, actor,
                    f"多退少补：追回多发部分（{ref} 登记退回后经核实已入账，{cause}）")
                res.recovery_fen = over
            values: dict[str, Any] = {}
            if p["kind"] == "initial" and d["state"] in ("bounced", "account_fixed"):
                values = {"state": "paid"}  # paid by the payment the bank credited
                if conn.execute(update(Decision.__table__).where(D.id == decision_id, D.version == d["version"])
                                .values(state="paid", version=D.version + 1)).rowcount != 1:  # pragma: no cover
                    raise LedgerError("concurrent_change", f"决定 {decision_id} 已被他人修改，请重试",
                                      f"decision {decision_id} changed concurrently; retry")
                res.state = "paid"
            audit.append(conn, actor=actor, action=CREDIT_CONFIRMED, entity="case_decisions", entity_id=decision_id,
                         reason=f"核实：付款 {ref} 已入账，退回作废，计为已发放"
                                + (f"；撤回未报盘的重发付款 {sorted(gone)}" if gone else "")
                                + (f"；重复支付 {format_yuan(res.recovery_fen)}，已开追回单 {res.recovery_id}" if res.recovery_id else "")
                                + f"：{text_}",
                         before={"state": d["state"]} if values else None,
                         after={**note, **values, "withdrawn": sorted(gone), "overpaid": overpaid,
                                "recovery_id": res.recovery_id})
            # a risk flag's recovery it had closed as bounced: after 多退少补, at most what is still paid
            self._reopen_risk_recoveries(conn, decision_id, actor, (RISK_RECOVERY_PENDING,))
            return res

    def _tax_account_basis(self, conn: Connection, d: dict[str, Any]) -> tuple[str | None, str, str]:
        """(the clause, or None; why not in Chinese; in English) for paying ``d`` to the 税务 account."""
        basis = self._proc(d).tax_account
        if basis is None:
            return None, f"{d['policy_doc']} 未规定可返还至税务部门协助提供的缴费账户", \
                f"{d['policy_doc']} does not provide for paying to the tax premium account"
        _, _, size = self._entitlement(conn, d)
        if size not in ("small", "micro"):
            return None, f"该条款仅适用于小微企业（本决定的企业划型为 {size or '未知'}）", \
                f"the clause covers small and micro firms only (size class {size})"
        return basis, "", ""

    @staticmethod
    def _reroute_state_refused(d: Mapping[str, Any]) -> bool:
        """A re-route is a step before payment or after a bounce of the payment itself: not of a paid decision (a top-up
        that bounced keeps the decision paid: its account is corrected by fix-account), nor of one closed."""
        return d["state"] in TERMINAL or d["state"] in ("paid", "account_fixed")

    def tax_account_basis(self, decision_id: int) -> str | None:
        """The clause that lets this decision be paid to its 税务 premium account now, or None — also None where the
        decision's state allows no re-route (outside audit, session 39: bank-return suggested `case reroute` after a
        top-up bounced, which then refused)."""
        with self._read() as conn:
            d = self._load(conn, decision_id)
            return None if self._reroute_state_refused(d) else self._tax_account_basis(conn, d)[0]

    def reroute_to_tax_account(self, decision_id: int, actor: str, *, account_no: str) -> tuple[str, int]:
        """对没有对公账户的小微企业，可将资金直接返还至当地税务部门协助提供的其缴纳社会保险费的账户 (人社部发〔2024〕40号 五;
        内人社发〔2025〕18号 四): after a bounce or before payment, request the 税务 account and channel. Like any
        account change it takes effect once a second person approves it (``approve_account``): after a bounce the
        decision is then 'account_fixed' and paid again by the next batch. Returns (the clause cited, request id)."""
        actor = self._need_actor(actor, "account")
        acc = account_digits(account_no)
        if not _ACCOUNT.fullmatch(acc):
            raise LedgerError("bad_account", "税务部门提供的缴费账户应为6至32位数字", "the tax account must be 6 to 32 digits")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            basis, zh, en = self._tax_account_basis(conn, d)
            if basis is None:
                raise LedgerError("reroute_refused", f"决定 {decision_id} 不能改为返还至税务缴费账户：{zh}",
                                  f"decision {decision_id} cannot be paid to the tax account: {en}")
            if self._reroute_state_refused(d):
                raise LedgerError("transition_refused",
                                  f"决定 {decision_id} 当前状态为“{STATE_ZH.get(d['state'], d['state'])}”，仅能在发放前或"
                                  "银行退回后改为税务缴费账户（补发退回的，用 case fix-account 更正账户）",
                                  f"decision {decision_id} is {d['state']}; reroute before payment or after a bounce")
            reason = f"无对公账户的小微企业，返还至当地税务部门协助提供的缴纳社会保险费账户（{basis}）"
            return basis, self._request_account(conn, d, actor, "reroute", acc, reason)

    # ------------------------------------------------- 多退少补 / recoveries
    def _recompute(self, conn: Connection, d: dict[str, Any], actor: str, *, kind: str, status: str,
                   size_class: str | None, amount: int, reason: str) -> int:
        R = Recomputation.__table__.c
        seq = conn.execute(select(func.count()).where(R.decision_id == d["id"])).scalar_one()
        ref, _ = self._insert_rows(conn, Recomputation, [{
            "decision_id": d["id"], "seq": seq, "kind": kind, "new_status": status, "new_size_class": size_class,
            "new_amount_fen": amount, "reason": reason}], actor=actor, action=f"recompute_{kind}", reason=reason)
        return conn.execute(select(R.id).where(R.audit_ref == ref)).scalar_one()

    def change_size_class(self, decision_id: int, actor: str, *, new_size_class: str,
                          new_amount_fen: int | None = None, reason: str) -> SettleResult:
        """划型变更 → the rules' entitlement for the new size class; if already paid, settle the difference (多退少补).

        The amount is the rules', recomputed as the original was (outside audit D5: one 复核 raised a 微型 unit from
        843.28元 to 500,000元, same class, and the next batch paid the top-up). 兵团征求意见稿 二(一) “待正式对企业划型后，
        按最新企业划型数据进行多退少补”: a size class changes the rate only, the base (上年度实际缴纳失业保险费) stays. So
        the new entitlement is the amount the decision was decided with — its rules' amount (or 人工认定 amount, both
        reviewed by 初审 and 复审) — taken from the old class's rate to the new class's, as the document sets them
        (``_refund_rate``; 人社部发〔2024〕40号 二 “大型企业按不超过…30%返还，中小微企业按不超过60%返还” is the ceiling, 六
        “严防…多发待遇风险”), with the one rounding rule (``_rescaled``). ``new_amount_fen`` may name the exact amount
        when the base is known (the amount alone fixes it only to within a fen or two); where the ledger kept the 返还基数
        the rules decided with (``base_fen``) and the amount is base × the old rate, the new amount is base × the new
        rate exactly. Anything outside what the rules can give for the new class is refused (``not_rules_amount``).
        There is no free amount: a different base is a new evaluation, not a 划型变更. Only 稳岗返还 decisions have a size class that sets an amount; one lowered by
        a misuse or duplicate report is not resized (it would undo the lowering)."""
        actor = self._need_actor(actor, "resize")
        if new_amount_fen is not None and (not isinstance(new_amount_fen, int) or new_amount_fen < 0):
            raise LedgerError("bad_amount", "新金额须为非负整数（分）", "the new amount must be a non-negative integer (fen)")
        if new_size_class not in FANHUAN_CLASSES:
            raise LedgerError("bad_size_class", f"划型“{new_size_class}”应为 大型/中型/小型/微型（large/medium/small/micro）",
                              f"size class {new_size_class!r} must be one of {', '.join(FANHUAN_CLASSES)}")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            if d["state"] in TERMINAL:
                raise LedgerError("transition_refused", f"决定 {decision_id} 已终结（{d['state']}），不能重新计算",
                                  f"decision {decision_id} is closed ({d['state']})")
            # what the new amount and its 多退少补 are reckoned from (recomputations, payments, returns, recoveries
            # and their receipts) as the events have it, before anything is reckoned
            self._checked(conn, [decision_id], "划型变更与多退少补", "the resize and its settlement")
            status, old, _ = self._entitlement(conn, d)
            amount, basis = self._resize_amount(conn, d, new_size_class, new_amount_fen)
            rid = self._recompute(conn, d, actor, kind="size_class", status=status, size_class=new_size_class,
                                  amount=amount, reason=f"{reason}（{basis}）" if reason else basis)
            res = SettleResult(recomputation_id=rid, diff_fen=0, old_amount_fen=old, new_amount_fen=amount,
                               settled=d["state"] == "paid", rules_basis=basis)
            if d["state"] == "paid":
                self._settle(conn, d, actor, res)
            return res

    def _resize_amount(self, conn: Connection, d: dict[str, Any], new_class: str,
                       given: int | None) -> tuple[int, str]:
        """The rules' entitlement of decision ``d`` at ``new_class`` and how it was found (``change_size_class``)."""
        did = d["id"]
        if d["program"] != "fanhuan":
            raise LedgerError("not_rules_amount", f"决定 {did}（{d['program']}）的金额不随企业划型变化：划型变更只用于稳岗返还",
                              f"decision {did} ({d['program']}): its amount does not depend on a size class")
        R = Recomputation.__table__.c
        rows = conn.execute(select(R.kind, R.new_amount_fen, R.new_status, R.new_size_class)
                            .where(R.decision_id == did).order_by(R.seq)).all()
        lowered = [r.kind for r in rows if r.kind in ("misuse", "duplicate")]
        if lowered:
            raise LedgerError("not_rules_amount",
                              f"决定 {did} 的应享受金额已因{'派遣单位未按规定使用' if 'misuse' in lowered else '重复享受'}核减，"
                              "不能再按划型重新计算（会抵消核减）：如确需更正，须重新判定",
                              f"decision {did} was lowered by a {lowered[0]} report; a resize would undo it")
        # what was decided and reviewed: the rules' amount as imported or applied, or a 人工认定 (待认定 decided)
        decided = [(r.new_amount_fen, r.new_status) for r in rows if r.kind in ("determination", "reading")]
        amount, status = decided[-1] if decided else (d["amount_fen"], d["status"])
        old_class = d["size_class"]
        if status != "eligible" or amount is None:
            raise LedgerError("not_rules_amount", f"决定 {did} 不是符合条件的决定，没有可按划型换算的金额",
                              f"decision {did} is not an eligible decision with an amount to resize")
        found = _document_params(d["policy_doc"], d["program"])
        readings = json.loads(d["readings"] or "{}") if isinstance(d["readings"], str) else (d["readings"] or {})
        block, params = found if found is not None else (None, {})
        r_old = _refund_rate(params, old_class, d["unit_id"], readings)
        r_new = _refund_rate(params, new_class, d["unit_id"], readings)
        if r_old is None or r_new is None:
            raise LedgerError("not_rules_amount",
                              f"决定 {did} 的文件（{d['policy_doc']}）或原划型（{old_class or '未记载'}）不给出按划型的返还比例，"
                              "无法按规则换算：须重新判定",
                              f"decision {did}: its document ({d['policy_doc']}) or old size class ({old_class}) gives no "
                              "rate by size class; evaluate it again")
        zh_new = SIZE_CLASS_ZH.get(new_class, new_class)
        zh_old = SIZE_CLASS_ZH.get(old_class, old_class)
        if r_old == r_new:
            lo = hi = near = amount
            # rescaled from the class it was decided at, which an earlier resize may have changed since
            now = next((r.new_size_class for r in reversed(rows) if r.kind == "size_class"), old_class)
            same = (f"按{zh_new}企业比例 {r_new * 100}%，与审定时的划型（{zh_old}企业）相同"
                    + (f"（由{SIZE_CLASS_ZH.get(now, now)}企业改回）" if now != new_class else "")
                    if old_class == new_class else f"{zh_old}与{zh_new}企业返还比例同为 {r_new * 100}%")
            basis = f"{d['policy_doc']}：{same}，金额仍为审定的 {format_yuan(amount)}"
        elif getattr(block, "ruleset", None) != "v2024":
            # 内人社办发〔2022〕86号: the amount is net of what an earlier rate paid, not base × rate
            raise LedgerError("not_rules_amount",
                              f"决定 {did} 的文件（{d['policy_doc']}）的返还金额不只取决于返还比例（如扣除已按原比例返还的部分），"
                              "划型变更无法按比例换算：须重新判定",
                              f"decision {did}: under {d['policy_doc']} the amount is not base × rate; evaluate it again")
        else:
            rate_old = params["refund_rate_large" if r_old == params["refund_rate_large"].value else "refund_rate_sme"]
            rate_new = params["refund_rate_large" if r_new == params["refund_rate_large"].value else "refund_rate_sme"]
            base = self._kept_figures(conn, d)[0]
            if base is not None and not decided and times_rate_half_up(base, r_old) == amount:
                # the 返还基数 the rules decided with, kept by the ledger: the new amount exactly, base × the new rate
                lo = hi = near = times_rate_half_up(base, r_new)
                basis = (f"审定的返还基数 {format_yuan(base)} 按{zh_new}企业比例 {r_new * 100}%（{rate_new.citation()}）："
                         f"{format_yuan(near)}（原按{zh_old}企业 {r_old * 100}%，{rate_old.citation()}：{format_yuan(amount)}）")
            else:
                # no base kept (a decision imported before the ledger kept it), or an amount not base × rate alone
                # (派遣 shares): the amount rescaled, to within what the unknown base allows
                lo, hi, near = _rescaled(amount, r_old, r_new)
                span = f"（按缴费基数计算在 {format_yuan(lo)}–{format_yuan(hi)} 之间）" if lo != hi else ""
                basis = (f"按{zh_new}企业比例 {r_new * 100}%（{rate_new.citation()}）换算审定金额 {format_yuan(amount)}"
                         f"（{zh_old}企业 {r_old * 100}%，{rate_old.citation()}）：{format_yuan(near)}{span}")
        if given is None:
            return near, basis
        if not lo <= given <= hi:
            allowed = format_yuan(lo) if lo == hi else f"{format_yuan(lo)}–{format_yuan(hi)}"
            raise LedgerError("not_rules_amount",
                              f"划型变更的金额须为规则金额：{zh_new}企业为 {allowed}（{basis}），不能为 {format_yuan(given)}"
                              "（人社部发〔2024〕40号 六“严防冒领、骗取基金和多发待遇风险”）",
                              f"a resize's amount is the rules': {lo}–{hi} fen for {new_class} ({basis}), not {given} fen")
        return given, basis

    def _net_paid(self, conn: Connection, decision_id: int, recovery_kinds: Sequence[str]) -> int:
        paid = conn.execute(select(func.coalesce(func.sum(P.amount_fen), 0)).where(P.decision_id == decision_id)).scalar_one()
        X = PaymentReturn.__table__.c
        ret = conn.execute(select(func.coalesce(func.sum(X.amount_fen), 0)).select_from(
            PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id)).where(
                P.decision_id == decision_id, self._returned())).scalar_one()
        C = Recovery.__table__.c
        rec = conn.execute(select(func.coalesce(func.sum(C.amount_fen), 0)).where(
            C.decision_id == decision_id, C.kind.in_(list(recovery_kinds)))).scalar_one()
        return int(paid) - int(ret) - int(rec)

    def _settle(self, conn: Connection, d: dict[str, Any], actor: str, res: SettleResult) -> None:
        """多退少补 on a paid decision whose entitlement changed (docs/casework.md "Money sent"). Paid above the new
        entitlement counting payments not sent yet: those are withdrawn (``_withdraw_unsent``; a decision paid only
        by them goes back to where it was before, and the next batch pays it the new entitlement), so they never go
        out above it. Then a top-up is due when the entitlement is above what is paid, and above it a recovery of
        what was actually paid too much (``_recover_sent``, kind ``overpayment``), waiting for the bank's answer on a
        payment sent and unanswered."""
        self._checked(conn, [d["id"]], "多退少补与追回", "settlement and recovery")
        _, ent, _ = self._entitlement(conn, d)
        did = d["id"]
        # an earlier resize's recovery not received yet claims back money the new entitlement may leave with the unit:
        # it is cancelled and what is due either way reckoned again from what the unit holds, so a top-up never goes
        # out while the same money is claimed back (outside audit F1, session 37)
        res.cancelled_recovery_ids, res.cancelled_recovery_fen = self._cancel_open_overpayments(
            conn, did, actor, f"划型变更（重新核定 {res.recomputation_id}）后按最新划型重新计算多退少补")
        if res.cancelled_recovery_ids:  # (before 多退少补 reckons again: a flag's finding comes first, as it did)
            res.raised_recovery_ids, res.raised_recovery_fen = self._raise_capped_flags(conn, did, actor)
        if self._net_paid(conn, did, ("overpayment",)) > (ent or 0):
            res.withdrawn = self._withdraw_unsent(conn, did, actor, "撤回：多退少补，重新核定的金额低于已安排发放的金额",
                                                  {"recomputation_id": res.recomputation_id})
            if res.withdrawn:
                res.withdrawn_refs = [payment_reference(did, r.seq, r.kind) for r in conn.execute(
                    select(P.seq, P.kind).where(P.id.in_(res.withdrawn)).order_by(P.id))]
        diff = (ent or 0) - self._net_paid(conn, did, ("overpayment",))
        res.diff_fen = diff
        if diff > 0 and self._load(conn, did)["state"] == "paid":
            # nothing is paid here: the recomputation records the top-up due, and the next payment batch of the
            # program and year pays it (by an 出纳 who neither reviewed nor resized it) and puts it in its bank file
            res.supplement_due_fen = diff
        elif diff < 0:
            res.recovery_id, res.recovery_fen, res.awaiting_bank = self._recover_sent(
                conn, did, "overpayment", actor, "多退少补：追回多发部分")
            if res.recovery_id is None and not res.awaiting_bank:  # paid above it, but nothing left to recover
                _, res.no_recovery_zh, res.no_recovery_en = self._why_nothing(conn, did, "overpayment", {})

    @staticmethod
    def _cancelled_recoveries(conn: Connection, decision_id: int) -> set[int]:
        """Ids of ``decision_id``'s recovery orders that were cancelled: each cancellation is a row of the same kind
        and the negative amount, whose ``seq`` is minus the cancelled order's id (``_cancel_open_overpayments``)."""
        C = Recovery.__table__.c
        return {-s for (s,) in conn.execute(select(C.seq).where(C.decision_id == decision_id, C.seq < 0))}

    def _cancel_open_overpayments(self, conn: Connection, decision_id: int, actor: str, reason: str) -> tuple[list[int], int]:
        """Cancel what is not yet received of ``decision_id``'s 多退少补 recovery orders (kind ``overpayment``) not
        fully received nor cancelled: a row of minus that part each (append-only; every sum of the orders nets it, so
        the order stands at what was received, and 多退少补 reckons that as money back), its ``seq`` minus the
        cancelled order's id, so an order is cancelled once and a receipt for it is refused after. Returns their ids
        and the total cancelled."""
        self._checked(conn, [decision_id], "多退少补与追回", "settlement and recovery")
        C, K = Recovery.__table__.c, RecoveryReceipt.__table__.c
        cancelled = self._cancelled_recoveries(conn, decision_id)
        got = select(K.recovery_id, func.sum(K.amount_fen).label("fen")).group_by(K.recovery_id).subquery()
        open_ = [(rid, int(amount) - int(x), int(x)) for rid, amount, x in conn.execute(
            select(C.id, C.amount_fen, func.coalesce(got.c.fen, 0))
            .select_from(Recovery.__table__.outerjoin(got, got.c.recovery_id == C.id))
            .where(C.decision_id == decision_id, C.kind == "overpayment", C.amount_fen > 0).order_by(C.id))
                 if rid not in cancelled and int(amount) > int(x)]
        if not open_:
            return [], 0
        rows = [{"decision_id": decision_id, "kind": "overpayment", "seq": -rid, "amount_fen": -rest,
                 "reason": (f"撤销追回单 {rid}（未到账部分，已到账 {format_yuan(x)}照计为已退回）：{reason}" if x
                            else f"撤销追回单 {rid}（未到账）：{reason}")} for rid, rest, x in open_]
        self._insert_rows(conn, Recovery, rows, actor=actor, action="cancel_recovery", reason=reason,
                          after={"recovery_ids": [rid for rid, _, _ in open_]})
        return [rid for rid, _, _ in open_], sum(a for _, a, _ in open_)

    def _raise_capped_flags(self, conn: Connection, decision_id: int, actor: str) -> tuple[list[int], int]:
        """The recoveries of risk flags confirmed on ``decision_id`` that other recoveries capped (``_recoverable``:
        every recovery together at most what was paid), raised toward the amount the confirmation wanted as far as the
        room now allows: called once a resize cancelled the 多退少补 orders that took the room (outside audit, session
        37: a flag of 1,000.00元 stayed at the 600.00元 left beside a 多退少补 order cancelled later). Each raise is a
        recovery of the flag's kind whose event names the flag (``raises``), counted with the first for that flag.
        Returns the raises' ids and total."""
        self._checked(conn, [decision_id], "多退少补与追回", "settlement and recovery")
        V, F, C = RiskReview.__table__.c, RiskFlag.__table__.c, Recovery.__table__.c
        reviews = conn.execute(select(V.flag_id, V.recovery_id, V.audit_ref, F.amount_fen, F.label, F.citation)
                               .join(RiskFlag.__table__, F.id == V.flag_id)
                               .where(V.decision_id == decision_id, V.outcome == "confirmed",
                                      V.recovery_id.is_not(None)).order_by(V.id)).all()
        if not reviews:
            return [], 0
        E = AuditEvent.__table__.c
        rows = {r.id: r for r in conn.execute(select(C.id, C.kind, C.amount_fen, C.audit_ref)
                                              .where(C.decision_id == decision_id))}
        after = {ref: json.loads(a or "{}") for ref, a in conn.execute(
            select(E.ref, E.after).where(E.ref.in_([r.audit_ref for r in rows.values()] + [v.audit_ref for v in reviews]),
                                         E.action.in_(("risk_confirm", "recover_raised"))))}
        raised: list[int] = []
        total = 0
        for v in reviews:
            wanted = after.get(v.audit_ref, {}).get("wanted_fen") or v.amount_fen
            first = rows.get(v.recovery_id)
            if not wanted or first is None:
                continue
            have = first.amount_fen + sum(r.amount_fen for r in rows.values()
                                          if after.get(r.audit_ref, {}).get("raises") == v.flag_id)
            more = self._recoverable(conn, decision_id, "risk_flag", wanted - have) if wanted > have else 0
            if more <= 0:
                continue
            seq = conn.execute(select(func.count()).where(C.decision_id == decision_id, C.kind == first.kind,
                                                          C.seq >= 0)).scalar_one()
            reason = (f"补足风险疑点 {v.flag_id} 的追回：{v.label}（{v.citation}），此前因其他追回占用而未足额，"
                      "划型变更撤销未到账的追回单后补足")
            ref, _ = self._insert_rows(conn, Recovery, [{"decision_id": decision_id, "kind": first.kind, "seq": seq,
                                                         "amount_fen": more, "reason": reason}],
                                       actor=actor, action="recover_raised", reason=reason,
                                       after={"raises": v.flag_id, "recovery_id": v.recovery_id, "amount_fen": more})
            raised.append(conn.execute(select(C.id).where(C.audit_ref == ref)).scalar_one())
            total += more
        return raised, total

    def _order_recovery(self, conn: Connection, decision_id: int, kind: str, amount: int, actor: str, reason: str,
                        seq: int | None = None) -> int:
        self._checked(conn, [decision_id], "多退少补与追回", "settlement and recovery")
        C = Recovery.__table__.c
        if seq is None:  # (cancellations have negative seqs: the orders' own count from 0)
            seq = conn.execute(select(func.count()).where(C.decision_id == decision_id, C.kind == kind,
                                                          C.seq >= 0)).scalar_one()
        self._insert_rows(conn, Recovery, [{"decision_id": decision_id, "kind": kind, "seq": seq, "amount_fen": amount,
                                            "reason": reason}], actor=actor, action=f"recover_{kind}", reason=reason)
        return conn.execute(select(C.id).where(C.decision_id == decision_id, C.kind == kind, C.seq == seq)).scalar_one()

    def record_recovery_receipt(self, recovery_id: int, actor: str, *, amount_fen: int,
                                received_on: date | None = None, reference: str | None = None) -> dict[str, Any]:
        """The unit paid (part of) a recovery back: agencies take a recovery in instalments (outside casework audit,
        session 39), so a receipt of at most what is still owed is recorded, each with its day (default today,
        Beijing) and bank reference; the order stays open (部分到账) until the receipts sum to it. The same receipt
        twice (the same reference; without one, the same amount on the same day) is refused, never counted twice.
        Returns recovery_id, receipt_id, amount_fen, received_fen, owed_fen."""
        actor = self._need_actor(actor, "recovery_receipt")
        day = _today(received_on)
        ref_text = (reference or "").strip() or None
        if ref_text is not None and len(ref_text) > 128:
            raise LedgerError("bad_reference", "到账凭证号过长（最多 128 个字符）", "the bank reference is too long (128 at most)")
        if amount_fen <= 0:
            raise LedgerError("amount_invalid", f"到账金额须大于 0，收到 {format_yuan(amount_fen)}",
                              f"a receipt must be above 0, got {fen_to_yuan(amount_fen)} yuan")
        key = f"ref:{ref_text}" if ref_text else f"{amount_fen}@{day.isoformat()}"
        with self._tx() as conn:
            C, K = Recovery.__table__.c, RecoveryReceipt.__table__.c
            # (the order locked on PostgreSQL: two receipts at once never sum above it)
            r = conn.execute(select(C.amount_fen, C.decision_id).where(C.id == recovery_id).with_for_update()).first()
            if r is None or r[0] <= 0:  # (a cancellation row is no order)
                raise _err_not_found("追回单", "recovery order", recovery_id)
            # the order, its cancellations and its receipts as their events say, before what is owed is reckoned
            # (outside ledger audit, session 41: an order raised by SQL took a receipt of 100,779.62元)
            self._checked(conn, [int(r[1])], "登记追回到账", "recording the receipt")
            amount = int(r[0])
            got = int(conn.execute(select(func.coalesce(func.sum(K.amount_fen), 0))
                                   .where(K.recovery_id == recovery_id)).scalar_one())
            if recovery_id in self._cancelled_recoveries(conn, r[1]):
                raise LedgerError("recovery_cancelled", f"追回单 {recovery_id} 已撤销（划型变更后重新计算多退少补"
                                  f"{f'，撤销前已到账 {format_yuan(got)}' if got else ''}），不能登记到账",
                                  f"recovery {recovery_id} was cancelled (reckoned again after a resize)")
            same = conn.execute(select(K.amount_fen, K.received_on).where(K.recovery_id == recovery_id,
                                                                          K.receipt_key == key)).first()
            if same is not None:
                how = f"凭证号 {ref_text}" if ref_text else f"{day} 到账 {format_yuan(amount_fen)}"
                raise LedgerError("already_received",
                                  f"追回单 {recovery_id} 的这笔到账（{how}）已登记（{format_yuan(int(same[0]))}），"
                                  "不重复计入；同日同额的另一笔到账请以 --reference 注明银行凭证号",
                                  f"recovery {recovery_id}: this receipt ({key}) is already recorded, not counted "
                                  "twice; give another receipt of the same amount and day its bank reference")
            owed = amount - got
            if owed <= 0:
                raise LedgerError("already_received", f"追回单 {recovery_id} 已全额到账（{format_yuan(amount)}）",
                                  f"recovery {recovery_id} already received in full ({fen_to_yuan(amount)} yuan)")
            if amount_fen > owed:
                raise LedgerError("amount_mismatch",
                                  f"到账金额 {format_yuan(amount_fen)}超过追回单 {recovery_id} 尚欠的 "
                                  f"{format_yuan(owed)}（应追回 {format_yuan(amount)}，已到账 {format_yuan(got)}）",
                                  f"received {fen_to_yuan(amount_fen)} yuan, above the {fen_to_yuan(owed)} yuan still "
                                  f"owed on recovery {recovery_id} ({fen_to_yuan(amount)} due, {fen_to_yuan(got)} received)")
            left = owed - amount_fen
            ref, n = self._insert_rows(
                conn, RecoveryReceipt, [{"recovery_id": recovery_id, "amount_fen": amount_fen, "received_on": day,
                                         "reference": ref_text, "receipt_key": key}],
                actor=actor, action="recovery_receipt",
                reason=f"追回单 {recovery_id} {'全额到账' if left == 0 else f'部分到账，尚欠 {format_yuan(left)}'}",
                after={"recovery_id": recovery_id, "received_on": day.isoformat(), "reference": ref_text,
                       "received_fen": got + amount_fen, "owed_fen": left})
            if n != 1:
                raise LedgerError("already_received", f"追回单 {recovery_id} 的这笔到账已登记，不重复计入",
                                  f"recovery {recovery_id}: this receipt is already recorded")
            rid = conn.execute(select(K.id).where(K.audit_ref == ref)).scalar_one()
        return {"recovery_id": recovery_id, "receipt_id": int(rid), "amount_fen": amount_fen,
                "received_fen": got + amount_fen, "owed_fen": left, "recovery_fen": amount}

    # -------------------------------------------------------- dispatch
    def record_transfer(self, allocation_id: int, actor: str, *, amount_fen: int, voucher: str) -> int:
        """The dispatch firm passed money on to a user unit (拨付凭证)."""
        actor = self._need_actor(actor, "dispatch_transfer")
        with self._tx() as conn:
            A, T = Allocation.__table__.c, Transfer.__table__.c
            a = conn.execute(select(Allocation.__table__).where(A.id == allocation_id)).mappings().first()
            if a is None:
                raise _err_not_found("用工单位分配", "user-unit allocation", allocation_id)
            d = self._load(conn, a["decision_id"])
            if d["state"] != "paid":
                raise LedgerError("transition_refused", "返还资金尚未发放给派遣单位，不能登记拨付",
                                  "the refund has not been paid to the dispatch firm yet")
            done, seq = conn.execute(select(func.coalesce(func.sum(T.amount_fen), 0), func.count())
                                     .where(T.allocation_id == allocation_id)).one()
            if amount_fen <= 0 or done + amount_fen > a["amount_fen"]:
                raise LedgerError("transfer_exceeds", f"拨付金额须为正，且累计不超过分配额 {format_yuan(a['amount_fen'])}（已拨付 {format_yuan(done)}）",
                                  f"transfer must be positive and total at most {fen_to_yuan(a['amount_fen'])} yuan "
                                  f"({fen_to_yuan(done)} yuan done)")
            ref, _ = self._insert_rows(conn, Transfer, [{"allocation_id": allocation_id, "seq": seq,
                                                         "amount_fen": amount_fen, "voucher": voucher}],
                                       actor=actor, action="dispatch_transfer")
            return conn.execute(select(T.id).where(T.audit_ref == ref)).scalar_one()

    def report_dispatch_misuse(self, decision_id: int, actor: str, *, reason: str,
                               amount_fen: int | None = None) -> int | None:
        """未按规定拨付和使用: recover the untransferred (or given) part and 取消下一年度申领资格 (晋人社厅发〔2024〕28号 五
        “要求其退回未使用和拨付部分，并取消下一年度申领资格”).

        The firm returns only money it received (docs/casework.md "Money sent", ``_stop_and_recover``): its payments
        not sent are withdrawn and its entitlement is lowered by the part to return, so a re-payment pays only the
        rest; with a payment sent and unanswered, the recovery waits for the bank. Returns the recovery id, or None
        when nothing was actually paid to recover yet (withdrawn, or waiting: ``decision()["recovery_pending"]``)."""
        actor = self._need_actor(actor, "recover")
        with self._tx() as conn:
            d = self._load(conn, decision_id)
            Q, C = Disqualification.__table__.c, Recovery.__table__.c
            if d["origin"] == "dispatch" and conn.execute(select(exists().where(
                    Q.source_decision_id == decision_id))).scalar_one():  # reported already: idempotent
                return conn.execute(select(C.id).where(C.decision_id == decision_id, C.kind == "dispatch_misuse",
                                                       C.seq == 0)).scalar()
            if d["origin"] != "dispatch" or d["state"] != "paid":
                raise LedgerError("transition_refused", "仅能对已发放的劳务派遣单位返还登记违规使用",
                                  "misuse applies only to a paid dispatch-firm refund")
            A, T = Allocation.__table__.c, Transfer.__table__.c
            alloc = conn.execute(select(func.coalesce(func.sum(A.amount_fen), 0)).where(A.decision_id == decision_id)).scalar_one()
            moved = conn.execute(select(func.coalesce(func.sum(T.amount_fen), 0)).select_from(
                Transfer.__table__.join(Allocation.__table__, T.allocation_id == A.id)).where(A.decision_id == decision_id)).scalar_one()
            due = amount_fen if amount_fen is not None else int(alloc) - int(moved)
            if due <= 0 or due > self._net_paid(conn, decision_id, ("overpayment",)):
                raise LedgerError("bad_amount", f"应退回金额 {format_yuan(due)}无效",
                                  f"recovery amount {fen_to_yuan(due)} yuan is not valid")
            _, ent, _ = self._entitlement(conn, d)
            # the recovery, its wait and the lowered entitlement say their basis, whichever path orders it (at once,
            # when the bank answers, or after a credit check): never 多退少补
            basis = f"派遣单位未按规定拨付和使用，退回未拨付部分（晋人社厅发〔2024〕28号 五）：{reason}"
            rid = self._stop_and_recover(conn, d, "dispatch_misuse", actor, basis, wanted=due,
                                         keep=max((ent or 0) - due, 0))
            self._insert_rows(conn, Disqualification, [{"unit_id": d["unit_id"], "program": d["program"],
                                                        "year": d["year"] + 1, "source_decision_id": decision_id,
                                                        "reason": reason}], actor=actor, action="disqualify", reason=reason)
            return rid

    # ------------------------------------------ duplicate training subsidies
    def recover_duplicate_subsidies(self, person_id: str, actor: str, *, scope: str = DUPLICATE_SCOPE_DEFAULT) -> list[int]:
        """技能提升补贴和职业培训补贴不得重复享受: recover from the later one (兵团征求意见稿 一（三）
        “技能提升补贴和职业培训补贴不得重复享受，对重复享受的，按照后享受的单位或个人退回资金的原则，追回重复享受的补贴资金”).

        ``scope`` is which two subsidies count as the same (legal review A7), with the same readings as the
        rules' switch: ``same_occupation`` (default, as the rules), ``same_occupation_level``, or ``any``
        (any training subsidy). The subsidies considered are the person's decisions of either program with a payment.

        享受 is the money leaving (docs/casework.md "Money sent"): a decision has enjoyed its subsidy from the moment
        its first payment that was not bounced or withdrawn (``ENJOYED_FATES``) was sent (``_sent_seq``: the bank file
        it went out in was recorded, or it was paid on the spot) — not when a payment row was created. Within one
        scope group the decision that enjoyed first keeps its money (ties, one bank file: the payment created first);
        every decision of the other program yields (``_stop_and_recover``: what was actually paid is recovered,
        waiting for the bank when unanswered; payments not sent are withdrawn; its entitlement becomes 0 while money
        could still go out). A decision none of whose payments was sent (or whose sent ones all bounced) has not
        enjoyed anything and never keeps against one that has. When no decision of the group has enjoyed anything,
        nothing was paid twice and nothing is recovered, but the decision whose payment was created first is the one
        to be paid: the other program's unsent payments are withdrawn and its entitlement set to 0, so the person is
        never paid twice. A program whose decision an earlier run made yield stays the later one (a bounce of the
        keeper's payment since does not turn the order round: a recovery is not undone). Returns the recovery ids
        ordered (or already ordered: idempotent)."""
        actor = self._need_actor(actor, "recover")
        if scope not in DUPLICATE_SCOPES:
            raise LedgerError("bad_scope", f"重复享受的范围只能是 {'/'.join(DUPLICATE_SCOPES)}",
                              f"scope must be one of {DUPLICATE_SCOPES}")
        with self._tx() as conn:
            rows = conn.execute(
                select(D.id, D.program, D.claim_key, P.id.label("pid"), P.seq, P.kind, self._fate().label("fate"),
                       self._sent_seq().label("sent_seq"))
                .select_from(Decision.__table__.join(Payment.__table__, P.decision_id == D.id))
                .where(D.unit_id == person_id, D.program.in_(DUPLICATE_PROGRAMS)).order_by(P.id)
            ).all()
            subs: dict[int, dict[str, Any]] = {}
            for r in rows:
                sub = subs.setdefault(r.id, {"id": r.id, "program": r.program, "claim_key": r.claim_key or "",
                                             "first_pay": r.pid, "enjoyed": None})
                if r.fate in ENJOYED_FATES and r.sent_seq is not None:
                    at = (int(r.sent_seq), r.pid, payment_reference(r.id, r.seq, r.kind))
                    if sub["enjoyed"] is None or at < sub["enjoyed"]:
                        sub["enjoyed"] = at
            # decisions an earlier run made yield (a duplicate recovery, or the entitlement set to 0): not reversed
            C, R = Recovery.__table__.c, Recomputation.__table__.c
            yielded = set(conn.execute(select(C.decision_id).where(
                C.decision_id.in_(list(subs)), C.kind == "duplicate_subsidy")).scalars()) | set(conn.execute(
                    select(R.decision_id).where(R.decision_id.in_(list(subs)),
                                                R.kind == RECOMPUTE_KIND["duplicate_subsidy"])).scalars())
            groups: dict[str, list[dict[str, Any]]] = {}
            for sub in subs.values():
                groups.setdefault(DUPLICATE_SCOPES[scope](sub["claim_key"]), []).append(sub)
            out = []
            for group in groups.values():
                if {sub["program"] for sub in group} != set(DUPLICATE_PROGRAMS):
                    continue
                gave_way = {sub["program"] for sub in group if sub["id"] in yielded}
                # an earlier run found one program the later: it stays so (a payment of the keeper that bounced since
                # does not turn it round — a recovery ordered is not undone, and the person must keep one subsidy)
                keepers = [sub for sub in group if len(gave_way) != 1 or sub["program"] not in gave_way]
                enjoyed = [sub for sub in keepers if sub["enjoyed"] is not None]
                if enjoyed:  # the first to enjoy keeps; a tie (one bank file): the payment created first
                    first = min(enjoyed, key=lambda sub: sub["enjoyed"][:2])
                    why = (f"决定 {first['id']}（{PROGRAM_ZH[first['program']]}）的付款 {first['enjoyed'][2]} 先发出，"
                           "本决定为后享受的一方：已发放的退回，未发出的不再发放")
                else:  # nothing sent: nobody enjoyed; the one arranged first is the one to be paid
                    first = min(keepers, key=lambda sub: (sub["first_pay"], sub["id"]))
                    why = (f"两项均尚未享受（没有已发出且未被退回的付款），决定 {first['id']}（"
                           f"{PROGRAM_ZH[first['program']]}）的付款先安排，本决定未发出的付款不再发放")
                if len(gave_way) == 1 and first["enjoyed"] is None:
                    why = (f"此前已认定{PROGRAM_ZH[next(iter(gave_way))]}为后享受的一方，决定 {first['id']}"
                           f"（{PROGRAM_ZH[first['program']]}）保留，本决定未发出的付款不再发放")
                reason = f"技能提升补贴和职业培训补贴不得重复享受，按照后享受的单位或个人退回资金的原则追回（兵团征求意见稿 一（三））：{why}"
                for later in sorted(group, key=lambda sub: sub["id"]):
                    if later["program"] == first["program"]:
                        continue
                    rid = self._stop_and_recover(conn, self._load(conn, later["id"]), "duplicate_subsidy", actor,
                                                 reason, keep=0)
                    if rid is not None:
                        out.append(rid)
            return out

    def _stop_and_recover(self, conn: Connection, d: dict[str, Any], kind: str, actor: str, reason: str, *,
                          wanted: int | None = None, keep: int) -> int | None:
        """A misuse or duplicate on decision ``d`` (docs/casework.md "Money sent"): recover only money actually paid
        and never pay what is to be returned. Its payments not sent are withdrawn (``_withdraw_unsent``: they never
        go to the bank). While its money has not all left and been answered (something withdrawn, a payment sent
        and unanswered, or the decision not paid and not ended: bounced, account fixed, held) the entitlement becomes
        ``keep`` (a recomputation of kind ``RECOMPUTE_KIND[kind]``), so a re-payment after the withdrawal or a bounce
        pays no more than that. The recovery (``_recover_sent``, seq 0:
        idempotent) is ``wanted`` (None: all), at most what was actually paid, or waits for the bank."""
        did = d["id"]
        C = Recovery.__table__.c
        done = conn.execute(select(C.id).where(C.decision_id == did, C.kind == kind, C.seq == 0)).scalar()
        if done is not None:
            return int(done)
        withdrawn = self._withdraw_unsent(conn, did, actor, f"撤回：{reason}", {"recovery_kind": kind})
        # a decision not (or no longer) paid but not ended — bounced, account fixed, back before its payment, held —
        # may still be paid: its entitlement is lowered too (a duplicate's: a bounced first payment, never paid again)
        state = self._load(conn, did)["state"]
        if withdrawn or self._unanswered_payments(conn, did) or (state != "paid" and state not in TERMINAL):
            status, ent, size = self._entitlement(conn, d)
            if ent != keep:
                self._recompute(conn, d, actor, kind=RECOMPUTE_KIND[kind], status=status, size_class=size, amount=keep,
                                reason=f"{reason}：应享受金额核定为 {format_yuan(keep)}（未报盘的付款已撤回、款项尚待银行回盘"
                                       "或尚可重新发放，重新发放不超过此数）")
        rid, _, _ = self._recover_sent(conn, did, kind, actor, reason, wanted=wanted, seq=0)
        return rid

    # ---------------------------------------------------------- queries
    def decision(self, decision_id: int) -> dict[str, Any]:
        """One decision with its entitlement, payments, recoveries and audit history."""
        with self._read() as conn:
            d = self._load(conn, decision_id)
            status, amount, size = self._entitlement(conn, d)
            R = Recomputation.__table__.c
            kinds = list(conn.execute(select(R.kind).where(R.decision_id == decision_id).order_by(R.seq)).scalars())
            # ``kind``: what set the amount last — None (the rules'), ``determination`` (人工认定: a manual amount, not
            # the rules'), ``reading`` (认定政策理解: the rules' result under the readings adopted), ``size_class``
            # (划型变更, the rules' rate) or a lowering (misuse, duplicate …); ``kinds``: all of them, in order
            d["entitlement"] = {"status": status, "amount_fen": amount, "size_class": size,
                                "kind": kinds[-1] if kinds else None, "kinds": kinds}
            d["base_fen"], d["outcomes"] = self._kept_figures(conn, d)
            d["reasons"] = json.loads(d["reasons"])
            d["readings"] = json.loads(d["readings"])
            # each with what happened to it: ``fate``, ``return_reason``, ``void_return_reason`` (``_fate``)
            d["payments"] = self._payments_with_fate(conn, decision_id)
            C = Recovery.__table__.c
            d["recoveries"] = [dict(r) for r in conn.execute(select(Recovery.__table__).where(C.decision_id == decision_id)
                                                              .order_by(C.id)).mappings()]
            # each order with its receipts (instalments) and what is still owed: the order less what was received
            # and less the part a resize cancelled (a row of minus that part, ``seq`` minus the order's id)
            K = RecoveryReceipt.__table__.c
            receipts: dict[int, list[dict[str, Any]]] = {}
            for k in conn.execute(select(K.id, K.recovery_id, K.amount_fen, K.received_on, K.reference)
                                  .where(K.recovery_id.in_([r["id"] for r in d["recoveries"]])).order_by(K.id)).mappings():
                receipts.setdefault(k["recovery_id"], []).append(dict(k))
            undone = {-r["seq"]: -r["amount_fen"] for r in d["recoveries"] if r["seq"] < 0}
            for r in d["recoveries"]:
                r["receipts"] = receipts.get(r["id"], [])
                r["received_fen"] = sum(k["amount_fen"] for k in r["receipts"])
                r["cancelled_fen"] = undone.get(r["id"], 0)
                r["owed_fen"] = max(r["amount_fen"] - r["received_fen"] - r["cancelled_fen"], 0)
            d["history"] = self._history(conn, d)
            # what stops or holds its money after a bounce: credits the bank reported for a payment recorded as
            # bounced, not yet checked (``check_credit_after_bounce``); a bounced top-up awaiting an account change
            alarms, checked = self._alarm_events(conn, decision_id)
            d["credit_alarms"] = [a for a in alarms if a["seq"] not in checked]
            # risk flags not cleared by the 稽核: no payment or top-up until they are (``_risk_flagged``)
            d["risk_flags"] = self._risk_flags(conn, {decision_id}).get(decision_id, [])
            # confirmed flags whose recovery waits for the bank's answer on a payment sent (``_settle_risk_recoveries``)
            d["risk_recovery_pending"] = self._risk_pending(conn, {decision_id})
            # a resize's, misuse's or duplicate's recovery waiting for the bank's answer (``_settle_recoveries``)
            d["recovery_pending"] = self._recovery_pending(conn, {decision_id})
            d["top_up_bounced"] = None
            if d["state"] == "paid" and self._top_up_waits(conn, decision_id):
                X = PaymentReturn.__table__.c
                d["top_up_bounced"] = dict(conn.execute(
                    select(P.id.label("payment_id"), P.seq, P.amount_fen, X.reason).select_from(
                        Payment.__table__.join(PaymentReturn.__table__, X.payment_id == P.id))
                    .where(P.decision_id == decision_id, P.kind == "supplement", self._returned())
                    .order_by(X.id.desc()).limit(1)).mappings().one())
            return d

    @staticmethod
    def _history(conn: Connection, d: dict[str, Any]) -> list[dict[str, Any]]:
        """The audit events that changed this decision: those naming it, the one that created it, the
        set-based steps listing it (``ids``) or its 公示 entry (``publicity_ref``), the batch that paid it, and the
        events that wrote its own money rows: its recomputed entitlement (多退少补), its recovery orders and their
        cancellations, the receipts of those orders and the bank's confirmations of its payments — each found by the
        ``audit_ref`` of a row of THIS decision, so another decision's rows never bring their events in (session 40:
        a unit never saw its own 多退少补 or 追回)."""
        EV, E = AuditEvent.__table__.c, PublicityEntry.__table__.c
        R, C, K = Recomputation.__table__.c, Recovery.__table__.c, RecoveryReceipt.__table__.c
        B = BankConfirmation.__table__.c
        did = d["id"]
        entry_ref = conn.execute(select(E.audit_ref).where(E.decision_id == did)).scalar_one_or_none()
        refs = {d["audit_ref"], *(p["audit_ref"] for p in d["payments"])}
        own_payments = select(P.id).where(P.decision_id == did)
        own_recoveries = select(C.id).where(C.decision_id == did)
        money = [(Recomputation.__tablename__, select(R.audit_ref).where(R.decision_id == did)),
                 (Recovery.__tablename__, select(C.audit_ref).where(C.decision_id == did)),
                 (RecoveryReceipt.__tablename__, select(K.audit_ref).where(K.recovery_id.in_(own_recoveries))),
                 (BankConfirmation.__tablename__, select(B.audit_ref).where(B.payment_id.in_(own_payments)))]
        hints = [EV.after.contains(str(did), autoescape=True)]
        if entry_ref:
            hints.append(EV.after.contains(entry_ref, autoescape=True))
        rows = conn.execute(
            select(EV.seq, EV.at, EV.actor, EV.action, EV.entity, EV.entity_id, EV.ref, EV.reason, EV.before, EV.after)
            .where(or_(and_(EV.entity == "case_decisions", EV.entity_id == str(did)),
                       and_(EV.ref.in_(refs), EV.entity.in_(("case_decisions", "case_payments"))),
                       *(and_(EV.entity == name, EV.ref.in_(own)) for name, own in money),
                       and_(EV.entity == "case_decisions", EV.entity_id.is_(None), EV.ref.is_(None), or_(*hints))))
            .order_by(EV.seq)).mappings()

        def concerns(ev: Any) -> bool:
            if ev["entity_id"] is not None or ev["ref"] is not None:
                return True  # selected by its id or by a ref this decision's rows carry
            after = json.loads(ev["after"] or "null")
            return isinstance(after, dict) and (did in (after.get("ids") or ())
                                                or (entry_ref is not None and after.get("publicity_ref") == entry_ref))

        return [{k: ev[k] for k in ("seq", "at", "actor", "action", "reason", "before", "after")}
                for ev in rows if concerns(ev)]

    def read(self, stmt: Any) -> list[dict[str, Any]]:
        """Run a read-only SELECT (e.g. ``casework.query.select_decisions``); rows as dicts."""
        with self._read() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def find(self, *, program: str, year: int, unit_id: str, claim_key: str = "") -> int | None:
        with self._read() as conn:
            return conn.execute(select(D.id).where(D.program == program, D.year == year, D.unit_id == unit_id,
                                                   D.claim_key == claim_key)).scalar_one_or_none()

    def balances(self, *, unit_id: str | None = None, program: str | None = None) -> list[dict[str, Any]]:
        """Per (unit, program), in fen. As the money tables hold it (``reconcile``'s identity): ``paid_fen`` every
        payment row, sent or not; ``returned_fen`` the returns that count (``_returned``: bounces, not one the bank
        contradicted and a 复核 found void, and withdrawals); ``recovery_due_fen`` / ``recovered_fen`` recoveries
        ordered / received; ``net_fen`` = paid − returned − received. By what happened to each payment (``_fate``;
        docs/casework.md "Money sent"): ``withdrawn_fen`` withdrawn before it was sent (in paid and in returned, it
        never left), ``not_sent_fen`` in a batch and in no bank file yet, ``with_bank_fen`` in a bank file and not
        answered; ``sent_fen`` = paid − withdrawn − not sent (what left: credited, returned, with the bank, paid
        outside a batch), ``bounced_fen`` = returned − withdrawn (money sent and sent back), ``net_sent_fen`` = sent −
        bounced − received = net − not sent. A unit reads sent, bounced and net sent as 已发放, 退回 and 净额."""
        X, C, K = PaymentReturn.__table__.c, Recovery.__table__.c, RecoveryReceipt.__table__.c
        conds = [c for c in (D.unit_id == unit_id if unit_id else None, D.program == program if program else None)
                 if c is not None]
        F = select(D.unit_id, D.program, P.amount_fen, self._fate().label("fate")).select_from(
            Decision.__table__.join(Payment.__table__, P.decision_id == D.id)).where(*conds).subquery()
        queries = {
            "returned_fen": select(D.unit_id, D.program, func.sum(X.amount_fen)).select_from(
                PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id)
                .join(Decision.__table__, P.decision_id == D.id)).where(self._returned()),
            "recovery_due_fen": select(D.unit_id, D.program, func.sum(C.amount_fen)).select_from(
                Recovery.__table__.join(Decision.__table__, C.decision_id == D.id)),
            "recovered_fen": select(D.unit_id, D.program, func.sum(K.amount_fen)).select_from(
                RecoveryReceipt.__table__.join(Recovery.__table__, K.recovery_id == C.id)
                .join(Decision.__table__, C.decision_id == D.id)),
        }
        fated = {"withdrawn": "withdrawn_fen", "not_sent": "not_sent_fen", "sent": "with_bank_fen"}
        out: dict[tuple[str, str], dict[str, Any]] = {}

        def row(u: str, prog: str) -> dict[str, Any]:
            return out.setdefault((u, prog), {"unit_id": u, "program": prog, "paid_fen": 0, "returned_fen": 0,
                                              "recovery_due_fen": 0, "recovered_fen": 0, "withdrawn_fen": 0,
                                              "not_sent_fen": 0, "with_bank_fen": 0})

        with self._read() as conn:
            for u, prog, fate, s in conn.execute(select(F.c.unit_id, F.c.program, F.c.fate, func.sum(F.c.amount_fen))
                                                 .group_by(F.c.unit_id, F.c.program, F.c.fate)):
                r = row(u, prog)
                r["paid_fen"] += int(s or 0)
                if fate in fated:
                    r[fated[fate]] += int(s or 0)
            for name, q in queries.items():
                for u, prog, s in conn.execute(q.where(*conds).group_by(D.unit_id, D.program)):
                    row(u, prog)[name] = int(s or 0)
        for r in out.values():
            r["net_fen"] = r["paid_fen"] - r["returned_fen"] - r["recovered_fen"]
            r["recovery_outstanding_fen"] = r["recovery_due_fen"] - r["recovered_fen"]
            r["sent_fen"] = r["paid_fen"] - r["withdrawn_fen"] - r["not_sent_fen"]
            r["bounced_fen"] = r["returned_fen"] - r["withdrawn_fen"]
            r["net_sent_fen"] = r["sent_fen"] - r["bounced_fen"] - r["recovered_fen"]
        return sorted(out.values(), key=lambda r: (r["unit_id"], r["program"]))

    def reconcile(self) -> dict[str, Any]:
        """Money tables against the audit events that created them, and against the per-unit balances."""
        EV = AuditEvent.__table__.c
        report: dict[str, Any] = {"ok": True}
        with self._read() as conn:
            for model in (Payment, PaymentReturn, Recovery, RecoveryReceipt):
                name = model.__tablename__
                t = int(conn.execute(select(func.coalesce(func.sum(model.__table__.c.amount_fen), 0))).scalar_one())
                e = sum(json.loads(a).get("amount_fen", 0) for a in conn.execute(
                    select(EV.after).where(EV.entity == name, EV.content_hash.is_not(None))).scalars())
                report[name] = {"table_fen": t, "events_fen": e}
                report["ok"] &= t == e
            # returns found void by a credit check (the bank confirmed the same payment): not money back
            X = PaymentReturn.__table__.c
            report["voided_returns_fen"] = int(conn.execute(select(func.coalesce(func.sum(X.amount_fen), 0))
                                                            .where(~self._returned())).scalar_one())
            # what balances reads by each payment's fate (``_fate``), found again by the other road: the return
            # rows written as withdrawals, the payments not sent (``_not_sent``) and those with the bank
            # (``_unanswered``)
            EV2 = AuditEvent.__table__.alias("ev")
            fates = {
                "withdrawn_fen": select(func.coalesce(func.sum(X.amount_fen), 0)).where(exists().where(
                    EV2.c.ref == X.audit_ref, EV2.c.action == WITHDRAWN)),
                "not_sent_fen": select(func.coalesce(func.sum(P.amount_fen), 0)).where(self._not_sent()),
                "with_bank_fen": select(func.coalesce(func.sum(P.amount_fen), 0)).where(self._unanswered()),
            }
            report["fates"] = {k: int(conn.execute(q).scalar_one()) for k, q in fates.items()}
            # recoveries ordered on a decision, all kinds together, never above what it was actually paid
            # (``_recoverable``; docs/casework.md "Money sent"): each decision where they are is a problem
            C = Recovery.__table__.c
            ordered = {int(did): int(s) for did, s in conn.execute(
                select(C.decision_id, func.sum(C.amount_fen)).group_by(C.decision_id))}
            paid: dict[int, int] = {}
            if ordered:
                for did, s in conn.execute(select(P.decision_id, func.sum(P.amount_fen)).where(
                        P.decision_id.in_(sorted(ordered)), self._sent()).group_by(P.decision_id)):
                    paid[int(did)] = int(s or 0)
                for did, s in conn.execute(select(P.decision_id, func.sum(X.amount_fen)).select_from(
                        PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id)).where(
                        P.decision_id.in_(sorted(ordered)), self._sent(), self._returned()).group_by(P.decision_id)):
                    paid[int(did)] = paid.get(int(did), 0) - int(s or 0)
            report["recovered_above_paid"] = [
                {"decision_id": did, "recovery_fen": fen, "paid_fen": paid.get(did, 0),
                 "zh": f"决定 {did} 下达的追回 {format_yuan(fen)} 超过实际发放金额 {format_yuan(paid.get(did, 0))}",
                 "en": f"decision {did}: recoveries ordered ({fen} fen) exceed what was actually paid "
                       f"({paid.get(did, 0)} fen)"}
                for did, fen in sorted(ordered.items()) if fen > paid.get(did, 0)]
            report["ok"] &= not report["recovered_above_paid"]
            # what came back on an order never above the order (``record_recovery_receipt``): an order raised by SQL
            # while a receipt was taken on it, then set back (outside ledger audit, session 41)
            K = RecoveryReceipt.__table__.c
            got = select(K.recovery_id, func.sum(K.amount_fen).label("fen")).group_by(K.recovery_id).subquery()
            report["receipts_above_order"] = [
                {"recovery_id": int(rid), "decision_id": int(did), "recovery_fen": int(fen), "received_fen": int(x),
                 "zh": f"追回单 {rid}（决定 {did}）的到账合计 {format_yuan(int(x))}超过追回金额 {format_yuan(int(fen))}",
                 "en": f"recovery {rid} (decision {did}): receipts total {int(x)} fen, above the {int(fen)} fen ordered"}
                for rid, did, fen, x in conn.execute(
                    select(C.id, C.decision_id, C.amount_fen, got.c.fen)
                    .select_from(Recovery.__table__.join(got, got.c.recovery_id == C.id))
                    .where(got.c.fen > C.amount_fen).order_by(C.id))]
            report["ok"] &= not report["receipts_above_order"]
        bal = self.balances()
        net = sum(r["net_fen"] for r in bal)
        expect = (report["case_payments"]["table_fen"] - report["case_payment_returns"]["table_fen"]
                  + report["voided_returns_fen"] - report["case_recovery_receipts"]["table_fen"])
        report["net_fen"] = net
        report["expect_net_fen"] = expect  # what ``reconcile_lines`` names when the two differ
        report["ok"] &= net == expect
        # withdrawals count in paid and in returned alike (net unchanged); what was sent, net of bounces and
        # recoveries received, is net less what is not sent yet: net_sent = net − not_sent
        report["balance_fates"] = {k: sum(r[k] for r in bal) for k in report["fates"]}
        for k, v in report["fates"].items():
            report["ok"] &= report["balance_fates"][k] == v
        report["net_sent_fen"] = sum(r["net_sent_fen"] for r in bal)
        report["ok"] &= report["net_sent_fen"] == net - report["fates"]["not_sent_fen"]
        return report

    def verify_audit(self) -> audit.VerifyReport:
        """The chain, the rows it covers, and every decision's workflow columns rebuilt from the events."""
        with self._read() as conn:
            rep = audit.verify(conn)
            proj = projection.Projection.build(conn)
            proj.reused_payment_ids(conn, rep)  # a payment id given again after payments were deleted
            rep.issues += proj.issues
            rep.issues += [diff.issue() for diff in proj.differences(conn)]
            rep.issues += [diff.issue() for diff in proj.bank_differences(conn)]
            rep.issues += operators.verify(conn)  # roles and enabled flags, rebuilt from their events
            rep.ok = not rep.issues
            if proj.legacy:
                rep.warn(f"{len(proj.legacy)} 个决定创建于迁移 0003 之前，其初始状态与账户未被哈希覆盖"
                         f"（其中 {proj.legacy_account_changes} 次账户变更未经第二人复核）",
                         f"{len(proj.legacy)} decisions predate migration 0003: their starting state and account are "
                         f"not covered by a hash ({proj.legacy_account_changes} account changes without a second "
                         "person's approval)")
            return rep

    def counts(self) -> dict[str, int]:
        with self._read() as conn:
            return {name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for name, t in Base.metadata.tables.items()}

    # ------------------------------------------- views for the documents (casework/outputs.py)
    def select_ids(self, *, program: str | None = None, year: int | None = None,
                   states: Sequence[str] | None = None) -> list[int]:
        """Decision ids by program, year and state, in id order."""
        conds = [c for c in (D.program == program if program else None, D.year == year if year else None,
                             D.state.in_(list(states)) if states else None) if c is not None]
        with self._read() as conn:
            return list(conn.execute(select(D.id).where(*conds).order_by(D.id)).scalars())

    def publicity_view(self, list_key: str) -> dict[str, Any]:
        """A 公示 list with its decisions: name, code, the amount as posted (``amount_fen``) and today's entitlement
        (``amount_now_fen``), state and whether a 复审 approved it."""
        L, E, V = PublicityList.__table__.c, PublicityEntry.__table__.c, Review.__table__.c
        passed = exists().where(V.decision_id == D.id, V.stage == 2, V.approve == 1)
        with self._read() as conn:
            lst = conn.execute(select(PublicityList.__table__).where(L.list_key == list_key)).mappings().first()
            if lst is None:
                raise _err_not_found("公示名单", "publicity list", list_key)
            # the amount as posted: the entitlement when the decision was put on the list (the latest recomputation
            # before it), not today's — a list printed again after a 划型变更 had shown the new amount under the old
            # 公示期 and 落款 (outside reports audit, session 41); today's entitlement beside it
            R = Recomputation.__table__.c
            listed, recomputed = AuditEvent.__table__.alias("listed_ev"), AuditEvent.__table__.alias("recomputed_ev")
            listed_at = select(func.min(listed.c.seq)).where(listed.c.ref == E.audit_ref).scalar_subquery()
            posted = (select(R.new_amount_fen).select_from(Recomputation.__table__.join(
                recomputed, recomputed.c.ref == R.audit_ref)).where(R.decision_id == D.id, recomputed.c.seq < listed_at)
                .order_by(R.seq.desc()).limit(1).scalar_subquery())
            rows = [dict(r) for r in conn.execute(
                select(D.id, D.unit_id, D.unit_name, D.region_code, D.program, D.year, D.policy_doc, D.clause, D.state,
                       func.coalesce(posted, D.amount_fen).label("amount_fen"),
                       self._amount_sql().label("amount_now_fen"), passed.label("second_review_passed"))
                .select_from(PublicityEntry.__table__.join(Decision.__table__, E.decision_id == D.id))
                .where(E.list_id == lst["id"]).order_by(D.id)).mappings()]
        for r in rows:
            r["second_review_passed"] = bool(r["second_review_passed"])
        return {**dict(lst), "entries": rows}

    def letter_view(self, decision_id: int) -> dict[str, Any]:
        """``decision`` plus what a letter states: the reviews, the disqualification and the bank's returns (by each
        payment's ``fate``: ``returns`` maps a returned payment to its reason; a payment withdrawn before it was
        sent never left, so the letter does not list it)."""
        d = self.decision(decision_id)
        V, Q = Review.__table__.c, Disqualification.__table__.c
        with self._read() as conn:
            d["reviews"] = [dict(r) for r in conn.execute(
                select(V.stage, V.reviewer, V.approve, V.reason).where(V.decision_id == decision_id)
                .order_by(V.stage)).mappings()]
            d["disqualification"] = conn.execute(select(Q.reason).where(
                Q.unit_id == d["unit_id"], Q.program == d["program"], Q.year == d["year"])).scalar_one_or_none()
            d["settlement"] = self._settlement_lines(conn, d)
        d["returns"] = {p["id"]: p["return_reason"] for p in d["payments"] if p["fate"] == "returned"}
        d["payments"] = [p for p in d["payments"] if p["fate"] != "withdrawn"]
        return d

    def _settlement_lines(self, conn: Connection, d: dict[str, Any]) -> list[str]:
        """What a 决定书 says of a 划型变更 (多退少补, docs/casework.md "Money sent"): each change with its day (Beijing)
        and basis, then the amount now 核定, what was paid, what is to be returned (and what of it was received) or
        topped up. Empty when the decision was never resized (outside audit, session 39: a letter after a resize read
        “核定…538.92元” and “已将人民币1,077.84元发放” with no word of the 538.92元 to be returned or why)."""
        from wengang.money import fen_to_yuan

        def yuan(fen: int) -> str:
            return f"人民币{fen_to_yuan(fen):,}元"

        did = d["id"]
        R, EV, C, K = (Recomputation.__table__.c, AuditEvent.__table__.c, Recovery.__table__.c,
                       RecoveryReceipt.__table__.c)
        resizes = conn.execute(select(R.new_size_class, R.new_amount_fen, R.reason, R.audit_ref)
                               .where(R.decision_id == did, R.kind == "size_class").order_by(R.seq)).all()
        if not resizes:
            return []
        lines = []
        for r in resizes:
            at = conn.execute(select(func.min(EV.at)).where(EV.ref == r.audit_ref)).scalar_one()
            day = datetime.fromisoformat(at).astimezone(timezone(timedelta(hours=8))).date() if at else None
            when = f"{day.year}年{day.month}月{day.day}日" if day else ""
            lines.append(f"{when}，因划型变更，企业划型调整为{SIZE_CLASS_ZH.get(r.new_size_class, r.new_size_class)}企业，"
                         f"核定金额调整为{yuan(int(r.new_amount_fen))}（依据：{r.reason}）。")
        ent = int(d["entitlement"]["amount_fen"] or 0)

        def total(*fates: str) -> int:
            return sum(int(p["amount_fen"]) for p in d["payments"] if p["fate"] in fates)

        paid, in_bank, scheduled = total("credited", "paid_direct"), total("sent"), total("not_sent")
        cancelled = self._cancelled_recoveries(conn, did)
        got = select(K.recovery_id, func.sum(K.amount_fen).label("fen")).group_by(K.recovery_id).subquery()
        orders = conn.execute(select(C.id, C.amount_fen, func.coalesce(got.c.fen, 0))
                              .select_from(Recovery.__table__.outerjoin(got, got.c.recovery_id == C.id))
                              .where(C.decision_id == did, C.kind == "overpayment", C.amount_fen > 0)
                              .order_by(C.id)).all()
        received = sum(int(x) for _, _, x in orders)
        owed = sum(int(a) - int(x) for i, a, x in orders if i not in cancelled)
        money = f"多退少补：现核定金额{yuan(ent)}，已发放{yuan(paid)}"
        if in_bank:
            money += f"，另有{yuan(in_bank)}已报送银行、待确认入账"
        if scheduled:
            money += f"，另有{yuan(scheduled)}待报送银行发放"
        if received:
            money += f"，已收到退回{yuan(received)}"
        if owed > 0:
            money += f"，多发的{yuan(owed)}应予退回（尚未收到），本机构将另行通知退回方式"
        due = ent - self._net_paid(conn, did, ("overpayment",))
        if due > 0:
            money += f"，应补发{yuan(due)}，将发放至原收款账户"
        elif owed <= 0 and not in_bank and not scheduled and paid - received == ent:
            money += "，已结清"
        lines.append(money + "。")
        return lines
