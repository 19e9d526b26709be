"""The amount histogram's bins: the labels say 以下（含）/超过…至…（含）/超过, so a bound falls in the bin below it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.simulate.population import screened
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.simulate import AMOUNT_BINS_YUAN, Scenario, amount_bin_index, amount_bin_labels, simulate

LABELS = [
    "1,000元以下（含）",
    "超过1,000元至5,000元（含）",
    "超过5,000元至10,000元（含）",
    "超过10,000元至50,000元（含）",
    "超过50,000元至100,000元（含）",
    "超过100,000元至500,000元（含）",
    "超过500,000元至1,000,000元（含）",
    "超过1,000,000元",
]


def _bin(fen: int) -> str:
    return amount_bin_labels()[amount_bin_index(pl.Series([fen], dtype=pl.Int64)).item()]


def test_labels() -> None:
    assert amount_bin_labels() == LABELS


def test_1000_yuan_exactly_is_in_the_lower_bin() -> None:
    assert _bin(100_000) == "1,000元以下（含）"  # 1,000.00元
    assert _bin(100_001) == "超过1,000元至5,000元（含）"  # 1,000.01元


@pytest.mark.parametrize("i", range(1, len(AMOUNT_BINS_YUAN)))
def test_each_bound(i: int) -> None:
    bound_fen = AMOUNT_BINS_YUAN[i] * 100
    assert _bin(bound_fen) == LABELS[i - 1]  # exactly the bound: the bin that ends at it (含)
    assert _bin(bound_fen + 1) == LABELS[i]  # one fen over: 超过 the bound
    assert _bin(bound_fen - 1) == LABELS[i - 1]


def test_zero_and_one_fen_are_in_the_first_bin() -> None:
    assert _bin(0) == _bin(1) == LABELS[0]


def test_the_simulation_histogram_uses_these_bins(tmp_path: Path) -> None:
    population = screened(tmp_path, units=60)
    r = simulate(population, baseline=Scenario(readings=dict(DEMO_READINGS)), variant=Scenario("方案"))
    assert [b for b, _, _ in r.histogram] == LABELS
    amounts = (
        pl.read_parquet(population / "results.parquet")
        .filter(pl.col("status") == "eligible")["amount_fen"]
        .to_list()
    )
    uppers = [y * 100 for y in AMOUNT_BINS_YUAN[1:]]
    # independent count: the first bin whose upper bound the amount does not exceed
    expected = [0] * len(LABELS)
    for a in amounts:
        expected[next((i for i, u in enumerate(uppers) if a <= u), len(uppers))] += 1
    assert [x for _, x, _ in r.histogram] == expected
    assert sum(expected) == len(amounts) > 0
