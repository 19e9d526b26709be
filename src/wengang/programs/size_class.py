"""企业划型 (program ``size_class``): which size class a unit has for 稳岗返还, and which step decided it.

* ``shanxi2024`` — 晋人社厅发〔2024〕28号 二 关于企业划型 (forwarded by 阳人社函〔2024〕121号): first the
  statistics department's shared data; then registration/declaration data by the current standard
  (统计上大中小微型企业划分办法（2017）); last, last year's 12-month average contributors, ≥ 300 = large,
  otherwise 中小微. Branches take the class of their independent legal entity. Disputes: a change
  application with supporting material.
* ``bingtuan2024`` — 兵团征求意见稿 二（一）: until the 兵团 classifies firms, use the social-insurance
  system's classification and settle later (多退少补) on the official one.

The class is decided by the same rule expressions that 稳岗返还 uses (``fanhuan.SHANXI_CLASS`` …), so the
two programs cannot disagree (review E4); ``prepare`` only derives the 2017-standard class from the
indicators. Readings: ``fanhuan.size_class_existing`` (an existing class is the starting point the
cascade verifies; 晋28号 fixes it by parameter) and ``fanhuan.size_class_statistics_others`` (A4: which
firms “其它参保企业为中小微企业” covers).
"""

from __future__ import annotations

from typing import Any

from wengang.facts.unit import UnitFacts
from wengang.programs.fanhuan import (
    BINGTUAN_CLASS,
    BINGTUAN_STEP,
    SHANXI_CLASS,
    SHANXI_STEP,
    SIZE_ZH,
    STEP_ZH,
    _chain,
    prepare_size_inputs,
    prepare_size_table,
    quiet,
)
from wengang.rules.batch import register_table_prepare
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import PERSONS, TEXT, Coalesce, Fact, IsMissing, Lit, Param, when

PROGRAM = "size_class"
LABEL = "企业划型"

avg = Fact("avg_contributors_12m", "上年度12个月平均缴费人数", PERSONS)


def _prepare(facts: dict[str, Any], resolution: Any) -> dict[str, Any]:
    return prepare_size_inputs(facts)


register_table_prepare(_prepare, prepare_size_table)  # the same over a facts table (rules.batch)


def _rules(cls: Any, st: Any) -> tuple[Any, Any, list[Output], Output]:
    """The class, its step, the outputs a letter states, and the class as a code for a table's results (no class where
    only "not large" is known, as 稳岗返还's: ``fanhuan.SIZE_CLASS_TABLE_OUTPUT``)."""
    step_ = Coalesce(st, Lit(""))
    sme_only = step_.isin({"avg_contributors", "stats_other"}) & ~Coalesce(cls, Lit("")).eq("large")
    text = when(sme_only, Lit("中小微企业"), _chain(cls, SIZE_ZH))
    outputs = [Output("size_class", "划型结果", text, TEXT), Output("size_class_basis", "划型依据", _chain(st, STEP_ZH), TEXT)]
    return cls, step_, outputs, Output("size_class_code", "划型结果（代码）", when(sme_only, Lit(None), cls), TEXT)


size_class, _step, OUTPUTS, CODE = _rules(SHANXI_CLASS, SHANXI_STEP)
bt_class, _bt_step, BT_OUTPUTS, BT_CODE = _rules(BINGTUAN_CLASS, BINGTUAN_STEP)


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
    # a branch never takes its own data's class (fanhuan._own): without its legal entity's it has none (classified
    # unknown) or the class the agency has determined for it, which this flag asks to verify
    reason="分支机构未取得所属独立法人的划型（不按本机构数据划型）：请核实所属独立法人的划型",
)
OFFICIAL = Check(
    "official",
    "已按兵团正式企业划型数据划型",
    quiet(~_bt_step.eq("si_system")),
    kind=FLAG,
    cite=("settle_on_reclassification",),
    reason="兵团暂未对企业划型，参照社保信息系统企业划型数据审核发放；正式划型后按最新划型数据多退少补",
)

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
        table_outputs=[CODE],
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
                when(IsMissing(bt_class), Lit(None), Lit(True)),
                cite=("classification_source",),
            ),
            OFFICIAL,
        ],
        outputs=[
            *BT_OUTPUTS,
            Output(
                "settlement",
                "多退少补",
                when(
                    _bt_step.eq("si_system") & Param("settle_on_reclassification"),
                    Lit("待兵团正式对企业划型后，按最新企业划型数据对已发放的稳岗返还多退少补"),
                    Lit(None),
                ),
                TEXT,
            ),
        ],
        table_outputs=[BT_CODE],
        prepare=_prepare,
    )
)
