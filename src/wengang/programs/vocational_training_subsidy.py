"""职业培训补贴 for the unemployed (``vocational_training_subsidy``): 内政发〔2019〕4号 七.

“对培训合格的失业人员给予职业培训补贴，补贴标准根据培训成本、培训时长、市场需求和取得相关证书情况等确定。”

Who: an unemployed person who passed the training. The standard is not a figure in the text: region setting
``training_subsidy_amount`` (元 for the course). No end date in the text (only the living allowance is dated):
from the document's date, read as standing until superseded (docs/decisions.md). The rule that 技能提升补贴 and
职业培训补贴 are not both paid belongs to ``skill_subsidy`` (the later one yields there).
"""

from __future__ import annotations

from wengang.facts.benefit import TrainingFacts
from wengang.rules.engine import Check, Output, Ruleset, register
from wengang.rules.expr import BOOL, MONEY, TEXT, Fact, Lit, Setting

VOCATIONAL_TRAINING_SUBSIDY = register(
    Ruleset(
        program="vocational_training_subsidy",
        name="v2019",
        label="职业培训补贴",
        facts=TrainingFacts,
        subject="个人",
        checks=[
            Check(
                "unemployed",
                "失业人员",
                Fact("unemployed", "失业人员", BOOL),
                cite=("eligible_groups",),
                reason="不是失业人员",
            ),
            Check(
                "training_passed",
                "培训合格",
                Fact("training_passed", "培训合格", BOOL),
                cite=("training_passed_required",),
                reason="培训不合格（或未完成培训）",
            ),
        ],
        amount=Setting(
            "training_subsidy_amount", "职业培训补贴标准（按培训成本、时长、市场需求和证书情况确定）", MONEY
        ),
        amount_label="职业培训补贴",
        outputs=[
            Output(
                "standard_basis",
                "补贴标准",
                Lit("根据培训成本、培训时长、市场需求和取得相关证书情况等确定（地区设置）"),
                TEXT,
            )
        ],
    )
)
