"""Defects an outside audit found in the simulation and what-if settings (ceilings, 待认定 costs, the screening's
readings, the fund, the changed-units sheet, a results file given as the population)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.simulate.population import screened
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.settings import SettingError, parse_settings, split_overrides
from wengang.simulate import FundInput, Scenario, SimulationError, check_reserve, fmt_years, simulate

READ = dict(DEMO_READINGS)
EXAMPLE = Path(__file__).parents[2] / "examples" / "fanhuan" / "eligible_sme.json"


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened(tmp_path_factory.mktemp("audit"))


def _yangquan_2024():
    from wengang.policies import load_policy_set

    return load_policy_set().resolve(region="140300", on=date(2024, 8, 1), program="fanhuan")


def _fund(tmp_path: Path, region: str, balance: str, spending: str, year: int = 2024) -> FundInput:
    p = tmp_path / f"fund-{region}.yaml"
    p.write_text(
        f'region: "{region}"\nyear: {year}\nbalance: {balance}\nspending: {spending}\n', encoding="utf-8"
    )
    return FundInput.read(p)


# 1. a what-if above a national 不超过 ceiling is refused, as a policy file with that value is


def test_override_above_the_national_ceiling_is_refused() -> None:
    # 晋人社厅发〔2024〕28号 二 under 人社部发〔2024〕40号 二 “中小微企业按不超过60%返还”
    res = _yangquan_2024()
    with pytest.raises(SettingError) as err:
        split_overrides(res, parse_settings({"refund_rate_sme": "70%"}))
    text = str(err.value)
    assert text.index("“refund_rate_sme”为 70%，超过国家上限 60%（人社部发〔2024〕40号 二）") < text.index(
        " / "
    )
    assert "exceeds the ceiling 60% (人社部发〔2024〕40号 二)" in text
    with pytest.raises(SettingError, match="超过国家上限 30%"):
        split_overrides(res, parse_settings({"refund_rate_large": "30.01%"}))


def test_exactly_at_the_ceiling_is_allowed() -> None:
    res = _yangquan_2024()
    p = res.params["refund_rate_sme"]
    # the document in force below the ceiling (50%): 60% is a what-if within 不超过60%, recorded as one
    below = replace(res, params={**res.params, "refund_rate_sme": replace(p, value=Fraction(1, 2))})
    out, _, lines = split_overrides(below, parse_settings({"refund_rate_sme": "60%"}))
    assert out.params["refund_rate_sme"].value == Fraction(3, 5) and len(lines) == 1
    with pytest.raises(SettingError, match="超过国家上限 60%"):
        split_overrides(below, parse_settings({"refund_rate_sme": "60.01%"}))
    split_overrides(res, parse_settings({"refund_rate_sme": "60%", "refund_rate_large": "29%"}))


def test_cli_evaluate_and_simulate_refuse_above_the_ceiling(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from wengang.cli import app

    runner = CliRunner()
    shanxi = tmp_path / "yq.json"  # the example as a 阳泉 unit: a case is decided in its own region (session 40)
    shanxi.write_text(json.dumps(json.loads(EXAMPLE.read_text(encoding="utf-8")) | {"region_code": "140302"},
                                 ensure_ascii=False), encoding="utf-8")
    args = ["evaluate", str(shanxi), "--region", "140300", "--date", "2024-08-01"]
    bad = runner.invoke(app, [*args, "--setting", "refund_rate_sme=70%"])
    assert bad.exit_code == 2 and "超过国家上限 60%（人社部发〔2024〕40号 二）" in bad.output
    assert runner.invoke(app, [*args, "--setting", "refund_rate_sme=60%"]).exit_code == 0
    facts = tmp_path / "f.parquet"  # a one-unit population of 阳泉, as the audit's yq2024
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    pl.DataFrame([{"credit_code": case["credit_code"], "region_code": "140302"}]).write_parquet(facts)
    sim = runner.invoke(app, ["simulate", str(facts), "--date", "2024-08-01", "--set", "refund_rate_sme=70%"])
    assert sim.exit_code == 2 and "超过国家上限 60%（人社部发〔2024〕40号 二）" in sim.output


# 2. units moving into or out of 待认定/无法判定 are counted apart, not as a change of cost


def test_units_becoming_needs_decision_are_not_a_saving(population: Path, tmp_path: Path) -> None:
    # the variant leaves the size reading open: units whose amount depends on it become 待认定
    r = simulate(
        population, baseline=Scenario(readings=READ), variant=Scenario("方案"), population_readings=False
    )
    assert r.pending_in > 0 and r.pending_in_base_fen > 0
    res = pl.read_parquet(population / "results.parquet").with_row_index("i")
    assert r.base_total_fen == int(res.filter(pl.col("status") == "eligible")["amount_fen"].sum())
    assert r.lost == 0 and r.gained == 0 and r.delta_fen == 0  # nothing decided both ways changed
    assert r.total_change_fen == r.delta_fen - r.pending_in_base_fen + r.pending_out_variant_fen < 0
    assert sum(g.pending_in for g in r.by_size) == r.pending_in
    assert sum(g.pending_in_base_fen for g in r.by_region) == r.pending_in_base_fen
    data = r.to_dict()
    assert data["delta_fen"] == 0 and data["pending_in"]["units"] == r.pending_in
    assert data["pending_in"]["baseline_fen"] == r.pending_in_base_fen
    assert "待认定，金额未定" in data["pending_in"]["variant"]

    from wengang.reports.simulation import summary_lines, write_simulation

    lines = dict(summary_lines(r))
    assert lines["变化（两次均已判定的单位）"] == "0.00元"
    assert "方案待认定，金额未定" in lines["转为待认定/无法判定（另计，不计入变化）"]
    files = write_simulation(r, tmp_path / "o")
    ws = openpyxl.load_workbook(files["测算表（Excel）"])["变化明细"]
    head = [c.value for c in ws[3]]
    rows = [dict(zip(head, row, strict=True)) for row in ws.iter_rows(min_row=4, values_only=True)]
    moved = [x for x in rows if x["基线结论"] == "符合条件" and x["方案结论"] == "待认定"]
    assert moved and all(x["方案金额（元）"] is None and x["变化（元）"] is None for x in moved)
    assert all("方案待认定，金额未定" in x["说明"] for x in moved)


# 3. a screening's output is decided under the readings the screening recorded


def test_baseline_uses_the_screening_readings(population: Path) -> None:
    r = simulate(population, variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "50%"})))
    res = pl.read_parquet(population / "results.parquet")
    assert r.base_total_fen == int(res.filter(pl.col("status") == "eligible")["amount_fen"].sum())
    assert r.base_status == {k: v for k, v in res.group_by("status").len().iter_rows()}
    assert r.readings_used["fanhuan.size_class_where_silent"] == "standard_2017"
    assert any("沿用筛查结果" in n for n in r.notes)
    other = simulate(
        population,
        baseline=Scenario(readings={"fanhuan.size_class_where_silent": "given"}),
        variant=Scenario("方案", readings={"fanhuan.size_class_where_silent": "given"}),
    )
    assert other.readings_used["fanhuan.size_class_where_silent"] == "given"  # --reading overrides
    assert any("与筛查所用 fanhuan.size_class_where_silent=standard_2017 不同" in n for n in other.notes)


# 4. the fund: shown figures never contradict the verdict; the periods in force; the fund's region


def test_reserve_display_rounds_down_and_lists_the_period(tmp_path: Path) -> None:
    check = check_reserve(_fund(tmp_path, "150500", "11.995亿元", "12亿元", year=2023))
    assert fmt_years(check.before_years) == "0.99年"
    rows = check.rows()
    # not 内政发〔2019〕4号 (2019–2021) nor 内人社办发〔2022〕86号 (2022)
    assert {r["document"] for r in rows} == {"人社部发〔2024〕40号"}
    assert all(r["before"] is False and r["period"] == "2024-01-01 至 2024-12-31" for r in rows)
    assert fmt_years(Fraction(1)) == "1.00年" and fmt_years(Fraction(-1, 300)) == "-0.01年"


def test_a_fund_of_another_region_is_refused(population: Path, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="基金数据的地区为 阳泉市（140300）"):
        simulate(population, variant=Scenario("方案"), fund=_fund(tmp_path, "140300", "12亿元", "12亿元"))


# 5. the changed-units sheet says when it lists only some


def test_changed_units_sheet_says_it_is_cut(population: Path, tmp_path: Path) -> None:
    from wengang.money import format_yuan
    from wengang.reports.simulation import write_simulation

    change = parse_settings({"refund_rate_sme": "50%"})
    r = simulate(population, variant=Scenario("方案", settings=change), keep_changes=3)
    assert r.change_totals is not None and r.change_totals.units > 3
    assert r.change_totals.delta_fen == r.delta_fen  # every change is a decided one here
    ws = openpyxl.load_workbook(write_simulation(r, tmp_path / "o")["测算表（Excel）"])["变化明细"]
    meta = [ws.cell(2, 1).value, ws.cell(3, 1).value]
    assert (
        meta[0]
        == f"共 {r.change_totals.units:,} 个单位金额或结论改变，本表列出 3 个（按变化绝对值最大者，其余未列出）"
    )
    assert (
        f"变化 −{format_yuan(-r.change_totals.delta_fen)}" in meta[1] and "只是本表所列 3 个的合计" in meta[1]
    )
    assert r.to_dict()["changes"]["listed"] == 3


# 7. a results file is not a population


def test_results_file_is_refused_clearly(population: Path) -> None:
    with pytest.raises(SimulationError, match="是筛查结果"):
        simulate(population / "results.parquet", variant=Scenario("方案"), on=date(2025, 8, 1))
