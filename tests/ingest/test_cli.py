"""End to end: an agency's Chinese-header export gives the same decisions as the canonical columns.

``wengang screen`` on XLSX files headed and filled as exported (Chinese headers, 元 with decimals, Chinese
labels, 是/否, months as 2024年1月 or date cells, dates in several forms and as serial days) equals the run
on the canonical Parquet of the same data; ``wengang evaluate`` on a Chinese-header record (JSON, or a
row of an XLSX) decides as on the canonical facts; bad input exits 2 naming the field.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from wengang.cli import app
from wengang.ingest.headers import AGENCY_HEADERS
from wengang.ingest.values import EXCEL_EPOCH_1900, code_labels
from wengang.screening.demo_data import generate_region
from wengang.screening.schemas import ALL_TABLES

runner = CliRunner()
TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fanhuan" / "eligible_sme.json"


def _export_value(kind: str | None, value, i: int):
    """``value`` as an agency's export would hold it (varied by row ``i``)."""
    if value is None:
        return None
    if kind == "money":  # 元: text with separators, or a number cell
        yuan = Decimal(value) / 100
        return f"{yuan:,.2f}" if i % 2 else float(yuan)
    if kind == "enum":
        return code_labels(value)[-1] if code_labels(value) else value
    if kind == "bool":
        return "是" if value else "否"
    if kind == "month":
        y, m = int(value[:4]), int(value[5:7])
        return [f"{y}年{m}月", datetime(y, m, 1), f"{y}/{m}/1", f"{y}{m:02d}"][i % 4]
    if kind == "date":
        return [datetime(value.year, value.month, value.day), f"{value.year}年{value.month}月{value.day}日",
                (value - EXCEL_EPOCH_1900).days, f"{value.year}/{value.month}/{value.day}"][i % 4]  # fmt: skip
    return value


def _to_xlsx(parquet: Path, table: str, out: Path) -> Path:
    schema = ALL_TABLES[table]
    df = pl.read_parquet(parquet)
    headers = []
    for name in df.columns:
        col = schema.column(name)
        agency = AGENCY_HEADERS.get(name, ())
        # the agency's own header where the table has one, else the standard Chinese header
        headers.append(agency[-1] if agency and table in ("contributions", "headcount") else col.zh)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = schema.zh[:30]
    ws.append(["序号", *headers])  # a running number the system does not read
    for i, row in enumerate(df.iter_rows()):
        ws.append([i + 1, *(_export_value(schema.column(n).kind, v, i) for n, v in zip(df.columns, row, strict=True))])
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("agency")
    paths = generate_region(root / "data", region_code="150500", n_units=150, year=2025, seed=5)
    xlsx = {t: _to_xlsx(paths[t], t, root / f"{t}.xlsx") for t in TABLES}
    return root, paths, xlsx


