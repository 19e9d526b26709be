"""创业担保贷款 (``startup_loan``) and 一次性创业补贴 (``startup_grant``).

* 内政发〔2019〕4号 三: individuals "可申请最高不超过 15 万元" (no partnership rule: a partnership's application
  is held to one borrower's 15 万元, review E11); small firms hiring eligible people "达到企业现有在职
  职工人数 25%(超过 100 人的企业达到 15%)" on 1-year contracts "可申请最高不超过 300 万元"; 5000 元 一次性创业补贴
  for 离校 2 年内高校毕业生、就业困难人员 whose first small firm or 个体经营 has run normally for 1 year or more.
* 内人社办发〔2022〕86号 三(四)16: 20 万元; partnerships "最多不超过符合条件个人贷款总额度的 10%" more; small firms
  300 万元 at 15% (8% above 100 staff), no wage or premium arrears; terms (individual ≤ 3 years, one extension of
  ≤ 1 year with the bank's consent; small firm ≤ 2 years); counter-guarantee exemptions; the list of eligible groups.

The texts give only ceilings. ``amount_fen`` is the amount requested (``requested_amount_fen``) when it is within the
ceiling (不超过: the ceiling itself included; a request over it is refused by the check ``amount``, as "可申请最高不超过"
reads); without a requested amount it is the ceiling, with ``amount_is_cap`` true. The bank fixes the actual loan.
"""

from __future__ import annotations

from wengang.facts.applications import (
    BusinessType,
    LoanApplicant,
    StartupGrantFacts,
    StartupGroup,
    StartupLoanFacts,
)
from wengang.rules import interpretations
from wengang.rules.engine import Check, NotApplicable, Output, Ruleset, register
from wengang.rules.expr import (
    BOOL,
    MONEY,
    MONTHS,
    PERSONS,
    TEXT,
    YEARS,
    Coalesce,
    Expr,
    Fact,
    Lit,
    Param,
    RateOf,
    Ratio,
    Reading,
    when,
)

DOC_2019 = "内政发〔2019〕4号"
DOC_2022 = "内人社办发〔2022〕86号"

PARTNERSHIP_BASE = interpretations.register(
    interpretations.Switch(
        name="startup_loan.partnership_base",
        title="合伙创业提高额度的基数“符合条件个人贷款总额度”",
        clauses=(f"{DOC_2022} 三(四)16",),
        readings={
            "sum_of_limits": "符合条件的合伙人人数 × 个人贷款额度上限（20万元）",
            "sum_of_approved": "各合伙人按个人条件核定的贷款额度之和",
        },
        default="sum_of_limits",
        why=(
            "“个人贷款总额度”指按个人标准可贷额度的合计；额度上限是文件规定的数，核定额度则要等金融机构逐人审核，"
            "按上限之和可在受理时即算出合伙创业的上限，实际额度仍由金融机构在上限内确定。"
        ),
        programs=("startup_loan",),
    )
)

GRADUATE_WINDOW = interpretations.register(
    interpretations.Switch(
        name="startup_grant.graduate_window",
        title="一次性创业补贴“离校2年内高校毕业生”的判断时点",
        clauses=(f"{DOC_2019} 三",),
        readings={
            "registration": "创办（登记注册）时离校2年内",
            "application": "申请补贴时离校2年内",
        },
        default="registration",
        why=(
            "补贴还要求“自登记注册之日起正常运营1年以上”，若按申请时计算，毕业第2年才创办的人运营满1年时已离校超过2年，"
            "条件几乎无法同时满足；政策扶持的是离校2年内的创业行为，故按创办时判断。"
        ),
        programs=("startup_grant",),
    )
)

# 内政发〔2019〕4号 三 writes no period for the 一次性创业补贴; the product applies it in the years of the "创业内蒙古行动
# （2016-2020 年）" the clause opens with (the policy block's valid_to 2020-12-31). The other reading would keep the
# document in force after 2020: a change of which document applies, not of a value in it, so the reading is fixed by
# the document's parameter ``grant_period_basis`` and shown (output ``grant_period``), never silently assumed
# (outside ambiguity audit, session 42)
GRANT_PERIOD = interpretations.register(
    interpretations.Switch(
        name="startup_grant.period_2019",
        title="内政发〔2019〕4号 三 一次性创业补贴的适用期限（原文未写期限）",
        clauses=(f"{DOC_2019} 三",),
        readings={
            "action_2016_2020": "随“创业内蒙古行动（2016-2020 年）”，适用于2019年1月1日至2020年12月31日（此后无有效政策）",
            "no_end_date": "原文对一次性创业补贴未写期限，2020年以后仍适用（须经办机构认定并延长本文件的执行期限，本库未按此设定）",
        },
        default="action_2016_2020",
        why="第三条以“深入实施‘创业内蒙古行动（2016-2020 年）’”开头，一次性创业补贴是该行动下的措施，本库取行动的结束日；起始日取本文件"
        "执行年度2019年1月1日。原文对补贴本身没有写期限，也可读作2020年以后继续适用：2021年以后提出的申请在两种理解下结论不同"
        "（无有效政策／5000元）。本库的执行期限按前一种设定，由内政发〔2019〕4号的参数 grant_period_basis 固定；结论中列出所用期限。",
        programs=("startup_grant",),
    )
)

