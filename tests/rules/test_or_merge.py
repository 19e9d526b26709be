"""An or's tests of one fact against fixed values are compiled as one ``is_in`` (``rules.expr._Logic._merged_tests``).

``org_type == "enterprise" | org_type in {...}`` (稳岗返还's coverage check) becomes ``org_type in {...,
"enterprise"}``: one pass over the column. The compiled value must be the one-case value on every row, unknown
(null) included, for text, categorical and integer columns, with other parts beside the merged ones.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.rules.expr import CompileContext, EvalContext, Fact, Lit, Or, Param

TEXTS = ["enterprise", "foundation", "law_firm", "social_group", "other"]


class _P:
    def __init__(self, value: Any):
        self.value = value


PARAMS = {"orgs": _P(["foundation", "law_firm"]), "kind": _P("enterprise"), "n": _P(3)}


def _check(expr: Any, column: str, values: list[Any], dtype: pl.DataType, extra: list[bool | None]) -> None:
    frame = pl.DataFrame({column: pl.Series(values, dtype=pl.String if dtype == pl.Categorical else dtype), "flag": extra})
    if dtype == pl.Categorical:
        frame = frame.with_columns(pl.col(column).cast(pl.Categorical))
    for non_null in (frozenset(), frozenset(frame.columns) if frame.null_count().sum_horizontal()[0] == 0 else frozenset()):
        compiled = expr.to_polars(CompileContext(PARAMS, {}, {}, non_null=non_null))
        got = frame.select(compiled.alias("out"))["out"].to_list()
        want = [expr.eval(EvalContext(facts={column: v, "flag": f}, params=PARAMS, settings={}, readings={})) for v, f in zip(values, extra, strict=True)]
        assert got == want


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(TEXTS)), min_size=1, max_size=20),
    categorical=st.booleans(),
    data=st.data(),
)
def test_text_tests_merged_as_one_is_in(values: list[str | None], categorical: bool, data: st.DataObject) -> None:
    org = Fact("org", "单位类型")
    flag = Fact("flag", "另一条件")
    extra = data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=len(values), max_size=len(values)))
    exprs = [
        org.eq("enterprise") | org.isin(Param("orgs")),
        Or(org.eq(Param("kind")), flag, org.isin(["social_group"]), org.eq("law_firm")),
        org.eq("enterprise") | flag,  # nothing to merge
    ]
    for expr in exprs:
        _check(expr, "org", values, pl.Categorical if categorical else pl.String, extra)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.integers(-2, 6)), min_size=1, max_size=20), data=st.data())
def test_integer_tests_merged_as_one_is_in(values: list[int | None], data: st.DataObject) -> None:
    n = Fact("n", "人数")
    extra = data.draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=len(values), max_size=len(values)))
    for dtype in (pl.Int64, pl.Int32):
        _check(n.eq(Param("n")) | n.eq(0) | n.isin(Lit(frozenset({5, -1}))), "n", values, dtype, extra)


def test_merged_or_reads_the_column_once() -> None:
    org = Fact("org", "单位类型")
    compiled = (org.eq("enterprise") | org.isin(Param("orgs"))).to_polars(CompileContext(PARAMS, {}, {}))
    text = str(compiled)
    assert text.count('col("org")') == 1 and "is_in" in text
