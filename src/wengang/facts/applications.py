"""Facts of the one-off subsidies, start-up support, internships, fee deferral and fee rates.

One model per kind of application, as the rules read them. Fields are *derived* facts (counts, months,
flags set by a caseworker's finding), so a screening table with these columns can be run directly.
Every field has a Chinese and an English description: the data dictionary is generated from them.
Money is integer fen (``*_fen``; the API also accepts ``*_yuan`` strings). 统一社会信用代码 and 公民身份号码
are checked with their check characters (``wengang.facts.identifiers``).

Sources: 内人社办发〔2022〕86号 三(三)7–9、16 and 三(一)3、(二)5 (forwarded by 通人社办发〔2022〕139号);
内政发〔2019〕4号 三、五; 晋人社厅发〔2024〕28号 一; the 兵团 draft 一(一).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from wengang.facts.identifiers import validate_credit_code, validate_id_number
from wengang.facts.industries import validate_industry_code
from wengang.facts.labels import ZhEnum, register
from wengang.facts.unit import OrgType, SizeClass

__all__ = [
    "BusinessType",
    "DeferralFacts",
    "FeeRateFacts",
    "GraduateHireFacts",
    "InternGroup",
    "InternshipFacts",
    "LoanApplicant",
    "LoanGroup",
    "CounterGuaranteeGroup",
    "OrgType",
    "RetentionTrainingFacts",
    "SizeClass",
    "StartupGrantFacts",
    "StartupGroup",
    "StartupLoanFacts",
]


# Chinese names of the enum values below: explanations print str(value), so a caseworker reads 小微企业, not small_firm
ZH: dict[str, str] = {
    "individual": "个人",
    "partnership": "合伙创业",
    "small_firm": "小微企业",
    "registered_unemployed": "城镇登记失业人员",
    "employment_difficulty": "就业困难人员",
    "veteran": "复员转业退役人员",
    "released_prisoner": "刑满释放人员",
    "graduate": "高校毕业生",
    "overcapacity_worker": "化解过剩产能企业职工和失业人员",
    "returning_migrant_founder": "返乡创业农牧民工",
    "online_merchant": "网络商户",
    "registered_poor": "建档立卡贫困人口",
    "rural_self_employed_migrant": "农村自主创业农牧民工",
    "national_incubator_or_credit_community_project": "全国创业孵化示范基地或信用社区（乡村）推荐的创业项目",
    "city_level_honoree": "获得设区的市级以上荣誉称号",
    "credit_rated_small_firm_merchant_farmer": "经金融机构评估认定的信用小微企业、商户、农户",
    "trustworthy_second_time_founder": "经营稳定守信的二次创业者",
    "college_graduate": "高校毕业生",
    "small_micro_firm": "小微企业",
    "individual_business": "个体工商户",
    "unemployed_graduates": "离校未就业高校毕业生",
    "unemployed_youth_16_24": "16-24岁失业青年",
    "other": "其他",
}


register(ZH)


def _credit_code(value: str | None) -> str | None:
    return None if value is None else validate_credit_code(value)


def _id_number(value: str | None) -> str | None:
    return None if value is None else validate_id_number(value)


class _UnitBase(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    credit_code: str = Field(description="统一社会信用代码 / unified social credit code (18 characters)")
    name: str = Field("", description="单位名称 / unit name")

    _check_code = field_validator("credit_code")(classmethod(lambda cls, v: _credit_code(v)))


# ---------------------------------------------------------------------------------------------------
# 一次性留工培训补助


class RetentionTrainingFacts(_UnitBase):
    """一次性留工培训补助的单位事实 / a unit's facts for the one-off job-retention training subsidy (2022)."""

    org_type: OrgType = Field(OrgType.enterprise, description="单位类型 / organisation type")
    industry_code: str | None = Field(
        None, description="国民经济行业代码（GB/T 4754-2017，如 H6210、L7291）/ industry code (GB/T 4754-2017)"
    )
    _check_industry = field_validator("industry_code")(classmethod(lambda cls, v: validate_industry_code(v)))
    covid_hardship: bool | None = Field(
        None,
        description="经认定因新冠肺炎疫情严重影响暂时无法正常生产经营 / found unable to operate normally for now because of COVID-19",
    )
    insured_prev_month_end: NonNegativeInt | None = Field(
        None, description="申请（筛查）上月末参保职工人数 / insured staff at the end of the month before the application (screening)"
    )
    insured_at_review: NonNegativeInt | None = Field(
        None, description="审核之日参保职工人数 / insured staff on the day of review"
    )
    already_received: bool = Field(False, description="已享受过一次性留工培训补助 / has already received this one-off subsidy")
    # derived from industry_code by the program's prepare step (and by the screening pipeline)
    hardship_industry: str | None = Field(
        None, description="所属特困行业（由行业代码推得：catering、retail、tourism、civil_aviation、road_water_rail_transport）/ one of the 5 hardship industries, derived from industry_code"
    )
    scenic_area: bool = Field(False, description="行业代码属 N786 游览景区管理（由行业代码推得）/ industry is N786 scenic-area management, derived")


