"""Row numbers as the user sees them in the file, and a header that is not on the first line.

Screening names a row by the number the file shows it at: the Excel row of a sheet, the line of a CSV file (the
header, a title and empty lines above it counted). The reader gives that number as ``Frame.header_row`` plus the
record number; a CSV file that begins with empty lines (Polars skips them before the header) was one off, in the
quarantine and in the refusal of a ragged row.
"""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest

from wengang.ingest import IngestError
from wengang.ingest.files import explain_csv_error, head_rows, read_frame
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = "91150102MA0N7WYC4A"  # not a valid code: the tests only need rows, not units
HEADER = "credit_code,month,due_fen,paid_fen,paid_date,insured_persons"


def _rows(frame) -> list[int]:
    return [frame.file_row(r) for r in frame.lf.collect().get_column("source_row").to_list()]


@pytest.mark.parametrize("before", ["", "\n", "\n\n", "\r\n\r\n\r\n", "\ufeff\n\n"])
def test_a_csv_row_is_numbered_by_its_line_whatever_comes_before_the_header(tmp_path, before):
    path = tmp_path / "c.csv"
    path.write_text(f"{before}{HEADER}\n{A},2024-01,1,1,2024-01-05,3\n\n{A},2024-13,1,1,2024-03-05,3\n", encoding="utf-8")
    frame = read_frame(path)
    header_line = before.count("\n") + 1
    assert frame.header_row == header_line
    # the data rows are on the lines after the header; the empty line between them keeps its number
    assert _rows(frame) == [header_line + 1, header_line + 3]
    q = validate_table(read_table(path, "contributions")).quarantine.filter(pl.col("field").str.contains("month"))
    assert q.get_column("source_row").to_list() == [header_line + 3]


def test_a_ragged_row_after_blank_lines_before_the_header_is_named_by_its_line(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(f"\n\n{HEADER}\n{A},2024-01,1,1,2024-01-05,3\n{A},2024-02,1,1,2024-02-05,3,extra\n", encoding="utf-8")
    read_frame(path)
    err = explain_csv_error(path)
    assert err is not None
    # one row has more fields than the header (not every row: the empty lines are not the header)
    assert "第 5 行（第 2 条记录）字段数多于表头（7 个，表头 6 个）" in err.message_zh
    assert "共" not in err.message_zh


def test_an_xlsx_row_is_its_excel_row_number(tmp_path):
    path = tmp_path / "c.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "缴费"
    ws.append([])  # row 1 empty: the header is the first row that is not
    ws.append(HEADER.split(","))
    ws.append([A, "2024-01", "1", "1", "2024-01-05", "3"])
    ws.append([])
    ws.append([A, "2024-13", "1", "1", "2024-03-05", "3"])
    ws["C6"] = "=C3"  # a formula cell: quarantined at its own row
    ws["A6"], ws["B6"] = A, "2024-04"
    wb.save(path)
    frame = read_frame(path)
    assert (frame.header_row, frame.sheet) == (2, "缴费")
    assert _rows(frame) == [3, 5, 6]
    q = validate_table(read_table(path, "contributions")).quarantine
    assert q.filter(pl.col("field").str.contains("month")).get_column("source_row").to_list() == [5]
    formula = q.filter(pl.col("field").str.contains("due_fen"))
    assert formula.get_column("source_row").to_list() == [6] and "缴费!C6" in formula.item(0, "reason_zh")


def test_the_header_row_may_be_named_for_csv_and_xlsx(tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text(f"通辽市缴费明细\n\n{HEADER}\n{A},2024-13,1,1,2024-01-05,3\n", encoding="utf-8")
    frame = read_frame(csv, header_row=3)
    assert frame.columns == HEADER.split(",") and _rows(frame) == [4]
    with pytest.raises(IngestError, match="第 2 行为空，不能作为表头"):
        read_frame(csv, header_row=2)
    with pytest.raises(IngestError, match="第 9 行不存在"):
        read_frame(csv, header_row=9)
    xlsx = tmp_path / "c.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["通辽市缴费明细"])
    ws.append(HEADER.split(","))
    ws.append([A, "2024-13", "1", "1", "2024-01-05", "3"])
    wb.save(xlsx)
    frame = read_frame(xlsx, header_row=2)
    assert frame.columns == HEADER.split(",") and _rows(frame) == [3]
    # the lines a header is looked for in: each row's cells (empty ones None) with its number
    heads = head_rows(frame, 2)
    assert heads == {"Sheet": [(1, ["通辽市缴费明细", None, None, None, None, None]), (2, HEADER.split(","))]}
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "p.parquet")
    with pytest.raises(IngestError, match="header row applies to CSV and Excel files only"):
        read_frame(tmp_path / "p.parquet", header_row=1)


def test_parquet_rows_are_record_numbers(tmp_path):
    path = tmp_path / "p.parquet"
    pl.DataFrame({"credit_code": [A, A], "month": ["2024-01", "2024-13"]}).write_parquet(path)
    frame = read_frame(path)
    assert frame.header_row == 0 and _rows(frame) == [1, 2]
