"""Values as agencies hold them (outside audit, session 35): accepted exactly or refused clearly, never read wrong.

* a number cell's binary residue (``=192.48*3`` is stored 577.4399999999999, shown 577.44) reads as Excel shows it,
  to 15 significant digits — a true ``192.485`` is still refused;
* an identifier that was a number cell (more than 15 digits, or its exponent form) is refused saying so;
* 万元 figures with decimals (``631.35``), ``民办非企业单位``, ``√``/``×`` are read;
* a full-width identifier reads as the code it shows (NFKC).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from wengang.facts.identifiers import make_credit_code
from wengang.facts.unit import OrgType, UnitFacts
from wengang.ingest import columns as C
from wengang.ingest import values as V
from wengang.ingest.record import normalise_record, read_record

CODE = make_credit_code("91", "150523", "MA0000058")
FULL_WIDTH = CODE.translate(str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ"))


def _column(fn, values: list[str | None], *args) -> tuple[list, list[str | None]]:
    """A column builder of ``wengang.ingest.columns`` on ``values``: the values read and each row's reasons."""
    frame = pl.DataFrame({"x": pl.Series(values, dtype=pl.String)})
    v, faults = fn(pl.col("x"), "x", pl.String(), *args)
    reasons = pl.concat_str(
        [pl.when(flag.fill_null(False)).then(zh if isinstance(zh, pl.Expr) else pl.lit(zh)) for flag, zh, _, _ in faults],
        separator="；",
        ignore_nulls=True,
    )
    out = frame.select(v.alias("v"), pl.when(reasons != "").then(reasons).alias("r"))
    return out.get_column("v").to_list(), out.get_column("r").to_list()


# ------------------------------------------------------------------ a number cell's residue: 15 significant digits


def test_number_cell_text_is_what_excel_shows():
    assert V.number_cell_text(577.4399999999999) == "577.44"  # =192.48*3
    assert V.number_cell_text(0.1 + 0.2 + 192.18) == "192.48"  # 192.48000000000002
    assert V.number_cell_text(202401.0) == "202401"
    assert V.number_cell_text(1e-7) == "0.0000001"
    assert V.number_cell_text(192.485) == "192.485"  # a true third decimal stays, to be refused as an amount


def test_amount_with_residue_reads_as_shown_and_a_true_third_decimal_is_refused():
    assert V.amount_to_fen("577.4399999999999", V.YUAN) == 57744
    assert V.amount_to_fen("192.48000000000002", V.YUAN) == 19248
    assert V.amount_to_fen(Decimal("577.4399999999999"), V.YUAN) == 57744
    # a true third decimal; and digits a double tells apart from the 15-digit rounding (eight units in its last
    # place: no residue of arithmetic) — refused, never rounded
    for refused in ("192.485", "192.4849999999999", "1234.567", "1000000000.000001"):
        with pytest.raises(V.ValueProblem, match="超过两位小数"):
            V.amount_to_fen(refused, V.YUAN)
    # the column reader (screening) reads them the same: the residue through the scalar reader, the fast path as before
    got, why = _column(C.money, ["577.4399999999999", "192.485", "1,234.56", "192.48000000000002"], V.YUAN)
    assert got == [57744, None, 123456, 19248]
    assert why[0] is None and "超过两位小数" in why[1] and why[2] is None and why[3] is None


def test_a_whole_number_with_residue_is_the_whole_number_and_a_long_whole_part_is_not_rounded():
    assert V.parse_int("3.0000000000000004") == 3
    with pytest.raises(V.ValueProblem, match="不是整数"):
        V.parse_int("12345678901234567.5")  # only a fraction is read as Excel shows it, never the whole part
    got, why = _column(C.integer, ["3.0000000000000004", "3.5"], True)
    assert got == [3, None] and why[0] is None and "不是整数" in why[1]


def test_xlsx_float_cell_with_residue_is_read_as_excel_shows_it(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "上年度实缴失业保险费"])
    ws.append([CODE, 192.48 * 3])  # a number cell holding 577.4399999999999, as =192.48*3 leaves it
    wb.save(tmp_path / "one.xlsx")
    assert repr(ws["B2"].value) == "577.4399999999999"
    norm = normalise_record(UnitFacts, read_record(tmp_path / "one.xlsx"))
    assert norm.problems == [] and norm.data["paid_premium_last_year_fen"] == 57744