# ---------------------------------------------------------------------------------------------------
# 一次性扩岗补助 / 一次性吸纳就业补贴: one row per graduate hired


class GraduateHireFacts(_UnitBase):
    """企业招用一名毕业年度高校毕业生的事实（扩岗补助、吸纳就业补贴）/ one graduate hired by a unit (job-expansion and hiring subsidies)."""

    org_type: OrgType = Field(OrgType.enterprise, description="单位类型 / organisation type")
    size_class: SizeClass | None = Field(None, description="企业划型 / size class of the enterprise")
    graduate_id_number: str | None = Field(None, description="毕业生公民身份号码 / ID number of the graduate")
    is_college_graduate: bool | None = Field(None, description="是高校毕业生 / is a college (higher-education) graduate")
    graduation_year: int | None = Field(None, ge=1950, le=2100, description="毕业年份 / year of graduation")
    hire_year: int | None = Field(None, ge=1950, le=2100, description="招用年份（劳动合同起始年份）/ year of hiring (contract start)")
    has_labour_contract: bool | None = Field(None, description="已签订劳动合同 / has signed a labour contract")
    contract_months: NonNegativeInt | None = Field(
        None, description="劳动合同期限（月；无固定期限合同填 999）/ contract term in months (999 for an open-ended contract)"
    )
    insured_ui: bool | None = Field(None, description="已为其参加失业保险 / the graduate is enrolled in unemployment insurance")
    received_job_expansion: bool = Field(
        False, description="已就该毕业生享受一次性扩岗补助 / the job-expansion subsidy has been paid for this graduate"
    )
    received_hiring_subsidy: bool = Field(
        False, description="已就该毕业生享受一次性吸纳就业补贴 / the hiring subsidy has been paid for this graduate"
    )
    chosen_program: str | None = Field(
        None, description="两项均符合时单位选择的项目（job_expansion 或 hiring_subsidy）/ the programme the unit chose when both apply"
    )

    _check_id = field_validator("graduate_id_number")(classmethod(lambda cls, v: _id_number(v)))

    @field_validator("chosen_program")
    @classmethod
    def _known_program(cls, v: str | None) -> str | None:
        if v is not None and v not in ("job_expansion", "hiring_subsidy"):
            raise ValueError("应为 job_expansion 或 hiring_subsidy / must be job_expansion or hiring_subsidy")
        return v


# ---------------------------------------------------------------------------------------------------
# 创业担保贷款


class LoanApplicant(ZhEnum):
    individual = "individual"  # 个人
    partnership = "partnership"  # 个人合伙创业
    small_firm = "small_firm"  # 小微企业


