"""The risk-flag review queue (风险疑点核查): flags from ``wengang risk screen`` reviewed by the 稽核.

* **import** — the flags of a run, stored as found; a flag already stored (same ``flag_key``: the same check on
  the same record) is not stored again, so importing a run twice, or two overlapping runs, adds nothing.
* **clear** — 排除 with a reason (the verdict is final: one per flag).
* **confirm** — 核实: the flag's decision in the ledger (same program, subject, year, and claim key when the
  flag has one) is settled by what its money has done (docs/casework.md "Money sent"):
  - its payments not sent yet (in a payment batch, in no bank file) are withdrawn in the same transaction
    (``Ledger._withdraw_unsent``, audit ``withdraw_payment`` naming the flag): they never go to the bank, and a
    decision paid only by them goes back to the state it had before (复审通过/公示), still held by the flag;
  - while a payment of it is sent and unanswered by the bank, no recovery is ordered: the wait is recorded
    (audit ``risk_recovery_pending``) and settled when the bank answers (``Ledger._settle_risk_recoveries``:
    bounced — nothing to recover; credited — the recovery is ordered then);
  - otherwise a recovery (追回) of the amount at risk, at most what was actually paid (``Ledger._recoverable``:
    payments sent, less returns — never the entitlement, never money not sent) less every recovery already
    ordered on the decision;
  a flag whose decision is in the ledger but has no money paid to recover is linked, and the note says what ends it
  (``confirmed_flag_advice``: after approval a 复核 revokes it, ``Ledger.revoke``; before, it is refused in review);
  a flag with no decision here is recorded for referral (移交) to whoever paid it.

Each step needs the 稽核 role (roles.ACTIONS ``risk_import`` / ``risk_review``), runs in one ledger transaction
and is an audit event covering the rows it wrote (the recovery is its own event, as every recovery).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import and_, func, select

from wengang.money import fen_to_yuan, format_yuan

from . import audit
from .errors import LedgerError
from .models import Decision, RiskFlag, RiskReview, stored_claim_keys

F = RiskFlag.__table__.c
R = RiskReview.__table__.c
D = Decision.__table__.c
FLAG_COLUMNS = (
    "flag_key", "check_id", "severity", "program", "year", "subject_id", "subject_name", "claim_key", "region_code",
    "record", "amount_fen", "label", "citation", "quote", "evidence",
)  # fmt: skip
STATUS_ZH = {"open": "待核查", "cleared": "已排除", "confirmed": "已核实"}
# a confirmed flag whose recovery waits for the bank's answer on a payment sent and unanswered (audit actions on the
# decision): ``confirm_flag`` records the wait, ``Ledger._settle_risk_recoveries`` closes it once every payment of the
# decision has its answer — a bounce leaves nothing to recover, a credit has the recovery ordered then
RISK_RECOVERY_PENDING = "risk_recovery_pending"
RISK_RECOVERY_SETTLED = "risk_recovery_settled"


@dataclass
class ImportOutcome:
    given: int
    new: int

    @property
    def existing(self) -> int:
        return self.given - self.new


@dataclass
class ConfirmOutcome:
    flag_id: int
    decision_id: int | None
    recovery_id: int | None
    amount_fen: int | None
    referral: bool
    note_zh: str
    note_en: str = ""
    withdrawn: list[int] = field(default_factory=list)  # payments not sent, withdrawn (never go to the bank)
    awaiting_bank: list[str] = field(default_factory=list)  # references sent and unanswered: the recovery waits


def _bad_evidence(evidence: pl.Series) -> list[int]:
    """The 1-based rows whose ``evidence`` is neither empty nor a JSON object: the queue reads it back as one, and a
    flag it cannot read would break the whole list (``risk list``)."""
    bad = []
    for i, text in enumerate(evidence.to_list(), start=1):
        if not text:
            continue
        try:
            ok = isinstance(json.loads(text), dict)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            bad.append(i)
    return bad


def import_flags(ledger: Any, flags: pl.DataFrame, actor: str, *, chunk_size: int = 50_000) -> ImportOutcome:
    """Store the flags not stored yet (one audit event per chunk that added any)."""
    actor = ledger._need_actor(actor, "risk_import")
    missing = [c for c in FLAG_COLUMNS if c not in flags.columns]
    if missing:
        raise LedgerError(
            "bad_input",
            f"疑点文件缺少字段：{'、'.join(missing)}",
            f"flags file lacks columns: {', '.join(missing)}",
        )
    # the claim a flag names in the ledger's one written form of claim keys (models.stored_claim_key): a flag keyed
    # “６-31-01-03:4” must stop the decision stored as “6-31-01-03:4” (outside audit F)
    rows = stored_claim_keys(flags.select(FLAG_COLUMNS).with_columns(
        pl.col("subject_name").fill_null(""), pl.col("claim_key").fill_null("")
    ), several_only=True)
    bad = _bad_evidence(rows.get_column("evidence"))
    if bad:
        shown = "、".join(str(i) for i in bad[:5]) + ("等" if len(bad) > 5 else "")
        raise LedgerError(
            "bad_input",
            f"疑点文件第 {shown} 行（共 {len(bad)} 行）的 evidence 字段不是 JSON 对象：文件未导入，请用 wengang risk check 重新生成",
            f"flags file rows {bad[:5]} ({len(bad)} in all): evidence is not a JSON object; nothing imported",
        )
    new = 0
    with ledger._tx() as conn:
        for start in range(0, rows.height, chunk_size):
            part = rows.slice(start, chunk_size).unique("flag_key", keep="first", maintain_order=True)
            _, n = ledger._insert_rows(
                conn, RiskFlag, part.to_dicts(), actor=actor, action="risk_import",
                after={"given": part.height},
            )  # fmt: skip
            new += n
    return ImportOutcome(rows.height, new)


def _flag(conn: Any, flag_id: int) -> dict[str, Any]:
    row = conn.execute(select(RiskFlag.__table__).where(F.id == flag_id)).mappings().first()
    if row is None:
        raise LedgerError("not_found", f"找不到风险疑点 {flag_id}", f"no risk flag {flag_id}")
    done = conn.execute(select(R.outcome).where(R.flag_id == flag_id)).first()
    if done is not None:
        raise LedgerError(
            "already_reviewed",
            f"风险疑点 {flag_id} 已处理（{STATUS_ZH[done[0]]}），不能再次处理",
            f"risk flag {flag_id} is already {done[0]}",
        )
    return dict(row)


def _review(
    ledger: Any, conn: Any, row: dict[str, Any], actor: str, action: str, reason: str, wanted: int | None = None
) -> None:
    # a confirmation records the amount it wanted recovered (the flag's, or the one given): a recovery capped by other
    # recoveries then is raised if they are cancelled later (``Ledger._raise_capped_flags``)
    after = {"flag_id": row["flag_id"]} | ({"wanted_fen": wanted} if wanted else {})
    _, n = ledger._insert_rows(conn, RiskReview, [row], actor=actor, action=action, reason=reason, after=after)
    if n != 1:  # pragma: no cover - the write lock and the check in _flag make this unreachable
        raise LedgerError(
            "already_reviewed", f"风险疑点 {row['flag_id']} 已处理", f"flag {row['flag_id']} already reviewed"
        )


def confirmed_flag_advice(decision_id: int, state: str) -> tuple[str, str]:
    """What ends a decision a confirmed flag stops (a confirmed flag is never cleared, so never "wait for the 稽核"):
    after approval and unpaid, a 复核 other than who confirmed it revokes the approval (``Ledger.revoke``, ``case
    revoke``); paid, its money is recovered and nothing more is paid; before approval, it is refused in review (held
    on arrival: released first); closed, nothing is paid. (zh, en)."""
    from .states import TERMINAL, TRANSITIONS

    if state in TRANSITIONS["revoke"].sources:
        held = state == "held"
        return (f"须由核实者以外的复核人员撤销核准、不予发放（wengang case revoke {decision_id} --reason …）"
                + ("；入库即暂缓、未经复审的，解除暂缓后在审核中不予通过" if held else ""),
                f"a reviewer other than who confirmed it revokes the approval (wengang case revoke {decision_id} "
                "--reason …)" + ("; held on arrival and never approved: release it and refuse it in review" if held
                                 else ""))
    if state == "paid":
        return ("已发的款项按实际入账金额追回（已退回或已另行追回的不再追回，见 case show），不再补发",
                "money paid is recovered as actually credited (none of what was returned or already recovered; see "
                "case show); nothing more is paid")
    if state in TERMINAL:
        return "决定已终结，不予发放", "the decision is closed; nothing is paid"
    return (f"尚未复审通过：在审核中不予通过（wengang case review {decision_id} --stage 1 或 2 --reject --reason …）",
            f"not approved yet: refuse it in review (wengang case review {decision_id} --stage 1|2 --reject)")


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise LedgerError("no_reason", "须写明理由（--reason）", "a reason is required (--reason)")
    return text


def clear_flag(ledger: Any, flag_id: int, actor: str, *, reason: str) -> None:
    """排除: the flag was looked into and is not a problem (the reason says why)."""
    actor = ledger._need_actor(actor, "risk_review")
    text = _reason(reason)
    with ledger._tx() as conn:
        _flag(conn, flag_id)
        _review(ledger, conn, {"flag_id": flag_id, "outcome": "cleared", "reason": text, "reviewer": actor,
                               "decision_id": None, "recovery_id": None, "referral": False}, actor, "risk_clear", text)  # fmt: skip


def _decision_for(conn: Any, f: dict[str, Any]) -> tuple[int | None, str]:
    cond = and_(D.program == f["program"], D.unit_id == f["subject_id"], D.year == f["year"])
    if f["claim_key"]:
        cond = and_(cond, D.claim_key == f["claim_key"])
    ids = [r[0] for r in conn.execute(select(D.id).where(cond).order_by(D.id).limit(2))]
    if len(ids) == 1:
        return ids[0], ""
    if not ids:
        return None, "台账中没有该疑点对应的决定"
    return None, "台账中有多个可能对应的决定，无法确定追回哪一个"


def confirm_flag(
    ledger: Any, flag_id: int, actor: str, *, reason: str, amount_fen: int | None = None
) -> ConfirmOutcome:
    """核实: settle the flag's decision by what its money has done (the module's docstring): withdraw its payments
    not sent, wait for the bank's answer on those sent and unanswered, else order the recovery; or link the flag,
    or record the referral. ``amount_fen`` overrides the flag's amount at risk; either is capped at what was
    actually paid (``Ledger._recoverable``). One transaction: all of it, or nothing."""
    actor = ledger._need_actor(actor, "risk_review")
    text = _reason(reason)
    if amount_fen is not None and amount_fen <= 0:
        raise LedgerError(
            "bad_amount", "追回金额须为正数（分）", "the recovery amount must be positive (fen)"
        )
    with ledger._tx() as conn:
        f = _flag(conn, flag_id)
        decision_id, why = _decision_for(conn, f)
        recovery_id = None
        due = None
        wanted: int | None = None
        withdrawn: list[int] = []
        waiting: list[dict[str, Any]] = []
        if decision_id is None:
            note = f"{why}：已记录，移交原发放机构处理"
            note_en = "no single decision of the ledger matches the flag: recorded for referral to whoever paid it"
        else:
            from wengang.risk.registry import CHECKS

            kind = CHECKS[f["check_id"]].recovery_kind if f["check_id"] in CHECKS else "risk_flag"
            basis = f"风险疑点 {flag_id} 核实：{f['label']}（{f['citation']}）：{text}"
            withdrawn = ledger._withdraw_unsent(conn, decision_id, actor, f"撤回：{basis}", {"flag_id": flag_id})
            waiting = ledger._unanswered_payments(conn, decision_id)
            wanted = amount_fen if amount_fen is not None else f["amount_fen"]
            shown = f"已撤回未报盘的付款 {withdrawn}（不再报盘、不予追回）；" if withdrawn else ""
            shown_en = f"unsent payments {withdrawn} withdrawn (never sent, nothing to recover); " if withdrawn else ""
            if waiting:
                refs = "、".join(w["reference"] for w in waiting)
                audit.append(
                    conn, actor=actor, action=RISK_RECOVERY_PENDING, entity="case_decisions", entity_id=decision_id,
                    reason=f"{basis}；付款 {refs} 已报盘、银行尚未回盘：追回待回盘后确定",
                    after={"flag_id": flag_id, "confirmed_by": actor, "kind": kind, "amount_fen": wanted,
                           "payment_ids": [w["payment_id"] for w in waiting], "label": f["label"],
                           "citation": f["citation"], "reason": text},
                )  # fmt: skip
                note = (f"{shown}决定 {decision_id} 的付款 {refs} 已报盘、银行尚未回盘，暂不追回：回盘退回的无须追回，"
                        "回盘入账的届时自动下达追回")
                note_en = (f"{shown_en}payment {refs} of decision {decision_id} is with the bank, unanswered: no "
                           "recovery yet; bounced — nothing to recover, credited — recovery ordered when the return "
                           "file is read")
            else:
                due = ledger._recoverable(conn, decision_id, "risk_flag", wanted or None)
                if due > 0:
                    recovery_id = ledger._order_recovery(conn, decision_id, kind, due, actor,
                                                         f"风险疑点核实：{f['label']}（{f['citation']}）：{text}")
                    note = f"{shown}已对决定 {decision_id} 下达追回 {format_yuan(due)}"
                    note_en = f"{shown_en}recovery of {fen_to_yuan(due)} yuan ordered on decision {decision_id}"
                else:
                    due = None
                    state = conn.execute(select(D.state).where(D.id == decision_id)).scalar_one()
                    zh, en = confirmed_flag_advice(decision_id, state)
                    note = f"{shown}决定 {decision_id} 尚无可追回的已发金额：{zh}"
                    note_en = f"{shown_en}decision {decision_id} has no money paid to recover: {en}"
        _review(ledger, conn, {"flag_id": flag_id, "outcome": "confirmed", "reason": text, "reviewer": actor,
                               "decision_id": decision_id, "recovery_id": recovery_id,
                               "referral": decision_id is None}, actor, "risk_confirm", text,
                wanted=wanted)  # fmt: skip
        return ConfirmOutcome(flag_id, decision_id, recovery_id, due, decision_id is None, note, note_en, withdrawn,
                              [w["reference"] for w in waiting])


def _select_flags(
    columns: Sequence[Any],
    *,
    status: Sequence[str] = (),
    check: Sequence[str] = (),
    severity: Sequence[str] = (),
    region: str | None = None,
    program: str | None = None,
    year: int | None = None,
    subject: str | None = None,
    ids: Sequence[int] | None = None,
) -> Any:
    bad = [s for s in status if s not in STATUS_ZH]
    if bad:
        raise LedgerError(
            "bad_input", f"状态只能是 {'、'.join(STATUS_ZH)}：{'、'.join(bad)}", f"unknown status: {bad}"
        )
    state = func.coalesce(R.outcome, "open")
    q = select(*columns).select_from(RiskFlag.__table__.outerjoin(RiskReview.__table__, R.flag_id == F.id))
    if status:
        q = q.where(state.in_(list(status)))
    if check:
        q = q.where(F.check_id.in_(list(check)))
    if severity:
        q = q.where(F.severity.in_(list(severity)))
    if region:
        q = q.where(F.region_code.startswith(re.sub(r"(00)+$", "", region.strip()) or region))
    if program:
        q = q.where(F.program == program)
    if year is not None:
        q = q.where(F.year == year)
    if subject:
        q = q.where(F.subject_id == subject.strip().upper())
    if ids is not None:
        q = q.where(F.id.in_(list(ids)))
    return q


def list_flags(
    ledger: Any,
    *,
    status: Sequence[str] = (),
    check: Sequence[str] = (),
    severity: Sequence[str] = (),
    region: str | None = None,
    program: str | None = None,
    year: int | None = None,
    subject: str | None = None,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Flags with their status (待核查/已排除/已核实) and verdict, filtered; ordered by id."""
    state = func.coalesce(R.outcome, "open")
    q = _select_flags(
        (RiskFlag.__table__, state.label("status"), R.reason.label("review_reason"), R.reviewer, R.decision_id,
         R.recovery_id, R.referral),
        status=status, check=check, severity=severity, region=region, program=program, year=year, subject=subject,
        ids=ids,
    ).order_by(F.id)  # fmt: skip
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    with ledger._read() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for r in rows:
        r["evidence"] = json.loads(r["evidence"]) if r["evidence"] else {}
    return rows


def count_flags(ledger: Any, **filters: Any) -> int:
    """How many flags ``list_flags`` would list with these filters (no limit)."""
    with ledger._read() as conn:
        return int(conn.execute(_select_flags((func.count(),), **filters)).scalar_one())
