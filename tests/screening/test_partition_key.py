"""A partitioned run hashes each unit's code to choose its partition. When every code is written as its
normalised form, the partitions hash the codes as written (no upper-casing of 10^8 values): the same
partition numbers, so the same partitions; any other spelling anywhere keeps the normalising hash."""

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.features import codes_as_written_are_keys, derive_features_partitioned, partition_expr
from wengang.screening.ingest import RawTable, read_table
from wengang.screening.pipeline import RAW_TABLES
from wengang.screening.schemas import ALL_TABLES

CODES = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=18, max_size=18)
SPELLINGS = st.one_of(
    st.none(), CODES, CODES.map(str.lower), CODES.map(lambda c: f"{c[:8]} {c[8:]}"), st.text(max_size=20)
)


@settings(max_examples=150, deadline=None)
@given(codes=st.lists(CODES, min_size=1, max_size=30), n=st.integers(2, 16))
def test_codes_in_upper_case_take_the_shortcut_to_the_same_partitions(codes, n):
    frame = pl.DataFrame({"credit_code": codes}, schema={"credit_code": pl.String})
    raw = RawTable(ALL_TABLES["units"], "units.parquet", frame.lazy())
    assert codes_as_written_are_keys(raw, "credit_code")
    full = frame.select(partition_expr("credit_code", n)).to_series()
    assert full.equals(frame.select(partition_expr("credit_code", n, as_written=True)).to_series())


@settings(max_examples=150, deadline=None)
@given(codes=st.lists(SPELLINGS, min_size=1, max_size=30), n=st.integers(2, 16))
def test_the_shortcut_is_taken_only_where_it_gives_the_same_partitions(codes, n):
    frame = pl.DataFrame({"credit_code": codes}, schema={"credit_code": pl.String})
    raw = RawTable(ALL_TABLES["units"], "units.parquet", frame.lazy())
    if codes_as_written_are_keys(raw, "credit_code"):
        full = frame.select(partition_expr("credit_code", n)).to_series()
        assert full.equals(frame.select(partition_expr("credit_code", n, as_written=True)).to_series())


@pytest.mark.parametrize(
    ("odd", "why"),
    [
        ("91150522ma0000007d", "lower case"),
        ("91150522MA000000ｄ", "a full-width lower-case letter"),
        ("9115 0522MA0000007D", "a space"),
        ("91150522-MA0000007D", "a hyphen"),
        (" 91150522MA0000007D", "a leading space"),
        ("91150522ma00007d", "16 characters, lower case"),
    ],
)
def test_a_spelling_other_than_the_key_keeps_the_normalising_hash(odd, why):
    def table(codes):
        return RawTable(ALL_TABLES["units"], "units.parquet", pl.LazyFrame({"credit_code": codes}))

    assert not codes_as_written_are_keys(table(["91150522MA0000007D", None, odd]), "credit_code"), why
    assert codes_as_written_are_keys(table(["91150522MA0000007D", None]), "credit_code")
    # values that are their own key, valid codes or not, hash the same either way
    assert codes_as_written_are_keys(table(["91150522MA000000-7", "统一社会信用代", "X"]), "credit_code")
    assert not codes_as_written_are_keys(table([1, 2]), "credit_code")  # not text: no shortcut


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("partition-key")
    generate_region(root / "data", region_code="150500", n_units=2_000, year=2025, seed=5, chunk_units=1_000)
    return root


def _features(tables, out, partitions):
    raws = {name: read_table(path, name) for name, path in tables.items()}
    run = derive_features_partitioned(
        raws.pop("units"), raws.pop("contributions"), out, policy_year=2025, evaluation_date=date(2025, 8, 1),
        partitions=partitions, allowed_regions=allowed_regions_for("150500", 2025), others=raws,
        latest_month="2024-12",
    )  # fmt: skip
    quarantine = pl.read_parquet(run.quarantine_path).drop("source_file")
    return pl.read_parquet(run.features_path).sort("credit_code"), quarantine.sort(pl.all())


def test_a_code_written_in_lower_case_in_one_table_meets_its_unit_in_every_partition_count(region):
    """The monthly rows of some units name them in lower case: with the hash as written those rows would
    go to another partition than their registry row; the run sees the spelling and normalises."""
    tables = {name: region / "data" / name for name in RAW_TABLES}
    lowered = region / "lowered"
    lowered.mkdir()
    monthly = pl.read_parquet(region / "data" / "contributions" / "*.parquet")
    some = monthly.get_column("credit_code").unique().sort().head(40)
    monthly.with_columns(
        pl.when(pl.col("credit_code").is_in(some.implode()))
        .then(pl.col("credit_code").str.to_lowercase())
        .otherwise(pl.col("credit_code"))
    ).write_parquet(lowered / "contributions.parquet")
    tables["contributions"] = lowered / "contributions.parquet"
    f1, q1 = _features(tables, region / "one", 1)
    for n in (2, 5):
        f, q = _features(tables, region / f"p{n}", n)
        assert_frame_equal(f, f1)
        assert_frame_equal(q, q1)