class LoanGroup(ZhEnum):
    """个人创业担保贷款对象范围（内人社办发〔2022〕86号 三(四)16）."""

    registered_unemployed = "registered_unemployed"  # 城镇登记失业人员
    employment_difficulty = "employment_difficulty"  # 就业困难人员（含残疾人）
    veteran = "veteran"  # 复员转业退役人员
    released_prisoner = "released_prisoner"  # 刑满释放人员
    graduate = "graduate"  # 高校毕业生（含大学生村官和留学回国学生）
    overcapacity_worker = "overcapacity_worker"  # 化解过剩产能企业职工和失业人员
    returning_migrant_founder = "returning_migrant_founder"  # 返乡创业农牧民工
    online_merchant = "online_merchant"  # 网络商户
    registered_poor = "registered_poor"  # 建档立卡贫困人口
    rural_self_employed_migrant = "rural_self_employed_migrant"  # 农村自主创业农牧民工
    other = "other"


class CounterGuaranteeGroup(ZhEnum):
    """免除反担保要求的特定群体（内人社办发〔2022〕86号 三(四)16）."""

    national_incubator_or_credit_community_project = "national_incubator_or_credit_community_project"  # 全国创业孵化示范基地或信用社区（乡村）推荐的创业项目
    city_level_honoree = "city_level_honoree"  # 获得设区的市级以上荣誉称号的创业人员、创业项目、创业企业
    credit_rated_small_firm_merchant_farmer = "credit_rated_small_firm_merchant_farmer"  # 经金融机构评估认定的信用小微企业、商户、农户
    trustworthy_second_time_founder = "trustworthy_second_time_founder"  # 经营稳定守信的二次创业者


class StartupLoanFacts(BaseModel):
    """创业担保贷款申请的事实 / facts of a start-up guaranteed loan application."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    applicant: LoanApplicant = Field(description="申请主体：个人、合伙创业、小微企业 / applicant: individual, partnership, small firm")
    id_number: str | None = Field(None, description="借款人（合伙创业为牵头人）公民身份号码 / borrower's ID number (lead partner)")
    credit_code: str | None = Field(None, description="小微企业统一社会信用代码 / credit code of the small firm")
    name: str = Field("", description="借款人或企业名称 / borrower or firm name")
    group: LoanGroup | None = Field(None, description="个人借款人所属人员类别 / group of the individual borrower")
    partners_eligible: NonNegativeInt | None = Field(
        None, description="合伙创业中符合条件的个人借款人人数 / eligible individual borrowers in the partnership"
    )
    partners_approved_total_fen: NonNegativeInt | None = Field(
        None, description="合伙人按个人条件核定的贷款额度之和（分）/ sum of the partners' individually approved amounts, in fen"
    )
    size_class: SizeClass | None = Field(None, description="企业划型（小微企业贷款）/ size class (small-firm loans)")
    employees_current: NonNegativeInt | None = Field(None, description="企业现有在职职工人数 / staff currently employed")
    new_hires_eligible: NonNegativeInt | None = Field(
        None,
        description="当年新招用符合创业担保贷款申请条件并与其签订1年以上劳动合同的人数 / people meeting the loan conditions hired this year on a contract of one year or more",
    )
    wage_arrears: bool = Field(False, description="有拖欠职工工资的严重违法违规信用记录 / has a record of wage arrears")
    premium_arrears: bool = Field(False, description="有欠缴社会保险费的严重违法违规信用记录 / has a record of unpaid social-insurance premiums")
    requested_amount_fen: NonNegativeInt | None = Field(None, description="申请贷款金额（分）/ requested loan amount, in fen")
    requested_term_months: NonNegativeInt | None = Field(None, description="申请贷款期限（月）/ requested term in months")
    extension_months: NonNegativeInt = Field(0, description="申请展期期限（月，0 为不展期）/ requested extension in months (0 = none)")
    extensions_before: NonNegativeInt = Field(0, description="此前已展期次数 / extensions already granted")
    bank_consents_extension: bool | None = Field(None, description="经办金融机构认可展期 / the lending bank consents to the extension")
    counter_guarantee_group: CounterGuaranteeGroup | None = Field(
        None, description="免除反担保的特定群体类别 / special group exempt from counter-guarantee"
    )

    _check_code = field_validator("credit_code")(classmethod(lambda cls, v: _credit_code(v)))
    _check_id = field_validator("id_number")(classmethod(lambda cls, v: _id_number(v)))


# ---------------------------------------------------------------------------------------------------
# 一次性创业补贴


class StartupGroup(ZhEnum):
    college_graduate = "college_graduate"  # 高校毕业生
    employment_difficulty = "employment_difficulty"  # 就业困难人员
    other = "other"


class BusinessType(ZhEnum):
    small_micro_firm = "small_micro_firm"  # 小微企业
    individual_business = "individual_business"  # 个体工商户
    other = "other"


class StartupGrantFacts(BaseModel):
    """一次性创业补贴申请人的事实 / facts of an applicant for the one-off start-up grant (2019)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    id_number: str = Field(description="申请人公民身份号码 / applicant's ID number")
    name: str = Field("", description="申请人姓名 / applicant's name")
    group: StartupGroup | None = Field(None, description="人员类别 / applicant group")
    months_left_school_at_registration: NonNegativeInt | None = Field(
        None, description="登记注册时距离校月数（高校毕业生）/ months since leaving school at registration (graduates)"
    )
    months_left_school_at_application: NonNegativeInt | None = Field(
        None, description="申请时距离校月数（高校毕业生）/ months since leaving school at application (graduates)"
    )
    first_business: bool | None = Field(None, description="首次创办（此前未创办过企业或个体工商户）/ first business founded")
    business_type: BusinessType | None = Field(None, description="所创办主体类型 / type of the business founded")
    business_credit_code: str | None = Field(None, description="所创办企业或个体工商户统一社会信用代码 / credit code of the business")
    operating_months: NonNegativeInt | None = Field(
        None, description="自登记注册之日起正常运营月数 / months of normal operation since registration"
    )
    already_received: bool = Field(False, description="已享受过一次性创业补贴 / has already received the grant")

    _check_id = field_validator("id_number")(classmethod(lambda cls, v: _id_number(v)))
    _check_code = field_validator("business_credit_code")(classmethod(lambda cls, v: _credit_code(v)))


