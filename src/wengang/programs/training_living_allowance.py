"""培训期间生活费补贴 (``training_living_allowance``): 内政发〔2019〕4号 七, 2019-01-01 to 2020-12-31.

“2019 年 1 月 1 日至 2020 年 12 月 31 日，对其中就业困难人员和零就业家庭成员在培训期间再给予生活费补贴，培训生活费
补贴标准由各盟市根据本地区实际情况制定。生活费补贴政策每人每年只享受一次，且不可同时领取失业保险金。”

“其中” refers to the unemployed people in training just named (“对培训合格的失业人员给予职业培训补贴”); the allowance is
paid “在培训期间”, so the training (its start date) must fall in the period. “每人每年只享受一次”: allowed while the
count this year is below 1. The standard is the 盟市's: region setting ``living_allowance_standard``.
"""

from __future__ import annotations

from wengang.facts.benefit import TrainingFacts
from wengang.rules.engine import Check, Ruleset, register
from wengang.rules.expr import BOOL, COUNT, DATE, MONEY, Fact, Param, Setting

start = Fact("training_start", "培训开始日期", DATE)

TRAINING_LIVING_ALLOWANCE = register(
    Ruleset(
        program="training_living_allowance",
        name="v2019",
        label="培训期间生活费补贴",
        facts=TrainingFacts,
        subject="个人",
        checks=[
            Check(
                "unemployed",
                "参加培训的失业人员",
                Fact("unemployed", "失业人员", BOOL),
                reason="不是失业人员",
            ),
            Check(
                "in_period",
                "培训在{period_start}至{period_end}期间",
                (start >= Param("period_start", "起始日期", DATE))
                & (start <= Param("period_end", "截止日期", DATE)),
                reason="培训不在2019年1月1日至2020年12月31日期间",
            ),
            Check(
                "group",
                "属于就业困难人员或零就业家庭成员",
                Fact("employment_difficulty", "就业困难人员", BOOL)
                | Fact("zero_employment_family", "零就业家庭成员", BOOL),
                cite=("eligible_groups",),
                reason="不属于就业困难人员或零就业家庭成员",
            ),
            Check(
                "once_per_year",
                "本年度享受次数少于每人每年{once_per_year}次",
                Fact("living_allowance_times_this_year", "本年度已享受次数", COUNT)
                < Param("once_per_year", "每人每年次数", COUNT),
                reason="本年度已享受过培训期间生活费补贴（每人每年只享受一次）",
            ),
            Check(
                "not_with_ui_benefit",
                "培训期间未领取失业保险金（不可同时领取）",
                ~Fact("receiving_ui_benefit", "正在领取失业保险金", BOOL),
                cite=("exclusive_with_ui_benefit",),
                reason="正在领取失业保险金，不可同时领取培训期间生活费补贴",
            ),
        ],
        amount=Setting("living_allowance_standard", "培训生活费补贴标准（盟市制定）", MONEY),
        amount_label="培训期间生活费补贴",
    )
)
