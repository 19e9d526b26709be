"""就业见习补贴 (``internship``), 内政发〔2019〕4号 五.

"将就业见习补贴范围由离校未就业高校毕业生扩展至 16-24 岁失业青年。组织失业青年参加 3-12 个月的就业见习，按规定给予
就业见习补贴，见习补贴标准为自治区一类区最低工资标准的 50%，对见习人员见习期满留用率达到 50%以上单位，补贴标准提高至
60%。"

One row is one intern at a host unit; the unit's retention figures ride along on the row. The 一类区 minimum wage
is a region setting (``class1_minimum_wage``, e.g. ``1980元`` from 2021-12-01; the 2019–2021-11 figure is not
public, facts.md §8), and it is the wage in force in each internship month (the parameter's note: 按见习月份), never
the review date's for all months (outside fidelity audit, session 39: a 2021 internship was paid at the wage that
began on its review date). ``prepare`` reads the region data in force in each month paid (the first
``min(months, max_months)`` months from ``start_month``); without ``start_month``, or with a month no region datum
covers, the amount is 无法判定. A wage the operator supplies (``--setting``, differing from the region data in force
on the period date, or where there are none) is the agency's figure for the whole internship and is cited as such.
Amount = Σ wage of each month paid × rate, rounded half-up to the fen once.

Readings the document fixes by a parameter (listed in ``wengang interpretations`` with the other reading): the age of
"16-24岁失业青年" at the start of the internship (``internship.youth_age_date``, parameter ``youth_age_basis``), and the
60 % standard for every intern of a unit whose retention reaches 50 % (``internship.high_rate_scope``, parameter
``high_retention_rate_scope``: "对…单位，补贴标准提高至60%").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from wengang.facts.applications import InternGroup, InternshipFacts
from wengang.money import format_yuan
from wengang.rules import interpretations
from wengang.rules.batch import ByRow, register_table_prepare
from wengang.rules.engine import Check, NotApplicable, Output, Ruleset, register
from wengang.rules.expr import (
    MONEY,
    MONTHS,
    PERCENT,
    PERSONS,
    TEXT,
    YEARS,
    Coalesce,
    Fact,
    Lit,
    Min,
    Note,
    Param,
    RateOf,
    Ratio,
    Reading,
    Setting,
    when,
)

DOC_2019 = "内政发〔2019〕4号"
WAGE = "class1_minimum_wage"


def _month_after(first: date, n: int) -> date:
    y, m = divmod(first.month - 1 + n, 12)
    return date(first.year + y, m + 1, 1)


def _wage_in(region: Any, first: date) -> int | None:
    """The region data's wage in force for the whole month beginning ``first`` (None: none, or it changed within it)."""
    from wengang.settings import region_values

    last = _month_after(first, 1) - timedelta(days=1)
    a, b = region_values(region, first).get(WAGE), region_values(region, last).get(WAGE)
    return a.value if a is not None and b is not None and a.value == b.value else None


def prepare(facts: dict[str, Any], resolution: Any) -> dict[str, Any]:
    """The wage of each month paid, from the region data in force that month (内政发〔2019〕4号 五, 按见习月份)."""
    from wengang.settings import region_values

    # a wage the operator gives for the case is the agency's figure for the whole internship: no region datum is
    # looked at (wage_at_period_fen missing selects it in the rules)
    at_period = None if WAGE in resolution.operator_settings else region_values(resolution.region, resolution.on).get(WAGE)
    out = {**facts, "wage_months_total_fen": None, "wage_months_detail": None,
           "wage_at_period_fen": at_period.value if at_period is not None else None}  # fmt: skip
    start, months = facts.get("start_month"), facts.get("months")
    cap = resolution.params.get("max_months")
    if start is None or months is None or cap is None:
        return out
    first = start.replace(day=1)
    paid = [_month_after(first, i) for i in range(min(months, int(cap.value)))]
    wages = [_wage_in(resolution.region, m) for m in paid]
    runs: list[tuple[date, date, int | None]] = []  # consecutive months with the same wage
    for m, w in zip(paid, wages, strict=True):
        if runs and runs[-1][2] == w:
            runs[-1] = (runs[-1][0], m, w)
        else:
            runs.append((m, m, w))
    out["wage_months_detail"] = "；".join(
        (f"{a.year}年{a.month}月" if a == b else f"{a.year}年{a.month}月至{b.year}年{b.month}月")
        + (f" {format_yuan(w)}" if w is not None else " 无地区数据（须由经办机构提供）")
        for a, b, w in runs
    ) or None
    if all(w is not None for w in wages):
        out["wage_months_total_fen"] = sum(w for w in wages if w is not None)
    return out


