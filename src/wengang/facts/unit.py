"""Facts about one insured unit (参保单位), as the rules read them.

These are *derived* facts (months fully paid, last year's premiums, layoffs …). The screening
pipeline derives the same fields from raw monthly records, so a feature table with these columns can
be screened directly. Every field has a Chinese description: the data dictionary is generated from it.
Money is integer fen; a field ending in ``_fen`` accepts yuan strings through ``*_yuan`` helpers in the API.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from wengang.facts.identifiers import validate_credit_code
from wengang.facts.industries import validate_industry_code
from wengang.facts.unit_codes import OrgType, SizeClass

__all__ = ["OrgType", "SizeClass", "UnitFacts"]


class UnitFacts(BaseModel):
    """一个参保单位的事实 / facts about one insured unit."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    credit_code: str = Field(description="统一社会信用代码 / unified social credit code (18 characters)")
    name: str = Field("", description="单位名称 / unit name")
    region_code: str | None = Field(None, description="参保地行政区划代码 / region code of the insurance place (GB/T 2260, or 'bingtuan')")
    org_type: OrgType = Field(OrgType.enterprise, description="单位类型 / organisation type")
    legal_entity_credit_code: str | None = Field(
        None, description="分支机构所属独立法人的统一社会信用代码 / credit code of the legal entity a branch belongs to"
    )
    is_dispatch_firm: bool = Field(False, description="是否劳务派遣单位 / is a labour-dispatch firm")

    # size class (企业划型)
    size_class: SizeClass | None = Field(None, description="已认定的企业划型 / size class already determined")
    size_class_step: str | None = Field(
        None,
        description="size_class 的来源：空或 given 表示经办机构已认定的现有划型；stats、standard_2017、legal_entity、si_system 表示由该步导出（规则据输入重新判定）/ where size_class came from (empty or given: an existing class)",
    )
    legal_entity_size_class: SizeClass | None = Field(
        None, description="分支机构所属独立法人的划型 / size class of the legal entity a branch belongs to"
    )
    si_system_size_class: SizeClass | None = Field(
        None, description="社保信息系统中的企业划型数据（兵团）/ size class held in the social-insurance system"
    )
    stats_size_class: SizeClass | None = Field(None, description="统计部门共享数据中的划型 / size class from the statistics department")
    stats_data_shared: bool = Field(
        False, description="统计部门已提供共享的大型企业数据（山西“其它参保企业为中小微企业”的前提）/ the statistics department shared its list of large firms"
    )
    size_class_2017: SizeClass | None = Field(
        None,
        description="按现行标准（统计上大中小微型企业划分办法（2017））由行业、从业人员、营业收入、资产总额划出的类型；未给出时由这些指标导出 / class by the 2017 NBS standard (derived from the indicators when not given)",
    )
    legal_entity_avg_contributors_12m: NonNegativeInt | None = Field(
        None, description="分支机构所属独立法人上年度12个月平均缴费人数 / the legal entity's average contributors last year (branches)"
    )
    industry_code: str | None = Field(None, description="国民经济行业代码 (GB/T 4754-2017) / industry code")
    employees: NonNegativeInt | None = Field(None, description="从业人员数 / persons employed")
    revenue_10k_yuan: NonNegativeInt | None = Field(None, description="营业收入（万元）/ revenue in 10k yuan")
    assets_10k_yuan: NonNegativeInt | None = Field(None, description="资产总额（万元）/ total assets in 10k yuan")
    avg_contributors_12m: NonNegativeInt | None = Field(
        None, description="上年度12个月平均缴费人数 / average contributors over last year's 12 months"
    )

    # contributions (缴费)
    months_fully_paid: NonNegativeInt | None = Field(
        None, description="截至审核时连续足额缴纳失业保险费月数 / consecutive months of unemployment premiums paid in full"
    )
    months_fully_paid_total: NonNegativeInt | None = Field(
        None, description="累计足额缴纳失业保险费月数 / cumulative months of unemployment premiums paid in full"
    )
    paid_premium_last_year_fen: NonNegativeInt | None = Field(
        None,
        description="企业及其职工上年度实际缴纳的当年度失业保险费（分），不含补缴的其他年度欠费和滞纳金：请填已扣除二者的净额，"
        "二者另填 backpay_other_years_fen、late_fee_fen；规则不从本数中再扣除任何金额。稳岗返还的返还基数默认即本数"
        "（解释开关 fanhuan.base_other_year_arrears=exclude）；取 include 时为本数 + backpay_other_years_fen；滞纳金一律不计"
        " / last year's premiums paid for last year, in fen, NET of back payments for other years and of late fees (give"
        " those in their own fields; nothing is subtracted from this figure). The refund base is this figure (or this +"
        " backpay_other_years_fen under fanhuan.base_other_year_arrears=include); late fees never count",
    )
    backpay_other_years_fen: NonNegativeInt = Field(
        0,
        description="上年度补缴的其他年度欠费（分）。不计入 paid_premium_last_year_fen；仅在解释开关 fanhuan.base_other_year_arrears=include"
        "时加入返还基数 / back payments for other years made last year, in fen; not part of paid_premium_last_year_fen,"
        " added to the refund base only under fanhuan.base_other_year_arrears=include",
    )
    late_fee_fen: NonNegativeInt = Field(
        0,
        description="上年度缴纳的滞纳金（分）。不计入 paid_premium_last_year_fen，也从不计入返还基数（记录用）"
        " / late fees paid last year, in fen; not part of paid_premium_last_year_fen and never in the refund base (recorded)",
    )
    paid_premium_after_year_fen: NonNegativeInt | None = Field(
        None,
        description="所属期为上年度、于上年度结束后（审核之日前）才缴纳的失业保险费（分），不在 paid_premium_last_year_fen 内；"
        "仅在解释开关 fanhuan.base_payment_date=by_period 时加入返还基数（空：按0计）/ premiums for last year's months paid"
        " after the year ended (before the review), in fen; not in paid_premium_last_year_fen; added to the base only under"
        " fanhuan.base_payment_date=by_period",
    )
    overpaid_premium_last_year_fen: NonNegativeInt | None = Field(
        None,
        description="paid_premium_last_year_fen 中超过当月应缴的部分（分；逐月实缴 − 应缴之和，仅计多缴的月份）：大于0时核查提示"
        " / of paid_premium_last_year_fen, what was paid above the month's premium due, in fen (a flag when above 0)",
    )
    paid_premium_unit_share_last_year_fen: NonNegativeInt | None = Field(
        None, description="上年度实际缴纳的当年度失业保险费中的单位缴纳部分（分）/ the unit's own share of last year's premiums, in fen"
    )
    premium_due_6m_fen: NonNegativeInt | None = Field(
        None, description="6个月的企业及其职工应缴纳社会保险费（分）/ social-insurance premiums due for 6 months, in fen (2019 hardship standard)"
    )
    outstanding_deferral: bool = Field(False, description="有缓缴尚未补足的失业保险费 / deferred premiums not yet paid up")

    # headcount and layoffs (人数与裁员)
    insured_headcount: NonNegativeInt | None = Field(
        None,
        description="参保职工总数（上年末）。上年末在册的参保职工人数，已不含上年度被裁减的人员。裁员率默认 = 裁员人数 ÷（裁员人数 + 本数）"
        "（fanhuan.layoff_rate_formula=year_end）；“30人（含）以下…不高于参保职工总数20%”默认按裁员前职工总数 = 本数 +"
        " layoffs_last_year（正常减员默认不计，fanhuan.normal_attrition）判断是否30人（含）以下，并以其为分母"
        "（fanhuan.small_unit_rule=workforce；另有 headcount、layoff_rate、average 读法）"
        " / insured staff at the end of last year (after the layoffs). Layoff rate by default layoffs ÷ (layoffs + this);"
        " the ≤ 30-staff rule by default counts the workforce before the layoffs, this + layoffs_last_year, as both the"
        " size and the denominator (fanhuan.small_unit_rule=workforce)",
    )
    avg_insured_last_year: NonNegativeInt | None = Field(
        None,
        description="上年度月均参保职工人数（整数；月均不是整数的，请给 insured_person_months_last_year）"
        " / average monthly insured staff last year (a whole number; otherwise give insured_person_months_last_year)",
    )
    insured_person_months_last_year: NonNegativeInt | None = Field(
        None,
        description="上年度各月参保职工人数之和（人月）；给出时，月均参保职工人数按本数÷12精确计算，不取整，"
        "优先于 avg_insured_last_year / the sum of last year's 12 monthly insured headcounts (person-months): when"
        " given, the monthly average is this ÷ 12, exactly (not rounded), and takes precedence over avg_insured_last_year",
    )
    layoffs_last_year: NonNegativeInt | None = Field(
        None,
        description="上年度裁员人数，不含正常减员（另见 normal_attrition_last_year）/ staff laid off last year, normal attrition excluded",
    )
    normal_attrition_last_year: NonNegativeInt = Field(
        0, description="上年度正常减员人数（合同期满、调出、自愿离职、退休、死亡）；为0而分项给出时取分项之和 / normal attrition last year"
    )
    attrition_contract_expiry: NonNegativeInt | None = Field(None, description="正常减员：劳动合同期满 / attrition: contract expiry")
    attrition_transfer: NonNegativeInt | None = Field(None, description="正常减员：调出 / attrition: transferred out")
    attrition_resignation: NonNegativeInt | None = Field(None, description="正常减员：自愿辞（离）职 / attrition: resigned")
    attrition_retirement: NonNegativeInt | None = Field(None, description="正常减员：退休 / attrition: retired")
    attrition_death: NonNegativeInt | None = Field(None, description="正常减员：死亡 / attrition: death")
    insured_headcount_start: NonNegativeInt | None = Field(
        None, description="上年初参保职工人数（经办机构记录；现行文件的裁员率口径不读它）/ insured staff at the start of last year (recorded; no formula in the texts reads it)"
    )
    layoff_rate_given_bp: NonNegativeInt | None = Field(
        None,
        description="经办机构已算出的上年度裁员率（万分之一为单位，如5.5%记550）；须同时给出所用口径 layoff_rate_formula_given / a layoff rate the agency computed, in basis points",
    )
    layoff_rate_formula_given: str | None = Field(
        None,
        description="该裁员率所用口径：year_end（裁员 ÷（裁员 + 年末人数））或 average（÷ 月均人数）；与采用的口径相同才直接采用 / the formula it used",
    )

    staff_headcount_year_end: NonNegativeInt | None = Field(
        None,
        description="上年末职工人数（含未参保职工；2019 年裁员率按“上年末职工人数”、解释开关 fanhuan.layoff_headcount_2019=all_staff 时读取）"
        " / all staff at the end of last year, insured or not (read under fanhuan.layoff_headcount_2019=all_staff)",
    )
    insured_headcount_at_application: NonNegativeInt | None = Field(
        None,
        description="申请（认定）时的参保职工人数（2019 困难企业标准、解释开关 fanhuan.hardship_headcount_2019=at_application 时读取）"
        " / insured staff when the hardship refund is applied for (read under fanhuan.hardship_headcount_2019=at_application)",
    )

    # exclusions on the evaluation date (排除情形)
    serious_dishonesty: bool = Field(False, description="列入严重违法失信名单 / on the serious-dishonesty list")
    zombie_clearance: bool = Field(False, description="列入出清名单的僵尸企业 / zombie firm on the clearance list")
    env_noncompliant: bool = Field(False, description="不符合当地环保政策 / not compliant with local environmental policy")
    deregistered: bool = Field(False, description="已注销营业执照 / business licence cancelled")
    license_revoked: bool = Field(False, description="被吊销营业执照 / business licence revoked")
    abnormal_operations: bool = Field(False, description="列入经营异常名录 / on the abnormal-operations list")
    operating_normally: bool | None = Field(
        None,
        description="列入经营异常名录的企业仍正常生产经营（经办机构认定；解释开关 fanhuan.abnormal_listing=cannot_operate 时读取）"
        " / a unit on the abnormal-operations list still operates normally (agency finding; read under"
        " fanhuan.abnormal_listing=cannot_operate)",
    )
    serious_dishonesty_refund_year: bool | None = Field(
        None,
        description="上年度内曾列入严重违法失信名单（解释开关 fanhuan.exclusion_status_date=refund_year 时读取；空：按查询所得状态）"
        " / on the serious-dishonesty list at some time last year (read under fanhuan.exclusion_status_date=refund_year)",
    )
    zombie_clearance_refund_year: bool | None = Field(
        None,
        description="上年度内曾列入出清名单僵尸企业（fanhuan.exclusion_status_date=refund_year 时读取；空：按查询所得状态）"
        " / on the zombie clearance list at some time last year (fanhuan.exclusion_status_date=refund_year)",
    )
    env_noncompliant_refund_year: bool | None = Field(
        None,
        description="上年度内曾被认定不符合当地环保政策（fanhuan.exclusion_status_date=refund_year 时读取；空：按查询所得状态）"
        " / found not compliant with local environmental policy at some time last year (fanhuan.exclusion_status_date=refund_year)",
    )
    disqualified_misuse: bool = Field(
        False, description="因未按规定拨付使用稳岗返还资金被取消本年度申领资格 / disqualified this year after misuse of last year's refund"
    )
    hardship_approved: bool = Field(
        False, description="经审核领导小组认定为面临暂时性生产经营困难且恢复有望的企业（2019）/ approved hardship firm (2019)"
    )

    # payment (发放)
    has_corporate_account: bool = Field(True, description="有对公账户 / has a corporate bank account")
    has_tax_payment_account: bool = Field(
        False, description="税务部门协助提供的社会保险费缴费账户 / has the premium payment account supplied by the tax bureau"
    )
    applied: bool = Field(False, description="单位已自主申请 / the unit applied itself (required of dispatch firms)")
    refunded_at_topup_from_rate: bool = Field(
        False, description="本年度已按原标准（30%）返还，本次补足差额（2022）/ already refunded at 30 %, now topped up (2022)"
    )
    refund_already_paid_fen: NonNegativeInt | None = Field(
        None, description="本期已发放的稳岗返还（分），用于多退少补 / refund already paid this round, in fen (for settlement)"
    )

    # dispatch firms (劳务派遣)
    dispatched_workers: NonNegativeInt = Field(0, description="被派遣劳动者人数 / dispatched workers")
    dispatched_to_public_institutions: NonNegativeInt | None = Field(
        0,
        description="派遣到机关事业单位的劳动者人数（null：有用工单位是否机关事业单位不明）/ workers dispatched to government "
        "and public institutions (null: whether some user unit is one is not known)",
    )
    dispatched_public_premium_last_year_fen: NonNegativeInt | None = Field(
        None,
        description="派遣到机关事业单位的劳动者对应的上年度实际缴纳失业保险费（分）/ last year's premiums for workers dispatched to public institutions, in fen",
    )
    dispatch_informed: bool = Field(
        False, description="已向劳务派遣单位推送、告知稳岗返还政策（晋28号 五）/ the dispatch firm was informed of the policy"
    )
    dispatch_application_period_over: bool = Field(
        False, description="告知后给定的申请期限（政策执行期限）已过 / the period to apply after being informed has ended"
    )
    dispatched_premium_last_year_fen: NonNegativeInt | None = Field(
        None,
        description="被派遣劳动者（不含派遣到机关事业单位的）对应的上年度实际缴纳失业保险费（分）/ last year's premiums for dispatched workers, in fen",
    )

    # 晋28号 二: the exclusion lists are queried on the day of review and the record archived
    exclusion_checked_on: date | None = Field(
        None, description="排除情形（失信、注销、吊销、经营异常等）的查询日期 / date the exclusion lists were queried"
    )
    exclusion_lists_checked: str | None = Field(
        None, description="查询的平台，逗号分隔，如 gsxt,creditchina（国家企业信用信息公示系统、信用中国）/ lists queried"
    )
    exclusion_list_version: str | None = Field(
        None, description="所查名单的版本或查询记录编号（存档用）/ version of the lists, or the archived query record id"
    )

    # a one-case evaluation may be pinned to the date of review
    evaluation_date: date | None = Field(None, description="审核之日 / date of review")

    @field_validator("industry_code")
    @classmethod
    def _check_industry_code(cls, value: str | None) -> str | None:
        # a section letter that contradicts the digits (A511, F0511) is refused, not classified by the digits alone
        return validate_industry_code(value)

    @field_validator("credit_code", "legal_entity_credit_code")
    @classmethod
    def _check_credit_code(cls, value: str | None) -> str | None:
        # the check character is verified (GB 32100-2015); a bad code is an input error, not a decision
        return None if value is None else validate_credit_code(value)


# the exclusion lists whose state in the refund year a fact gives (``<list>_refund_year``: 严重违法失信、出清名单僵尸企业、
# 不符合当地环保政策, the lists 内人社发〔2025〕18号 一 leaves the date of open, fanhuan.exclusion_status_date): the rules
# read them, the raw screen derives them from the lists' dates
REFUND_YEAR_LISTS = tuple(n.removesuffix("_refund_year") for n in UnitFacts.model_fields if n.endswith("_refund_year"))
