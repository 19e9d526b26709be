"""The largest live-switch group's ``outcomes`` text is built once per distinct packed key (from the columns read
back from the key, ``rules.batch._unpacked``) and put in place by a gather (``rules.batch._texts_by_distinct``): it
must equal the text built row by row, whatever the statuses, amounts (equal to the default one's or not, null,
negative, too large to pack), waits and differs hold."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from tests.programs.test_fanhuan_properties import SCHEMA
from tests.rules.test_branch_groups import OPEN, _compiled
from wengang.evaluate import ruleset_for
from wengang.policies import load_policy_set
from wengang.rules.batch import STATUS_DTYPE, Plan, Tail, _texts_by_distinct, compile_stages

AMOUNTS = [None, 0, 1, 7, 138_586, -3, 2**55, 2**62]
MASKS = [1, 2, 3, 16, 48, 49, 62]


def _waiting_plan() -> Plan:
    """晋28号 without the region's layoff-rate ceiling: the combinations that read it wait for the figure."""
    resolution = load_policy_set().resolve(region="140300", on=date(2024, 9, 1), program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    return compile_stages(ruleset, resolution, settings={"fund_reserve_years": 1}, columns=list(SCHEMA))


def _tails() -> list[tuple[str, int, Tail]]:
    found: dict[tuple[str, int], Tail] = {}
    plans = [(scenario[0], _compiled(scenario[0])[2]) for scenario in OPEN] + [("shanxi-waiting", _waiting_plan())]
    for sid, plan in plans:
        for mask in MASKS:
            t = plan.tail(mask)
            if 1 < len(t.inputs) and all(t.inputs[0][:2] != x[:2] for x in t.inputs[1:]):
                found.setdefault((sid, len(t.inputs)), t)
    return [(sid, n, t) for (sid, n), t in found.items()]


TAILS = _tails()


def _frame(t: Tail, rows: list[tuple[list[str], list[int | None], list[bool | None], bool | None]]) -> pl.DataFrame:
    columns: dict[str, pl.Series] = {}
    for k, (st_col, am_col, w_col) in enumerate(t.inputs):
        columns[st_col] = pl.Series(st_col, [r[0][k] for r in rows], dtype=STATUS_DTYPE)
        columns[am_col] = pl.Series(am_col, [r[1][k] for r in rows], dtype=pl.Int64)
        if w_col is not None:
            columns[w_col] = pl.Series(w_col, [r[2][k] for r in rows], dtype=pl.Boolean)
    columns[t.differs] = pl.Series(t.differs, [r[3] for r in rows], dtype=pl.Boolean)
    return pl.DataFrame(list(columns.values()))


def test_tails_cover_waits_and_the_unpacked_width():
    assert TAILS, "no tail to test"
    assert any(w is not None for _, _, t in TAILS for _, _, w in t.inputs), "no tail whose combinations wait"


@pytest.mark.parametrize("tail", TAILS, ids=[f"{sid}-{n}" for sid, n, _ in TAILS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_texts_by_distinct_equal_row_by_row(tail, data):
    _, n, t = tail
    row = st.tuples(
        st.lists(st.sampled_from([*STATUS_DTYPE.categories.to_list(), None]), min_size=n, max_size=n),
        st.lists(st.sampled_from(AMOUNTS), min_size=n, max_size=n),
        st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n),
        st.sampled_from([True, True, False, None]),
    )
    # rows near a few templates (one field changed), so that rows share keys, or nearly do: what a key that
    # packs too little would confuse
    templates = data.draw(st.lists(row, min_size=1, max_size=3))
    # the other combinations' amounts null or the default one's (rows that are packed), or all the default one's
    shape = data.draw(st.sampled_from(["any", "packed", "same"]))
    if shape == "packed":
        templates = [(s, [a[0]] + [a[0] if i % 2 else None for i in range(1, n)], w, d) for s, a, w, d in templates]
    elif shape == "same":
        templates = [(s, [a[0]] * n, w, d) for s, a, w, d in templates]
    rows = []
    for _ in range(data.draw(st.integers(1, 40))):
        s, a, w, d = data.draw(st.sampled_from(templates))
        s, a, w = list(s), list(a), list(w)
        k = data.draw(st.integers(0, n - 1))
        change = data.draw(st.sampled_from(["none", "status", "amount", "amount", "default", "wait", "differs"]))
        if change == "status":
            s[k] = data.draw(st.sampled_from([*STATUS_DTYPE.categories.to_list(), None]))
        elif change == "amount":
            a[k] = data.draw(st.sampled_from([None, a[0], *AMOUNTS]))
        elif change == "default":  # the default amount and those equal to it
            v = data.draw(st.sampled_from(AMOUNTS))
            a = [v if x == a[0] else x for x in a]
        elif change == "wait":
            w[k] = data.draw(st.sampled_from([True, False, None]))
        elif change == "differs":
            d = data.draw(st.sampled_from([True, False, None]))
        rows.append((s, a, w, d))
    frame = _frame(t, rows)
    expected = frame.select(t.text).to_series()
    got = _texts_by_distinct(frame, t)
    assert_series_equal(got, expected, check_names=False)
    # chunked as a table in a run is (the gather and the scatter then read across chunks)
    chunked = pl.concat([frame.slice(0, len(rows) // 2), frame.slice(len(rows) // 2)], rechunk=False)
    assert_series_equal(_texts_by_distinct(chunked, t), expected, check_names=False)
