"""The 公示 list: who is to be paid how much, shown to the public before payment (XLSX and PDF).

Texts: 人社部发〔2024〕40号 (annex of 阳人社函〔2024〕121号) “健全审核、公示、拨付等监督机制”; 内人社办发〔2022〕86号
(通人社办发〔2022〕139号) on 职业技能提升 subsidies “由人力资源社会保障部门审核并进行公示，公示无异议后按规定进行支付”. No text fixes the period, so it is a parameter (``days``, working or
calendar days). Only records a second person has approved (``review_passed`` is ``True``, 复审通过) may be
listed: :func:`build_publicity` refuses anything else rather than dropping it silently.

Period: with an explicit ``end`` that date is used. Otherwise, for working days, ``end`` is
``wengang.workdays.add_working_days(start, days)`` when that module exists (the project's only holiday
calendar; we keep none of our own) and must be given when it does not; for calendar days ``end = start + days − 1``: the
list runs N days counting its first day, 自 start 至 end as it says, and payment follows the day after ``end`` — the
ledger's convention (``Ledger.publicize``), so that a list made here and one made by the ledger say the same period
for the same N (they had differed by a day: outside reports audit, session 41).

Who is listed: units (稳岗返还: 单位名称, 统一社会信用代码, “共N家单位”) or persons (技能提升补贴 and the other person
programs: 姓名, 公民身份号码 masked as an ID number, “共N人”). ``Publicity.subject`` says which; :func:`build_publicity`
takes it from the program (a person program's code or Chinese name) unless it is given, and for a program it does not
know, from the identifiers (every one a valid 公民身份号码 and none a valid 统一社会信用代码: persons).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from wengang.money import fen_to_yuan

from . import pdf
from .amounts import rmb_upper
from .errors import DocumentError
from .letters import NO_DOCUMENT
from .masking import mask_credit_code, mask_id_number
from .xlsx import INT, MONEY, Column, write_xlsx
from .xlsx import Table as Sheet


@dataclass(frozen=True)
class PublicityRecord:
    unit_name: str  # a person's name on a person program's list
    credit_code: str  # a person's 公民身份号码 on a person program's list
    amount_fen: int
    review_passed: bool  # 复审通过: the second person's approval
    reference: str | None = None  # decision / case id, not shown
    # the amount is only a ceiling (“不超过”, a decision's amount_is_cap): not a figure to publish as the amount
    amount_is_cap: bool = False


@dataclass(frozen=True)
class Publicity:
    """A built 公示: the records plus everything printed around them."""

    agency: str
    program: str  # e.g. 失业保险稳岗返还
    year: int
    records: tuple[PublicityRecord, ...]
    start: date
    end: date
    days: int
    working_days: bool
    objection_channel: str  # how to object: address / mailbox / window
    objection_phone: str
    basis: str  # 依据 (文号 …)
    issued_on: date
    signatory: str = ""  # 落款; defaults to the agency
    subject: str = "unit"  # "unit" (单位) or "person" (个人): the columns, the count and what is masked

    @property
    def persons(self) -> bool:
        return self.subject == "person"

    @property
    def name_header(self) -> str:
        return "姓名" if self.persons else "单位名称"

    @property
    def id_header(self) -> str:
        return "公民身份号码" if self.persons else "统一社会信用代码"

    @property
    def count_text(self) -> str:
        return f"{self.count}人" if self.persons else f"{self.count}家单位"

    def masked_id(self, value: str) -> str:
        return mask_id_number(value) if self.persons else mask_credit_code(value)

    @property
    def title(self) -> str:
        return f"{self.agency} {self.year}年度{self.program}拟发放名单公示"

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def total_fen(self) -> int:
        return sum(r.amount_fen for r in self.records)

    @property
    def period_text(self) -> str:
        unit = "个工作日" if self.working_days else "日"
        return f"公示期为{self.days}{unit}，自{_zh_date(self.start)}至{_zh_date(self.end)}。"

    def lines(self) -> list[str]:
        """The text around the list, in order (the same in XLSX and PDF)."""
        return [
            f"共{self.count_text}，拟发放金额合计人民币{fen_to_yuan(self.total_fen):,}元（{rmb_upper(self.total_fen)}）。",
            self.period_text,
            f"公示期间，如有异议，请通过{self.objection_channel}反映，联系电话：{self.objection_phone}。"
            "反映问题须实事求是，并提供真实姓名（单位名称）和联系方式。",
            f"依据：{self.basis}。",
        ]


def _zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _record(n: int, r: PublicityRecord | Mapping[str, Any]) -> PublicityRecord:
    if isinstance(r, PublicityRecord):
        rec = r
    elif not isinstance(r, Mapping):
        raise DocumentError(f"第{n}条记录应为 JSON 对象（含 unit_name、credit_code、amount_fen、review_passed） / "
                            f"record {n} must be an object with unit_name, credit_code, amount_fen, review_passed")
    else:
        try:
            rec = PublicityRecord(
                unit_name=r["unit_name"],
                credit_code=r["credit_code"],
                amount_fen=r["amount_fen"],
                review_passed=r.get("review_passed"),  # type: ignore[arg-type]
                reference=r.get("reference"),
                amount_is_cap=r.get("amount_is_cap") is True,
            )
        except KeyError as exc:
            raise DocumentError(f"第{n}条记录缺少字段“{exc.args[0]}” / record {n} lacks {exc.args[0]!r}") from exc
    if rec.review_passed is not True:
        raise DocumentError(
            f"第{n}条记录（{rec.unit_name}）未标记为复审通过，不能列入公示名单 / record {n} is not marked as "
            "passed second review (review_passed is not True)"
        )
    if isinstance(rec.amount_fen, bool) or not isinstance(rec.amount_fen, int) or rec.amount_fen <= 0:
        raise DocumentError(f"第{n}条记录（{rec.unit_name}）金额应为正整数分 / record {n}: amount must be positive fen")
    if rec.amount_is_cap:
        # 人社部发〔2024〕40号 三、内政发〔2019〕4号 八 “不超过”: the 统筹地区 sets the standard; the ceiling is not the amount
        raise DocumentError(
            f"第{n}条记录（{rec.unit_name}）的金额是文件规定的“不超过”上限标准（amount_is_cap），具体标准由统筹地区确定，"
            f"确定前不能作为拟发放金额公示 / record {n}: the amount is a ceiling (amount_is_cap), not an amount to publish"
        )
    return rec


SUBJECTS = ("unit", "person")


def _person_programs() -> frozenset[str]:
    """The programs paid to persons, by code and by Chinese name: the ledger's (``casework.intake``) and the
    screening's (``screening.people``)."""
    from wengang.casework.intake import PERSON_PROGRAMS as LEDGER
    from wengang.policies.required import PROGRAM_LABELS
    from wengang.screening.people import PERSON_PROGRAMS as SCREENED

    codes = set(LEDGER) | set(SCREENED)
    return frozenset(codes | {PROGRAM_LABELS[c] for c in codes if c in PROGRAM_LABELS})


