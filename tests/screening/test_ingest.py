from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text

from wengang.facts.identifiers import make_credit_code
from wengang.screening.ingest import IngestError, read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("N2", "150521", "MA0000002")
HEAD_ZH = ["统一社会信用代码", "单位名称", "参保地行政区划代码", "单位类型", "是否劳务派遣单位"]
ROWS = [[A, "通辽甲公司", "150502", "enterprise", "否"], [B, "乙村集体经济组织", "150521", "other", "0"]]


def _frame(headers=HEAD_ZH):
    return pl.DataFrame(ROWS, schema=headers, orient="row")


def _check(raw):
    res = validate_table(raw, allowed_regions={"150502", "150521"})
    assert res.report.rows_in == 2 and res.report.accepted == 2 and res.report.reconciles
    assert res.accepted["credit_code"].to_list() == [A, B]
    assert res.accepted["name"].to_list() == ["通辽甲公司", "乙村集体经济组织"]
    assert res.accepted["is_dispatch_firm"].to_list() == [False, False]


def test_parquet(tmp_path: Path):
    p = tmp_path / "u.parquet"
    _frame(["credit_code", "name", "region_code", "org_type", "is_dispatch_firm"]).write_parquet(p)
    _check(read_table(p, "units"))


def test_utf8_csv(tmp_path: Path):
    p = tmp_path / "u.csv"
    _frame().write_csv(p)
    raw = read_table(p, "units")
    assert raw.encoding == "utf-8"
    _check(raw)


@pytest.mark.parametrize("enc", ["gbk", "gb18030"])
def test_gbk_csv_detected_and_given(tmp_path: Path, enc):
    p = tmp_path / "u.csv"
    p.write_bytes(_frame().write_csv().encode(enc))
    _check(read_table(p, "units"))  # detected
    _check(read_table(p, "units", encoding=enc))


def test_gbk_file_read_as_utf8_is_a_clear_error(tmp_path: Path):
    p = tmp_path / "u.csv"
    p.write_bytes(_frame().write_csv().encode("gbk"))
    with pytest.raises(IngestError) as e:
        read_table(p, "units", encoding="utf-8")
    assert "不是 UTF-8 编码" in str(e.value) and str(p) in str(e.value)


def test_xlsx(tmp_path: Path):
    p = tmp_path / "u.xlsx"
    _frame().write_excel(p, worksheet="参保单位")
    _check(read_table(p, "units"))


def test_sqlite(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE units (credit_code TEXT, name TEXT, region_code TEXT, org_type TEXT, is_dispatch_firm INTEGER)"
            )
        )
        for r in ROWS:
            conn.execute(
                text("INSERT INTO units VALUES (:a, :b, :c, :d, 0)"), dict(zip("abcd", r[:4], strict=True))
            )
    eng.dispose()
    _check(read_table(url, "units"))
    _check(read_table(url, "units", query="SELECT * FROM units ORDER BY credit_code"))
    with pytest.raises(IngestError):
        read_table(url, "units", table="nope")


def test_missing_required_column_names_file_and_column(tmp_path: Path):
    p = tmp_path / "u.csv"
    _frame().drop("单位名称").write_csv(p)
    with pytest.raises(IngestError) as e:
        read_table(p, "units")
    assert e.value.column == "name" and "单位名称" in str(e.value) and str(p) in str(e.value)


def test_not_a_table(tmp_path: Path):
    p = tmp_path / "u.parquet"
    p.write_text("hello")
    with pytest.raises(IngestError) as e:
        read_table(p, "units")
    assert "Parquet" in str(e.value)
    with pytest.raises(IngestError):
        read_table(tmp_path / "missing.csv", "units")
    q = tmp_path / "u.xlsx"
    q.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(IngestError):
        read_table(q, "units")


def test_money_in_yuan_is_converted_exactly(tmp_path: Path):
    p = tmp_path / "c.csv"
    p.write_text(
        "credit_code,month,due_yuan,paid_yuan,paid_date,late_fee_yuan,insured_persons\n"
        f'{A},2023-01,"1,234.56",1234.5,2023-01-15,0.10,3\n'
        f"{A},2023-02,0.1,0.123,2023-02-15,,3\n",
        encoding="utf-8",
    )
    res = validate_table(read_table(p, "contributions"))
    assert res.accepted.row(0, named=True)["due_fen"] == 123456
    assert res.accepted.row(0, named=True)["paid_fen"] == 123450
    assert res.accepted.row(0, named=True)["late_fee_fen"] == 10
    assert res.accepted.schema["due_fen"] == pl.Int64
    assert res.quarantine["reason_en"].to_list() == ["paid_fen: amount has more than two decimals"]
