"""A run's own facts screened again keep that run's payment holds (README audit, session 40): a hold from the raw
screen's quarantine is not the rules' to give again, and `wengang screen --facts out/…/features.parquet` had written
every one of them payment_hold=false, so `case import` stored refusals resting on bad rows as final."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.screening.holds import CARRIED_UNKNOWN

runner = CliRunner()


@pytest.fixture(scope="module")
def raw_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("s40holds")
    r = runner.invoke(app, ["demo-data", "--out", str(root / "raw"), "--units", "300", "--year", "2025"])
    assert r.exit_code == 0, r.output
    args = ["screen", "-d", "2025-08-01", "-r", "通辽", "--out", str(root / "o1"), "--no-excel"]
    for t in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch"):
        args += [f"--{t.replace('_', '-')}", str(root / "raw" / t)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    held = pl.read_parquet(root / "o1" / "results.parquet").filter(pl.col("payment_hold").fill_null(False))
    assert held.height >= 1  # the demo plants a bad monthly row
    return root, held


def _held(path) -> dict[str, str]:
    r = pl.read_parquet(path).filter(pl.col("payment_hold").fill_null(False))
    return dict(zip(r["credit_code"].to_list(), r["payment_hold_reason"].to_list(), strict=True))


def test_a_runs_own_features_keep_its_holds(raw_run):
    root, held = raw_run
    r = runner.invoke(app, ["screen", "-d", "2025-08-01", "--facts", str(root / "o1" / "features.parquet"),
                            "--out", str(root / "o2"), "--no-excel"])
    assert r.exit_code == 0, r.output
    assert "沿用原筛查结果" in r.output
    again = _held(root / "o2" / "results.parquet")
    assert set(held["credit_code"].to_list()) <= set(again)


def test_a_unit_the_earlier_results_lack_is_held_where_it_would_pay(raw_run, tmp_path):
    root, _ = raw_run
    earlier = pl.read_parquet(root / "o1" / "results.parquet")
    eligible = earlier.filter(pl.col("status") == "eligible")["credit_code"][0]
    earlier.filter(pl.col("credit_code") != eligible).write_parquet(tmp_path / "partial.parquet")
    r = runner.invoke(app, ["screen", "-d", "2025-08-01", "--facts", str(root / "o1" / "features.parquet"),
                            "--holds", str(tmp_path / "partial.parquet"), "--out", str(tmp_path / "o3"), "--no-excel"])
    assert r.exit_code == 0, r.output
    assert _held(tmp_path / "o3" / "results.parquet")[eligible] == CARRIED_UNKNOWN


def test_holds_without_facts_is_refused(tmp_path):
    r = runner.invoke(app, ["screen", "-d", "2025-08-01", "--holds", str(tmp_path / "x.parquet"), "--out",
                            str(tmp_path / "o")])
    assert r.exit_code == 2 and "--holds 只与 --facts 同用" in r.output
