"""``--memory-limit``: the partition size follows the limit (measured model), and a limit too small is refused."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import wengang.screening.pipeline as pipeline
from wengang.cli import app
from wengang.screening.demo_data import generate_region
from wengang.screening.ingest import IngestError
from wengang.screening.pipeline import ROWS_PER_PARTITION, rows_per_partition, run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def test_no_limit_keeps_the_default_partition_size():
    assert rows_per_partition(None, 10_000_000) == ROWS_PER_PARTITION


def test_the_limit_sets_the_partition_size():
    # 8 GiB at 10 M units: the default 16 M-row partitions fit; at 2 GiB they must be smaller
    assert rows_per_partition(8, 10_000_000) == ROWS_PER_PARTITION
    small = rows_per_partition(2, 1_000_000)
    assert 500_000 <= small < ROWS_PER_PARTITION
    assert rows_per_partition(3, 1_000_000) > small  # more memory, larger partitions


def test_a_limit_too_small_is_refused_in_both_languages():
    with pytest.raises(IngestError) as exc:
        rows_per_partition(0.5, 10_000_000)
    assert "内存上限" in exc.value.message_zh and "memory limit" in exc.value.message_en


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("memlimit")
    return root, generate_region(root / "data", region_code="150500", n_units=1500, year=2025, seed=5)


def _results(path) -> pl.DataFrame:
    return pl.read_parquet(path / "results.parquet").sort("credit_code")


def test_a_run_under_a_limit_partitions_and_gives_the_same_results(region, tmp_path, monkeypatch):
    root, paths = region
    kwargs = dict(
        program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
        tables={k: paths[k] for k in TABLES}, allowed_regions={"150500", "150502"}, excel=False,
    )  # fmt: skip
    whole = run_screening(tmp_path / "whole", **kwargs)
    # a tiny data set fits in any limit: make the model's rows dear so the limit forces partitions
    monkeypatch.setattr(pipeline, "MIN_ROWS_PER_PARTITION", 1)
    monkeypatch.setattr(pipeline, "MEMORY_BASE_BYTES", 0)
    monkeypatch.setattr(pipeline, "MEMORY_BYTES_PER_UNIT", 0)
    n_monthly = next(r.rows_in for r in whole.reports if r.table == "contributions")
    monkeypatch.setattr(pipeline, "MEMORY_BYTES_PER_MONTHLY_ROW", 2**30 // (n_monthly // 3))
    limited = run_screening(tmp_path / "limited", memory_limit_gib=1.0, **kwargs)
    assert "其中分区拆分" in limited.seconds  # it was partitioned (timings of the split step are reported)
    assert limited.reconciles
    assert_frame_equal(_results(tmp_path / "limited"), _results(tmp_path / "whole"))


def test_cli_takes_the_limit(region, tmp_path):
    _, paths = region
    args = ["screen", "--no-excel", "--json", "--date", "2025-08-01", "--year", "2025"]
    for t in TABLES:
        args += [f"--{t.replace('_', '-')}", str(paths[t])]
    ok = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o"), "--memory-limit", "4"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "o" / "results.parquet").exists()
    refused = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "p"), "--memory-limit", "0.5"])
    assert refused.exit_code != 0 and "内存上限" in refused.output
