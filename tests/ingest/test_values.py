"""The scalar readers: amounts in 元/分 exactly, yes/no and enum labels, date and month forms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wengang.facts.unit import OrgType, SizeClass
from wengang.ingest.values import (
    EXCEL_EPOCH_1900,
    EXCEL_EPOCH_1904,
    FEN,
    YUAN,
    ValueProblem,
    amount_to_fen,
    enum_label_map,
    parse_bool,
    parse_date,
    parse_enum,
    parse_int,
    parse_month,
)

FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")

# amounts with at most two decimals, as Decimal
amounts = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2, allow_nan=False, allow_infinity=False)


def _grouped(d: Decimal) -> str:
    """``1234567.5`` → ``1,234,567.5`` (thousands separators as agencies' exports write them)."""
    whole, _, frac = f"{d:f}".partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


@given(amounts, st.sampled_from(["plain", "grouped", "fullwidth", "yen", "suffix", "padded"]))
def test_an_amount_in_yuan_with_at_most_two_decimals_is_exact_fen(d: Decimal, form: str):
    text = {
        "plain": f"{d:f}",
        "grouped": _grouped(d),
        "fullwidth": f"{d:f}".translate(FULL_WIDTH),
        "yen": f"¥{d:f}",
        "suffix": f"{d:f}元",
        "padded": f"  {d:f}\t",
    }[form]
    fen = amount_to_fen(text, YUAN)
    assert isinstance(fen, int) and Decimal(fen) == d * 100


@given(amounts)
def test_decimal_and_int_inputs_are_exact(d: Decimal):
    assert amount_to_fen(d, YUAN) == int(d * 100)
    assert amount_to_fen(int(d), YUAN) == int(d) * 100
    assert amount_to_fen(int(d * 100), FEN) == int(d * 100)


@given(st.integers(0, 10**9), st.integers(1, 9), st.integers(3, 6))
def test_more_than_two_decimals_is_refused_never_rounded(whole: int, last: int, places: int):
    text = f"{whole}." + "0" * (places - 1) + str(last)
    with pytest.raises(ValueProblem) as e:
        amount_to_fen(text, YUAN)
    assert "两位小数" in e.value.zh and "two decimals" in e.value.en


def test_amount_examples_and_refusals():
    assert amount_to_fen("1234.5", YUAN) == 123450
    assert amount_to_fen("1,234.56", YUAN) == 123456
    assert amount_to_fen("１２３", YUAN) == 12300
    assert amount_to_fen("1234.50", YUAN) == 123450
    assert amount_to_fen("1.230", YUAN) == 123  # trailing zeros are not a third decimal
    assert amount_to_fen("17019", FEN) == 17019
    for bad, unit, words in [
        ("12.5", FEN, "整数"),
        ("-1", YUAN, "为负"),
        ("abc", YUAN, "不是数字"),
        ("1.2.3", YUAN, "不是数字"),
        ("", YUAN, "不是数字"),
        ("1e3", YUAN, "不是数字"),
        ("17019.00", FEN, "不能带小数点"),  # 元 pasted into a 分 field: refused, not read as 17019 fen
        ("17019.0", FEN, "不能带小数点"),
        ("12.5分", FEN, "整数"),
        ("¥12分", FEN, "同时写了元"),
    ]:
        with pytest.raises(ValueProblem) as e:
            amount_to_fen(bad, unit)
        assert words in e.value.zh, (bad, e.value.zh)
    with pytest.raises(ValueProblem):
        amount_to_fen(1234.5, YUAN)  # a float cannot say which decimal it meant
    with pytest.raises(ValueProblem):
        amount_to_fen(True, YUAN)


def test_a_fen_field_takes_integers_or_a_written_unit_and_refuses_a_decimal_point():
    # the 元-vs-分 trap (blind acceptance report): "10000.00" in a 分 field was read as 10,000 fen (100元)
    assert amount_to_fen("10000", FEN) == 10000
    assert amount_to_fen(10000, FEN) == 10000
    assert amount_to_fen("1,000,000", FEN) == 1000000
    assert amount_to_fen("100.00元", FEN) == 10000  # a unit written with the value wins, converted exactly
    assert amount_to_fen("¥100.05", FEN) == 10005
    assert amount_to_fen("10000分", FEN) == 10000
    assert amount_to_fen("10000分", YUAN) == 10000  # likewise in a 元 field
    assert amount_to_fen("100.00分", FEN) == 100  # 分 written: whole, so read
    for bad in ("10000.00", "100.5", "100.0", Decimal("10000.00"), Decimal("100.0")):
        with pytest.raises(ValueProblem) as e:
            amount_to_fen(bad, FEN)
        assert "以分为单位" in e.value.zh and "不能带小数点" in e.value.zh
        assert f"“{bad}元”" in e.value.zh and "in fen" in e.value.en
    with pytest.raises(ValueProblem):
        amount_to_fen(100.0, FEN)  # a float cannot say how it was written (the facts model reads whole floats)


def test_whole_numbers():
    assert parse_int("12") == 12 and parse_int("12.0") == 12 and parse_int("１,２００") == 1200
    for bad in ("12.5", "x", "", "1e3"):
        with pytest.raises(ValueProblem):
            parse_int(bad)


def test_yes_no_labels():
    for t in ("是", "有", "Y", "y", "YES", "true", "True", "T", "1", " 是 "):
        assert parse_bool(t) is True
    for f in ("否", "无", "N", "no", "FALSE", "f", "0"):
        assert parse_bool(f) is False
    with pytest.raises(ValueProblem) as e:
        parse_bool("也许")
    assert "也许" in e.value.zh and "是/否" in e.value.zh


def test_enum_labels_map_exactly_and_unknown_names_the_allowed_labels():
    assert parse_enum("中型", SizeClass) == "medium"
    assert parse_enum("中型企业", SizeClass) == "medium"
    assert parse_enum("微型", SizeClass) == "micro"
    assert parse_enum("LARGE", SizeClass) == "large"
    assert parse_enum("企业", OrgType) == "enterprise"
    assert parse_enum("严重失信", ("serious_dishonesty", "zombie_clearance")) == "serious_dishonesty"
    with pytest.raises(ValueProblem) as e:
        parse_enum("中等", SizeClass)
    assert "“中等”" in e.value.zh and "中型" in e.value.zh and "medium" in e.value.en
    with pytest.raises(ValueProblem):
        parse_enum("中", SizeClass)  # no prefix matching: exact labels only


def test_no_label_names_two_codes_of_one_enum():
    from wengang.dictionary import fact_models
    from wengang.ingest.record import field_kind
    from wengang.programs import load_all
    from wengang.screening.schemas import ALL_TABLES

    load_all()  # every facts model and its enums

    for t in ALL_TABLES.values():
        for c in t.columns:
            if c.kind == "enum":
                enum_label_map(c.choices)  # raises on a label naming two codes
    for model in fact_models():
        for name, info in model.model_fields.items():
            fk = field_kind(name, info)
            if fk.enum is not None:
                enum_label_map(fk.enum)


days = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


def _forms(d: date) -> list[str]:
    return [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}-{d.month}-{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year} 年 {d.month} 月 {d.day} 日",
        f"{d.year}年{d.month:02d}月{d.day:02d}号",
        d.strftime("%Y%m%d"),
        f"{d.isoformat()} 00:00:00",
        f"{d.isoformat()}T08:30",
        d.isoformat().translate(FULL_WIDTH),
    ]


