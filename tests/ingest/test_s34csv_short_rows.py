"""A CSV row with fewer fields than the header (``code,name`` under four headers, no trailing commas) is refused as
a row with more fields is: the file is not read, the error names file, line, record and the field counts, Chinese
first, on every reader of agencies' CSV files (screening tables, facts table, person tables, payee accounts, a case
file). Its missing fields are never read as empty: a missing optional field is not "not given". A blank line, a
line of blanks, the end of the file and quoted values holding separators or line breaks are read as before; GBK
too. The check rides on the read that skips blank rows: a file whose last column is always filled is read once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import wengang.ingest.files as files
from wengang.casework.bulk import read_account_file
from wengang.casework.errors import LedgerError
from wengang.cli import app
from wengang.facts.identifiers import ric_check_character
from wengang.ingest import IngestError
from wengang.ingest.files import detect_encoding, explain_csv_error, named_read_errors, read_frame
from wengang.ingest.record import read_record
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.people import run_people_screening
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
runner = CliRunner()


def pid(n: int) -> str:
    """A valid 公民身份号码 (as tests/screening/people_helpers.pid)."""
    first17 = f"15010219850101{n:03d}"
    return first17 + ric_check_character(first17)


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("s34csv")
    paths = generate_region(root / "data", region_code="150500", n_units=60, year=2025, seed=34)
    return {k: paths[k] for k in TABLES}


def _text(tables: dict[str, Path], name: str) -> str:
    return pl.read_parquet(tables[name] / "*.parquet").select(pl.all().cast(pl.String)).write_csv()


def _short_row(text: str, line: int, drop: int) -> str:
    """``text`` with the last ``drop`` fields of its ``line`` (1-based, the header is line 1) cut off, commas too."""
    lines = text.splitlines(keepends=True)
    lines[line - 1] = ",".join(lines[line - 1].rstrip("\n").split(",")[:-drop]) + "\n"
    return "".join(lines)


def _screen(out: Path, tables: dict, **kw):
    return run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
        excel=False, **kw,
    )  # fmt: skip


def _chinese_first(exc: IngestError) -> str:
    assert str(exc).startswith(exc.message_zh) and exc.message_en in str(exc)
    return " ".join(str(exc).split())


# --- the frame as read


def test_the_defect_as_reported_is_refused_naming_file_line_and_counts(tmp_path):
    p = tmp_path / "units.csv"
    p.write_text(
        "credit_code,name,region,industry\n91150502MA0XXXXXX1,甲公司,150502,C\n91150502MA0XXXXXXX,某公司\n\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as e, named_read_errors([p]):
        read_frame(p).lf.collect()
    msg = _chinese_first(e.value)
    assert f"文件 {p} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头（2 个，表头 4 个）" in msg
    assert "line 3 (record 2) has fewer fields than the header (2, header 4)" in msg
    assert "缺少的字段不会当作空值读取" in msg and "are not read as empty" in msg
    assert e.value.source == str(p)


@pytest.mark.parametrize(
    "text",
    [
        'a,b,c\n1,2,\n\n4,5,\n',  # an empty line inside, a trailing newline
        "a,b,c\n1,2,\n4,5,\n\n\n",  # empty lines at the end
        "a,b,c\n1,2,\n4,5,",  # no newline at the end
        "a,b,c\r\n1,2,\r\n\r\n4,5,\r\n",  # CRLF
        'a,b,c\n"1,2","x\ny",\n  \n,\n　,\t\n4,"5,6",\n',  # quoted separators and line breaks; lines of blanks
        '\ufeffa,b,c\n1,"",\n4,5,\n',  # a BOM; a quoted empty value
    ],
    ids=["empty_line", "trailing_empty_lines", "no_final_newline", "crlf", "quoted_and_blank", "bom"],
)
def test_rows_with_every_field_are_read_whatever_is_empty(tmp_path, text):
    p = tmp_path / "t.csv"
    p.write_text(text, encoding="utf-8")
    df = read_frame(p).lf.collect()
    assert df.get_column("a").to_list()[-1] == "4" and df.get_column("c").null_count() == df.height
    assert explain_csv_error(p) is None


@pytest.mark.parametrize(
    ("text", "line", "record", "found"),
    [
        ("a,b,c\n1,2,3\n4,5\n", 3, 2, 2),
        ('a,b,c\n"1,2,3","x\ny"\n4,5,6\n', 2, 1, 2),  # quoted separators and a line break: two fields
        ('a,b,c\n"x\ny",1,2\n4\n', 4, 2, 1),  # after a value spanning two lines: line 4 is record 2
        ("a,b,c\r\n1,2,3\r\n\r\n4,5\r\n", 4, 3, 2),  # CRLF; the empty line is counted, as source_row counts it
        ("a\tb\tc\n1\t2\n", 2, 1, 2),  # TSV
    ],
    ids=["plain", "quoted", "after_multiline", "crlf", "tsv"],
)
def test_a_short_row_is_counted_as_the_csv_module_splits_it(tmp_path, text, line, record, found):
    p = tmp_path / ("t.tsv" if "\t" in text else "t.csv")
    p.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as e, named_read_errors([p]):
        read_frame(p).lf.collect()
    assert f"第 {line} 行（第 {record} 条记录）字段数少于表头（{found} 个，表头 3 个）" in e.value.message_zh
    assert f"line {line} (record {record}) has fewer fields than the header ({found}, header 3)" in e.value.message_en


def test_a_blank_short_row_is_no_record_and_not_named_beside_a_short_one(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b,c\n1,2,\n  \n,\n通辽\n4,5,6\n", encoding="utf-8")
    err = explain_csv_error(p)
    assert err is not None
    assert "第 5 行（第 4 条记录）字段数少于表头（1 个，表头 3 个）" in err.message_zh
    assert "第 3 行" not in err.message_zh and "第 4 行" not in err.message_zh


def test_the_file_is_read_once_more_only_when_a_row_lacks_its_last_value(tmp_path, monkeypatch):
    """The field counts are looked at in the read that skips blank rows (no pass of its own): a file whose last
    column is always filled is not read again, and one with empty last values is read once more, once, however
    often its frame is collected."""
    scans: list[Path] = []
    scan = files._scan_rows
    monkeypatch.setattr(files, "_scan_rows", lambda path, *a, **k: scans.append(path) or scan(path, *a, **k))
    full = tmp_path / "full.csv"
    full.write_text("a,b,c\n" + "".join(f"{i},,{i}\n" for i in range(5000)), encoding="utf-8")
    frame = read_frame(full)
    assert frame.lf.collect().height == 5000 and frame.lf.select(pl.len()).collect().item() == 5000
    assert scans == []
    empty_last = tmp_path / "empty_last.csv"
    empty_last.write_text("a,b,c\n" + "".join(f"{i},{i},\n" for i in range(5000)), encoding="utf-8")
    frame = read_frame(empty_last)
    for engine in ("in-memory", "streaming"):
        assert frame.lf.collect(engine=engine).height == 5000
    assert frame.lf.select("a").collect().height == 5000
    assert scans == [empty_last]


# --- every reader of agencies' CSV files


def test_a_gbk_registry_row_without_its_optional_last_fields_is_refused(region, tmp_path):
    """A unit whose 有税务社保缴费账户 and 是否劳务派遣单位 (optional) are cut off was read as "not given"."""
    text = _text(region, "units")
    csv = tmp_path / "units.csv"
    csv.write_bytes(_short_row(text, 6, drop=2).encode("gbk"))
    assert detect_encoding(csv) == "gbk"
    width = len(text.splitlines()[0].split(","))
    with pytest.raises(IngestError) as e:
        _screen(tmp_path / "out", {**region, "units": csv}, partitions=2)
    msg = _chinese_first(e.value)
    assert f"文件 {csv} 的行与表头不符：第 6 行（第 5 条记录）字段数少于表头（{width - 2} 个，表头 {width} 个）" in msg
    assert f"line 6 (record 5) has fewer fields than the header ({width - 2}, header {width})" in msg
    assert not (tmp_path / "out" / "results.parquet").exists()


@pytest.mark.parametrize("table", ["contributions", "deferrals"])
def test_a_short_row_in_another_table_is_named_by_the_library(region, tmp_path, table):
    text = _text(region, table)
    csv = tmp_path / f"{table}.csv"
    csv.write_text(_short_row(text, 3, drop=1), encoding="utf-8")
    with pytest.raises(IngestError) as e:
        _screen(tmp_path / "out", {**region, table: csv})
    assert f"文件 {csv} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头" in _chinese_first(e.value)


def test_the_command_line_refuses_a_short_row(region, tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text(_short_row(_text(region, "units"), 4, drop=1), encoding="utf-8")
    args = ["screen", "--date", "2025-08-01", "--out", str(tmp_path / "out")]
    for k, v in {**region, "units": csv}.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert f"文件 {csv} 的行与表头不符：第 4 行（第 3 条记录）字段数少于表头" in out
    assert out.index("字段数少于表头") < out.index("fewer fields than the header")
    assert "ComputeError" not in out and "内部错误" not in out and not (tmp_path / "out").exists()


def test_a_short_row_of_a_facts_table_is_named(tmp_path):
    csv = tmp_path / "facts.csv"
    csv.write_text(
        "credit_code,name,region_code\n91150502MA0000001X,甲,150502\n91150502MA0000002X,乙\n", encoding="utf-8"
    )
    with pytest.raises(IngestError) as e:
        run_screening(tmp_path / "out", program="fanhuan", evaluation_date=ON, policy_year=2025, facts=csv, excel=False)
    assert f"事实表 {csv} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头（2 个，表头 3 个）" in _chinese_first(e.value)


def test_a_short_row_of_a_person_table_is_named(tmp_path):
    persons = tmp_path / "persons.parquet"
    pl.DataFrame(
        {"id_number": [pid(1), pid(2)], "name": ["甲", "乙"], "region_code": ["150500"] * 2, "insured_months": [30, 40]}
    ).write_parquet(persons)
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "id_number,region_code,start_month,months,monthly_fen\n"
        f"{pid(1)},150500,2025-03,12,180000\n{pid(2)},150500,2025-03,12\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as e:
        run_people_screening(
            tmp_path / "out", program="ui_benefit", evaluation_date=date(2025, 9, 1),
            tables={"persons": persons, "ui_claims": claims},
        )  # fmt: skip
    assert f"文件 {claims} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头（4 个，表头 5 个）" in _chinese_first(e.value)


def test_a_short_row_of_a_payee_account_file_is_refused(tmp_path):
    f = tmp_path / "税务账户.csv"
    f.write_bytes("统一社会信用代码,账号,户名,开户行行号\n91150502MA0000001X,6222020000000001,甲,102191000019\n"
                  "91150502MA0000002X,6222020000000002\n".encode("gbk"))  # fmt: skip
    with pytest.raises(LedgerError) as e:
        read_account_file(f)
    assert "第 3 行（第 2 条记录）字段数少于表头（2 个，表头 4 个）" in str(e.value)


def test_a_short_row_of_a_case_file_is_refused(tmp_path):
    case = tmp_path / "case.csv"
    case.write_text("统一社会信用代码,单位名称,是否劳务派遣单位\n91150502MA0000001X,通辽示范单位\n", encoding="utf-8")
    with pytest.raises(IngestError):
        read_record(case)
    result = runner.invoke(app, ["evaluate", str(case), "--date", "2025-08-01"])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert f"事实文件 {case} 的行与表头不符：第 2 行（第 1 条记录）字段数少于表头（2 个，表头 3 个）" in out
    assert "内部错误" not in out and "ComputeError" not in out
