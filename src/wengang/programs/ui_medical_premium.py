"""代缴基本医疗保险（含生育保险）费 (``ui_medical_premium``) for people receiving 失业保险金.

| document | clause | text |
|---|---|---|
| 内政发〔2019〕4号 | 九 | “其个人应缴纳的基本医疗保险费从失业保险基金中列支” |
| 人社部发〔2024〕40号 | 四 | “持续做好失业保险金、代缴基本医疗保险（含生育保险）费、价格临时补贴等保生活待遇发放工作” |
| 晋人社厅发〔2024〕28号 | 四 | the same, “每月发放日后要统计汇总发放情况” |
| 兵团 draft | 一（四） | the same |
| 内人社发〔2025〕18号 | 三 | the same (base: 内政发〔2019〕4号 九) |

Who: a person receiving 失业保险金 in the month. What: the individual's basic medical insurance premium
(maternity included from 人社部发〔2024〕40号 四 on; 内政发〔2019〕4号 九 names only the 基本医疗保险费, and the
letter names the premium as the document in force does, by its ``includes_maternity`` parameter) for the
month, paid from the UI fund. How long: the months of benefit. The amount
is not in any text (it follows the local medical-insurance base and rate): the region setting
``medical_premium_monthly`` (元 per recipient per month). Without it the amount is not determinable and
the decision asks for that one setting.
"""

from __future__ import annotations

from wengang.facts.benefit import BenefitMonthFacts
from wengang.rules.engine import Check, Output, Ruleset, register
from wengang.rules.expr import BOOL, MONEY, MONTHS, TEXT, Coalesce, Fact, HasParam, Lit, Setting, when

monthly = Setting("medical_premium_monthly", "每月代缴基本医疗保险费（地区设置）", MONEY)
months = Fact("benefit_months", "领取失业保险金月数", MONTHS)

# 失业保险条例 第十七条: the benefit period is at most 24 months, a new entitlement combined with the months left from
# the previous spell included ("capped at 24 months in total"); 失业保险金 itself is computed under that cap
# (``ui_benefit``: Min(…, max_combined_months)). A period given here over it is not one the 条例 allows: the premium is
# not paid on it (a condition, as ui_benefit's are, so one case and a table agree) and the refusal names the field, not
# paid for 30 months (outside audit m4, session 41). The 条例 is not the document in force for this program, so its
# figure is stated here and cited by clause.
MAX_BENEFIT_MONTHS = 24
_within_period = Coalesce(months, Lit(0, MONTHS)) <= Lit(MAX_BENEFIT_MONTHS, MONTHS).named(
    "失业保险条例 第十七条的最长领取期限24个月", MONTHS
)

# what the document in force calls the premium: 人社部发〔2024〕40号 四 and the documents after it set
# ``includes_maternity`` (“基本医疗保险（含生育保险）费”); 内政发〔2019〕4号 九 says only “基本医疗保险费”
premium = when(HasParam("includes_maternity"), Lit("基本医疗保险（含生育保险）费"), Lit("基本医疗保险费"))

UI_MEDICAL_PREMIUM = register(
    Ruleset(
        program="ui_medical_premium",
        name="standard",
        label="代缴基本医疗保险费",
        facts=BenefitMonthFacts,
        subject="个人",
        checks=[
            Check(
                "receiving_benefit",
                "当月正在领取失业保险金",
                Fact("receiving_ui_benefit", "当月正在领取失业保险金", BOOL),
                cite=("pays_medical_premium",),
                reason="当月未领取失业保险金，不代缴基本医疗保险费",
            ),
            Check(
                "benefit_months_within_limit",
                f"领取失业保险金月数不超过{MAX_BENEFIT_MONTHS}个月（失业保险条例 第十七条，含合并计算的前次未领期限）",
                _within_period,
                clauses=("国务院令第258号 第十七条",),
                reason=f"领取失业保险金月数（benefit_months）超过失业保险条例 第十七条规定的最长领取期限{MAX_BENEFIT_MONTHS}个月"
                "（含合并计算的前次未领期限），该月数有误，不据此代缴：请核实本次核定的领取期限后重新审核",
            ),
        ],
        amount=monthly,
        amount_label="当月代缴额",
        outputs=[
            Output("premium", "代缴项目", premium, TEXT),
            Output("fund", "资金来源", Lit("从失业保险基金中列支（个人应缴部分由失业保险基金代缴）"), TEXT),
            Output("months", "代缴月数（领取失业保险金的月份）", months, MONTHS),
            Output("total", "领取期间代缴合计（月数 × 每月代缴额）", months * monthly, MONEY),
        ],
    )
)
