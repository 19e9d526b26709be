"""`wengang demo` (the main job) screens under the demo agency's determinations, or with every switch open."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from wengang.cli import DEMO_READINGS, app

runner = CliRunner()


def _needs_decision(out: Path) -> int:
    results = pl.read_parquet(out / "results" / "results.parquet")
    return results.filter(pl.col("status") == "needs_decision").height


def test_demo_applies_its_determinations_and_can_leave_them_open(tmp_path: Path) -> None:
    settled = runner.invoke(app, ["demo", "--out", str(tmp_path / "a"), "--units", "400"])
    assert settled.exit_code == 0, settled.output
    assert "已认定" in settled.output
    opened = runner.invoke(app, ["demo", "--out", str(tmp_path / "b"), "--units", "400", "--open-readings"])
    assert opened.exit_code == 0, opened.output
    assert "已认定" not in opened.output
    # 内人社发〔2025〕18号 gives no 划型 rule: left open, the units it decides wait for that one determination
    assert _needs_decision(tmp_path / "a") < _needs_decision(tmp_path / "b")
    readings = pl.read_parquet(tmp_path / "a" / "results" / "results.parquet")["readings"][0]
    assert all(f"{k}={v}" in readings for k, v in DEMO_READINGS.items())


def test_demo_refuses_an_unknown_reading(tmp_path: Path) -> None:
    r = runner.invoke(app, ["demo", "--out", str(tmp_path), "--units", "50", "--reading", "nosuch=1"])
    assert r.exit_code == 2
    assert "未知的解释开关" in r.output
