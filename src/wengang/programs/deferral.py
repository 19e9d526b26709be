"""失业保险费缓缴 (deferral): who may defer the unit's unemployment-insurance premiums, and for how long.

内人社办发〔2022〕86号 三(一)3: "在对餐饮、零售、旅游、民航、公路水路铁路运输等 5 个特困行业实施阶段性缓缴失业保险费
政策的基础上，将实施范围扩大至 17 个行业所属困难企业、受疫情严重影响地区生产经营出现暂时困难的所有中小微企业、以单位
方式参保的个体工商户、参加企业职工基本养老保险的事业单位以及社会团体、基金会、社会服务机构、律师事务所、会计师事务所等
社会组织。特困行业缓缴期限不超过 1 年，其他缓缴主体缓缴至 2022 年底，期间免收滞纳金。"

Industries are read from the GB/T 4754-2017 code through ``wengang.facts.industries`` (``prepare`` for one case,
:func:`industry_columns` for a table). This module also holds the industry switch shared with 一次性留工培训补助.

The pension and work-injury deferrals of 三(一)1–2 are not unemployment insurance, but the agency takes the three
deferrals together, so they are encoded the same way (``deferral_pension``, ``deferral_injury``):

* 三(一)1 养老: 5 个特困行业 "缓缴养老保险费期限相应延长到 2022 年年底"; 17 个行业困难企业 "可申请缓缴职工基本养老
  保险费单位缴费部分至 2022 年年底"; SMEs and 个体工商户 in affected areas "缓缴实施期限到 2022 年年底"; 事业单位 and
  社会组织 "参照执行". Only the unit's part of the premium.
* 三(一)2 工伤: 5 个特困行业 and 17 个行业困难企业 "缓缴期限不超过 1 年"; the others "缓缴期限至 2022 年底".

SMEs (all three): "可根据 2020 年实施社保费“减免缓”政策划型结论" — the 2020 fee-relief class; for firms outside that
classification, founded after 2020 or disputing it, the class from 2021 data "审核后报经同级人民政府确认". A confirmed
2021 class exists only for those firms, so it wins when present; otherwise the 2020 class (docs/decisions.md). A
general ``size_class`` of unstated source (what most agency records carry) is used only when neither is given, with a
flag asking the caseworker to confirm it is the 2020 class. The 17-industry confirmation is due "7 个工作日内" (``decision_working_days``).
"""

from __future__ import annotations

import functools
from typing import Any

import polars as pl

from wengang.deadlines import due_output
from wengang.facts import industries
from wengang.facts.applications import DeferralFacts
from wengang.rules import interpretations
from wengang.rules.batch import register_table_prepare
from wengang.rules.engine import FLAG, Check, NotApplicable, Output, Ruleset, register, register_value_labels
from wengang.rules.expr import (
    BOOL,
    DATE,
    MONTHS,
    TEXT,
    Coalesce,
    Expr,
    Fact,
    Lit,
    Param,
    Reading,
    Setting,
    when,
)

DOC_2022 = "内人社办发〔2022〕86号"

# keys of the 5 特困行业 as the policy files list them (hardship_industries / special_industries)
HARDSHIP_KEYS = {
    "餐饮": "catering",
    "零售": "retail",
    "旅游": "tourism",
    "民航": "civil_aviation",
    "公路水路铁路运输": "road_water_rail_transport",
}
HARDSHIP_ZH = {v: k for k, v in HARDSHIP_KEYS.items()}
EXTENDED_NAMES = frozenset(i.name_zh for i in industries.EXTENDED_17)
SCENIC_PREFIX = "786"  # N786 游览景区管理

TOURISM = interpretations.register(
    interpretations.Switch(
        name="industries.tourism_scope",
        title="“旅游”行业的范围",
        clauses=(f"{DOC_2022} 三(一)3", f"{DOC_2022} 三(三)7"),
        readings={
            "travel_agency": "仅 L7291 旅行社及相关服务",
            "broad": "L7291 旅行社及相关服务，以及 N786 游览景区管理",
        },
        default="travel_agency",
        why=(
            "文件只写“旅游”，未给行业代码；GB/T 4754-2017 中与“旅游”最接近的小类是 7291 旅行社及相关服务"
            "（facts.md §3）。景区管理属 N 门类，是否算“旅游”须由经办机构认定。"
        ),
        programs=("deferral", "retention_training"),
    )
)

