"""Holds applied to results in memory (``hold_results``, the one-partition run) must be those of the rewrite of
results.parquet (``apply_holds``) to the row and the report: only the rows a quarantined row names are touched
(found by one membership test and put back in place), and a row that names nobody (missing code) holds all."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.facts.identifiers import USCC_ALPHABET, make_credit_code
from wengang.screening.holds import REFUSAL_TO_VERIFY, apply_holds, hold_results

CODES = [make_credit_code("91", "150502", f"MA0YYY{i:03d}") for i in range(10)]
STATUS = ["eligible", "eligible", "needs_decision", "eligible", "ineligible", "eligible", "not_determinable",
          "needs_decision", "eligible", "ineligible"]  # fmt: skip
OWN = [None, "缓缴未补足", None, "缓缴未补足", None, "", None, "缓缴未补足", None, None]


def _mistype(code: str) -> str:
    return code[:17] + next(c for c in USCC_ALPHABET if c != code[17])


# quarantined rows: a valid code (as written: lower case, with a hyphen), a mistyped one, an unknown valid code,
# a missing one (holds every payable result), a code of an ineligible unit
CANDIDATES = [
    ("exclusions", 3, CODES[0]),
    ("headcount", 9, _mistype(CODES[1])),
    ("exclusions", 5, CODES[1]),
    ("deferrals", 2, CODES[5].lower()),
    ("exclusions", 7, CODES[3][:6] + "-" + CODES[3][6:]),
    ("exclusions", 8, CODES[7]),
    ("headcount", 4, CODES[7]),
    ("exclusions", 9, CODES[4]),
    ("dispatch", 11, make_credit_code("91", "150502", "MA0XXX999")),
    ("stats_size", 12, None),
]


def _results(null_holds: bool) -> pl.DataFrame:
    return pl.DataFrame({
        "credit_code": CODES,
        "status": pl.Series(STATUS).cast(pl.Enum(["eligible", "ineligible", "needs_decision", "not_determinable"])),
        "amount_fen": [100, 200, 300, 400, 0, 600, None, 800, 900, 0],
        "payment_hold": [None if null_holds and r is None else r is not None for r in OWN],
        "payment_hold_reason": OWN,
        "name": [f"单位{i}" for i in range(10)],
    })  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    picked=st.lists(st.sampled_from(range(len(CANDIDATES))), unique=True, max_size=6),
    null_holds=st.booleans(),
    branches=st.lists(st.sampled_from(range(10)), unique=True, max_size=3),
)
def test_in_memory_holds_are_the_rewrites(tmp_path_factory, picked, null_holds, branches):
    results = _results(null_holds)
    blocked = pl.DataFrame(
        [CANDIDATES[i] for i in picked], schema={"table": pl.String, "source_row": pl.Int64, "code": pl.String},
        orient="row",
    )  # fmt: skip
    extra = pl.DataFrame({"_key": [CODES[i] for i in branches], "_reason": ["法人单位登记信息有误"] * len(branches)})
    path = tmp_path_factory.mktemp("holds") / "results.parquet"
    results.write_parquet(path)
    kw = dict(key_column="credit_code", kind="credit_code", extra=extra)
    want = apply_holds(path, blocked, **kw)
    got_frame, got = hold_results(results, blocked, **kw)
    assert_frame_equal(got_frame, pl.read_parquet(path))
    assert got == want


def test_only_the_named_rows_change():
    results = _results(null_holds=False)
    blocked = pl.DataFrame(
        [CANDIDATES[0], CANDIDATES[7]], schema={"table": pl.String, "source_row": pl.Int64, "code": pl.String},
        orient="row",
    )  # fmt: skip
    held, report = hold_results(results, blocked, key_column="credit_code", kind="credit_code")
    changed = held.with_row_index().join(results.with_row_index(), on="index", suffix="_was").filter(
        pl.col("payment_hold_reason").ne_missing(pl.col("payment_hold_reason_was"))
    )
    # CODES[4] is ineligible: named, so its refusal is marked to be verified (it may rest on that row), not held
    assert changed.get_column("credit_code").to_list() == [CODES[0], CODES[4]]
    assert changed.item(0, "payment_hold_reason") == "排除名单第 3 行格式有误，待核实后发放"
    assert changed.item(1, "payment_hold_reason") == REFUSAL_TO_VERIFY + "排除名单第 9 行格式有误，待核实后发放"
    assert (report.held, report.amount_fen, report.refusals) == (1, 100, 1)


def test_the_holds_do_not_wait_for_a_streaming_write_beside_them(tmp_path):
    """One partition's holds run while features.parquet is written on another thread (decisions §83): their queries
    are on the in-memory engine, so they do not wait for that write's turn on the busy streaming engine (§71) — a
    query there took about a second beside such a write, against milliseconds on the in-memory engine."""
    import threading
    import time

    from wengang.screening.holds import branches_of_quarantined_in

    source = tmp_path / "rows.parquet"
    pl.DataFrame({"a": range(8_000_000)}).write_parquet(source, row_group_size=200_000)
    writing = threading.Thread(  # a write that keeps the streaming engine's threads busy for a few seconds
        target=lambda: pl.scan_parquet(source)
        .select(pl.col("a").cast(pl.String).str.zfill(24).str.reverse())
        .sink_parquet(tmp_path / "features.parquet", compression="zstd", compression_level=12),
    )
    writing.start()
    time.sleep(0.3)
    results = _results(False)
    blocked = pl.DataFrame(
        [CANDIDATES[i] for i in (0, 1, 3)], schema={"table": pl.String, "source_row": pl.Int64, "code": pl.String},
        orient="row",
    )
    features = results.select("credit_code", pl.lit(CODES[0]).alias("legal_entity_credit_code"))
    started = time.perf_counter()
    for _ in range(5):  # (five times: milliseconds each on the in-memory engine, a quarter of a second if queued)
        extra = branches_of_quarantined_in(features, blocked.head(1).with_columns(pl.lit("units").alias("table")))
        held, report = hold_results(results, blocked, key_column="credit_code", kind="credit_code", extra=extra)
    took = time.perf_counter() - started
    beside = writing.is_alive()
    writing.join()
    assert held.get_column("payment_hold").sum() >= 2 and report.notes
    assert beside, "the write ended first: nothing was measured"
    assert took < 0.5, f"the holds took {took:.2f} s beside the write"
