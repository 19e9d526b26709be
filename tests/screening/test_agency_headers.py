"""A header that is not on the first line, a sheet that is not the first, and the refusal that says where it looked.

Agencies' workbooks carry a title row (merged or not), a 制表单位/单位：元 line, or a first row of merged group
titles above the header, and a 填表说明 sheet before the data. The header used to be row 1 of the first sheet,
always, and the refusal ("缺少必填列…现有列：通辽市2024年度…") never said so. Now the header is looked for in the first
rows (a note says which row was taken), a line above it that states another unit than the header's is refused,
``wengang screen --sheet TABLE=SHEET`` / ``--header-row TABLE=ROW`` point elsewhere, and a refusal names the sheet and
row the header was read from and these options.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.facts.identifiers import make_credit_code
from wengang.ingest import IngestError
from wengang.screening.demo_data import generate_region
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0N7WYC4")
HEADER = ["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数"]
ROWS = [[A, "2024-01", "100.50", "100.50", "2024-01-05", "3"], [A, "2024-13", "100.50", "100.50", "2024-02-05", "3"]]
runner = CliRunner()


def _book(path: Path, above: list[list], *, merge: str | None = None, sheets: tuple[str, ...] = ()) -> int:
    """A workbook: ``sheets`` (notes) first, then 缴费明细 with the ``above`` rows, the header and ROWS. Returns the
    header's row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "缴费明细"
    for row in above:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    for i, title in enumerate(sheets):
        notes = wb.create_sheet(title, i)
        notes["A1"] = "金额单位：元；所属期格式：年月"
    wb.active = 0
    wb.save(path)
    return len(above) + 1


@pytest.mark.parametrize(
    ("above", "merge"),
    [
        ([["通辽市2024年度失业保险费缴费明细（单位：元）"]], "A1:F1"),
        ([["通辽市2024年度失业保险费缴费明细"], ["制表单位：通辽市社会保险事业服务中心", None, None, None, "单位：元"]], None),
        ([["单位信息", None, "缴费信息"]], None),  # a first header row of group titles
    ],
)
def test_a_title_above_the_header_is_found_past_and_noted(tmp_path, above, merge):
    path = tmp_path / "缴费明细.xlsx"
    header = _book(path, above, merge=merge)
    raw = read_table(path, "contributions")
    assert raw.units == {"due_fen": "yuan", "paid_fen": "yuan"}
    assert raw.notes[0].startswith(f"表头取自工作表“缴费明细”第 {header} 行（第 1 行不是表头）；其上的第 ")
    res = validate_table(raw)
    assert res.report.rows_in == 2 and res.accepted.height == 1
    # the bad month is in the Excel row the user sees
    assert res.quarantine.get_column("source_row").to_list() == [header + 2]


