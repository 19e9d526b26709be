"""失业保险费缓缴 (deferral): who may defer the unit's unemployment-insurance premiums, and for how long.

内人社办发〔2022〕86号 三(一)3: "在对餐饮、零售、旅游、民航、公路水路铁路运输等 5 个特困行业实施阶段性缓缴失业保险费
政策的基础上，将实施范围扩大至 17 个行业所属困难企业、受疫情严重影响地区生产经营出现暂时困难的所有中小微企业、以单位
方式参保的个体工商户、参加企业职工基本养老保险的事业单位以及社会团体、基金会、社会服务机构、律师事务所、会计师事务所等
社会组织。特困行业缓缴期限不超过 1 年，其他缓缴主体缓缴至 2022 年底，期间免收滞纳金。"

Industries are read from the GB/T 4754-2017 code through ``wengang.facts.industries`` (``prepare`` for one case,
:func:`industry_columns` for a table). The pension and work-injury deferrals of 三(一)1–2 are not unemployment
insurance and are not encoded. This module also holds the industry switch shared with 一次性留工培训补助.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from wengang.facts import industries
from wengang.facts.applications import DeferralFacts
from wengang.rules import interpretations
from wengang.rules.engine import Check, Output, Ruleset, register
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
        clauses=(f"{DOC_2022} 三(一)3",),
        readings={
            "all_listed": "是：个体工商户、事业单位和社会组织也须在受疫情严重影响地区且生产经营出现暂时困难",
            "sme_only": "否：该限定只修饰中小微企业，其余主体不受地区和困难限制",
        },
        default="all_listed",
        why=(
            "同一方案的工伤保险费缓缴（三(一)2）写作“受疫情严重影响地区生产经营出现暂时困难的所有中小微企业、以单位方式参保的"
            "个体工商户实施缓缴，……社会组织参照执行”，限定词覆盖其后列举的主体；失业保险费条款沿用同一表述。"
        ),
        programs=("deferral",),
    )
)

OVERLAP = interpretations.register(
    interpretations.Switch(
        name="deferral.overlap_period",
        title="同时属于特困行业和其他缓缴主体时的缓缴期限",
        clauses=(f"{DOC_2022} 三(一)3",),
        readings={
            "either": "可按任一适用的期限（不超过1年，或至2022年底）",
            "industry": "特困行业企业只按“不超过1年”",
        },
        default="either",
        why="条款按主体分别规定期限，未排除同时符合两类的单位；单位符合哪一类即可享受该类待遇。",
        programs=("deferral",),
    )
)


# ---------------------------------------------------------------------------------------------------
# industry derivation (one case and a table)


NONE = "none"  # the code is known and names none of the listed industries


def derive_industry_facts(code: str | None) -> dict[str, Any]:
    """``hardship_industry`` (policy key), ``extended_industry`` (Chinese name), ``scenic_area`` from a code.

    A known code outside the lists gives ``"none"``; a missing or unreadable code gives ``None`` (unknown).
    """
    digits = industries.code_digits(code)
    if digits is None:
        return {"hardship_industry": None, "extended_industry": None, "scenic_area": False}
    h = industries.hardship_industry(code)
    e = industries.extended_industry(code)
    return {
        "hardship_industry": HARDSHIP_KEYS[h.name_zh] if h else NONE,
        "extended_industry": e.name_zh if e else NONE,
        "scenic_area": digits.startswith(SCENIC_PREFIX),
    }


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
extended17 = (
    is_enterprise
    & Fact("extended_industry", "所属扩围行业").isin(EXTENDED_NAMES)
    & Fact("hardship_confirmed", "经确认为困难企业", BOOL)
)
sme = is_enterprise & Fact("size_class", "企业划型").isin({"medium", "small", "micro"}) & affected
individual_business = org.eq("individual_business") & affected_if_listed
public_institution = (
    org.eq("public_institution") & Fact("in_enterprise_pension", "参加企业职工基本养老保险", BOOL) & affected_if_listed
)
social_org = org.isin({"social_group", "foundation", "social_service_org", "law_firm", "accounting_firm"}) & affected_if_listed
others = extended17 | sme | individual_business | public_institution | social_org

months = Fact("deferral_months", "申请缓缴月数", MONTHS)
until = Fact("deferral_until", "申请缓缴至", DATE)
max_months = (Param("hardship_max_deferral_years") * 12).named("1年", MONTHS)
hardship_period_ok = Coalesce(months, Lit(0)) <= max_months
others_period_ok = Coalesce(until, Param("others_deferral_until")) <= Param("others_deferral_until", "2022年底", DATE)
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
        extended17,
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
        ],
    )
)
