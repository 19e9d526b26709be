"""A month written 2024.1 is refused: a number cell 2024.10 (October) is stored and read as 2024.1.

An audit typed October's month cell in an XLSX as the number 2024.10: Excel keeps 2024.1, which read as January —
accepted, no quarantine, the unit's months paid 2 instead of 11. "2024.1" cannot say which month it means."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from openpyxl import Workbook

from wengang.ingest.values import ValueProblem, parse_month
from wengang.screening.pipeline import run_screening

CODE = "91150502MA0N1234XN"


@pytest.mark.parametrize("value", ["2024.1", 2024.1, " 2024 . 1 "])
def test_2024_point_1_is_refused_as_ambiguous(value):
    with pytest.raises(ValueProblem, match="有歧义"):
        parse_month(value)


@pytest.mark.parametrize(
    ("value", "month"),
    [("2024.10", "2024-10"), ("2024.01", "2024-01"), ("2024.2", "2024-02"), ("2024-1", "2024-01"), ("2024/1", "2024-01"),
     ("2024年1月", "2024-01"), ("202401", "2024-01"), (date(2024, 10, 1), "2024-10")],
)  # fmt: skip
def test_unambiguous_forms_still_read(value, month):
    assert parse_month(value) == month


def test_a_number_cell_for_october_is_quarantined_not_read_as_january(tmp_path):
    (tmp_path / "units.csv").write_text(
        f"credit_code,name,region_code,org_type,has_corporate_account\n{CODE},测试单位,150502,enterprise,true\n",
        encoding="utf-8",
    )
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "费款所属期", "应缴金额（分）", "实缴金额（分）", "缴费日期", "缴费人数"])
    for m in range(2, 13):  # February to December 2024; October typed as the number 2024.10
        month = 2024.10 if m == 10 else f"2024-{m:02d}"
        ws.append([CODE, month, 100000, 100000, f"2024-{m:02d}-15", 10])
    wb.save(tmp_path / "contributions.xlsx")
    report = run_screening(
        tmp_path / "out", evaluation_date=date(2025, 8, 1), excel=False,
        tables={"units": tmp_path / "units.csv", "contributions": tmp_path / "contributions.xlsx"},
    )  # fmt: skip
    monthly = next(r for r in report.reports if r.table == "contributions")
    assert report.reconciles and monthly.quarantined == 1
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert q.filter(pl.col("field") == "month").get_column("reason_zh").str.contains("有歧义").all()
