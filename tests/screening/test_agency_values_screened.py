"""A registry and monthly rows as agencies hold them, screened (outside audit, session 35).

The 人社 registry's own spellings — a full-width code, ``民办非企业单位``, ``√``/``×``, 万元 with decimals — are read,
not quarantined; a unit whose registry row is quarantined is said to be so on its monthly rows even where that
row's code could not be read; reasons name a field by its Chinese header; quarantine.xlsx is headed in Chinese.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from wengang.ingest.values import NUMBER_CELL_ZH
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.ingest import read_table
from wengang.screening.pipeline import run_screening
from wengang.screening.quarantine import QUARANTINE_HEADERS, validate_table

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
FULL = str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ")
# the registry's columns under the headers a 人社 export gives them
AGENCY = {
    "credit_code": "统一社会信用代码",
    "name": "单位名称",
    "region_code": "参保地行政区划代码",
    "org_type": "单位类型",
    "legal_entity_credit_code": "所属独立法人统一社会信用代码",
    "industry_code": "国民经济行业代码",
    "employees": "从业人员数",
    "revenue_10k_yuan": "营业收入（万元）",
    "assets_10k_yuan": "资产总额（万元）",
    "has_corporate_account": "是否有对公账户",
    "has_tax_payment_account": "有税务社保缴费账户",
    "is_dispatch_firm": "是否劳务派遣单位",
}


def _screen(out: Path, tables: dict[str, Path], **kw):
    return run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED, **kw
    )


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("agency")
    paths = generate_region(root / "data", region_code="150500", n_units=40, year=2025, seed=11)
    tables = {k: paths[k] for k in TABLES}
    _screen(root / "base", tables, excel=False)
    units = pl.read_parquet(tables["units"] / "*.parquet")
    return root, tables, units


def _registry_csv(units: pl.DataFrame, path: Path) -> Path:
    """``units`` as a GBK CSV with the agency's headers (yes/no as 是/否), as a 人社 system exports it."""
    text = units.with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, return_dtype=pl.String)
    ).select(pl.all().cast(pl.String))
    text.rename(AGENCY).write_csv(path)
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    return path


def test_registry_spellings_are_read_not_quarantined(region, tmp_path):
    root, tables, units = region
    codes = units.get_column("credit_code").to_list()
    wide, ngo, ticked, crossed = codes[0], codes[1], codes[2], codes[3]
    agency = units.with_columns(
        pl.when(pl.col("credit_code") == wide).then(pl.lit(wide.translate(FULL))).otherwise("credit_code")
        .alias("credit_code"),
        pl.when(pl.col("credit_code") == ngo).then(pl.lit("民办非企业单位")).otherwise("org_type").alias("org_type"),
        # statistics exports: 万元 with decimals
        (pl.col("revenue_10k_yuan").cast(pl.String) + ".35").alias("revenue_10k_yuan"),
        (pl.col("assets_10k_yuan").cast(pl.String) + ".9999").alias("assets_10k_yuan"),
    ).select(pl.all().cast(pl.String))
    agency = agency.with_columns(
        pl.when(pl.col("credit_code") == ticked).then(pl.lit("√"))
        .when(pl.col("credit_code") == crossed).then(pl.lit("×"))
        .otherwise(pl.col("has_corporate_account").replace_strict({"true": "是", "false": "否"}, default=None))
        .alias("has_corporate_account"),
    )  # fmt: skip
    path = tmp_path / "单位登记.csv"
    agency.rename(AGENCY).write_csv(path)
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))

    report = _screen(tmp_path / "out", {**tables, "units": path}, excel=False)
    registry = next(r for r in report.reports if r.table == "units")
    assert (registry.rows_in, registry.quarantined) == (units.height, 0), registry.by_reason
    f = pl.read_parquet(tmp_path / "out" / "features.parquet")
    base = pl.read_parquet(root / "base" / "features.parquet")
    got = dict(zip(f.get_column("credit_code").to_list(), f.iter_rows(named=True), strict=True))
    assert wide in got  # the full-width code is the code it shows, and its monthly rows found it
    assert got[ngo]["org_type"] == "social_service_org"
    assert (got[ticked]["has_corporate_account"], got[crossed]["has_corporate_account"]) == (True, False)
    # 万元 with decimals: the whole 万元 reached, so every unit's figures and 2017 class are the base run's
    cols = ["credit_code", "revenue_10k_yuan", "assets_10k_yuan", "size_class_2017"]
    assert f.select(cols).sort("credit_code").equals(base.select(cols).sort("credit_code"))
    monthly = next(r for r in report.reports if r.table == "contributions")
    assert not any("registry" in k for k in monthly.by_reason), monthly.by_reason


def test_a_finer_ten_thousand_figure_is_refused_by_its_header(region, tmp_path):
    root, tables, units = region
    unit = units.get_column("credit_code")[5]
    agency = units.with_columns(
        pl.when(pl.col("credit_code") == unit).then(pl.lit("631.35001")).otherwise(pl.col("revenue_10k_yuan").cast(pl.String))
        .alias("revenue_10k_yuan")
    )  # fmt: skip
    path = _registry_csv(agency, tmp_path / "单位登记.csv")
    res = validate_table(read_table(path, "units"))
    (row,) = res.quarantine.iter_rows(named=True)
    assert row["field"] == "revenue_10k_yuan" and row["value"] == "631.35001"
    assert row["reason_zh"] == "营业收入（万元）：以万元计最多四位小数（即精确到元）：“631.35001”"
    assert row["reason_en"].startswith("revenue_10k_yuan: a figure in 10k yuan has at most four decimals")