AREA_SCOPE = interpretations.register(
    interpretations.Switch(
        name="deferral.affected_area_scope",
        title="“受疫情严重影响地区……暂时困难”是否也限定个体工商户、事业单位和社会组织",
        clauses=(f"{DOC_2022} 三(一)1", f"{DOC_2022} 三(一)2", f"{DOC_2022} 三(一)3"),
        readings={
            "all_listed": "是：个体工商户、事业单位和社会组织也须在受疫情严重影响地区且生产经营出现暂时困难",
            "sme_only": "否：该限定只修饰中小微企业，其余主体不受地区和困难限制",
        },
        default="all_listed",
        why=(
            "同一方案（一）2 的工伤保险费缓缴写作“受疫情严重影响地区生产经营出现暂时困难的所有中小微企业、以单位方式参保的"
            "个体工商户实施缓缴，……社会组织参照执行”，限定词覆盖其后列举的主体；失业保险费条款沿用同一表述。"
        ),
        programs=("deferral", "deferral_injury", "deferral_pension"),
    )
)

OVERLAP = interpretations.register(
    interpretations.Switch(
        name="deferral.overlap_period",
        title="同时属于特困行业（工伤：或17个行业）和其他缓缴主体时的缓缴期限",
        clauses=(f"{DOC_2022} 三(一)2", f"{DOC_2022} 三(一)3"),
        readings={
            "either": "可按任一适用的期限（不超过1年，或至2022年底）",
            "industry": "特困行业企业只按“不超过1年”",
        },
        default="either",
        why="条款按主体分别规定期限，未排除同时符合两类的单位；单位符合哪一类即可享受该类待遇。",
        programs=("deferral", "deferral_injury"),
    )
)


# ---------------------------------------------------------------------------------------------------
# industry derivation (one case and a table)


NONE = "none"  # the code is known and names none of the listed industries

# the derived industry facts print in Chinese in every check line and letter (audit of explanations, session 40:
# ``所属特困行业：civil_aviation``, ``所属扩围行业：none``)
register_value_labels("hardship_industry", {**HARDSHIP_ZH, NONE: "不属于5个特困行业"})
register_value_labels("extended_industry", {NONE: "不属于17个扩围行业"})


def derive_industry_facts(code: str | None) -> dict[str, Any]:
    """``hardship_industry`` (policy key), ``extended_industry`` (Chinese name), ``scenic_area`` from a code.

    A known code outside the lists gives ``"none"``; a missing or unreadable code gives ``None`` (unknown).
    """
    hardship, extended, scenic = _industry_facts(code)
    return {"hardship_industry": hardship, "extended_industry": extended, "scenic_area": scenic}


@functools.lru_cache(maxsize=4096)
def _industry_facts(code: str | None) -> tuple[str | None, str | None, bool]:
    """Per code (GB/T 4754 has ~1,400 classes; the lookups walk the industry tables)."""
    digits = industries.code_digits(code)
    if digits is None:
        return None, None, False
    h = industries.hardship_industry(code)
    e = industries.extended_industry(code)
    return (HARDSHIP_KEYS[h.name_zh] if h else NONE, e.name_zh if e else NONE, digits.startswith(SCENIC_PREFIX))


def _prefix_map(items: tuple[industries.Industry, ...], value: Any) -> pl.Expr:
    d = industries.code_digits_expr("industry_code")
    out = pl.when(d.is_null()).then(pl.lit(None, dtype=pl.String)).otherwise(pl.lit(NONE))
    # first match in table order wins, as in the one-case lookup
    for ind in reversed(items):
        for p in ind.code_prefixes:
            out = pl.when(d.str.starts_with(p)).then(pl.lit(value(ind))).otherwise(out)
    return out


def industry_columns() -> list[pl.Expr]:
    """Polars expressions adding the derived industry columns from ``industry_code`` (for screening)."""
    d = industries.code_digits_expr("industry_code")
    return [
        _prefix_map(industries.HARDSHIP_5, lambda i: HARDSHIP_KEYS[i.name_zh]).alias("hardship_industry"),
        _prefix_map(industries.EXTENDED_17, lambda i: i.name_zh).alias("extended_industry"),
        d.str.starts_with(SCENIC_PREFIX).fill_null(False).alias("scenic_area"),
    ]


def prepare_industry(facts: dict[str, Any], resolution: Any = None) -> dict[str, Any]:
    return {**facts, **derive_industry_facts(facts.get("industry_code"))}