# a facts table: the same hook row by row, with the policy resolved for the row (rules.batch.ByRow); without it a
# table paid every month at the wage of the period date (outside fidelity audit, session 40)
register_table_prepare(
    prepare, ByRow((("wage_months_total_fen", pl.Int64), ("wage_months_detail", pl.String), ("wage_at_period_fen", pl.Int64)))
)

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

# readings the 2019 text settles as the product reads it, fixed by a parameter of the document (its quote and note say
# why) and listed with their other reading in ``wengang interpretations`` (outside ambiguity audit, session 42: they
# were named only in the YAML notes)
AGE_DATE = interpretations.register(
    interpretations.Switch(
        name="internship.youth_age_date",
        title="“16-24岁失业青年”的年龄按何时计算",
        clauses=(f"{DOC_2019} 五",),
        readings={
            "at_start": "见习开始时（周岁）在16至24岁之间",
            "at_end": "整个见习期间都在16至24岁之间（见习期满时不超过24岁；只有见习开始时年龄的，按见习月数推算上下限，推算不出为无法判定）",
        },
        default="at_start",
        why="原文“将就业见习补贴范围……扩展至16-24岁失业青年。组织失业青年参加3-12个月的就业见习”：年龄界定的是可组织参加见习的人员，"
        "在见习开始（组织参加）时判断；见习中途满25岁的不因此失去已开始的见习。由内政发〔2019〕4号的参数 youth_age_basis 固定为本读法"
        "（本库的解读，原文未写计算时点）。",
        programs=("internship",),
    )
)
HIGH_RATE_SCOPE = interpretations.register(
    interpretations.Switch(
        name="internship.high_rate_scope",
        title="留用率达到50%以上的单位，60%的补贴标准适用于哪些见习人员",
        clauses=(f"{DOC_2019} 五",),
        readings={
            "all_interns": "该单位的全部见习人员（含未留用的）均按60%",
            "retained_only": "只有被留用的见习人员按60%，其余按50%（需要每名见习人员是否留用的数据，本库无此项：无法判定）",
        },
        default="all_interns",
        why="原文“对见习人员见习期满留用率达到50%以上单位，补贴标准提高至60%”：提高的是对“单位”的补贴标准，留用率是单位的指标，"
        "不是见习人员个人的条件。由内政发〔2019〕4号的参数 high_retention_rate_scope 固定为本读法。",
        programs=("internship",),
    )
)

