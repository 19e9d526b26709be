"""``wengang risk screen`` reads its CSV tables with the shared reader (``wengang.ingest.files.read_frame``):
GBK read right wherever its Chinese begins, a row with fewer or more fields than the header refused naming the
table, file and line (Chinese first, exit 2), never padded with empty values nor reported as Polars' own error
text; the quarantine names the file's data rows."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from wengang.cli import app

ID = "150121196501010125"
CLAIMS = "id_number,region_code,start_month,months\n"
runner = CliRunner()


def _screen(tmp_path: Path, *tables: str) -> tuple[int, str]:
    args = ["risk", "screen", "--out", str(tmp_path / "out"), "--no-excel", "--date", "2025-07-01",
            "--setting", "short_term_insured_months=12", *tables]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception  # never a traceback
    return res.exit_code, " ".join(res.output.split())


def test_a_gbk_table_whose_chinese_begins_after_4_kib_is_read_right(tmp_path: Path) -> None:
    people = tmp_path / "persons.csv"  # an ASCII remark fills the first 4 KiB; the name comes after it
    people.write_bytes(
        ("id_number,region_code,insured_months,remark,name\n" + f"{ID},150502,6,{'x' * 4200},张三\n").encode("gbk")
    )
    claims = tmp_path / "ui_claims.csv"
    claims.write_text(CLAIMS + f"{ID},150502,2025-03,6\n", encoding="utf-8")
    code, out = _screen(tmp_path, "--people", str(people), "--ui-claims", str(claims))
    assert code == 0, out
    flags = pl.read_parquet(tmp_path / "out" / "flags.parquet")
    assert flags.select("check_id", "subject_name").rows() == [("ui_short_term_insured", "张三")]


def test_a_row_with_fewer_fields_than_the_header_is_refused_not_padded(tmp_path: Path) -> None:
    claims = tmp_path / "ui_claims.csv"
    claims.write_text(CLAIMS + f"{ID},150502,2025-03,6\n{ID},150502,2025-09\n", encoding="utf-8")
    code, out = _screen(tmp_path, "--ui-claims", str(claims))
    assert code == 2, out
    zh = f"ui_claims：文件 {claims} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头（3 个，表头 4 个）；未读取此文件"
    en = "line 3 (record 2) has fewer fields than the header (3, header 4)"
    assert zh in out and en in out and out.index(zh) < out.index(en), out
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_row_with_more_fields_than_the_header_is_refused_without_polars_text(tmp_path: Path) -> None:
    claims = tmp_path / "ui_claims.csv"
    claims.write_text(CLAIMS + f"{ID},150502,2025-03,6\n{ID},150502,2025-09,2,9\n", encoding="utf-8")
    code, out = _screen(tmp_path, "--ui-claims", str(claims))
    assert code == 2, out
    zh = f"ui_claims：文件 {claims} 的行与表头不符：第 3 行（第 2 条记录）字段数多于表头（5 个，表头 4 个）"
    en = "line 3 (record 2) has more fields than the header (5, header 4)"
    assert zh in out and en in out and out.index(zh) < out.index(en), out
    for polars_text in ("Schema", "truncate_ragged_lines", "数据表无法读取"):
        assert polars_text not in out
    assert not (tmp_path / "out" / "summary.json").exists()


def test_quarantined_rows_are_named_by_their_row_in_the_file(tmp_path: Path) -> None:
    # blank rows are skipped (not records) but keep their numbers: the bad value is on line 5 of the file (the header
    # is line 1), numbered as `wengang screen` numbers rows (decisions §97; session 39, audit D7: was data row 4)
    claims = tmp_path / "ui_claims.csv"
    claims.write_text(CLAIMS + f"{ID},150502,2025-03,6\n\n,,,\n{ID},150502,2025-09,abc\n", encoding="utf-8")
    code, out = _screen(tmp_path, "--ui-claims", str(claims))
    assert code == 0, out
    assert "第 5 行 months“abc”" in out
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert q.select("table", "row", "field").rows() == [("ui_claims", 5, "months")]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["tables"]["ui_claims"] == {"rows": 2, "quarantined": 1}


def test_a_table_with_a_header_and_no_data_row_is_refused(tmp_path: Path) -> None:
    """Outside audit (session 37): `risk screen` ran its checks against a header-only table and reported nothing
    found, as the screen did before decisions §102."""
    people = tmp_path / "persons.csv"
    people.write_text(f"id_number,region_code,insured_months,name\n{ID},150502,6,张三\n", encoding="utf-8")
    claims = tmp_path / "ui_claims.csv"
    claims.write_text(CLAIMS + "\n", encoding="utf-8")  # the header and a blank line
    code, out = _screen(tmp_path, "--people", str(people), "--ui-claims", str(claims))
    assert code == 2, out
    assert f"ui_claims：文件 {claims} 只有表头，没有数据行：未作任何核查" in out and "has a header and no data rows" in out
    assert not (tmp_path / "out" / "flags.parquet").exists()