def _screen(out: Path, tables: dict[str, Path]) -> dict:
    args = ["screen", "--date", "2025-08-01", "--year", "2025", "--region", "150500", "--out", str(out), "--json", "--no-excel"]
    for t, p in tables.items():
        args += [f"--{t.replace('_', '-')}", str(p)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _next_rows(text: str) -> str:
    """Every row a hold text names (``第 3、5 行``, ``第 3、5 等 7 行``) one further down: record N is sheet row N + 1."""
    import re

    def shift(m: re.Match[str]) -> str:
        return "第 " + "、".join(str(int(n) + 1) for n in m.group(1).split("、")) + m.group(2)

    return re.sub(r"第 ([\d、]+)( 等| 行)", shift, text)


def test_screen_on_a_chinese_header_xlsx_export_equals_the_canonical_parquet(region):
    root, paths, xlsx = region
    canonical = _screen(root / "parquet", {t: paths[t] for t in TABLES})
    exported = _screen(root / "xlsx", xlsx)
    for a, b in zip(canonical["input"], exported["input"], strict=True):
        assert (a["table"], a["in"], a["accepted"], a["quarantined"]) == (b["table"], b["in"], b["accepted"], b["quarantined"])
        assert "“序号”" in b["notes"][0]  # ignored, and said so
    # rows are numbered as each file shows them (decisions §97): a Parquet file's record number, the Excel row of
    # the sheet, whose header is row 1; so the sheet's row is the record's number + 1, in hold texts as well
    want_summary = {k: v for k, v in canonical["summary"].items() if k != "files"}
    assert want_summary["payment_hold"]["quarantine"]  # the comparison covers a hold text naming a row
    want_summary = json.loads(_next_rows(json.dumps(want_summary, ensure_ascii=False)))
    assert want_summary == {k: v for k, v in exported["summary"].items() if k != "files"}
    # the demo's deliberately bad rows are quarantined from both, with the same reasons
    # (reason_zh names the field by the file's header: 应缴失业保险费 in the export, 应缴金额 for the canonical
    # due_fen; the reasons after the names are the same)
    cols = ["source_row", "field", "reason_zh", "reason_en"]
    unnamed = pl.col("reason_zh").str.replace_all(r"(^|；)[^：；]+：", "$1")
    want_q = pl.read_parquet(root / "parquet" / "quarantine.parquet").select(cols)
    assert want_q.height > 0
    want_q = want_q.with_columns(pl.col("source_row") + 1, unnamed)
    got_q = pl.read_parquet(root / "xlsx" / "quarantine.parquet").select(cols).with_columns(unnamed)
    assert_frame_equal(want_q, got_q)
    for name in ("results.parquet", "features.parquet"):
        want = pl.read_parquet(root / "parquet" / name).sort("credit_code")
        if "payment_hold_reason" in want.columns:
            shifted = pl.col("payment_hold_reason").map_elements(_next_rows, return_dtype=pl.String)
            want = want.with_columns(shifted)
        got = pl.read_parquet(root / "xlsx" / name).sort("credit_code")
        assert_frame_equal(want, got)
    statuses = pl.read_parquet(root / "xlsx" / "results.parquet")["status"].cast(pl.String).unique().to_list()
    assert "eligible" in statuses  # the comparison covers real amounts, not only refusals


def test_screen_with_the_users_header_map(region, tmp_path: Path):
    root, paths, _ = region
    local = tmp_path / "stats.csv"
    df = pl.read_parquet(paths["stats_size"]).rename({"credit_code": "单位识别号", "size_class": "本局划型"})
    local.write_bytes(df.with_columns(pl.col("本局划型").replace({"micro": "微型", "small": "小型"})).write_csv().encode("gbk"))
    hmap = tmp_path / "map.csv"
    hmap.write_text("单位识别号,统一社会信用代码\n本局划型,统计划型\n", encoding="utf-8")
    tables = {t: paths[t] for t in TABLES} | {"stats_size": local}
    args = ["screen", "--date", "2025-08-01", "--year", "2025", "--out", str(tmp_path / "o"), "--json", "--no-excel"]
    for t, p in tables.items():
        args += [f"--{t.replace('_', '-')}", str(p)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "缺少必填列“统一社会信用代码”" in refused.output
    r = runner.invoke(app, [*args, "--header-map", str(hmap)])
    assert r.exit_code == 0, r.output
    stats = next(i for i in json.loads(r.output)["input"] if i["table"] == "stats_size")
    assert stats["accepted"] == df.height and stats["quarantined"] == 0


def _evaluate(path: Path, *extra: str):
    return runner.invoke(app, ["evaluate", str(path), "-p", "fanhuan", "-r", "150502", "-d", "2025-08-01", "--json", *extra])


CHINESE = {
    "统一社会信用代码": "91150502MA0N1234XN",
    "单位名称": "通辽市科尔沁区顺达商贸有限公司",
    "参保地行政区划代码": "150502",
    "单位类型": "企业",
    "企业规模": "小型",
    "连续足额缴费月数": "３６",
    "上年度实缴失业保险费": "18,640.50",
    "参保人数": 42,
    "上年度月均参保人数": "43",
    "上年度裁员人数": 0,
    "上年度正常减员人数": 2,
    "有对公账户": "是",
    "是否失信": "否",
    "序号": 7,
}


def _canonical_decision(tmp_path: Path) -> dict:
    r = _evaluate(EXAMPLE)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _same_decision(a: dict, b: dict) -> None:
    for key in ("status", "amount_fen", "policy", "subject_id", "subject_name", "reasons", "flags", "outputs", "checks"):
        assert a[key] == b[key], key


def test_evaluate_on_a_chinese_header_record_decides_as_on_the_canonical_one(tmp_path: Path):
    want = _canonical_decision(tmp_path)
    assert want["status"] == "eligible" and want["amount_fen"] > 0
    js = tmp_path / "facts.json"
    js.write_text(json.dumps(CHINESE, ensure_ascii=False), encoding="utf-8")
    r = _evaluate(js)
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    _same_decision(want, got)
    ignored = [n for n in got["notes"] if n.startswith("未识别的列已忽略")]
    assert ignored == ["未识别的列已忽略：“序号” / unknown columns ignored: '序号'"]  # every other header was read
    # one row of an XLSX export: the amount as a number cell in 元
    wb = openpyxl.Workbook()
    wb.active.append(list(CHINESE))
    wb.active.append([18640.5 if k == "上年度实缴失业保险费" else v for k, v in CHINESE.items()])
    xl = tmp_path / "facts.xlsx"
    wb.save(xl)
    r = _evaluate(xl)
    assert r.exit_code == 0, r.output
    _same_decision(want, json.loads(r.output))
    # a JSON number in 元 is read exactly, not as a float
    js.write_text(json.dumps({**CHINESE, "上年度实缴失业保险费": 18640.5}, ensure_ascii=False).replace("18640.5", "18640.50"), encoding="utf-8")
    _same_decision(want, json.loads(_evaluate(js).output))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"企业规模": "中等"}, ["size_class（表头“企业规模”）", "“中等”不是允许的取值", "小型企业/小型（small）"]),
        ({"上年度实缴失业保险费": "18640.505"}, ["paid_premium_last_year_fen（表头“上年度实缴失业保险费”）", "超过两位小数"]),
        ({"有对公账户": "也许"}, ["has_corporate_account", "不是是/否值"]),
        ({"统一社会信用代码": ""}, ["credit_code", "缺少必填字段"]),
    ],
)
def test_evaluate_with_bad_input_exits_2_naming_the_field(tmp_path: Path, change, words):
    js = tmp_path / "facts.json"
    js.write_text(json.dumps({**CHINESE, **change}, ensure_ascii=False), encoding="utf-8")
    r = _evaluate(js)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    for w in words:
        assert w in r.output, (w, r.output)


