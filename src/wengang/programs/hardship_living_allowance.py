"""临时生活补助 for 生活困难下岗失业人员 (``hardship_living_allowance``): 内政发〔2019〕4号 十.

“对符合条件的生活困难下岗失业人员，给予临时生活补助，补助标准根据家庭困难程度、地区消费水平等综合确定。”

Not the 2022 临时生活补助 for 失业农牧民工 (``temp_living_allowance``). “符合条件的” names conditions the text does not
give: the fact ``meets_local_conditions`` records the agency's finding under the local rules, nothing is inferred.
The standard is local: region setting ``hardship_allowance_amount``.
"""

from __future__ import annotations

from wengang.facts.benefit import HardshipFacts
from wengang.rules.engine import Check, Ruleset, register
from wengang.rules.expr import BOOL, MONEY, Fact, Setting

HARDSHIP_LIVING_ALLOWANCE = register(
    Ruleset(
        program="hardship_living_allowance",
        name="v2019",
        label="困难下岗失业人员临时生活补助",
        facts=HardshipFacts,
        subject="个人",
        checks=[
            Check(
                "laid_off_or_unemployed",
                "属于下岗失业人员",
                Fact("laid_off_or_unemployed", "下岗失业人员", BOOL),
                cite=("eligible_groups",),
                reason="不属于下岗失业人员",
            ),
            Check(
                "in_hardship",
                "生活困难",
                Fact("in_living_hardship", "生活困难", BOOL),
                cite=("eligible_groups",),
                reason="不属于生活困难人员",
            ),
            Check(
                "local_conditions",
                "符合当地规定的条件（本文件未列明，经办机构认定）",
                Fact("meets_local_conditions", "符合当地规定的条件", BOOL),
                cite=("eligible_groups",),
                reason="不符合当地规定的临时生活补助条件",
            ),
        ],
        amount=Setting(
            "hardship_allowance_amount", "临时生活补助标准（按家庭困难程度、地区消费水平综合确定）", MONEY
        ),
        amount_label="临时生活补助",
    )
)
