"""Text compiled as small-integer codes (``expr.text_codes``): the same values as text, row for row.

The batch compiler codes a family of text (facts, literals, the coalesces and if-else branches passing them along)
when what reads it only compares it with fixed texts: each compared text gets a code, every other text code 0.
Exact only if no comparison can tell two texts of code 0 apart; these tests generate rule trees over text columns
holding texts the rules name, texts they do not, ``""`` and null, and compare the compiled plan (coded as the batch
compiler codes it) with the one-case evaluator on every row, and the fanhuan plan with and without codes.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import wengang.programs  # noqa: F401  (registers the rulesets)
from tests.programs import test_fanhuan_properties as FH
from wengang.evaluate import ruleset_for
from wengang.policies import load_policy_set
from wengang.rules import batch, interpretations
from wengang.rules.batch import compile_stages, screen_frame
from wengang.rules.expr import (
    BOOL,
    CODE_DTYPE,
    TEXT,
    Cmp,
    Coalesce,
    CompileContext,
    EvalContext,
    Expr,
    Fact,
    IfElse,
    IsIn,
    IsMissing,
    Lit,
    Or,
    SharedNodes,
    literal,
    text_codes,
)

NAMED = ["large", "small", "micro", "stats"]  # texts the generated rules name
TEXTS = [None, "", "medium", "LARGE", "other", *NAMED]  # what the columns hold
COLUMNS = ["a", "b", "c"]


def _text(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(
        st.sampled_from(COLUMNS).map(lambda n: Fact(n, n, TEXT)),
        st.sampled_from([None, "", *NAMED]).map(Lit),
    )
    if depth == 0:
        return leaf
    inner = _text(depth - 1)
    return st.one_of(
        leaf,
        st.builds(Coalesce, inner, inner),
        st.builds(IfElse, _bool(depth - 1), inner, inner),
    )


def _bool(depth: int) -> st.SearchStrategy[Expr]:
    text = _text(depth)
    fixed = st.sampled_from([None, *NAMED]).map(Lit)
    return st.one_of(
        st.builds(Cmp, st.sampled_from(["==", "!="]), text, fixed),
        st.builds(Cmp, st.sampled_from(["==", "!="]), text, text),  # two columns: such a family stays text
        st.builds(IsIn, text, st.frozensets(st.sampled_from(NAMED), min_size=1, max_size=3).map(Lit)),
        st.builds(IsMissing, text),
        st.just(Fact("flag", "flag", BOOL)),
    )


def _compiled(roots: list[Expr], frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The roots compiled as ``compile_stages`` compiles checks (shared nodes staged, text coded), evaluated."""
    shared = SharedNodes(roots, {})
    codes = text_codes(roots, {}, {}, ())
    ctx = CompileContext({}, {}, {}, {}, shared, frozenset(), {}, None, codes)
    exprs = [r.to_polars(ctx).alias(f"r{i}") for i, r in enumerate(roots)]
    lf = frame.lazy()
    for level in shared.levels:
        lf = lf.with_columns(level)
    out = lf.with_columns(exprs).collect()
    return out.select(e.meta.output_name() for e in exprs), shared.names


rows_ = st.lists(
    st.fixed_dictionaries({**{n: st.sampled_from(TEXTS) for n in COLUMNS}, "flag": st.sampled_from([None, True, False])}),
    min_size=1,
    max_size=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roots=st.lists(_bool(3), min_size=1, max_size=3), rows=rows_)
def test_coded_plan_is_the_one_case_value_on_every_row(roots: list[Expr], rows: list[dict[str, Any]]) -> None:
    frame = pl.DataFrame(rows, schema={**dict.fromkeys(COLUMNS, pl.String), "flag": pl.Boolean})
    out, _ = _compiled(roots, frame)
    for i, row in enumerate(rows):
        for j, root in enumerate(roots):
            want = root.eval(EvalContext(row, {}, {}, {}))
            assert out.item(i, j) == want, (root.show(), row)


def test_a_family_passed_along_and_compared_with_fixed_texts_is_coded() -> None:
    a, b = Fact("a", "a", TEXT), Fact("b", "b", TEXT)
    picked = Coalesce(a, IfElse(Coalesce(b, Lit("")).eq("stats"), Lit("large"), Lit(None)))
    roots: list[Expr] = [picked.eq("large"), IsIn(picked, Lit(frozenset({"small", "micro"})))]
    codes = text_codes(roots, {}, {}, ())
    assert codes[id(picked)] == ("large", "micro", "small")
    assert codes[id(b)] == ("stats",)  # "" is passed along only: code 0, as any text not compared
    frame = pl.DataFrame({"a": [None, "large", "medium", None, None], "b": ["stats", None, "stats", "", None]})
    out, staged = _compiled(roots, frame)
    assert out.to_dict(as_series=False) == {"r0": [True, True, False, None, None], "r1": [False, False, False, None, None]}
    # each column coded once, as a column of its own, and the shared coalesce held as codes
    shared = SharedNodes(roots, {})
    ctx = CompileContext({}, {}, {}, {}, shared, frozenset(), {}, None, codes)
    [r.to_polars(ctx) for r in roots]
    levels = pl.DataFrame({"a": ["x"], "b": ["y"]}).lazy()
    for level in shared.levels:
        levels = levels.with_columns(level)
    schema = levels.collect_schema()
    coded = [n for n in shared.names if "_code_" in n]
    assert len(coded) == 2 and all(schema[n] == CODE_DTYPE for n in coded)


