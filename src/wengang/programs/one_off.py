"""一次性留工培训补助, 一次性扩岗补助, 一次性吸纳就业补贴 (内人社办发〔2022〕86号 三(三)7–9).

* 留工培训 (``retention_training``): 500 元 × 参保职工人数. Where the pooling area had ≥1 中高风险疫情地区 in 2022,
  units that COVID-19 left temporarily unable to operate (enterprises, and 社会组织/个体工商户 参照); where it had none,
  enterprises of the 5 hardship industries.
* 扩岗 (``job_expansion``): 1500 元 per 毕业年度高校毕业生 hired by an enterprise on a labour contract with
  unemployment insurance. 吸纳 (``hiring_subsidy``): 1500 元 per such graduate hired by an SME on a contract of
  1 year or more. "不重复享受": one graduate brings at most one of the two (a row is one graduate hired).
"""

from __future__ import annotations

from wengang.facts.applications import GraduateHireFacts, RetentionTrainingFacts
from wengang.programs.deferral import in_hardship_industries, prepare_industry
from wengang.rules import interpretations
from wengang.rules.engine import Check, Output, Ruleset, register
from wengang.rules.expr import (
    BOOL,
    COUNT,
    MONEY,
    MONTHS,
    PERSONS,
    Coalesce,
    Fact,
    Lit,
    Param,
    Reading,
    Setting,
    when,
)

DOC_2022 = "内人社办发〔2022〕86号"

HEADCOUNT_DATE = interpretations.register(
    interpretations.Switch(
        name="retention_training.headcount_date",
        title="一次性留工培训补助“每名参保职工”的计数时点",
        clauses=(f"{DOC_2022} 三(三)7",),
        readings={
            "prev_month_end": "申请（筛查）上月末的参保职工人数",
            "review": "审核之日的参保职工人数",
        },
        default="prev_month_end",
        why=(
            "条款只写“按每名参保职工 500 元”，未写时点。上月末的参保缴费数据已经结算、可比对核验，"
            "“免申即享”批量筛查也只能取到已结算月份；审核当日人数可能尚未申报。"
        ),
        programs=("retention_training",),
    )
)

RISK_AREA_INDUSTRIES = interpretations.register(
    interpretations.Switch(
        name="retention_training.risk_area_industries",
        title="出现中高风险疫情地区的统筹地区，5个行业企业未“暂时无法正常生产经营”的是否也可享受留工培训补助",
        clauses=(f"{DOC_2022} 三(三)7",),
        readings={
            "separate": "两类统筹地区各有其对象：出现风险地区的，只对因疫情严重影响暂时无法正常生产经营的企业（单位）发放",
            "also_industries": "5个行业企业在两类统筹地区都可享受；出现风险地区的，另外覆盖暂时无法正常生产经营的企业（单位）",
        },
        default="separate",
        why=(
            "原文以分号分开两种统筹地区，各写其对象；“也按每名参保人员500元的标准发放”中的“也”修饰的是发放标准"
            "（与前一种同为500元），不是把5个行业加到出现风险地区的统筹地区。另一读法认为“也”表明5个行业是附加对象，"
            "否则风险更重的地区反而不补5个行业（评审 A11，s12），故设开关。"
        ),
        programs=("retention_training",),
    )
)

NOT_BOTH = interpretations.register(
    interpretations.Switch(
        name="one_off.expansion_or_hiring",
        title="同一毕业生同时符合一次性扩岗补助和一次性吸纳就业补贴时享受哪一项",
        clauses=(f"{DOC_2022} 三(三)8", f"{DOC_2022} 三(三)9"),
        readings={
            "first_granted": "先享受者为准：已就该毕业生享受其中一项的，不再享受另一项",
            "unit_choice": "由单位选择其一：单位选择另一项的，本项不予享受",
            "expansion_first": "优先发放扩岗补助：符合扩岗补助条件的，不再发放吸纳就业补贴",
        },
        default="first_granted",
        why=(
            "两条都只写“不重复享受”，未规定优先顺序；两项标准同为每人1500元，按先享受者为准不影响金额，"
            "也不需要在两个经办渠道之间预先协调。"
        ),
        programs=("job_expansion", "hiring_subsidy"),
    )
)

# ---------------------------------------------------------------------------------------------------
# 一次性留工培训补助

risk_area = Setting("risk_area_count", "本统筹地区2022年累计出现的中高风险疫情地区", COUNT) >= Param(
    "risk_area_min_count", "1个（含）以上", COUNT
)
org = Fact("org_type", "单位类型")
enterprise = org.eq("enterprise")
headcount = Reading(
    HEADCOUNT_DATE.name,
    {
        "prev_month_end": Fact("insured_prev_month_end", "上月末参保职工人数", PERSONS),
        "review": Fact("insured_at_review", "审核之日参保职工人数", PERSONS),
    },
)

