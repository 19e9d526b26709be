"""A people program's facts table screened with ``wengang screen --facts`` writes results that name whom each row is
about (found in the wake of the session-38 Spark audit: results.parquet carried only the unit columns, so no row could
be traced to its person)."""

from __future__ import annotations

from datetime import date

import polars as pl
from typer.testing import CliRunner

from wengang.cli import app


def test_results_of_a_people_facts_table_carry_the_id_number(tmp_path):
    facts = tmp_path / "facts.parquet"
    pl.DataFrame({"id_number": ["152301199001010015", "152301199001010023"], "name": ["甲", "乙"],
                  "region_code": ["150502", "150502"], "receiving_ui_benefit": [True, False],
                  "benefit_month": [date(2025, 8, 1), date(2025, 8, 1)]}).write_parquet(facts)
    r = CliRunner().invoke(app, ["screen", "--facts", str(facts), "--program", "ui_medical_premium", "--date",
                                 "2025-09-01", "--out", str(tmp_path / "out"), "--no-excel",
                                 "--setting", "medical_premium_monthly=215.5元"])
    assert r.exit_code == 0, r.output
    res = pl.read_parquet(tmp_path / "out" / "results.parquet").sort("id_number")
    assert res.select("id_number", "benefit_month", "amount_fen").rows() == [
        ("152301199001010015", date(2025, 8, 1), 21550), ("152301199001010023", date(2025, 8, 1), None)]