months = Fact("months", "见习月数", MONTHS)
group = Fact("intern_group", "见习人员类别")
age = Fact("age_at_start", "见习开始时年龄", YEARS)
months_paid = Reading(LONG_INTERNSHIP.name, {"cap": Min(months, Param("max_months")), "refuse": months}).named(
    "补贴月数", MONTHS
)
retention_base = Reading(
    RETENTION_BASE.name,
    {
        "completed": Fact("unit_interns_completed", "见习期满人数", PERSONS),
        "all": Fact("unit_interns_total", "见习人员总数", PERSONS),
    },
)
retention = Ratio(Fact("unit_interns_retained", "留用人数", PERSONS), retention_base, label="见习期满留用率")
# a unit none of whose interns has completed (the base 0) has no retention rate, and that is a fact, not missing data:
# its retention cannot have "达到50%以上", so the 50 % standard applies (内政发〔2019〕4号 五; outside audit I-R5,
# session 41: it was 无法判定 "缺少计算见习补贴金额所需数据")
high_retention = when(
    retention_base.eq(Lit(0, PERSONS)),
    Note(Lit(False), "单位尚无见习期满人员，留用率不能达到50%以上，按基本补贴标准"),
    retention >= Param("retention_threshold", "留用率标准", PERCENT),
)
rate = Reading(
    HIGH_RATE_SCOPE.name,
    {
        "all_interns": when(high_retention, Param("rate_high_retention", fmt=PERCENT), Param("rate", fmt=PERCENT)),
        # whether this intern was kept on is not recorded: unknown at a unit that reaches the threshold
        "retained_only": when(high_retention, Lit(None, PERCENT), Param("rate", fmt=PERCENT)),
    },
    fixed_by="high_retention_rate_scope",
).named("补贴标准", PERCENT)
_age_min, _age_max = Param("eligible_age_min", "16岁", YEARS), Param("eligible_age_max", "24岁", YEARS)
# at most one birthday in an internship of up to 12 months, at most two beyond
_age_gain = when(months <= Lit(12, MONTHS), Lit(1, YEARS), Lit(2, YEARS)).named("见习期间年龄至多增加", YEARS)
age_ok = Reading(
    AGE_DATE.name,
    {
        "at_start": (age >= _age_min) & (age <= _age_max),
        "at_end": when(
            (age >= _age_min) & ((age + _age_gain) <= _age_max),
            Lit(True),
            when((age > _age_max) | ((age + _age_gain) < _age_min), Lit(False), Lit(None)),
        ),
    },
    fixed_by="youth_age_basis",
)
wage = Setting(WAGE, "自治区一类区月最低工资标准", MONEY)
region_wage = Fact("wage_at_period_fen", "地区数据中的一类区月最低工资标准", MONEY)
# the operator's figure (no region datum on the period date, or one set over it) stands for every month; otherwise
# each month's own wage from the region data, which needs the internship's start month
operator_wage = region_wage.is_missing() | ~wage.eq(region_wage)
wage_months = Fact("wage_months_total_fen", "补贴各月一类区月最低工资标准之和", MONEY)
wage_base = when(operator_wage, wage * months_paid, wage_months).named("补贴各月一类区月最低工资标准之和", MONEY)
# where the region data lack a month paid (or the start month is not given) the amount is unknown: this condition is
# unknown then, and its line shows each month's wage, the month without one named (outside audit I-13, session 41:
# the reason repeated the derived field's description and named no month). ``~x.isin(())`` is true for any value and
# unknown for none: it shows the value without deciding on it
_start = Fact("start_month", "见习开始年月")
_wage_detail = Fact("wage_months_detail", "补贴各月一类区月最低工资标准")
WAGE_MONTHS_KNOWN = Check(
    "wage_months_known",
    "补贴各月的自治区一类区月最低工资标准均已知（按见习月份取地区数据；地区数据未覆盖的月份，须由经办机构提供该月标准"
    "（class1_minimum_wage））",
    when(
        Coalesce(operator_wage | ~wage_months.is_missing(), Lit(None)),  # no detail line of its own
        Lit(True),
        when(_start.is_missing(), ~_start.isin(()) & Lit(None), ~_wage_detail.isin(()) & ~wage_months.isin(())),
    ),
    reason="补贴各月的自治区一类区月最低工资标准未能确定",
)

INTERNSHIP_2019 = register(
    Ruleset(
        program="internship",
        name="v2019",
        label="就业见习补贴",
        facts=InternshipFacts,
        subject="单位",
        prepare=prepare,
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
                    age_ok,
                    NotApplicable(Lit(True), "不适用：见习人员不是失业青年"),
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
                Reading(
                    LONG_INTERNSHIP.name,
                    {
                        # the trace says what the cap does, not “见习月数 12个月 ≥ 0个月” (outside fidelity audit, session 39)
                        "cap": when(
                            months <= Param("max_months", "见习期限上限", MONTHS),
                            Lit(True),
                            Note(Lit(True), "超过上限的见习月数不予补贴，补贴月数按上限计算"),
                        ),
                        "refuse": months <= Param("max_months", "12个月", MONTHS),
                    },
                ),
                reason="见习超过{max_months}个月，不属于3-12个月的就业见习",
            ),
            WAGE_MONTHS_KNOWN,
        ],
        amount=RateOf(wage_base, rate),
        amount_label="见习补贴金额",
        outputs=[
            Output("rate", "补贴标准（占一类区最低工资标准）", rate, PERCENT),
            Output("retention", "单位见习期满留用率", retention, PERCENT),
            Output("months_paid", "补贴月数", months_paid, MONTHS),
            Output("wage", "一类区月最低工资标准", when(operator_wage, wage, Lit(None)), MONEY),
            Output("wage_months", "补贴各月一类区月最低工资标准（按见习月份）", when(operator_wage, Lit(None), Fact("wage_months_detail", "补贴各月一类区月最低工资标准")), TEXT),
        ],
    )
)
