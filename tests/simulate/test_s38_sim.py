"""Audit s38 (simulation and what-ifs): a national ceiling applying to a region directly is a ceiling set above it;
a fractional number of years in a batch comparison; the fund's year is the 上年度 of the next policy year; the
percent refusal suggests sensible forms."""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.simulate.population import screened
from wengang.cli import app
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.settings import SettingError, parse_settings, parse_value, split_overrides
from wengang.simulate import FundInput, Scenario, SimulationError, check_reserve, simulate

READ = dict(DEMO_READINGS)
EXAMPLE = Path(__file__).parents[2] / "examples" / "fanhuan" / "eligible_sme.json"


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened(tmp_path_factory.mktemp("s38"))


def _fund(tmp_path: Path, year: int, region: str = "150500") -> FundInput:
    p = tmp_path / f"fund-{region}-{year}.yaml"
    p.write_text(f'region: "{region}"\nyear: {year}\nbalance: 12亿元\nspending: 3亿元\n', encoding="utf-8")
    return FundInput.read(p)


# F3: 通辽 in 2024 is under 人社部发〔2024〕40号 itself: its 不超过60% is set above 通辽, as for 阳泉


@pytest.mark.parametrize("region", ["150500", "140300"])
def test_a_what_if_above_a_national_ceiling_is_refused_in_every_region(region: str) -> None:
    from wengang.policies import load_policy_set

    res = load_policy_set().resolve(region=region, on=date(2024, 8, 1), program="fanhuan")
    with pytest.raises(SettingError, match="超过国家上限 60%（人社部发〔2024〕40号 二）"):
        split_overrides(res, parse_settings({"refund_rate_sme": "70%"}))
    with pytest.raises(SettingError, match="超过国家上限 30%"):
        split_overrides(res, parse_settings({"refund_rate_large": "30.01%"}))
    out, _, lines = split_overrides(res, parse_settings({"refund_rate_sme": "50%"}))
    assert out.params["refund_rate_sme"].value == Fraction(1, 2) and len(lines) == 1
    split_overrides(res, parse_settings({"refund_rate_sme": "60%"}))  # 不超过 includes the ceiling