# ---------------------------------------------------------------------------------------------------
# 创业担保贷款

applicant = Fact("applicant", "申请主体")
is_firm = applicant.eq(LoanApplicant.small_firm)
is_partnership = applicant.eq(LoanApplicant.partnership)
partners = Fact("partners_eligible", "符合条件的合伙人人数", PERSONS)
employees = Fact("employees_current", "现有在职职工人数", PERSONS)
new_hires = Fact("new_hires_eligible", "当年新招用符合条件人员", PERSONS)
requested = Fact("requested_amount_fen", "申请贷款金额", MONEY)
term = Fact("requested_term_months", "申请贷款期限", MONTHS)
extension = Fact("extension_months", "申请展期期限", MONTHS)

max_individual = Param("max_amount_individual", "个人贷款额度上限", MONEY)
max_firm = Param("max_amount_small_firm", "小微企业贷款额度上限", MONEY)
hire_threshold = when(
    employees > Param("small_firm_large_headcount", "100人", PERSONS),
    Param("small_firm_min_new_hire_rate_large", "超过100人的企业标准"),
    Param("small_firm_min_new_hire_rate", "标准"),
)
hire_rate = Ratio(new_hires, employees, label="新招用人员占现有在职职工比例")


def _loan_cap(v2022: bool) -> Expr:
    if v2022:
        base = Reading(
            PARTNERSHIP_BASE.name,
            {
                "sum_of_limits": (partners * max_individual).named("个人贷款总额度", MONEY),
                "sum_of_approved": Fact("partners_approved_total_fen", "合伙人核定额度之和", MONEY),
            },
        )
        # "最多不超过符合条件个人贷款总额度的 10%": the uplift is a limit, in whole fen the largest that does not exceed
        # it (rounded down, docs/decisions.md §91), never half-up past the 10 % (outside audit P1, session 41)
        partnership_cap = base + RateOf(base, Param("partnership_uplift_max_rate"), ceiling=True)
    else:
        # 内政发〔2019〕4号 三 has no partnership rule (review E11): only "可申请最高不超过 15 万元" per person, so a
        # partnership's application is held to one borrower's cap; each eligible partner may apply in their own name
        partnership_cap = Param("max_amount_individual", "每名借款人额度上限", MONEY)
    return when(is_firm, max_firm, when(is_partnership, partnership_cap, max_individual))


