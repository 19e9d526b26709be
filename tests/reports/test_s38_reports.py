"""Audit s38 (reports): the report refuses a fund of another region; the fund's year is the 上年度 of the next
policy year; the simulation's summary sheet carries numbers; the HTML names the program in Chinese."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.simulate.population import screened
from wengang.cli import app
from wengang.reports.simulation import write_simulation
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.settings import parse_settings
from wengang.simulate import Scenario, simulate

READ = dict(DEMO_READINGS)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened(tmp_path_factory.mktemp("s38r"))


def _fund(tmp_path: Path, region: str, year: int = 2024) -> Path:
    p = tmp_path / f"fund-{region}-{year}.yaml"
    p.write_text(f"region: {region}\nyear: {year}\nbalance: 12亿元\nspending: 3亿元\n", encoding="utf-8")
    return p


def test_report_build_refuses_a_fund_of_another_region(population: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["report", "build", "--results", str(population), "--fund",
                                   str(_fund(tmp_path, "阳泉")), "--out", str(tmp_path / "rep")])
    assert res.exit_code == 2, res.output
    assert "基金数据的地区为 阳泉市（140300）" in res.output
    assert not (tmp_path / "rep" / "report.xlsx").exists()
    ok = CliRunner().invoke(app, ["report", "build", "--results", str(population), "--fund",
                                  str(_fund(tmp_path, "通辽")), "--out", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output


def test_report_judges_the_fund_for_the_next_policy_year(population: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["report", "build", "--results", str(population), "--fund",
                                   str(_fund(tmp_path, "通辽", 2024)), "--out", str(out)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out / "report.xlsx")["基金备付"]
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert any("2024年末的基金是2025年度政策所称的“上年度”基金" in c for c in cells)
    # 人社部发〔2024〕40号 二 asks for the 2023 reserve: a 2024 fund is not judged against it
    assert "人社部发〔2024〕40号 二" not in cells and "满足" not in cells
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "2025年度政策所称的“上年度”基金" in html
    older = CliRunner().invoke(app, ["report", "reserve", "--fund", str(_fund(tmp_path, "通辽", 2023))])
    assert older.exit_code == 0 and "人社部发〔2024〕40号 二" in older.output and "满足" in older.output
    assert "2024年度政策" in older.output


def test_simulation_summary_sheet_has_numbers_and_the_html_names_the_program(population: Path,
                                                                              tmp_path: Path) -> None:
    r = simulate(
        population,
        baseline=Scenario(readings=READ),
        variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "50%"}), readings=READ),
    )
    files = write_simulation(r, tmp_path / "sim")
    ws = openpyxl.load_workbook(files["测算表（Excel）"])["汇总"]
    rows = {row[0].value: row for row in ws.iter_rows() if row[0].value}
    base = rows["基线拟发放（符合条件）"]
    assert base[2].data_type == "n" and round(base[2].value * 100) == r.base_total_fen
    assert rows["金额减少的单位"][3].data_type == "n" and rows["金额减少的单位"][3].value == r.lost
    assert rows["人群"][3].value == r.units
    assert round(rows["变化（两次均已判定的单位）"][2].value * 100) == r.delta_fen
    html = Path(files["测算报告（HTML）"]).read_text(encoding="utf-8")
    assert "项目：稳岗返还" in html and "项目：fanhuan<" not in html
