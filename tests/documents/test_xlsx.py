"""The XLSX writer, read back with openpyxl: types, formats, panes, filter, escaping, control row."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.documents.xlsx import (
    DATE,
    INT,
    MONEY,
    MONEY_FORMAT,
    Column,
    Table,
    display_width,
    escape_text,
    write_xlsx,
    yuan_cell_value,
)

COLUMNS = [
    Column("seq", "序号", INT),
    Column("name", "单位名称"),
    Column("on", "日期", DATE),
    Column("amount", "金额（元）", MONEY),
]


def _table(rows, **kw) -> Table:
    return Table(COLUMNS, rows, **kw)


def test_types_formats_panes_filter(tmp_path: Path) -> None:
    rows = [
        {"seq": 1, "name": "通辽市某某有限公司", "on": date(2025, 6, 3), "amount": 123456},
        {"seq": 2, "name": "=HYPERLINK(\"http://x\")", "on": date(2025, 6, 4), "amount": 5},
    ]
    path = write_xlsx(tmp_path / "a.xlsx", _table(rows, title="测试名单", footer=["-依据：某某文"]))
    ws = openpyxl.load_workbook(path)["名单"]
    assert ws["A1"].value == "测试名单" and "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["序号", "单位名称", "日期", "金额（元）"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:D4"
    assert ws["A3"].value == 1 and isinstance(ws["A3"].value, int)
    assert ws["C3"].is_date and ws["C3"].value == datetime(2025, 6, 3) and ws["C3"].number_format == "yyyy-mm-dd"
    assert ws["D3"].value == 1234.56 and ws["D3"].number_format == MONEY_FORMAT
    assert ws["D4"].value == 0.05
    # formula injection: stored as text with the quote-prefix attribute, the text as written (no apostrophe)
    assert ws["B4"].value == "=HYPERLINK(\"http://x\")" and ws["B4"].data_type == "s"
    assert ws["B4"].quotePrefix
    assert not ws["B3"].quotePrefix
    # 合计 row in 元, control row in integer fen with the count
    assert ws["A5"].value == "合计：2条" and ws["D5"].value == 1234.61 and ws["D5"].number_format == MONEY_FORMAT
    assert ws["A6"].value == "控制数：2条，金额单位：分" and ws["D6"].value == 123461
    assert isinstance(ws["D6"].value, int)
    assert ws["A7"].value == "-依据：某某文" and ws["A7"].quotePrefix and ws["A7"].data_type == "s"
    # CJK counts double in widths
    assert ws.column_dimensions["B"].width >= display_width("通辽市某某有限公司") == 18


def test_no_title_freezes_first_row(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(write_xlsx(tmp_path / "b.xlsx", _table([], control=False)))["名单"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D1" and ws.max_row == 1


@pytest.mark.parametrize("bad", [1.5, "12.00", True])
def test_money_must_be_integer_fen(tmp_path: Path, bad: object) -> None:
    with pytest.raises(TypeError, match="第1行“金额（元）”"):
        write_xlsx(tmp_path / "c.xlsx", _table([{"seq": 1, "name": "x", "on": date(2025, 1, 1), "amount": bad}]))


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_escape(text: str) -> None:
    assert escape_text(text) == "'" + text


def test_plain_text_unchanged() -> None:
    assert escape_text("通辽 = 1") == "通辽 = 1"


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_yuan_cell_is_the_nearest_double_to_the_exact_value(fen: int) -> None:
    value = yuan_cell_value(fen)
    assert Decimal(repr(value)) == Decimal(fen) / 100


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["", "=", "+", "-", "@", "\t", "通辽"]),
                  st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)),
        min_size=1, max_size=8,
    )
)
def test_no_text_comes_back_as_a_formula(tmp_path_factory, parts) -> None:
    texts = [a + b for a, b in parts]
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    write_xlsx(path, Table([Column("t", "文本")], [{"t": t} for t in texts], control=False))
    ws = openpyxl.load_workbook(path)["名单"]
    for n, text in enumerate(texts, start=2):
        cell = ws.cell(n, 1)
        if not text:
            continue
        assert cell.data_type == "s"
        assert cell.value == text
        assert cell.quotePrefix == text.startswith(("=", "+", "-", "@", "\t", "\r"))
