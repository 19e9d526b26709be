"""The codes of a unit's facts (:mod:`wengang.facts.unit`): organisation type and size class; a code prints as its
Chinese label (:mod:`wengang.facts.labels`). A module of their own, without pydantic: the screening's table schemas
read them, and a screen opens its first table before pydantic is needed (wengang.screening.prefetch)."""

from __future__ import annotations

from wengang.facts.labels import ZhEnum, register

register(
    {
        "enterprise": "企业",
        "social_group": "社会团体",
        "foundation": "基金会",
        "social_service_org": "社会服务机构",
        "law_firm": "律师事务所",
        "accounting_firm": "会计师事务所",
        "individual_business": "以单位形式参保的个体工商户",
        "public_institution": "机关事业单位",
        "other": "其他",
        "large": "大型企业",
        "medium": "中型企业",
        "small": "小型企业",
        "micro": "微型企业",
    }
)


class OrgType(ZhEnum):
    enterprise = "enterprise"  # 企业
    social_group = "social_group"  # 社会团体
    foundation = "foundation"  # 基金会
    social_service_org = "social_service_org"  # 社会服务机构
    law_firm = "law_firm"  # 律师事务所
    accounting_firm = "accounting_firm"  # 会计师事务所
    individual_business = "individual_business"  # 以单位形式参保的个体工商户
    public_institution = "public_institution"  # 机关事业单位
    other = "other"


class SizeClass(ZhEnum):
    large = "large"  # 大型
    medium = "medium"  # 中型
    small = "small"  # 小型
    micro = "micro"  # 微型
