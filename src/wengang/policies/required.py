"""Which parameters a rule set needs: the contract between policy files and program code.

``REQUIRED_PARAMS[(program, ruleset)]`` lists the names a program block must provide — set in the
document itself, inherited from the document it implements (or its ``base``), or declared as a
``region_settings`` entry the operator supplies. A ``(program, ruleset)`` pair that is not a key here
is unknown and fails the load. Program authors extend this registry when a rule reads a new name.

``PROGRAM_LABELS`` gives the Chinese name used in messages.
"""

from __future__ import annotations

PROGRAM_LABELS: dict[str, str] = {
    "fanhuan": "稳岗返还",
    "size_class": "企业划型",
    "skill_subsidy": "技能提升补贴",
    "ui_benefit": "失业保险金",
    "unemployment_subsidy": "失业补助金",
    "temp_living_allowance": "临时生活补助",
    "one_off_living_allowance": "一次性生活补助",
    "retention_training": "一次性留工培训补助",
    "job_expansion": "一次性扩岗补助",
    "hiring_subsidy": "一次性吸纳就业补贴",
    "startup_loan": "创业担保贷款",
    "startup_grant": "一次性创业补贴",
    "internship": "就业见习补贴",
    "deferral": "失业保险费缓缴",
    "fee_rate": "失业保险费率",
    # --- H3: benefits for the unemployed (ui_* and 内政发〔2019〕4号 七、九、十) ---
    "ui_medical_premium": "代缴基本医疗保险费",
    "ui_price_subsidy": "价格临时补贴",
    "ui_death_benefits": "丧葬补助金和抚恤金",
    "training_living_allowance": "培训期间生活费补贴",
    "vocational_training_subsidy": "职业培训补贴",
    "unemployment_registration": "失业登记（常住地）",
    "hardship_living_allowance": "困难下岗失业人员临时生活补助",
    # --- end H3 ---
}

# Words that name what a figure is for (D2, decisions §118). A quote may state several figures of one enumeration
# (“大型企业按…30%返还，中小微企业按60%返还”, “1000 元、1500 元、2000 元”): the value of a parameter of a group below
# must be the figure its own words name — the figure nearest after them, or, where the words are listed before the
# figures (“初级（五级）、中级（四级）、高级（三级）…相应领取 1000 元、1500 元、2000 元”), the figure at the same
# position. Each group is ordered as the texts list its members; ``policies/quotes.py:tie_problem`` checks it.
ANCHOR_GROUPS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (("refund_rate_large", ("大型",)), ("refund_rate_sme", ("中小微", "中小企业"))),
    (("amount_level5", ("初级", "五级")), ("amount_level4", ("中级", "四级")), ("amount_level3", ("高级", "三级"))),
)

_FANHUAN_CORE = {"max_layoff_rate", "refund_rate_large", "refund_rate_sme"}
_SKILL_AMOUNTS = {"amount_level5", "amount_level4", "amount_level3"}
_SKILL_2024 = _SKILL_AMOUNTS | {
    "min_insured_months",
    "max_per_year",
    "once_per_occupation_level",
    "no_lower_after_higher",
    "exclusive_with_training_subsidy",
}
_LOAN_2019 = {
    "max_amount_individual",
    "max_amount_small_firm",
    "small_firm_min_new_hire_rate",
    "small_firm_large_headcount",
    "small_firm_min_new_hire_rate_large",
    "small_firm_min_contract_years",
}
_FEE_RATE = {"total_rate", "unit_rate", "individual_rate"}
_ONE_OFF = {"min_continuous_work_years", "unit_paid_required", "amount_standard"}

