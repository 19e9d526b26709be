"""Operators' roles and what each ledger action needs: the one role × action matrix.

Pure data and string handling (no SQLAlchemy), so the CLI can show roles and parse ``--role`` at start-up.
The check against the registered operators is ``operators.require``.

Separation of duties (issue 12): 初审 (经办) and 复审 (复核) are done by two people; the payment is made by
a 出纳 who reviewed neither stage of that decision; the 管理员 manages operators and, by that role alone,
may neither review nor pay; the 稽核 reads everything and reviews the risk flags (风险疑点: imports them, clears or
confirms each: a confirmation withdraws the decision's unsent payments and recovers what was paid — issue 15).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .errors import LedgerError

# role code -> Chinese label (the code is what is stored)
ROLES: dict[str, str] = {
    "caseworker": "经办",
    "reviewer": "复核",
    "payer": "出纳",
    "auditor": "稽核",
    "admin": "管理员",
}
ROLE_EN = {"caseworker": "caseworker", "reviewer": "reviewer", "payer": "payer", "auditor": "auditor (read-only)",
           "admin": "administrator"}
_ROLE_ALIASES = {"支付": "payer", "出纳/支付": "payer"}


@dataclass(frozen=True, slots=True)
class Action:
    code: str
    zh: str
    en: str
    role: str | None  # None: any role (reads)
    uses: str  # where it is used: Ledger methods / CLI commands


def _actions(*rows: tuple[str, str, str, str | None, str]) -> dict[str, Action]:
    return {r[0]: Action(*r) for r in rows}


# The matrix. An action not listed here cannot be checked (``require`` raises KeyError: a programming error).
ACTIONS: dict[str, Action] = _actions(
    ("import", "导入筛查结果", "import a screening run", "caseworker", "import_decisions, record_run; case import"),
    ("resolve", "人工认定（待认定）", "resolve a needs-decision case", "caseworker",
     "resolve, adopt_readings; case resolve, case adopt"),
    ("notify", "推送告知、提醒确认", "queue notices and reminders", "caseworker",
     "notify, remind_unconfirmed, queue_notice; case notify, case remind"),
    ("send", "发送待发消息", "deliver the outbox", "caseworker", "deliver_outbox; case send"),
    ("confirm", "代为登记单位确认", "record a unit's confirmation", "caseworker",
     "confirm, confirm_many; case confirm"),
    ("decline", "登记单位放弃", "record a unit's decline", "caseworker", "decline; case decline"),
    ("waive", "期满未确认视为放弃", "waive after the policy period", "caseworker", "waive_unconfirmed; case waive"),
    ("apply", "登记申请", "register an application", "caseworker",
     "self_apply, apply_skill_subsidy, apply_dispatch; case self-apply, skill-apply, dispatch-apply"),
    ("first_review", "初审", "first review", "caseworker", "first_review, review_many(stage=1); case review --stage 1"),
    # a hold for a quarantined input row is released as a 复审 is done: by a 复核 other than the 初审人 (Ledger.release)
    ("second_review", "复审", "second review", "reviewer",
     "second_review, review_many(stage=2), release of a hold for a quarantined row; case review --stage 2, case release"),
    ("hold", "暂缓发放、解除暂缓", "hold or release a payment", "caseworker",
     "hold, release (not a hold for a quarantined row); case hold, case release"),
    ("publicize", "公示", "put decisions on a 公示 list", "caseworker", "publicize; case publicize"),
    ("publicity_doc", "制作公示文件", "produce the 公示 documents", "caseworker", "doc publicity"),
    ("letter", "制作告知书", "produce letters", "caseworker", "doc letters"),
    ("dispatch_transfer", "登记派遣单位拨付", "record a dispatch firm's transfer", "caseworker",
     "record_transfer; case dispatch-transfer"),
    ("recover", "违规使用、重复享受的追回", "order recoveries (misuse, duplicates)", "caseworker",
     "report_dispatch_misuse, recover_duplicate_subsidies; case dispatch-misuse, case duplicates"),
    # a changed entitlement after approval is settled at once (supplement or recovery) with no further
    # review, so it takes the reviewer's role, not the caseworker's
    ("resize", "划型变更、多退少补", "size-class change and settlement", "reviewer", "change_size_class; case resize"),
    ("pay", "发放", "pay", "payer", "run_payment_batch, pay_decision; case pay"),
    ("bank_file", "制作银行代发文件", "produce bank payment files", "payer", "doc bank"),
    ("bounce", "登记银行退回", "record a bounced payment", "payer", "record_bounce; case bounce"),
    # four eyes on the payee: a change another operator requested takes effect only when a 复核 approves it
    ("approve_account", "复核收款账户变更", "approve an account change", "reviewer",
     "approve_account; case approve-account"),
    # a credit the bank reported for a payment recorded as bounced (possible double payment) is checked by a 复核,
    # not by who recorded the bounce: it decides whether the money counts as paid and a re-payment is recovered
    ("credit_check", "核实退回后的银行入账（可能重复支付）", "check a bank credit after a bounce (possible double payment)",
     "reviewer", "check_credit_after_bounce; case credit-check"),
    # ending an approval after a confirmed risk flag (the decision is not paid): a 复核, not the 稽核 who confirmed
    # the flag (``Ledger.revoke``)
    ("revoke", "撤销核准，不予发放（风险疑点已核实）", "revoke an approval: not paid (risk flag confirmed)", "reviewer",
     "revoke; case revoke"),
    ("account", "登记、更正收款账户", "give or correct the payee account", "payer",
     "set_account, fix_account; case set-account, case fix-account"),
    ("recovery_receipt", "登记追回到账", "record a recovery received", "payer",
     "record_recovery_receipt; case recovery-received"),
    ("risk_import", "导入风险疑点", "import risk flags", "auditor", "risk_queue.import_flags; risk import"),
    ("risk_review", "核查风险疑点（排除；核实后撤回未报盘的付款，追回已入账的款项或移交）",
     "clear or confirm a risk flag (withdraw unsent payments, recover money paid, or refer)",
     "auditor", "risk_queue.clear_flag, confirm_flag; risk clear, risk confirm"),
    ("manage_operators", "管理操作人员", "manage operators", "admin", "wengang user add/disable/enable/roles"),
    ("read", "查询", "read", None, "case show, case balance, case list, audit verify, user list, risk list"),
)


def role_label(code: str) -> str:
    return f"{ROLES[code]}（{code}）"


def parse_role(text: str) -> str:
    """A role code from its code or Chinese label (``复核``, ``reviewer``, ``出纳``/``支付``)."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    code = s.casefold()
    if code in ROLES:
        return code
    for c, zh in ROLES.items():
        if s == zh:
            return c
    if s in _ROLE_ALIASES:
        return _ROLE_ALIASES[s]
    choices = "、".join(f"{zh} {c}" for c, zh in ROLES.items())
    raise LedgerError("bad_role", f"未知角色「{text}」，可选：{choices}",
                      f"unknown role {text!r}; one of {', '.join(ROLES)} (or the Chinese labels)")


