"""A region code as a spreadsheet gives it (outside bad-input audit F8, session 37): ``150522.0``, a number cell read
as text, is the region 150522. Before, every unit of such a registry was quarantined as outside the run's regions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

ON = date(2025, 8, 1)
SIDE = ("contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def test_a_region_code_written_as_a_number_cell(tmp_path: Path) -> None:
    paths = generate_region(tmp_path / "data", n_units=200, year=2025)
    units = pl.read_parquet(paths["units"])
    units.with_columns(pl.col("region_code") + ".0").write_csv(tmp_path / "units.csv")
    allowed = allowed_regions_for("150500", 2025) | {"150500"}

    def screen(name: str, registry: Path) -> pl.DataFrame:
        tables = {"units": registry} | {t: paths[t] for t in SIDE}
        run_screening(tmp_path / name, evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=allowed,
                      excel=False)  # fmt: skip
        return pl.read_parquet(tmp_path / name / "results.parquet").sort("credit_code")

    plain, floats = screen("plain", paths["units"]), screen("floats", tmp_path / "units.csv")
    assert floats.height == plain.height == units.height
    cols = ["credit_code", "region_code", "status", "amount_fen"]
    assert floats.select(cols).equals(plain.select(cols))
