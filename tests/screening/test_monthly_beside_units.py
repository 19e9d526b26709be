"""One partition aggregates the monthly rows on their validation's thread while the main thread derives the features
that need no monthly row, and joins the aggregate last (``derive_features_partitioned``). The features must be
those of the plain path: every table validated on its own (no registry numbering: joins and the group-by on the
code as text) and ``derive_features`` over the accepted rows — in the registry's row order, whatever rows are
quarantined (a unit all of whose monthly rows are bad, a unit whose registry row is bad, rows of an unknown unit).
"""

import functools
from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.features import derive_features, derive_features_partitioned
from wengang.screening.ingest import read_table
from wengang.screening.pipeline import RAW_TABLES, latest_month_of
from wengang.screening.quarantine import validate_table

ON = date(2025, 8, 1)
YEAR = 2025


@functools.cache
def _region(root: str) -> dict[str, pl.DataFrame]:
    """A small generated region (bad rows planted), one frame per table; monthly rows through 2025-06."""
    paths = generate_region(
        f"{root}/data", n_units=400, year=YEAR, seed=5, chunk_units=400, months_through="2025-06"
    )
    return {name: pl.read_parquet(paths[name] / "*.parquet") for name in RAW_TABLES}


def _spoil(tables: dict[str, pl.DataFrame], data: st.DataObject) -> dict[str, pl.DataFrame]:
    units, monthly = tables["units"], tables["contributions"]
    codes = units.get_column("credit_code")
    n = codes.len()
    pick = lambda label: data.draw(st.sets(st.integers(0, n - 1), max_size=6), label=label)  # noqa: E731
    all_bad, bad_registry, no_rows, one_bad = (
        pick("all rows bad"),
        pick("registry bad"),
        pick("no rows"),
        pick("one bad"),
    )
    code = pl.col("credit_code")
    month = pl.col("month")
    # every monthly row of these units has a month that is no month
    monthly = monthly.with_columns(
        pl.when(code.is_in(codes.gather(sorted(all_bad)).implode()))
        .then(pl.lit("2024-13"))
        .otherwise(month)
        .alias("month")
    )
    # one row of these units pays a negative amount
    first = pl.int_range(pl.len()).over("credit_code") == 0
    monthly = monthly.with_columns(
        pl.when(code.is_in(codes.gather(sorted(one_bad)).implode()) & first)
        .then(-pl.col("paid_fen"))
        .otherwise(pl.col("paid_fen"))
        .alias("paid_fen")
    )
    monthly = monthly.filter(~code.is_in(codes.gather(sorted(no_rows)).implode()))
    # a registry row with a wrong check character: its unit is quarantined, and so are its monthly rows
    wrong = codes.str.slice(0, 17) + pl.when(codes.str.slice(17, 1) == "0").then(pl.lit("1")).otherwise(
        pl.lit("0")
    )
    units = units.with_columns(
        pl.when(pl.int_range(pl.len()).is_in(sorted(bad_registry)))
        .then(wrong)
        .otherwise(code)
        .alias("credit_code")
    )
    if data.draw(st.booleans(), label="rows of a unit the registry does not have"):
        monthly = pl.concat(
            [monthly, monthly.head(3).with_columns(pl.lit("91150502MA00000X1X").alias("credit_code"))]
        )
    if data.draw(st.booleans(), label="monthly rows shuffled"):
        monthly = monthly.sample(fraction=1.0, shuffle=True, seed=data.draw(st.integers(0, 9), label="seed"))
    return {**tables, "units": units, "contributions": monthly}


def _raws(tmp_path, n_units: int, seed: int) -> dict:
    """A small generated region's tables, opened as a run opens them."""
    paths = generate_region(
        tmp_path / "data", n_units=n_units, year=YEAR, seed=seed, chunk_units=n_units, months_through="2025-06"
    )
    return {name: read_table(next(paths[name].glob("*.parquet")), name) for name in RAW_TABLES}


