"""A column whose empty value means something must be there: without 缴费日期 every month would read as unpaid.

An audit dropped the 缴费日期 column from a monthly file: the run accepted it, counted nothing as paid and refused
every unit (1,998 of 1,998 不符合条件, no note). An empty 缴费日期 on a row is an unpaid month; a file without the
column says nothing about payment, so it is refused, naming the column."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from wengang.ingest import IngestError
from wengang.screening.pipeline import run_screening
from wengang.screening.schemas import CONTRIBUTIONS

CODE = "91150502MA0N1234XN"


def _tables(root: Path, with_paid_date: bool) -> dict[str, Path]:
    root.mkdir()
    (root / "units.csv").write_text(
        f"credit_code,name,region_code,org_type\n{CODE},测试单位,150502,enterprise\n", encoding="utf-8"
    )
    head = "credit_code,month,due_fen,paid_fen" + (",paid_date" if with_paid_date else "") + ",insured_persons"
    rows = [head] + [
        f"{CODE},2024-{m:02d},100000,100000" + (f",2024-{m:02d}-15" if with_paid_date else "") + ",10"
        for m in range(1, 13)
    ]
    (root / "contributions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {"units": root / "units.csv", "contributions": root / "contributions.csv"}


def test_a_monthly_file_without_its_paid_dates_is_refused_naming_the_column(tmp_path):
    with pytest.raises(IngestError) as exc:
        run_screening(tmp_path / "out", evaluation_date=date(2025, 8, 1), tables=_tables(tmp_path / "in", False),
                      excel=False)  # fmt: skip
    assert "缺少必填列“缴费日期”" in str(exc.value) and "paid_date" in str(exc.value)


def test_with_the_column_the_months_are_read(tmp_path):
    report = run_screening(tmp_path / "out", evaluation_date=date(2025, 8, 1), tables=_tables(tmp_path / "in", True),
                           excel=False)  # fmt: skip
    assert report.reconciles


def test_the_column_is_required_but_its_values_may_be_empty():
    col = CONTRIBUTIONS.column("paid_date")
    assert col.needs_column and not col.required
    assert "paid_date" in [f.name for f in CONTRIBUTIONS.scope().fields if f.required]


def test_an_unreadable_paid_date_is_not_also_called_missing(tmp_path):
    """"2024-02-30" gets its own reason (日期无效) and not also "有实缴金额但无缴费日期"; an empty date gets that one."""
    import polars as pl

    tables = _tables(tmp_path / "in", True)
    path = tables["contributions"]
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2024-02-15", "2024-02-30")
    lines[3] = lines[3].replace("2024-03-15", "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_screening(tmp_path / "out", evaluation_date=date(2025, 8, 1), tables=tables, excel=False)
    assert report.reconciles
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet").sort("source_row")
    assert q.get_column("source_row").to_list() == [3, 4]  # lines[2] and lines[3]: file lines 3 and 4
    first, second = q.get_column("reason_zh").to_list()
    assert "日期无效" in first and "无缴费日期" not in first
    assert "有实缴金额但无缴费日期" in second
