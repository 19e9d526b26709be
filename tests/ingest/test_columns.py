"""Screening reads a column exactly as one case reads each of its values (fast paths agree with the scalars)."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.facts.unit import SizeClass
from wengang.ingest import columns as C
from wengang.ingest import values as V

settings.register_profile("columns", max_examples=60)


def _scalar(fn, text):
    try:
        return fn(text), False
    except V.ValueProblem:
        return None, True


def _column(build, texts: list[str | None]):
    df = pl.DataFrame({"x": pl.Series(texts, dtype=pl.String)})
    v, faults = build(pl.col("x"), "x", pl.String())
    flag = pl.any_horizontal([f[0].fill_null(False) for f in faults]) if faults else pl.lit(False)
    out = df.select(v.alias("v"), flag.alias("bad"))
    return list(zip(out["v"].to_list(), out["bad"].to_list(), strict=True))


digits = "0123456789"
amount_texts = st.one_of(
    st.decimals(min_value=-100, max_value=10**7, places=3, allow_nan=False, allow_infinity=False).map(lambda d: f"{d:f}"),
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False).map(lambda d: f"{d:,f}"),
    st.text(alphabet=digits + ".,-¥元分 ０１２．abc", max_size=10),
)


@given(st.lists(st.one_of(st.none(), amount_texts), min_size=1, max_size=25), st.sampled_from([V.YUAN, V.FEN]))
def test_money_column_agrees_with_amount_to_fen(texts, unit):
    got = _column(lambda c, n, d: C.money(c, n, d, unit), texts)
    for text, (v, bad) in zip(texts, got, strict=True):
        if text is None or not text.strip():
            assert (v, bad) == (None, False)
            continue
        want, want_bad = _scalar(lambda t: V.amount_to_fen(t, unit), text)
        assert bad == want_bad, (text, v, want)
        if not want_bad:
            assert v == want, text


def _date_text(d: date, form: int) -> str:
    return [
        d.isoformat(),
        f"{d.year}/{d.month}/{d.day}",
        f"{d.year}年{d.month}月{d.day}日",
        d.strftime("%Y%m%d"),
        f"{d.isoformat()} 00:00:00",
        f"{d.year}-{d.month:02d}",
        f"{d.year}年{d.month}月",
        f"{d.year}{d.month:02d}",
    ][form]


date_texts = st.one_of(
    st.builds(_date_text, st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(0, 7)),
    st.text(alphabet=digits + "-/年月日 :T", max_size=12),
    st.integers(0, 99_999).map(str),
)


@given(st.lists(st.one_of(st.none(), date_texts), min_size=1, max_size=25), st.booleans())
def test_date_and_month_columns_agree_with_the_scalar_readers(texts, xlsx):
    epoch = V.EXCEL_EPOCH_1900 if xlsx else None
    for build, fn in [
        (lambda c, n, d: C.dates(c, n, d, epoch), lambda t: V.parse_date(t, epoch)),
        (lambda c, n, d: C.months(c, n, d, epoch), lambda t: V.parse_month(t, epoch)),
    ]:
        for text, (v, bad) in zip(texts, _column(build, texts), strict=True):
            if text is None or not text.strip():
                assert (v, bad) == (None, False)
                continue
            want, want_bad = _scalar(fn, text)
            assert (v, bad) == (want, want_bad), text


label_texts = st.one_of(
    st.sampled_from(["是", "否", "Y", "n", "TRUE", "0", "1", " 有 ", "中型", "微型企业", "LARGE", "medium", "ｍｅｄｉｕｍ"]),
    st.text(max_size=4),
)


@given(st.lists(st.one_of(st.none(), label_texts), min_size=1, max_size=25))
def test_yes_no_and_enum_columns_agree_with_the_scalar_readers(texts):
    for build, fn in [
        (lambda c, n, d: C.boolean(c, n, d), V.parse_bool),
        (lambda c, n, d: C.enum(c, n, SizeClass), lambda t: V.parse_enum(t, SizeClass)),
        (lambda c, n, d: C.integer(c, n, d, nonneg=False), V.parse_int),
    ]:
        for text, (v, bad) in zip(texts, _column(build, texts), strict=True):
            if text is None or not text.strip():
                assert (v, bad) == (None, False)
                continue
            want, want_bad = _scalar(fn, text)
            assert (v, bad) == (want, want_bad), text


def test_typed_columns_pass_through():
    df = pl.DataFrame({"d": [date(2024, 1, 5)], "n": [12345], "b": [True]})
    assert df.select(C.dates(pl.col("d"), "d", pl.Date())[0]).item() == date(2024, 1, 5)
    assert df.select(C.months(pl.col("d"), "d", pl.Date())[0]).item() == "2024-01"
    assert df.select(C.money(pl.col("n"), "n", pl.Int64(), V.YUAN)[0]).item() == 1234500  # whole yuan
    assert df.select(C.money(pl.col("n"), "n", pl.Int64(), V.FEN)[0]).item() == 12345
    assert df.select(C.boolean(pl.col("b"), "b", pl.Boolean())[0]).item() is True


def test_a_fen_column_refuses_a_decimal_point_and_reads_a_written_unit():
    texts = ["10000", "10000.00", "100.00元", "10000分", "¥1", "12.5"]
    got = _column(lambda c, n, d: C.money(c, n, d, V.FEN), texts)
    assert got == [(10000, False), (None, True), (10000, False), (10000, False), (100, False), (None, True)]


def test_a_float_fen_column_reads_whole_values_and_refuses_fractions():
    df = pl.DataFrame({"f": [100.0, 100.5, None, -1.0]})
    v, faults = C.money(pl.col("f"), "f", pl.Float64(), V.FEN)
    flag = pl.any_horizontal([f[0].fill_null(False) for f in faults])
    out = df.select(v.alias("v"), flag.alias("bad"))
    assert out["bad"].to_list() == [False, True, False, True]
    assert out["v"].to_list()[:3] == [100, None, None]


def test_edge_texts_found_while_writing_agree():
    texts = ["0000-01-01", "+202-01-01", "2024- 1-01", "9999-12-31", "2024115", "-0", "0.000", "１２３", "2024-13", "45306"]
    for build, fn in [
        (lambda c, n, d: C.dates(c, n, d), V.parse_date),
        (lambda c, n, d: C.months(c, n, d), V.parse_month),
        (lambda c, n, d: C.money(c, n, d, V.YUAN), lambda t: V.amount_to_fen(t, V.YUAN)),
    ]:
        for text, got in zip(texts, _column(build, texts), strict=True):
            assert got == _scalar(fn, text), text
