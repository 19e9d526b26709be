"""Session 39, outside bad-input audit of `wengang risk screen`: ID numbers read as `screen` reads them and refused
when they are none (D5), the Chinese headers `screen` reads (D6), rows numbered as the file shows them (D7)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from wengang.cli import app
from wengang.risk import batch, demo

X = "11010519491231002X"  # a valid 公民身份号码 whose check character is X
runner = CliRunner()


def _claims(second: str) -> dict[str, pl.DataFrame]:
    return {
        "persons": pl.DataFrame({"id_number": [X], "region_code": ["150502"]}),
        "ui_claims": pl.DataFrame({
            "id_number": [X, second], "region_code": ["150502", "140302"], "start_month": ["2024-03", "2024-05"],
            "months": [6, 6], "monthly_fen": [180_000, 190_000],
        }),  # fmt: skip
    }


def test_a_lower_case_x_is_the_same_person_in_another_region() -> None:
    # …002X in 通辽 and …002x in 阳泉, overlapping four months: one person claiming twice (fail-open before)
    run = batch.screen(_claims(X.lower()), on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS,
                       checks=["ui_cross_region"])  # fmt: skip
    assert run.counts == {"ui_cross_region": 2}
    assert set(run.flags.get_column("subject_id").to_list()) == {X}


def test_numbers_that_are_no_id_number_are_quarantined_with_the_reason() -> None:
    persons = pl.DataFrame({
        "id_number": [X, "110105491231002", "110105194912310021", X.lower()], "region_code": ["150502"] * 4,
    })  # fmt: skip
    ok, bad = batch.read_table("persons", persons)
    assert ok.collect().get_column("id_number").to_list() == [X, X]
    q = bad.collect()
    assert q.select("row", "field").rows() == [(2, "id_number"), (3, "id_number")]
    assert q.get_column("reason_zh").to_list() == ["公民身份号码长度应为18位", "公民身份号码校验码错误"]
    assert q.get_column("reason_en").to_list() == ["ID number must be 18 characters long", "ID number wrong check character"]
    assert not any(v == "110105491231002" for v in q.get_column("value").to_list())  # masked, as screen masks it


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _screen(tmp_path: Path, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["risk", "screen", "--out", str(tmp_path / "out"), "--no-excel", "--date", "2025-07-01",
                              *args])  # fmt: skip
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, " ".join(res.output.split())


def test_risk_screen_reads_the_chinese_headers_screen_reads(tmp_path: Path) -> None:
    people = _csv(tmp_path / "p.csv", f"公民身份号码,姓名,参保地行政区划代码\n{X},张三,150502\n110105491231002,李四,150502\n")
    claims = _csv(tmp_path / "u.csv", "公民身份号码,领取地行政区划代码,起始月份,领取月数,月领取金额\n"
                  f"{X},150502,2024-03,6,1800.00\n{X.lower()},140302,2024-05,6,1900.00\n")  # fmt: skip
    code, out = _screen(tmp_path, "--persons", str(people), "--ui-claims", str(claims), "--checks", "ui_cross_region")
    assert code == 0, out
    flags = pl.read_parquet(tmp_path / "out" / "flags.parquet").sort("region_code")
    # 月领取金额 is in 元 (a Chinese header without a unit), as screen reads it: 4 months overlap
    assert flags.select("region_code", "amount_fen").rows() == [("140302", 4 * 190_000), ("150502", 4 * 180_000)]
    # D7: the 15-digit number is on line 3 of the file (header line 1), as screen numbers rows
    assert "第 3 行 id_number" in out and "公民身份号码长度应为18位" in out
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert q.select("table", "row").rows() == [("persons", 3)]


def test_a_missing_column_names_the_columns_found_and_the_headers_read(tmp_path: Path) -> None:
    people = _csv(tmp_path / "p.csv", "人员编号,地区\n1,150502\n")
    code, out = _screen(tmp_path, "--persons", str(people))
    assert code == 2
    assert "数据表 persons 缺少字段：id_number、region_code" in out
    assert "公民身份号码" in out and "参保地行政区划代码" in out  # the headers it would read
    assert "表中的列：人员编号、地区" in out and "its columns: 人员编号、地区" in out
