"""The reasons' and flags' check codes (``rules.batch._codes``) are looked up by a small integer of the checks' states
in the texts of every combination of them: each row's text must be the one built row by row — the code of each check
that is false, ``?`` and the code of each that is unknown (only with ``prefix_unknown``, and not for a check known to
hold no null), joined by ``;`` in the checks' order — whatever the checks hold, in one chunk or several, and also
where there are too many combinations to look up (built row by row then)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from wengang.rules.batch import CODE_TABLE_LIMIT, _code_texts, _codes, _codes_by_row
from wengang.rules.expr import never_null

CODES = ["covered", "months_paid", "layoff", "?x", "不失信", "", "a;b", "env_compliant", "c9"]


def _expected(rows: list[dict], items: list[tuple[str, str, bool]], prefix_unknown: bool) -> list[str]:
    """Each row's text, from its values alone."""
    out = []
    for row in rows:
        parts = []
        for cid, name, marked in items:
            v = row[name]
            if v is False:
                parts.append(cid)
            elif v is None and prefix_unknown and not marked:
                parts.append("?" + cid)
        out.append(";".join(parts))
    return out


@st.composite
def _cases(draw):
    n = draw(st.integers(0, 9))
    height = draw(st.integers(1, 40))
    columns, items = {}, []
    for i in range(n):
        values = draw(st.lists(st.sampled_from([True, False, None]), min_size=height, max_size=height))
        name = f"c{i}"
        columns[name] = pl.Series(name, values, dtype=pl.Boolean)
        # marked never null only where it holds no null (the compiler's promise)
        marked = None not in values and draw(st.booleans())
        items.append((draw(st.sampled_from(CODES)), name, marked))
    split = draw(st.integers(0, height))
    return columns, items, height, split, draw(st.booleans())


@settings(max_examples=300)
@given(_cases())
def test_codes_equal_the_texts_row_by_row(case):
    columns, items, height, split, prefix_unknown = case
    frame = (
        pl.DataFrame(list(columns.values()), height=height) if columns else pl.DataFrame({"_": [0] * height})
    )
    if 0 < split < height:  # two chunks
        frame = pl.concat([frame.slice(0, split), frame.slice(split)], rechunk=False)
    exprs = [(cid, never_null(pl.col(name)) if marked else pl.col(name)) for cid, name, marked in items]
    looked_up = frame.lazy().select(_codes(exprs, prefix_unknown).alias("t")).collect().to_series()
    by_row = frame.lazy().select(_codes_by_row(exprs, prefix_unknown).alias("t")).collect().to_series()
    if looked_up.len() == 1 and height > 1:  # a literal (no check): the same on every row
        looked_up = looked_up.extend_constant(looked_up[0], height - 1)
        by_row = by_row.extend_constant(by_row[0], height - 1)
    expected = pl.Series("t", _expected(frame.to_dicts(), items, prefix_unknown), dtype=pl.String)
    assert_series_equal(looked_up, expected)
    assert_series_equal(by_row, expected)


def test_the_table_is_every_combination_in_key_order():
    # the first check the lowest digit: 0 true, 1 false, 2 unknown
    texts = _code_texts(("a", "b"), (3, 2))
    assert texts is not None
    assert texts.to_list() == ["", "a", "?a", "b", "a;b", "?a;b"]


def test_too_many_combinations_are_built_row_by_row():
    assert _code_texts(tuple("abcdefgh"), (3,) * 8) is None  # 6561
    assert 3**7 <= CODE_TABLE_LIMIT and _code_texts(tuple("abcdefg"), (3,) * 7) is not None
    values = [True, False, None]
    frame = pl.DataFrame({f"c{i}": [values[(r // 3**i) % 3] for r in range(3**8)] for i in range(8)})
    items = [(cid, pl.col(f"c{i}")) for i, cid in enumerate("abcdefgh")]
    got = frame.select(_codes(items, True).alias("t")).to_series()
    want = _expected(frame.to_dicts(), [(cid, f"c{i}", False) for i, cid in enumerate("abcdefgh")], True)
    assert got.to_list() == want
