"""Totals, sign-off lines and numbered empty rows in an agency's monthly workbook hold no payment.

An agency's 缴费明细 has a 序号 column, template rows numbered in advance and left empty, a 合计 row of sums and a
制表人/审核人 line under the table. Each of these was quarantined without a unit code and held every payment of the
region (暂缓发放 262 of 262). Now a row whose mapped columns are all empty is blank (skipped, as an empty row is),
a totals or sign-off row is skipped and named with its Excel row in a note, and only a real record without a key
still holds everything — saying why.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
PAYABLE = pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"])


def _screen(out: Path, tables: dict[str, Path], **kw):
    return run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
        excel=False, **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("footers")
    paths = generate_region(root / "data", region_code="150500", n_units=80, year=2025, seed=7)
    tables = {k: paths[k] for k in TABLES}
    monthly = pl.read_parquet(paths["contributions"] / "*.parquet").select(pl.all().cast(pl.String))
    base = _screen(root / "base", tables)
    results = pl.read_parquet(root / "base" / "results.parquet")
    return root, tables, monthly, base, results


def _workbook(monthly: pl.DataFrame, path: Path, *, extra: list[list] = (), numbered_blank: int = 0) -> int:
    """``monthly`` as an agency's sheet: a 序号 column, the header in row 1; ``numbered_blank`` rows numbered in
    advance and left empty after the data, then the ``extra`` rows. Returns the Excel row of the first extra row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "缴费明细"
    ws.append(["序号", *monthly.columns])
    for i, row in enumerate(monthly.iter_rows(), start=1):
        ws.append([i, *row])
    for k in range(numbered_blank):
        ws.append([monthly.height + k + 1])
    first = ws.max_row + 1
    for row in extra:
        ws.append(list(row))
    wb.save(path)
    return first


def _compare(results: pl.DataFrame, base: pl.DataFrame) -> None:
    """Same decisions and the same units held (the reasons name rows: a workbook's differ from Parquet's)."""
    cols = ["credit_code", "status", "amount_fen", "payment_hold"]
    assert results.select(cols).sort("credit_code").equals(base.select(cols).sort("credit_code"))


@pytest.mark.parametrize("partitions", [1, 2])
def test_totals_signoff_and_numbered_empty_rows_are_skipped_and_named(region, tmp_path, partitions):
    root, tables, monthly, base, base_results = region
    path = tmp_path / "缴费明细.xlsx"
    n = monthly.height
    first = _workbook(
        monthly, path, numbered_blank=3,
        extra=[
            ["合计", None, None, "1,234,567.89", "1,234,000.00", None, None, 9999],  # 合计 in the 序号 column
            [None, "合　计", None, "1,234,567.89"],  # in the code column, with a full-width space
            [],
            ["制表人：张三", None, None, None, "审核人：李四"],
            [None, None, None, None, None, "填报日期：2025年1月5日"],
        ],
    )  # fmt: skip
    report = _screen(tmp_path / "out", {**tables, "contributions": path}, partitions=partitions)
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    _compare(results, base_results)
    monthly_report = next(r for r in report.reports if r.table == "contributions")
    base_report = next(r for r in base.reports if r.table == "contributions")
    assert (monthly_report.rows_in, monthly_report.quarantined) == (base_report.rows_in, base_report.quarantined)
    # nothing held the region: the holds are the baseline's (the generator's planted bad monthly rows)
    assert report.summary.held == base.summary.held
    assert not any("无法识别" in note for note in report.summary.hold_notes)
    notes = "\n".join(monthly_report.notes)
    # named by their Excel rows: the data end at row n + 1, three numbered empty rows follow
    assert first == n + 5
    assert (
        f"已跳过合计、落款等非数据行：第 {first} 行“合计”、第 {first + 1} 行“合　计”、第 {first + 3} 行“制表人：张三”、"
        f"第 {first + 4} 行“填报日期：2025年1月5日”"
    ) in notes
    assert f"已跳过空行：第 {n + 2}、{n + 3}、{n + 4} 行（本表使用的列均为空，仅未识别的列“序号”有值）" in notes
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine.filter(pl.col("source_row") >= n + 2).height == 0


def test_a_record_without_a_code_still_holds_every_payment_and_says_why(region, tmp_path):
    """Fail closed stays: a row with a month and amounts but no unit code is a record of some unit."""
    root, tables, monthly, base, base_results = region
    path = tmp_path / "缴费明细.xlsx"
    first = _workbook(
        monthly, path,
        extra=[
            # amounts in fen, as the column's other rows (a yuan-written "100.00" puts the whole fen column in doubt:
            # tests/ingest, decisions §126)
            [monthly.height + 1, None, "2024-03", "10000", "10000", "2024-03-05", None, 3],
            # not a footer: its key holds a code, which is not the 合计 cell
            ["合计", "91150000XXXXXXXXXX", "2024-03", "10000", "10000", "2024-03-05", None, 3],
        ],
    )  # fmt: skip
    report = _screen(tmp_path / "out", {**tables, "contributions": path})
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    payable = results.filter(PAYABLE)
    assert payable.height and payable.get_column("payment_hold").all()
    text = (
        f"月度缴费记录第 {first}、{first + 1} 行的单位代码无法识别（未填写；“91150000XXXXXXXXXX”不是有效的单位代码，"
        "与本批任何单位的单位代码都不只差一位）：这些行有误被隔离，又无法确定属于哪个单位，可能涉及本批任一单位，"
        "因此本批全部待发放的单位暂缓发放、全部不予发放的结论待核实后认定；核实这些行（补全单位代码，或确认不是数据记录后从文件中"
        "删除）并重新筛查后发放"
    )
    assert text in report.summary.hold_notes
    assert payable.get_column("payment_hold_reason").str.contains(text, literal=True).all()
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert sorted(quarantine.filter(pl.col("source_row") >= first).get_column("source_row")) == [first, first + 1]
