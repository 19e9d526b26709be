"""Compiling for columns known to hold no null (``non_null``) changes no result, only the plan.

``screen_frame`` / ``screen_facts`` given an in-memory table count its nulls and compile the rules without the
unknown branches of the columns that have none; given the same table lazily (and no ``non_null``) they compile
the general, Kleene plan. Every result column must be the same row for row, for every program, with and
without nulls, with readings fixed or open (hypothesis, below).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import wengang.programs  # noqa: F401  (registers the rulesets)
from tests.programs import test_fanhuan_properties as FH
from tests.programs import test_misc_properties as MISC
from tests.programs import test_ui_benefit_properties as UI
from wengang.evaluate import parse_settings, ruleset_for
from wengang.policies import load_policy_set
from wengang.rules import interpretations
from wengang.rules.batch import compile_stages, known_non_null, screen_frame
from wengang.rules.engine import RULESETS
from wengang.screening.evaluate import screen_facts

PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _filled(frame: pl.DataFrame, columns: set[str]) -> pl.DataFrame:
    """``frame`` with the nulls of ``columns`` filled from the rows around (a column that is null on every row
    stays so): tables in which some columns hold no null, as validated tables are."""
    fill = [c for c in frame.columns if c in columns]
    return frame.with_columns(pl.col(c).fill_null(strategy="forward").fill_null(strategy="backward") for c in fill)


def _edges(frame: pl.DataFrame, data: st.DataObject) -> pl.DataFrame:
    """Zeros put in some numeric columns on some rows: a zero denominator is unknown, not refused (a ratio's
    null test must stay where a column is known but may be 0)."""
    numeric = [c for c, t in frame.schema.items() if t.is_integer()]
    if not numeric:
        return frame
    columns = data.draw(st.sets(st.sampled_from(numeric)))
    rows = pl.Series(data.draw(st.lists(st.booleans(), min_size=frame.height, max_size=frame.height)), dtype=pl.Boolean)
    return frame.with_columns(pl.when(rows).then(0).otherwise(pl.col(c)).cast(frame.schema[c]).alias(c) for c in columns)


def _same(frame: pl.DataFrame, run: Any) -> None:
    """``run`` over the table in memory (its non-null columns known) equals ``run`` over it lazily (none known)."""
    assert known_non_null(frame) == {c for c in frame.columns if frame[c].null_count() == 0}
    simplified = run(frame).collect()
    general = run(frame.lazy()).collect()
    assert_frame_equal(simplified, general)


def _columns(names: list[str]) -> st.SearchStrategy[set[str]]:
    """No column filled, a few, or all of them."""
    return st.one_of(st.just(set()), st.just(set(names)), st.sets(st.sampled_from(names)))


@pytest.mark.parametrize("scenario", FH.SCENARIOS, ids=FH.IDS)
@PROPS
@given(rows=st.lists(FH.units(), min_size=1, max_size=12), data=st.data())
def test_fanhuan_same_with_known_non_null_columns(scenario, rows, data):
    _, region, on, drafts, region_settings = scenario
    resolution = load_policy_set().resolve(region=region, on=on, program="fanhuan", include_drafts=drafts)
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    frame = _filled(_edges(pl.DataFrame(rows, schema=FH.SCHEMA), data), data.draw(_columns(list(FH.SCHEMA))))
    # readings open (the default: branches compared per row) and fixed (one combination)
    fixed = data.draw(st.sampled_from([None, {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")}]))
    _same(frame, lambda f: screen_frame(f, ruleset, resolution, settings=region_settings, fixed=fixed))


@pytest.mark.parametrize("program", sorted(MISC.SPECS))
def test_other_programs_same_with_known_non_null_columns(program: str) -> None:
    region, on, raw_settings, drafts, fields = MISC.SPECS[program]
    resolution = load_policy_set().resolve(region=region, on=on, program=program, include_drafts=drafts)
    ruleset = ruleset_for(program, resolution.ruleset)

    @PROPS
    @given(rows=MISC._rows(program), data=st.data())
    def check(rows: list[dict[str, Any]], data: st.DataObject) -> None:
        df = pl.DataFrame(rows, schema={k: dtype for k, (_, dtype) in fields.items()})
        if program in MISC.DERIVES_INDUSTRY:
            df = df.with_columns(MISC.industry_columns())
        df = _filled(_edges(df, data), data.draw(_columns(df.columns)))
        _same(df, lambda f: screen_frame(f, ruleset, resolution, settings=parse_settings(raw_settings)))

    check()


@PROPS
@given(rows=st.lists(UI.person, min_size=1, max_size=10), which=st.sampled_from(UI.PROGRAMS), priced=st.booleans(), data=st.data())
def test_ui_benefits_same_with_known_non_null_columns(rows, which, priced, data):
    program, region, on = which
    resolution = load_policy_set().resolve(region=region, on=on, program=program)
    ruleset = RULESETS[(program, resolution.ruleset)]
    frame = pl.DataFrame([{**r, "id_number": UI.ID} for r in rows], schema=UI.SCHEMA)
    frame = _filled(_edges(frame, data), data.draw(_columns(list(UI.SCHEMA))))
    standards = UI.STANDARDS if priced else {}
    _same(frame, lambda f: screen_frame(f, ruleset, resolution, settings=standards))


FANHUAN_READINGS = {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")}


@PROPS
@given(rows=st.lists(FH.units(), min_size=1, max_size=12), data=st.data())
def test_screen_facts_every_result_column_same(rows, data):
    """The whole output of ``screen_facts`` (status, amount, reasons, flags, readings, outcomes, the policy
    cited, payment holds, the facts carried through), over two regions, readings open or fixed."""
    regions = data.draw(st.lists(st.sampled_from(["150500", "150000", "140300"]), min_size=len(rows), max_size=len(rows)))
    frame = pl.DataFrame(rows, schema=FH.SCHEMA).with_columns(pl.Series("region_code", regions))
    frame = _filled(_edges(frame, data), data.draw(_columns(frame.columns)))
    readings = data.draw(st.sampled_from([None, FANHUAN_READINGS]))

    def run(f: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
        return screen_facts(f, "fanhuan", date(2025, 8, 1), readings=readings)[0]

    _same(frame, run)
    # the same knowledge given for the lazy table (what a caller's validation guarantees): the same again
    lazy = screen_facts(frame.lazy(), "fanhuan", date(2025, 8, 1), readings=readings, non_null=known_non_null(frame))[0]
    assert_frame_equal(lazy.collect(), run(frame.lazy()).collect())


def _fanhuan() -> tuple[Any, Any]:
    resolution = load_policy_set().resolve(region="150500", on=date(2025, 8, 1), program="fanhuan")
    return ruleset_for("fanhuan", resolution.ruleset), resolution


def _unknown_tests(plan: Any) -> int:
    exprs = [*plan.variants, *plan.final, *(e for level in plan.shared for e in level)]
    return sum(str(e).count("is_null") for e in exprs)


def test_known_columns_drop_the_unknown_branches():
    """With every column the rules read known to hold no null, fewer null tests are compiled than without."""
    ruleset, resolution = _fanhuan()
    columns = [c for c in FH.SCHEMA if c in ruleset.facts.model_fields]
    fixed = FANHUAN_READINGS
    general = compile_stages(ruleset, resolution, fixed=fixed, columns=columns)
    simplified = compile_stages(ruleset, resolution, fixed=fixed, columns=columns, non_null=columns)
    assert _unknown_tests(simplified) < _unknown_tests(general)


def test_plan_cache_keys_on_the_non_null_columns():
    """A table with nulls screened after one without (same columns) is not given the other's plan."""
    full = {
        **{c: None for c in FH.SCHEMA}, "credit_code": "91150502MA0N1234XN", "org_type": "enterprise",
        "size_class": "small", "avg_insured_last_year": 20, "layoffs_last_year": 0, "months_fully_paid_total": 6,
        "paid_premium_last_year_fen": 100_000, "region_code": "150500",
    }  # fmt: skip
    clean = pl.DataFrame([full, dict(full, months_fully_paid_total=30)], schema={**FH.SCHEMA, "region_code": pl.String})
    dirty = clean.with_columns(pl.lit(None, dtype=pl.Int64).alias("months_fully_paid_total"))

    def run(f: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
        return screen_facts(f, "fanhuan", date(2025, 8, 1), readings=FANHUAN_READINGS)[0].collect()

    run(clean)  # compiles (and caches) the plan for months_fully_paid_total known
    assert_frame_equal(run(dirty), run(dirty.lazy()))
    assert run(dirty)["reasons"].str.contains("?", literal=True).all()