def prepare_industry_table(facts: Any) -> tuple[Any, frozenset[str]]:
    """:func:`prepare_industry` over a table: the industry columns from ``industry_code``, as one case has them (no
    code: unknown, not scenic)."""
    if "industry_code" in facts.collect_schema().names():
        derived = industry_columns()
    else:
        derived = [
            pl.lit(None, dtype=pl.String).alias("hardship_industry"),
            pl.lit(None, dtype=pl.String).alias("extended_industry"),
            pl.lit(False).alias("scenic_area"),
        ]
    return facts.with_columns(derived), frozenset()


register_table_prepare(prepare_industry, prepare_industry_table)  # (rules.batch)


def in_hardship_industries(param: str) -> Expr:
    """The unit's industry is one of the 5 listed in ``param`` (``旅游`` read through the switch)."""
    listed = Fact("hardship_industry", "所属特困行业").isin(Param(param))
    scenic = Fact("scenic_area", "属于游览景区管理（N786）", BOOL) & Lit("tourism").isin(Param(param))
    return Reading(TOURISM.name, {"travel_agency": listed, "broad": listed | scenic})


# ---------------------------------------------------------------------------------------------------
# the rule

org = Fact("org_type", "单位类型")
is_enterprise = org.eq("enterprise")
affected = Setting("affected_area", "本统筹地区为受疫情严重影响地区", BOOL) & Fact(
    "temporary_difficulty", "生产经营出现暂时困难", BOOL
)
affected_if_listed = Reading(AREA_SCOPE.name, {"all_listed": affected, "sme_only": Lit(True)})

hardship5 = is_enterprise & in_hardship_industries("hardship_industries")
in_extended = Fact("extended_industry", "所属扩围行业").isin(EXTENDED_NAMES)
extended17 = is_enterprise & in_extended & Fact("hardship_confirmed", "经确认为困难企业", BOOL)
# 三(一)1–3 政策经办: the 2020 减免缓 class, or the 2021 class confirmed by the government where one exists
SME_CLASSES = {"medium", "small", "micro"}
size_2020 = Fact("size_class_2020_relief", "2020年社保费“减免缓”政策划型结论")
size_2021 = Fact("size_class_2021_confirmed", "2021年数据划型（经同级人民政府确认）")
# an agency's record often carries only "the unit's size class": it is used when neither classification the
# text names is given, and a flag asks the caseworker to confirm it is the 2020 减免缓 one (never silently)
size_given = Fact("size_class", "单位现有划型（未注明来源）")
only_generic_size = size_2021.is_missing() & size_2020.is_missing() & ~size_given.is_missing()
sme_class = when(
    size_2021.is_missing(),
    when(size_2020.is_missing(), size_given.isin(SME_CLASSES), size_2020.isin(SME_CLASSES)),
    size_2021.isin(SME_CLASSES),
)
size_basis = when(
    size_2021.is_missing(),
    when(
        size_2020.is_missing(),
        when(size_given.is_missing(), Lit(None), "单位现有划型（未注明来源，待核对是否为2020年“减免缓”政策划型结论）"),
        "2020年实施社保费“减免缓”政策划型结论",
    ),
    "2021年本单位数据划型，经同级人民政府确认",
)
SIZE_SOURCE_FLAG = Check(
    "size_source",
    "中小微企业划型依据为2020年“减免缓”政策划型结论或经同级人民政府确认的2021年数据划型",
    # the flag's premise: an SME by the class given (one given without its source is flagged whatever it says, the
    # class unknown is the scope check's); for any other unit the line is not applicable, not ✔ (outside audits, s41)
    when(
        is_enterprise & (only_generic_size | Coalesce(sme_class, Lit(True))),
        ~only_generic_size,
        NotApplicable(Lit(True), "不适用：单位不是中小微企业"),
    ),
    kind=FLAG,
    reason="需核查：所给划型未注明来源，应为2020年实施社保费“减免缓”政策划型结论或经确认的2021年数据划型",
)
sme = is_enterprise & sme_class & affected
individual_business = org.eq("individual_business") & affected_if_listed
public_institution = (
    org.eq("public_institution") & Fact("in_enterprise_pension", "参加企业职工基本养老保险", BOOL) & affected_if_listed
)
social_org = org.isin({"social_group", "foundation", "social_service_org", "law_firm", "accounting_firm"}) & affected_if_listed
others = extended17 | sme | individual_business | public_institution | social_org