def publicity_subject(program: str, identifiers: Iterable[str] = ()) -> str:
    """``"person"`` for a person program (its code or Chinese name, also inside a longer name such as
    “职业技能提升补贴”), or for another program whose identifiers are all valid 公民身份号码 and none a valid
    统一社会信用代码; otherwise ``"unit"``."""
    from wengang.facts.identifiers import is_valid_credit_code, is_valid_id_number

    names = _person_programs()
    if program in names or any(len(n) > 2 and not n.isascii() and n in program for n in names):
        return "person"
    ids = [str(i) for i in identifiers]
    if ids and all(is_valid_id_number(i) and not is_valid_credit_code(i) for i in ids):
        return "person"
    return "unit"


def _add_working_days() -> Any:
    try:
        return importlib.import_module("wengang.workdays").add_working_days
    except (ImportError, AttributeError):
        return None


def build_publicity(
    records: Iterable[PublicityRecord | Mapping[str, Any]],
    *,
    agency: str,
    program: str,
    year: int,
    start: date,
    days: int,
    objection_channel: str,
    objection_phone: str,
    basis: str,
    issued_on: date,
    working_days: bool = True,
    end: date | None = None,
    signatory: str = "",
    subject: str | None = None,
) -> Publicity:
    """Check the records (all 复审通过) and the period, and return the :class:`Publicity` to write. ``subject``
    (``"unit"`` or ``"person"``): who is listed; None: from the program and the identifiers (``publicity_subject``)."""
    recs = tuple(_record(n, r) for n, r in enumerate(records, start=1))
    if not recs:
        raise DocumentError("没有可公示的记录 / nothing to publish")
    # no money without a document in force (outside audit, session 39: a list read “根据无有效政策”)
    if any(b.strip() in NO_DOCUMENT for b in re.split("[、,，]", basis or "")):
        raise DocumentError(f"公示依据为“{basis or '无'}”，没有有效的政策文件，不能公示 / the list rests on no document in force")
    if subject is None:
        subject = publicity_subject(program, (r.credit_code for r in recs))
    if subject not in SUBJECTS:
        raise DocumentError(f"公示对象应为单位或个人：{subject} / subject must be unit or person, not {subject!r}")
    mask = mask_id_number if subject == "person" else mask_credit_code
    for n, r in enumerate(recs, start=1):
        try:
            mask(r.credit_code)  # refuses a malformed identifier now, not halfway through a file
        except DocumentError as exc:
            raise DocumentError(f"第{n}条记录（{r.unit_name}）：{exc}") from None
    if days <= 0:
        raise DocumentError(f"公示期天数应为正数 / period must be positive, got {days}")
    if end is None:
        if working_days:
            add = _add_working_days()
            if add is None:
                raise DocumentError(
                    "按工作日计算公示期需要工作日历（wengang.workdays）；请直接给出公示截止日期 / "
                    "no working-day calendar: give the end date"
                )
            end = add(start, days)
        else:
            end = start + timedelta(days=days - 1)
    assert end is not None
    if end < start:
        raise DocumentError(f"公示截止日期{end}早于开始日期{start} / end before start")
    return Publicity(
        agency=agency, program=program, year=year, records=recs, start=start, end=end, days=days,
        working_days=working_days, objection_channel=objection_channel, objection_phone=objection_phone,
        basis=basis, issued_on=issued_on, signatory=signatory or agency, subject=subject,
    )