def _loan_checks(v2022: bool) -> list[Check]:
    if v2022:
        group = Fact("group", "人员类别").isin(Param("eligible_groups_individual"))
        group_label = "（个人、合伙创业）借款人属于个人创业担保贷款对象范围"
    else:
        group = ~Fact("group", "人员类别").eq(StartupGroup.other)
        group_label = "（个人、合伙创业）借款人属于符合创业担保贷款申请条件的人员"
    checks = [Check("group", group_label, when(is_firm, NotApplicable(Lit(True), "不适用：申请主体为小微企业"), group), reason="借款人不属于创业担保贷款对象范围")]
    if v2022:  # the 2019 text has no partnership rule
        checks.append(
            Check(
                "partners",
                "（合伙创业）有2名以上符合条件的借款人",
                when(is_partnership, partners >= 2, NotApplicable(Lit(True), "不适用：申请主体不是合伙创业")),
                reason="合伙创业须有2名以上符合条件的借款人",
            )
        )
    checks += [
        Check(
            "small_firm",
            "（小微企业）贷款企业为小微企业",
            when(is_firm, Fact("size_class", "企业划型").isin({"small", "micro"}), NotApplicable(Lit(True), "不适用：申请主体不是小微企业")),
            reason="贷款企业不是小微企业",
        ),
        Check(
            "new_hires",
            "（小微企业）当年新招用符合条件人员达到现有在职职工人数{small_firm_min_new_hire_rate}"
            "（超过{small_firm_large_headcount}人的企业达到{small_firm_min_new_hire_rate_large}），"
            "并签订{small_firm_min_contract_years}年以上劳动合同",
            when(is_firm, hire_rate >= hire_threshold, NotApplicable(Lit(True), "不适用：申请主体不是小微企业")),
            cite=("small_firm_min_contract_years",),
            reason="当年新招用符合条件人员未达到现有在职职工人数的规定比例",
        ),
    ]
    if v2022:
        checks += [
            Check(
                "no_arrears",
                "（小微企业）企业无拖欠职工工资、欠缴社会保险费等严重违法违规信用记录",
                when(
                    is_firm,
                    ~Fact("wage_arrears", "拖欠职工工资记录", BOOL) & ~Fact("premium_arrears", "欠缴社会保险费记录", BOOL),
                    NotApplicable(Lit(True), "不适用：申请主体不是小微企业"),
                ),
                cite=("small_firm_no_serious_violations",),
                reason="企业有拖欠职工工资或欠缴社会保险费等严重违法违规信用记录",
            ),
            Check(
                "term",
                "贷款期限不超过规定（个人{max_term_individual_years}年，小微企业{max_term_small_firm_years}年）",
                Coalesce(term, Lit(0))
                <= when(
                    is_firm,
                    (Param("max_term_small_firm_years") * 12).named("2年", MONTHS),
                    (Param("max_term_individual_years") * 12).named("3年", MONTHS),
                ),
                reason="申请的贷款期限超过规定（个人不超过{max_term_individual_years}年，小微企业不超过{max_term_small_firm_years}年）",
            ),
            Check(
                "extension",
                "展期符合规定（个人贷款经经办金融机构认可可展期{extension_count}次，展期不超过{max_extension_years}年）",
                extension.eq(0)
                | (
                    ~is_firm
                    & (extension <= (Param("max_extension_years") * 12).named("1年", MONTHS))
                    & (Fact("extensions_before", "此前已展期次数") < Param("extension_count", "可展期次数"))
                    & Fact("bank_consents_extension", "经办金融机构认可展期", BOOL)
                ),
                reason="展期不符合规定：仅个人贷款经经办金融机构认可可展期{extension_count}次，展期期限不超过{max_extension_years}年",
            ),
        ]
    within_cap = Coalesce(requested, Lit(0)) <= _loan_cap(v2022).named("可申请额度上限", MONEY)
    if v2022:
        checks.append(Check("amount", "申请金额不超过可申请贷款额度上限", within_cap, reason="申请金额超过可申请贷款额度上限"))
        return checks
    # 2019: the note that the text has no partnership uplift is a refusal line of a partnership only, not of an
    # individual's or a small firm's (whose cap is 3,000,000元; outside audit L16b/L1, session 41). ``amount`` is the
    # one cap check for every applicant; ``partnership_cap`` fails with it only for a partnership, to say why its cap
    # is one borrower's
    checks += [
        Check("amount", "申请金额不超过可申请贷款额度上限", within_cap, reason="申请金额超过可申请贷款额度上限"),
        Check(
            "partnership_cap",
            "（合伙创业）申请金额不超过每名借款人额度上限{max_amount_individual}（内政发〔2019〕4号未规定合伙创业提高额度）",
            when(is_partnership, within_cap, NotApplicable(Lit(True), "不适用：申请主体不是合伙创业")),
            cite=("max_amount_individual",),
            reason="合伙创业按每名借款人额度办理：内政发〔2019〕4号未规定合伙创业提高额度，每名借款人最高不超过"
            "{max_amount_individual}，合伙人可各自申请",
        ),
    ]
    return checks


def _loan_outputs(v2022: bool) -> list[Output]:
    if not v2022:
        note = "内政发〔2019〕4号未规定合伙创业提高额度，按每名借款人最高不超过15万元；其他合伙人可各自申请"
        return [Output("partnership", "合伙创业", when(is_partnership, note, Lit(None)))]
    special_group = Coalesce(Fact("counter_guarantee_group", "特定群体"), Lit("")).isin(
        Param("counter_guarantee_exempt_groups")
    )
    exempt = (~is_firm & (requested <= Param("counter_guarantee_exempt_max_amount"))) | special_group
    return [
        Output("counter_guarantee_exempt", "免除反担保要求", exempt, BOOL),
        Output(
            "max_term",
            "贷款期限最长",
            when(is_firm, Param("max_term_small_firm_years"), Param("max_term_individual_years")),
            YEARS,
        ),
    ]