def test_cli_refuses_the_tongliao_2024_what_if(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["evaluate", str(EXAMPLE), "-p", "fanhuan", "-r", "通辽", "-d", "2024-08-01",
            "--setting", "fund_reserve_years=2"]
    bad = runner.invoke(app, [*args, "--setting", "refund_rate_sme=70%"])
    assert bad.exit_code == 2 and "超过国家上限 60%（人社部发〔2024〕40号 二）" in bad.output
    assert "结论" not in bad.output
    assert runner.invoke(app, [*args, "--setting", "refund_rate_sme=60%"]).exit_code == 0
    facts = tmp_path / "f.parquet"  # a one-unit population of 通辽
    case = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    pl.DataFrame([{"credit_code": case["credit_code"], "region_code": "150502"}]).write_parquet(facts)
    sim = runner.invoke(app, ["simulate", str(facts), "--date", "2024-08-01", "--set", "refund_rate_sme=70%"])
    assert sim.exit_code == 2 and "超过国家上限 60%（人社部发〔2024〕40号 二）" in sim.output


# F6: fund_reserve_years=1.5 (README's own example) in a batch dated 2024


@pytest.mark.parametrize("years", ["1.5", "0.5", "0", "2"])
def test_a_fractional_reserve_setting_screens_in_a_batch(population: Path, tmp_path: Path, years: str) -> None:
    out = tmp_path / f"scr{years}"
    res = CliRunner().invoke(app, [
        "screen", "--facts", str(population / "features.parquet"), "-d", "2024-08-01", "--year", "2024",
        "--setting", f"fund_reserve_years={years}", "--out", str(out), "--no-excel",
        *[a for k, v in READ.items() for a in ("--reading", f"{k}={v}")],
    ])
    assert res.exit_code == 0, res.output
    assert "内部错误" not in res.output and "RuleDefinitionError" not in res.output
    got = pl.read_parquet(out / "results.parquet")
    met = Fraction(years) >= 1
    if met:
        assert (got["status"] == "eligible").sum() > 0
    else:  # under a year: the reserve reading decides, never 符合条件 silently
        assert (got["status"] == "eligible").sum() == 0


def test_batch_and_single_case_agree_on_one_and_a_half_years(population: Path, tmp_path: Path) -> None:
    args = ["--setting", "fund_reserve_years=1.5"]
    a = tmp_path / "a"
    b = tmp_path / "b"
    common = ["screen", "--facts", str(population / "features.parquet"), "-d", "2024-08-01", "--year", "2024",
              "--no-excel", *[x for k, v in READ.items() for x in ("--reading", f"{k}={v}")]]
    assert CliRunner().invoke(app, [*common, *args, "--out", str(a)]).exit_code == 0
    assert CliRunner().invoke(app, [*common, "--setting", "fund_reserve_years=2", "--out", str(b)]).exit_code == 0
    ra, rb = pl.read_parquet(a / "results.parquet"), pl.read_parquet(b / "results.parquet")
    assert ra["status"].to_list() == rb["status"].to_list() and ra["amount_fen"].to_list() == rb["amount_fen"].to_list()


def test_simulate_with_a_fractional_reserve_setting(population: Path) -> None:
    r = simulate(
        population,
        baseline=Scenario(on=date(2024, 8, 1), settings=parse_settings({"fund_reserve_years": "1.5"}), readings=READ),
        variant=Scenario("方案", on=date(2024, 8, 1),
                         settings=parse_settings({"fund_reserve_years": "1.5", "refund_rate_sme": "50%"}),
                         readings=READ),
    )
    assert r.base_total_fen > 0 and r.delta_fen < 0


# F8: a fund of year-end Y is the 上年度 of the Y+1 policies


def test_the_fund_year_is_the_previous_year_of_the_policy_year(tmp_path: Path) -> None:
    old = check_reserve(_fund(tmp_path, 2023))
    assert old.policy_year == 2024
    assert {r["citation"] for r in old.rows()} >= {"人社部发〔2024〕40号 二", "人社部发〔2024〕40号 三"}
    new = check_reserve(_fund(tmp_path, 2024))
    assert new.policy_year == 2025
    assert not any("2024〕40号" in r["citation"] for r in new.rows())  # 40号 asks for the 2023 reserve
    assert "2025年度" in new.basis_zh() and "没有备付期限前提" in new.basis_zh()


def test_simulate_refuses_a_fund_of_another_year_than_the_dates_previous(population: Path, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="基金数据为 2024 年末.*2023 年末"):
        simulate(
            population,
            baseline=Scenario(on=date(2024, 8, 1), settings=parse_settings({"fund_reserve_years": "2"}),
                              readings=READ),
            variant=Scenario("方案", on=date(2024, 8, 1),
                             settings=parse_settings({"fund_reserve_years": "2", "refund_rate_sme": "50%"}),
                             readings=READ),
            fund=_fund(tmp_path, 2024),
        )
    r = simulate(  # the population's own date (2025-08-01) with the 2024 fund
        population,
        baseline=Scenario(readings=READ),
        variant=Scenario("方案", settings=parse_settings({"refund_rate_sme": "50%"}), readings=READ),
        fund=_fund(tmp_path, 2024),
    )
    assert r.reserve is not None and r.reserve.policy_year == 2025


# F10: the percent refusal suggests forms that are percentages


@pytest.mark.parametrize(
    ("raw", "suggested", "not_suggested"),
    [
        ("0.7", "“70%”", "“0.7%”；"),
        ("七成", "“70%”", "七成%"),
        ("70", "“70%”", "70%%"),
        ("", "“60%”", "“%”"),
        ("abc", "“60%”", "abc%"),
    ],
)
def test_percent_refusal_suggests_sensible_forms(raw: str, suggested: str, not_suggested: str) -> None:
    with pytest.raises(SettingError) as info:
        parse_value("refund_rate_sme", raw, "percent")
    text = str(info.value)
    assert suggested in text and not_suggested not in text, text


def test_full_width_percent_sign_is_accepted() -> None:
    assert parse_value("refund_rate_sme", "70％", "percent") == Fraction(7, 10)
    assert parse_value("refund_rate_sme", "７０％", "percent") == Fraction(7, 10)
    assert parse_value("processing_working_days", "12个工作日", "working_day") == 12
