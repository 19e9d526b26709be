"""失业保险费率 (``fee_rate``): the total rate, the unit/individual split, and the premiums on a base.

* 内人社办发〔2022〕86号 三(二)5: "失业保险费率继续按1%执行，用人单位和个人分别执行0.5%", to 2023-04-30.
* 晋人社厅发〔2024〕28号 一: "阶段性降低失业保险费率至1%（单位部分0.7%，个人部分0.3%）", to 2025-12-31.
* 兵团 draft 一(一): "其中单位费率0.5%、个人费率0.5%", to 2025-12-31 (a draft: used only when asked).
* 人社部发〔2024〕40号 一 sets only the 1% (``v2024_unsplit``): the split is the province's, supplied by the
  operator as the region settings ``unit_rate`` and ``individual_rate``.

Premium = base (fen) × rate, rounded half-up to the fen, separately for the unit and the individual.
"""

from __future__ import annotations

from wengang.facts.applications import FeeRateFacts
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import MONEY, PERCENT, Coalesce, Expr, Fact, Param, RateOf, Setting

unit_base = Fact("unit_base_fen", "单位缴费基数", MONEY)
individual_base = Coalesce(Fact("individual_base_fen", "个人缴费工资基数", MONEY), unit_base)


def _ruleset(name: str, unit_rate: Expr, individual_rate: Expr) -> Ruleset:
    total = Param("total_rate", "失业保险费率", PERCENT)
    unit_premium = RateOf(unit_base, unit_rate, label="单位应缴失业保险费")
    individual_premium = RateOf(individual_base, individual_rate, label="个人应缴失业保险费")
    return register(
        Ruleset(
            program="fee_rate",
            name=name,
            label="失业保险费率",
            facts=FeeRateFacts,
            subject="单位",
            checks=[
                Check("base", "已提供缴费基数", unit_base >= 0, reason="缺少单位缴费基数"),
                Check(
                    "split",
                    "单位费率与个人费率之和等于失业保险费率{total_rate}",
                    (unit_rate + individual_rate).named("单位费率+个人费率", PERCENT).eq(total),
                    kind=FLAG,
                    cite=("total_rate",),
                    reason="单位费率与个人费率之和不等于失业保险费率，请核对地区设置",
                ),
            ],
            amount=unit_premium + individual_premium,
            amount_label="应缴失业保险费合计",
            outputs=[
                Output("total_rate", "失业保险费率", total, PERCENT),
                Output("unit_rate", "单位费率", unit_rate, PERCENT),
                Output("individual_rate", "个人费率", individual_rate, PERCENT),
                Output("unit_premium", "单位应缴", unit_premium, MONEY),
                Output("individual_premium", "个人应缴", individual_premium, MONEY),
            ],
        )
    )


_document_split = (Param("unit_rate", "单位费率", PERCENT), Param("individual_rate", "个人费率", PERCENT))
FEE_RATE_2022 = _ruleset("v2022", *_document_split)
FEE_RATE_2024 = _ruleset("v2024", *_document_split)
FEE_RATE_2024_UNSPLIT = _ruleset(
    "v2024_unsplit",
    Setting("unit_rate", "单位费率（省级确定）", PERCENT),
    Setting("individual_rate", "个人费率（省级确定）", PERCENT),
)
