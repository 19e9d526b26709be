"""Statistics from screening results, the upward-report XLSX and the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.simulate.population import screened
from wengang.reports.report import write_report
from wengang.reports.statistics import MonthRow, from_results, monthly_tables


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened(tmp_path_factory.mktemp("rep"), units=300)


def test_counts_and_amounts_reconcile_with_the_results(results: Path) -> None:
    st = from_results([results])
    r = pl.read_parquet(results / "results.parquet")
    paid = r.filter(pl.col("status") == "eligible")
    assert st.units == r.height and st.eligible == paid.height
    assert st.amount_fen == int(paid["amount_fen"].sum())
    for rows in (st.by_region, st.by_size, st.by_industry, st.by_program, st.by_status):
        assert sum(x.units for x in rows) == st.units and sum(x.amount_fen for x in rows) == st.amount_fen
    assert [x.label for x in st.by_program] == ["稳岗返还"]
    assert all(x.label[0] in "ABCDEFGHIJKLMNOPQRST" or x.label == "未登记行业" for x in st.by_industry)
    # every refusal code is counted, with the screening's Chinese text
    codes = r.select(pl.col("reasons").str.split(";")).explode("reasons").filter(pl.col("reasons") != "")
    assert sum(n for _, _, n in st.reasons) == codes.height
    assert all(not t.isascii() for _, t, _ in st.reasons)


def test_upward_report_layout(results: Path, tmp_path: Path) -> None:
    st = from_results([("fanhuan", results)])
    files = write_report(tmp_path, title="报告", unit="某市社保中心", period="2025年度", statistics=st)
    ws = load_workbook(files["报表（Excel）"])["按地区"]
    rows = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    assert rows[0] == ["稳岗返还等项目判定情况统计表（按地区）"]
    assert rows[1:4] == [["填报单位：某市社保中心"], ["报告期：2025年度"], ["单位：元"]]
    assert rows[4] == ["地区", "单位数", "符合条件", "拟发放金额"]  # 稳岗返还: a unit program
    total = next(r for r in rows if str(r[0]).startswith("合计"))
    assert total[1:3] == [st.units, st.eligible] and round(total[3] * 100) == st.amount_fen
    html = Path(files["报告（HTML）"]).read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "src=" not in html and "@import" not in html
    assert html.count("<svg") >= 4 and 'lang="zh-CN"' in html


def test_monthly_report_has_this_month_and_the_year(tmp_path: Path) -> None:
    from wengang.documents.xlsx import write_xlsx

    rows = [
        MonthRow("2025-07", "fanhuan", 3, 30_000, 1, 5_000),
        MonthRow("2025-08", "fanhuan", 2, 20_001, 0, 0, 1, 1_000),
        MonthRow("2025-08", "skill_subsidy", 4, 600_000, 0, 0),
        MonthRow("2024-12", "fanhuan", 9, 9, 0, 0),
    ]
    path = write_xlsx(tmp_path / "m.xlsx", *monthly_tables(rows, unit="某中心", month="2025-08"))
    ws = load_workbook(path)["本月发放"]
    got = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    assert got[2] == ["报告期：2025年8月"]
    fanhuan = next(r for r in got if r and r[0] == "稳岗返还")
    # paid, returned, recovered, net; the year's: 2024 not in it, the recovery netted out
    assert fanhuan == ["稳岗返还", 2, 200.01, 0, 10, 190.01, 5, 500.01, 440.01]
    by_month = [
        [c for c in row if c is not None] for row in load_workbook(path)["逐月"].iter_rows(values_only=True)
    ]
    assert ["2025年7月", 3, 300, 50, 0, 250] in by_month and ["2025年8月", 6, 6200.01, 0, 10, 6190.01] in by_month and len(
        [r for r in by_month if r and str(r[0]).endswith("月") and str(r[0]).startswith("2025年")]
    ) == 8


def test_cli_build(results: Path, tmp_path: Path) -> None:
    from wengang.cli import app

    res = CliRunner().invoke(
        app,
        [
            "report",
            "build",
            "--out",
            str(tmp_path / "r"),
            "--results",
            str(results),
            "--unit",
            "某中心",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "report.html").is_file() and (tmp_path / "r" / "report.xlsx").is_file()
    none = CliRunner().invoke(
        app, ["report", "build", "--out", str(tmp_path / "x"), "--results", str(tmp_path / "nope")]
    )
    assert none.exit_code == 2 and "找不到筛查结果" in none.output


def test_industry_by_join_when_rows_are_not_in_the_features_order(results: Path, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "shuffled"
    other.mkdir()
    shutil.copy(results / "results.parquet", other / "results.parquet")
    pl.read_parquet(results / "features.parquet").sample(fraction=1.0, shuffle=True, seed=1).write_parquet(
        other / "features.parquet"
    )
    a, b = from_results([results]), from_results([other])
    assert a.by_industry == b.by_industry and len(a.by_industry) > 1


def test_every_closed_state_is_counted_apart_never_as_eligible():
    # a decision the ledger closed (refused, waived, revoked after a confirmed risk flag …) is never 符合条件 in the
    # upward statistics: revoked (session 34) was missing and counted as eligible
    from wengang.casework.states import TERMINAL
    from wengang.reports.statistics import NOT_COUNTED_STATES

    assert TERMINAL <= NOT_COUNTED_STATES
