"""The decision lifecycle as one explicit table of allowed transitions.

Each transition is a service method on ``Ledger`` and a ``wengang case`` command. A transition not in
this table is refused with a ``LedgerError`` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import LedgerError

STATE_ZH: dict[str, str] = {
    "screened": "已筛查待告知",
    "pending_determination": "待认定",
    "not_eligible": "不符合条件",
    "disqualified": "已取消申领资格",
    "notified": "已告知待确认",
    "confirmed": "已确认",
    "declined": "已放弃（本年内可申领）",
    "waived": "视为放弃",
    "applied": "已申请待初审",
    "first_reviewed": "初审通过待复审",
    "rejected": "审核未通过",
    "approved": "复审通过",
    # the reason is the decision's own (``held_zh``): a 缓缴 firm, a quarantined input row, or a hold by hand
    "held": "暂缓发放",
    "publicized": "公示中/已公示",
    "paid": "已发放",
    "bounced": "已退回待更正账户",
    "account_fixed": "账户已更正待重发",
    "revoked": "已撤销核准（不予发放）",
}
# 告知 under a document that asks no confirmation (内人社发〔2025〕18号 四 “以短信等方式告知企业，无需企业申请”): the
# unit was told and need not confirm, so “待确认” would be wrong (session 40); ``procedure.confirmation_required``
NOTIFIED_NO_CONFIRMATION_ZH = "已告知（无需确认）"


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    zh: str
    sources: frozenset[str]
    targets: tuple[str, ...]  # more than one: the service chooses (approve / reject ...)
    basis: str  # where the step comes from
    # further sources when the decision's document asks for no confirmation (procedure.py)
    without_confirmation: frozenset[str] = frozenset()

    def allowed(self, confirmation_required: bool = True) -> frozenset[str]:
        return self.sources if confirmation_required else self.sources | self.without_confirmation


def _t(action: str, zh: str, sources: set[str] | None, targets: tuple[str, ...], basis: str,
       without_confirmation: set[str] | None = None) -> Transition:
    return Transition(action, zh, frozenset(sources or ()), targets, basis, frozenset(without_confirmation or ()))


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("import", "筛查结果入库", None,
           ("screened", "not_eligible", "pending_determination", "disqualified", "held"),
           "免申即享：后台数据比对（人社部发〔2024〕40号 五）；缓缴未补足的入库即暂缓（兵团征求意见稿 二(一)）"),
        _t("resolve", "人工认定", {"pending_determination"}, ("screened", "applied", "not_eligible", "held"),
           "待认定 cases decided by the caseworker (design.md principle 4): a screened one goes on to 告知, an "
           "application to 初审; one that came with a payment hold is held (兵团征求意见稿 二(一); a quarantined input "
           "row, docs/decisions.md)"),
        _t("notify", "推送告知", {"screened"}, ("notified",),
           "推送确认信息（晋人社厅发〔2024〕28号 六；兵团征求意见稿 二(一)）；无需确认的文件为告知"
           "（内人社发〔2025〕18号 四“以短信等方式告知企业，无需企业申请”）"),
        _t("confirm", "确认接受", {"notified"}, ("confirmed",), "经确认后发放（晋人社厅发〔2024〕28号 六）"),
        _t("remind", "提醒确认", {"notified"}, ("notified",),
           "对未及时确认的企业，主动联系提醒确认（兵团征求意见稿 二(一)）；不改变状态、不视为放弃"),
        _t("decline", "选择放弃", {"notified"}, ("declined",), "做好标识，并告知本年内可申领（兵团征求意见稿 二(一)）"),
        _t("waive", "期满未确认视为放弃", {"notified"}, ("waived",),
           "在政策执行期限内，未确认且未主动申请的，视为企业放弃（晋人社厅发〔2024〕28号 六）：仅该文件、仅期限届满后"),
        _t("self_apply", "自主申请", None, ("applied", "held", "pending_determination"),
           "信息比对未筛查出来的单位可自主申请（内人社发〔2025〕18号 四）；结论取决于尚未认定的政策理解的申请登记为待认定，"
           "认定后初审（design.md principle 4）"),
        _t("apply_offered", "已筛查单位自行申请", {"screened", "notified"}, ("applied",),
           "企业自行申请的，审核通过后，直接发放；未确认且未主动申请的才视为放弃（晋人社厅发〔2024〕28号 六）"),
        _t("reapply", "放弃后本年内申领", {"declined"}, ("applied",), "告知本年内可申领（兵团征求意见稿 二(一)）"),
        _t("first_review", "初审", {"confirmed", "applied"}, ("first_reviewed", "rejected"),
           "经办机构初审（domain/facts.md §10 step 5）；文件未要求确认的，筛查结果径直初审"
           "（内人社发〔2025〕18号 四；人社部发〔2024〕40号 五）", without_confirmation={"screened", "notified"}),
        _t("second_review", "复审（须另一人）", {"first_reviewed"}, ("approved", "rejected"),
           "人社局复审（domain/facts.md §10 step 5）"),
        _t("hold", "暂缓发放", {"approved", "publicized"}, ("held",),
           "缓缴企业补足失业保险费后再发放（兵团征求意见稿 二(一)）"),
        _t("release", "解除暂缓", {"held"}, ("approved", "screened", "applied"),
           "缓缴已补足（兵团征求意见稿 二(一)）：已复审的回到复审通过，入库即暂缓的回到已筛查或已申请"),
        _t("publicize", "公示", {"approved"}, ("publicized",),
           "健全审核、公示、拨付等监督机制（人社部发〔2024〕40号 六）"),
        _t("pay", "发放", {"approved", "publicized", "account_fixed"}, ("paid",),
           "按失业保险基金拨付程序发放（domain/facts.md §10 step 7）"),
        _t("bounce", "退回", {"paid"}, ("bounced",), "已退回单位名单，限期更正账户（domain/facts.md §10 step 8）"),
        # a payment withdrawn before it was sent (in no bank file): the decision goes back to the state it had before
        # that payment (``Ledger._withdraw_unsent``; the projection checks which); docs/casework.md "Money sent"
        _t("withdraw_payment", "撤回未报盘的付款", {"paid"}, ("approved", "publicized", "account_fixed"),
           "风险疑点经核实、发现重复享受或应退回的，未报盘的付款撤回，不再发放（人社部发〔2024〕40号 六；"
           "内人社发〔2025〕18号 五）"),
        _t("fix_account", "更正账户", {"bounced"}, ("account_fixed",), "更正账户后重新发放（domain/facts.md §10 step 8）"),
        # a confirmed risk flag ends an approved decision not (or no longer) paid: ``Ledger.revoke`` by a 复核 other
        # than the 稽核 who confirmed it, with a reason; refused while a payment of it is with the bank unanswered
        _t("revoke", "撤销核准，不予发放", {"approved", "publicized", "held", "bounced", "account_fixed"}, ("revoked",),
           "风险疑点经稽核核实，复核撤销核准、不予发放（人社部发〔2024〕40号 六“在待遇审核和发放环节加强数据比对，"
           "严防冒领、骗取基金和多发待遇风险”）"),
        # recorded by ``Ledger.check_credit_after_bounce`` (the credit stands): the bounce is void, the payment the
        # bank credited pays the decision; the projection checks its events against this row
        _t("bank_credit_confirmed", "复核：银行入账属实（退回作废）", {"bounced", "account_fixed"}, ("paid",),
           "登记退回后银行回盘称已入账，复核核实属实：按已发放计，不再重发（人社部发〔2024〕40号 六“在待遇审核和发放环节"
           "加强数据比对，严防冒领、骗取基金和多发待遇风险”）"),
    )
}

# Chinese names of the audit trail's actions (``case show``): the transitions' own names, and the steps
# that are not state transitions (rows recorded, messages queued, money moved).
ACTION_ZH: dict[str, str] = {t.action: t.zh for t in TRANSITIONS.values()} | {
    "second_review": "复审",
    "self_apply": "申请登记",
    "record_run": "登记筛查批次",
    "publicity_list": "建立公示名单",
    "payment_batch": "建立发放批次",
    "pay_supplement": "补发（多退少补）",
    "set_account": "登记收款账户",
    "notice_sent": "消息已发出",
    "queue_offer": "生成告知/确认消息",
    "queue_inform": "生成告知消息",
    "queue_reminder": "生成提醒消息",
    "queue_declined": "生成放弃告知消息",
    "queue_bounced": "生成退回通知消息",
    "queue_paid": "生成发放通知消息",
    "queue_refused": "生成不予发放告知消息",
    "recompute_size_class": "划型变更，重新核定金额",
    "recompute_determination": "人工认定金额",
    "recompute_reading": "按认定的政策理解核定（规则结果）",
    "recover_overpayment": "追回多发部分",
    "cancel_recovery": "撤销未到账的追回单（多退少补重新计算）",
    "recover_raised": "补足风险疑点的追回（此前因其他追回占用而未足额）",
    "recover_dispatch_misuse": "追回（派遣单位未按规定拨付使用）",
    "recover_duplicate_subsidy": "追回（重复享受补贴）",
    "recovery_receipt": "追回款到账",
    "dispatch_transfer": "派遣单位向用工单位拨付",
    "disqualify": "取消下一年度申领资格",
    "allocate": "登记用工单位分配",
    "risk_import": "导入风险疑点",
    "risk_clear": "排除风险疑点",
    "risk_confirm": "核实风险疑点",
    "recover_risk_flag": "追回（风险疑点核实）",
    "request_account": "申请变更收款账户",
    "approve_account": "复核账户变更：通过",
    "reject_account": "复核账户变更：不通过",
    "set_payee_bank": "登记收款行行号",
    "bank_file": "生成银行报盘文件",
    "bank_file_items": "登记报盘明细",
    "bank_file_mismatch": "报盘文件与记录不符，拒绝提供",
    "bank_return": "导入银行回盘",
    "bank_confirm": "银行回盘：已入账",
    "bank_credited_after_bounce": "银行回盘称已入账（此前已登记退回）",
    "bank_credit_corrected": "复核：银行已更正回盘",
    "bank_contradiction": "银行回盘称失败（此前已确认入账），未作改动，待核实",
    "risk_recovery_pending": "风险疑点追回：待银行回盘",
    "risk_recovery_settled": "风险疑点追回：银行已回盘",
    "recovery_pending": "追回待银行回盘（按实际发放金额确定）",
    "recovery_settled": "追回：银行已回盘",
    "recompute_misuse": "派遣单位未按规定拨付使用，重新核定应享受金额",
    "recompute_duplicate": "重复享受补贴，后享受的应享受金额核定为零",
    "bounce_supplement": "补发被退回",
    "operator_add": "新增操作人员",
    "operator_enable": "启用操作人员",
    "operator_disable": "停用操作人员",
    "operator_roles": "变更操作人员角色",
}


def action_zh(action: str) -> str:
    """The Chinese name of an audit action (the code itself for an action without one)."""
    return ACTION_ZH.get(action, action)


def state_zh(state: str | None, hold_reason: str | None = None, *, confirmation_required: bool = True) -> str:
    """The state's Chinese name; a held decision with its ``hold_reason`` is named by why it is held
    (``held_zh``), never by a reason it does not have; a notified one whose document asks no confirmation
    (``confirmation_required`` False) is ``NOTIFIED_NO_CONFIRMATION_ZH``."""
    if state == "notified" and not confirmation_required:
        return NOTIFIED_NO_CONFIRMATION_ZH
    if state == "held" and hold_reason:
        return held_zh(hold_reason)
    return "—" if state is None else STATE_ZH.get(state, state)


# Why a decision is held, read from its hold reason (``case_decisions.hold_reason``, as imported from the screening's
# holds or given to ``hold``). The screening writes two kinds (wengang.screening.holds, docs/decisions.md §26):
# * 缓缴 (兵团征求意见稿 二(一) “对申请缓缴失业保险费的企业，在及时补足失业保险费后，再按规定条件和比例发放稳岗返还资金”):
#   the reason names the deferral (“缓缴的失业保险费尚未补足…”); released once the firm has paid up;
# * a quarantined input row (“排除名单第 3 行格式有误，待核实后发放”, “…有误，与本单位代码仅差一位，待核实后发放”,
#   “…无法识别…有误被隔离…核实该行…并重新筛查后发放”, “…有误已被隔离，划型待核实后发放”): the row may stop or reduce the
#   payment and has not been read; released only with a stated reason by a 复核 (``Ledger.release``).
# Each “；”-joined part of a reason is one hold: a part naming a quarantined row is that (also a row of the 缓缴记录:
# unread, it says nothing about a deferral), else a part naming 缓缴 is a deferral, else it is "other" (a hold by hand
# with its own reason).
# * a 不超过 ceiling (rules.batch.CAP_HOLD_REASONS: the amount is the document's most, the 统筹地区 or the bank sets the
#   figure): released only with a stated reason (the standard set, and that it is this amount) by a 复核 other than the
#   初审 — one 经办 had released it and the ceiling was paid (outside review, session 41).
# * an objection (异议) raised during 公示 (内人社办发〔2022〕86号（三）10 “审核并进行公示，公示无异议后按规定进行支付”):
#   released only with a stated reason (what was checked, why the objection does not stand) by a 复核 other than the
#   operator who put the hold on — one 经办 had held and released it alone with “异议核实不成立” (outside casework audit
#   Q, session 42; docs/decisions.md §127).
# * a dispatch firm that has not applied (programs.fanhuan.DISPATCH_HOLD_REASON: 18号 四, 晋28号 五 “指导其主动…提出申请…
#   受理…申请时，要对…用工单位名单和被派遣劳动者数量留存备案”) and a unit with no account the money may go to
#   (ACCOUNT_HOLD_REASON: 40号 五 “对没有对公账户的小微企业…”): released as a ceiling is — by a 复核 other than the 初审,
#   stating the application and its 备案, or the account (outside second look, session 42: one 经办 could release them).
# * any other hold put on by hand once the 复审 has approved (a complaint during 公示 that does not say 异议, say):
#   released by a 复核 other than the operator who put it on — money is about to leave (outside second look, session 42).
HOLD_DEFERRAL, HOLD_QUARANTINE, HOLD_CAP, HOLD_OTHER = "deferral", "quarantine", "cap", "other"
HOLD_OBJECTION, HOLD_DISPATCH, HOLD_ACCOUNT = "objection", "dispatch", "account"
_QUARANTINE_MARKS = ("待核实", "隔离", "格式有误", "无法识别")
_CAP_MARKS = ("“不超过”上限", "（“不超过”）")
_OBJECTION_MARKS = ("异议",)
_DISPATCH_MARKS = ("劳务派遣单位须主动申请稳岗返还",)
_ACCOUNT_MARKS = ("无对公账户，且不是经划型确定的小微企业",)
HOLD_ZH = {HOLD_DEFERRAL: "缓缴待补足", HOLD_QUARANTINE: "输入数据有误待核实", HOLD_CAP: "上限金额待确定标准",
           HOLD_OBJECTION: "公示异议待核实", HOLD_DISPATCH: "劳务派遣单位待申请备案", HOLD_ACCOUNT: "收款账户待补充"}
# the one release reason that may be taken as given: the deferral's (the firm paid up); no default for the others
RELEASE_DEFAULT = {HOLD_DEFERRAL: "已补足缓缴的失业保险费"}


def hold_kinds(reason: str | None) -> tuple[str, ...]:
    """The kinds of hold a hold reason names, in this order: quarantine (it asks the most of a release), deferral,
    other."""
    found = set()
    for part in (reason or "").split("；"):
        if any(m in part for m in _CAP_MARKS):
            found.add(HOLD_CAP)
        elif any(m in part for m in _DISPATCH_MARKS):
            found.add(HOLD_DISPATCH)
        elif any(m in part for m in _ACCOUNT_MARKS):
            found.add(HOLD_ACCOUNT)
        elif any(m in part for m in _OBJECTION_MARKS):
            found.add(HOLD_OBJECTION)
        elif any(m in part for m in _QUARANTINE_MARKS):
            found.add(HOLD_QUARANTINE)
        elif "缓缴" in part:
            found.add(HOLD_DEFERRAL)
        elif part.strip():
            found.add(HOLD_OTHER)
    return tuple(k for k in (HOLD_QUARANTINE, HOLD_CAP, HOLD_DISPATCH, HOLD_ACCOUNT, HOLD_OBJECTION, HOLD_DEFERRAL,
                             HOLD_OTHER) if k in found) or (HOLD_OTHER,)


def held_zh(reason: str | None) -> str:
    """暂缓发放, named by the hold's own reason where it has a kind: （缓缴待补足） only for a deferral."""
    named = [HOLD_ZH[k] for k in hold_kinds(reason) if k in HOLD_ZH]
    return "暂缓发放（" + "；".join(named) + "）" if named else "暂缓发放"


