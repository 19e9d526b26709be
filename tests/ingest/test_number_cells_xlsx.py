"""XLSX number cells (routed with files.py.patch): a fraction as Excel shows it, 16 digits or more a cell error."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from wengang.facts.identifiers import make_credit_code
from wengang.ingest.files import read_frame
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")


def test_a_number_cell_of_16_digits_is_a_cell_error_and_a_residue_reads_as_shown(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["账号", "金额"])
    ws.append([6222000000000000, 192.48 * 3])  # 16 digits typed; Excel kept 15 and a 0. 577.4399999999999
    ws.append(["6222000000000008", 1.0])
    wb.save(tmp_path / "a.xlsx")
    frame = read_frame(tmp_path / "a.xlsx")
    got = frame.lf.collect()
    assert got.get_column("金额").to_list() == ["577.44", "1"]
    assert got.get_column("账号").to_list() == [None, "6222000000000008"]
    zh, en = frame.cell_errors["账号"][1]
    assert zh.startswith("单元格 Sheet!A2：账号、证件号码、统一社会信用代码等编号须以文本格式填写") and "“6222000000000000”" in zh
    assert "must be text cells" in en


def test_screening_quarantines_an_id_number_typed_as_a_number(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数"])
    ws.append([A, "2024-01", "1", "1", "2024-01-15", 3])
    ws.append([911505021234567000, "2024-02", "1", "1", "2024-02-15", 3])  # 18 digits typed as a number
    wb.save(tmp_path / "c.xlsx")
    res = validate_table(read_table(tmp_path / "c.xlsx", "contributions"))
    (row,) = res.quarantine.iter_rows(named=True)
    assert row["field"] == "credit_code" and "数值单元格只保留15位有效数字" in row["reason_zh"]
