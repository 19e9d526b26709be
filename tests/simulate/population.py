"""A small screened demo region: the population the simulation and report tests run on."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.screening.pipeline import run_screening

DAY = date(2025, 8, 1)


def screened(root: Path, units: int = 400, settings: dict | None = None, name: str = "results") -> Path:
    data = root / "data"
    if not data.exists():
        generate_region(data, region_code="150500", n_units=units, year=2025, seed=7)
    tables = {
        k: data / k
        for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
    }
    out = root / name
    run_screening(
        out,
        program="fanhuan",
        evaluation_date=DAY,
        policy_year=2025,
        tables=tables,
        excel=False,
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        readings=dict(DEMO_READINGS),
        settings=settings or {},
    )
    return out