def test_evaluate_refuses_a_formula_cell_naming_sheet_and_cell(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append(list(CHINESE))
    ws.append(list(CHINESE.values()))
    col = list(CHINESE).index("上年度实缴失业保险费") + 1
    ws.cell(row=2, column=col, value="=1000*18.6405")
    xl = tmp_path / "facts.xlsx"
    wb.save(xl)
    r = _evaluate(xl)
    assert r.exit_code == 2 and f"单位!{openpyxl.utils.get_column_letter(col)}2" in r.output and "公式" in r.output
    ws.append(list(CHINESE.values()))
    wb.save(xl)
    many = _evaluate(xl)
    assert many.exit_code == 2 and "--row" in many.output
    assert _evaluate(xl, "--row", "2").exit_code == 0


def test_evaluate_with_a_header_map(tmp_path: Path):
    local = {("本单位信用码" if k == "统一社会信用代码" else k): v for k, v in CHINESE.items()}
    js = tmp_path / "facts.json"
    js.write_text(json.dumps(local, ensure_ascii=False), encoding="utf-8")
    r = _evaluate(js)
    assert r.exit_code == 2 and "credit_code" in r.output
    hmap = tmp_path / "map.yaml"
    hmap.write_text("本单位信用码: credit_code\n", encoding="utf-8")
    r = _evaluate(js, "--header-map", str(hmap))
    assert r.exit_code == 0, r.output
    _same_decision(_canonical_decision(tmp_path), json.loads(r.output))
    assert date.fromisoformat(json.loads(r.output)["date"]) == date(2025, 8, 1)


def test_screen_facts_table_with_chinese_headers_equals_the_canonical_one(region, tmp_path: Path):
    root, paths, _ = region
    _screen(root / "parquet2", {t: paths[t] for t in TABLES})
    feats = pl.read_parquet(root / "parquet2" / "features.parquet")
    canon = tmp_path / "facts.parquet"
    feats.write_parquet(canon)
    # as an agency keeps it: Chinese headers, 元 with two decimals, Chinese size labels, 是/否
    labels = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
    local = feats.with_columns(
        pl.col("paid_premium_last_year_fen").map_elements(lambda f: f"{Decimal(f) / 100:,.2f}", return_dtype=pl.String),
        pl.col("size_class").replace(labels),
        pl.col("serious_dishonesty").replace_strict({True: "是", False: "否"}, return_dtype=pl.String),
    ).rename(
        {
            "credit_code": "统一社会信用代码",
            "region_code": "参保地行政区划代码",
            "paid_premium_last_year_fen": "上年度实缴失业保险费",
            "size_class": "企业划型",
            "serious_dishonesty": "是否失信",
            "insured_headcount": "参保人数",
        }
    )
    csv = tmp_path / "facts.csv"
    csv.write_bytes(local.write_csv().encode("gb18030"))
    out = {}
    for name, path in (("canon", canon), ("local", csv)):
        r = runner.invoke(app, ["screen", "--facts", str(path), "--date", "2025-08-01", "--out", str(tmp_path / name), "--json", "--no-excel"])
        assert r.exit_code == 0, r.output
        out[name] = json.loads(r.output)
        assert out[name]["input"][0]["quarantined"] == 0
    assert out["canon"]["summary"]["by_status"] == out["local"]["summary"]["by_status"]
    want = pl.read_parquet(tmp_path / "canon" / "results.parquet").sort("credit_code")
    got = pl.read_parquet(tmp_path / "local" / "results.parquet").sort("credit_code")
    assert_frame_equal(want, got)


def test_a_bad_value_in_a_row_names_the_file_and_the_row(tmp_path: Path):
    """Outside bad-input audit F7 (session 37): a field error of `evaluate --row` named the field and its header but
    not the file or the row; a header written twice was named by the reader's ``_duplicated_0``."""
    rows = [dict(CHINESE), dict(CHINESE, 上年度实缴失业保险费="18640.505")]
    f = tmp_path / "export.csv"
    pl.DataFrame(rows).with_columns(pl.all().cast(pl.String)).write_csv(f)
    r = _evaluate(f, "--row", "2")
    assert r.exit_code == 2
    said = " ".join(r.output.split())
    assert f"输入有误（事实文件 {f} 第 2 行数据）" in said and "“18640.505”超过两位小数" in said
    wb = openpyxl.Workbook()
    wb.active.append([*CHINESE, "上年度实缴失业保险费"])
    wb.active.append([*CHINESE.values(), "1.00"])
    xl = tmp_path / "twice.xlsx"
    wb.save(xl)
    r = _evaluate(xl, "--row", "1")
    assert r.exit_code == 2 and "_duplicated_" not in r.output and "出现了不止一次" in r.output
