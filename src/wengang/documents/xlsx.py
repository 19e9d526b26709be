"""The one XLSX writer for every list the project hands on (公示, bank twin, statistics).

Conventions, the same in every file:

* Chinese headers; an optional title row above them (merged across the columns);
* the header row is frozen and carries an autofilter over the data rows;
* money columns take integer fen and hold 元 as a number with format ``#,##0.00``. The 元 value is
  computed exactly (``Decimal(fen) / 100``) and only the final cell value is converted: XLSX stores numbers
  as binary doubles, so the cell holds the double nearest to an exact two-decimal value (1234.56 is stored as
  1234.5599999999999…, which Excel shows and sums as 1234.56 — doubles carry 15 significant digits, i.e. up
  to 9,999,999,999,999.99 元 exactly). Because the cell is a float, a control row below the data gives each
  money column's total again as an integer number of fen, and the record count, so a reader can reconcile
  to the fen without trusting floats;
* dates are written as dates (``yyyy-mm-dd``), integers as integers;
* a text cell starting with ``= + - @``, a tab or a carriage return is written as a text cell with Excel's
  quote-prefix attribute (OWASP “CSV/formula injection”): it is never a formula, also after the cell is edited,
  and shows as written (``+750,759.77元``). One mechanism only: a leading apostrophe in the value as well was
  shown by Excel as part of the text. A CSV writer has no such attribute and prefixes the apostrophe
  (:func:`escape_text`, e.g. the casework list export);
* column widths from the longest value, CJK (East-Asian wide) characters counting double.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from wengang.atomic import atomic_path
from wengang.money import fen_to_yuan

TEXT = "text"
MONEY = "money_fen"  # integer fen in, 元 number out
INT = "int"
DATE = "date"
KINDS = (TEXT, MONEY, INT, DATE)

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
INJECTION_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    key: str  # key in each row mapping
    header: str  # Chinese header
    kind: str = TEXT
    width: float | None = None  # None: from the content

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; one of {KINDS}")


@dataclass
class Table:
    """One sheet: columns, rows (mappings by column key), optional title and lines below the control row."""

    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    sheet: str = "名单"
    title: str | None = None
    footer: Sequence[str] = field(default_factory=tuple)
    control: bool = True  # write the 合计 and control rows
    # lines between the title and the headers, as an upward report has them: 填报单位、报告期、单位：元
    meta: Sequence[str] = field(default_factory=tuple)
    total_counts: bool = False  # the 合计 row also sums the integer columns (a statistics table's counts)


def display_width(text: str) -> int:
    """Width in Latin columns: East-Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def escape_text(value: str) -> str:
    """Prefix ``'`` to a text a spreadsheet could take for a formula; other text is unchanged. For CSV: the
    XLSX writer marks such a cell with the quote-prefix attribute instead (:func:`needs_quote_prefix`)."""
    return "'" + value if needs_quote_prefix(value) else value


def needs_quote_prefix(value: str) -> bool:
    """True for a text a spreadsheet could take for a formula (``= + - @``, tab, carriage return first)."""
    return value.startswith(INJECTION_STARTS)


