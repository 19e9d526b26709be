"""Input findings of session 39: each fixed in the shared input layer (screening.ingest.bind), so every table of
every screen reads the same way. Small files only."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from wengang.facts.identifiers import make_credit_code
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150522", "MA0000002")


def _units(**overrides: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({
        "credit_code": [A, B], "name": ["甲公司", "乙公司"], "region_code": ["150502", "150522"],
        "org_type": ["enterprise", "enterprise"], "legal_entity_credit_code": pl.Series([None, None], dtype=pl.String),
        "industry_code": ["F5211", "C1311"], "employees": [5, 40],
        "revenue_10k_yuan": pl.Series([None, None], dtype=pl.Int64),
    }).with_columns(**overrides)  # fmt: skip


def test_a_parquet_column_with_no_value_typed_null_reads_as_an_empty_column(tmp_path: Path):
    """A column no row fills is written by many tools as Parquet's Null type; it had stopped the whole run
    (“invalid series dtype: expected String, got null”) instead of reading as the empty column it is."""
    typed, untyped = tmp_path / "typed.parquet", tmp_path / "untyped.parquet"
    _units().write_parquet(typed)
    _units(legal_entity_credit_code=pl.lit(None), revenue_10k_yuan=pl.lit(None)).write_parquet(untyped)
    assert pl.read_parquet_schema(untyped)["legal_entity_credit_code"] == pl.Null
    want, got = validate_table(read_table(typed, "units")), validate_table(read_table(untyped, "units"))
    assert (got.report.rows_in, got.report.accepted, got.report.quarantined) == (2, 2, 0)
    assert_frame_equal(got.accepted, want.accepted)


def test_a_required_column_with_no_value_quarantines_each_row_by_its_field(tmp_path: Path):
    p = tmp_path / "u.parquet"
    _units(region_code=pl.lit(None)).write_parquet(p)
    got = validate_table(read_table(p, "units"))
    assert (got.report.rows_in, got.report.accepted, got.report.quarantined) == (2, 0, 2)
    assert got.quarantine["field"].to_list() == ["region_code", "region_code"]
