"""Outside bad-input audit, session 38 (F1–F10): each finding fixed in the shared input layer, so screening, people
screening, the risk screen, case import and ``evaluate --row`` read the same way. Small files only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from pydantic import ValidationError

from wengang.facts.identifiers import make_credit_code
from wengang.facts.industries import code_digits, section_of, size_category, size_category_expr
from wengang.facts.unit import UnitFacts
from wengang.ingest import IngestError
from wengang.ingest.files import read_frame
from wengang.ingest.record import read_record
from wengang.ingest.values import identifier_text
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150522", "MA0000002")
UNITS_HEAD = "统一社会信用代码,单位名称,参保地行政区划代码,单位类型,国民经济行业代码"
CONTRIB_HEAD = ["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "滞纳金", "缴费人数"]


def _units(tmp_path: Path, *rows: str, name: str = "u.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join([UNITS_HEAD, *rows]) + "\n", encoding="utf-8")
    return p


def _contrib_rows(code: str = A, months: int = 3) -> list[list[object]]:
    return [[code, f"2024-{m:02d}", "183.20", "183.20", f"2024-{m:02d}-15", "0", "3"] for m in range(1, months + 1)]


# ------------------------------------------------------------------------------------------------ F1


@pytest.mark.parametrize(
    ("code", "section"), [("A511", "F"), ("F0511", "A"), ("B610", "H"), ("Ａ５１１", "F")]
)
def test_f1_a_section_letter_its_digits_contradict_is_no_code(code, section):
    from wengang.facts.industries import industry_code_problem

    assert code_digits(code) is None and size_category(code) is None and section_of(code) is None
    zh, en = industry_code_problem(code)
    assert f"属于门类 {section}" in zh and f"section {section}" in en
    assert pl.DataFrame({"c": [code]}).select(size_category_expr("c")).item() is None


def test_f1_codes_that_agree_read_as_before():
    from wengang.facts.industries import industry_code_problem

    assert (code_digits("A0511"), size_category("A0511")) == ("0511", "agriculture")
    assert (code_digits("F5211"), size_category("5211"), size_category("B0610")) == ("5211", "retail", "industry")
    assert industry_code_problem("511") is None  # 3 digits, no letter: read as today (division 51)
    assert "A0511" in industry_code_problem("A511")[0]  # the leading 0 a number cell drops is suggested


def test_f1_screening_quarantines_the_row_naming_the_section(tmp_path):
    p = _units(tmp_path, f"{A},甲,150502,企业,A511", f"{B},乙,150522,企业,F5211")
    res = validate_table(read_table(p, "units"))
    assert (res.report.accepted, res.report.quarantined) == (1, 1)
    row = res.quarantine.row(0, named=True)
    assert row["source_row"] == 2 and row["field"] == "industry_code" and row["value"] == "A511"
    assert "大类 51 属于门类 F（批发和零售业）" in row["reason_zh"]


def test_f1_evaluate_refuses_the_code():
    with pytest.raises(ValidationError) as e:
        UnitFacts(credit_code=A, name="甲", industry_code="F0511")
    assert "大类 05 属于门类 A" in str(e.value)
    assert UnitFacts(credit_code=A, name="甲", industry_code="Ｆ５２１１").industry_code == "F5211"


# ------------------------------------------------------------------------------------- F3 and F8


def test_f3_f8_full_width_and_text_forced_codes_read_as_the_code(tmp_path):
    p = _units(tmp_path, f'="{A}",甲,="150502",企业,０５１１', f"{B},乙,１５０５２２,企业,F5211")
    res = validate_table(read_table(p, "units"), allowed_regions={"150502", "150522"})
    assert res.report.quarantined == 0, res.quarantine.to_dicts()
    got = res.accepted.sort("credit_code").select("credit_code", "region_code", "industry_code").rows()
    assert got == [(A, "150502", "0511"), (B, "150522", "F5211")]
    assert identifier_text(f'="{A}"') == A


def test_f3_six_digits_means_ascii_digits_after_nfkc(tmp_path):
    # Arabic-Indic digits are Unicode digits (Polars' \d) that NFKC leaves as they are: no region code
    p = _units(tmp_path, f"{A},甲,١٥٠٥٢٢,企业,")
    res = validate_table(read_table(p, "units"))
    assert res.report.quarantined == 1 and "行政区划代码应为6位数字" in res.quarantine["reason_zh"][0]


def test_f3_risk_screen_reads_a_full_width_issuing_region():
    from wengang.risk.batch import read_table as risk_read

    frame = pl.DataFrame({
        "id_number": ["150121199710239675"], "certificate_no": ["C1"], "occupation_code": ["4-03-02-01"],
        "level": [4], "issue_date": [date(2024, 5, 1)], "issuer": ["机构"], "issuing_region": ["１５０５００"],
    })  # fmt: skip
    good, bad = risk_read("certificates", frame)
    assert good.collect()["issuing_region"].to_list() == ["150500"] and bad.collect().height == 0


# ------------------------------------------------------------------------------------------------ F4


@pytest.mark.parametrize("typed", [pl.Date, pl.Int32])
def test_f4_a_parquet_month_typed_date_or_integer_reads_as_its_month(tmp_path, typed):
    months = ["2024-01", "2024-02"]
    col = (
        pl.Series([date(2024, 1, 1), date(2024, 2, 1)]) if typed == pl.Date else pl.Series([202401, 202402], dtype=pl.Int32)
    )
    df = pl.DataFrame({
        "credit_code": [A, A], "month": col, "due_fen": [100, 100], "paid_fen": [100, 100],
        "paid_date": [date(2024, 1, 15), date(2024, 2, 15)], "insured_persons": [3, 3],
    })  # fmt: skip
    p = tmp_path / "c.parquet"
    df.write_parquet(p)
    res = validate_table(read_table(p, "contributions"))
    assert res.report.quarantined == 0
    assert sorted(res.accepted["month"].to_list()) == months


# ------------------------------------------------------------------------------------------------ F7


def _write_csv(path: Path, rows: list[list[object]], *, end: str) -> None:
    lines = [",".join(CONTRIB_HEAD), *(",".join(map(str, r)) for r in rows)]
    path.write_bytes((end.join(lines)).encode("utf-8"))


def test_f7_a_csv_cut_in_its_last_field_holds_that_row(tmp_path):
    p = tmp_path / "cut.csv"
    rows = _contrib_rows(months=3)
    rows[-1][3] = "18"  # …,183.20 cut to …,18
    _write_csv(p, rows, end="\r\n")
    res = validate_table(read_table(p, "contributions"))
    assert (res.report.accepted, res.report.quarantined) == (2, 1)
    row = res.quarantine.row(0, named=True)
    assert row["source_row"] == 4 and "截断" in row["reason_zh"] and "第 4 行" in row["reason_zh"]
    assert "cut off" in row["reason_en"]


def test_f7_a_whole_file_or_a_one_line_file_is_read_as_before(tmp_path):
    whole = tmp_path / "whole.csv"
    _write_csv(whole, _contrib_rows(months=3), end="\n")
    whole.write_bytes(whole.read_bytes() + b"\n")
    one = tmp_path / "one.csv"  # the only data line has no line end: written so, not cut
    _write_csv(one, _contrib_rows(months=1), end="\n")
    for p in (whole, one):
        res = validate_table(read_table(p, "contributions"))
        assert res.report.quarantined == 0, res.quarantine.to_dicts()


def test_f7_evaluate_row_refuses_the_cut_row(tmp_path):
    p = tmp_path / "facts.csv"
    p.write_bytes(f"统一社会信用代码,单位名称\n{A},甲\n{B},乙".encode())
    assert read_record(p, row=1).values["统一社会信用代码"] == A
    with pytest.raises(IngestError, match="截断"):
        read_record(p, row=2)


# ------------------------------------------------------------------------------------------------ F9


@pytest.mark.parametrize("note", ["注：本表由税务部门提供", "说明：金额单位为元", "备注"])
def test_f9_a_note_line_under_the_table_is_skipped_not_quarantined(tmp_path, note):
    p = tmp_path / "c.csv"
    _write_csv(p, [*_contrib_rows(months=2), [note, "", "", "", "", "", ""]], end="\n")
    p.write_bytes(p.read_bytes() + b"\n")
    raw = read_table(p, "contributions")
    res = validate_table(raw)
    assert (res.report.rows_in, res.report.quarantined) == (2, 0)
    assert any("已跳过合计、落款等非数据行：第 4 行" in n for n in res.report.notes + raw.notes)


# ----------------------------------------------------------------------------------------- XLSX: F2, F5, F6, F10


def _sheet(ws, rows):
    ws.append(CONTRIB_HEAD)
    for r in rows:
        ws.append(r)


def test_f2_two_sheets_with_the_header_are_refused_asking_for_sheet(tmp_path):
    wb = openpyxl.Workbook()
    _sheet(wb.active, _contrib_rows(months=1))
    wb.active.title = "2023年"
    _sheet(wb.create_sheet("2024年"), _contrib_rows(months=2))
    p = tmp_path / "two.xlsx"
    wb.save(p)
    with pytest.raises(IngestError) as e:
        read_table(p, "contributions")
    assert "--sheet contributions=" in e.value.message_zh and "“2023年”" in e.value.message_zh
    assert validate_table(read_table(p, "contributions", sheet="2024年")).report.rows_in == 2


def test_f2_the_sheet_read_and_the_others_are_named(tmp_path):
    wb = openpyxl.Workbook()
    _sheet(wb.active, _contrib_rows(months=1))
    wb.active.title = "缴费"
    wb.create_sheet("说明").append(["本表说明"])
    p = tmp_path / "one.xlsx"
    wb.save(p)
    raw = read_table(p, "contributions")
    assert any("读取的是第一个工作表“缴费”" in n and "“说明”" in n for n in raw.notes)


def test_f5_a_two_row_header_with_merged_cells_is_read(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025年缴费明细"])
    ws.merge_cells("A1:H1")
    ws.append(["序号", "统一社会信用代码", "费款所属期", "缴费情况", None, None, "滞纳金", "缴费人数"])
    ws.append([None, None, None, "应缴金额", "实缴金额", "缴费日期", None, None])
    for col in "ABCGH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:F2")
    for k, r in enumerate(_contrib_rows(months=2)):
        ws.append([k + 1, r[0], r[1], r[2], r[3], r[4], 0, 3])
    p = tmp_path / "merged.xlsx"
    wb.save(p)
    for header_row in (None, 3):
        raw = read_table(p, "contributions", header_row=header_row)
        res = validate_table(raw)
        assert (res.report.rows_in, res.report.quarantined) == (2, 0)
        assert sorted(res.accepted["paid_fen"].to_list()) == [18320, 18320]
        assert any("A2:A3“序号”" in n for n in raw.notes)


def test_f6_evaluate_row_finds_the_header_under_a_title(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025年参保单位名单"])
    ws.append(["统一社会信用代码", "单位名称"])
    ws.append([A, "甲"])
    p = tmp_path / "facts.xlsx"
    wb.save(p)
    rec = read_record(p, row=1)
    assert rec.values["统一社会信用代码"] == A
    assert any("表头取自工作表“Sheet”第 2 行" in n for n in rec.notes)


def test_f10_hidden_rows_are_read_and_named(tmp_path):
    wb = openpyxl.Workbook()
    _sheet(wb.active, _contrib_rows(months=3))
    wb.active.row_dimensions[3].hidden = True
    wb.active.column_dimensions["G"].hidden = True
    p = tmp_path / "hidden.xlsx"
    wb.save(p)
    frame = read_frame(p)
    assert any("1 个隐藏的行" in n and "第 3 行" in n for n in frame.notes)
    assert any("G 列“缴费人数”" in n for n in frame.notes)
    assert validate_table(read_table(p, "contributions")).report.rows_in == 3
