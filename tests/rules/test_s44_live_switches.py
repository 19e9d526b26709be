"""A row of a table branches only on the switches whose reading, changed alone, changes a check or the amount there
(``rules.batch.compile_stages``: per switch, each variant against the one with that switch at its default). The
amount reads the payment-date switch and the size-class switches: the payment date had been branched on wherever the
size-class readings changed the amount, twice the combinations on every such row (1 M units with every reading open:
1.08 GB of ``outcomes`` text against 0.13 GB). A 待认定 row lists the results one case lists (one case branches on a
switch whose node takes another value, the table on one that changes a check: the same results, in as many or fewer
combinations)."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.programs.test_fanhuan_properties import SCHEMA, units
from wengang.evaluate import evaluate
from wengang.screening.evaluate import screen_facts

REGION, ON = "150500", date(2025, 8, 1)


def _shown(outcomes: str) -> list[tuple[str, int | None]]:
    """``outcomes`` as (status, amount) per combination listed."""
    out = []
    for entry in outcomes.split("|"):
        _, status, amount = entry.rsplit(":", 2)
        out.append((status, int(amount) if amount else None))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(units(), min_size=1, max_size=10))
def test_a_pending_row_lists_the_results_one_case_lists(rows):
    table = [{**r, "credit_code": f"u{i}", "region_code": REGION} for i, r in enumerate(rows)]
    res, _ = screen_facts(pl.DataFrame(table, schema_overrides=SCHEMA).lazy(), "fanhuan", ON)
    for facts, got in zip(rows, res.collect().iter_rows(named=True), strict=True):
        one = evaluate("fanhuan", REGION, ON, facts)
        assert str(got["status"]) == one.status, facts
        if one.status == "needs_decision":
            assert set(_shown(got["outcomes"])) == {(o.status, o.amount_fen) for o in one.outcomes}, facts


def test_the_payment_date_is_not_branched_on_where_only_the_size_class_readings_matter():
    unit = {
        "credit_code": "u0", "region_code": REGION, "org_type": "enterprise", "size_class": None,
        "size_class_step": None, "avg_contributors_12m": 40, "months_fully_paid": 24, "months_fully_paid_total": 24,
        "paid_premium_last_year_fen": 230_977, "insured_headcount": 40, "avg_insured_last_year": 40,
        "layoffs_last_year": 0,
    }  # fmt: skip
    res, _ = screen_facts(pl.DataFrame([unit]).lazy(), "fanhuan", ON)
    got = res.collect().row(0, named=True)
    assert str(got["status"]) == "needs_decision"
    assert "size_class_where_silent" in got["outcomes"]
    assert "base_payment_date" not in got["outcomes"]
    facts = {k: v for k, v in unit.items() if v is not None and k != "region_code"} | {"credit_code": "91150502MA0N1234XN"}
    one = evaluate("fanhuan", REGION, ON, facts)
    assert _shown(got["outcomes"]) == [(o.status, o.amount_fen) for o in one.outcomes]