def test_a_csv_title_line_is_found_past(tmp_path):
    path = tmp_path / "c.csv"
    lines = ["通辽市2024年度失业保险费缴费明细", "", ",".join(HEADER), *(",".join(r) for r in ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="gbk")
    raw = read_table(path, "contributions")
    assert raw.notes[0].startswith("表头取自第 3 行（第 1 行不是表头）")
    assert validate_table(raw).quarantine.get_column("source_row").to_list() == [5]


@pytest.mark.parametrize("title", ["（单位：万元）", "金额单位：分"])
def test_a_title_that_states_another_unit_than_the_header_is_refused(tmp_path, title):
    path = tmp_path / "缴费明细.xlsx"
    _book(path, [[f"通辽市缴费明细{title}"]])
    with pytest.raises(IngestError) as e:
        read_table(path, "contributions")
    assert "工作表“缴费明细”第 1 行写明" in e.value.message_zh and "以元计" in e.value.message_zh
    assert "未读取此文件" in e.value.message_zh


def test_a_notes_sheet_first_is_refused_naming_where_the_header_was_read_and_the_options(tmp_path):
    path = tmp_path / "缴费明细.xlsx"
    _book(path, [], sheets=("填表说明",))
    with pytest.raises(IngestError) as e:
        read_table(path, "contributions")
    zh, en = e.value.message_zh, e.value.message_en
    assert "缺少必填列“统一社会信用代码”" in zh
    assert "表头取自工作表“填表说明”第 1 行（第一个非空行），前 10 行中也没有一行含有本表的全部必填列" in zh
    assert "请用 --sheet contributions=工作表名 指定（工作表“缴费明细”第 1 行含有本表的表头）" in zh
    assert "--header-row contributions=行号" in zh
    assert "sheet '缴费明细' has the table's header in row 1" in en
    raw = read_table(path, "contributions", sheet="缴费明细")
    assert validate_table(raw).quarantine.get_column("source_row").to_list() == [3]


def test_a_header_row_asked_for_is_used_or_refused_pointing_to_the_right_one(tmp_path):
    path = tmp_path / "缴费明细.xlsx"
    _book(path, [["通辽市缴费明细"], ["制表单位：通辽市社会保险事业服务中心"]])
    assert validate_table(read_table(path, "contributions", header_row=3)).quarantine["source_row"].to_list() == [5]
    with pytest.raises(IngestError) as e:
        read_table(path, "contributions", header_row=2)
    assert "表头按指定取自工作表“缴费明细”第 2 行" in e.value.message_zh
    assert "（工作表“缴费明细”第 3 行含有本表的表头）" in e.value.message_zh


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("headers")
    paths = generate_region(root / "data", region_code="150500", n_units=40, year=2025, seed=3)
    monthly = pl.read_parquet(paths["contributions"] / "*.parquet").select(pl.all().cast(pl.String))
    return root, paths, monthly


def _args(paths: dict[str, Path], monthly: Path, out: Path) -> list[str]:
    return [
        "screen", "--date", "2025-08-01", "--year", "2025", "--region", "150500", "--out", str(out), "--no-excel",
        "--json", "--units", str(paths["units"]), "--contributions", str(monthly), "--headcount", str(paths["headcount"]),
    ]  # fmt: skip


def test_screen_takes_sheet_and_header_row_per_table(region, tmp_path):
    root, paths, monthly = region
    path = tmp_path / "缴费明细.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "金额单位：分"
    ws = wb.create_sheet("明细")
    ws.append(["通辽市缴费明细"])
    ws.append([])
    ws.append(monthly.columns)
    for row in monthly.iter_rows():
        ws.append(list(row))
    wb.save(path)
    refused = runner.invoke(app, _args(paths, path, tmp_path / "a"))
    assert refused.exit_code != 0
    assert "工作表“填表说明”第 1 行" in refused.output and "--sheet contributions=工作表名" in refused.output
    assert "工作表“明细”第 3 行含有本表的表头" in refused.output
    ok = runner.invoke(app, [*_args(paths, path, tmp_path / "b"), "--sheet", "contributions=明细", "--header-row", "contributions=3"])
    assert ok.exit_code == 0, ok.output
    found = runner.invoke(app, [*_args(paths, path, tmp_path / "c"), "--sheet", "--contributions=明细"])
    assert found.exit_code == 0, found.output
    assert "表头取自工作表“明细”第 3 行" in found.output
    for bad, says in [
        (["--sheet", "units=明细"], "--sheet 只用于 Excel 表格"),
        (["--sheet", "exclusions=明细"], "不是本次给出的数据表"),
        (["--header-row", "contributions=0"], "行号应为正整数"),
        (["--header-row", "units=1"], "--header-row 只用于 CSV 与 Excel 表格"),  # the registry is Parquet
        (["--header-row", "units"], "应写作 名称=取值"),
    ]:
        r = runner.invoke(app, [*_args(paths, path, tmp_path / "d"), *bad])
        assert r.exit_code != 0 and says in r.output, (bad, r.output)


def test_a_header_refused_for_its_own_fault_is_not_looked_past(tmp_path):
    """Two columns for one field: the header is row 1 and wrong; nothing is looked for below it, nothing added."""
    path = tmp_path / "c.csv"
    path.write_text("统一社会信用代码,单位名称,单位全称\n" + f"{A},某某公司,某某公司\n", encoding="utf-8")
    with pytest.raises(IngestError) as e:
        read_table(path, "units")
    assert "都对应字段 name" in e.value.message_zh and "表头取自" not in e.value.message_zh
