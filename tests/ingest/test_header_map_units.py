"""A ``--header-map`` line never overrides the unit a header writes (decisions §102): "The header says the unit;
nothing is guessed". ``应缴金额(分)`` mapped to ``due_yuan`` read fen as 元 (refunds 100× too large); ``营业收入（元）``
mapped to ``revenue_10k_yuan`` read 元 as 万元 (revenue ×10,000), as the screen's own hint suggested."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.ingest import IngestError
from wengang.ingest.headers import FEN, YUAN, load_header_map, resolve
from wengang.screening.schemas import ALL_TABLES

CONTRIB = ALL_TABLES["contributions"].scope()
UNITS = ALL_TABLES["units"].scope()
MONTHLY = ["统一社会信用代码", "费款所属期", "应缴金额(分)", "实缴金额(分)", "缴费日期", "缴费人数"]
runner = CliRunner()


def _map(tmp_path: Path, text: str) -> object:
    path = tmp_path / "map.csv"
    path.write_text(text, encoding="utf-8")
    return load_header_map(path)


@pytest.mark.parametrize(
    ("line", "columns", "stated", "wanted"),
    [
        ("应缴金额(分),due_yuan", MONTHLY, "分", "元"),
        ("应缴金额（分）,应缴金额(元)", MONTHLY, "分", "元"),
        ("实缴金额(分),paid_yuan", MONTHLY, "分", "元"),
        ("应缴金额(元),due_fen", ["应缴金额(元)"], "元", "分"),
        ("应缴金额(万元),应缴金额", ["应缴金额(万元)"], "万元", "元"),
        ("本期应缴(万元),due_fen", ["本期应缴(万元)"], "万元", "分"),
    ],
)
def test_a_mapping_against_the_amount_unit_its_header_states_is_refused(
    tmp_path, line, columns, stated, wanted
):
    hmap = _map(tmp_path, line + "\n")
    with pytest.raises(IngestError) as e:
        resolve(columns, CONTRIB, header_map=hmap, required=(), source="c.csv")
    msg = str(e.value)
    local = line.split(",")[0].replace("（", "(").replace("）", ")")
    assert (
        msg.startswith(f"文件 c.csv 的列“{local}”的表头写明以{stated}计")
        and f"以{wanted}计" in msg
        and "单位矛盾" in msg
    )
    assert "the units contradict" in msg


@pytest.mark.parametrize("target", ["revenue_10k_yuan", "营业收入(万元)", "营业收入（万元）"])
def test_revenue_in_yuan_mapped_to_a_ten_thousand_yuan_field_is_refused(tmp_path, target):
    hmap = _map(tmp_path, f"营业收入（元）,{target}\n")
    with pytest.raises(IngestError) as e:
        resolve(["统一社会信用代码", "营业收入（元）"], UNITS, header_map=hmap, required=(), source="u.csv")
    msg = str(e.value)
    assert "“营业收入(元)”的表头写明以元计" in msg and "以万元计" in msg and "请先在文件中换算为万元" in msg


def test_a_unit_header_mapped_to_a_field_that_is_no_amount_is_refused(tmp_path):
    with pytest.raises(IngestError) as e:
        resolve(
            ["缴费人数(元)"],
            CONTRIB,
            header_map=_map(tmp_path, "缴费人数(元),insured_persons\n"),
            required=(),
        )
    assert "字段 insured_persons 不是金额" in str(e.value)


def test_a_unit_header_mapped_to_the_field_alone_is_read_in_its_own_unit(tmp_path):
    """A target that names the field without a unit (``应缴金额``): the header's 分 decides, not the 元 a Chinese
    header without a unit is read in (before: read as 元, 100× too much)."""
    hmap = _map(tmp_path, "应缴金额(分),应缴金额\n本期实缴（分）,实缴金额\n")
    res = resolve(["应缴金额(分)", "本期实缴（分）"], CONTRIB, header_map=hmap, required=())
    assert res.rename == {"应缴金额(分)": "due_fen", "本期实缴（分）": "paid_fen"}
    assert res.units == {"due_fen": FEN, "paid_fen": FEN}
    # the same unit as the target's: as before
    hmap = _map(tmp_path, "应缴金额(分),due_fen\n本期应缴（元）,due_yuan\n")
    assert resolve(["应缴金额(分)"], CONTRIB, header_map=hmap, required=()).units == {"due_fen": FEN}
    assert resolve(["本期应缴（元）"], CONTRIB, header_map=hmap, required=()).units == {"due_fen": YUAN}


def test_a_contradicting_line_refuses_only_a_file_that_has_the_column(tmp_path):
    """One mapping file serves every table: a line about a column this file does not have refuses nothing."""
    hmap = _map(tmp_path, "应缴金额(分),due_yuan\n营业收入（元）,revenue_10k_yuan\n")
    res = resolve(
        ["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数"],
        CONTRIB,
        header_map=hmap,
    )
    assert res.units == {"due_fen": YUAN, "paid_fen": YUAN}
    assert (
        resolve(["统一社会信用代码", "营业收入(万元)"], UNITS, header_map=hmap, required=()).rename[
            "营业收入(万元)"
        ]
        == "revenue_10k_yuan"
    )


def test_the_hint_does_not_suggest_mapping_a_header_in_another_unit():
    res = resolve(
        ["统一社会信用代码", "单位名称", "参保地行政区划代码", "单位类型", "营业收入（元）", "资产总额(元)"],
        UNITS,
    )
    note = res.note()
    assert "“营业收入（元）”（近似“营业收入(万元)”，但单位不同：本列以元计，该列以万元计" in note
    assert "不能用 --header-map 直接对应" in note and "如为同一列请用 --header-map 指定" not in note
    assert "but in 元, not 万元" in note
    # a near match in the same unit still gets the plain hint
    assert "如为同一列请用 --header-map 指定" in resolve(["单位名"], UNITS, required=()).note()


def test_screen_and_evaluate_refuse_the_mapping(tmp_path):
    """The audit's cases end to end: exit 2, no results; evaluate --row the same."""
    monthly = tmp_path / "c.csv"
    monthly.write_text(
        ",".join(MONTHLY) + "\n91150522MA0000007D,2024-01,19248,19248,2024-01-15,3\n", encoding="utf-8"
    )
    units = tmp_path / "u.csv"
    units.write_text("统一社会信用代码,单位名称,参保地行政区划代码,单位类型\n91150522MA0000007D,某单位,150522,enterprise\n",
                     encoding="utf-8")  # fmt: skip
    hm = tmp_path / "hm.csv"
    hm.write_text("应缴金额(分),due_yuan\n实缴金额(分),paid_yuan\n", encoding="utf-8")
    r = runner.invoke(app, ["screen", "--date", "2025-08-01", "--year", "2025", "--out", str(tmp_path / "out"),
                            "--units", str(units), "--contributions", str(monthly), "--header-map", str(hm)])  # fmt: skip
    assert r.exit_code == 2, r.output
    assert "表头写明以分计" in "".join(r.output.split())
    assert not (tmp_path / "out" / "results.parquet").exists()

    row = tmp_path / "row.csv"
    row.write_text(
        "统一社会信用代码,单位名称,参保地行政区划代码,单位类型,企业划型,连续足额缴费月数,上年度实缴失业保险费（分）,参保人数,"
        "上年度月均参保人数,上年度裁员人数,上年度正常减员人数,有对公账户\n"
        "91150502MA0N1234XN,顺达商贸,150502,enterprise,small,36,1864050,42,43,0,2,是\n",
        encoding="utf-8",
    )
    base = ["evaluate", "-p", "fanhuan", "-r", "通辽", "-d", "2025-08-01", str(row), "--row", "1", "--json"]
    plain = runner.invoke(app, base)
    assert plain.exit_code == 0, plain.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("上年度实缴失业保险费（分）,paid_premium_last_year_yuan\n", encoding="utf-8")
    r = runner.invoke(app, [*base, "--header-map", str(wrong)])
    assert r.exit_code == 2 and "表头写明以分计" in "".join(r.output.split()), r.output
    # mapped to the field alone: read in the header's 分, the same amount as without the map
    right = tmp_path / "right.csv"
    right.write_text("上年度实缴失业保险费（分）,上年度实缴失业保险费\n", encoding="utf-8")
    r = runner.invoke(app, [*base, "--header-map", str(right)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["amount_fen"] == json.loads(plain.output)["amount_fen"]