def yuan_cell_value(fen: int) -> float:
    """The cell value for ``fen``: the double nearest to the exact 元 amount (see the module docstring)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money cells take integer fen, got {fen!r}")
    return float(fen_to_yuan(fen))


def _shown(col: Column, value: Any) -> str:
    if value is None:
        return ""
    if col.kind == MONEY:
        return f"{fen_to_yuan(value):,}"
    if col.kind == DATE:
        return "0000-00-00"
    return str(value)


def write_xlsx(path: str | Path, *tables: Table) -> Path:
    """Write one sheet per table to ``path`` (whole or not at all: ``wengang.atomic``) and return it."""
    path = Path(path)
    with atomic_path(path) as tmp:
        _write_workbook(tmp, tables)
    return path


def _write_workbook(path: Path, tables: tuple[Table, ...]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        fmt = {
            "title": wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
            "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"}),
            MONEY: wb.add_format({"num_format": MONEY_FORMAT}),
            DATE: wb.add_format({"num_format": DATE_FORMAT}),
            INT: wb.add_format({"num_format": "0"}),
            TEXT: wb.add_format({}),
            "quoted": wb.add_format({"quote_prefix": True}),
            "meta": wb.add_format({"align": "left"}),
            "meta_quoted": wb.add_format({"align": "left", "quote_prefix": True}),
            "control": wb.add_format({"bold": True, "top": 1}),
            "control_money": wb.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT}),
            "control_int": wb.add_format({"num_format": "0"}),
            "control_count": wb.add_format({"bold": True, "top": 1, "num_format": "0"}),
        }
        for table in tables:
            _write_sheet(wb, table, fmt)
    finally:
        wb.close()


def _write_sheet(wb: Any, t: Table, fmt: dict[str, Any]) -> None:
    ws = wb.add_worksheet(t.sheet)
    cols = list(t.columns)
    r = 0
    if t.title:
        ws.set_row(0, 28)
        if len(cols) > 1:
            ws.merge_range(0, 0, 0, len(cols) - 1, t.title, fmt["title"])
        else:
            ws.write_string(0, 0, t.title, fmt["title"])
        r = 1
    for line in t.meta:
        meta_fmt = fmt["meta_quoted"] if needs_quote_prefix(line) else fmt["meta"]
        if len(cols) > 1:
            ws.merge_range(r, 0, r, len(cols) - 1, line, meta_fmt)
        else:
            ws.write_string(r, 0, line, meta_fmt)
        r += 1
    header_row = r
    for c, col in enumerate(cols):
        ws.write_string(header_row, c, col.header, fmt["header"])
    widths = [display_width(col.header) for col in cols]
    totals = {col.key: 0 for col in cols if col.kind == MONEY or (t.total_counts and col.kind == INT)}
    for n, row in enumerate(t.rows, start=1):
        r = header_row + n
        for c, col in enumerate(cols):
            value = row.get(col.key)
            _write_cell(ws, r, c, col, value, fmt, where=f"第{n}行“{col.header}”")
            widths[c] = max(widths[c], display_width(_shown(col, value)))
            if col.key in totals and value is not None:
                totals[col.key] += value
    last_data = header_row + len(t.rows)
    ws.freeze_panes(header_row + 1, 0)
    ws.autofilter(header_row, 0, last_data, len(cols) - 1)
    r = last_data
    if t.control:
        # 合计 row: count and 元 totals (floats, for people); control row: the same totals in integer fen
        r += 1
        ws.write_string(r, 0, f"合计：{len(t.rows)}条", fmt["control"])
        for c, col in enumerate(cols[1:], start=1):
            if col.kind == MONEY:
                ws.write_number(r, c, yuan_cell_value(totals[col.key]), fmt["control_money"])
            elif col.key in totals:
                ws.write_number(r, c, totals[col.key], fmt["control_count"])
            else:
                ws.write_blank(r, c, None, fmt["control"])
        r += 1
        ws.write_string(r, 0, f"控制数：{len(t.rows)}条，金额单位：分")
        for c, col in enumerate(cols):
            if col.kind == MONEY:
                ws.write_number(r, c, totals[col.key], fmt["control_int"])
    for line in t.footer:
        r += 1
        ws.write_string(r, 0, line, fmt["quoted"] if needs_quote_prefix(line) else None)
    for c, col in enumerate(cols):
        ws.set_column(c, c, col.width or min(MAX_WIDTH, widths[c] + 2))


def _write_cell(ws: Any, r: int, c: int, col: Column, value: Any, fmt: dict[str, Any], where: str) -> None:
    if value is None:
        ws.write_blank(r, c, None)
        return
    if col.kind == MONEY:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: 金额须为整数分 / money must be integer fen, got {value!r}")
        ws.write_number(r, c, yuan_cell_value(value), fmt[MONEY])
    elif col.kind == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: 须为整数 / must be an integer, got {value!r}")
        ws.write_number(r, c, value, fmt[INT])
    elif col.kind == DATE:
        if not isinstance(value, date):
            raise TypeError(f"{where}: 须为日期 / must be a date, got {value!r}")
        dt = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        ws.write_datetime(r, c, dt, fmt[DATE])
    else:
        text = str(value)
        ws.write_string(r, c, text, fmt["quoted"] if needs_quote_prefix(text) else fmt[TEXT])
