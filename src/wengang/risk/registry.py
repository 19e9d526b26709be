"""The risk checks the texts name (风险疑点): one registry entry per check.

Each entry names the rule that decides it. Where a program already has that rule as a flag (``ui_benefit``'s
``cross_region``, ``status_anomaly`` and ``short_term_insured``; ``skill_subsidy``'s ``certificate_place``,
``evaluation_body_batch`` and ``training_later_repay``) the entry *is* that :class:`~wengang.rules.engine.Check`:
its expression, compiled to Polars, decides the flag, and its ``applies`` (the document in force lists the
check) decides in which regions it runs. ``ui_benefit``'s ``not_with_flexible_subsidy`` is a refusal
condition at the claim; here it is the same expression run over benefits already paid. Only the dispatch
allocation check (h) is new, so it is defined here, with the same engine.

A flag is a prompt to verify (核查), never a refusal. Severity (高/中/低) is ours, not the texts': 高 where
money was paid that the text says must not be (two payments, a payment after death, a barred overlap,
a dispatch firm keeping money), 中 where the text asks for scrutiny of a pattern (certificates from
elsewhere, a batch from one body), 低 where the threshold itself is the operator's (short-term insured).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wengang.programs import skill_subsidy, ui_benefit
from wengang.rules.engine import FLAG, Check
from wengang.rules.expr import MONEY, Fact

HIGH, MEDIUM, LOW = "高", "中", "低"
SEVERITIES = (HIGH, MEDIUM, LOW)


@dataclass(frozen=True)
class Citation:
    """文号 + clause + the words quoted verbatim; ``note`` says where the check is only implied."""

    number: str
    clause: str
    quote: str
    note: str = ""

    def short(self) -> str:
        return f"{self.number} {self.clause}"


@dataclass(frozen=True)
class RiskCheck:
    id: str
    label: str  # what the flag says (Chinese): the suspicion, not the passing statement
    severity: str
    program: str  # whose policy decides where it applies (and whose decisions a recovery goes to)
    rule: Check  # the definition: the flag is raised where its expression is False
    citations: tuple[Citation, ...]
    evidence: Mapping[str, str]  # evidence field -> Chinese label (the flag's ``evidence`` JSON holds these)
    tables: tuple[str, ...]  # input tables it reads (all needed)
    settings: tuple[str, ...] = ()  # operator settings it needs (the texts give no figure)
    readings: Mapping[str, str] = field(default_factory=dict)  # switches fixed when compiling the rule
    recovery_kind: str = "risk_flag"  # the kind of 追回 a confirmed flag orders
    # the parameter(s) of the document in force that cite it, in order of preference (the flag quotes the first found)
    cite_params: tuple[str, ...] = ("risk_checks",)
    applies: Callable[[Mapping[str, Any]], bool] | None = None  # default: the rule's own

    def applies_under(self, params: Mapping[str, Any]) -> bool:
        if self.applies is not None:
            return bool(self.applies(params))
        return self.rule.applies_under(params)

    @property
    def citation(self) -> Citation:
        return self.citations[0]


def _by_id(checks: list[Check], cid: str) -> Check:
    return next(c for c in checks if c.id == cid)


_NM18 = "内人社发〔2025〕18号"
_Q18_SKILL = "重点核查持参保地或领金地以外所获证书、批量持同一评价机构所发证书申领技能提升补贴等形式"
_Q18_UI = "加强异地重复领取、生存状态或身份状态异常人员领取、短期参保领取失业保险金等疑点数据排查，切实防范冒领骗取和多发错发"
_Q40_6 = (
    "充分利用全国社保信息比对查询系统功能，在待遇审核和发放环节加强数据比对，严防冒领、骗取基金和多发待遇风险"
)
_Q28_6 = "要充分利用全国社保信息比对查询系统功能，在待遇审核的发放环节加强数据比对，严防冒领、骗取基金和多发待遇风险"

# (h) dispatch firms: the one check no program had. The firm keeps the refund's dispatched-workers part only
# as long as it has not passed it on; what it allocated to the user units must add up to that part.
DISPATCH_ALLOCATED = Check(
    "dispatch_allocated",
    "劳务派遣单位对被派遣劳动者部分的返还资金已全额分配给用工单位（分配合计等于该部分金额）",
    Fact("dispatch_allocated_fen", "分配给用工单位的金额合计", MONEY).eq(
        Fact("dispatch_share_fen", "返还资金中被派遣劳动者部分", MONEY)
    ),
    kind=FLAG,
    cite=("dispatch_share_to_user_unit",),
    reason="疑点：劳务派遣单位分配给用工单位的金额与被派遣劳动者部分不符（截留滞留或多分），需核实资金分配情况",
    applies=lambda p: "dispatch_share_to_user_unit" in p or "dispatch_firm_must_apply" in p,
)

CHECKS: dict[str, RiskCheck] = {
    c.id: c
    for c in (
        RiskCheck(
            "certificate_outside_place",
            "持参保地或领金地以外所获证书申领技能提升补贴",
            MEDIUM,
            "skill_subsidy",
            _by_id(skill_subsidy.RISK_CHECKS, "certificate_place"),
            (Citation(_NM18, "五", _Q18_SKILL),),
            {
                "certificate_no": "证书编号",
                "certificate_region": "发证地",
                "insured_region": "参保地",
                "benefit_region": "领金地",
                "evaluation_body": "评价机构",
                "certificate_issue_date": "发证日期",
            },
            ("persons", "certificates"),
        ),
        RiskCheck(
            "evaluation_body_cluster",
            "批量持同一评价机构所发证书申领技能提升补贴（同一机构在时间窗口内发证数达到核查线）",
            MEDIUM,
            "skill_subsidy",
            _by_id(skill_subsidy.RISK_CHECKS, "evaluation_body_batch"),
            (
                Citation(
                    _NM18,
                    "五",
                    "批量持同一评价机构所发证书申领技能提升补贴",
                    "文件未给出“批量”的数量与时间范围：核查线 evaluation_body_batch_threshold（以上含本数）与时间窗口 "
                    "evaluation_body_batch_window_days（连续日历日）均为经办方设定；按时间窗口聚集计数是本库的理解（见 docs/decisions.md）",
                ),
            ),
            {
                "certificate_no": "证书编号",
                "evaluation_body": "评价机构",
                "certificate_issue_date": "发证日期",
                "evaluation_body_batch_count": "窗口内同一机构发证数",
                "threshold": "核查线",
                "window_days": "时间窗口（天）",
            },
            ("persons", "certificates"),
            settings=("evaluation_body_batch_threshold", "evaluation_body_batch_window_days"),
        ),
        RiskCheck(
            "skill_training_same_certificate",
            "同一证书既领取技能提升补贴又领取职业培训补贴（重复享受）",
            HIGH,
            "skill_subsidy",
            _by_id(skill_subsidy.CHECKS_COMMON, "training_later_repay"),
            (
                Citation(_NM18, "二", "不得和职业培训补贴重复享受"),
                Citation(
                    "兵团征求意见稿",
                    "一（三）",
                    "技能提升补贴和职业培训补贴不得重复享受，对重复享受的，按照后享受的单位或个人退回资金的原则，追回重复享受的补贴资金",
                ),
                Citation("人社部发〔2024〕40号", "三", "且技能提升补贴和职业培训补贴不得重复享受"),
            ),
            {
                "certificate_no": "证书编号",
                "occupation_code": "职业编码",
                "level": "等级",
                "skill_paid_date": "技能提升补贴发放日",
                "skill_amount_fen": "技能提升补贴金额（分）",
                "training_paid_date": "职业培训补贴发放日",
                "training_amount_fen": "职业培训补贴金额（分）",
                "later": "后享受的一项（应退回）",
            },
            ("subsidies",),
            # both orders are a duplicate once both are paid; "same certificate" is the narrowest scope every
            # reading of skill_subsidy.training_overlap_scope includes
            readings={
                skill_subsidy.TRAINING_SCOPE.name: "same_occupation_level",
                skill_subsidy.TRAINING_YIELDS.name: "applicant_chooses",
            },
            recovery_kind="duplicate_subsidy",
            cite_params=("exclusive_with_training_subsidy",),
        ),
        RiskCheck(
            "ui_cross_region",
            "异地重复领取失业保险金（同一人同期在另一地区领取）",
            HIGH,
            "ui_benefit",
            _by_id(ui_benefit.PERSON_RISKS, "cross_region"),
            (
                Citation(_NM18, "五", _Q18_UI),
                Citation(
                    "人社部发〔2024〕40号",
                    "六",
                    _Q40_6,
                    "40号、晋28号 六 只要求比对、防“多发待遇”，未列核查项目：异地重复领取是比对可查的一项（本库的理解，见 docs/decisions.md）",
                ),
                Citation("晋人社厅发〔2024〕28号", "六", _Q28_6, "同上，隐含"),
            ),
            {
                "claim_id": "领取记录",
                "start_month": "起始月份",
                "months": "领取月数",
                "other_region": "另一领取地",
                "other_start_month": "另一记录起始月份",
                "overlap_months": "重叠月数",
                "monthly_fen": "月领取金额（分）",
            },
            ("ui_claims",),
        ),
        RiskCheck(
            "ui_status_anomaly",
            "生存状态或身份状态异常人员领取失业保险金（死亡后仍发放、身份证号码无效或在异常名单）",
            HIGH,
            "ui_benefit",
            _by_id(ui_benefit.PERSON_RISKS, "status_anomaly"),
            (
                Citation(
                    _NM18,
                    "五",
                    _Q18_UI,
                    "“身份状态异常”的范围文件未列：本库取身份异常名单与公民身份号码校验不通过（GB 11643 校验码、出生日期、"
                    "出生地代码，同 python-stdnum cn.ric）两项（隐含）",
                ),
                Citation("人社部发〔2024〕40号", "六", _Q40_6, "防“冒领”，未列核查项目（隐含）"),
                Citation("晋人社厅发〔2024〕28号", "六", _Q28_6, "同上，隐含"),
            ),
            {
                "claim_id": "领取记录",
                "start_month": "起始月份",
                "months": "领取月数",
                "death_date": "死亡日期",
                "months_after_death": "死亡后发放月数",
                "registry_kind": "名单类别",
                "id_check": "身份证号码校验",
            },
            ("ui_claims", "registry"),
        ),
        RiskCheck(
            "ui_short_term_insured",
            "短期参保领取失业保险金（缴费月数低于核查线）",
            LOW,
            "ui_benefit",
            _by_id(ui_benefit.PERSON_RISKS, "short_term_insured"),
            (
                Citation(
                    _NM18,
                    "五",
                    _Q18_UI,
                    "“短期”的月数文件未给出：核查线 short_term_insured_months 由经办方设定（低于此数列为疑点）",
                ),
            ),
            {
                "claim_id": "领取记录",
                "start_month": "起始月份",
                "paid_months": "缴费月数",
                "threshold": "核查线（月）",
            },
            ("ui_claims",),
            settings=("short_term_insured_months",),
        ),
        RiskCheck(
            "ui_with_flexible_subsidy",
            "领取失业保险金期间同时领取灵活就业人员社保补贴",
            HIGH,
            "ui_benefit",
            _by_id(ui_benefit.UI_CHECKS, "not_with_flexible_subsidy"),
            (
                Citation(
                    _NM18,
                    "五",
                    "精准界定人员范围，已进行灵活就业人员登记并领取社保补贴的人员，不同时发放失业保险金",
                    "本库所收文件中只有内人社发〔2025〕18号 五 写明不同时发放；其他地区的文件未写，不核查",
                ),
            ),
            {
                "claim_id": "领取记录",
                "start_month": "起始月份",
                "months": "领取月数",
                "flexible_start_month": "灵活就业社保补贴起始月份",
                "overlap_months": "重叠月数",
                "monthly_fen": "月领取金额（分）",
            },
            ("ui_claims", "flexible_subsidies"),
            cite_params=("exclusive_with_flexible_employment_subsidy",),
        ),
        RiskCheck(
            "dispatch_allocation_mismatch",
            "劳务派遣单位返还资金分配不符（分配给用工单位的合计与被派遣劳动者部分不等，疑似截留滞留）",
            HIGH,
            "fanhuan",
            DISPATCH_ALLOCATED,
            (
                Citation(
                    "晋人社厅发〔2024〕28号",
                    "五",
                    "在稳岗返还资金发放后，要跟踪督促劳务派遣单位按规定及时拨付和使用资金，避免出现截留滞留问题",
                    "比对分配合计与应拨付部分是本库的做法：文件要求“对劳务派遣单位合作的用工单位名单和被派遣劳动者数量留存备案，"
                    "便于后期核实资金分配情况”，未规定比对方法（隐含）",
                ),
                Citation(
                    "人社部发〔2024〕40号",
                    "五",
                    "指导劳务派遣单位主动申请稳岗返还，并按规定及时拨付和使用资金，避免出现截留问题",
                    "同上，隐含",
                ),
                Citation(
                    _NM18,
                    "四",
                    "对涉及被派遣劳动者的部分，全额拨付给用工单位，避免出现截滞留问题",
                    "同上，隐含",
                ),
            ),
            {
                "firm_id": "劳务派遣单位",
                "year": "年度",
                "dispatch_share_fen": "被派遣劳动者部分（分）",
                "dispatch_allocated_fen": "分配合计（分）",
                "difference_fen": "差额（分，正数为少分配）",
                "user_units": "用工单位数",
            },
            ("dispatch_refunds",),
            recovery_kind="dispatch_misuse",
            cite_params=("dispatch_share_to_user_unit", "dispatch_firm_must_apply"),
        ),
    )
}

# the brief's letters, for docs and tests
LETTERS = {
    "a": "certificate_outside_place",
    "b": "evaluation_body_cluster",
    "c": "skill_training_same_certificate",
    "d": "ui_cross_region",
    "e": "ui_status_anomaly",
    "f": "ui_short_term_insured",
    "g": "ui_with_flexible_subsidy",
    "h": "dispatch_allocation_mismatch",
}
