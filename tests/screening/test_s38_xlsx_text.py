"""A unit's name is data in every XLSX a run writes: never a formula or a link Excel would follow (outside web audit
F1, session 38). Before, results.xlsx and publicity.xlsx stored ``=HYPERLINK(…)有限公司`` as a live formula."""

from __future__ import annotations

import zipfile

import openpyxl
import polars as pl

from wengang.screening.output import write_excel_sheets

HOSTILE = ['=HYPERLINK("http://evil.example/","点击")有限公司', "+1+1", "-2+3", "@SUM(A1)", "http://evil.example/"]


def test_hostile_names_are_written_as_text(tmp_path):
    path = tmp_path / "results.xlsx"
    write_excel_sheets(pl.DataFrame({"单位名称": HOSTILE, "金额（元）": ["1.00"] * len(HOSTILE)}), path, "结果")
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<hyperlink" not in sheet
    ws = openpyxl.load_workbook(path).active
    assert [ws.cell(row=r, column=1).value for r in range(2, 2 + len(HOSTILE))] == HOSTILE
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, 2 + len(HOSTILE)))
