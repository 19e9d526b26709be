"""失业保险金 and the related benefits for people.

| program | ruleset | enacted by |
|---|---|---|
| ui_benefit 失业保险金 | regulation | 失业保险条例 第十四条、第十五条、第十七条 (国务院令第258号, base); restated by 内人社办发〔2022〕86号 （四）12 (“也可先申领失业保险金，后办理失业登记”); 人社部发〔2024〕40号 五 (仅凭身份证件或社保卡即可申领); 人社部发〔2024〕40号 六 and 晋人社厅发〔2024〕28号 六 the national data comparison (two risk flags); 内人社发〔2025〕18号 五 adds 不同时发放 with the flexible-employment subsidy and its own three risk checks, 三 the 大龄 referral; 兵团 二（三）（四） the processing limit and transfers |
| unemployment_subsidy 失业补助金 | v2022 | 内人社办发〔2022〕86号 （四）14 |
| temp_living_allowance 临时生活补助 | v2022 | 内人社办发〔2022〕86号 （四）15 |
| one_off_living_allowance 一次性生活补助 | regulation, v2022 | 条例 第二十一条; 内人社办发〔2022〕86号 （四）13 |

Money: the monthly benefit standards are set by the province (条例 第十八条) and are region settings
(``monthly_benefit_amount``, ``monthly_amount``, ``amount_per_service_year``). No text gives a figure, so
none is invented: the decision states the entitled months; ``amount_fen`` is the total for the entitlement
(months × monthly standard) when the operator supplies the standard, and null otherwise. The amount is
``amount_optional``: a missing standard leaves the decision on eligibility and months standing (it does not make
the case undeterminable). 一次性生活补助 has no amount (the province's method by length of service is not a figure).

Death (条例 第二十条, facts.md §1): a person who dies while drawing benefit is paid through the month of death only
(``months_payable``: first month of benefit through the month of death, at most the entitled months); the family's
丧葬补助金 and 抚恤金 are the program ``ui_death_benefits`` (module ``ui_death_benefits``).

``paid_months`` counts contributions since the last re-employment (第十七条: 缴费时间重新计算). Where the document in
force sets ``recompute_duration_after_transfer`` (兵团 二（四）: “应在办理转移接续后重新计算待遇发放期限”), the months carried
over by the transfer (``paid_months_transferred_in``) count too, for 缴费满1年 and the period alike, and the amount is the
recomputed period less the months already drawn (``months_already_drawn``, the output ``remaining_months``).
Duration (第十七条): 满1年不足5年 → 12 months; 满5年不足10年 → 18; 10年以上 → 24. 满 and 以上 include the
boundary: 60 months → 18, 120 months → 24. The new entitlement combines with months left unclaimed from
the previous spell, at most 24 months in total.

Registration (第十四条 ③) stays a condition, but where 86号 （四）12 or 40号 五 applies it is not a precondition of
the claim: check ``registered_or_claim_first`` passes and flag ``registered_later`` asks for registration. 40号 五
(“持续优化经办服务”) is a standing reform with no end date and applies from 2024-04-28 without a switch; whether 86号's
undated sentence still applied in 2023-01-01..2024-04-27 is the switch ``ui_benefit.claim_first_period``
(docs/decisions.md §16).

内人社发〔2025〕18号 五 “已进行灵活就业人员登记并领取社保补贴的人员，不同时发放失业保险金” is the switch
``ui_benefit.flexible_subsidy_overlap``: not paid while the subsidy runs (default: check ``not_with_flexible_subsidy``
refuses), or entitled with the payment held until the subsidy stops (flag ``flexible_subsidy_suspended``, output
``payment_hold``); open, a claimant drawing the subsidy is 待认定.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from wengang.facts.person import UnemployedPersonFacts
from wengang.rules import interpretations
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import (
    BOOL,
    DATE,
    MONEY,
    MONTHS,
    TEXT,
    ByParam,
    Coalesce,
    CompileContext,
    EvalContext,
    Expr,
    Fact,
    HasParam,
    IsMissing,
    Lit,
    Max,
    Min,
    MonthSpan,
    OptionalParam,
    Param,
    Reading,
    Setting,
    when,
)

# ---------------------------------------------------------------------------------------------
# interpretation switches

REMAINING_WITHOUT_NEW_YEAR = interpretations.register(
    interpretations.Switch(
        name="ui_benefit.remaining_months_without_new_year",
        title="重新就业后缴费不满1年再次失业的，可否领取前次未领完的期限",
        clauses=("失业保险条例 第十七条",),
        readings={
            "not_allowed": "不可：每次申领都须满足第十四条“缴费满1年”",
            "allowed": "可以：缴费不满1年的，只领取前次应领而尚未领取的期限",
        },
        default="not_allowed",
        why="第十七条只规定“可以与前次失业应领取而尚未领取的…期限合并计算”，以本次符合领取条件为前提；"
        "放宽的做法见各地申领发放办法（不在本库），由经办机构认定。失业补助金“不符合领取失业保险金条件”用同一判断。",
        programs=("ui_benefit", "unemployment_subsidy"),
    )
)
SUBSIDY_SCOPE = interpretations.register(
    interpretations.Switch(
        name="unemployment_subsidy.not_eligible_scope",
        title="失业补助金“不符合领取失业保险金条件的失业人员”的范围",
        clauses=("内人社办发〔2022〕86号 （四）14",),
        readings={
            "any_condition": "参保缴费但不符合任一领取条件的失业人员（含缴费不满1年、本人意愿离职）",
            "paid_under_one_year": "仅指因缴费不满1年而不符合条件、且非因本人意愿失业的人员",
        },
        default="any_condition",
        why="原文“依法参加失业保险并缴纳失业保险费但不符合领取失业保险金条件的失业人员”，未限定是哪一项条件。",
        programs=("unemployment_subsidy",),
    )
)
SUBSIDY_FROM = interpretations.register(
    interpretations.Switch(
        name="unemployment_subsidy.from_2021_basis",
        title="失业补助金“2021年1月起”指什么日期",
        clauses=("内人社办发〔2022〕86号 （四）14",),
        readings={
            "event": "失业保险金期满（或失业）发生在2021年1月1日以后",
            "application": "2021年1月1日以后提出申领即可，不论何时期满或失业",
        },
        default="event",
        why="“2021年1月起，领取失业保险金期满仍未就业的…”：时间修饰期满、失业的情形；按申领日理解会把此前早已期满的人员纳入。",
        programs=("unemployment_subsidy",),
    )
)
AFTER_INCLUSIVE = interpretations.register(
    interpretations.Switch(
        name="temp_living_allowance.after_includes_day",
        title="临时生活补助“2021年1月1日之后停保”是否含1月1日当日",
        clauses=("内人社办发〔2022〕86号 （四）15",),
        readings={
            "inclusive": "含当日：2021年1月1日及以后停保",
            "exclusive": "不含当日：2021年1月2日及以后停保",
        },
        default="inclusive",
        why="“之后”与“起”在人社文件中常同义，且2021年1月1日起新的一年度；严格字面可不含当日。",
        programs=("temp_living_allowance",),
    )
)
TEMP_INSURED_BASIS = interpretations.register(
    interpretations.Switch(
        name="temp_living_allowance.insured_year_basis",
        title="临时生活补助“参保不满1年”按累计还是最后一段连续参保",
        clauses=("内人社办发〔2022〕86号 （四）15",),
        readings={"cumulative": "累计参保不满12个月", "continuous": "最后一段连续参保不满12个月"},
        default="cumulative",
        why="原文“参保不满1年”，未写“连续”；按累计与“缴费满1年”的累计口径一致。",
        programs=("temp_living_allowance",),
    )
)
FLEXIBLE_OVERLAP = interpretations.register(
    interpretations.Switch(
        name="ui_benefit.flexible_subsidy_overlap",
        title="“已进行灵活就业人员登记并领取社保补贴的人员，不同时发放失业保险金”：不予发放还是同期不重复发放",
        clauses=("内人社发〔2025〕18号 五",),
        readings={
            "not_paid": "领取社保补贴期间提出的失业保险金申领不予发放（不符合条件；社保补贴停发后可另行申领）",
            "suspend_overlap": "不同时发放指同一期间不重复发放：申领照常认定，领取社保补贴期间暂停发放失业保险金（暂缓发放），"
            "社保补贴停发后按剩余期限发放",
        },
        default="not_paid",
        why="该句在“精准界定人员范围”之下，界定的是谁可领：已登记灵活就业并领取社保补贴的人员按就业对待，领取补贴期间不发放失业保险金，"
        "本次申领按不符合条件处理（补贴停发后可再申领，不是永久排除）。“不同时发放”字面也可读作只是两者不在同一期间重复发放："
        "认定领取资格、补贴期间暂停、之后补发剩余期限。两种理解对正在领取补贴者本次的结论不同（不予发放／符合条件但暂缓发放），"
        "未认定本开关时为“待认定”。",
        programs=("ui_benefit",),
    )
)
RURAL_SCOPE = interpretations.register(
    interpretations.Switch(
        name="temp_living_allowance.rural_worker_scope",
        title="临时生活补助“失业农牧民工”的范围",
        clauses=("内人社办发〔2022〕86号 （四）15",),
        readings={
            "rural_hukou": "农村（农牧区）户籍的失业人员",
            "contract_worker": "仅单位招用、本人未缴费的农民（农牧民）合同制工人（条例第二十一条的范围）",
        },
        default="rural_hukou",
        why="“农牧民工”通常指农村户籍进城务工人员；条例第二十一条的“农民合同制工人”是更窄的口径。",
        programs=("temp_living_allowance",),
    )
)
EARLY_TERMINATION = interpretations.register(
    interpretations.Switch(
        name="one_off_living_allowance.early_termination_scope",
        title="一次性生活补助“提前解除劳动合同”是否包括本人提出解除",
        clauses=("失业保险条例 第二十一条", "内人社办发〔2022〕86号 （四）13"),
        readings={"any": "任何一方提出的提前解除均可", "not_at_worker_request": "本人提出的提前解除不在其列"},
        default="any",
        why="原文“劳动合同期满未续订或者提前解除劳动合同的”，未区分由谁提出。",
        programs=("one_off_living_allowance",),
    )
)
CLAIM_FIRST_PERIOD = interpretations.register(
    interpretations.Switch(
        name="ui_benefit.claim_first_period",
        title="内人社办发〔2022〕86号“也可先申领失业保险金，后办理失业登记”在2022年以后（人社部发〔2024〕40号印发前）是否仍适用",
        clauses=("内人社办发〔2022〕86号 （四）12",),
        readings={
            "until_superseded": "文本未写期限：自文件起持续适用，直至被人社部发〔2024〕40号 五（2024-04-28）取代",
            "calendar_year": "只适用于文件所属年度（2022年），按申领日判断：2023-01-01 至 2024-04-27 申领须已办理失业登记",
        },
        default="until_superseded",
        why="（四）12 未写截止日期，而本方案需要期限时都写明了（如“政策执行至 2022 年底”只针对所列措施）；先申领后登记是申领程序，"
        "不是阶段性待遇。2024-04-28 起由人社部发〔2024〕40号 五（“持续优化经办服务”，“全面取消…捆绑条件和附加义务”，未写期限，"
        "而40号在一、二、三 中都写明了执行期限）作为常设规定调整，不再是本开关的问题。失业登记仍是条例的条件，只是不再作为申领的前提，"
        "随后办理（核查事项）。失业补助金“不符合领取失业保险金条件”用同一判断。",
        programs=("ui_benefit", "unemployment_subsidy"),
    )
)
# ---------------------------------------------------------------------------------------------
# shared pieces


def _has(*names: str):
    return lambda params: all(n in params for n in names)


def _true(name: str):
    return lambda params: name in params and params[name].value is True


def _risk(name: str):
    def applies(params: Mapping[str, Any]) -> bool:
        p = params.get("risk_checks")
        return p is not None and name in (p.value or [])

    return applies


paid = Fact("paid_months", "本次失业前累计缴费月数", MONTHS)
unclaimed = Fact("unclaimed_previous_months", "前次失业应领而未领月数", MONTHS)
not_reemployed = ~Fact("reemployed", "已重新就业", BOOL)
min_paid_months = (Param("min_paid_years") * 12).named("规定缴费月数", MONTHS)
# 第十四条 "缴费义务满1年" is counted like 第十七条's 累计缴费时间 (cumulative since the last re-employment)
# 兵团 二（四） (“对发放失业保险金后，仍有失业人员…在其他统筹地区有参保的，应在办理转移接续后重新计算待遇发放期限”):
# where the document in force sets ``recompute_duration_after_transfer``, the contribution time is the combined
# time after the transfer — for the 满1年 condition and the period alike; elsewhere (条例) ``paid_months`` alone
_RECOMPUTE = HasParam("recompute_duration_after_transfer")
_paid_after_transfer = (
    paid + Coalesce(Fact("paid_months_transferred_in", "转移接续转入的其他统筹地区缴费月数", MONTHS), Lit(0, MONTHS))
).named("转移接续后累计缴费月数", MONTHS)
paid_counted = when(_RECOMPUTE, _paid_after_transfer, paid).named("本次失业前累计缴费月数", MONTHS)
# the condition written per branch, so each decision names the figure it read (the 条例 path: paid_months alone)
paid_one_year = when(_RECOMPUTE, _paid_after_transfer >= min_paid_months, paid >= min_paid_months)

# 条例 第十五条 (facts.md §1): 失业保险金 stops “并同时停止享受其他失业保险待遇” — the same test on 失业补助金 and
# 临时生活补助 (STOP_OTHER_BENEFITS). The policy's ``stop_reasons`` lists exactly these keys (gwyl-258-tiaoli.yaml);
# 第十五条（七）“有法律、行政法规规定的其他情形的” names no case a fact could record: it is not a key.
STOP_REASONS = {
    "reemployed": "重新就业",
    "conscripted": "应征服兵役",
    "emigrated": "移居境外",
    "pension_started": "享受基本养老保险待遇",
    "imprisoned": "被判刑收监执行",
    "refused_offered_job": "无正当理由拒不接受介绍的工作",
}
_STOP_LIST = "、".join(STOP_REASONS.values())
STOP = Fact("reemployed", STOP_REASONS["reemployed"], BOOL)
for _key, _label in list(STOP_REASONS.items())[1:]:
    STOP = STOP | Fact(_key, _label, BOOL)


def stop_other_benefits(benefit: str) -> Check:
    """条例 第十五条 on a benefit other than 失业保险金: the same facts as ``not_stopped``; cited in the text (the
    allowance's document does not restate 第十五条, and a block cites only its own document and its base)."""
    return Check(
        "not_stopped",
        f"无失业保险条例（国务院令第258号）第十五条规定的停止享受失业保险待遇的情形（{_STOP_LIST}）",
        ~STOP,
        reason=f"有失业保险条例（国务院令第258号）第十五条规定的情形，停止领取失业保险金并同时停止享受其他失业保险待遇，不发放{benefit}",
        clauses=("国务院令第258号 第十五条",),
    )


# risk flags (never a refusal), each applying where the document in force lists it in ``risk_checks``:
# 内人社发〔2025〕18号 五 lists all three; 人社部发〔2024〕40号 六 and 晋人社厅发〔2024〕28号 六 ask for the national
# data comparison against 冒领 and 多发待遇, encoded as cross_region and status_anomaly (docs/decisions.md)
PERSON_RISKS = [
    Check(
        "cross_region",
        "无异地重复领取",
        ~Fact("claimed_elsewhere", "异地同期领取", BOOL),
        kind=FLAG,
        applies=_risk("cross_region_duplicate"),
        cite=("risk_checks",),
        reason="疑点：异地重复领取，需排查",
    ),
    Check(
        "status_anomaly",
        "生存状态、身份状态正常",
        ~(Fact("deceased", "生存状态异常（已死亡）", BOOL) | Fact("identity_anomaly", "身份状态异常", BOOL)),
        kind=FLAG,
        applies=_risk("survival_or_identity_anomaly"),
        cite=("risk_checks",),
        reason="疑点：生存状态或身份状态异常人员领取，需排查",
    ),
    Check(
        "short_term_insured",
        "非短期参保领取（缴费月数不低于短期参保核查线）",
        paid >= Setting("short_term_insured_months", "短期参保核查线（地区设置）", MONTHS),
        kind=FLAG,
        applies=_risk("short_term_insured"),
        cite=("risk_checks",),
        reason="疑点：短期参保领取失业保险金，需排查",
    ),
]


# 内人社发〔2025〕18号 三: 大龄领取失业保险金人员 join the enterprise pension scheme under 人社部发〔2024〕76号 and
# 内人社办发〔2024〕193号 (neither in the corpus): a referral flag; who is "大龄" is not in the texts → region setting
OLDER_REFERRAL = Check(
    "older_pension_referral",
    "非大龄领金人员（距法定退休年龄月数多于地区设置的大龄界线）",
    Fact("months_to_statutory_retirement", "距法定退休年龄月数", MONTHS)
    > Setting(
        "older_recipient_months_to_retirement", "大龄界线：距法定退休年龄月数（地区设置，含本数）", MONTHS
    ),
    kind=FLAG,
    applies=_true("older_recipient_pension_referral"),
    cite=("older_recipient_pension_referral",),
    reason="大龄领取失业保险金人员：按人社部发〔2024〕76号、内人社办发〔2024〕193号做好参加企业职工基本养老保险工作（两文件不在本库，按其规定核办）",
)

# 兵团 二（四）: the claimant chooses where the insurance relation is aggregated (最后参保地或户籍地)
AGGREGATION_CHOSEN = Check(
    "aggregation_place_chosen",
    "参保关系归集地为最后参保地或户籍地，并由失业人员自主选择",
    Fact("aggregation_place", "参保关系归集地").isin(["last_insured_place", "hukou_place"])
    & Fact("aggregation_place_chosen_by_claimant", "归集地由失业人员自主选择（经办人员已主动告知）", BOOL),
    kind=FLAG,
    applies=_true("aggregate_at_last_or_hukou_place"),
    cite=("aggregate_at_last_or_hukou_place", "aggregation_chosen_by_claimant"),
    reason="须主动告知失业人员可在最后参保地或户籍地归集参保关系，由其自主选择并办理转移接续",
)


class WorkingDaysAfter(Expr):
    """The date ``days`` working days after ``start`` by the Chinese working-day calendar (``wengang.workdays``,
    maintained with the State Council's holiday notices). Unknown while that module is not installed."""

    fmt = DATE

    def __init__(self, start: Expr, days: Param, label: str | None = None):
        self.start, self.days = start, days
        self.label = label

    def children(self) -> tuple[Expr, ...]:
        return (self.start, self.days)

    @staticmethod
    def _add() -> Any:
        try:
            from wengang.workdays import add_working_days
        except ImportError:
            return None
        return add_working_days

    def _eval(self, ctx: EvalContext) -> Any:
        start, days, add = self.start.eval(ctx), self.days.eval(ctx), self._add()
        if start is None or days is None or add is None:
            return None
        return add(start, int(days))

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        add, days = self._add(), ctx.params[self.days.name].value
        if add is None:
            return pl.lit(None, dtype=pl.Date)
        return self.start.to_polars(ctx).map_elements(
            lambda d: None if d is None else add(d, int(days)), return_dtype=pl.Date
        )


# 条例 第十八条 (the province sets the standard) covers 失业保险金 only; 86号 （四）14/15 give 失业补助金 and 临时生活补助
# a number of months and no standard, and the letter says just that
_UI_STANDARD = "由省级人民政府确定，本决定未含月标准（经办机构提供地区设置后计算金额）"
_NO_STANDARD = "文件只规定可申领月数，未规定月标准；本决定未含金额（经办机构提供地区设置后计算金额）"


def _standard_outputs(months: Any, setting: str, label: str, note: str = _NO_STANDARD) -> list[Output]:
    monthly = Setting(setting, label, MONEY)
    return [
        Output("monthly_standard", label, monthly, MONEY),
        Output("total", "合计金额（月数 × 月标准）", months * monthly, MONEY),
        Output("standard_note", "发放标准", when(monthly.is_missing(), Lit(note), Lit(None)), TEXT),
    ]


# ---------------------------------------------------------------------------------------------
# 失业保险金 (ui_benefit / regulation)

duration = when(
    paid_counted >= 120,
    Param("duration_months_10y_plus", "缴费10年以上的期限", MONTHS),
    when(
        paid_counted >= 60,
        Param("duration_months_5_to_10y", "缴费满5年不足10年的期限", MONTHS),
        when(
            paid_counted >= 12, Param("duration_months_1_to_5y", "缴费满1年不足5年的期限", MONTHS), Lit(0, MONTHS)
        ),
    ),
).named("按本次缴费时间计算的领取期限", MONTHS)
entitled = Min(duration + unclaimed, Param("max_combined_months", "合并计算的最长期限", MONTHS)).named(
    "合并前次未领期限后的领取期限", MONTHS
)

# 条例 第二十条 (facts.md §1): a person who dies while drawing benefit is paid no benefit after death; the months
# left are not paid (the family gets 丧葬补助金 and 抚恤金: program ``ui_death_benefits``). Months payable run from the
# first month of benefit through the month of death.
_deceased = Fact("deceased", "已死亡", BOOL)
_death_date = Fact("death_date", "死亡日期", DATE)
_death_span = MonthSpan(Fact("benefit_start_date", "起始发放日期", DATE), _death_date, label="起始发放月至死亡当月的月数")
months_payable = when(_deceased, Min(entitled, _death_span), entitled).named(
    "可发放月数（领取期间死亡的，至死亡当月为止）", MONTHS
)
# 兵团 二（四）: the period is recomputed after benefit has begun; months already drawn in this spell were paid, so
# what is paid now is the recomputed period less those months (the ``remaining_months`` output), never below 0
_drawn = Coalesce(Fact("months_already_drawn", "本次失业已领取失业保险金月数", MONTHS), Lit(0, MONTHS))
months_paid_now = when(
    _RECOMPUTE,
    Max(months_payable - _drawn, Lit(0, MONTHS)).named("转移接续后剩余可领月数", MONTHS),
    months_payable,
).named("本次发放月数", MONTHS)
monthly_benefit = Setting("monthly_benefit_amount", "失业保险金月标准", MONEY)
# nothing left to pay is not 符合条件 with 0 fen (outside UI audit F4, session 41): a death before the first month of
# benefit (条例 第二十条: the benefit stops at death; the family's 丧葬补助金 and 抚恤金 are ``ui_death_benefits``), and
# under 兵团 二（四） months already drawn that reach the recomputed period. A case whose dates are not given is decided
# as before (its amount is unknown, the months are not)
DIED_BEFORE_START = Check(
    "died_before_benefit_start",
    "未在起始发放月之前死亡（死亡的，发放至死亡当月为止）",
    when(_deceased & ~IsMissing(_death_span), _death_span > Lit(0, MONTHS), Lit(True)),
    applies=_true("benefit_ends_at_death"),
    cite=("benefit_ends_at_death",),
    reason="死亡时尚未开始领取失业保险金（死亡日期早于起始发放月），无可发放的失业保险金；其家属按失业保险条例第二十条申领丧葬补助金和抚恤金",
)
MONTHS_LEFT = Check(
    "months_left_after_transfer",
    "本次失业已领取的月数少于转移接续后重新计算的领取期限（尚有可领月数）",
    when(Coalesce(months_payable, Lit(0, MONTHS)) > Lit(0, MONTHS), _drawn < months_payable, Lit(True)),
    applies=lambda p: "recompute_duration_after_transfer" in p,
    cite=("recompute_duration_after_transfer",),
    reason="本次失业已领取的失业保险金月数已达到转移接续后重新计算的领取期限，无剩余可领月数",
)
DEATH_STOP = Check(
    "died_during_benefit",
    "未在领取失业保险金期间死亡（死亡的，发放至死亡当月为止）",
    ~_deceased,
    kind=FLAG,
    applies=_true("benefit_ends_at_death"),
    cite=("benefit_ends_at_death",),
    reason="领取期间死亡：失业保险金发放至死亡当月为止，剩余月数不再发放；其家属按失业保险条例第二十条申领丧葬补助金和抚恤金",
)

_registered = Fact("registered_unemployed", "已办理失业登记", BOOL)
_seeking = Fact("seeking_work", "有求职要求", BOOL)
# 86号 （四）12 / 40号 五: registration is no longer a precondition of the claim. 40号 五 is a standing service reform
# (no end date, where 40号 dates its temporary measures in 一、二、三), so it applies without a switch; only 86号's
# undated sentence, which sets ``claim_first_calendar_year_end`` for the calendar_year reading, has an open period (A17)
_claim_first = when(
    HasParam("claim_first_calendar_year_end"),
    Reading(
        CLAIM_FIRST_PERIOD.name,
        {
            "until_superseded": Lit(True),
            "calendar_year": Fact("application_date", "申领日期", DATE)
            <= OptionalParam("claim_first_calendar_year_end", "申领便利措施所属年度末", DATE),
        },
    ),
    Lit(True),
)

# 条例 第十四条 as the document in force states it (86号 （四）12, 40号 五): the conditions of 失业保险金, one definition
# used by the ui_benefit checks below and by 失业补助金's “不符合领取失业保险金条件” (MEETS_UI_CONDITIONS)
_paid_condition = paid_one_year | Reading(
    REMAINING_WITHOUT_NEW_YEAR.name,
    {"not_allowed": Lit(False), "allowed": unclaimed > 0},
)
_involuntary = Fact("involuntary_separation", "非因本人意愿中断就业", BOOL)
_registered_and_seeking = _registered & _seeking
_registered_or_claim_first = (_registered | _claim_first) & _seeking


def _applies_registered(p: Mapping[str, Any]) -> bool:
    return _true("registration_required")(p) and not _true("registration_may_follow_claim")(p)


def _applies_claim_first(p: Mapping[str, Any]) -> bool:
    return _true("registration_required")(p) and _true("registration_may_follow_claim")(p)


def _if_true(name: str, then: Expr, otherwise: Expr | None = None) -> Expr:
    """``then`` where the document in force sets the bool ``name`` true, else ``otherwise`` (default: met)."""
    rest = Lit(True) if otherwise is None else otherwise
    return ByParam(name, {"True": then, "False": rest}, rest)


MEETS_UI_CONDITIONS = (
    _paid_condition
    & _if_true("involuntary_required", _involuntary)
    & _if_true(
        "registration_required",
        _if_true("registration_may_follow_claim", _registered_or_claim_first, _registered_and_seeking),
    )
).named("符合领取失业保险金条件（失业保险条例 第十四条，按适用文件的表述）", BOOL)

# 内人社发〔2025〕18号 五 "已进行灵活就业人员登记并领取社保补贴的人员，不同时发放失业保险金" (ui_benefit.flexible_subsidy_overlap):
# refused while the subsidy runs, or entitled with the payment held until it stops (the output payment_hold)
_flexible_subsidy = Fact("receiving_flexible_employment_subsidy", "已进行灵活就业人员登记并领取社保补贴", BOOL)
_flexible_suspended = ByParam(
    "exclusive_with_flexible_employment_subsidy",
    {"True": Reading(FLEXIBLE_OVERLAP.name, {"not_paid": Lit(False), "suspend_overlap": Coalesce(_flexible_subsidy, Lit(False))})},
    Lit(False),
)
FLEXIBLE_HOLD_REASON = (
    "正在领取灵活就业人员社保补贴：不同时发放失业保险金，社保补贴停发后按剩余期限发放（内人社发〔2025〕18号 五）"
)

UI_CHECKS = [
    Check(
        "paid_one_year",
        "所在单位和本人已按规定履行缴费义务满{min_paid_years}年（12个月，含本数）",
        _paid_condition,
        cite=("min_paid_years",),
        reason="缴费不满{min_paid_years}年，不符合领取失业保险金条件",
    ),
    Check(
        "involuntary",
        "非因本人意愿中断就业",
        _involuntary,
        applies=_true("involuntary_required"),
        cite=("involuntary_required",),
        reason="系本人意愿中断就业，不符合领取失业保险金条件",
    ),
    Check(
        "registered",
        "已办理失业登记，并有求职要求",
        _registered_and_seeking,
        applies=_applies_registered,
        cite=("registration_required",),
        reason="未办理失业登记或无求职要求",
    ),
    Check(
        "registered_or_claim_first",
        "已办理失业登记或按规定可先申领、后办理失业登记，并有求职要求",
        _registered_or_claim_first,
        applies=_applies_claim_first,
        cite=("registration_required", "registration_may_follow_claim"),
        reason="未办理失业登记（申领便利措施不适用于本次申领）或无求职要求",
    ),
    Check(
        "registered_later",
        "已办理失业登记（也可先申领后登记）",
        _registered | ~_claim_first,
        kind=FLAG,
        applies=_true("registration_may_follow_claim"),
        cite=("registration_may_follow_claim",),
        reason="尚未办理失业登记：可先申领失业保险金，后办理失业登记（不以登记为申领前提），请引导其办理失业登记",
    ),
    Check(
        "not_stopped",
        "无停止领取失业保险金的情形（" + _STOP_LIST + "）",
        ~STOP,
        cite=("stop_reasons",),
        reason="有条例第十五条规定的停止领取失业保险金情形",
    ),
    Check(
        "not_with_flexible_subsidy",
        "未在领取灵活就业人员社保补贴（不同时发放）",
        Reading(FLEXIBLE_OVERLAP.name, {"not_paid": ~_flexible_subsidy, "suspend_overlap": Lit(True)}),
        applies=_true("exclusive_with_flexible_employment_subsidy"),
        cite=("exclusive_with_flexible_employment_subsidy",),
        reason="已进行灵活就业人员登记并领取社保补贴，不同时发放失业保险金",
    ),
    Check(
        "flexible_subsidy_suspended",
        "无须因领取灵活就业人员社保补贴暂停发放（不同时发放）",
        ~_flexible_suspended,
        kind=FLAG,
        applies=_true("exclusive_with_flexible_employment_subsidy"),
        cite=("exclusive_with_flexible_employment_subsidy",),
        reason="暂缓发放：正在领取灵活就业人员社保补贴，不同时发放失业保险金；社保补贴停发后按剩余期限发放",
    ),
    DIED_BEFORE_START,
    MONTHS_LEFT,
    DEATH_STOP,
    *PERSON_RISKS,
    OLDER_REFERRAL,
    AGGREGATION_CHOSEN,
]


def _if_param(name: str, then: Any) -> Expr:
    """``then`` where the document in force sets ``name``, else nothing (the output is left out)."""
    return when(HasParam(name), then, Lit(None))


# 兵团 二（四）: after a transfer the period is recomputed on the combined contribution time (``paid_counted``,
# so ``entitled`` is already the recomputed period where the parameter is set); months already drawn count against it
_entitled_after_transfer = entitled

UI_OUTPUTS_SERVICE = [
    Output(
        "claim_documents",
        "申领所需证件",
        _if_param(
            "claim_with_id_or_card_only",
            Lit("仅凭身份证件或社保卡即可申领，不需其他证明材料（人社部发〔2024〕40号 五）"),
        ),
        TEXT,
    ),
    Output(
        "recomputed_months",
        "转移接续后重新计算的领取期限",
        _if_param("recompute_duration_after_transfer", _entitled_after_transfer),
        MONTHS,
    ),
    Output(
        "remaining_months",
        "转移接续后剩余可领月数（重新计算的期限 − 已领月数）",
        _if_param("recompute_duration_after_transfer", Max(_entitled_after_transfer - _drawn, Lit(0, MONTHS))),
        MONTHS,
    ),
    Output(
        "transfer_no_refusal",
        "转移接续",
        _if_param(
            "transfer_refusal_barred",
            Lit("不得以“本地已转出”“系统不支持”为由拒绝办理，发现问题及时沟通、协商解决"),
        ),
        TEXT,
    ),
    Output(
        "processing_limit",
        "办结时限：收到申请之日起的工作日数",
        _if_param("processing_working_days", Param("processing_working_days")),
    ),
    Output(
        "processing_due",
        "办结期限（收到申请之日起{processing_working_days}个工作日）",
        _if_param(
            "processing_working_days",
            WorkingDaysAfter(Fact("application_date", "申领日期", DATE), Param("processing_working_days")),
        ),
        DATE,
    ),
]

UI_BENEFIT = register(
    Ruleset(
        program="ui_benefit",
        name="regulation",
        label="失业保险金",
        facts=UnemployedPersonFacts,
        checks=UI_CHECKS,
        # the months are decided by the 条例; the money only when the province's monthly standard is supplied
        amount=(months_paid_now * monthly_benefit).named("失业保险金合计", MONEY),
        amount_label="失业保险金合计（可发放月数 × 月标准）",
        amount_optional=True,
        outputs=[
            Output("duration_months", "按缴费时间计算的领取期限（条例第十七条）", duration, MONTHS),
            Output(
                "entitled_months",
                "可领取失业保险金期限（含前次未领月数，最长{max_combined_months}个月）",
                entitled,
                MONTHS,
            ),
            Output(
                "months_payable",
                "领取期间死亡：实际发放月数（起始发放月至死亡当月）",
                when(_deceased, months_payable, Lit(None)),
                MONTHS,
            ),
            Output(
                "death_stop",
                "领取期间死亡",
                when(
                    _deceased,
                    Lit(
                        "失业保险金发放至死亡当月为止，剩余月数不再发放；家属可申领丧葬补助金和抚恤金（失业保险条例 第二十条）"
                    ),
                    Lit(None),
                ),
                TEXT,
            ),
            *_standard_outputs(months_paid_now, "monthly_benefit_amount", "失业保险金月标准", _UI_STANDARD),
            *UI_OUTPUTS_SERVICE,
            Output("payment_hold", "暂缓发放", when(_flexible_suspended, Lit(FLEXIBLE_HOLD_REASON), Lit(None)), TEXT),
        ],
        subject="个人",
    )
)

# ---------------------------------------------------------------------------------------------
# 失业补助金 (unemployment_subsidy / v2022)

# “不符合领取失业保险金条件”: the very test ui_benefit applies (条例 第十四条 as 86号 （四）12 states it, claim-first
# included), so a person who qualifies for 失业保险金 is not in the 失业补助金 group
_meets_ui = MEETS_UI_CONDITIONS
_event_date = when(
    Fact("ui_benefit_expired", "领取失业保险金期满", BOOL),
    Fact("ui_benefit_end_date", "失业保险金期满日期", DATE),
    Fact("separation_date", "失业日期", DATE),
).named("失业保险金期满或失业日期", DATE)

UNEMPLOYMENT_SUBSIDY = register(
    Ruleset(
        program="unemployment_subsidy",
        name="v2022",
        label="失业补助金",
        facts=UnemployedPersonFacts,
        checks=[
            Check(
                "group",
                "属于领取失业保险金期满仍未就业的失业人员，或依法参保缴费但不符合领取失业保险金条件的失业人员",
                Fact("ui_benefit_expired", "领取失业保险金期满", BOOL)
                | (
                    (paid > 0)
                    & Reading(
                        SUBSIDY_SCOPE.name,
                        {
                            "any_condition": ~_meets_ui,
                            "paid_under_one_year": (paid < 12)
                            & Fact("involuntary_separation", "非因本人意愿中断就业", BOOL),
                        },
                    )
                ),
                cite=("eligible_groups",),
                reason="不属于失业保险金期满仍未就业、或参保缴费但不符合领取失业保险金条件的失业人员",
            ),
            Check("not_reemployed", "仍未就业", not_reemployed, reason="已重新就业"),
            stop_other_benefits("失业补助金"),
            Check(
                "not_receiving_ui",
                "未在领取失业保险金",
                ~Fact("receiving_ui_benefit", "正在领取失业保险金", BOOL),
                reason="正在领取失业保险金",
            ),
            Check(
                "from_2021",
                "2021年1月起的情形",
                Reading(
                    SUBSIDY_FROM.name,
                    {
                        "event": _event_date >= Param("eligible_from", "起始日期", DATE),
                        "application": Fact("application_date", "申领日期", DATE)
                        >= Param("eligible_from", "起始日期", DATE),
                    },
                ),
                reason="失业保险金期满或失业发生在2021年1月之前",
            ),
        ],
        amount=(
            Param("duration_months", "期限", MONTHS) * Setting("monthly_amount", "失业补助金月标准", MONEY)
        ).named("失业补助金合计", MONEY),
        amount_label="失业补助金合计（月数 × 月标准）",
        amount_optional=True,
        outputs=[
            Output(
                "duration_months", "可申领失业补助金期限", Param("duration_months", "期限", MONTHS), MONTHS
            ),
            *_standard_outputs(Param("duration_months"), "monthly_amount", "失业补助金月标准"),
        ],
        subject="个人",
    )
)

# ---------------------------------------------------------------------------------------------
# 临时生活补助 (temp_living_allowance / v2022)

_stopped = Fact("insurance_stopped_on", "停保日期", DATE)
_since = Param("stopped_on_or_after", "规定日期", DATE)
_max_months = (Param("max_insured_years") * 12).named("规定月数", MONTHS)

TEMP_LIVING_ALLOWANCE = register(
    Ruleset(
        program="temp_living_allowance",
        name="v2022",
        label="临时生活补助",
        facts=UnemployedPersonFacts,
        checks=[
            Check(
                "rural_worker",
                "属于失业农牧民工",
                Reading(
                    RURAL_SCOPE.name,
                    {
                        "rural_hukou": Fact("rural_hukou", "农村（农牧区）户籍", BOOL),
                        "contract_worker": Fact(
                            "rural_contract_worker", "单位招用的农民合同制工人（本人未缴费）", BOOL
                        ),
                    },
                ),
                cite=("eligible_groups",),
                reason="不属于失业农牧民工",
            ),
            Check(
                "stopped_after",
                "{stopped_on_or_after}之后停保",
                Reading(
                    AFTER_INCLUSIVE.name, {"inclusive": _stopped >= _since, "exclusive": _stopped > _since}
                ),
                reason="停保日期不在{stopped_on_or_after}之后",
            ),
            Check("not_reemployed", "停保后一直未就业", not_reemployed, reason="停保后已就业"),
            stop_other_benefits("临时生活补助"),
            # （四）15 “停保一直未就业的参保不满 1 年的”: 停保 presumes insurance was paid — 0 months is no 停保
            Check(
                "insured_before_stop",
                "停保前曾参保（累计参保不少于1个月）",
                (Fact("insured_months", "累计参保月数", MONTHS) >= Lit(1, MONTHS))
                | (Fact("insured_months_continuous", "最后一段连续参保月数", MONTHS) >= Lit(1, MONTHS)),
                reason="无参保记录（累计参保0个月），不属于内人社办发〔2022〕86号 （四）15“停保一直未就业的参保不满 1 年的失业农牧民工”",
            ),
            Check(
                "insured_under_one_year",
                "参保不满{max_insured_years}年（不足12个月）",
                Reading(
                    TEMP_INSURED_BASIS.name,
                    {
                        "cumulative": Fact("insured_months", "累计参保月数", MONTHS) < _max_months,
                        # the last continuous spell is part of the cumulative months: under 12 cumulative is
                        # under 12 continuous, whatever the continuous figure
                        "continuous": (Fact("insured_months", "累计参保月数", MONTHS) < _max_months)
                        | (Fact("insured_months_continuous", "最后一段连续参保月数", MONTHS) < _max_months),
                    },
                ),
                reason="参保已满{max_insured_years}年，不属于临时生活补助对象",
            ),
        ],
        amount=(
            Param("duration_months", "期限", MONTHS) * Setting("monthly_amount", "临时生活补助月标准", MONEY)
        ).named("临时生活补助合计", MONEY),
        amount_label="临时生活补助合计（月数 × 月标准）",
        amount_optional=True,
        outputs=[
            Output(
                "duration_months", "可申领临时生活补助期限", Param("duration_months", "期限", MONTHS), MONTHS
            ),
            *_standard_outputs(Param("duration_months"), "monthly_amount", "临时生活补助月标准"),
        ],
        subject="个人",
    )
)

# ---------------------------------------------------------------------------------------------
# 一次性生活补助 (one_off_living_allowance / regulation, v2022)

_min_work = (Param("min_continuous_work_years") * 12).named("规定月数", MONTHS)
_contract_end = Fact("contract_end", "劳动合同终止情形")

ONE_OFF_CHECKS = [
    Check(
        "rural_contract_worker",
        "属于单位招用的农民（农牧民）合同制工人",
        Fact("rural_contract_worker", "单位招用的农民合同制工人", BOOL),
        cite=("eligible_groups",),
        reason="不属于单位招用的农民（农牧民）合同制工人",
    ),
    Check(
        "continuous_work",
        "连续工作满{min_continuous_work_years}年（12个月，含本数）",
        Fact("continuous_work_months", "在本单位连续工作月数", MONTHS) >= _min_work,
        reason="连续工作不满{min_continuous_work_years}年",
    ),
    Check(
        "unit_paid",
        "单位已缴纳失业保险费",
        Fact("unit_paid_premiums", "单位已缴纳失业保险费", BOOL),
        applies=_true("unit_paid_required"),
        reason="单位未缴纳失业保险费",
    ),
    Check(
        "trigger",
        "劳动合同期满未续订或者提前解除劳动合同",
        _contract_end.isin(["expired_not_renewed"])
        | (
            _contract_end.isin(["early_termination"])
            & Reading(
                EARLY_TERMINATION.name,
                {
                    "any": Lit(True),
                    "not_at_worker_request": ~Fact("terminated_at_worker_request", "本人提出解除", BOOL),
                },
            )
        ),
        cite=("triggers",),
        reason="劳动合同不是期满未续订或提前解除",
    ),
]

_per_year = Setting("amount_per_service_year", "每满1年工作时间的补助标准（地区设置）", MONEY)
ONE_OFF_OUTPUTS = [
    Output("basis", "计发依据", Lit("根据工作时间长短计发，办法和标准由省级确定"), TEXT),
    Output("per_year", "每满1年工作时间的补助标准", _per_year, MONEY),
]


def _one_off(name: str) -> Ruleset:
    return register(
        Ruleset(
            program="one_off_living_allowance",
            name=name,
            label="一次性生活补助",
            facts=UnemployedPersonFacts,
            checks=ONE_OFF_CHECKS,
            amount=None,
            outputs=ONE_OFF_OUTPUTS,
            subject="个人",
        )
    )


ONE_OFF_REGULATION = _one_off("regulation")
ONE_OFF_V2022 = _one_off("v2022")