RETENTION_2022 = register(
    Ruleset(
        program="retention_training",
        name="v2022",
        label="一次性留工培训补助",
        facts=RetentionTrainingFacts,
        subject="单位",
        prepare=prepare_industry,
        checks=[
            Check(
                "unit_type",
                "单位类型符合（有中高风险疫情地区的统筹地区：企业及参照实施的社会组织、个体工商户；未出现的：企业）",
                when(risk_area, enterprise | org.isin(Param("sme_reference_orgs")), enterprise),
                reason="单位类型不在补助范围内",
            ),
            Check(
                "affected",
                "有中高风险疫情地区的统筹地区：因新冠肺炎疫情严重影响暂时无法正常生产经营；"
                "未出现的：属餐饮、零售、旅游、民航和公路水路铁路运输5个行业",
                when(
                    risk_area,
                    Reading(
                        RISK_AREA_INDUSTRIES.name,
                        {
                            "separate": Fact("covid_hardship", "因疫情严重影响暂时无法正常生产经营", BOOL),
                            "also_industries": Fact("covid_hardship", "因疫情严重影响暂时无法正常生产经营", BOOL)
                            | in_hardship_industries("special_industries"),
                        },
                    ),
                    in_hardship_industries("special_industries"),
                ),
                cite=("risk_area_units_require_suspension",),
                reason="不属于补助对象：有中高风险疫情地区的统筹地区须因疫情严重影响暂时无法正常生产经营，未出现的须属5个行业企业",
            ),
            Check("has_insured", "有参保职工", headcount >= 1, reason="没有参保职工"),
            Check(
                "once",
                "未享受过一次性留工培训补助",
                ~Fact("already_received", "已享受过一次性留工培训补助", BOOL),
                reason="已享受过一次性留工培训补助（一次性补助不重复发放）",
            ),
        ],
        amount=Param("amount_per_insured", "每名参保职工补助标准", MONEY) * headcount,
        amount_label="补助金额",
        outputs=[
            Output("headcount", "补助人数", headcount, PERSONS),
            Output("standard", "补助标准（每人）", Param("amount_per_insured"), MONEY),
        ],
    )
)

# ---------------------------------------------------------------------------------------------------
# 一次性扩岗补助 and 一次性吸纳就业补贴

is_graduate = Fact("is_college_graduate", "高校毕业生", BOOL)
in_graduation_year = Fact("graduation_year", "毕业年份").eq(Fact("hire_year", "招用年份"))
has_contract = Fact("has_labour_contract", "已签订劳动合同", BOOL)
insured = Fact("insured_ui", "已参加失业保险", BOOL)
contract_1y = Fact("contract_months", "劳动合同期限", MONTHS) >= (Param("min_contract_years") * 12).named("1年", MONTHS)
sme = enterprise & Fact("size_class", "企业划型").isin({"medium", "small", "micro"})
got_expansion = Fact("received_job_expansion", "已就该毕业生享受一次性扩岗补助", BOOL)
got_hiring = Fact("received_hiring_subsidy", "已就该毕业生享受一次性吸纳就业补贴", BOOL)
chosen = Coalesce(Fact("chosen_program", "单位选择的项目"), Lit(""))
qualifies_expansion = enterprise & is_graduate & in_graduation_year & has_contract & insured

not_both_expansion = Reading(
    NOT_BOTH.name,
    {
        "first_granted": ~got_hiring,
        "unit_choice": ~got_hiring & chosen.ne("hiring_subsidy"),
        "expansion_first": ~got_hiring,
    },
)
not_both_hiring = Reading(
    NOT_BOTH.name,
    {
        "first_granted": ~got_expansion,
        "unit_choice": ~got_expansion & chosen.ne("job_expansion"),
        "expansion_first": ~got_expansion & ~qualifies_expansion,
    },
)


def _graduate_checks() -> list[Check]:
    return [
        Check("graduate", "招用的是高校毕业生", is_graduate, reason="招用人员不是高校毕业生"),
        Check(
            "graduation_year",
            "于毕业年度内招用（毕业年度高校毕业生）",
            in_graduation_year,
            cite=("eligible_hires",),
            reason="不是毕业年度高校毕业生（招用年份与毕业年份不同）",
        ),
    ]


JOB_EXPANSION_2022 = register(
    Ruleset(
        program="job_expansion",
        name="v2022",
        label="一次性扩岗补助",
        facts=GraduateHireFacts,
        subject="单位",
        checks=[
            Check("enterprise", "招用单位为企业", enterprise, reason="招用单位不是企业"),
            *_graduate_checks(),
            Check(
                "contract",
                "签订劳动合同",
                has_contract,
                cite=("requires_contract_and_ui",),
                reason="未与该毕业生签订劳动合同",
            ),
            Check("insured", "为其参加失业保险", insured, cite=("requires_contract_and_ui",), reason="未为该毕业生参加失业保险"),
            Check(
                "not_both",
                "未就该毕业生享受一次性吸纳就业补贴（不重复享受）",
                not_both_expansion,
                cite=("exclusive_with",),
                reason="该毕业生已享受或选择一次性吸纳就业补贴，两项不重复享受",
            ),
        ],
        amount=Param("amount_per_person", "补助标准", MONEY),
        amount_label="补助金额",
    )
)

HIRING_2022 = register(
    Ruleset(
        program="hiring_subsidy",
        name="v2022",
        label="一次性吸纳就业补贴",
        facts=GraduateHireFacts,
        subject="单位",
        checks=[
            Check("sme", "招用单位为中小微企业", sme, cite=("eligible_units",), reason="招用单位不是中小微企业"),
            *_graduate_checks(),
            Check(
                "contract_1y",
                "签订{min_contract_years}年以上劳动合同",
                contract_1y,
                reason="劳动合同期限不足{min_contract_years}年",
            ),
            Check(
                "not_both",
                "未就该毕业生享受一次性扩岗补助（不重复享受）",
                not_both_hiring,
                cite=("exclusive_with",),
                reason="该毕业生已享受、选择或优先适用一次性扩岗补助，两项不重复享受",
            ),
        ],
        amount=Param("amount_per_person", "补贴标准", MONEY),
        amount_label="补贴金额",
    )
)
