"""Facts about one person (个人), as the person programs read them.

Two kinds of model:

* :class:`SkillSubsidyFacts` — one 技能提升补贴 application: the person, the certificate applied for,
  and their histories (past skill subsidies, certificates held, 职业培训补贴 received). The rules read
  flat *derived* fields (``subsidies_this_year_by_application`` …); ``programs.skill_subsidy`` fills
  them from the histories (one case) or from tables (screening), by the same definition.
* :class:`UnemployedPersonFacts` — one unemployed person claiming 失业保险金, 失业补助金,
  临时生活补助 or 一次性生活补助.

Every field has a Chinese and English description: the data dictionary is generated from them.
Money is integer fen (``*_fen``; ``*_yuan`` inputs are converted by ``wengang.evaluate``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import IntEnum
from typing import ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from wengang.facts.identifiers import InvalidIdentifier, validate_id_number

# the codes of the person tables live in their own module: the screening schemas read them without building
# this module's pydantic models (start-up time)
from wengang.facts.person_codes import AggregationPlace, CertificateType, ContractEnd, PersonStatus

OCCUPATION_CODE_RE = re.compile(r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")  # ASCII digits: \d matches any Unicode digit

# 五级/初级工 → 一级/高级技师 (facts.md §5); the number is the level, 5 lowest, 1 highest
LEVEL_ZH = {5: "初级（五级）", 4: "中级（四级）", 3: "高级（三级）", 2: "技师（二级）", 1: "高级技师（一级）"}


def check_id_number(value: str) -> str:
    """公民身份号码 with its check character (GB 11643-1999); bilingual error."""
    try:
        return validate_id_number(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


def check_occupation_code(value: str) -> str:
    """职业编码 of the 2022 职业分类大典: ``D-DD-DD-DD`` (大类-中类-小类-细类), 大类 1..8."""
    v = unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value  # full-width digits
    if not isinstance(v, str) or not OCCUPATION_CODE_RE.match(v):
        raise ValueError(
            f"职业编码“{value}”格式不符，应为 D-DD-DD-DD（如 6-31-01-03），大类为1～8 / "
            f"occupation code {value!r} must look like D-DD-DD-DD (e.g. 6-31-01-03), major group 1..8"
        )
    return v




class SkillLevel(IntEnum):
    """证书等级: 5 初级（五级） … 1 高级技师（一级）; ``str()`` is the Chinese name."""

    level5 = 5
    level4 = 4
    level3 = 3
    level2 = 2
    level1 = 1

    def __str__(self) -> str:
        return LEVEL_ZH[self.value]


class PastSkillSubsidy(BaseModel):
    """一次已享受的技能提升补贴 / a skill subsidy already received."""

    model_config = ConfigDict(extra="forbid")
    SCREENING_TABLE: ClassVar[str] = "subsidies"  # a row of it with kind skill; its Chinese headers are read

    occupation_code: str = Field(description="职业编码 D-DD-DD-DD / occupation code")
    work_type: str = Field(
        "", description="工种（同一职业下细分，可空）/ work type within the occupation (may be empty)"
    )
    level: int = Field(
        ge=1,
        le=5,
        description="证书等级 5=初级（五级）…1=高级技师（一级）/ certificate level 5 (lowest) .. 1",
    )
    application_date: date = Field(description="申领日期 / date applied")
    certificate_issue_date: date | None = Field(
        None,
        description="证书发证日期（空时按发证年度计次无法判定，不当作其他年度）/ certificate issue date (empty: its year is unknown, not another year)",
    )
    paid_date: date | None = Field(
        None, description="补贴发放日期（空则按申领日期）/ date paid (application date if empty)"
    )
    urgent: bool = Field(
        False,
        description="是否按急需紧缺职业（工种）享受（空=否，按普通次数计）/ received as an urgently-needed occupation (empty = no)",
    )
    region: str | None = Field(None, description="享受地行政区划代码 / region where received")

    _occ = field_validator("occupation_code")(check_occupation_code)


class HeldCertificate(BaseModel):
    """持有的职业资格或职业技能等级证书 / a certificate the person holds."""

    model_config = ConfigDict(extra="forbid")
    SCREENING_TABLE: ClassVar[str] = "held_certificates"

    occupation_code: str = Field(description="职业编码 D-DD-DD-DD / occupation code")
    work_type: str = Field("", description="工种 / work type")
    level: int = Field(ge=1, le=5, description="证书等级 5..1 / certificate level")
    issue_date: date | None = Field(None, description="发证日期 / issue date")

    _occ = field_validator("occupation_code")(check_occupation_code)


class PastTrainingSubsidy(BaseModel):
    """一次已享受的职业培训补贴 / a vocational-training subsidy already received."""

    model_config = ConfigDict(extra="forbid")
    SCREENING_TABLE: ClassVar[str] = "subsidies"  # a row of it with kind training

    received_date: date = Field(
        validation_alias=AliasChoices("received_date", "paid_date"),  # paid_date: the screening table subsidies
        description="享受（发放）日期；也可写 paid_date（筛查表 subsidies 的列名）/ date received (also paid_date)",
    )
    occupation_code: str = Field(description="培训对应的职业编码 / occupation the training was for")
    work_type: str = Field("", description="工种 / work type")
    level: int | None = Field(
        None,
        ge=1,
        le=5,
        description="培训对应的等级 5..1（可空；按“同一职业同一等级”解读时需要）/ level the training was for (optional)",
    )

    _occ = field_validator("occupation_code")(check_occupation_code)


class SkillSubsidyFacts(BaseModel):
    """一份技能提升补贴申请 / one skill-upgrading subsidy application."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    id_number: str = Field(
        description="公民身份号码（18位，含校验码）/ citizen ID number (18 characters, with check digit)"
    )
    name: str = Field("", description="姓名 / name")
    application_id: str = Field("", description="申请编号 / application id")
    application_date: date = Field(description="申领日期 / date of application")
    person_status: PersonStatus = Field(
        description="申领人身份：企业在职职工、正在领取失业保险金人员或其他 / employed worker, benefit recipient or other"
    )
    # the texts do not say at which date the person must be 企业在职职工 or 正在领取失业保险金人员: the switch
    # skill_subsidy.status_date; empty = derived where the dates allow (same day; continuously insured since), else unknown
    person_status_at_certificate: PersonStatus | None = Field(
        None,
        description="发证日申领人身份（企业在职职工、正在领取失业保险金人员或其他；未知为空）"
        " / the applicant's status on the certificate's issue date (empty if unknown)",
    )
    # where the status at the certificate date is not given: a 企业在职职工 with the same enterprise since on or before the
    # certificate's issue date was one then; one who joined it after was not known to be (a 事业单位 insures its staff
    # too), whatever the insured months. Without the date, continuous insured months stand in (skill_subsidy.status_ok)
    employer_since: date | None = Field(
        None,
        description="在现单位参保起始日期（申领人现为企业在职职工时，自该日起一直在现单位参保；未知为空）"
        " / the date since which the applicant has been insured with the current employer (empty if unknown)",
    )

    # 参保时长 (insured months): the texts say "参加失业保险12个月以上/1年以上"; cumulative or continuous,
    # counted to the application date or to the certificate's issue date, is an interpretation switch
    insured_months_cumulative: NonNegativeInt | None = Field(
        None,
        description="截至申领日累计参加失业保险月数 / cumulative insured months up to the application date",
    )
    insured_months_continuous: NonNegativeInt | None = Field(
        None,
        description="截至申领日连续参加失业保险月数 / continuous insured months up to the application date",
    )
    insured_months_cumulative_at_certificate: NonNegativeInt | None = Field(
        None,
        description="截至发证日累计参保月数 / cumulative insured months up to the certificate's issue date",
    )
    insured_months_continuous_at_certificate: NonNegativeInt | None = Field(
        None,
        description="截至发证日连续参保月数 / continuous insured months up to the certificate's issue date",
    )
    insured_region: str | None = Field(None, description="参保地行政区划代码 / region code where insured")
    benefit_region: str | None = Field(
        None, description="领金地行政区划代码（领取失业保险金人员）/ region paying the benefit"
    )

    # the certificate applied for (申领补贴的证书)
    occupation_code: str = Field(
        description="证书职业编码 D-DD-DD-DD（2022年版职业分类大典）/ occupation code of the certificate"
    )
    occupation_name: str = Field("", description="职业（工种）名称 / occupation name")
    work_type: str = Field("", description="工种（可空）/ work type (may be empty)")
    level: SkillLevel = Field(
        description="证书等级：5=初级（五级），4=中级（四级），3=高级（三级），2=技师（二级），1=高级技师（一级）/ level 5 (lowest) .. 1"
    )
    certificate_type: CertificateType = Field(
        description="证书类别：技能人员职业资格证书或职业技能等级证书 / certificate type"
    )
    # the aliases are the screening table certificates' column names for the same facts
    certificate_number: str = Field(
        "", validation_alias=AliasChoices("certificate_number", "certificate_no"), description="证书编号 / certificate number"
    )
    certificate_issue_date: date = Field(
        validation_alias=AliasChoices("certificate_issue_date", "issue_date"), description="发证日期 / certificate issue date"
    )
    certificate_region: str | None = Field(
        None,
        validation_alias=AliasChoices("certificate_region", "issuing_region"),
        description="发证地（评价机构所在地）行政区划代码 / region where the certificate was issued",
    )
    evaluation_body: str = Field(
        "", validation_alias=AliasChoices("evaluation_body", "issuer"), description="发证评价机构 / evaluation body that issued the certificate"
    )
    urgent_occupation: bool | None = Field(
        None,
        description="证书职业（工种）是否列入自治区急需紧缺职业（工种）目录（按经办方提供的目录比对；未比对为空）"
        " / on the region's urgently-needed occupation list (empty if not matched)",
    )

    fit_commitment_provided: bool | None = Field(
        None,
        description="企业已提供证岗相适承诺书（内人社发〔2025〕18号 四；未知为空）/ the employer gave the job-fit commitment (unknown: empty)",
    )

    # risk data (风控疑点数据, 内人社发〔2025〕18号 五)
    evaluation_body_batch_count: NonNegativeInt | None = Field(
        None,
        description="同一评价机构所发证书在本期申领的人数 / applicants this period holding certificates of the same evaluation body",
    )

    # histories (None = not supplied: the derived fields below must then be given directly)
    past_subsidies: list[PastSkillSubsidy] | None = Field(
        None, description="已享受的技能提升补贴 / skill subsidies received"
    )
    held_certificates: list[HeldCertificate] | None = Field(
        None, description="持有的其他证书 / other certificates held"
    )
    training_subsidies: list[PastTrainingSubsidy] | None = Field(
        None, description="已享受的职业培训补贴 / vocational-training subsidies received"
    )

    # derived from the histories (programs.skill_subsidy.derive_skill_features); may be given directly
    subsidies_this_year_by_application: NonNegativeInt | None = Field(
        None,
        description="派生：申领年度内已享受（含同批更早申请）次数 / derived: subsidies in the application's calendar year",
    )
    subsidies_this_year_by_certificate: NonNegativeInt | None = Field(
        None,
        description="派生：按发证年度计已享受次数 / derived: subsidies counted by certificate issue year",
    )
    subsidies_this_year_by_payment: NonNegativeInt | None = Field(
        None, description="派生：按发放年度计已享受次数 / derived: subsidies counted by payment year"
    )
    ordinary_subsidies_this_year_by_application: NonNegativeInt | None = Field(
        None,
        description="派生：申领年度内已享受的非急需紧缺补贴次数 / derived: ordinary (non-urgent) subsidies in the year",
    )
    ordinary_subsidies_this_year_by_certificate: NonNegativeInt | None = Field(
        None,
        description="派生：按发证年度计非急需紧缺补贴次数 / derived: ordinary subsidies by certificate year",
    )
    ordinary_subsidies_this_year_by_payment: NonNegativeInt | None = Field(
        None, description="派生：按发放年度计非急需紧缺补贴次数 / derived: ordinary subsidies by payment year"
    )
    same_occupation_level_subsidised: bool | None = Field(
        None,
        description="派生：同一职业（工种）同一等级已享受过 / derived: same occupation and level already subsidised",
    )
    higher_level_same_occupation_subsidised: bool | None = Field(
        None,
        description="派生：已享受同一职业（工种）更高等级补贴 / derived: a higher level of the same occupation was subsidised",
    )
    higher_level_same_occupation_held: bool | None = Field(
        None,
        description="派生：已持有（或已享受）同一职业（工种）更高等级证书 / derived: holds or was subsidised for a higher level",
    )
    training_subsidy_same_occupation_before: bool | None = Field(
        None,
        description="派生：申领日前已享受同一职业（工种）职业培训补贴 / derived: training subsidy for this occupation on or before applying",
    )
    training_subsidy_same_occupation_after: bool | None = Field(
        None,
        description="派生：申领日后又享受同一职业（工种）职业培训补贴 / derived: training subsidy for this occupation after applying",
    )
    training_subsidy_same_level_before: bool | None = Field(
        None,
        description="派生：申领日前已享受同一职业（工种）同一等级职业培训补贴 / derived: training subsidy for this occupation and level on or before applying",
    )
    training_subsidy_same_level_after: bool | None = Field(
        None,
        description="派生：申领日后又享受同一职业（工种）同一等级职业培训补贴 / derived: training subsidy for this occupation and level after applying",
    )
    training_subsidy_any_before: bool | None = Field(
        None,
        description="派生：申领日前已享受任何职业培训补贴 / derived: any training subsidy on or before applying",
    )
    training_subsidy_any_after: bool | None = Field(
        None,
        description="派生：申领日后又享受任何职业培训补贴 / derived: any training subsidy after applying",
    )
    certificate_age_months: int | None = Field(
        None,
        description="派生：发证之日至申领之日的整月数 / derived: whole months from the certificate's issue to the application",
    )
    certificate_in_policy_period: bool | None = Field(
        None,
        description="派生：证书在所适用文件的执行期内取得 / derived: certificate issued within the period of the document in force",
    )
    insured_outside_applied_region: bool | None = Field(
        None,
        description="派生：失业保险参保地不在申领地 / derived: insured outside the region applied in",
    )
    certificate_outside_place: bool | None = Field(
        None,
        description="派生：证书发证地不在参保地或领金地（已给出的以给出为准）/ derived: certificate issued outside the insured/benefit place (a given value wins)",
    )

    _id = field_validator("id_number")(check_id_number)
    _occ = field_validator("occupation_code")(check_occupation_code)