def normalize_login(name: object) -> str:
    """A login name as stored and compared: NFKC, stripped, case-folded (``"alice "``, ``ＡＬＩＣＥ`` and
    ``Alice`` are one operator). Empty names, inner whitespace and control or format characters are refused."""
    if name is None or not str(name).strip():
        raise LedgerError("no_actor", "必须注明经办人（--user 登录名）", "an acting user (--user login) is required")
    s = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", str(name)).strip().casefold())
    bad = [ch for ch in s if ch.isspace() or unicodedata.category(ch)[0] == "C"]
    if bad:
        shown = "、".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(bad))
        raise LedgerError("bad_login", f"登录名 {str(name)!r} 含空白或控制字符（{shown}）",
                          f"login {str(name)!r} contains whitespace or control characters ({shown})")
    if len(s) > 64:
        raise LedgerError("bad_login", f"登录名过长（{len(s)} 个字符，至多 64 个）",
                          f"login too long ({len(s)} characters, at most 64)")
    return s


def clean_display(text: str | None, login: str) -> str:
    """The display name (中文姓名): stripped, no control characters; the login if none is given."""
    s = unicodedata.normalize("NFC", str(text)).strip() if text is not None else ""
    if not s:
        return login
    if any(unicodedata.category(ch)[0] == "C" for ch in s) or len(s) > 100:
        raise LedgerError("bad_display", f"显示名 {text!r} 含控制字符或超过 100 个字符",
                          f"display name {text!r} has control characters or exceeds 100 characters")
    return s


def matrix_rows() -> list[tuple[str, str, list[bool]]]:
    """(action code, Chinese label, allowed for each role in ``ROLES`` order): for docs and ``user matrix``."""
    return [(a.code, a.zh, [a.role is None or a.role == r for r in ROLES]) for a in ACTIONS.values()]