def _failure_of_a_run(tmp_path, raws: dict) -> list[BaseException]:
    """What one partition's run raised, run on a thread that must not be left waiting for ever."""
    import threading

    outcome: list[BaseException] = []

    def run():
        try:
            derive_features_partitioned(
                raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
                partitions=1, others=raws, latest_month=functools.partial(latest_month_of, evaluation_date=ON),
            )  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the run waits for ever"
    return outcome


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_features_beside_the_monthly_rows_are_the_plain_paths(tmp_path_factory, data):
    root = tmp_path_factory.getbasetemp() / "beside"
    tables = _spoil(_region(str(root)), data)
    case = tmp_path_factory.mktemp("case")
    for name, frame in tables.items():
        frame.write_parquet(case / f"{name}.parquet")
    raws = lambda: {name: read_table(case / f"{name}.parquet", name) for name in RAW_TABLES}  # noqa: E731
    allowed = allowed_regions_for("150500", YEAR)

    plain = {name: validate_table(raw, allowed_regions=allowed) for name, raw in raws().items()}
    latest = latest_month_of(plain["contributions"].months["month"], ON)
    accepted = {name: res.accepted for name, res in plain.items()}
    want = derive_features(
        accepted.pop("units"), accepted.pop("contributions"), policy_year=YEAR, evaluation_date=ON,
        latest_month=latest, **accepted,
    ).collect()  # fmt: skip

    given_ = raws()
    run = derive_features_partitioned(
        given_.pop("units"), given_.pop("contributions"), case / "out", policy_year=YEAR, evaluation_date=ON,
        partitions=1, allowed_regions=allowed, others=given_,
        latest_month=functools.partial(latest_month_of, evaluation_date=ON),
    )  # fmt: skip
    got = pl.read_parquet(run.features_path)
    assert latest == "2025-06"
    assert got.height == want.height > 300
    assert_frame_equal(got, want)  # the registry's order, every column
    assert all(r.reconciles for r in run.reports.values())


def test_a_failure_beside_the_monthly_rows_is_raised_not_waited_for(tmp_path, monkeypatch):
    """The monthly aggregation waits until the other thread's queries are made; when that thread fails, the failure
    is raised (the aggregation is not left waiting for ever)."""

    from wengang.screening import features

    raws = _raws(tmp_path, 60, 3)

    def broken(*args, **kwargs):
        raise RuntimeError("unit features failed")

    monkeypatch.setattr(features, "unit_features", broken)
    outcome = _failure_of_a_run(tmp_path, raws)
    assert len(outcome) == 1 and str(outcome[0]) == "unit features failed"


def test_the_aggregation_runs_beside_the_unit_features(tmp_path, monkeypatch):
    """Once the small tables are validated the monthly rows are aggregated: the unit features (collected on the
    in-memory engine) do not hold the aggregation back. Here the unit features wait until the aggregation has
    begun; were the aggregation to wait for them, neither would go on."""
    import threading

    from wengang.screening import features

    raws = _raws(tmp_path, 60, 3)
    aggregating = threading.Event()
    aggregate, unit_features = features.monthly_aggregate, features.unit_features

    def aggregate_seen(*args, **kwargs):
        aggregating.set()
        return aggregate(*args, **kwargs)

    def after_the_aggregation(*args, **kwargs):
        if not aggregating.wait(30):
            raise AssertionError("the aggregation waited for the unit features")
        return unit_features(*args, **kwargs)

    monkeypatch.setattr(features, "monthly_aggregate", aggregate_seen)
    monkeypatch.setattr(features, "unit_features", after_the_aggregation)
    run = derive_features_partitioned(
        raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
        partitions=1, others=raws, latest_month=functools.partial(latest_month_of, evaluation_date=ON),
    )  # fmt: skip
    assert pl.read_parquet(run.features_path).height > 50


