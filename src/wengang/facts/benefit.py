"""Facts for the living benefits around 失业保险金 and the 2019 measures for the unemployed (内政发〔2019〕4号).

* :class:`BenefitMonthFacts` — one recipient in one month: 代缴基本医疗保险（含生育保险）费, 价格临时补贴.
* :class:`TrainingFacts` — one unemployed trainee: 职业培训补贴, 培训期间生活费补贴 (内政发〔2019〕4号 七).
* :class:`RegistrationFacts` — one person asking for 失业登记 at the place of residence (九).
* :class:`HardshipFacts` — one laid-off or unemployed person in hardship: 临时生活补助 (十).

Every field has a Chinese and English description: the data dictionary is generated from them.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator

from wengang.facts.person import check_id_number
from wengang.rules import interpretations


class _Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(description="公民身份号码（18位，含校验码）/ citizen ID number")
    name: str = Field("", description="姓名 / name")

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_id_number(v)


# the monthly benefits are placed in a policy period by ``benefit_month`` (wengang.evaluate.benefit_month_date);
# whether a document that takes effect within a month governs that month is this switch
MONTH_IN_FORCE = interpretations.register(
    interpretations.Switch(
        name="monthly_benefit.month_in_force",
        title="按月发放的待遇（价格临时补贴、代缴基本医疗保险费）：月中施行的文件是否适用于施行当月",
        clauses=(
            "人社部发〔2024〕40号 四",
            "晋人社厅发〔2024〕28号 四",
            "内政发〔2019〕4号 九",
            "内人社发〔2025〕18号 三",
        ),
        readings={
            "month_end": "适用：当月内已施行的规定适用于该月（按当月最后一日有效的规定）",
            "month_start": "不适用：只有当月1日已施行的规定适用于该月（施行当月按此前的规定；本库无此前规定的，无法判定）",
        },
        default="month_end",
        why="各文件只写“持续做好……发放工作”“从失业保险基金中列支”，未写从哪个月份起发放；待遇按月计发，"
        "文件施行当月已有发放依据，按当月最后一日有效的规定确定该月适用的文件。早于本库第一份规定的月份不按后来的文件追溯，"
        "但也不是“没有规定、不发放”：“持续做好……代缴基本医疗保险（含生育保险）费、价格临时补贴等保生活待遇发放工作”"
        "是延续已有的发放义务（失业保险条例 第十条，领取失业保险金期间的医疗补助金从失业保险基金支出；条例原文不在本库），"
        "该月份适用的是本库以外的规定，故无法判定，须按该月份当地有效的规定（加入政策库，或由经办机构按其认定）办理。",
        programs=("ui_price_subsidy", "ui_medical_premium"),
    )
)


def first_rule(region: str, program: str) -> tuple[date, str] | None:
    """The first day a document of the library (not a draft) provides ``program`` for ``region`` (its code or name)
    or a jurisdiction above it, and that document's number; None: none does."""
    from wengang.policies import load_policy_set
    from wengang.regions import chain, resolve_region

    keys = {r.key for r in chain(resolve_region(region))}
    policy_set = load_policy_set()
    best: tuple[date, str] | None = None
    for doc in policy_set.documents:
        target = policy_set.get(doc.forwards) if doc.forwards else doc
        block = target.programs.get(program)
        if doc.jurisdiction not in keys or block is None or target.is_draft or doc.is_draft:
            continue
        if best is None or block.valid_from < best[0]:
            best = (block.valid_from, target.display_number)
    return best


