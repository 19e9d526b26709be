"""失业登记 at the place of residence (``unemployment_registration``): 内政发〔2019〕4号 九.

“允许法定劳动年龄内，有劳动能力，有就业要求，处于无业状态的失业人员在常住地的公共就业服务机构进行失业登记……
对符合失业登记条件的人员，不得以人户分离、户籍不在本地或没有档案等为由不予受理。”

The four conditions are the checks. 人户分离, 户籍不在本地 and 没有档案 are facts no check reads: they can never
refuse registration, and when one is present the decision says so (output ``no_refusal_grounds``), for the
caseworker and the applicant.
"""

from __future__ import annotations

from wengang.facts.benefit import RegistrationFacts
from wengang.rules.engine import Check, Output, Ruleset, register
from wengang.rules.expr import BOOL, TEXT, Fact, Lit, when

_grounds = (
    Fact("separated_from_hukou", "人户分离", BOOL)
    | Fact("hukou_elsewhere", "户籍不在本地", BOOL)
    | Fact("no_personnel_archive", "没有档案", BOOL)
)


def _condition(fid: str, label: str) -> Check:
    return Check(
        fid,
        label,
        Fact(fid, label, BOOL),
        cite=("registration_conditions",),
        reason=f"不符合失业登记条件：{label}",
    )


UNEMPLOYMENT_REGISTRATION = register(
    Ruleset(
        program="unemployment_registration",
        name="v2019",
        label="失业登记（常住地）",
        facts=RegistrationFacts,
        subject="个人",
        checks=[
            _condition("within_working_age", "在法定劳动年龄内"),
            _condition("able_to_work", "有劳动能力"),
            _condition("seeking_work", "有就业要求"),
            _condition("not_employed", "处于无业状态"),
        ],
        outputs=[
            Output(
                "no_refusal_grounds",
                "受理",
                when(
                    _grounds,
                    Lit("不得以人户分离、户籍不在本地或没有档案等为由不予受理（内政发〔2019〕4号 九）"),
                    Lit(None),
                ),
                TEXT,
            ),
            Output(
                "residence_services",
                "登记后可申请",
                Lit("常住地就业创业服务、就业扶持政策、重点群体就业创业税收优惠政策"),
                TEXT,
            ),
        ],
    )
)