months = Fact("deferral_months", "申请缓缴月数", MONTHS)
until = Fact("deferral_until", "申请缓缴至", DATE)
max_months = (Param("hardship_max_deferral_years") * 12).named("1年", MONTHS)
# the period is judged from what the unit asked for: a missing month count is not 0 and a missing end date is not
# 2022-12-31 (outside fidelity audit, session 39: requests beyond the limit were approved). The facts give no start
# month, so neither is derived from the other; a limit the given one cannot check leaves the case 无法判定, naming
# the other. A unit that names no period at all asks for the deferral the text allows (the limit is an output).
no_period_asked = (months.is_missing() & until.is_missing()).named("未申请具体缓缴期限（按规定期限缓缴）")
# an end date within 2022 with no month count: a deferral under this 2022 document starts in 2022 at the earliest
# (its period begins 2022-01-01), so it runs at most the 12 months of 2022 — within 1 year; a later end date cannot
# be measured without the start, and the month count is asked for
ends_in_2022 = (months.is_missing() & (until <= Param("others_deferral_until", "2022年底", DATE))).named(
    "未给出缓缴月数，申请缓缴至2022年底以前（自2022年起算不超过12个月）"
)
hardship_period_ok = no_period_asked | (months <= max_months) | ends_in_2022
others_period_ok = no_period_asked | (until <= Param("others_deferral_until", "2022年底", DATE))
period_ok = Reading(
    OVERLAP.name,
    {
        "either": when(hardship5, hardship_period_ok | (others & others_period_ok), others_period_ok),
        "industry": when(hardship5, hardship_period_ok, others_period_ok),
    },
)

category = when(
    hardship5,
    "特困行业企业",
    when(
        Coalesce(extended17, Lit(False)),  # a firm not (yet) confirmed is labelled by the group it does belong to
        "17个扩围行业困难企业",
        when(
            sme,
            "受疫情严重影响地区生产经营出现暂时困难的中小微企业",
            when(
                individual_business,
                "以单位方式参保的个体工商户",
                when(public_institution, "参加企业职工基本养老保险的事业单位", "社会组织"),
            ),
        ),
    ),
)


def _due_17() -> Output:
    """三(一)1–3 ③: the 17-industry confirmation "7 个工作日内反馈申报单位" (only for a firm in those industries)."""
    line = due_output("received_on", "收到申报之日", "decision_working_days")
    return Output(line.id, line.label, when(in_extended, line.expr, Lit(None)), TEXT)


DEFERRAL_2022 = register(
    Ruleset(
        program="deferral",
        name="v2022",
        label="失业保险费缓缴",
        facts=DeferralFacts,
        subject="单位",
        prepare=prepare_industry,
        checks=[
            Check(
                "in_scope",
                "属于失业保险费缓缴实施范围（5个特困行业企业、17个行业困难企业、受疫情严重影响地区生产经营出现暂时困难的"
                "中小微企业、以单位方式参保的个体工商户、事业单位及社会组织）",
                hardship5 | others,
                cite=("hardship_industries", "expanded_industry_count", "eligible_units"),
                reason="不属于失业保险费缓缴实施范围",
            ),
            SIZE_SOURCE_FLAG,
            Check(
                "period",
                "申请的缓缴期限在规定期限内（特困行业不超过{hardship_max_deferral_years}年，其他缓缴主体至{others_deferral_until}）",
                period_ok,
                reason="申请的缓缴期限超过规定：特困行业不超过{hardship_max_deferral_years}年，其他缓缴主体缓缴至{others_deferral_until}",
            ),
        ],
        outputs=[
            Output("category", "缓缴主体类别", category, TEXT),
            Output("max_months", "可缓缴期限（特困行业，月）", when(hardship5, max_months, Lit(None)), MONTHS),
            Output("until", "可缓缴至（其他缓缴主体）", when(~hardship5 & others, Param("others_deferral_until"), Lit(None)), DATE),
            Output("late_fee_waived", "缓缴期间免收滞纳金", Param("late_fee_waived"), BOOL),
            Output("size_basis", "中小微企业划型依据", when(sme, size_basis, Lit(None)), TEXT),
            _due_17(),
        ],
    )
)


# ---------------------------------------------------------------------------------------------------
# 三(一)1 职工基本养老保险费（单位缴费部分）and 三(一)2 工伤保险费: the same units, their own periods

SCOPE_LABEL = (
    "属于{label}实施范围（5个特困行业企业、17个行业困难企业、受疫情严重影响地区生产经营出现暂时困难的中小微企业、"
    "以单位方式参保的个体工商户，事业单位及社会组织参照执行）"
)
until_or_end = until  # the end date asked for; never read as the limit itself (no_period_asked aside)

