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


def test_a_people_facts_run_writes_a_publicity_list_of_persons(tmp_path):
    # second outside look (session 38): `screen --facts … --program training_living_allowance` crashed in the 公示 list
    facts = tmp_path / "facts.parquet"
    pl.DataFrame({"id_number": ["152301199001010015"], "name": ["周八"], "region_code": ["150502"],
                  "unemployed": [True], "training_passed": [True], "employment_difficulty": [True],
                  "zero_employment_family": [False], "living_allowance_times_this_year": [0],
                  "receiving_ui_benefit": [False], "training_start": [date(2020, 11, 1)]}).write_parquet(facts)
    r = CliRunner().invoke(app, ["screen", "--facts", str(facts), "--program", "training_living_allowance", "--date",
                                 "2021-01-20", "--out", str(tmp_path / "out"),
                                 "--setting", "living_allowance_standard=800元"])
    assert r.exit_code == 0, r.output
    listed = pl.read_excel(tmp_path / "out" / "publicity.xlsx")
    assert listed.columns == ["序号", "姓名", "公民身份号码", "培训期间生活费补贴金额（元）"]
    name, masked, amount = listed.row(0)[1:]
    assert (name, amount) == ("周八", "800.00") and masked.startswith("1523") and "199001010" not in masked
