"""企业划型 (program ``size_class``): which size class a unit has for 稳岗返还, and which step decided it.

* ``shanxi2024`` — 晋人社厅发〔2024〕28号 二 关于企业划型 (forwarded by 阳人社函〔2024〕121号): first the
  statistics department's shared data; then registration/declaration data by the current standard
  (统计上大中小微型企业划分办法（2017）); last, last year's 12-month average contributors, ≥ 300 = large,
  otherwise 中小微. Branches take the class of their independent legal entity. Disputes: a change
  application with supporting material.
* ``bingtuan2024`` — 兵团征求意见稿 二（一）: until the 兵团 classifies firms, use the social-insurance
  system's classification and settle later (多退少补) on the official one.

The cascade itself is computed by :mod:`wengang.facts.size_class` in the ``prepare`` hook (one case) and by
``size_class_cascade_frame`` (tables), which both write ``size_class`` and ``size_class_step``; the rules
here report the result, the step and its clause. There is no amount.

Reading recorded here (no switch, because the step is decided before the rules run): a unit that the
statistics data do list (any class) is classified by them; the second and third steps are for units the
statistics data do not cover (参数 ``statistics_non_large_default``: 统计数据未认定为大型的为中小微企业).
"""

from __future__ import annotations

from typing import Any

from wengang.facts.unit import UnitFacts
from wengang.programs.fanhuan import SIZE_ZH, STEP_ZH, _chain, decide_size_class, quiet
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import PERSONS, TEXT, Coalesce, Fact, IsMissing, Lit, Param, when

PROGRAM = "size_class"
LABEL = "企业划型"

size_class = Fact("size_class", "企业划型", TEXT)
step = Fact("size_class_step", "划型依据", TEXT)
avg = Fact("avg_contributors_12m", "上年度12个月平均缴费人数", PERSONS)
_step = Coalesce(step, Lit(""))


def _prepare(facts: dict[str, Any], resolution: Any) -> dict[str, Any]:
    out = dict(facts)
    if resolution.ruleset == "shanxi2024":
        # 在现有划型基础上进行核实、修改、确认: the cascade decides; an existing class only when nothing else can
        existing = out.get("size_class")
        out["size_class"] = None
        cls, st = decide_size_class(out, resolution)
        if cls is None and existing is not None:
            cls, st = existing, "given"
    else:
        cls, st = decide_size_class(out, resolution)
    out["size_class"], out["size_class_step"] = cls, st
    return out


CLASSIFIED = Check(
    "classified",
    "能够按规定的顺序完成企业划型",
    when(IsMissing(size_class), Lit(None), Lit(True)),
    cite=("classification_order",),
)
# the third step: shown with its threshold and citation only when it decided
AVG_STEP = Check(
    "avg_contributors",
    "按上年度12个月平均缴费人数划型的，{large_min_avg_contributors}人及以上为大型企业，其余为中小微企业",
    when(quiet(_step.eq("avg_contributors")), when(avg >= Param("large_min_avg_contributors"), Lit(True), Lit(True)), Lit(True)),
)
BRANCH = Check(
    "branch_follows_legal_entity",
    "分支机构按其所属独立法人的类型划型",
    IsMissing(Fact("legal_entity_credit_code")) | quiet(_step.eq("legal_entity")),
    kind=FLAG,
    cite=("branch_follows_legal_entity",),
    reason="分支机构未取得所属独立法人的划型，暂按本机构数据划型：请核实所属独立法人的划型",
)
OFFICIAL = Check(
    "official",
    "已按兵团正式企业划型数据划型",
    quiet(~_step.eq("si_system")),
    kind=FLAG,
    cite=("settle_on_reclassification",),
    reason="兵团暂未对企业划型，参照社保信息系统企业划型数据审核发放；正式划型后按最新划型数据多退少补",
)

_size_text = when(_step.eq("avg_contributors") & ~Coalesce(size_class, Lit("")).eq("large"), Lit("中小微企业"), _chain(size_class, SIZE_ZH))
OUTPUTS = [
    Output("size_class", "划型结果", _size_text, TEXT),
    Output("size_class_basis", "划型依据", _chain(step, STEP_ZH), TEXT),
]

SHANXI = register(
    Ruleset(
        program=PROGRAM,
        name="shanxi2024",
        label=LABEL,
        facts=UnitFacts,
        checks=[CLASSIFIED, AVG_STEP, BRANCH],
        outputs=[
            *OUTPUTS,
            Output(
                "dispute",
                "划型异议",
                when(Param("dispute_allowed"), Lit("对划型结论有异议的，可提起变更申请，提供相应的印证材料"), Lit(None)),
                TEXT,
            ),
        ],
        prepare=_prepare,
    )
)

BINGTUAN = register(
    Ruleset(
        program=PROGRAM,
        name="bingtuan2024",
        label=LABEL,
        facts=UnitFacts,
        checks=[
            Check(
                "classified",
                "有兵团企业划型数据或社保信息系统企业划型数据",
                when(IsMissing(size_class), Lit(None), Lit(True)),
                cite=("classification_source",),
            ),
            OFFICIAL,
        ],
        outputs=[
            *OUTPUTS,
            Output(
                "settlement",
                "多退少补",
                when(
                    _step.eq("si_system") & Param("settle_on_reclassification"),
                    Lit("待兵团正式对企业划型后，按最新企业划型数据对已发放的稳岗返还多退少补"),
                    Lit(None),
                ),
                TEXT,
            ),
        ],
        prepare=_prepare,
    )
)