def test_two_columns_compared_stay_text() -> None:
    a, b = Fact("a", "a", TEXT), Fact("b", "b", TEXT)
    root = Coalesce(a, Lit("large")).eq(b)
    assert text_codes([root], {}, {}, ()) == {}
    # both hold texts the rules do not name: as codes both would be 0, equal
    out, _ = _compiled([root], pl.DataFrame({"a": ["x", "x", None], "b": ["y", "x", "large"]}))
    assert out.get_column("r0").to_list() == [False, True, True]


def test_a_family_read_by_anything_else_stays_text() -> None:
    a = Fact("a", "a", TEXT)
    passed = Coalesce(a, Lit("small"))
    root = Or(passed.eq("large"), Cmp("<", passed, Lit("m")))  # an order of texts: not a test of a fixed text
    assert text_codes([root], {}, {}, ()) == {}


def test_a_column_only_compared_is_not_coded() -> None:
    """What the policy folds away leaves the column compared once: it stays text (one test a row, no coding)."""
    a, b = Fact("a", "a", TEXT), Fact("b", "b", TEXT)
    root = Coalesce(a, b).eq("large")
    shared = SharedNodes([root], {})
    codes = text_codes([root], {}, {}, ("b",))
    ctx = CompileContext({}, {}, {}, {"b": literal(None)}, shared, frozenset(), {}, None, codes)
    root.to_polars(ctx)
    assert not [n for n in shared.names if "_code_" in n]


FIXED = {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")}
STEPS = [None, "", "given", "stats", "standard_2017", "legal_entity", "si_system", "avg_contributors", "other"]
CLASSES = [None, "", "large", "medium", "small", "micro", "LARGE", "stats"]


@st.composite
def _odd_units(draw: st.DrawFn) -> dict[str, Any]:
    """fanhuan's units with size classes and steps the rules do not name, and empty texts, besides theirs."""
    row = draw(FH.units())
    for name in ("size_class", "stats_size_class", "size_class_2017", "legal_entity_size_class", "si_system_size_class"):
        row[name] = draw(st.sampled_from(CLASSES))
    row["size_class_step"] = draw(st.sampled_from(STEPS))
    row["legal_entity_credit_code"] = draw(st.sampled_from([None, "91150502MA0N1235XN"]))
    row["legal_entity_avg_contributors_12m"] = draw(st.sampled_from([None, 10, 300]))
    return row


ODD_SCHEMA = {
    **FH.SCHEMA,
    "legal_entity_size_class": pl.String,
    "si_system_size_class": pl.String,
    "legal_entity_credit_code": pl.String,
    "legal_entity_avg_contributors_12m": pl.Int64,
}


@pytest.mark.parametrize("scenario", FH.SCENARIOS, ids=FH.IDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_odd_units(), min_size=1, max_size=12), fixed=st.sampled_from([None, FIXED]), lazy=st.booleans())
def test_fanhuan_with_codes_gives_the_text_plans_results(scenario, rows, fixed, lazy):
    _, region, on, drafts, region_settings = scenario
    resolution = load_policy_set().resolve(region=region, on=on, program="fanhuan", include_drafts=drafts)
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    frame = pl.DataFrame(rows, schema=ODD_SCHEMA)
    table = frame.lazy() if lazy else frame

    def run() -> pl.DataFrame:
        return screen_frame(table, ruleset, resolution, settings=region_settings, fixed=fixed).collect()

    coded = run()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(batch, "text_codes", lambda *a: {})
        batch._FILLED.clear()
        text = run()
    batch._FILLED.clear()
    assert_frame_equal(coded, text)


def test_fanhuan_open_plan_codes_the_size_classes() -> None:
    resolution = load_policy_set().resolve(region="150500", on=FH.SCENARIOS[0][2], program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    plan = compile_stages(ruleset, resolution, columns=[c for c in ODD_SCHEMA if c in ruleset.facts.model_fields])
    coded = [e for level in plan.shared for e in level if "_code_" in e.meta.output_name()]
    read = {n for e in coded for n in e.meta.root_names()}
    assert {"size_class", "size_class_step"} <= read
