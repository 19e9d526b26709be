"""Session 39, outside bad-input audit: zone-aware datetimes read in Beijing time (D1), amounts in 分 under a header
read in 元 quarantined (D2), ``screen --facts`` with raw tables refused (D3), derived-fact columns of a raw table
named as such (D4), a yes/no value shown as written (D8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.facts.identifiers import make_credit_code
from wengang.ingest import columns as C
from wengang.ingest import values as V
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
UTC8 = timezone(timedelta(hours=8))

# --- D1: a zone-aware datetime is Beijing wall-clock time ------------------------------------------------------------

# 2024-06-01 00:00 in Beijing is 2024-05-31 16:00 UTC: June, not May
MIDNIGHT_JUNE_UTC = datetime(2024, 5, 31, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", None])
def test_a_zone_aware_month_and_date_column_reads_in_beijing_time(tmp_path: Path, zone: str | None) -> None:
    stamp = pl.Series("t", [MIDNIGHT_JUNE_UTC, datetime(2024, 7, 15, 3, 0, tzinfo=UTC)])
    if zone is None:  # naive: taken as written (here, what a naive export of Beijing time shows)
        stamp = pl.Series("t", [datetime(2024, 6, 1, 0, 0), datetime(2024, 7, 15, 11, 0)])
    else:
        stamp = stamp.dt.convert_time_zone(zone)
    frame = pl.DataFrame({
        "credit_code": [A, A], "month": stamp, "due_fen": [10_000, 10_000], "paid_fen": [10_000, 10_000],
        "paid_date": stamp, "insured_persons": [1, 1],
    })  # fmt: skip
    p = tmp_path / "c.parquet"
    frame.write_parquet(p)
    res = validate_table(read_table(p, "contributions"))
    assert res.report.quarantined == 0, res.quarantine.to_dicts()
    got = res.accepted.select("month", "paid_date").rows()
    assert got == [("2024-06", date(2024, 6, 1)), ("2024-07", date(2024, 7, 15))]


def test_column_readers_move_utc_to_utc8_before_the_date() -> None:
    df = pl.DataFrame({"t": [MIDNIGHT_JUNE_UTC, datetime(2024, 12, 31, 15, 59, tzinfo=UTC), None]})
    t = df.schema["t"]
    out = df.select(C.months(pl.col("t"), "t", t)[0].alias("m"), C.dates(pl.col("t"), "t", t)[0].alias("d"))
    assert out.rows() == [("2024-06", date(2024, 6, 1)), ("2024-12", date(2024, 12, 31)), (None, None)]
    # the scalar readers (one case, XLSX cells) alike
    assert V.parse_month(MIDNIGHT_JUNE_UTC) == "2024-06"
    assert V.parse_date(MIDNIGHT_JUNE_UTC) == date(2024, 6, 1)
    assert V.parse_date(datetime(2024, 6, 1, 0, 0, tzinfo=UTC8)) == date(2024, 6, 1)
    assert V.parse_date(datetime(2024, 5, 31, 23, 0)) == date(2024, 5, 31)  # naive: as written


# --- D2: an amount per insured person per month no premium can reach -------------------------------------------------


def _contrib(tmp_path: Path, rows: list[str], head: str = "统一社会信用代码,费款所属期,应缴金额,实缴金额,缴费日期,缴费人数") -> Path:
    p = tmp_path / "c.csv"
    p.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return p


def test_fen_under_a_yuan_header_is_quarantined_and_holds_the_unit(tmp_path: Path) -> None:
    p = _contrib(tmp_path, [
        f"{A},2024-01,641600,641600,2024-01-15,1",  # in 分 (6,416.00 元) under 应缴金额/实缴金额, read as 641,600 元
        f"{A},2024-02,192.48,192.48,2024-02-15,1",  # sound
        f"{B},2024-01,3000.00,3000.00,2024-01-15,3",  # 1,000 元 a person: the bound itself (超过 excludes it)
        f"{B},2024-02,3000.01,3000.00,2024-02-15,3",  # due just over the bound
        f"{B},2024-03,500.00,500.00,2024-03-15,0",  # no insured person: no per-person figure
    ])  # fmt: skip
    res = validate_table(read_table(p, "contributions"))
    r = res.report
    assert (r.rows_in, r.accepted, r.quarantined) == (5, 3, 2) and r.reconciles
    q = {row["source_row"]: row for row in res.quarantine.iter_rows(named=True)}
    assert set(q) == {2, 5}
    assert q[2]["field"] == "paid_fen；due_fen"  # both named, the row counted once
    assert "；应缴金额：每人每月 641,600.00 元" in q[2]["reason_zh"]
    assert q[2]["reason_zh"].startswith("实缴金额：每人每月 641,600.00 元（缴费人数 1 人），超过失业保险费的合理上限（每人每月 1,000 元）")
    assert "疑为以分计的金额写在以元计的列中" in q[2]["reason_zh"]
    assert "yuan per insured person per month" in q[2]["reason_en"] and "fen" in q[2]["reason_en"]
    # a figure just over the bound never shows as the bound (rounded up to the fen)
    assert q[5]["field"] == "due_fen" and "每人每月 1,000.01 元（缴费人数 3 人）" in q[5]["reason_zh"]
    # fail closed: the units of the quarantined rows are held, as any quarantined monthly row holds its unit
    assert sorted(set(res.held_keys.get_column("code").to_list())) == sorted({A, B})


def test_the_bound_is_one_thousand_yuan_per_person_month_in_fen(tmp_path: Path) -> None:
    from wengang.screening.quarantine import MAX_PREMIUM_PER_PERSON_MONTH_FEN

    assert MAX_PREMIUM_PER_PERSON_MONTH_FEN == 100_000
    # the same amount written in 分 under a 分 header is sound
    p = _contrib(tmp_path, [f"{A},2024-01,641600,641600,2024-01-15,10"],
                 head="统一社会信用代码,费款所属期,应缴金额(分),实缴金额(分),缴费日期,缴费人数")  # fmt: skip
    res = validate_table(read_table(p, "contributions"))
    assert res.report.quarantined == 0 and res.accepted.get_column("paid_fen").to_list() == [641600]


# --- D3: --facts with raw tables --------------------------------------------------------------------------------------


def test_screen_refuses_facts_beside_raw_tables(tmp_path: Path) -> None:
    facts, units = tmp_path / "f.csv", tmp_path / "u.csv"
    facts.write_text("credit_code\n", encoding="utf-8")
    units.write_text("credit_code\n", encoding="utf-8")
    res = CliRunner().invoke(app, [
        "screen", "--out", str(tmp_path / "o"), "--date", "2025-08-01", "--facts", str(facts), "--units", str(units),
        "--contributions", str(units),
    ])  # fmt: skip
    assert res.exit_code == 2, res.output
    out = " ".join(res.output.split())
    assert "--facts 事实表不能与原始数据表（--units --contributions）同时给出" in out
    assert "cannot be given with raw tables" in out
    assert out.index("事实表") < out.index("cannot")  # Chinese first
    assert not (tmp_path / "o").exists()  # nothing read, nothing written


# --- D4: derived-fact columns in a raw table ----------------------------------------------------------------------------


def test_a_registry_with_derived_fact_columns_says_they_are_derived(tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_text(
        "统一社会信用代码,单位名称,参保地行政区划代码,单位类型,企业划型,连续足额缴费月数,上年度实缴失业保险费,上年度裁员人数,备注\n"
        f"{A},示范单位,150502,enterprise,中型,24,1000.00,0,x\n",
        encoding="utf-8",
    )
    notes = read_table(p, "units").notes
    derived = next(n for n in notes if n.startswith("以下列是单位事实字段"))
    for col, f in (("企业划型", "size_class"), ("连续足额缴费月数", "months_fully_paid"),
                   ("上年度实缴失业保险费", "paid_premium_last_year_fen"), ("上年度裁员人数", "layoffs_last_year")):
        assert f"“{col}”（{f}）" in derived
    assert "--facts" in derived and "derives itself" in derived
    # the truly unknown column keeps the usual note, and only it
    assert "未识别的列已忽略：“备注” / unknown columns ignored: '备注'" in notes


# --- D8: a yes/no value shown as written ---------------------------------------------------------------------------------


def test_a_yes_no_value_is_shown_as_written() -> None:
    df = pl.DataFrame({"b": ["X", "是", "Yes", "Maybe"]})
    v, faults = C.boolean(pl.col("b"), "b", pl.String)
    ((flag, zh, _en, _label),) = faults
    out = df.select(v.alias("v"), flag.alias("f"), zh.alias("zh"))
    assert out.get_column("v").to_list() == [None, True, True, None]
    reasons = out.filter(pl.col("f")).get_column("zh").to_list()
    assert reasons[0].startswith("“X”不是是/否值") and reasons[1].startswith("“Maybe”不是是/否值")