COLUMNS = (
    Column("seq", "序号", INT),
    Column("unit_name", "单位名称"),
    Column("credit_code", "统一社会信用代码"),
    Column("amount_fen", "拟发放金额（元）", MONEY),
)
PERSON_COLUMNS = (
    Column("seq", "序号", INT),
    Column("unit_name", "姓名"),
    Column("credit_code", "公民身份号码"),
    Column("amount_fen", "拟发放金额（元）", MONEY),
)


def columns(p: Publicity) -> tuple[Column, ...]:
    """The list's columns: a unit's name and credit code, or a person's name and ID number."""
    return PERSON_COLUMNS if p.persons else COLUMNS


def _rows(p: Publicity) -> list[dict[str, Any]]:
    return [
        {"seq": n, "unit_name": r.unit_name, "credit_code": p.masked_id(r.credit_code), "amount_fen": r.amount_fen}
        for n, r in enumerate(p.records, start=1)
    ]


def write_publicity_xlsx(p: Publicity, path: str | Path) -> Path:
    footer = [*p.lines(), f"{p.signatory}", _zh_date(p.issued_on)]
    return write_xlsx(path, Sheet(columns(p), _rows(p), sheet="公示名单", title=p.title, footer=footer))


def write_publicity_pdf(p: Publicity, path: str | Path) -> Path:
    st = pdf.styles()
    doc = pdf.new_document(path, title=p.title, author=p.agency, subject=f"{p.year}年度{p.program}公示",
                           authority=("电子表格（XLSX）或系统记录", "the XLSX file or the system record"))
    head = [Paragraph(pdf.esc(c.header), st["cell"]) for c in columns(p)]
    body = [
        [
            str(r["seq"]),
            Paragraph(pdf.esc(r["unit_name"]), st["cell"]),
            r["credit_code"],
            f"{fen_to_yuan(r['amount_fen']):,}",
        ]
        for r in _rows(p)
    ]
    total = ["合计", f"{p.count}人" if p.persons else f"{p.count}家", "", f"{fen_to_yuan(p.total_fen):,}"]
    font, _ = pdf.cjk_font()
    table = Table([head, *body, total], colWidths=[14 * mm, 66 * mm, 46 * mm, 34 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9.5),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                ("ALIGN", (3, 1), (3, -1), "RIGHT"),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    heading = pdf.esc(p.title).replace(" ", "<br/>", 1)  # agency on its own line
    story: list[Any] = [Paragraph(heading, st["title"])]
    story.append(
        Paragraph(
            pdf.esc(f"根据{p.basis}，经审核、复审，现将{p.year}年度{p.program}拟发放名单予以公示（{p.id_header}已作脱敏处理）。"),
            st["body"],
        )
    )
    story += [Spacer(1, 4 * mm), table, Spacer(1, 4 * mm)]
    story += [Paragraph(pdf.esc(line), st["body"]) for line in p.lines()]
    story += [Spacer(1, 10 * mm), Paragraph(pdf.esc(p.signatory), st["right"]),
              Paragraph(_zh_date(p.issued_on), st["right"])]
    doc.build(story)
    return Path(path)