def test_monthly_rows_of_a_registry_row_quarantined_for_its_code_say_so(region, tmp_path):
    """The registry has the unit, but its code there carries a stray character: the row is quarantined, and the
    unit's monthly rows say that its registry row is quarantined — not that the registry has no such unit."""
    root, tables, units = region
    unit = units.get_column("credit_code")[7]
    stray = unit[:8] + "·" + unit[8:]
    agency = units.with_columns(
        pl.when(pl.col("credit_code") == unit).then(pl.lit(stray)).otherwise("credit_code").alias("credit_code")
    )
    path = _registry_csv(agency, tmp_path / "单位登记.csv")
    report = _screen(tmp_path / "out", {**tables, "units": path}, excel=False)
    own = pl.read_parquet(tables["contributions"] / "*.parquet").filter(pl.col("credit_code") == unit).height
    monthly = next(r for r in report.reports if r.table == "contributions")
    assert own > 0 and monthly.by_reason.get("credit_code: the unit's registry row is quarantined") == own
    assert "credit_code: unit not in the unit registry" not in monthly.by_reason
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    theirs = q.filter(pl.col("value") == unit)
    assert theirs.height == own
    assert theirs.get_column("reason_zh").unique().to_list() == ["统一社会信用代码：该单位的登记信息有误已被隔离，本记录无法归属"]
    assert report.reconciles


def test_reasons_name_the_field_in_chinese_and_quarantine_xlsx_is_headed_in_chinese(region, tmp_path):
    root, tables, units = region
    rows = pl.read_parquet(tables["contributions"] / "*.parquet").select(pl.all().cast(pl.String))
    bad = rows.head(1).with_columns(pl.lit("2019-01").alias("month"), pl.lit("-5").alias("due_fen"))
    path = tmp_path / "缴费明细.csv"
    # the code and month under agency headers; the amounts in 分 under their names
    pl.concat([rows, bad]).rename({"credit_code": "统一社会信用代码", "month": "费款所属期"}).write_csv(path)
    report = _screen(tmp_path / "out", {**tables, "contributions": path}, excel=True)
    assert report.reconciles
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    mine = q.filter((pl.col("value") == "-5") & (pl.col("field") == "due_fen")).row(0, named=True)
    assert "应缴金额：金额为负" in mine["reason_zh"] and "due_fen：" not in mine["reason_zh"]
    assert "due_fen: negative amount" in mine["reason_en"]
    ws = openpyxl.load_workbook(tmp_path / "out" / "quarantine.xlsx", read_only=True).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert header == list(QUARANTINE_HEADERS.values())
    assert header[0].startswith("来源文件") and header[4].startswith("原因")


def test_xlsx_number_cells_residue_read_and_long_identifier_refused(tmp_path):
    from wengang.facts.identifiers import make_credit_code

    a, b = make_credit_code("91", "150502", "MA0000001"), make_credit_code("91", "150502", "MA0000002")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数"])
    ws.append([a, "2024-01", 192.48 * 3, 192.48 * 3, "2024-01-15", 3])  # =192.48*3 as pasted: 577.4399999999999
    ws.append([a, "2024-02", "192.485", "192.48", "2024-02-15", 3])  # a true third decimal
    ws.append([6.22202123456789e18, "2024-03", "1", "1", "2024-03-15", 3])  # a code typed as a number
    ws.append([b, "2024-03", 100.1 + 0.2, "100.3", "2024-03-15", 3.0000000000000004])
    wb.save(tmp_path / "c.xlsx")
    res = validate_table(read_table(tmp_path / "c.xlsx", "contributions"))
    good = res.accepted.sort("month")
    assert good.get_column("due_fen").to_list() == [57744, 10030]
    assert good.get_column("insured_persons").to_list() == [3, 3]
    q = {r["field"]: r for r in res.quarantine.iter_rows(named=True)}
    assert set(q) == {"due_fen", "credit_code"}
    assert q["due_fen"]["reason_zh"] == "应缴金额：金额超过两位小数" and q["due_fen"]["value"] == "192.485"
    shown = q["credit_code"]["reason_zh"]
    prefix = NUMBER_CELL_ZH.split("“", 1)[0]
    # (read as the exponent text of the float, or — the XLSX reader refusing such a number cell — as a cell error
    # that names the cell first: either way the reason says what happened)
    assert shown.startswith("统一社会信用代码：") and prefix in shown and "含有不允许的字符" not in shown
    assert "must be text cells" in q["credit_code"]["reason_en"]


def test_an_unread_code_cell_is_not_also_called_empty(tmp_path):
    """A code cell that was not read (a formula; with the XLSX reader's number-cell rule, a code typed as a number)
    is quarantined for that reason alone, as any other column's unread cell is — not also as a required field left
    empty."""
    from wengang.facts.identifiers import make_credit_code

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数"])
    ws.append([make_credit_code("91", "150502", "MA0000001"), "2024-01", "1", "1", "2024-01-15", 3])
    ws.append(['=VLOOKUP(B3,单位!A:B,2,0)', "2024-02", "1", "1", "2024-02-15", 3])
    wb.save(tmp_path / "c.xlsx")
    res = validate_table(read_table(tmp_path / "c.xlsx", "contributions"))
    (row,) = res.quarantine.iter_rows(named=True)
    assert row["field"] == "credit_code" and "公式" in row["reason_zh"] and "必填字段为空" not in row["reason_zh"]
