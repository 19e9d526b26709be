"""The codes of a person's facts (:mod:`wengang.facts.person`): status, certificate type, place of
aggregation, how a contract ended; a code prints as its Chinese label (:mod:`wengang.facts.labels`)."""

from __future__ import annotations

from wengang.facts.labels import ZhEnum, register


class PersonStatus(ZhEnum):
    employed_worker = "employed_worker"  # 企业在职职工
    benefit_recipient = "benefit_recipient"  # 正在领取失业保险金人员
    other = "other"  # 其他（如灵活就业、未参保）


class CertificateType(ZhEnum):
    vocational_qualification = "vocational_qualification"  # 技能人员职业资格证书
    skill_level = "skill_level"  # 职业技能等级证书
    special_ability = "special_ability"  # 专项职业能力证书（不在技能提升补贴范围）
    other = "other"


class AggregationPlace(ZhEnum):
    last_insured_place = "last_insured_place"  # 最后参保地
    hukou_place = "hukou_place"  # 户籍地
    other = "other"


class ContractEnd(ZhEnum):
    expired_not_renewed = "expired_not_renewed"  # 劳动合同期满未续订
    early_termination = "early_termination"  # 提前解除劳动合同
    other = "other"


_ZH = {
    "employed_worker": "企业在职职工",
    "benefit_recipient": "正在领取失业保险金人员",
    "other": "其他",
    "vocational_qualification": "技能人员职业资格证书",
    "skill_level": "职业技能等级证书",
    "special_ability": "专项职业能力证书",
    "expired_not_renewed": "劳动合同期满未续订",
    "early_termination": "提前解除劳动合同",
    "last_insured_place": "最后参保地",
    "hukou_place": "户籍地",
}
register(_ZH)
