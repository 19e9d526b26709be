"""Facts of 职业技能提升行动 (内人社办发〔2022〕86号 （三）10): a training-subsidy claim and a fund draw.

Money is integer fen (``*_fen``; ``*_yuan`` strings are accepted). The fund-draw facts describe a pooling
area's unemployment-insurance fund, not a unit or a person.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from wengang.facts.identifiers import validate_credit_code, validate_id_number
from wengang.facts.labels import ZhEnum, register

register(
    {
        "enterprise": "企业",
        "training_institution": "职业技能培训机构",
        "vocational_qualification": "职业资格证书",
        "skill_level": "职业技能等级证书",
        "special_ability": "专项职业能力证书",
        "special_operation": "特种作业操作证书",
        "training_completion": "培训合格证书",
        "own_bank_account": "申请者本人银行账户",
        "personal_credit_account": "个人信用账户",
        "unit_bank_account": "企业或职业技能培训机构的银行账户",
        "other_account": "其他账户",
        "none": "无",
    }
)


class TrainingApplicant(ZhEnum):
    individual = "individual"  # 个人
    enterprise = "enterprise"  # 企业
    training_institution = "training_institution"  # 职业技能培训机构


class TrainingCertificate(ZhEnum):
    vocational_qualification = "vocational_qualification"
    skill_level = "skill_level"
    special_ability = "special_ability"
    special_operation = "special_operation"
    training_completion = "training_completion"
    none = "none"


class PaymentAccount(ZhEnum):
    own_bank_account = "own_bank_account"
    personal_credit_account = "personal_credit_account"
    unit_bank_account = "unit_bank_account"
    other_account = "other_account"


class TrainingSubsidyFacts(BaseModel):
    """职业技能提升行动培训补贴申请的事实 / a claim for a vocational-training subsidy (2022)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    applicant: TrainingApplicant = Field(description="申请主体：个人、企业或职业技能培训机构 / who applies")
    id_number: str | None = Field(None, description="公民身份号码（个人申请）/ ID number (individual applicant)")
    credit_code: str | None = Field(None, description="统一社会信用代码（企业、培训机构申请）/ credit code (unit applicant)")
    name: str = Field("", description="申请者名称 / applicant's name")
    trainee_eligible: bool | None = Field(
        None, description="参训人员属于企业职工、就业重点群体、脱贫劳动力等符合补贴性培训条件人员 / trainee is in a subsidised group"
    )
    class_applied_before_training: bool | None = Field(
        None, description="开展培训前已向辖区人社部门提出开班申请并获批 / the class was applied for and approved before training"
    )
    class_application_received_on: date | None = Field(
        None, description="人社部门接到开班申请之日 / day the class application was received"
    )
    certificate_type: TrainingCertificate | None = Field(None, description="参训人员取得的证书 / certificate obtained")
    publicity_no_objection: bool | None = Field(
        None, description="已审核并公示，公示无异议 / reviewed and publicly announced without objection"
    )
    payment_account: PaymentAccount | None = Field(None, description="拟支付账户 / account the subsidy is to be paid to")

    _check_id = field_validator("id_number")(classmethod(lambda cls, v: None if v is None else validate_id_number(v)))
    _check_code = field_validator("credit_code")(classmethod(lambda cls, v: None if v is None else validate_credit_code(v)))


class TrainingFundDrawFacts(BaseModel):
    """统筹地区提取失业保险基金充实职业技能提升行动专账资金的事实 / a pooling area's fund draw for training (2022)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="统筹地区 / pooling area")
    cumulative_balance_fen: NonNegativeInt | None = Field(
        None, description="失业保险基金累计结余（分）/ cumulative balance of the unemployment-insurance fund, in fen"
    )
    fund_reserve_years: Decimal | None = Field(
        None, ge=0, description="上年度失业保险基金滚存结余备付期限（年，可为小数，如 \"2.5\"）/ last year's reserve, in years"
    )
    special_account_insufficient: bool | None = Field(
        None, description="职业技能提升行动专账资金不足 / the vocational-training special account is short"
    )
    protections_in_place: bool | None = Field(
        None, description="各项保生活稳岗位政策已落实到位 / the benefit and job-retention measures are in place"
    )
    requested_draw_fen: NonNegativeInt | None = Field(None, description="拟提取金额（分，可选）/ amount to draw, in fen (optional)")
