"""Inputs that could stop a payment (decisions §102): a table given with a header and no data row is refused, naming
the file and the table, instead of deciding for everyone ("no one is listed", "nothing was paid"); a check-list not
given is named in the run's summary (human and ``--json``) as not checked against — the decisions stay as they were."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.screening.demo_data import generate_region
from wengang.screening.schemas import ALL_TABLES

UNIT_TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
PEOPLE_TABLES = ("persons", "certificates", "subsidies", "held_certificates", "ui_claims")
runner = CliRunner()
BASE = ["--date", "2025-08-01", "--year", "2025", "--region", "通辽", "--reading",
        "fanhuan.size_class_where_silent=standard_2017"]  # fmt: skip


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("empty")
    paths = generate_region(root / "data", region_code="150500", n_units=80, year=2025, seed=7)
    # the people's tables the generator does not write (held certificates): one row of its own schema
    cert = pl.read_parquet(paths["certificates"]).head(1)
    cert.write_parquet(root / "held_certificates.parquet")
    paths["held_certificates"] = root / "held_certificates.parquet"
    return root, paths


def _frame(path: Path) -> pl.DataFrame:
    return pl.read_parquet(f"{path}/*.parquet" if path.is_dir() else path)


def _header_only_csv(src: Path, dst: Path, extra_lines: str = "") -> Path:
    """``src``'s header, as the agency's standard Chinese headers, and no data row (``extra_lines`` after it)."""
    frame = _frame(src)
    dst.write_text(",".join(frame.columns) + "\n" + extra_lines, encoding="utf-8")
    return dst


def _screen(tables: dict[str, Path], out: Path, *extra: str):
    args = ["screen", *BASE, "--out", str(out), *extra]
    for k, v in tables.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    return runner.invoke(app, args)


def _refused(r, path: Path, table: str) -> None:
    assert r.exit_code == 2, r.output
    shown = "".join(r.output.split())  # (the console wraps long lines)
    assert (
        "只有表头，没有数据行" in shown
        and str(path) in shown
        and f"数据表{table}（{ALL_TABLES[table].zh}）" in shown
    )
    assert "has a header and no data rows" in " ".join(r.output.split())


@pytest.mark.parametrize("table", UNIT_TABLES)
def test_a_header_only_unit_table_is_refused(region, tmp_path, table):
    """c58 (contributions: everyone refused), x01 (exclusions: listed units paid): the class, every table."""
    root, paths = region
    empty = _header_only_csv(paths[table], tmp_path / f"{table}.csv")
    r = _screen({**{k: paths[k] for k in UNIT_TABLES}, table: empty}, tmp_path / "out")
    _refused(r, empty, table)
    assert not (tmp_path / "out" / "results.parquet").exists()  # nothing was decided
    if table not in (
        "units",
        "contributions",
    ):  # an optional list: the way to say "truly none" is to leave it out
        assert f"请不要给出--{table.replace('_', '-')}" in "".join(r.output.split())


@pytest.mark.parametrize("table", ["persons", "certificates", "subsidies", "held_certificates", "ui_claims"])
def test_a_header_only_people_table_is_refused(region, tmp_path, table):
    """p09: a header-only subsidies table turned already-subsidised certificates into new ones."""
    root, paths = region
    empty = _header_only_csv(paths[table], tmp_path / f"{table}.csv")
    r = _screen(
        {**{k: paths[k] for k in PEOPLE_TABLES}, table: empty}, tmp_path / "out", "-p", "skill_subsidy"
    )
    _refused(r, empty, table)


def test_rows_that_are_no_records_do_not_make_a_table_filled(region, tmp_path):
    """Blank lines and a totals line under the header: still no data row."""
    root, paths = region
    frame = _frame(paths["exclusions"])
    empty = _header_only_csv(
        paths["exclusions"], tmp_path / "exclusions.csv", "\n" + "," * (frame.width - 1) + "\n合计,,,\n"
    )
    r = _screen({**{k: paths[k] for k in UNIT_TABLES}, "exclusions": empty}, tmp_path / "out")
    _refused(r, empty, "exclusions")


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_an_empty_workbook_sheet_or_parquet_file_is_refused(region, tmp_path, kind):
    root, paths = region
    empty_frame = _frame(paths["exclusions"]).clear()
    path = tmp_path / f"exclusions.{kind}"
    if kind == "xlsx":
        empty_frame.write_excel(path)
    else:
        empty_frame.write_parquet(path)
    r = _screen({**{k: paths[k] for k in UNIT_TABLES}, "exclusions": path}, tmp_path / "out")
    _refused(r, path, "exclusions")


def test_a_list_not_given_is_named_in_the_summary(region, tmp_path):
    """No --exclusions, --deferrals, --dispatch, --stats-size: the run goes on as before (decisions unchanged), and the
    summary says plainly that nothing was checked against those lists (console and --json)."""
    root, paths = region
    some = {k: paths[k] for k in ("units", "contributions", "headcount")}
    r = _screen(some, tmp_path / "out", "--json")
    assert r.exit_code == 0, r.output
    listed = json.loads(r.output)["summary"]["lists_not_provided"]
    assert [x["table"] for x in listed] == ["exclusions", "deferrals", "dispatch", "stats_size"]
    assert listed[0]["zh"].startswith("未提供失信、僵尸企业、环保") and "未据此核对" in listed[0]["zh"]
    r = _screen(some, tmp_path / "out2")
    assert r.exit_code == 0, r.output
    shown = "".join(r.output.split())
    assert "⚠未提供失信、僵尸企业、环保、注销、吊销、经营异常等排除名单（--exclusions）：未据此核对" in shown
    # every list given: nothing named
    r = _screen({k: paths[k] for k in UNIT_TABLES}, tmp_path / "out3", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["summary"]["lists_not_provided"] == []


def test_a_people_list_not_given_is_named_in_the_summary(region, tmp_path):
    root, paths = region
    some = {k: paths[k] for k in ("persons", "certificates", "ui_claims")}
    r = _screen(some, tmp_path / "out", "-p", "skill_subsidy", "--json")
    assert r.exit_code == 0, r.output
    listed = json.loads(r.output)["summary"]["lists_not_provided"]
    assert [x["table"] for x in listed] == ["subsidies", "held_certificates"]
    assert listed[0]["zh"] == "未提供已享受补贴表（--subsidies）：未据此核对，所有证书均按未享受过补贴判定"


@pytest.mark.parametrize(("n", "seed"), [(1, 1), (40, 11), (60, 34)])
def test_a_small_demo_region_has_a_row_in_every_table(tmp_path, n, seed):
    """The generator's draw may list no unit in a small region; such a table gets one row that decides nothing, so
    the demo's tables are never refused as empty."""
    paths = generate_region(tmp_path, region_code="150500", n_units=n, year=2025, seed=seed)
    for name in (*UNIT_TABLES, "certificates", "subsidies", "ui_claims", "persons"):
        assert _frame(paths[name]).height >= 1, name


def test_a_table_whose_every_row_is_quarantined_is_said_so(region, tmp_path: Path) -> None:
    """A second outside look (session 37): a registry whose every row was quarantined (blank codes) gave a run with a
    green ✔ and “共 0 个”, and its hold note blamed the monthly rows. The run now says that none of the table's rows
    was used."""
    _, paths = region
    units = _frame(paths["units"]).with_columns(pl.lit("").alias("credit_code"))
    units.write_csv(tmp_path / "units.csv")
    r = _screen({"units": tmp_path / "units.csv", "contributions": paths["contributions"]}, tmp_path / "out")
    assert r.exit_code == 0, r.output
    shown = " ".join(r.output.split())
    assert f"units 的 {units.height} 行全部有误被隔离，没有一行用于判定" in shown
