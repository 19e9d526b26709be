"""One partition: the results are held and results.parquet written right after the rules, beside features.parquet's
write, not after it (docs/decisions.md, issue 13, session 28 "overlap"). Polars' streaming engine takes two threads'
queries in turn (§71), so what runs beside that write stays off it: results.parquet is written by pyarrow
(``output.write_parquet_arrow``) and the holds' queries run on the in-memory engine. Several partitions and
``--strict`` keep their paths.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import wengang.screening.pipeline as pipeline
from wengang.screening import holds, output
from wengang.screening.demo_data import allowed_regions_for, generate_region

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("beside")
    paths = generate_region(root / "data", region_code="150500", n_units=300, year=2025, seed=11)
    return {k: paths[k] for k in TABLES}


def _screen(out: Path, tables: dict[str, Path], partitions: int = 1, strict: bool = False):
    return pipeline.run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
        excel=False, partitions=partitions, strict=strict,
    )  # fmt: skip


def test_results_are_written_while_the_features_are(region, tmp_path, monkeypatch):
    """features.parquet's write (on its own thread) is held open until results.parquet has been written: that only
    ends if the results are written beside it. The results read back as the frame held, and as before."""
    written = threading.Event()
    beside: list[bool] = []
    close, write = output.ParquetAppender.close, output.write_parquet_arrow

    def features_close(self):
        if self.path.name == "features.parquet" and not beside:  # (the write's close; __exit__ closes again)
            beside.append(written.wait(timeout=20))
        close(self)

    def results_write(frame, path, **kw):
        write(frame, path, **kw)
        written.set()

    monkeypatch.setattr(output.ParquetAppender, "close", features_close)
    monkeypatch.setattr(output, "write_parquet_arrow", results_write)
    report = _screen(tmp_path / "new", region)
    assert beside == [True]
    monkeypatch.undo()
    results = pl.read_parquet(tmp_path / "new" / "results.parquet")
    assert not (tmp_path / "new" / "results.writing.parquet").exists()
    # the same file as written after the features (three partitions: the files' rows in another order)
    _screen(tmp_path / "three", region, partitions=3)
    assert_frame_equal(results.sort("credit_code"), pl.read_parquet(tmp_path / "three" / "results.parquet").sort(
        "credit_code"))  # fmt: skip
    assert report.summary.total == results.height


def test_nothing_beside_the_features_write_runs_on_the_streaming_engine(region, tmp_path, monkeypatch):
    """While the main thread decides, holds and writes the results beside features.parquet's write, it asks Polars'
    streaming engine for nothing but the rules' query (the results' stored schema was worked out before the write
    began); the holds did run (the data holds payments)."""
    from wengang.screening import features

    asked: list[str] = []
    inside = threading.local()
    collect, sink, derive = pl.LazyFrame.collect, pl.LazyFrame.sink_parquet, features.derive_features_partitioned
    hold_results = pipeline.hold_results

    def derive_watched(*a, **kw):
        on_chunk = kw["on_chunk"]

        def watched(chunk):
            inside.on = True
            try:
                on_chunk(chunk)
            finally:
                inside.on = False

        return derive(*a, **{**kw, "on_chunk": watched})

    def collect_watched(self, *a, **kw):
        if getattr(inside, "on", False) and kw.get("engine", "auto") != "in-memory":
            asked.append("collect")
        return collect(self, *a, **kw)

    def sink_watched(self, *a, **kw):
        if getattr(inside, "on", False):
            asked.append("sink_parquet")
        return sink(self, *a, **kw)

    def holds_watched(*a, **kw):
        asked.append("holds")
        return hold_results(*a, **kw)

    monkeypatch.setattr(features, "derive_features_partitioned", derive_watched)
    monkeypatch.setattr(pl.LazyFrame, "collect", collect_watched)
    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", sink_watched)
    monkeypatch.setattr(pipeline, "hold_results", holds_watched)
    report = _screen(tmp_path / "out", region)
    assert asked == ["collect", "holds"]  # the rules' query, then the holds: none of theirs streaming
    assert report.summary.hold_notes


def test_a_run_that_fails_after_the_results_leaves_no_results(region, tmp_path, monkeypatch):
    close = output.ParquetAppender.close

    def failing(self):
        close(self)
        if self.path.name == "features.parquet":
            raise OSError("disk full")

    monkeypatch.setattr(output.ParquetAppender, "close", failing)
    with pytest.raises(OSError, match="disk full"):
        _screen(tmp_path / "out", region)
    assert not (tmp_path / "out" / "results.parquet").exists()
    assert not (tmp_path / "out" / "results.writing.parquet").exists()


@pytest.mark.parametrize(("partitions", "strict", "imports"), [(1, False, ["pyarrow.parquet"]), (2, False, []),
                                                              (1, True, [])])  # fmt: skip
def test_pyarrow_is_imported_on_the_warm_up_thread_for_one_partition(
    region, tmp_path, monkeypatch, partitions, strict, imports
):
    seen: list[list[str]] = []
    warm_up = pipeline._warm_up

    def recorded(program, names=()):
        seen.append(list(names))
        warm_up(program, names)

    monkeypatch.setattr(pipeline, "_warm_up", recorded)
    try:
        _screen(tmp_path / "out", region, partitions=partitions, strict=strict)
    except pipeline.StrictRefusal:  # (the demo data has quarantined rows: the rules do not run)
        pass
    assert seen == [imports]


@pytest.mark.parametrize("named", [True, False])
def test_holds_in_memory_run_no_streaming_query(monkeypatch, named):
    """hold_results and the branches of a quarantined legal entity, on frames in memory: the in-memory engine, for
    the units a row names and for a row that names nobody (every payable result held)."""
    from wengang.facts.identifiers import uscc_check_character
    from wengang.rules.batch import STATUS_DTYPE

    code, branch, other = (f"91150502MA0N0000{i}" for i in ("1", "2", "3"))
    code, branch, other = (c + uscc_check_character(c) for c in (code, branch, other))
    results = pl.DataFrame(
        {
            "credit_code": [code, branch, other],
            "status": pl.Series(["eligible", "eligible", "ineligible"], dtype=STATUS_DTYPE),
            "amount_fen": [100, 200, 0],
            "payment_hold": [False, False, False],
            "payment_hold_reason": pl.Series([None, None, None], dtype=pl.String),
        }
    )
    engines: list[object] = []
    collect = pl.LazyFrame.collect

    def recorded(self, *a, **kw):
        engines.append(kw.get("engine", "auto"))
        return collect(self, *a, **kw)

    monkeypatch.setattr(pl.LazyFrame, "collect", recorded)
    blocked = pl.DataFrame({"table": ["exclusions"], "source_row": [3], "code": [code if named else None]})
    features = pl.DataFrame({"credit_code": [branch], "legal_entity_credit_code": [code]})
    registry = pl.DataFrame({"table": ["units"], "source_row": [7], "code": [code]})
    extra = holds.branches_of_quarantined_in(features, registry)
    held, report = holds.hold_results(results, blocked, key_column="credit_code", kind="credit_code", extra=extra)
    assert held.get_column("payment_hold").to_list() == [True, True, False]
    assert report.held == 2 and report.hold_all is not named
    assert engines and set(engines) == {"in-memory"}


@pytest.mark.parametrize(("partitions", "strict", "thread"), [(1, False, "wengang-features"), (3, False, "wengang-features"),
                                                             (1, True, "MainThread")])  # fmt: skip
def test_quarantine_is_written_after_the_features_on_their_thread(region, tmp_path, monkeypatch, partitions, strict,
                                                                 thread):  # fmt: skip
    """quarantine.parquet follows features.parquet on the thread that writes it beside the rules (every partition's
    rows are known by then), not on the main thread after it; under --strict (no rules beside) as before. Its rows are
    those written before: the same file as a run whose quarantine is written last."""
    writes: list[tuple[str, str]] = []
    write = pl.DataFrame.write_parquet

    def recorded(self, file, *a, **kw):
        if str(file).endswith(("quarantine.parquet", "features.parquet")):
            writes.append((Path(file).name, threading.current_thread().name.rsplit("_", 1)[0]))
        return write(self, file, *a, **kw)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", recorded)
    try:
        _screen(tmp_path / "out", region, partitions=partitions, strict=strict)
    except pipeline.StrictRefusal:  # (the demo data has quarantined rows: the rules do not run)
        pass
    assert writes[-1] == ("quarantine.parquet", thread)
    quarantine = pl.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert quarantine.height and quarantine.equals(quarantine.sort("source_file", "source_row"))


def test_the_summary_is_made_beside_the_results_write(region, tmp_path, monkeypatch):
    """One partition: the summary (queries on Polars' streaming engine, which run once features.parquet is written) is
    asked for on a thread of its own before results.parquet's write (pyarrow, one core), not after it. It is the
    summary a run of three partitions makes from its file."""
    asked = threading.Event()
    beside: list[bool] = []
    summarise, write = output.summarise, output.write_parquet_arrow

    def summary(*a, **kw):
        asked.set()
        return summarise(*a, **kw)

    def results_write(frame, path, **kw):
        beside.append(asked.wait(timeout=20))
        write(frame, path, **kw)

    monkeypatch.setattr(output, "summarise", summary)
    monkeypatch.setattr(output, "write_parquet_arrow", results_write)
    one = _screen(tmp_path / "one", region)
    assert beside == [True]
    three = _screen(tmp_path / "three", region, partitions=3)
    assert {**one.summary.to_dict(), "files": None} == {**three.summary.to_dict(), "files": None}