# ---------------------------------------------------------------------------------------------------
# 就业见习补贴: one row per intern


class InternGroup(ZhEnum):
    unemployed_graduates = "unemployed_graduates"  # 离校未就业高校毕业生
    unemployed_youth_16_24 = "unemployed_youth_16_24"  # 16-24岁失业青年
    other = "other"


class InternshipFacts(_UnitBase):
    """见习单位为一名见习人员申请就业见习补贴的事实 / a host unit's facts for one intern (2019)."""

    intern_id_number: str | None = Field(None, description="见习人员公民身份号码 / intern's ID number")
    intern_group: InternGroup | None = Field(None, description="见习人员类别 / intern group")
    age_at_start: NonNegativeInt | None = Field(None, description="见习开始时周岁年龄 / age in whole years when the internship started")
    months: NonNegativeInt | None = Field(None, description="见习月数 / months of internship")
    unit_interns_completed: NonNegativeInt | None = Field(
        None, description="本单位见习期满人数 / the unit's interns who completed their internship"
    )
    unit_interns_total: NonNegativeInt | None = Field(
        None, description="本单位见习人员总数（含中途离岗）/ all the unit's interns, including early leavers"
    )
    unit_interns_retained: NonNegativeInt | None = Field(
        None, description="本单位见习期满后留用人数 / interns the unit kept on after the internship"
    )
    start_month: date | None = Field(
        None, description="见习开始年月（见习第一个月内任一日期）/ the month the internship began (any day of it)"
    )
    # derived by ``prepare`` from start_month, months and the region data in force in each month
    wage_months_total_fen: int | None = Field(
        None,
        description="补贴各月一类区月最低工资标准之和（分；由见习开始年月 start_month 与各月地区数据推得，未给出见习开始年月或有月份无地区数据时缺失）"
        " / sum of the monthly wages of the months paid, derived",
    )
    wage_at_period_fen: int | None = Field(
        None, description="适用政策之日地区数据中的一类区月最低工资标准（分，推得）/ the region data's wage on the period date, derived"
    )
    wage_months_detail: str | None = Field(
        None, description="补贴各月适用的一类区月最低工资标准（推得）/ the wage of each month paid, derived"
    )

    _check_id = field_validator("intern_id_number")(classmethod(lambda cls, v: _id_number(v)))