# Programs whose payment waits for the end of a 公示 period; the others have no 公示 step (docs/casework.md).
PUBLICITY_PROGRAMS = frozenset({"fanhuan"})
# What a decision resting on no document carries as its 文号 (intake.NO_POLICY, a blank): no money without a document
# in force — such a decision is never resolved eligible, approved or paid (outside audit, session 39).
NO_DOCUMENT = frozenset({"无有效政策", "", "—"})


def no_document(policy_doc: str | None) -> bool:
    return (policy_doc or "").strip() in NO_DOCUMENT
TERMINAL = frozenset({"not_eligible", "disqualified", "waived", "rejected", "revoked"})


def check(action: str, state: str, decision_id: int, *, confirmation_required: bool = True) -> Transition:
    """Return the transition if ``action`` is allowed from ``state``, else raise ``LedgerError``.

    ``confirmation_required`` is what the decision's document says (``procedure.py``)."""
    t = TRANSITIONS[action]
    sources = t.allowed(confirmation_required)
    if state not in sources:
        allowed = "、".join(STATE_ZH[s] for s in sorted(sources))
        raise LedgerError(
            "transition_refused",
            f"决定 {decision_id} 当前状态为“{STATE_ZH.get(state, state)}”，不能执行“{t.zh}”（仅允许于：{allowed}）",
            f"decision {decision_id} is '{state}'; '{action}' is allowed only from {sorted(sources)}",
        )
    return t
