"""Header mapping: Chinese and canonical headers, the unit a money header says, the user's mapping file."""

from __future__ import annotations

from pathlib import Path

import pytest

from wengang.ingest import IngestError
from wengang.ingest.headers import (
    AGENCY_HEADERS,
    FEN,
    YUAN,
    _lookup,
    all_scopes,
    load_header_map,
    normalise_header,
    resolve,
)
from wengang.screening.schemas import ALL_TABLES

CONTRIB = ALL_TABLES["contributions"].scope()
UNITS = ALL_TABLES["units"].scope()


def test_no_header_names_two_fields_anywhere():
    for scope in all_scopes():  # raises on a header that would name two fields of one table or model
        table = _lookup(scope)
        assert table, scope.name


def test_the_agency_headers_of_the_brief_map_where_the_field_exists():
    want = {
        "统一社会信用代码": "credit_code",
        "单位名称": "name",
        "应缴金额": "due_fen",
        "应缴费额": "due_fen",
        "实缴金额": "paid_fen",
        "所属期": "month",
        "费款所属期": "month",
    }
    got = {h: resolve([h], CONTRIB, required=()).rename.get(h) for h in want}
    assert got == {**want, "单位名称": None}  # the monthly records have no unit name
    assert resolve(["单位名称"], UNITS, required=()).rename == {"单位名称": "name"}
    from wengang.facts.unit import UnitFacts
    from wengang.ingest.headers import model_scope

    facts = {"参保人数": "insured_headcount", "企业规模": "size_class", "企业划型": "size_class", "行业代码": "industry_code", "是否失信": "serious_dishonesty"}
    for header, field in facts.items():
        assert resolve([header], model_scope(UnitFacts), required=()).rename == {header: field}
    assert all(AGENCY_HEADERS[f] for f in facts.values())


def test_whitespace_full_width_and_markers_in_headers_are_normalised():
    assert normalise_header(" 统一 社会信用代码\u3000") == "统一社会信用代码"
    assert normalise_header("＊应缴金额（元）") == "应缴金额(元)"
    assert normalise_header("\ufeffCredit_Code") == "credit_code"
    assert normalise_header("单位名称(必填)") == "单位名称"
    res = resolve(["\ufeff统一社会信用代码 ", "＊费款所属期", "应缴金额（元）", "实缴金额(分)", " 缴费日期", "缴费人数"], CONTRIB)
    assert sorted(res.rename.values()) == ["credit_code", "due_fen", "insured_persons", "month", "paid_date", "paid_fen"]


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("应缴金额", YUAN),  # a Chinese amount header without a unit: 元, as the data dictionary declares
        ("应缴费额", YUAN),
        ("应缴金额（元）", YUAN),
        ("应缴金额(单位：元)", YUAN),
        ("应缴金额（分）", FEN),
        ("due_fen", FEN),
        ("due_yuan", YUAN),
        ("DUE_YUAN", YUAN),
    ],
)
def test_a_money_header_says_its_unit(header, unit):
    res = resolve([header], CONTRIB, required=())
    assert res.rename == {header: "due_fen"} and res.units == {"due_fen": unit}


@pytest.mark.parametrize("header", ["应缴金额（万元）", "due_fen（元）"])
def test_an_amount_unit_not_read_or_contradicted_is_refused(header):
    with pytest.raises(IngestError) as e:
        resolve([header], CONTRIB, required=(), source="x.csv")
    assert header in str(e.value) and e.value.column == "due_fen"


def test_unknown_columns_are_ignored_with_a_note_and_near_misses_named():
    res = resolve(["统一社会信用代码", "单位名称", "参保地行政区划代码", "单位类型", "序号", "备注", "单位名"], UNITS)
    assert res.ignored == ["序号", "备注", "单位名"]
    note = res.note()
    assert note.startswith("未识别的列已忽略：“序号”、“备注”、“单位名”（近似“单位名称”") and "unknown columns ignored" in note


def test_a_missing_required_column_is_refused_naming_it_and_the_nearest_column():
    with pytest.raises(IngestError) as e:
        resolve(["统一社会信用代码", "费款所属期", "应缴金额合计", "实缴金额", "缴费人数"], CONTRIB, source="c.xlsx", table_zh="月度缴费记录")
    msg = str(e.value)
    assert e.value.column == "due_fen"
    assert "缺少必填列“应缴金额”（due_fen）" in msg and "最接近的列是“应缴金额合计”" in msg and "--header-map" in msg
    assert "missing the required column 'due_fen'" in msg


def test_two_columns_for_one_field_are_refused():
    with pytest.raises(IngestError) as e:
        resolve(["统一社会信用代码", "credit_code"], CONTRIB, required=(), source="c.csv")
    assert "都对应字段 credit_code" in str(e.value)
    with pytest.raises(IngestError) as e:
        resolve(["应缴金额", "应缴金额_duplicated_0"], CONTRIB, required=(), source="c.csv")
    assert "出现了不止一次" in str(e.value)


def test_user_mapping_csv_and_yaml(tmp_path: Path):
    csv = tmp_path / "map.csv"
    csv.write_bytes("本地列名,标准字段\n# 本局导出\n单位信用码,credit_code\n本期应缴（元）,应缴金额\n本期实缴,paid_fen\n期别,所属期\n".encode("gbk"))
    hmap = load_header_map(csv)
    res = resolve(["单位信用码", "期别", "本期应缴（元）", "本期实缴", "缴费日期", "缴费人数"], CONTRIB, header_map=hmap)
    assert res.rename == {
        "单位信用码": "credit_code",
        "期别": "month",
        "本期应缴（元）": "due_fen",
        "本期实缴": "paid_fen",
        "缴费日期": "paid_date",
        "缴费人数": "insured_persons",
    }
    assert res.units == {"due_fen": YUAN, "paid_fen": FEN}  # the unit of the standard name it was mapped to
    yml = tmp_path / "map.yaml"
    yml.write_text("本期实缴: 实缴金额（分）\n单位信用码: 统一社会信用代码\n", encoding="utf-8")
    res = resolve(["单位信用码", "本期实缴"], CONTRIB, header_map=load_header_map(yml), required=())
    assert res.rename == {"单位信用码": "credit_code", "本期实缴": "paid_fen"} and res.units == {"paid_fen": FEN}


def test_a_mapping_to_an_unknown_field_is_refused_with_the_nearest(tmp_path: Path):
    bad = tmp_path / "map.csv"
    bad.write_text("本期应缴,due\n", encoding="utf-8")
    with pytest.raises(IngestError) as e:
        load_header_map(bad)
    assert "第1行" in str(e.value) and "“due”不是已知的标准字段或表头" in str(e.value) and "最接近" in str(e.value)
    three = tmp_path / "three.csv"
    three.write_text("a,b,c\n", encoding="utf-8")
    with pytest.raises(IngestError):
        load_header_map(three)
    with pytest.raises(IngestError):
        load_header_map(tmp_path / "missing.yaml")


def test_an_agency_whose_chinese_amounts_are_in_fen_says_so_in_its_mapping(tmp_path: Path):
    m = tmp_path / "map.csv"
    m.write_text("应缴金额,due_fen\n实缴金额,实缴金额（分）\n", encoding="utf-8")
    res = resolve(["统一社会信用代码", "费款所属期", "应缴金额", "实缴金额", "缴费日期", "缴费人数"], CONTRIB,
                  header_map=load_header_map(m))  # fmt: skip
    assert res.units == {"due_fen": FEN, "paid_fen": FEN}
    assert resolve(["应缴金额"], CONTRIB, required=()).units == {"due_fen": YUAN}  # without the mapping: 元
