"""What a decision's own document says about the casework steps: confirmation, waiver, reminders.

Read from the policy YAML (the program block of the decision's document, with what it inherits), never
from a list in code:

* ``confirmation_required`` — 晋人社厅发〔2024〕28号 六 “推送是否接受稳岗返还的确认信息…经确认后，发放”,
  兵团征求意见稿 二（一）“经其确认后发放稳岗返还资金”. Documents without it (内人社发〔2025〕18号 四 “以短信等方式
  告知企业，无需企业申请”, 人社部发〔2024〕40号 五, 内人社办发〔2022〕86号) go from the screening to 初审.
* ``unconfirmed_waived`` — 晋28号 六 “在政策执行期限内，未确认且未主动申请的，视为企业放弃”: a waiver exists
  only where the document provides one, and only once its period (the block's ``valid_to``) is over.
* ``unconfirmed_reminded`` — 兵团 二（一）“对未及时确认的企业，主动联系提醒确认”.
* ``pay_to_premium_account_if_no_corporate_account`` — 人社部发〔2024〕40号 五, 内人社发〔2025〕18号 四 “对无对公账户的
  小微企业，可将资金直接返还至当地税务部门协助提供的其缴纳社会保险费账户”: ``tax_account`` is its citation and quote.

A document the ledger cannot find (a 文号 outside the shipped set) is treated the cautious way: the
unit's confirmation is asked for, and nothing is ever waived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache


@dataclass(frozen=True)
class Procedure:
    policy_doc: str
    known: bool
    confirmation_required: bool
    unconfirmed_waived: bool
    reminders: bool
    period_end: date | None  # the program block's valid_to (政策执行期限)
    tax_account: str | None = None  # where the text lets a 小微企业 without 对公账户 be paid to its 税务 account
    waiver: str | None = None  # the clause and quote that make 未确认且未主动申请 a waiver (cited when refusing)
    # ``publicity_before_payment`` (内人社办发〔2022〕86号 （三）10 “审核并进行公示，公示无异议后按规定进行支付”): the
    # document's own 公示 step, its citation and quote; None where it has none (稳岗返还's is program-wide:
    # ``states.PUBLICITY_PROGRAMS``, 人社部发〔2024〕40号 六)
    publicity: str | None = None
    # where the document asks no confirmation (``confirmation_required`` False): its notice clause and quote (内人社发
    # 〔2025〕18号 四 “以短信等方式告知企业，无需企业申请”), said when a unit's confirmation is recorded anyway
    # (outside casework audit D6, session 42)
    notice_only: str | None = None

    def period_over(self, today: date) -> bool:
        return self.period_end is not None and today > self.period_end

    def waived_on(self, today: date) -> bool:
        """未确认且未主动申请 → 视为放弃 only where the text says so, and only after its period."""
        return self.unconfirmed_waived and self.period_over(today)


@cache
def _documents() -> dict[str, object]:
    from wengang.policies.loader import load_policy_set

    ps = load_policy_set()
    out: dict[str, object] = {}
    for d in ps.documents:
        for key in (d.id, d.number, d.display_number):
            if key:
                out.setdefault(key, d)
    return out


@cache
def procedure(policy_doc: str, program: str) -> Procedure:
    from wengang.policies.loader import load_policy_set

    docs = _documents()
    doc = docs.get(policy_doc)
    seen = 0
    while doc is not None and program not in doc.programs and doc.forwards and seen < 5:  # type: ignore[attr-defined]
        doc = docs.get(doc.forwards)  # type: ignore[attr-defined]
        seen += 1
    if doc is None or program not in doc.programs:  # type: ignore[attr-defined]
        return Procedure(policy_doc, False, True, False, False, None)
    params, _ = load_policy_set().effective(doc, program)

    def flag(name: str) -> bool:
        p = params.get(name)
        return bool(p is not None and p.value is True)

    tax = params.get("pay_to_premium_account_if_no_corporate_account")
    waiver = params.get("unconfirmed_waived")
    pub = params.get("publicity_before_payment")
    told = params.get("notify_channels")
    return Procedure(
        policy_doc=policy_doc,
        known=True,
        confirmation_required=flag("confirmation_required"),
        unconfirmed_waived=flag("unconfirmed_waived"),
        reminders=flag("unconfirmed_reminded"),
        period_end=doc.programs[program].valid_to,  # type: ignore[attr-defined]
        tax_account=f"{tax.citation()}“{tax.quote}”" if tax is not None and tax.value is True else None,
        waiver=f"{waiver.citation()}“{waiver.quote}”" if waiver is not None and waiver.value is True else None,
        publicity=f"{pub.citation()}“{pub.quote}”" if pub is not None and pub.value is True else None,
        notice_only=None if flag("confirmation_required") else (
            f"{told.citation()}“{told.quote}”" if told is not None and told.quote else f"{policy_doc}（未设单位确认环节）"),
    )


@cache
def publicity_documents(program: str) -> frozenset[str]:
    """Every 文号 (or id) of a shipped document whose ``program`` block has its own 公示 step (``Procedure.publicity``):
    a decision under one is paid only after its 公示 period, as a 稳岗返还 decision is."""
    return frozenset(k for k in _documents() if procedure(k, program).publicity is not None)
