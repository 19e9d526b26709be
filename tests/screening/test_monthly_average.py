"""The monthly average insured staff in a raw screen is exact (人社部发〔2024〕40号 二, 内人社发〔2025〕18号 一).

The monthly rows give last year's headcount month by month; their average is a fraction in general (438 person-months
÷ 12 = 36.5). Screening once floored it: a layoff rate over the average came out too high (2 ÷ 36 = 5.56 % > 5.5 %,
where 2 ÷ 36.5 = 5.48 % is within it) and a unit of 30.5 on average counted as "30人（含）以下". The features now carry
the person-months and the rules divide exactly.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from wengang.evaluate import evaluate
from wengang.screening.pipeline import run_screening

CODE = "91150502MA0N1234XN"
ON = date(2025, 8, 1)
READINGS = {"fanhuan.layoff_rate_formula": "average", "fanhuan.size_class_where_silent": "avg_contributors"}


def _tables(root: Path, persons_2024: list[int], headcount: int, layoffs: int) -> dict[str, Path]:
    """One unit: every month of 2023–2025-07 paid in full, ``persons_2024`` insured in 2024's twelve months."""
    root.mkdir(parents=True)
    (root / "units.csv").write_text(
        f"credit_code,name,region_code,org_type,has_corporate_account\n{CODE},测试单位,150502,enterprise,true\n",
        encoding="utf-8",
    )
    rows = ["credit_code,month,due_fen,paid_fen,paid_date,late_fee_fen,insured_persons"]
    months = [(y, m) for y in (2023, 2024) for m in range(1, 13)] + [(2025, m) for m in range(1, 8)]
    for y, m in months:
        persons = persons_2024[m - 1] if y == 2024 else 30
        rows.append(f"{CODE},{y}-{m:02d},100000,100000,{y}-{m:02d}-15,0,{persons}")
    (root / "contributions.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "headcount.csv").write_text(
        f"credit_code,year,insured_headcount,layoffs,normal_attrition\n{CODE},2024,{headcount},{layoffs},0\n",
        encoding="utf-8",
    )
    return {t: root / f"{t}.csv" for t in ("units", "contributions", "headcount")}


def _screen(tmp_path: Path, persons_2024: list[int], headcount: int, layoffs: int, **readings: str):
    tables = _tables(tmp_path / "in", persons_2024, headcount, layoffs)
    out = tmp_path / "out"
    report = run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, excel=False,
        readings={**READINGS, **readings},
    )  # fmt: skip
    assert report.reconciles
    return pl.read_parquet(out / "features.parquet"), pl.read_parquet(out / "results.parquet")


def test_the_features_carry_the_person_months_not_a_rounded_average(tmp_path):
    features, _ = _screen(tmp_path, [36] * 6 + [37] * 6, headcount=36, layoffs=2)
    row = features.row(0, named=True)
    assert row["insured_person_months_last_year"] == 438
    assert row["avg_insured_last_year"] is None  # a whole number would have to round 36.5
    assert row["avg_contributors_12m"] == 36  # its only test is ≥ 300: floored is exact there


@pytest.mark.parametrize(
    ("persons_2024", "headcount", "layoffs", "small_unit_rule", "status", "amount_fen"),
    [
        # 2 ÷ 36.5 = 5.48 % ≤ 5.5 % (不高于): eligible; floored to 36 it was 5.56 % and refused
        ([36] * 6 + [37] * 6, 36, 2, "workforce", "eligible", 720000),
        # 2 ÷ (436 / 12) = 5.505 % > 5.5 %
        ([36] * 8 + [37] * 4, 36, 2, "workforce", "ineligible", None),
        # 30.5 on average is not "30人（含）以下"; 6 ÷ 30.5 = 19.7 % > 5.5 %: refused (floored to 30 it was small)
        ([30] * 6 + [31] * 6, 25, 6, "average", "ineligible", None),
        # exactly 30 on average is (含本数), and 6 ÷ 30 = 20 % ≤ 20 %
        ([30] * 12, 24, 6, "average", "eligible", 720000),
    ],
)
def test_the_layoff_tests_read_the_exact_average(tmp_path, persons_2024, headcount, layoffs, small_unit_rule, status,
                                                 amount_fen):  # fmt: skip
    features, results = _screen(
        tmp_path, persons_2024, headcount, layoffs, **{"fanhuan.small_unit_rule": small_unit_rule}
    )
    got = results.row(0, named=True)
    assert (got["status"], got["amount_fen"]) == (status, amount_fen)
    # the same facts decided one case at a time give the same decision
    facts = {k: v for k, v in features.row(0, named=True).items() if v is not None}
    one = evaluate("fanhuan", "150502", ON, facts, readings={**READINGS, "fanhuan.small_unit_rule": small_unit_rule})
    assert (one.status, one.amount_fen) == (status, amount_fen)
