"""The simulation decides one population twice with the compiled batch rules and joins the two by row."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from tests.simulate.population import screened
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.settings import parse_settings
from wengang.simulate import FundInput, Scenario, SimulationError, simulate

READ = dict(DEMO_READINGS)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened(tmp_path_factory.mktemp("sim"))


def _eligible_total(results: Path) -> int:
    r = pl.read_parquet(results / "results.parquet")
    return int(r.filter(pl.col("status") == "eligible")["amount_fen"].cast(pl.Int128).sum())


def test_same_policy_twice_changes_nothing(population: Path) -> None:
    r = simulate(population, baseline=Scenario(readings=READ), variant=Scenario("方案", readings=READ))
    assert r.delta_fen == 0 and r.gained == r.lost == r.status_changed == 0
    assert r.base_total_fen == _eligible_total(population)  # the baseline is the screening's own result
    assert r.units == pl.read_parquet(population / "results.parquet").height


def test_variant_total_equals_a_screening_with_that_setting(population: Path, tmp_path: Path) -> None:
    # 60% is the national ceiling (人社部发〔2024〕40号 二, checked for 内人社发〔2025〕18号): a 2025 what-if above it is
    # refused (audit 7 F2), so the increase is from a 50% baseline to the 60% in force
    change = parse_settings({"refund_rate_sme": "50%"})
    r = simulate(
        population, baseline=Scenario(settings=change, readings=READ), variant=Scenario("方案", readings=READ)
    )
    other = screened(population.parent, settings=change, name="results50")
    assert r.base_total_fen == _eligible_total(other) and r.variant_total_fen == _eligible_total(population)
    assert r.delta_fen > 0 and r.lost == 0 and r.gained > 0
    assert all(g.lost == 0 for g in r.by_size)
    assert sum(g.delta_fen for g in r.by_size) == r.delta_fen == sum(g.delta_fen for g in r.by_region)
    assert any("refund_rate_sme" in n for n in r.notes)


def test_a_stricter_condition_moves_units_out(population: Path) -> None:
    r = simulate(
        population,
        baseline=Scenario(readings=READ),
        variant=Scenario("方案", settings=parse_settings({"min_months_fully_paid": "13"}), readings=READ),
    )
    assert r.status_changed > 0 and r.lost >= 1 and r.gained == 0
    assert any(a == "eligible" and b == "ineligible" for a, b, _ in r.transitions)
    assert sum(n for _, _, n in r.transitions) == r.status_changed
    assert r.variant_status["eligible"] < r.base_status["eligible"]


def test_reserve_after_the_variant(population: Path, tmp_path: Path) -> None:
    fund_file = tmp_path / "fund.yaml"
    fund_file.write_text(
        'region: "150500"\nyear: 2024\nbalance: 1200万元\nspending: 1200万元\n', encoding="utf-8"
    )
    fund = FundInput.read(fund_file)
    assert fund.reserve_years() == 1  # balance = a year's spending: exactly 1 year
    r = simulate(
        population,
        baseline=Scenario(settings=parse_settings({"refund_rate_sme": "50%"}), readings=READ),
        fund=fund,
        variant=Scenario("方案", readings=READ),  # 60%: above it is refused (audit 7 F2)
    )
    assert r.reserve is not None
    extra = r.delta_fen
    assert r.reserve.after_years == Fraction(1_200_000_000 - extra, 1_200_000_000 + extra)
    assert r.reserve.after_years < 1


def test_files_written(population: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from wengang.reports.simulation import write_simulation

    r = simulate(
        population,
        baseline=Scenario(readings=READ),
        variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "50%"}), readings=READ),
    )
    files = write_simulation(r, tmp_path / "out")
    html = Path(files["测算报告（HTML）"]).read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and html.count("<svg") >= 3
    wb = load_workbook(files["测算表（Excel）"])
    assert {"汇总", "按企业划型", "按地区", "结论变化", "金额分布", "变化明细"} <= set(wb.sheetnames)
    data = json.loads(Path(files["测算结果（JSON）"]).read_text(encoding="utf-8"))
    assert data["delta_fen"] == r.delta_fen < 0
    # identifiers in the changed-units sheet are masked
    codes = [
        row[0]
        for row in wb["变化明细"].iter_rows(min_row=3, values_only=True)
        if row[0] and str(row[0])[:2] == "91"
    ]
    assert codes and all("*" in c for c in codes)


def test_no_population(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="找不到人群数据"):
        simulate(tmp_path, variant=Scenario("方案"))


def test_cli_simulate(population: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from wengang.cli import app

    res = CliRunner().invoke(
        app,
        [
            "simulate",
            str(population),
            "--set",
            "refund_rate_sme=50%",
            "--reading",
            "fanhuan.size_class_where_silent=standard_2017",
            "--json",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["delta_fen"] < 0 and (tmp_path / "o" / "simulation.html").is_file()
    above = CliRunner().invoke(app, ["simulate", str(population), "--set", "refund_rate_sme=70%"])
    assert above.exit_code == 2 and "超过国家上限 60%" in above.output  # audit 7 F2
    bad = CliRunner().invoke(app, ["simulate", str(population), "--set", "refund_rate_sme=70"])
    assert bad.exit_code == 2 and "百分" in bad.output
    none = CliRunner().invoke(app, ["simulate", str(population)])
    assert none.exit_code == 2 and "--set" in none.output
