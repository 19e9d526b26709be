"""A comma in an amount or a count is a thousands separator and nothing else (audit: "18640,50" was paid as 1,864,050).

Digits grouped in threes leftwards from the decimal point, the first group of one to three digits, are read
exactly (``1,234``, ``12,345.67``, ``1,234,567``); any other comma — a decimal comma (``18640,50``), ``1,0``,
``12,34``, ``,123``, ``1,,234``, ``1234,567``, ``1,234,56`` — is refused with a reason naming the rule and the
field, never dropped. The same through every public path: the scalar readers (``wengang evaluate`` on JSON or
a CSV row), ``money.yuan_to_fen`` and the screening columns (fast path and scalar fallback).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wengang.cli import app
from wengang.facts.identifiers import make_credit_code
from wengang.ingest import columns as C
from wengang.ingest import values as V
from wengang.money import MisplacedSeparator, MoneyError, yuan_to_fen
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

ZH, EN = "千分位逗号位置不对", "misplaced thousands separator"

# (text, fen when read in 元)
ACCEPTED = [
    ("1,234", 123400),
    ("12,345.67", 1234567),
    ("1,234,567", 123456700),
    ("123,456.5", 12345650),
    ("0.50", 50),
    ("1234", 123400),  # no comma: as before
    ("１，２３４．５", 123450),  # full-width digits, comma and point read as their ASCII forms (NFKC)
    ("¥1,234.50元", 123450),
]
MISPLACED = [
    "18640,50",
    "1,0",
    "12,34",
    ",123",
    "1,,234",
    "1234,567",
    "1,234,56",
    "1,234.5,6",
    "123,",
    "1,23.45",
    "１８６４０，５０",
]


# ---------------------------------------------------------------------------------------------- scalars


@pytest.mark.parametrize(("text", "fen"), ACCEPTED)
def test_grouped_amounts_read_exactly(text: str, fen: int):
    assert V.amount_to_fen(text, V.YUAN) == fen
    if "元" not in text and "．" not in text and "，" not in text:
        assert yuan_to_fen(text) == fen  # money.yuan_to_fen reads ASCII text only, as before


@pytest.mark.parametrize("text", MISPLACED)
@pytest.mark.parametrize("unit", [V.YUAN, V.FEN])
def test_a_misplaced_comma_in_an_amount_is_refused_naming_the_rule(text: str, unit: str):
    with pytest.raises(V.ValueProblem) as e:
        V.amount_to_fen(text, unit)
    assert ZH in e.value.zh and f"“{text}”" in e.value.zh and EN in e.value.en


@pytest.mark.parametrize("text", [t for t in MISPLACED if "，" not in t])
def test_yuan_to_fen_refuses_a_misplaced_comma(text: str):
    with pytest.raises(MisplacedSeparator) as e:
        yuan_to_fen(text)
    assert ZH in str(e.value) and EN in str(e.value) and isinstance(e.value, MoneyError)


def test_yuan_to_fen_keeps_its_other_forms_and_refuses_underscores():
    assert yuan_to_fen("-1,234.5") == -123450  # the sign is the caller's business, as before
    assert yuan_to_fen("+1,234") == 123400
    assert yuan_to_fen(" 18,640.50 ") == 1864050
    for bad in ("18640_50", "1_0", "a,b", ","):
        with pytest.raises(MoneyError):
            yuan_to_fen(bad)


def test_other_text_with_a_comma_is_still_not_a_number():
    for bad in ("a,b", ",", "1, 234", "1,234e3"):
        with pytest.raises(V.ValueProblem) as e:
            V.amount_to_fen(bad, V.YUAN)
        assert "不是数字" in e.value.zh or ZH in e.value.zh
    with pytest.raises(V.ValueProblem) as e:
        V.amount_to_fen("-1,234.5", V.YUAN)
    assert "为负" in e.value.zh  # grouped rightly: refused for its sign, not its comma


def test_counts():
    assert V.parse_int("1,234") == 1234
    assert V.parse_int("1,234,567") == 1234567
    assert V.parse_int("-1,234") == -1234
    assert V.parse_int("1,200.0") == 1200
    assert V.parse_int("１，２００") == 1200
    for bad in ("1,0", "12,34", ",123", "1,,234", "1234,567", "1,234,56", "4,3"):
        with pytest.raises(V.ValueProblem) as e:
            V.parse_int(bad)
        assert ZH in e.value.zh and f"“{bad}”" in e.value.zh and EN in e.value.en


# ------------------------------------------------------------------------------------------ evaluate

runner = CliRunner()
FACTS = {
    "统一社会信用代码": "91150502MA0N1234XN",
    "单位名称": "通辽市科尔沁区顺达商贸有限公司",
    "参保地行政区划代码": "150502",
    "单位类型": "企业",
    "企业规模": "小型",
    "连续足额缴费月数": "36",
    "上年度实缴失业保险费": "18,640.50",
    "参保人数": 42,
    "上年度月均参保人数": "43",
    "上年度裁员人数": 0,
    "上年度正常减员人数": 2,
    "有对公账户": "是",
}
PREMIUM = "paid_premium_last_year_fen（表头“上年度实缴失业保险费”）"
AVERAGE = "avg_insured_last_year（表头“上年度月均参保人数”）"


def _evaluate(path: Path):
    return runner.invoke(
        app, ["evaluate", str(path), "-p", "fanhuan", "-r", "150502", "-d", "2025-08-01", "--json"]
    )


def _as_csv(path: Path, facts: dict) -> Path:
    pl.DataFrame({k: [str(v)] for k, v in facts.items()}).write_csv(path)
    return path


def test_evaluate_reads_a_grouped_amount_exactly(tmp_path: Path):
    js = tmp_path / "facts.json"
    js.write_text(json.dumps(FACTS, ensure_ascii=False), encoding="utf-8")
    grouped = _evaluate(js)
    assert grouped.exit_code == 0, grouped.output
    plain = tmp_path / "plain.json"
    plain.write_text(
        json.dumps({**FACTS, "上年度实缴失业保险费": "18640.50"}, ensure_ascii=False), encoding="utf-8"
    )
    want = json.loads(_evaluate(plain).output)
    got = json.loads(grouped.output)
    assert got["status"] == want["status"] == "eligible" and got["amount_fen"] == want["amount_fen"] > 0
    row = _evaluate(_as_csv(tmp_path / "facts.csv", FACTS))  # one row of a CSV export: the same reader
    assert row.exit_code == 0, row.output
    assert json.loads(row.output)["amount_fen"] == want["amount_fen"]


@pytest.mark.parametrize(
    ("change", "where", "value"),
    [
        (
            {"上年度实缴失业保险费": "18640,50"},
            PREMIUM,
            "18640,50",
        ),  # the audit's case: was paid as 1,118,430.00元
        ({"上年度实缴失业保险费": "１８６４０，５０"}, PREMIUM, "１８６４０，５０"),
        ({"上年度实缴失业保险费": "1,864,05"}, PREMIUM, "1,864,05"),
        ({"上年度月均参保人数": "4,3"}, AVERAGE, "4,3"),
    ],
)
@pytest.mark.parametrize("form", ["json", "csv"])
def test_evaluate_refuses_a_misplaced_comma_naming_the_field(tmp_path: Path, change, where, value, form):
    facts = {**FACTS, **change}
    if form == "json":
        path = tmp_path / "facts.json"
        path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    else:
        path = _as_csv(tmp_path / "facts.csv", facts)
    r = _evaluate(path)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "1,118,430" not in r.output
    for w in (where, ZH, f"“{value}”", EN):
        assert w in r.output, (w, r.output)


# ----------------------------------------------------------------------------------------- screening


def _money_column(texts: list[str | None], unit: str) -> list[tuple[int | None, list[str]]]:
    """``columns.money`` over ``texts``: each row's value and the Chinese reasons of its faults."""
    df = pl.DataFrame({"x": pl.Series(texts, dtype=pl.String)})
    v, faults = C.money(pl.col("x"), "x", pl.String(), unit)
    reasons = [
        pl.when(f[0].fill_null(False)).then(f[1] if isinstance(f[1], pl.Expr) else pl.lit(f[1]))
        for f in faults
    ]
    out = df.select(v.alias("v"), pl.concat_list(reasons).list.drop_nulls().alias("why"))
    return list(zip(out["v"].to_list(), out["why"].to_list(), strict=True))


