"""Working-day time limits (办结期限) of the documents, as cited parameters with an effect.

The time limits in the texts (each a parameter of the program block it governs, unit ``working_day``):

| document, clause | quote | working days | what must be done |
|---|---|---|---|
| 兵团 draft 二（三） | 做到在收到申请之日起10个工作日内办结 | 10 | 失业保险金申领办结 (``ui_benefit``) |
| 内人社办发〔2022〕86号 （一）1–3 | 7 个工作日内反馈申报单位 | 7 | 17 个行业困难企业缓缴认定结论 |
| 内人社办发〔2022〕86号 （三）10 | 5个工作日内完成审批 | 5 | 职业技能培训开班申请审批 |
| 晋人社厅发〔2024〕28号 六 | 避免业务超期审核 | — | no number: recorded only (``TIME_LIMITS``) |

``due_date(param, received_on)`` turns such a parameter and the day the application was received into the
last day of the limit; ``due_output`` puts "办结期限：YYYY-MM-DD（N个工作日）" on a decision. How the days are
counted (the day of receipt not counted) is in ``wengang.workdays`` and the switch ``workdays.receipt_day``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from wengang.rules import interpretations
from wengang.rules.engine import Output
from wengang.rules.expr import DATE, TEXT, CompileContext, EvalContext, Expr, Fact
from wengang.workdays import SETTING, WorkdayCalendar, WorkdayError, calendar_for

RECEIPT_DAY = interpretations.register(
    interpretations.Switch(
        name="workdays.receipt_day",
        title="“X个工作日内”是否计入收到申请的当日",
        clauses=(
            "兵团征求意见稿 二（三）",
            "内人社办发〔2022〕86号 （一）1",
            "内人社办发〔2022〕86号 （一）2",
            "内人社办发〔2022〕86号 （一）3",
            "内人社办发〔2022〕86号 （三）10",
        ),
        readings={
            "excluded": "收到申请的当日不计入，期限届满日为其后第X个工作日",
            "included": "收到申请的当日为工作日的计为第1个工作日，期限届满日提前一个工作日",
        },
        default="excluded",
        why=(
            "文件只写“在收到申请之日起X个工作日内”“X个工作日内反馈”，未规定起算方法；按期间计算的通例，开始的当日不计入，"
            "自下一日开始计算（见 docs/decisions.md 工作日一节）。计入当日的读法使期限提前一日，经办机构可按本地规定认定。"
            "本开关只影响告知书中的办结期限，不影响是否符合条件和金额。"
        ),
        programs=("deferral", "deferral_injury", "deferral_pension", "training_subsidy", "ui_benefit"),
    )
)


@dataclass(frozen=True)
class TimeLimit:
    """A time-limit provision of a text: its number of working days, or None where the text gives none."""

    document: str
    clause: str
    quote: str
    working_days: int | None
    what: str
    doc_id: str
    program: str | None
    param: str | None


TIME_LIMITS: tuple[TimeLimit, ...] = (
    TimeLimit("兵团征求意见稿", "二（三）", "做到在收到申请之日起10个工作日内办结", 10, "失业保险金申领办结",
              "bingtuan-2024-draft", "ui_benefit", "processing_working_days"),
    TimeLimit("内人社办发〔2022〕86号", "（一）3", "7 个工作日内反馈申报单位", 7, "17个行业困难企业缓缴失业保险费认定结论反馈",
              "im-2022-86", "deferral", "decision_working_days"),
    TimeLimit("内人社办发〔2022〕86号", "（一）1", "7个工作日内反馈申报单位", 7, "17个行业困难企业缓缴养老保险费认定结论反馈",
              "im-2022-86", "deferral_pension", "decision_working_days"),
    TimeLimit("内人社办发〔2022〕86号", "（一）2", "7 个工作日内反馈申报单位", 7, "17个行业困难企业缓缴工伤保险费认定结论反馈",
              "im-2022-86", "deferral_injury", "decision_working_days"),
    TimeLimit("内人社办发〔2022〕86号", "（三）10", "5个工作日内完成审批", 5, "职业技能培训开班申请审批",
              "im-2022-86", "training_subsidy", "approval_working_days"),
    # no number of days: recorded, no due date can be computed from it
    TimeLimit("晋人社厅发〔2024〕28号", "六", "要按期审核失业保险待遇申领和转移接续申请，避免业务超期审核", None,
              "失业保险待遇申领和转移接续按期审核", "shanxi-2024-28", None, None),
)


@dataclass(frozen=True)
class Deadline:
    received_on: date
    working_days: int
    due: date
    citation: str

    def line(self) -> str:
        return f"办结期限：{self.due.isoformat()}（{self.working_days}个工作日）"


def _working_days_of(param: Any) -> int:
    """The number of working days a parameter sets; refuses one whose text does not count in 工作日."""
    unit = getattr(param, "unit", None)
    if unit != "working_day" and "工作日" not in (getattr(param, "quote", "") or ""):
        raise ValueError(
            f"参数 {param.name} 不是以工作日计的期限（单位 {unit}，原文“{param.quote}”）"
            f" / parameter {param.name} is not a time limit in working days"
        )
    return int(param.value)


def due_date(
    param: Any,
    received_on: date,
    *,
    count_receipt_day: bool = False,
    calendar: WorkdayCalendar | None = None,
) -> Deadline:
    """The last day of the time limit ``param`` (a policy parameter in working days) for an application
    received on ``received_on``. :class:`wengang.workdays.WorkdayError` when a day's status is unknown."""
    n = _working_days_of(param)
    cal = calendar or calendar_for()
    due = cal.add_working_days(received_on, n, count_start=count_receipt_day)
    return Deadline(received_on, n, due, param.citation())


class DueDate(Expr):
    """The 办结期限 of a decision as text, "YYYY-MM-DD（N个工作日）"; unknown without the day of receipt.

    A day the calendar cannot place (a year neither ``chinese-calendar`` nor the override file covers) is shown
    as "无法计算：…" with the reason, never guessed. Only used as a decision output (not screened).
    """

    fmt = TEXT
    _has_reading = True  # reads the receipt-day switch itself: its value is not the same under every reading

    def __init__(self, received: Expr, param: str):
        self.received, self.param = received, param

    def children(self) -> tuple[Expr, ...]:
        return (self.received,)

    def _eval(self, ctx: EvalContext) -> Any:
        received = self.received.eval(ctx)
        param = ctx.params.get(self.param)
        if received is None or param is None:
            return None
        # read here, not through a Reading node: the line never changes the outcome, so the switch must not
        # make a case 待认定 or multiply the batch plan
        count = (ctx.readings.get(RECEIPT_DAY.name) or RECEIPT_DAY.default) == "included"
        try:
            cal = calendar_for(ctx.settings.get(SETTING))
            deadline = due_date(param, received, count_receipt_day=count, calendar=cal)
        except WorkdayError as exc:
            return f"无法计算：{exc.message_zh}"
        return f"{deadline.due.isoformat()}（{deadline.working_days}个工作日）"

    def _polars(self, ctx: CompileContext) -> pl.Expr:
        return pl.lit(None, dtype=pl.String)  # a letter's line, not a screening column


def due_output(received_fact: str, received_label: str, param: str, label: str = "办结期限") -> Output:
    """The decision line "<label>：YYYY-MM-DD（N个工作日）" from the day of receipt and the parameter."""
    return Output(f"due_{param}", label, DueDate(Fact(received_fact, received_label, DATE), param), TEXT)
