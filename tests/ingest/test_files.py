"""Real exports: XLSX written with openpyxl (Chinese headers, 元 with decimals, formulas, date cells, serial
days, a title row, blank rows), GBK CSV; screened rows kept or quarantined with reasons, counts reconcile."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from wengang.facts.identifiers import make_credit_code
from wengang.ingest import IngestError
from wengang.ingest.files import read_frame
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
HEAD = ["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数", "备注"]


def _contributions_xlsx(path: Path, *, date1904: bool = False) -> Path:
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "缴费明细"
    ws.append(HEAD)  # row 1
    ws.append([A, "2024年1月", 1234.5, "1,234.50", datetime(2024, 1, 15), 3, "正常"])  # 2
    ws.append([A, datetime(2024, 2, 1), "1234.56", 1234.56, "2024/2/15", "３", None])  # 3
    ws.append([A, "2024/3/1", 100, "=C4", date(2024, 3, 15), 3, None])  # 4: formula in 实缴金额
    ws.append([])  # 5: blank
    ws.append([A, "202404", "1234.567", 10, "2024年4月15日", 3, "=1+1"])  # 6: 3 decimals; formula in an ignored column
    ws.append([B, "2024-13", 5, 5, 45306, 3, None])  # 7: bad month; a bare serial day
    ws.append([B, "2024-01", 5, 5, "2024-01-16", 3, None])  # 8
    ws["D8"].number_format = "0.00"
    wb.save(path)
    return path


def test_xlsx_export_as_agencies_send_it(tmp_path: Path):
    p = _contributions_xlsx(tmp_path / "缴费.xlsx")
    raw = read_table(p, "contributions")
    assert raw.units == {"due_fen": "yuan", "paid_fen": "yuan"}
    assert raw.notes and "“备注”" in raw.notes[0]
    res = validate_table(raw)
    r = res.report
    assert (r.rows_in, r.accepted, r.quarantined) == (6, 3, 3) and r.reconciles
    assert r.notes == raw.notes
    good = res.accepted.sort("credit_code", "month").to_dicts()
    assert [(g["credit_code"], g["month"], g["due_fen"], g["paid_fen"], g["paid_date"], g["insured_persons"]) for g in good] == [
        (A, "2024-01", 123450, 123450, date(2024, 1, 15), 3),
        (A, "2024-02", 123456, 123456, date(2024, 2, 15), 3),
        (B, "2024-01", 500, 500, date(2024, 1, 16), 3),
    ]
    q = {row["source_row"]: row for row in res.quarantine.to_dicts()}
    # source_row is the Excel row, as the sheet shows it (decisions §97)
    assert set(q) == {4, 6, 7}
    assert q[4]["field"] == "paid_fen" and "缴费明细!D4" in q[4]["reason_zh"] and "公式" in q[4]["reason_zh"]
    assert "formula" in q[4]["reason_en"] and "必填字段为空" not in q[4]["reason_zh"]
    assert q[6]["field"] == "due_fen" and "两位小数" in q[6]["reason_zh"] and q[6]["value"] == "1234.567"
    assert q[7]["field"] == "month" and "所属期无效" in q[7]["reason_zh"] and q[7]["value"] == "2024-13"
    assert r.by_reason["paid_fen: cell not read (formula or error value)"] == 1


def test_a_bare_serial_day_reads_in_the_workbooks_date_system(tmp_path: Path):
    for date1904, want in [(False, date(2024, 1, 15)), (True, date(2028, 1, 16))]:
        p = _contributions_xlsx(tmp_path / f"c{date1904}.xlsx", date1904=date1904)
        frame = read_frame(p)
        assert frame.excel_epoch == (date(1904, 1, 1) if date1904 else date(1899, 12, 30))
        res = validate_table(read_table(p, "contributions"))
        row = res.quarantine.filter(pl.col("source_row") == 7).row(0, named=True)  # Excel row 7
        assert row["field"] == "month"  # 45306 was read as a date, only the month is bad
        wb = openpyxl.Workbook()
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904 if date1904 else wb.epoch
        wb.active.append(["统一社会信用代码", "名单类型", "列入日期"])
        wb.active.append([A, "严重失信", 45306])
        q = tmp_path / f"x{date1904}.xlsx"
        wb.save(q)
        ex = validate_table(read_table(q, "exclusions"))
        assert ex.accepted.row(0, named=True) == {"credit_code": A, "list_type": "serious_dishonesty", "date_from": want, "date_to": None}


def test_a_header_below_blank_rows_and_right_of_column_a_is_found(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"], ws["C3"] = "统一社会信用代码", "统计划型"
    ws["B4"], ws["C4"] = A, "中型"
    ws["B5"], ws["C5"] = B, "小微"
    p = tmp_path / "s.xlsx"
    wb.save(p)
    res = validate_table(read_table(p, "stats_size"))
    assert res.accepted.to_dicts() == [{"credit_code": A, "size_class": "medium"}]
    bad = res.quarantine.row(0, named=True)
    assert bad["source_row"] == 5 and bad["value"] == "小微"  # Excel row 5
    assert "“小微”不是允许的取值" in bad["reason_zh"] and "中型企业/中型（medium）" in bad["reason_zh"]


def test_formula_without_cached_value_written_by_another_program_is_not_read_as_zero(tmp_path: Path):
    import xlsxwriter

    p = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, ["统一社会信用代码", "年度", "年末参保职工人数", "裁员人数"])
    ws.write_row(1, 0, [A, 2024, 10])
    ws.write_formula(1, 3, "=C2-10")  # xlsxwriter caches 0 for every formula
    wb.close()
    res = validate_table(read_table(p, "headcount"))
    assert res.report.accepted == 0 and res.report.quarantined == 1
    assert "Sheet1!D2" in res.quarantine["reason_zh"][0]


def test_gbk_csv_with_chinese_headers_and_labels(tmp_path: Path):
    p = tmp_path / "units.csv"
    text = (
        "统一社会信用代码,单位名称,参保地行政区划代码,单位类型,是否劳务派遣单位,有对公账户,从业人员数\n"
        f"{A},通辽甲公司,150502,企业,否,是,１２\n"
        f"{B},通辽乙所,150502,律师事务所,N,有,3\n"
    )
    p.write_bytes(text.encode("gbk"))
    raw = read_table(p, "units")
    assert raw.encoding == "gbk"
    res = validate_table(raw)
    assert res.report.accepted == 2
    got = res.accepted.select("org_type", "is_dispatch_firm", "has_corporate_account", "employees").to_dicts()
    assert got == [
        {"org_type": "enterprise", "is_dispatch_firm": False, "has_corporate_account": True, "employees": 12},
        {"org_type": "law_firm", "is_dispatch_firm": False, "has_corporate_account": True, "employees": 3},
    ]


def test_unreadable_workbooks_and_sheets_are_clear_errors(tmp_path: Path):
    p = _contributions_xlsx(tmp_path / "c.xlsx")
    with pytest.raises(IngestError) as e:
        read_table(p, "contributions", sheet="Sheet9")
    assert "没有工作表“Sheet9”" in str(e.value) and "缴费明细" in str(e.value)
    old = tmp_path / "c.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(IngestError) as e:
        read_table(old, "contributions")
    assert ".xls" in str(e.value) and ".xlsx" in str(e.value)
    dup = tmp_path / "dup.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["统一社会信用代码", "统计划型", "统计划型"])
    wb.active.append([A, "中型", "小型"])
    wb.save(dup)
    with pytest.raises(IngestError) as e:
        read_table(dup, "stats_size")
    assert "出现了不止一次" in str(e.value)
