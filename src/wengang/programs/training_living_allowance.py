"""培训期间生活费补贴 (``training_living_allowance``): 内政发〔2019〕4号 七, 2019-01-01 to 2020-12-31.

“2019 年 1 月 1 日至 2020 年 12 月 31 日，对其中就业困难人员和零就业家庭成员在培训期间再给予生活费补贴，培训生活费
补贴标准由各盟市根据本地区实际情况制定。生活费补贴政策每人每年只享受一次，且不可同时领取失业保险金。”

“其中” follows “对培训合格的失业人员给予职业培训补贴”: it may mean those who passed (the group just named) or, since the
allowance is paid “在培训期间”, those in training whether or not they pass. Switch
``training_living_allowance.among_whom`` (default ``passed``: passing required); a case with ``training_passed`` false
or unknown is 待认定 while the switch is open. The training (its start date) must fall in the period. “每人每年只享受一次”: allowed while the
count this year is below 1. The standard is the 盟市's: region setting ``living_allowance_standard``.
"""

from __future__ import annotations

from wengang.facts.benefit import TrainingFacts
from wengang.rules import interpretations
from wengang.rules.engine import Check, Ruleset, register
from wengang.rules.expr import BOOL, COUNT, DATE, MONEY, Fact, Lit, Param, Reading, Setting

AMONG_WHOM = interpretations.register(
    interpretations.Switch(
        name="training_living_allowance.among_whom",
        title="培训期间生活费补贴“对其中就业困难人员和零就业家庭成员”的“其中”指谁（是否须培训合格）",
        clauses=("内政发〔2019〕4号 七",),
        readings={
            "passed": "培训合格的失业人员：“其中”承接前句“对培训合格的失业人员给予职业培训补贴”，须培训合格",
            "in_training": "参加培训的失业人员：补贴“在培训期间”给予，不以培训合格为条件",
        },
        default="passed",
        why="“其中”紧接“对培训合格的失业人员给予职业培训补贴”，语法上指该句的对象，即培训合格的失业人员；"
        "“再给予”表明是在职业培训补贴之外另加，对象相同。“在培训期间”说明补贴针对的期间，不改变对象。",
        programs=("training_living_allowance",),
    )
)

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
                "training_passed",
                "培训合格（“其中”指培训合格的失业人员）",
                Reading(
                    AMONG_WHOM.name,
                    {
                        "passed": Fact("training_passed", "培训合格", BOOL).isin([True]),
                        "in_training": Lit(True),
                    },
                ),
                cite=("eligible_groups",),
                reason="培训不合格（或未完成培训）：生活费补贴给予其中（培训合格的失业人员中）的就业困难人员和零就业家庭成员",
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