# ---------------------------------------------------------------------------------------------------
# 失业保险费缓缴


class DeferralFacts(_UnitBase):
    """申请缓缴失业保险费、养老保险费（单位部分）或工伤保险费的单位事实 / a unit's facts for a 2022 premium deferral."""

    org_type: OrgType = Field(OrgType.enterprise, description="单位类型 / organisation type")
    # 内人社办发〔2022〕86号 （一）1–3: the SME test uses one of these two classifications, not any size class
    size_class_2020_relief: SizeClass | None = Field(
        None, description="2020 年实施社保费“减免缓”政策划型结论 / size class from the 2020 fee-relief classification"
    )
    size_class_2021_confirmed: SizeClass | None = Field(
        None,
        description="按 2021 年数据划型并经同级人民政府确认的结论（未列入2020年划型、2020年以后成立或对划型有异议的企业）"
        " / size class from 2021 data, confirmed by the government at the same level",
    )
    size_class: SizeClass | None = Field(
        None,
        description="单位现有划型（未注明来源；上两项均未给出时采用，并提示核对是否为2020年“减免缓”划型结论）"
        " / the unit's size class of unstated source (used, with a flag, when neither of the two above is given)",
    )
    received_on: date | None = Field(None, description="经办机构收到缓缴申报之日 / day the agency received the application")
    industry_code: str | None = Field(None, description="国民经济行业代码（GB/T 4754-2017）/ industry code")
    _check_industry = field_validator("industry_code")(classmethod(lambda cls, v: validate_industry_code(v)))
    hardship_confirmed: bool | None = Field(
        None, description="经同级扩围行业困难企业工作小组确认为困难企业 / confirmed as a firm in difficulty (17 industries)"
    )
    temporary_difficulty: bool | None = Field(
        None, description="生产经营出现暂时困难 / temporary difficulty in production and operation"
    )
    in_enterprise_pension: bool | None = Field(
        None, description="参加企业职工基本养老保险 / insured in the enterprise employees' basic pension scheme"
    )
    deferral_months: NonNegativeInt | None = Field(None, description="申请缓缴月数（含起止月）/ months of deferral requested")
    deferral_until: date | None = Field(None, description="申请缓缴至（所属期末日）/ last day of the period deferred")
    # derived from industry_code by the program's prepare step (and by the screening pipeline)
    hardship_industry: str | None = Field(
        None, description="所属特困行业（由行业代码推得：catering、retail、tourism、civil_aviation、road_water_rail_transport）/ one of the 5 hardship industries, derived"
    )
    extended_industry: str | None = Field(None, description="所属17个扩围行业（由行业代码推得）/ one of the 17 extended industries, derived")
    scenic_area: bool = Field(False, description="行业代码属 N786 游览景区管理（由行业代码推得）/ industry is N786, derived")


# ---------------------------------------------------------------------------------------------------
# 失业保险费率


class FeeRateFacts(BaseModel):
    """按缴费基数计算单位和个人应缴失业保险费 / unit and individual premiums for a contribution base."""

    model_config = ConfigDict(extra="forbid")

    credit_code: str | None = Field(None, description="统一社会信用代码（可选）/ credit code (optional)")
    name: str = Field("", description="单位名称 / unit name")
    unit_base_fen: NonNegativeInt | None = Field(None, description="单位缴费基数（分）/ unit's contribution base, in fen")
    individual_base_fen: NonNegativeInt | None = Field(
        None, description="个人缴费工资基数（分；缺省同单位缴费基数）/ individual's contribution base, in fen (defaults to the unit's)"
    )

    _check_code = field_validator("credit_code")(classmethod(lambda cls, v: _credit_code(v)))