def test_the_small_tables_side_by_side_give_what_one_after_another_gives(tmp_path, monkeypatch):
    """The small tables are validated two at a time; whichever finishes first, the reports, the quarantine and the
    held rows come out in table order, as when each waited for the one before."""
    import threading
    import time

    from wengang.screening import features

    paths = generate_region(tmp_path / "data", n_units=120, year=YEAR, seed=9, chunk_units=120, months_through="2025-06")

    def run(out: str):
        raws = {name: read_table(next(paths[name].glob("*.parquet")), name) for name in RAW_TABLES}
        held: list[pl.DataFrame] = []
        result = derive_features_partitioned(
            raws.pop("units"), raws.pop("contributions"), tmp_path / out, policy_year=YEAR, evaluation_date=ON,
            partitions=1, others=raws, latest_month=functools.partial(latest_month_of, evaluation_date=ON),
            on_held=held.append,
        )  # fmt: skip
        return result, held

    first, first_held = run("first")
    validate = features.validate_table
    names: list[str] = []

    def headcount_last(raw, **kwargs):
        if raw.schema.name == "headcount":  # the first small table is held back: the others finish before it
            time.sleep(0.5)
        names.append(threading.current_thread().name)
        return validate(raw, **kwargs)

    monkeypatch.setattr(features, "validate_table", headcount_last)
    second, second_held = run("second")
    assert any(n.startswith("wengang-small") for n in names)  # (the small tables were validated on the pool)
    assert list(second.reports) == list(first.reports)
    for name in first.reports:
        assert second.reports[name] == first.reports[name]
    assert_frame_equal(pl.read_parquet(second.quarantine_path), pl.read_parquet(first.quarantine_path))
    assert_frame_equal(pl.read_parquet(second.features_path), pl.read_parquet(first.features_path))
    assert [h.to_dicts() for h in second_held] == [h.to_dicts() for h in first_held]


def test_the_monthly_rows_are_validated_once_the_registry_has_numbered_them(tmp_path, monkeypatch):
    """``validate_table(on_numbered=...)`` is called once the registry's numbering and its quarantined units are in
    ``shared`` — before the rest of the registry's validation — and the monthly rows' validation starts there."""
    import threading

    from wengang.screening import features, quarantine

    raws = _raws(tmp_path, 80, 4)
    seen: list[tuple[str, bool, bool]] = []
    registry_done = threading.Event()
    validate = features.validate_table

    def watched(raw, **kwargs):
        hook = kwargs.get("on_numbered")
        if hook is not None:
            shared = kwargs["shared"]

            def numbered():
                seen.append((raw.schema.name, "__registry__" in shared, "__registry_bad__" in shared))
                hook()

            kwargs["on_numbered"] = numbered
        if raw.schema.name == "contributions":
            # the registry has not finished its validation when the monthly rows' validation begins
            seen.append(("contributions begins", registry_done.is_set(), False))
        try:
            return validate(raw, **kwargs)
        finally:
            if raw.schema.name == "units":
                registry_done.set()

    monkeypatch.setattr(features, "validate_table", watched)
    slow = quarantine._quarantine_frame

    def slow_quarantine(bad, checks, source_file, *args, **kwargs):
        if "units" in source_file:  # the registry's quarantine is made after on_numbered: held back a while
            registry_done.wait(2)
        return slow(bad, checks, source_file, *args, **kwargs)

    monkeypatch.setattr(quarantine, "_quarantine_frame", slow_quarantine)
    run = derive_features_partitioned(
        raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
        partitions=1, others=raws, latest_month=functools.partial(latest_month_of, evaluation_date=ON),
    )  # fmt: skip
    assert seen[0] == ("units", True, True)  # once, with the numbering and the quarantined units in place
    assert ("contributions begins", False, False) in seen
    assert [s for s in seen if s[0] == "units"] == [("units", True, True)]
    assert all(r.reconciles for r in run.reports.values())


def test_a_registry_that_fails_after_numbering_is_raised_not_waited_for(tmp_path, monkeypatch):

    from wengang.screening import quarantine

    raws = _raws(tmp_path, 60, 3)
    made = quarantine._quarantine_frame

    def broken(bad, checks, source_file, *args, **kwargs):
        if "units" in source_file:
            raise RuntimeError("the registry's quarantine failed")
        return made(bad, checks, source_file, *args, **kwargs)

    monkeypatch.setattr(quarantine, "_quarantine_frame", broken)
    outcome = _failure_of_a_run(tmp_path, raws)
    assert len(outcome) == 1 and str(outcome[0]) == "the registry's quarantine failed"