REQUIRED_PARAMS: dict[tuple[str, str], set[str]] = {
    ("fanhuan", "v2019"): _FANHUAN_CORE
    | {"layoff_rate_formula", "layoff_normal_attrition_excluded", "fund_reserve_min_years"},
    ("fanhuan", "v2022"): _FANHUAN_CORE
    | {"small_unit_headcount", "small_unit_max_layoff_rate", "topup_from_rate", "sme_reference_orgs"},
    ("fanhuan", "v2024"): _FANHUAN_CORE
    | {"min_months_fully_paid", "small_unit_headcount", "small_unit_max_layoff_rate", "sme_reference_orgs"},
    ("size_class", "shanxi2024"): {
        "classification_order",
        "registration_standard",
        "large_min_avg_contributors",
        "avg_contributors_months",
        "branch_follows_legal_entity",
        "dispute_allowed",
    },
    ("size_class", "bingtuan2024"): {"classification_source", "settle_on_reclassification"},
    ("skill_subsidy", "v2019"): _SKILL_AMOUNTS | {"min_insured_months"},
    ("skill_subsidy", "v2022"): _SKILL_AMOUNTS | {"max_per_year", "once_per_occupation_level"},
    ("skill_subsidy", "v2024"): set(_SKILL_2024),
    ("skill_subsidy", "v2025"): _SKILL_2024 | {"urgent_extra_per_year", "urgent_uplift_rate", "urgent_occupations"},
    ("ui_benefit", "regulation"): {
        "min_paid_years",
        "involuntary_required",
        "registration_required",
        "duration_months_1_to_5y",
        "duration_months_5_to_10y",
        "duration_months_10y_plus",
        "monthly_benefit_amount",
    },
    ("unemployment_subsidy", "v2022"): {"duration_months", "eligible_groups", "monthly_amount"},
    ("temp_living_allowance", "v2022"): {"duration_months", "stopped_on_or_after", "max_insured_years", "monthly_amount"},
    ("one_off_living_allowance", "regulation"): set(_ONE_OFF),
    ("one_off_living_allowance", "v2022"): set(_ONE_OFF),
    ("retention_training", "v2022"): {"amount_per_insured"},
    ("job_expansion", "v2022"): {"amount_per_person", "exclusive_with"},
    ("hiring_subsidy", "v2022"): {"amount_per_person", "min_contract_years", "exclusive_with"},
    ("startup_loan", "v2019"): set(_LOAN_2019),
    ("startup_loan", "v2022"): _LOAN_2019
    | {
        "partnership_uplift_max_rate",
        "max_term_individual_years",
        "max_term_small_firm_years",
        "counter_guarantee_exempt_max_amount",
        "eligible_groups_individual",
    },
    ("startup_grant", "v2019"): {"amount", "min_operating_years", "eligible_groups"},
    ("internship", "v2019"): {
        "rate",
        "rate_high_retention",
        "retention_threshold",
        "min_months",
        "max_months",
        "class1_minimum_wage",
    },
    ("deferral", "v2022"): {"hardship_industries", "hardship_max_deferral_years", "others_deferral_until", "late_fee_waived"},
    ("fee_rate", "v2022"): set(_FEE_RATE),
    ("fee_rate", "v2024"): set(_FEE_RATE),
    # 人社部发〔2024〕40号 sets only the total; the split is a region setting of the province
    ("fee_rate", "v2024_unsplit"): set(_FEE_RATE),
    # --- H3: benefits for the unemployed (ui_* and 内政发〔2019〕4号 七、九、十) ---
    ("ui_medical_premium", "standard"): {"pays_medical_premium", "medical_premium_monthly"},
    ("ui_price_subsidy", "standard"): {"pays_price_subsidy", "price_subsidy_monthly"},
    ("ui_death_benefits", "regulation"): {"death_while_receiving_benefit", "funeral_grant_amount", "survivor_pension_amount"},
    ("training_living_allowance", "v2019"): {
        "eligible_groups",
        "once_per_year",
        "exclusive_with_ui_benefit",
        "living_allowance_standard",
    },
    ("vocational_training_subsidy", "v2019"): {"training_passed_required", "training_subsidy_amount"},
    ("unemployment_registration", "v2019"): {"registration_conditions", "no_refusal_grounds"},
    ("hardship_living_allowance", "v2019"): {"eligible_groups", "hardship_allowance_amount"},
    # --- end H3 ---
}

# 内人社办发〔2022〕86号 （一）1–2 养老、工伤保险费缓缴 and （三）10 职业技能提升行动 (one block, appended)
_DEFERRAL_2022_COMMON = {"hardship_industries", "late_fee_waived", "decision_working_days", "sme_classification_source"}
PROGRAM_LABELS.update(
    {
        "deferral_pension": "职工基本养老保险费缓缴",
        "deferral_injury": "工伤保险费缓缴",
        "training_subsidy": "职业技能提升行动培训补贴",
        "training_fund_draw": "提取失业保险基金充实职业技能提升行动专账资金",
    }
)
REQUIRED_PARAMS.update(
    {
        ("deferral_pension", "v2022"): _DEFERRAL_2022_COMMON
        | {"hardship_deferral_until", "others_deferral_until", "sme_deferral_until", "premium_part", "affected_area"},
        ("deferral_injury", "v2022"): _DEFERRAL_2022_COMMON
        | {"industry_max_deferral_years", "others_deferral_until", "affected_area"},
        ("training_subsidy", "v2022"): {
            "certificate_types",
            "approval_working_days",
            "publicity_before_payment",
            "individual_accounts",
            "unit_accounts",
            "standard_source",
        },
        ("training_fund_draw", "v2022"): {"min_reserve_years", "max_draw_rate", "draw_until"},
    }
)