def _loan_amount(v2022: bool) -> Expr:
    """The texts set only a ceiling ("最高不超过…", "额度由15万元提高到20万元"): the amount decided is the amount requested
    when it is within the ceiling (不超过 includes the ceiling; a request over it fails the check ``amount``); without
    a requested amount, the ceiling itself (``amount_is_cap``)."""
    return when(requested.is_missing(), _loan_cap(v2022), requested)


def _amount_outputs(v2022: bool) -> list[Output]:
    return [
        Output("loan_cap", "可申请贷款额度上限", _loan_cap(v2022), MONEY),
        Output(
            "amount_basis",
            "金额依据",
            when(
                requested.is_missing(),
                Lit("未填写申请金额：金额为可申请额度上限，具体额度由经办金融机构在上限内确定"),
                Lit("按申请金额（不超过可申请额度上限）；具体额度由经办金融机构在申请金额内确定"),
            ),
        ),
    ]


for _name, _v2022 in (("v2019", False), ("v2022", True)):
    register(
        Ruleset(
            program="startup_loan",
            name=_name,
            label="创业担保贷款",
            facts=StartupLoanFacts,
            subject="个人",
            # a small firm borrows in its own name: its letter says 贵单位 (outside fidelity audit, session 39)
            subject_when=when(Fact("applicant", "申请主体").eq(LoanApplicant.small_firm), Lit("单位"), Lit("个人")),
            checks=_loan_checks(_v2022),
            amount=_loan_amount(_v2022),
            amount_label="贷款金额（申请金额；未填写申请金额的为可申请额度上限，具体额度由经办金融机构确定）",
            amount_cap_when=requested.is_missing(),
            outputs=[*_loan_outputs(_v2022), *_amount_outputs(_v2022)],
        )
    )

# ---------------------------------------------------------------------------------------------------
# 一次性创业补贴

grant_group = Fact("group", "人员类别")
window = (Param("graduate_max_years_since_leaving") * 12).named("2年", MONTHS)
within_window = Reading(
    GRADUATE_WINDOW.name,
    {
        "registration": Fact("months_left_school_at_registration", "登记注册时距离校", MONTHS) <= window,
        "application": Fact("months_left_school_at_application", "申请时距离校", MONTHS) <= window,
    },
)

STARTUP_GRANT_2019 = register(
    Ruleset(
        program="startup_grant",
        name="v2019",
        label="一次性创业补贴",
        facts=StartupGrantFacts,
        subject="个人",
        checks=[
            Check(
                "group",
                "属于离校{graduate_max_years_since_leaving}年内高校毕业生或就业困难人员",
                (grant_group.eq(StartupGroup.college_graduate) & within_window) | grant_group.eq(StartupGroup.employment_difficulty),
                cite=("eligible_groups",),
                reason="不属于离校{graduate_max_years_since_leaving}年内高校毕业生或就业困难人员",
            ),
            Check(
                "first_business",
                "首次创办",
                Fact("first_business", "首次创办", BOOL),
                cite=("first_time_only",),
                reason="不是首次创办小微企业或从事个体经营",
            ),
            Check(
                "business_type",
                "创办的是小微企业或从事个体经营",
                Fact("business_type", "创办主体类型").isin({BusinessType.small_micro_firm, BusinessType.individual_business}),
                cite=("first_time_only",),
                reason="所创办的不是小微企业或个体工商户",
            ),
            Check(
                "operating",
                "自登记注册之日起正常运营{min_operating_years}年以上",
                Fact("operating_months", "正常运营", MONTHS) >= (Param("min_operating_years") * 12).named("1年", MONTHS),
                reason="自登记注册之日起正常运营不满{min_operating_years}年",
            ),
            Check(
                "once",
                "未享受过一次性创业补贴",
                ~Fact("already_received", "已享受过一次性创业补贴", BOOL),
                reason="已享受过一次性创业补贴",
            ),
        ],
        amount=Param("amount", "补贴标准", MONEY),
        amount_label="补贴金额",
        outputs=[
            Output(
                "grant_period",
                "本补贴的适用期限（本库的解读，原文未写）",
                Reading(
                    GRANT_PERIOD.name,
                    {
                        "action_2016_2020": Lit("2019年1月1日至2020年12月31日（随“创业内蒙古行动（2016-2020 年）”）"),
                        "no_end_date": Lit("2019年1月1日起，未写截止日"),
                    },
                    fixed_by="grant_period_basis",
                ),
                TEXT,
            )
        ],
    )
)
