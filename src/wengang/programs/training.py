"""职业技能提升行动 (内人社办发〔2022〕86号 三(三)10): the training subsidy and the fund draw.

``training_subsidy`` — a claim for 职业培训补贴 under the 专账资金:

* the class was applied for before training: "开展培训前，向辖区人力资源和社会保障部门提出申请", approved
  "在接到企业或职业技能培训机构申请之日起5个工作日内完成审批" (the decision shows that 办结期限);
* the trainee is "企业职工、就业重点群体、脱贫劳动力等符合补贴性培训条件人员" and obtained one of the five certificates
  "（职业资格证书、职业技能等级证书、专项职业能力证书、特种作业操作证书、培训合格证书）";
* payment only "公示无异议后", to "申请者本人银行账户或个人信用账户" (a person's claim) or to the unit's bank account
  (a firm's or training institution's claim). Both are payment conditions, not entitlement: flags, not refusals
  (the same reading as the 兵团 deferral hold, review E5).

The standard is set by 内人社发〔2019〕60号 and 内人社办发〔2020〕90号, which are not in the corpus: no amount.

``training_fund_draw`` — a pooling area may draw "不超过累计结余 5%" of the fund into the 专账 when "上年度失业保险
基金滚存结余备付期限在 2 年以上" (以上: 2 years pass), the 专账 is short and the protection measures are in place, until
"2022 年 12 月 31 日". The amount is the maximum draw: balance × 5%, half-up to the fen once; a requested draw
equal to it passes (不超过 includes the number).
"""

from __future__ import annotations

from wengang.deadlines import due_output
from wengang.facts.training import TrainingApplicant, TrainingFundDrawFacts, TrainingSubsidyFacts
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import BOOL, MONEY, TEXT, YEARS, Coalesce, Fact, Lit, Param, RateOf, when

# ---------------------------------------------------------------------------------------------------
# 职业技能提升行动培训补贴

is_individual = Fact("applicant", "申请主体").eq(TrainingApplicant.individual)
account = Fact("payment_account", "拟支付账户")
account_ok = when(is_individual, account.isin(Param("individual_accounts")), account.isin(Param("unit_accounts")))
account_rule = when(
    is_individual,
    "申请者本人银行账户或个人信用账户",
    "企业或职业技能培训机构的银行账户",
)

TRAINING_SUBSIDY_2022 = register(
    Ruleset(
        program="training_subsidy",
        name="v2022",
        label="职业技能提升行动培训补贴",
        facts=TrainingSubsidyFacts,
        subject="个人",
        checks=[
            Check(
                "trainee",
                "参训人员属于企业职工、就业重点群体、脱贫劳动力等符合补贴性培训条件人员",
                Fact("trainee_eligible", "符合补贴性培训条件", BOOL),
                cite=("eligible_trainees",),
                reason="参训人员不属于符合补贴性培训条件的人员",
            ),
            Check(
                "class_applied",
                "开展培训前已向辖区人力资源和社会保障部门提出开班申请并经审批",
                Fact("class_applied_before_training", "培训前开班申请已获批", BOOL),
                cite=("prior_class_application", "approval_working_days"),
                reason="培训前未向辖区人力资源和社会保障部门提出开班申请或未获批准",
            ),
            Check(
                "certificate",
                "参训人员取得职业资格证书、职业技能等级证书、专项职业能力证书、特种作业操作证书或培训合格证书",
                Fact("certificate_type", "取得的证书").isin(Param("certificate_types")),
                reason="参训人员未取得规定的证书",
            ),
            Check(
                "publicity",
                "已审核并公示，公示无异议（无异议后方可支付）",
                Coalesce(Fact("publicity_no_objection", "公示无异议", BOOL), Lit(False)),
                kind=FLAG,
                cite=("publicity_before_payment",),
                reason="尚未公示或公示有异议：公示无异议后方可支付",
            ),
            Check(
                "account",
                "拟支付账户符合规定（个人申请的支付到申请者本人银行账户或个人信用账户，企业、培训机构的支付到其银行账户）",
                Coalesce(account_ok, Lit(False)),
                kind=FLAG,
                cite=("individual_accounts", "unit_accounts"),
                reason="支付账户须为：个人申请的，申请者本人银行账户或个人信用账户；企业或培训机构申请的，其银行账户",
            ),
        ],
        outputs=[
            Output("pay_to", "支付账户", account_rule, TEXT),
            Output("pay_when", "支付时点", Lit("审核并公示，公示无异议后按规定支付"), TEXT),
            Output("standard", "补贴标准依据", Param("standard_source"), TEXT),
            due_output("class_application_received_on", "接到开班申请之日", "approval_working_days", "开班审批办结期限"),
        ],
    )
)

# ---------------------------------------------------------------------------------------------------
# 提取失业保险基金充实职业技能提升行动专账资金


balance = Fact("cumulative_balance_fen", "失业保险基金累计结余", MONEY)
# "不超过累计结余 5%": the cap in whole fen is rounded down (never half a fen past 5 %), and a request is compared
# with the exact 5 % of the balance, not with a rounded figure
max_draw = RateOf(balance, Param("max_draw_rate"), label="可提取上限（累计结余×5%，不超过，舍去不足1分部分）", ceiling=True)
requested = Fact("requested_draw_fen", "拟提取金额", MONEY)

TRAINING_FUND_DRAW_2022 = register(
    Ruleset(
        program="training_fund_draw",
        name="v2022",
        label="提取失业保险基金充实职业技能提升行动专账资金",
        facts=TrainingFundDrawFacts,
        subject="单位",
        checks=[
            Check(
                "reserve",
                "上年度失业保险基金滚存结余备付期限在{min_reserve_years}年以上",
                Fact("fund_reserve_years", "上年度滚存结余备付期限", YEARS)
                >= Param("min_reserve_years", "规定年限", YEARS),
                reason="上年度失业保险基金滚存结余备付期限不足{min_reserve_years}年",
            ),
            Check(
                "shortfall",
                "职业技能提升行动专账资金不足",
                Fact("special_account_insufficient", "专账资金不足", BOOL),
                cite=("requires_special_account_shortfall",),
                reason="职业技能提升行动专账资金并无不足",
            ),
            Check(
                "protections",
                "各项保生活稳岗位政策已落实到位",
                Fact("protections_in_place", "保生活稳岗位政策落实到位", BOOL),
                cite=("requires_protections_in_place",),
                reason="各项保生活稳岗位政策尚未落实到位",
            ),
            Check(
                "amount",
                "拟提取金额不超过累计结余的{max_draw_rate}",
                requested.is_missing()
                | (requested <= (balance * Param("max_draw_rate")).named("累计结余×5%", MONEY)),
                reason="拟提取金额超过累计结余的{max_draw_rate}",
            ),
        ],
        amount=max_draw,
        amount_label="可提取失业保险基金上限",
        outputs=[
            Output("draw_until", "提取期限至", Param("draw_until")),
            Output("requested", "拟提取金额", requested, MONEY),
        ],
    )
)