class UnemployedPersonFacts(BaseModel):
    """一名失业人员的事实 / facts about one unemployed person (失业保险金、失业补助金、临时生活补助、一次性生活补助)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    id_number: str = Field(description="公民身份号码（18位，含校验码）/ citizen ID number")
    name: str = Field("", description="姓名 / name")
    application_date: date | None = Field(None, description="申领日期 / date of application")
    insured_region: str | None = Field(None, description="参保地行政区划代码 / region code where insured")

    # contributions (缴费)
    paid_months: NonNegativeInt | None = Field(
        None,
        description="本次失业前累计缴费月数（重新就业后重新计算，条例第十七条）/ cumulative paid months before this job loss (recounted after re-employment)",
    )
    paid_months_continuous: NonNegativeInt | None = Field(
        None, description="本次失业前连续缴费月数 / continuous paid months before this job loss"
    )
    unclaimed_previous_months: NonNegativeInt = Field(
        0,
        description="前次失业应领取而尚未领取的失业保险金月数 / months of benefit left unclaimed from the previous spell",
    )
    insured_months: NonNegativeInt | None = Field(
        None, description="累计参保月数（临时生活补助“参保不满1年”）/ cumulative insured months"
    )
    insured_months_continuous: NonNegativeInt | None = Field(
        None, description="最后一段连续参保月数 / last continuous insured months"
    )
    insurance_stopped_on: date | None = Field(None, description="停保日期 / date insurance stopped")

    # separation and registration (失业与登记)
    involuntary_separation: bool | None = Field(
        None, description="非因本人意愿中断就业 / job loss was involuntary"
    )
    registered_unemployed: bool | None = Field(None, description="已办理失业登记 / registered as unemployed")
    seeking_work: bool | None = Field(None, description="有求职要求 / seeking work")

    # 第十五条 stop reasons
    reemployed: bool = Field(False, description="已重新就业 / re-employed")
    conscripted: bool = Field(False, description="应征服兵役 / conscripted")
    emigrated: bool = Field(False, description="移居境外 / emigrated")
    pension_started: bool = Field(False, description="享受基本养老保险待遇 / drawing a basic pension")
    imprisoned: bool = Field(False, description="被判刑收监执行 / imprisoned")
    refused_offered_job: bool = Field(
        False, description="无正当理由拒不接受指定机构介绍的工作 / refused an offered job without good reason"
    )

    # benefit status
    receiving_ui_benefit: bool = Field(
        False, description="正在领取失业保险金 / currently receiving unemployment benefit"
    )
    ui_benefit_expired: bool = Field(
        False, description="领取失业保险金期满 / unemployment benefit period has ended"
    )
    ui_benefit_end_date: date | None = Field(
        None, description="失业保险金期满日期 / date the benefit period ended"
    )
    separation_date: date | None = Field(None, description="失业（中断就业）日期 / date of job loss")
    receiving_flexible_employment_subsidy: bool = Field(
        False,
        description="已进行灵活就业人员登记并领取社保补贴 / registered as flexibly employed and receiving the social-insurance subsidy",
    )

    # 兵团 二（四）: cross-region transfer (跨省转移接续)
    aggregation_place: AggregationPlace | None = Field(
        None, description="参保关系归集地：最后参保地或户籍地 / where the insurance relation is aggregated"
    )
    aggregation_place_chosen_by_claimant: bool | None = Field(
        None,
        description="归集地由失业人员自主选择（经办人员已主动告知）/ the claimant chose the aggregation place after being told",
    )
    paid_months_transferred_in: NonNegativeInt = Field(
        0,
        description="转移接续转入的其他统筹地区缴费月数 / paid months in other pooling areas carried over by the transfer",
    )
    months_already_drawn: NonNegativeInt = Field(
        0, description="本次失业已领取失业保险金月数 / benefit months already drawn in this spell"
    )
    # 内人社发〔2025〕18号 三: 大龄领取失业保险金人员
    months_to_statutory_retirement: NonNegativeInt | None = Field(
        None, description="距法定退休年龄月数 / months until the statutory retirement age"
    )

    # 农牧民工 (rural migrant workers)
    rural_hukou: bool | None = Field(None, description="农村（农牧区）户籍 / rural household registration")
    rural_contract_worker: bool | None = Field(
        None,
        description="单位招用的农民（农牧民）合同制工人，本人未缴纳失业保险费 / unit-hired rural contract worker who paid no personal premium",
    )
    continuous_work_months: NonNegativeInt | None = Field(
        None, description="在本单位连续工作月数 / months of continuous work for the unit"
    )
    unit_paid_premiums: bool | None = Field(
        None, description="单位已缴纳失业保险费 / the unit has paid unemployment premiums"
    )
    contract_end: ContractEnd | None = Field(None, description="劳动合同终止情形 / how the contract ended")
    terminated_at_worker_request: bool = Field(
        False, description="提前解除系本人提出 / early termination at the worker's request"
    )

    # risk data (风控疑点: 内人社发〔2025〕18号 五; also the data comparison of 人社部发〔2024〕40号 六, 晋人社厅发〔2024〕28号 六)
    claimed_elsewhere: bool = Field(
        False, description="异地同期领取 / drawing the same benefit in another region"
    )
    deceased: bool = Field(False, description="生存状态异常（已死亡）/ recorded as deceased")
    identity_anomaly: bool = Field(False, description="身份状态异常 / identity status anomaly")

    # 失业保险条例 第二十条: death while drawing benefit (the benefit ends with the month of death)
    death_date: date | None = Field(None, description="死亡日期 / date of death")
    benefit_start_date: date | None = Field(
        None, description="失业保险金起始发放日期 / first month of this spell's benefit"
    )

    _id = field_validator("id_number")(check_id_number)
