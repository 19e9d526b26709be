"""CSV rows as agencies send them: a blank line (or a line of commas) is no record and holds no payment; a row
with more fields than the header is refused naming the file, the line and the record, never read shifted, and so
is a row with fewer, never read as if its missing fields were empty."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.ingest.files import explain_csv_error, read_frame
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
runner = CliRunner()


def _screen(out: Path, tables: dict[str, Path]):
    return run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
        excel=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("csvrows")
    paths = generate_region(root / "data", region_code="150500", n_units=120, year=2025, seed=11)
    tables = {k: paths[k] for k in TABLES}
    text = pl.read_parquet(paths["contributions"] / "*.parquet").select(pl.all().cast(pl.String)).write_csv()
    csv = root / "contributions.csv"
    csv.write_text(text, encoding="utf-8")
    base = _screen(root / "base", {**tables, "contributions": csv})
    return root, tables, text, base, pl.read_parquet(root / "base" / "results.parquet")


def _report(run, table: str):
    return next(r for r in run.reports if r.table == table)


@pytest.mark.parametrize(
    "tail", ["\n", ",,,,,,\n", " , ,\t,　,,,\n", "\n,,,,,,\n\n"], ids=["empty_line", "commas", "blanks", "several"]
)
def test_blank_lines_at_the_end_are_no_rows_and_hold_nothing(region, tmp_path, tail):
    root, tables, text, base, before = region
    csv = tmp_path / "contributions.csv"
    csv.write_text(text + tail, encoding="utf-8")
    run = _screen(tmp_path / "out", {**tables, "contributions": csv})
    got, was = _report(run, "contributions"), _report(base, "contributions")
    # the same rows in, accepted and quarantined as without the blank lines: no "必填字段为空" row
    assert (got.rows_in, got.accepted, got.quarantined) == (was.rows_in, was.accepted, was.quarantined)
    assert got.reconciles and run.reconciles
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert not quarantine.get_column("reason_zh").str.contains("必填").any()
    after = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert after.get_column("payment_hold").sum() == before.get_column("payment_hold").sum()
    assert after.sort("credit_code").equals(before.sort("credit_code"))


def test_a_blank_line_inside_keeps_the_row_numbers_of_the_file(region, tmp_path):
    """As XLSX empty rows: skipped, counted nowhere, and the rows after it keep their numbers in the file."""
    root, tables, text, base, _ = region
    lines = text.splitlines(keepends=True)
    bad = lines[3].replace(lines[3].split(",")[1], "2024-13", 1)  # data row 3 gets a bad month
    csv = tmp_path / "contributions.csv"
    csv.write_text("".join([*lines[:3], "\n", ",,,,,,\n", bad, *lines[4:]]), encoding="utf-8")
    run = _screen(tmp_path / "out", {**tables, "contributions": csv})
    got, was = _report(run, "contributions"), _report(base, "contributions")
    assert got.rows_in == was.rows_in and got.reconciles
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet").filter(pl.col("value") == "2024-13")
    # line 6 of the file (header, two rows, two blank lines), as the user sees it (record 5 as Polars counts)
    assert quarantine.get_column("source_row").to_list() == [6]


def test_blank_rows_in_a_frame(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('a,b,c\n1,2,3\n\n,,\n  ,　,\t\n通辽,,\n"x\ny",,\n ,"",\n4,5,6\n\n', encoding="utf-8")
    frame = read_frame(p)
    df = frame.lf.collect()
    assert df.get_column("source_row").to_list() == [1, 5, 6, 8]
    assert df.get_column("a").to_list() == ["1", "通辽", "x\ny", "4"]


def test_a_row_with_more_fields_is_refused_naming_the_file_and_line(region, tmp_path):
    root, tables, text, base, _ = region
    lines = text.splitlines(keepends=True)
    csv = tmp_path / "contributions.csv"
    # line 4 (record 3): an unquoted comma in a value; the last column is not needed to see it
    csv.write_text("".join([*lines[:3], lines[3].rstrip("\n") + ",extra,extra2\n", *lines[4:]]), encoding="utf-8")
    args = ["screen", "--date", "2025-08-01", "--out", str(tmp_path / "out")]
    for k, v in {**tables, "contributions": csv}.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert str(csv) in out and "第 4 行（第 3 条记录）字段数多于表头（9 个，表头 7 个）" in out
    assert "line 4 (record 3) has more fields than the header (9, header 7)" in out
    assert out.index("字段数多于表头") < out.index("more fields")  # Chinese first
    assert "found more fields" not in out and str(tables["units"]) not in out  # not Polars' text, not every file
    assert not (tmp_path / "out").exists()


def test_long_and_short_rows_are_named_together(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('a,b,c\n1,2,3\n4,5,6,7\n8,9\n"x\ny",1,2\n10,11,12,13\n', encoding="utf-8")
    with pytest.raises(pl.exceptions.PolarsError):
        read_frame(p).lf.select("a").collect()  # every column is read, so a long row is always seen
    err = explain_csv_error(p)
    assert err is not None
    assert "第 3 行（第 2 条记录）字段数多于表头（4 个，表头 3 个）" in err.message_zh
    assert "第 4 行（第 3 条记录）字段数少于表头（2 个，表头 3 个）" in err.message_zh
    assert "第 7 行（第 5 条记录）字段数多于表头" in err.message_zh  # after a value spanning two lines
    assert "line 4 (record 3) has fewer fields than the header (2, header 3)" in err.message_en


def test_a_short_row_is_refused_not_read_as_empty(tmp_path):
    """Polars pads a short row with nulls: its missing fields were read as empty (a missing optional field as
    "not given"). It is refused as a long row is (more in test_s34csv_short_rows.py)."""
    p = tmp_path / "t.csv"
    p.write_text("a,b,c\n1,2,3\n4\n", encoding="utf-8")
    with pytest.raises(pl.exceptions.ComputeError, match="第 3 行（第 2 条记录）字段数少于表头（1 个，表头 3 个）"):
        read_frame(p).lf.collect()
