"""就业见习补贴 (``internship``), 内政发〔2019〕4号 五.

"将就业见习补贴范围由离校未就业高校毕业生扩展至 16-24 岁失业青年。组织失业青年参加 3-12 个月的就业见习，按规定给予
就业见习补贴，见习补贴标准为自治区一类区最低工资标准的 50%，对见习人员见习期满留用率达到 50%以上单位，补贴标准提高至
60%。"

One row is one intern at a host unit; the unit's retention figures ride along on the row. The 一类区 minimum wage
in force is a region setting (``class1_minimum_wage``, e.g. ``1980元`` from 2021-12-01; the 2019–2021-11 figure is
not public, facts.md §8). Amount = wage × months paid × rate, rounded half-up to the fen once.
"""

from __future__ import annotations

from wengang.facts.applications import InternGroup, InternshipFacts
from wengang.rules import interpretations
from wengang.rules.engine import Check, Output, Ruleset, register
from wengang.rules.expr import (
    MONEY,
    MONTHS,
    PERCENT,
    PERSONS,
    YEARS,
    Fact,
    Lit,
    Min,
    Param,
    RateOf,
    Ratio,
    Reading,
    Setting,
    when,
)

DOC_2019 = "内政发〔2019〕4号"

LONG_INTERNSHIP = interpretations.register(
    interpretations.Switch(
        name="internship.over_max_months",
        title="见习期超过12个月时的补贴月数",
        clauses=(f"{DOC_2019} 五",),
        readings={
            "cap": "按12个月补贴（超过部分不补贴）",
            "refuse": "不属于“3-12个月的就业见习”，不予补贴",
        },
        default="cap",
        why="“3-12个月”规定的是见习期限；见习超过12个月时，前12个月的见习本身符合规定，按上限补贴更符合扶持见习的本意。",
        programs=("internship",),
    )
)

RETENTION_BASE = interpretations.register(
    interpretations.Switch(
        name="internship.retention_base",
        title="“见习期满留用率”的分母",
        clauses=(f"{DOC_2019} 五",),
        readings={
            "completed": "见习期满人数（中途离岗者不计）",
            "all": "全部见习人数（含中途离岗者）",
        },
        default="completed",
        why="原文为“见习人员见习期满留用率”，留用只能发生在见习期满之后，分母取见习期满的人数。",
        programs=("internship",),
    )
)

months = Fact("months", "见习月数", MONTHS)
group = Fact("intern_group", "见习人员类别")
age = Fact("age_at_start", "见习开始时年龄", YEARS)
months_paid = Reading(LONG_INTERNSHIP.name, {"cap": Min(months, Param("max_months")), "refuse": months}).named(
    "补贴月数", MONTHS
)
retention = Ratio(
    Fact("unit_interns_retained", "留用人数", PERSONS),
    Reading(
        RETENTION_BASE.name,
        {
            "completed": Fact("unit_interns_completed", "见习期满人数", PERSONS),
            "all": Fact("unit_interns_total", "见习人员总数", PERSONS),
        },
    ),
    label="见习期满留用率",
)
high_retention = retention >= Param("retention_threshold", "留用率标准", PERCENT)
rate = when(high_retention, Param("rate_high_retention", fmt=PERCENT), Param("rate", fmt=PERCENT)).named(
    "补贴标准", PERCENT
)
wage = Setting("class1_minimum_wage", "自治区一类区月最低工资标准", MONEY)

INTERNSHIP_2019 = register(
    Ruleset(
        program="internship",
        name="v2019",
        label="就业见习补贴",
        facts=InternshipFacts,
        subject="单位",
        checks=[
            Check(
                "group",
                "见习人员为离校未就业高校毕业生或16-24岁失业青年",
                group.isin(Param("eligible_groups")),
                reason="见习人员不是离校未就业高校毕业生或16-24岁失业青年",
            ),
            Check(
                "age",
                "失业青年见习开始时年龄在{eligible_age_min}至{eligible_age_max}岁之间",
                when(
                    group.eq(InternGroup.unemployed_youth_16_24),
                    (age >= Param("eligible_age_min", "16岁", YEARS)) & (age <= Param("eligible_age_max", "24岁", YEARS)),
                    Lit(True),
                ),
                reason="失业青年见习开始时年龄不在{eligible_age_min}至{eligible_age_max}岁之间",
            ),
            Check(
                "min_months",
                "见习期限不少于{min_months}个月",
                months >= Param("min_months", "3个月", MONTHS),
                reason="见习不满{min_months}个月，不属于3-12个月的就业见习",
            ),
            Check(
                "max_months",
                "见习期限不超过{max_months}个月（超过部分按解释处理）",
                Reading(LONG_INTERNSHIP.name, {"cap": months >= 0, "refuse": months <= Param("max_months", "12个月", MONTHS)}),
                reason="见习超过{max_months}个月，不属于3-12个月的就业见习",
            ),
        ],
        amount=RateOf(wage * months_paid, rate),
        amount_label="见习补贴金额",
        outputs=[
            Output("rate", "补贴标准（占一类区最低工资标准）", rate, PERCENT),
            Output("retention", "单位见习期满留用率", retention, PERCENT),
            Output("months_paid", "补贴月数", months_paid, MONTHS),
            Output("wage", "一类区月最低工资标准", wage, MONEY),
        ],
    )
)