# ------------------------------------------------------------------ identifiers that were number cells


def test_a_number_cell_of_more_than_15_digits_is_refused_as_a_truncated_identifier():
    for value, shown in (
        (6222000000000000, "6222000000000000"),  # 16 digits typed, Excel kept 15 and a 0
        (6.22202123456789e18, "6222021234567890000"),  # 19 digits: shown as digits, not 6.22202123456789e+18
    ):
        with pytest.raises(V.ValueProblem) as e:
            V.number_cell_text(value)
        assert e.value.zh.startswith("账号、证件号码、统一社会信用代码等编号须以文本格式填写：数值单元格只保留15位有效数字")
        assert f"“{shown}”" in e.value.zh and "e+18" not in str(e.value)
        assert "identifiers (account, ID number, credit code …) must be text cells" in e.value.en
    assert V.number_cell_text(622200000000000) == "622200000000000"  # 15 digits: exact


def test_identifier_text_is_nfkc_and_refuses_the_exponent_form():
    assert V.identifier_text(f"　{FULL_WIDTH} ") == CODE
    with pytest.raises(V.ValueProblem, match="数值单元格只保留15位有效数字") as e:
        V.identifier_text("6.22202E+18")  # a CSV exported from a number cell
    assert "“6222020000000000000”" in e.value.zh


def test_one_case_reads_a_full_width_code_and_refuses_a_number_cell_code(tmp_path: Path):
    ok = normalise_record(UnitFacts, {"统一社会信用代码": FULL_WIDTH})
    assert ok.problems == [] and ok.data["credit_code"] == CODE
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "单位名称"])
    ws.append([6.22202123456789e18, "某公司"])  # an ID-like number typed into a cell not formatted as text
    wb.save(tmp_path / "one.xlsx")
    bad = normalise_record(UnitFacts, read_record(tmp_path / "one.xlsx"))
    assert [p[0] for p in bad.problems] == ["credit_code（表头“统一社会信用代码”）"]
    assert "须以文本格式填写" in bad.problems[0][1] and "must be text cells" in bad.problems[0][2]


# ------------------------------------------------------------------ 人社 registry values


def test_ten_thousand_yuan_with_decimals_is_the_whole_ten_thousand_reached():
    assert [V.whole_ten_thousand_yuan(x) for x in ("631.35", "631", "1,999.9999", "0.0001", "631.3500000000001")] == [
        631, 631, 1999, 0, 631,
    ]  # fmt: skip
    with pytest.raises(V.ValueProblem, match="最多四位小数"):
        V.whole_ten_thousand_yuan("631.35001")  # finer than one 元
    with pytest.raises(V.ValueProblem, match="不能为负数"):
        V.whole_ten_thousand_yuan("-1.5")
    got, why = _column(C.ten_thousand_yuan, ["631.35", "2,000", "１９９９．９９", "631.35001", "-1", None])
    assert got == [631, 2000, 1999, None, None, None]
    assert why[:3] == [None, None, None] and "最多四位小数" in why[3] and "不能为负数" in why[4]
    # one case: the model's integer field gets the whole 万元, which meets the same 2017 bounds the figure does
    norm = normalise_record(UnitFacts, {"统一社会信用代码": CODE, "营业收入（万元）": "1999.99", "资产总额（万元）": "300.5"})
    assert norm.problems == [] and (norm.data["revenue_10k_yuan"], norm.data["assets_10k_yuan"]) == (1999, 300)


def test_registry_labels_of_org_type_and_check_marks():
    assert V.parse_enum("民办非企业单位", OrgType) == "social_service_org"
    assert V.parse_enum("企业单位", OrgType) == V.parse_enum("有限责任公司", OrgType) == "enterprise"
    assert [V.parse_bool(x) for x in ("√", "×", "✓", "✗", "有", "无")] == [True, False, True, False, True, False]
    with pytest.raises(V.ValueProblem, match="√/×"):
        V.parse_bool("？")
    got, _ = _column(C.boolean, ["√", "×", "是"])
    assert got == [True, False, True]
    v, _ = C.enum(pl.col("x"), "x", tuple(o.value for o in OrgType))
    assert pl.DataFrame({"x": ["民办非企业单位", "企业单位"]}).select(v).to_series().to_list() == [
        "social_service_org", "enterprise",
    ]  # fmt: skip