def month_before_first_rule(
    program: str, program_label: str, region: str, region_name: str, month: date
) -> tuple[str, list[str]] | None:
    """A benefit month earlier than the library's first provision for the region (switch ``monthly_benefit.month_in_force``,
    why): the status and first reason line — 无法判定, saying why and what settles it — or None when the month is not
    before it (a month after the provisions in the library ended is not decided here).

    The texts do not start a benefit: “持续做好……代缴基本医疗保险（含生育保险）费、价格临时补贴等保生活待遇发放工作”
    (人社部发〔2024〕40号 四; 晋人社厅发〔2024〕28号 四; 内人社发〔2025〕18号 三) continues a duty that existed before them
    (失业保险条例 第十条). A month before the first of them is governed by a rule the library does not hold, not by none:
    not 不符合条件 (outside audit m1, session 41)."""
    from wengang.rules.engine import NOT_DETERMINABLE

    first = first_rule(region, program)
    if first is None or month >= first[0]:
        return None
    start, number = first
    ym = f"{month.year}年{month.month}月"
    return NOT_DETERMINABLE, [
        f"待遇所属月份 {ym} 早于本库{region_name}{program_label}的第一份规定（{number}，{start.isoformat()} 起）：此后的文件写"
        f"“持续做好……发放工作”（人社部发〔2024〕40号 四等），是延续此前已有的发放义务（失业保险条例 第十条），该月份应按当时当地有效的规定办理，"
        "而该规定不在本库，无法判定（不按此后施行的文件追溯认定，也不据此不予发放）；"
        f"请按{ym}当地有效的规定认定（将该规定加入政策库，或由经办机构按其核定）"
    ]


class BenefitMonthFacts(_Person):
    """一名失业保险金领取人员在一个月份的事实 / one benefit recipient in one month."""

    benefit_month: date | None = Field(
        None,
        description="待遇所属月份（当月任一日；按该月有效的规定审核，与审核日期无关）/ the month concerned (any day of it; "
        "decided under the policy in force in that month, whatever the review date)",
    )
    receiving_ui_benefit: bool | None = Field(
        None, description="当月正在领取失业保险金 / receiving unemployment benefit in the month"
    )
    benefit_months: NonNegativeInt | None = Field(
        None, description="本次可领取（或已核定）失业保险金月数 / months of benefit granted for this spell"
    )


class TrainingFacts(_Person):
    """一名参加培训的失业人员的事实 / one unemployed person in training (内政发〔2019〕4号 七)."""

    unemployed: bool | None = Field(None, description="失业人员 / is an unemployed person")
    training_start: date | None = Field(None, description="培训开始日期 / date the training began")
    training_passed: bool | None = Field(None, description="培训合格 / passed the training")
    employment_difficulty: bool = Field(False, description="就业困难人员 / person with employment difficulty")
    zero_employment_family: bool = Field(
        False, description="零就业家庭成员 / member of a zero-employment family"
    )
    living_allowance_times_this_year: NonNegativeInt = Field(
        0,
        description="本年度已享受培训期间生活费补贴次数 / times the training living allowance was received this year",
    )
    receiving_ui_benefit: bool | None = Field(
        None, description="培训期间正在领取失业保险金 / receiving unemployment benefit during the training"
    )


class RegistrationFacts(_Person):
    """一名申请失业登记人员的事实 / one person asking for unemployment registration (内政发〔2019〕4号 九)."""

    within_working_age: bool | None = Field(
        None, description="在法定劳动年龄内 / within the statutory working age"
    )
    able_to_work: bool | None = Field(None, description="有劳动能力 / able to work")
    seeking_work: bool | None = Field(None, description="有就业要求 / wants a job")
    not_employed: bool | None = Field(None, description="处于无业状态 / without a job")
    at_place_of_residence: bool | None = Field(
        None,
        description="在常住地的公共就业服务机构申请 / applies at the public employment office of the place of residence",
    )
    separated_from_hukou: bool = Field(
        False, description="人户分离 / lives away from the household registration"
    )
    hukou_elsewhere: bool = Field(False, description="户籍不在本地 / household registration elsewhere")
    no_personnel_archive: bool = Field(False, description="没有档案 / has no personnel archive")


class HardshipFacts(_Person):
    """一名生活困难下岗失业人员的事实 / one laid-off or unemployed person in hardship (内政发〔2019〕4号 十)."""

    laid_off_or_unemployed: bool | None = Field(None, description="下岗失业人员 / laid off or unemployed")
    in_living_hardship: bool | None = Field(None, description="生活困难 / in living hardship")
    meets_local_conditions: bool | None = Field(
        None,
        description="符合当地规定的临时生活补助条件（本文件未列明，经办机构认定）/ meets the local conditions (not in the text)",
    )