# each group with its own date; a unit of several groups passes under any of them. Written as an "or" so that
# an unknown group (e.g. a 17-industry firm not yet confirmed) does not hide a group the unit does belong to;
# a unit in no group passes here and is refused by the scope check alone.
other_units = sme | individual_business | public_institution | social_org
pension_period_ok = (
    no_period_asked
    | (hardship5 & (until_or_end <= Param("hardship_deferral_until", "特困行业缓缴至2022年年底", DATE)))
    | (extended17 & (until_or_end <= Param("others_deferral_until", "扩围行业缓缴至2022年年底", DATE)))
    | (other_units & (until_or_end <= Param("sme_deferral_until", "缓缴实施期限到2022年年底", DATE)))
    | ~(hardship5 | others)
)

injury_industry = hardship5 | extended17
injury_max_months = (Param("industry_max_deferral_years") * 12).named("1年", MONTHS)
injury_industry_ok = no_period_asked | (months <= injury_max_months) | ends_in_2022
injury_others_ok = no_period_asked | (until_or_end <= Param("others_deferral_until", "2022年底", DATE))
out_of_scope = ~(injury_industry | other_units)
injury_period_ok = Reading(
    OVERLAP.name,
    {
        "either": (injury_industry & injury_industry_ok) | (other_units & injury_others_ok) | out_of_scope,
        # the third term only restates the first two; it lets a unit that passes either way pass while its
        # industry status is still unknown (Kleene logic cannot see x | ~x)
        "industry": (injury_industry & injury_industry_ok)
        | (~injury_industry & other_units & injury_others_ok)
        | (injury_industry_ok & other_units & injury_others_ok)
        | out_of_scope,
    },
)


def _scope_check(label: str) -> Check:
    return Check(
        "in_scope",
        SCOPE_LABEL.format(label=label),
        hardship5 | others,
        cite=("hardship_industries", "expanded_industry_count", "eligible_units", "reference_units"),
        reason=f"不属于{label}实施范围",
    )


def _common_outputs() -> list[Output]:
    return [
        Output("category", "缓缴主体类别", category, TEXT),
        Output("late_fee_waived", "缓缴期间免收滞纳金", Param("late_fee_waived"), BOOL),
        Output("size_basis", "中小微企业划型依据", when(sme, size_basis, Lit(None)), TEXT),
        _due_17(),
    ]


DEFERRAL_PENSION_2022 = register(
    Ruleset(
        program="deferral_pension",
        name="v2022",
        label="职工基本养老保险费缓缴",
        facts=DeferralFacts,
        subject="单位",
        prepare=prepare_industry,
        checks=[
            _scope_check("职工基本养老保险费缓缴"),
            SIZE_SOURCE_FLAG,
            Check(
                "period",
                "申请的缓缴期限在规定期限内（缓缴至{others_deferral_until}）",
                pension_period_ok,
                cite=("hardship_deferral_until", "sme_deferral_until"),
                reason="申请的缓缴期限超过规定：缓缴至{others_deferral_until}",
            ),
        ],
        outputs=[
            Output("premium_part", "缓缴范围", Lit("职工基本养老保险费单位缴费部分（个人缴费部分照常缴纳）"), TEXT),
            Output("until", "可缓缴至", Param("others_deferral_until"), DATE),
            *_common_outputs(),
        ],
    )
)

DEFERRAL_INJURY_2022 = register(
    Ruleset(
        program="deferral_injury",
        name="v2022",
        label="工伤保险费缓缴",
        facts=DeferralFacts,
        subject="单位",
        prepare=prepare_industry,
        checks=[
            _scope_check("工伤保险费缓缴"),
            SIZE_SOURCE_FLAG,
            Check(
                "period",
                "申请的缓缴期限在规定期限内（5个特困行业和17个行业困难企业不超过{industry_max_deferral_years}年，"
                "其他缓缴主体至{others_deferral_until}）",
                injury_period_ok,
                reason="申请的缓缴期限超过规定：特困行业和17个行业困难企业不超过{industry_max_deferral_years}年，"
                "其他缓缴主体缓缴至{others_deferral_until}",
            ),
        ],
        outputs=[
            Output("max_months", "可缓缴期限（特困行业和17个行业困难企业，月）", when(injury_industry, injury_max_months, Lit(None)), MONTHS),
            Output("until", "可缓缴至（其他缓缴主体）", when(~injury_industry & other_units, Param("others_deferral_until"), Lit(None)), DATE),
            *_common_outputs(),
        ],
    )
)