@pytest.mark.parametrize("unit", [V.YUAN, V.FEN])
def test_the_money_column_reads_grouping_and_refuses_a_misplaced_comma(unit: str):
    per = 1 if unit == V.YUAN else 100  # ACCEPTED's fen were read in 元
    good = [(t, fen // per) for t, fen in ACCEPTED if unit == V.YUAN or ("." not in t and "．" not in t)]
    got = _money_column([t for t, _ in good] + MISPLACED, unit)
    for (text, fen), (v, why) in zip(good, got, strict=False):
        assert (v, why) == (fen, []), text
    for text, (v, why) in zip(MISPLACED, got[len(good) :], strict=True):
        assert v is None and len(why) == 1 and ZH in why[0] and f"“{text}”" in why[0], (text, why)


def test_the_count_column_refuses_a_misplaced_comma():
    df = pl.DataFrame({"x": ["1,234", "1,0", "12", "1234,567"]})
    v, faults = C.integer(pl.col("x"), "x", pl.String(), nonneg=True)
    flag = pl.any_horizontal([f[0].fill_null(False) for f in faults])
    out = df.select(v.alias("v"), flag.alias("bad"))
    assert out["v"].to_list() == [1234, None, 12, None]
    assert out["bad"].to_list() == [False, True, False, True]


def test_screening_quarantines_the_row_with_its_reason(tmp_path: Path):
    a, b = make_credit_code("91", "150502", "MA0000001"), make_credit_code("91", "150502", "MA0000002")
    rows = [  # Chinese headers: amounts in 元
        (a, "2024-01", "1,234.56", "1,234.56", "2024-01-15", "1,200"),
        (a, "2024-02", "18640.50", "18640,50", "2024-02-15", "3"),  # the decimal comma
        (a, "2024-03", "100", "100", "2024-03-15", "1,0"),  # a count
        # (30 persons: 12,345.67 元 for 3 is over the per-person plausibility bound, session 39 audit D2)
        (b, "2024-01", "１２，３４５．６７", "12,345.67", "2024-01-15", "30"),
        (b, "2024-02", "1234,567", "1", "2024-02-15", "3"),
    ]
    p = tmp_path / "contributions.csv"
    head = "统一社会信用代码,费款所属期,应缴金额,实缴金额,缴费日期,缴费人数"
    p.write_text("\n".join([head, *(",".join(f'"{x}"' for x in r) for r in rows)]) + "\n", encoding="utf-8")
    res = validate_table(read_table(p, "contributions"))
    r = res.report
    assert (r.rows_in, r.accepted, r.quarantined) == (5, 2, 3) and r.reconciles
    accepted = res.accepted
    assert isinstance(accepted, pl.DataFrame)
    assert accepted.sort("credit_code", "month").select("due_fen", "paid_fen", "insured_persons").rows() == [
        (123456, 123456, 1200),
        (1234567, 1234567, 30),
    ]
    q = {row["source_row"]: row for row in res.quarantine.iter_rows(named=True)}
    assert sorted(q) == [3, 4, 6]  # the file's lines (the header is line 1)
    for n, field, value in [
        (3, "paid_fen", "18640,50"),
        (4, "insured_persons", "1,0"),
        (6, "due_fen", "1234,567"),
    ]:
        assert field in q[n]["field"] and ZH in q[n]["reason_zh"] and value in q[n]["reason_zh"], q[n]
        assert EN in q[n]["reason_en"]


# ------------------------------------------------------------------------------------------ property

fens = st.integers(min_value=0, max_value=V.MAX_FEN)


def _grouped_yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


@settings(max_examples=150)
@given(fens, st.data())
def test_grouped_yuan_reads_back_and_a_comma_anywhere_else_is_refused(fen: int, data):
    text = _grouped_yuan(fen)
    assert V.amount_to_fen(text, V.YUAN) == fen
    assert yuan_to_fen(text) == fen
    # one more comma anywhere: the digits have one right grouping (or none), so this is never it
    i = data.draw(st.integers(0, len(text)), label="comma at")
    wrong = text[:i] + "," + text[i:]
    with pytest.raises(V.ValueProblem) as e:
        V.amount_to_fen(wrong, V.YUAN)
    assert ZH in e.value.zh
    with pytest.raises(MisplacedSeparator):
        yuan_to_fen(wrong)
    # the decimal comma: the point written as a comma, with or without grouping
    decimal_comma = [text[:-3] + "," + text[-2:], f"{fen // 100},{fen % 100:02d}"]
    for bad in decimal_comma:
        with pytest.raises(V.ValueProblem):
            V.amount_to_fen(bad, V.YUAN)
    # the screening column agrees, row by row
    got = _money_column([text, wrong, *decimal_comma], V.YUAN)
    assert got[0] == (fen, [])
    assert all(v is None and len(why) == 1 and ZH in why[0] for v, why in got[1:])


@given(st.integers(min_value=0, max_value=C.MAX_COUNT), st.data())
def test_grouped_counts_read_back_and_a_misplaced_comma_is_refused(n: int, data):
    text = f"{n:,}"
    assert V.parse_int(text) == n
    i = data.draw(st.integers(0, len(text)), label="comma at")
    with pytest.raises(V.ValueProblem) as e:
        V.parse_int(text[:i] + "," + text[i:])
    assert ZH in e.value.zh


# the other places an operator types a figure: region settings (--setting), the simulation's amounts
@pytest.mark.parametrize(("raw", "fen"), [("1,200元", 120000), ("1,234.50元", 123450), ("12万元", 12000000)])
def test_settings_and_simulation_read_grouped_amounts(raw, fen):
    from wengang.settings import parse_value
    from wengang.simulate import money as simulation_money

    assert parse_value("local_avg_monthly_benefit", raw, "yuan") == fen
    assert simulation_money(raw, "基金结余") == fen


@pytest.mark.parametrize("raw", ["1,0元", "18640,50元", "1,20万元"])
def test_settings_and_simulation_refuse_a_misplaced_comma(raw):
    from wengang.settings import SettingError, parse_value
    from wengang.simulate import SimulationError
    from wengang.simulate import money as simulation_money

    with pytest.raises(SettingError, match="千分位逗号位置不对"):
        parse_value("local_avg_monthly_benefit", raw, "yuan")
    with pytest.raises(SimulationError, match="千分位逗号位置不对"):
        simulation_money(raw, "基金结余")
