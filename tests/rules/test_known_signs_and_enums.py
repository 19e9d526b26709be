"""What the compiler may know of a table besides its nulls and bounds, and that knowing it changes no result.

* **Signs.** The batch's last guard against a negative amount (``rules.batch.apply_stages``) is left out when every
  fact the amounts read is known to hold no negative value (``Plan.never_negative_given``; a file's statistics, or a
  pass over a table in memory) and the amounts subtract nothing outside a rate (a rate of a base that can be negative
  is unknown where it is). ``rules.contradictions.never_negative_given`` must be sound: when it names facts, no
  non-negative values of them make the expression negative, in one case or compiled.
* **Enums.** A fact column typed as an Enum can hold only its categories: a membership test of it against a set that
  holds all of them (or none), on a column without null, is known when compiling (the 稳岗返还 "covered" check over
  the peer benchmark's org types: no test per row).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import wengang.programs
from tests.programs import test_fanhuan_properties as FH
from wengang.evaluate import ruleset_for
from wengang.facts.unit_codes import OrgType
from wengang.policies import load_policy_set
from wengang.rules import contradictions, interpretations
from wengang.rules import expr as X
from wengang.rules.batch import STATUS_DTYPE, compile_stages, enum_columns, known_non_negative, known_non_null
from wengang.screening.evaluate import screen_facts

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
wengang.programs.load_all()  # every program's switches registered: the readings below fix all of 稳岗返还's
FIXED = {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")}
DAY = date(2025, 8, 1)
FACTS = ("a", "b", "c")


# --------------------------------------------------------------------------------------------
# signs


def _exprs() -> st.SearchStrategy[X.Expr]:
    leaves = st.one_of(
        st.sampled_from(FACTS).map(X.Fact),
        st.integers(-3, 50).map(X.Lit),
    )

    def grow(inner: st.SearchStrategy[X.Expr]) -> st.SearchStrategy[X.Expr]:
        return st.one_of(
            st.tuples(st.sampled_from("+-*"), inner, inner).map(lambda t: X.Arith(t[0], t[1], t[2])),
            st.tuples(inner, inner).map(lambda t: X.Min(*t)),
            st.tuples(inner, inner).map(lambda t: X.Max(*t)),
            st.tuples(inner, inner).map(lambda t: X.Coalesce(*t)),
            st.tuples(st.sampled_from(FACTS), inner, inner).map(
                lambda t: X.IfElse(X.Cmp(">=", X.Fact(t[0]), X.Lit(2)), t[1], t[2])
            ),
            st.tuples(inner, st.sampled_from([Fraction(3, 10), Fraction(1, 2), Fraction(-1, 4)])).map(
                lambda t: X.RateOf(t[0], X.Lit(t[1]))
            ),
        )

    return st.recursive(leaves, grow, max_leaves=6)


@PROPS
@given(
    expr=_exprs(),
    rows=st.lists(st.fixed_dictionaries({f: st.one_of(st.none(), st.integers(0, 10**6)) for f in FACTS}), min_size=1, max_size=8),
)
def test_never_negative_given_is_sound(expr: X.Expr, rows: list[dict[str, Any]]) -> None:
    """Where it names facts, non-negative values of them never make the expression negative: one case or a table."""
    ctx = X.CompileContext(params={}, settings={}, readings={})
    named = contradictions.never_negative_given(expr, ctx)
    if named is None:
        return
    assert named <= set(FACTS)
    for row in rows:
        value = expr.eval(X.EvalContext(facts=row, params={}, settings={}, readings={}))
        assert value is None or value >= 0, (expr.show(), row, value)
    frame = pl.DataFrame(rows, schema=dict.fromkeys(FACTS, pl.Int64))
    got = frame.select(expr.to_polars(ctx).alias("x")).get_column("x").to_list()
    assert all(v is None or v >= 0 for v in got), (expr.show(), rows, got)


def test_never_negative_given_forms() -> None:
    ctx = X.CompileContext(params={}, settings={}, readings={})
    a, b = X.Fact("a"), X.Fact("b")
    half = X.Lit(Fraction(1, 2))
    assert contradictions.never_negative_given(X.RateOf(a + b, half), ctx) == {"a", "b"}
    assert contradictions.never_negative_given(X.Min(a, X.Lit(5)) * 2, ctx) == {"a"}
    assert contradictions.never_negative_given(a - b, ctx) is None  # a subtraction, not under a rate
    assert contradictions.never_negative_given(a + X.Lit(-1), ctx) is None  # a negative figure
    # a rate of a difference is unknown where the difference is negative: never negative whatever the facts
    assert contradictions.never_negative_given(X.RateOf(a - b, half), ctx) == frozenset()
    assert contradictions.never_negative_given(X.RateOf(a - b, half) + a, ctx) == {"a"}
    # a fact the table lacks is its default: a literal
    absent = X.CompileContext(params={}, settings={}, readings={}, absent={"b": pl.lit(None)})
    assert contradictions.never_negative_given(a + b, absent) is None  # (an unknown literal default: not proven)


def _peer_plan(columns: list[str], **kw: Any) -> Any:
    resolution = load_policy_set().resolve(region="150000", on=DAY, program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    return compile_stages(ruleset, resolution, fixed=FIXED, columns=columns, non_null=columns, **kw)


PEER_COLUMNS = ["org_type", "size_class", "avg_insured_last_year", "months_fully_paid_total", "layoffs_last_year",
                "paid_premium_last_year_fen", "serious_dishonesty", "zombie_clearance", "env_noncompliant"]  # fmt: skip


def test_the_2025_refund_is_never_negative_given_its_premiums() -> None:
    plan = _peer_plan(PEER_COLUMNS)
    assert plan.never_negative_given == {"paid_premium_last_year_fen"}


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FH.SCHEMA).with_columns(pl.lit("150500").alias("region_code"))


def _bounds(frame: pl.DataFrame) -> dict[str, tuple[int, int]]:
    return {
        c: (int(frame[c].min()), int(frame[c].max()))  # type: ignore[arg-type]
        for c, t in frame.schema.items()
        if t.is_integer() and frame[c].null_count() < frame.height
    }


@st.composite
def _signed_units(draw: st.DrawFn) -> dict[str, Any]:
    row = draw(FH.units())
    if draw(st.booleans()):  # a negative premium: a table no validation read (the API over any frame)
        row["paid_premium_last_year_fen"] = draw(st.integers(-(10**9), -1))
    return row


@PROPS
@given(rows=st.lists(_signed_units(), min_size=1, max_size=10), readings=st.sampled_from([FIXED, None]))
def test_the_guard_is_left_out_only_where_no_amount_can_be_negative(rows: list[dict[str, Any]], readings: Any) -> None:
    """In memory (its minimum read), lazily without bounds (the guard kept) and lazily with the true bounds: the same
    results row for row; no row is 符合 with a negative amount."""
    frame = _frame(rows)
    in_memory = screen_facts(frame, "fanhuan", DAY, readings=readings)[0].collect()
    known = known_non_null(frame)
    guarded = screen_facts(frame.lazy(), "fanhuan", DAY, readings=readings, non_null=known)[0].collect()
    bounded = screen_facts(frame.lazy(), "fanhuan", DAY, readings=readings, non_null=known, ranges=_bounds(frame))[0]
    assert_frame_equal(in_memory, guarded)
    assert_frame_equal(in_memory, bounded.collect())
    assert in_memory.filter(pl.col("amount_fen") < 0).height == 0


def test_a_negative_premium_keeps_the_guard() -> None:
    base = {**dict.fromkeys(FH.SCHEMA), "org_type": "enterprise", "size_class": "small", "months_fully_paid_total": 30,
            "serious_dishonesty": False, "zombie_clearance": False, "avg_insured_last_year": 40, "layoffs_last_year": 0}  # fmt: skip
    frame = _frame([dict(base, paid_premium_last_year_fen=-100_000), dict(base, paid_premium_last_year_fen=100_000)])
    assert known_non_negative(frame, ["paid_premium_last_year_fen"]) == frozenset()
    assert known_non_negative(frame[1:], ["paid_premium_last_year_fen"]) == {"paid_premium_last_year_fen"}
    assert known_non_negative(frame, ["paid_premium_last_year_fen"], {"paid_premium_last_year_fen": (0, 9)}) == {
        "paid_premium_last_year_fen"
    }  # what the caller says of the table is taken (a file's statistics)
    out = screen_facts(frame, "fanhuan", DAY, readings=FIXED)[0].collect()
    assert out.get_column("status").to_list()[0] == "not_determinable"
    assert out.get_column("amount_fen").to_list()[0] is None
    assert contradictions.NEGATIVE_AMOUNT in out.get_column("reasons").to_list()[0]
    assert out.get_column("status").to_list()[1] == "eligible"


# --------------------------------------------------------------------------------------------
# enums

ALL_ORGS = [o.value for o in OrgType]
COVERED = ["accounting_firm", "enterprise", "foundation", "individual_business", "law_firm", "social_group",
           "social_service_org"]  # fmt: skip


@PROPS
@given(
    rows=st.lists(FH.units(), min_size=1, max_size=10),
    orgs=st.lists(st.sampled_from(ALL_ORGS), min_size=1, max_size=4),
    book=st.sampled_from([ALL_ORGS, COVERED, ["enterprise", "social_group", "public_institution"]]),
    readings=st.sampled_from([FIXED, None]),
)
def test_an_enum_column_decides_as_its_text(rows: list[dict[str, Any]], orgs: list[str], book: list[str], readings: Any) -> None:
    """The org type as text or as an Enum (of every code, of the covered ones, of a few): the same results."""
    for i, row in enumerate(rows):
        row["org_type"] = orgs[i % len(orgs)]
    text = _frame(rows)
    categories = sorted(set(book) | set(orgs))  # every value the rows hold is one of the Enum's
    typed = text.with_columns(pl.col("org_type").cast(pl.Enum(categories)))
    want = screen_facts(text, "fanhuan", DAY, readings=readings)[0].collect()
    got = screen_facts(typed, "fanhuan", DAY, readings=readings)[0].collect()
    assert_frame_equal(got, want.with_columns(pl.col("org_type").cast(pl.Enum(categories))))
    assert got.get_column("status").dtype == STATUS_DTYPE


def _covered_check(plan: Any) -> list[str]:
    """The "covered" check's stage-1 columns that are tested per row (not a literal the compiler knew)."""
    return [
        e.meta.output_name() for e in plan.variants
        if e.meta.output_name().startswith("__c0__") and not e.meta.is_literal(allow_aliasing=True)
    ]  # fmt: skip


def test_a_covered_enum_folds_the_check() -> None:
    assert enum_columns({"org_type": pl.Enum(COVERED), "n": pl.Int64}) == (("org_type", tuple(COVERED)),)
    assert _covered_check(_peer_plan(PEER_COLUMNS)) == ["__c0__"]  # text: tested per row
    assert _covered_check(_peer_plan(PEER_COLUMNS, enums={"org_type": COVERED})) == []  # every code covered
    assert _covered_check(_peer_plan(PEER_COLUMNS, enums={"org_type": ALL_ORGS})) == ["__c0__"]  # 机关事业单位 not
    # a column that may hold null keeps its test (null stays unknown)
    some = [c for c in PEER_COLUMNS if c != "org_type"]
    resolution = load_policy_set().resolve(region="150000", on=DAY, program="fanhuan")
    plan = compile_stages(
        ruleset_for("fanhuan", resolution.ruleset), resolution, fixed=FIXED, columns=PEER_COLUMNS, non_null=some,
        enums={"org_type": COVERED},
    )
    assert _covered_check(plan) == ["__c0__"]
