"""What no text a caseworker, unit or person reads may hold: internal codes (shared by the user-facing text tests)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

# a reading as the machine writes it: switch=key (``fanhuan.normal_attrition=excluded``)
SWITCH_KEY = re.compile(r"[A-Za-z0-9_]+\.[A-Za-z0-9_]+=")
# an English status code (符合条件/不符合条件/待认定/无法判定 are the labels)
STATUS_CODE = re.compile(r"(?<![A-Za-z_])(eligible|ineligible|needs_decision|not_determinable)(?![A-Za-z_])")


def codes_in(text: str) -> list[str]:
    return [m.group(0) for m in SWITCH_KEY.finditer(text)] + [m.group(0) for m in STATUS_CODE.finditer(text)]


TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def screen_small_region(root: Path, *, excel: bool) -> Path:
    """A small generated 通辽 region (200 units) screened for 稳岗返还 by the real pipeline; its output folder."""
    from wengang.screening.demo_data import allowed_regions_for, generate_region
    from wengang.screening.pipeline import run_screening

    paths = generate_region(root / "data", region_code="150500", n_units=200, year=2025, seed=11)
    run_screening(
        root / "out",
        program="fanhuan",
        evaluation_date=date(2025, 8, 1),
        policy_year=2025,
        tables={k: paths[k] for k in TABLES},
        excel=excel,
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
    )
    return root / "out"