@given(days)
def test_every_date_form_reads_back_the_same_date(d: date):
    for text in _forms(d):
        assert parse_date(text) == d, text
    assert parse_date(datetime(d.year, d.month, d.day, 13, 5)) == d


@given(days)
def test_a_month_field_reads_month_forms_and_takes_the_month_of_a_date(d: date):
    want = f"{d.year:04d}-{d.month:02d}"
    for text in [
        want,
        f"{d.year}-{d.month}",
        f"{d.year}/{d.month}",
        f"{d.year}.{d.month:02d}",
        f"{d.year}年{d.month}月",
        f"{d.year}{d.month:02d}",
        *_forms(d),
    ]:
        assert parse_month(text) == want, text
    assert parse_month(d) == want


@given(st.integers(10_000, 99_999))
def test_excel_serial_days_only_with_an_epoch(serial: int):
    assert parse_date(str(serial), EXCEL_EPOCH_1900) == EXCEL_EPOCH_1900 + timedelta(days=serial)
    assert parse_date(f"{serial}.25", EXCEL_EPOCH_1904) == EXCEL_EPOCH_1904 + timedelta(days=serial)
    with pytest.raises(ValueProblem):
        parse_date(str(serial))  # a bare number outside an XLSX is not a date


def test_known_serial_and_unparseable_values():
    assert parse_date("45306", EXCEL_EPOCH_1900) == date(2024, 1, 15)  # as Excel shows it
    assert parse_month("45292", EXCEL_EPOCH_1900) == "2024-01"
    for bad in ("2024-02-30", "2024/13/1", "2024-1", "20240230", "二〇二四年一月", "2024-01-05x", "", "202401"):
        with pytest.raises(ValueProblem) as e:
            parse_date(bad)
        assert "日期无效" in e.value.zh
    for bad in ("2024-13", "2024年0月", "1899-01", "202413", "2024", "Jan 2024"):
        with pytest.raises(ValueProblem) as e:
            parse_month(bad)
        assert "所属期无效" in e.value.zh
