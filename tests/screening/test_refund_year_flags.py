"""The raw screen derives each dated list's state in the refund year from the lists' dates (``<list>_refund_year``).

内人社发〔2025〕18号 一 excludes 严重违法失信、列入出清名单僵尸企业、不符合当地环保政策 units without saying at which date;
the reading ``fanhuan.exclusion_status_date=refund_year`` reads “上年度内曾属该情形” from the ``*_refund_year`` facts. The
raw screen had left them empty, so the rules fell back to the review-date status under either reading: a unit listed
only in the refund year (or only after it) was decided by one reading while the result depends on which (待认定).
A unit is on a list on day x when ``date_from <= x < date_to`` (removed on a day: no longer listed that day).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from wengang.evaluate import evaluate
from wengang.facts.identifiers import make_credit_code
from wengang.facts.unit import REFUND_YEAR_LISTS
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.features import derive_features
from wengang.screening.pipeline import run_screening
from wengang.screening.schemas import CONTRIBUTIONS, UNITS

ON = date(2025, 8, 1)
TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def _listed(rows: list[dict], code: str, kind: str, first: date, last: date) -> bool:
    """On list ``kind`` on some day of [first, last], by the lists' rows: the test's own reading of the dates."""
    return any(
        r["credit_code"] == code and r["list_type"] == kind and r["date_from"] <= last
        and (r["date_to"] is None or r["date_to"] > first)
        for r in rows
    )


def test_boundaries_of_the_refund_year():
    codes = [make_credit_code("91", "150502", f"MA000000{i}") for i in range(1, 7)]
    excl = pl.DataFrame(
        {
            "credit_code": codes,
            "list_type": ["serious_dishonesty", "zombie_clearance", "env_noncompliant", "serious_dishonesty",
                          "env_noncompliant", "deregistered"],
            # listed on the year's last day / removed on its first day (not listed that day) / the whole year /
            # listed after it (and on the review date) / removed the day after its first / not a dated list
            "date_from": [date(2024, 12, 31), date(2023, 3, 1), date(2020, 1, 1), date(2025, 1, 1), date(2023, 1, 1),
                          date(2024, 5, 1)],
            "date_to": [date(2025, 3, 1), date(2024, 1, 1), None, None, date(2024, 1, 2), None],
        }
    )  # fmt: skip
    base = {c.name: [None] * len(codes) for c in UNITS.columns}
    base.update({"credit_code": codes, "name": [f"u{i}" for i in range(6)], "region_code": ["150502"] * 6,
                 "org_type": ["enterprise"] * 6})  # fmt: skip
    units = pl.DataFrame(base, schema=UNITS.polars_schema())
    contributions = pl.DataFrame([], schema=CONTRIBUTIONS.polars_schema(), orient="row")
    out = derive_features(units, contributions, policy_year=2025, evaluation_date=ON, exclusions=excl).collect()
    got = out.select(*(f"{t}_refund_year" for t in REFUND_YEAR_LISTS)).rows()
    assert got == [
        (True, False, False),
        (False, False, False),
        (False, False, True),
        (False, False, False),
        (False, False, True),
        (False, False, False),
    ]
    # the review date's state is unchanged: listed on 1 August 2025
    assert out["serious_dishonesty"].to_list() == [False, False, False, True, False, False]
    assert out["env_noncompliant"].to_list() == [False, False, True, False, False, False]
    assert out["deregistered"].to_list() == [False, False, False, False, False, True]
    # without the lists the state in the refund year is not known (the review state decides, as before)
    bare = derive_features(units, contributions, policy_year=2025, evaluation_date=ON).collect()
    assert bare.select(*(f"{t}_refund_year" for t in REFUND_YEAR_LISTS)).null_count().row(0) == (6, 6, 6)


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    root = tmp_path_factory.mktemp("refund-year")
    paths = generate_region(root / "data", region_code="150500", n_units=3000, year=2025, seed=11)
    run_screening(
        root / "out", program="fanhuan", evaluation_date=ON, policy_year=2025, tables={k: paths[k] for k in TABLES},
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
    )  # fmt: skip
    return root, paths


def test_the_raw_screen_reads_the_lists_dates(screened):
    root, paths = screened
    excl = pl.read_parquet(paths["exclusions"]).to_dicts()
    feats = pl.read_parquet(root / "out" / "features.parquet")
    differ = 0
    for row in feats.iter_rows(named=True):
        for t in REFUND_YEAR_LISTS:
            in_year = _listed(excl, row["credit_code"], t, date(2024, 1, 1), date(2024, 12, 31))
            assert row[f"{t}_refund_year"] is in_year, (row["credit_code"], t)
            assert row[t] is _listed(excl, row["credit_code"], t, ON, ON), (row["credit_code"], t)
            differ += row[t] != in_year
    assert differ > 0  # the demo's lists hold units whose state differs between the two dates


def test_a_result_that_depends_on_the_date_is_left_for_a_decision(screened):
    root, _ = screened
    feats = pl.read_parquet(root / "out" / "features.parquet")
    results = pl.read_parquet(root / "out" / "results.parquet")
    differ = pl.any_horizontal(pl.col(t) != pl.col(f"{t}_refund_year") for t in REFUND_YEAR_LISTS)
    units = feats.filter(differ).head(12)
    assert units.height > 0
    for facts in units.iter_rows(named=True):
        got = results.filter(pl.col("credit_code") == facts["credit_code"]).row(0, named=True)
        one = evaluate("fanhuan", "150500", ON, {k: v for k, v in facts.items() if v is not None})
        assert (str(got["status"]), got["amount_fen"]) == (one.status, one.amount_fen)
        by = {r: evaluate("fanhuan", "150500", ON, {k: v for k, v in facts.items() if v is not None},
                          readings={"fanhuan.exclusion_status_date": r}) for r in ("review", "refund_year")}  # fmt: skip
        if (by["review"].status, by["review"].amount_fen) != (by["refund_year"].status, by["refund_year"].amount_fen):
            assert one.status == "needs_decision"
            assert "fanhuan.exclusion_status_date" in (got["outcomes"] or "")
