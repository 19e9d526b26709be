"""The warm-up thread (the program's module and the policy set) starts as the first registry validation begins, not
before: until then the main thread runs Python (the tables opened, the monthly read handed to its thread), and two
Python threads take turns at the GIL (docs/decisions.md, issue 13, s27-startup).

``derive_features_partitioned`` calls ``on_validating`` once, right before the first partition's registry
validation; ``run_screening`` hands it the warm-up thread's ``start``, not yet started.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import pytest

from wengang.screening import features
from wengang.screening.demo_data import generate_region
from wengang.screening.ingest import read_table
from wengang.screening.pipeline import RAW_TABLES, latest_month_of, run_screening

ON = date(2025, 8, 1)
YEAR = 2025


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("warm")
    return generate_region(root / "data", n_units=80, year=YEAR, seed=7, chunk_units=80, months_through="2025-06")


@pytest.mark.parametrize("partitions", [1, 2])
def test_on_validating_is_called_once_right_before_the_registry_is_validated(data, tmp_path, monkeypatch, partitions):
    events: list[str] = []
    validate = features.validate_table

    def recorded(raw, *args, **kwargs):
        events.append("registry" if kwargs.get("registry") else "other table")
        return validate(raw, *args, **kwargs)

    monkeypatch.setattr(features, "validate_table", recorded)
    raws = {name: read_table(data[name], name) for name in RAW_TABLES}
    latest = functools.partial(latest_month_of, evaluation_date=ON) if partitions == 1 else "2025-06"
    run = features.derive_features_partitioned(
        raws.pop("units"), raws.pop("contributions"), tmp_path / "out", policy_year=YEAR, evaluation_date=ON,
        partitions=partitions, others=raws, latest_month=latest, on_validating=lambda: events.append("validating"),
    )  # fmt: skip
    assert events.count("validating") == 1
    assert events[:2] == ["validating", "registry"]  # nothing validated before it, the registry right after
    assert events.count("registry") == partitions
    assert all(r.reconciles for r in run.reports.values())


def test_run_screening_starts_its_warm_up_thread_there(data, tmp_path, monkeypatch):
    derive = features.derive_features_partitioned
    seen: list[tuple[str, bool]] = []

    def checked(*args, **kwargs):
        thread = kwargs["on_validating"].__self__
        seen.append((thread.name, thread.ident is None))  # handed over not yet started
        return derive(*args, **kwargs)

    monkeypatch.setattr(features, "derive_features_partitioned", checked)
    report = run_screening(
        tmp_path / "out", evaluation_date=ON, tables={name: str(data[name]) for name in RAW_TABLES}, excel=False,
    )  # fmt: skip
    assert seen == [("wengang-warm-up", True)]
    assert report.summary.to_dict()  # the rules ran: they wait for the thread, which was started
