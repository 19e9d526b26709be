"""The quarantine is written once every table is validated, before the last chunk of features is written and decided
(``derive_features_partitioned``): Polars' pool takes that small write in its turn, and written after the features
it waited for all of them. The rules deciding the last chunk therefore find it complete, as the run leaves it."""

import functools
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from wengang.screening.demo_data import generate_region
from wengang.screening.features import derive_features_partitioned
from wengang.screening.ingest import read_table
from wengang.screening.pipeline import RAW_TABLES, latest_month_of

ON = date(2025, 8, 1)
YEAR = 2025


@pytest.mark.parametrize("partitions", [1, 2])
def test_the_quarantine_is_complete_when_the_last_chunk_is_decided(tmp_path, partitions):
    paths = generate_region(tmp_path / "data", n_units=120, year=YEAR, seed=7, chunk_units=120, months_through="2025-06")
    raws = {name: read_table(next(paths[name].glob("*.parquet")), name) for name in RAW_TABLES}
    quarantine = tmp_path / "out" / "quarantine.parquet"
    seen: list[pl.DataFrame | None] = []

    def decide(chunk: pl.DataFrame) -> None:
        seen.append(pl.read_parquet(quarantine) if quarantine.exists() else None)

    run = derive_features_partitioned(
        raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
        partitions=partitions, others=raws, on_chunk=decide, with_provenance=True,
        latest_month=functools.partial(latest_month_of, evaluation_date=ON) if partitions == 1 else "2025-06",
    )  # fmt: skip
    run.features_written()
    final = pl.read_parquet(run.quarantine_path)
    assert final.height > 0  # the generated region has bad rows
    assert seen[-1] is not None, "the quarantine was not written when the last chunk was decided"
    assert_frame_equal(seen[-1], final)
    assert sum(r.quarantined for r in run.reports.values()) == final.height
