"""The working-day override CSV (``--overrides``, ``--workday-overrides``) is read by the shared reader
(``wengang.ingest.files.read_frame``): GBK read right, a row with fewer or more fields than the header refused
naming file and line, Chinese first (exit 2), never padded with "" or cut. CSV text given to
``parse_overrides`` is checked the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.workdays import WorkdayError, parse_overrides

SOURCE = "国务院办公厅关于2027年部分节假日安排的通知"
runner = CliRunner()


def _cli(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception  # never a traceback
    return res.exit_code, " ".join(res.output.split())


def test_a_gbk_override_file_is_read_right(tmp_path: Path) -> None:
    f = tmp_path / "2027.csv"
    text = f"日期,类型,来源\n2027,全年,{SOURCE}\n2027-01-01,休息日,{SOURCE}\n2027-01-02,工作日,{SOURCE}\n"
    f.write_bytes(text.encode("gbk"))
    code, out = _cli("workdays", "check", str(f))
    assert code == 0, out
    assert f"2027-01-01 休息日 {SOURCE}" in out and f"2027-01-02 工作日 {SOURCE}" in out
    code, out = _cli("workdays", "due", "2026-12-28", "5", "--overrides", str(f))
    assert code == 0 and "2027-01-04" in out, out


def test_a_row_with_fewer_fields_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "short.csv"
    f.write_text(f"日期,类型,来源\n2027,全年,{SOURCE}\n2027-01-01,休息日\n", encoding="utf-8")
    code, out = _cli("workdays", "check", str(f))
    assert code == 2, out
    zh = f"工作日覆盖文件无法读取：文件 {f} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头（2 个，表头 3 个）"
    en = "line 3 (record 2) has fewer fields than the header (2, header 3)"
    assert zh in out and en in out and out.index(zh) < out.index(en), out


def test_a_row_with_more_fields_is_refused_not_cut(tmp_path: Path) -> None:
    f = tmp_path / "long.csv"  # an unquoted comma in the source: read before as the source "国务院通知"
    f.write_text(f"日期,类型,来源\n2027,全年,{SOURCE}\n2027-01-01,休息日,国务院通知,附件\n", encoding="utf-8")
    code, out = _cli("workdays", "due", "2026-12-28", "5", "--overrides", str(f))
    assert code == 2, out
    zh = f"文件 {f} 的行与表头不符：第 3 行（第 2 条记录）字段数多于表头（4 个，表头 3 个）"
    en = "line 3 (record 2) has more fields than the header (4, header 3)"
    assert zh in out and en in out and out.index(zh) < out.index(en), out
    assert "Schema" not in out and "truncate_ragged_lines" not in out


@pytest.mark.parametrize(
    ("row", "says"),
    [("2027-01-01,休息日", "第3行：字段数少于表头（2 个，表头 3 个）"), ("2027-01-01,休息日,国务院通知,附件", "第3行：字段数多于表头（4 个，表头 3 个）")],
)
def test_csv_text_with_a_ragged_row_is_refused(row: str, says: str) -> None:
    with pytest.raises(WorkdayError) as exc:
        parse_overrides(f"date,type,source\n2027,全年,{SOURCE}\n{row}\n", "o.csv", ".csv")
    assert exc.value.message_zh.startswith("工作日覆盖文件 o.csv 第3行") and says in exc.value.message_zh
    assert "line" not in exc.value.message_zh and "fields than the header" in exc.value.message_en
    # blank rows are not records; a complete file still reads
    cal = parse_overrides(f"date,type,source\n\n2027,全年,{SOURCE}\n,,\n2027-01-02,工作日,{SOURCE}\n", "o.csv", ".csv")
    assert sorted(cal.years) == [2027] and len(cal.overrides) == 1
