"""features.parquet written behind the run's next steps (``derive_features_partitioned(write_behind=True)``): the
rules decide the last chunk while it is written, and the holds and results.parquet run beside the write too. The
run must still end with the whole file there — or, when it fails, with no file at all."""

import functools
import threading
import time
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from wengang.screening import output
from wengang.screening.demo_data import generate_region
from wengang.screening.features import derive_features_partitioned
from wengang.screening.ingest import read_table
from wengang.screening.pipeline import RAW_TABLES, TableSource, latest_month_of, run_screening

ON = date(2025, 8, 1)
YEAR = 2025


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("write_behind")
    return generate_region(root / "data", n_units=80, year=YEAR, seed=11, chunk_units=80, months_through="2025-06")


def _raws(paths):
    return {name: read_table(next(paths[name].glob("*.parquet")), name) for name in RAW_TABLES}


@pytest.fixture
def slow_write(monkeypatch):
    """features.parquet's write (a one-frame file) takes a while, long after the rest of the run could end."""
    started = threading.Event()

    def slow(frame, path, **kwargs):
        started.set()
        time.sleep(0.5)
        return write(frame, path, **kwargs)

    write = output.write_parquet
    monkeypatch.setattr(output, "write_parquet", lambda frame, path, **kw: (slow if path.name == "features.parquet"
                                                                          else write)(frame, path, **kw))
    return started


def test_the_file_is_complete_once_written_is_waited_for(region, tmp_path, slow_write):
    raws = _raws(region)
    chunks: list[pl.DataFrame] = []
    run = derive_features_partitioned(
        raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
        partitions=1, others=raws, latest_month=functools.partial(latest_month_of, evaluation_date=ON),
        with_provenance=True, on_chunk=chunks.append, write_behind=True,
    )  # fmt: skip
    assert run.features_pending is not None  # still being written when the function returned
    run.features_written()
    run.features_written()  # (a second wait is nothing)
    assert_frame_equal(pl.read_parquet(run.features_path), pl.concat(chunks))


def test_a_rule_that_fails_leaves_no_features_file(region, tmp_path, slow_write):
    raws = _raws(region)

    def broken(chunk: pl.DataFrame) -> None:
        assert slow_write.wait(10)  # the file is being written as the rules fail
        raise RuntimeError("the rules failed")

    with pytest.raises(RuntimeError, match="the rules failed"):
        derive_features_partitioned(
            raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
            partitions=1, others=raws, latest_month=functools.partial(latest_month_of, evaluation_date=ON),
            with_provenance=True, on_chunk=broken, write_behind=True,
        )  # fmt: skip
    time.sleep(0.7)  # past the slow write: nothing writes the file after the failure either
    assert not (tmp_path / "out" / "features.parquet").exists()


def test_a_screen_ends_with_its_features_written(region, tmp_path, slow_write):
    tables = {name: TableSource(str(region[name])) for name in RAW_TABLES}
    report = run_screening(tmp_path / "out", evaluation_date=ON, policy_year=YEAR, tables=tables, excel=False)
    features = pl.read_parquet(tmp_path / "out" / "features.parquet")  # whole, as the run returns
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert features.height == results.height == report.summary.total > 50
    assert features.get_column("credit_code").to_list() == results.get_column("credit_code").to_list()
