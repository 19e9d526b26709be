"""价格临时补贴 (``ui_price_subsidy``) for people receiving 失业保险金.

人社部发〔2024〕40号 四, 晋人社厅发〔2024〕28号 四, 兵团 draft 一（四）, 内人社发〔2025〕18号 三: “持续做好失业保险金、
代缴基本医疗保险（含生育保险）费、价格临时补贴等保生活待遇发放工作”.

The subsidy is paid in the months the price linkage mechanism (社会救助和保障标准与物价上涨挂钩的联动机制, not in the
corpus) is triggered, at the amount it sets. Neither the trigger nor the amount is in the texts: the region setting
``price_subsidy_monthly`` is the month's amount (0元 when the mechanism is not triggered). Without it the decision
is not determinable and asks that one region-level question.

The month decides the policy (``wengang.evaluate.benefit_month_date``): a month's subsidy follows the document in
force in that month (``benefit_month``), not the review or application date. A month before the library's first
provision is not decided under a later document, nor refused: the texts continue a duty ("持续做好…发放工作"), so it is
无法判定 saying which rule would settle it (``wengang.facts.benefit.month_before_first_rule``). A document that takes effect within a month (晋人社厅发〔2024〕28号 from 2024-05-24) raises the question
whether it governs that month: switch ``monthly_benefit.month_in_force`` (registered with ``BenefitMonthFacts``, shared with ``ui_medical_premium``).
"""

from __future__ import annotations

from wengang.facts.benefit import BenefitMonthFacts
from wengang.rules.engine import Check, Ruleset, register
from wengang.rules.expr import BOOL, MONEY, Fact, Setting

monthly = Setting("price_subsidy_monthly", "当月价格临时补贴标准（地区设置；未启动为0）", MONEY)

UI_PRICE_SUBSIDY = register(
    Ruleset(
        program="ui_price_subsidy",
        name="standard",
        label="价格临时补贴",
        facts=BenefitMonthFacts,
        subject="个人",
        checks=[
            Check(
                "receiving_benefit",
                "当月正在领取失业保险金",
                Fact("receiving_ui_benefit", "当月正在领取失业保险金", BOOL),
                cite=("pays_price_subsidy",),
                reason="当月未领取失业保险金，不发放价格临时补贴",
            ),
            Check(
                "mechanism_triggered",
                "当月价格临时补贴联动机制已启动（补贴标准大于0）",
                monthly > 0,
                cite=("pays_price_subsidy",),
                reason="当月未启动价格临时补贴联动机制",
            ),
        ],
        amount=monthly,
        amount_label="当月价格临时补贴",
    )
)
