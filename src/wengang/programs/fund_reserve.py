"""The fund-reserve precondition of 人社部发〔2024〕40号 二、三 as 稳岗返还 and 技能提升补贴 both check it, in one place.

40号 makes “上年度失业保险基金滚存结余备付期限应在1年以上” a condition of the PROVINCE that implements the policy (“实施上述
…政策的省（自治区、直辖市）”), not of a unit or a person. Whether a province's own implementing notice is its confirmation
that the condition holds is a reading (``fund_reserve.province_notice``), which the notice fixes by the parameter
``fund_reserve_province_notice`` (its value is the reading). Both programs read it through :func:`province_notice_evidence`:
before, 稳岗返还 read the parameter by its presence, so a notice that set ``figure_required`` would have been taken as a
confirmation there (decisions §141).
"""

from __future__ import annotations

from wengang.rules import interpretations
from wengang.rules.expr import Expr, HasParam, IsMissing, Lit, Note, Reading, when

PARAM = "fund_reserve_province_notice"

PROVINCE_NOTICE = interpretations.register(
    interpretations.Switch(
        name="fund_reserve.province_notice",
        title="省级（兵团）印发的实施文件是否即为“上年度失业保险基金滚存结余备付期限应在1年以上”已满足的确认",
        clauses=("人社部发〔2024〕40号 二", "人社部发〔2024〕40号 三", "晋人社厅发〔2024〕28号 二", "晋人社厅发〔2024〕28号 三",
                 "兵团征求意见稿 一（二）", "兵团征求意见稿 一（三）"),
        readings={
            "notice_confirms": "省级（兵团）已印发实施文件的，视为省级已确认具备实施前提：未提供备付期限（fund_reserve_years）时按具备处理；"
            "提供且不足1年的，按 fanhuan.fund_reserve / skill_subsidy.fund_reserve 处理",
            "figure_required": "实施文件未写备付期限，不作为确认：须提供 fund_reserve_years，未提供时无法判定（与只有人社部发〔2024〕40号时相同）",
        },
        default="notice_confirms",
        why="40号 二、三把“上年度失业保险基金滚存结余备付期限应在1年以上”写作“实施上述…政策的省（自治区、直辖市）”的条件，是省级决定实施的前提，"
        "不是单位或个人的条件。晋人社厅发〔2024〕28号（“我省顶格执行国家政策”“我省顶格执行”）和兵团征求意见稿（“延续实施失业保险稳岗返还政策”"
        "“延续实施技能提升补贴政策”）是省级（兵团）决定实施的文件，但原文都没有写备付期限，也没有写已满足该前提：视为确认是本库的解读，"
        "不是文件所写的数值。按此解读不向每个单位、申领人索要省级数字；地区数据给出的数字仍照常比较。印发实施文件的文件以参数"
        " fund_reserve_province_notice（值为本开关的取值）标明，并由该参数固定本开关；稳岗返还与技能提升补贴的这一检查按同一参数、同一开关处理。",
        programs=("fanhuan", "skill_subsidy"),
    )
)


def province_notice_evidence(reserve: Expr, by_figure: Expr, text: str, draft_text: str) -> Expr:
    """The check of the precondition: where the document in force marks a province's implementing notice (``PARAM``)
    and no figure is given, the reading that parameter fixes — ``notice_confirms``: it holds, and ``text`` (``draft_text``
    for a draft; ``{cite}``, the parameter's citation) says why; ``figure_required``: ``by_figure``, which waits for the
    figure. A figure given (region data, ``--setting``), or no such notice, is compared by ``by_figure``."""
    return when(
        HasParam(PARAM) & IsMissing(reserve),
        Reading(
            PROVINCE_NOTICE.name,
            {"notice_confirms": Note(Lit(True), text, draft_text=draft_text, cite=PARAM), "figure_required": by_figure},
            fixed_by=PARAM,
        ),
        by_figure,
    )
