"""A shared sub-expression read at one place only is compiled there, not staged as a column of its own.

``SharedNodes`` stages what the rule tree reuses; once the policy and fixed readings have chosen their branches,
some of those nodes are read by one expression only. ``compile_stages`` compiles twice and writes those where
they are read (``SharedNodes.read_once``). The plan is smaller; every result column must be the same row for row
as the plan that stages them (hypothesis, below; the one-case equivalence of the staged plan is tested in
tests/programs).
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
from wengang.rules.expr import SharedNodes

PROPS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXED = {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")}


def _staged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile as before the second pass: every shared node staged as a column."""
    monkeypatch.setattr(SharedNodes, "read_once", lambda self, exprs: frozenset())
    batch._FILLED.clear()


def _columns_staged(plan: Any) -> int:
    return sum(len(level) for level in plan.shared)


def test_nodes_read_once_are_not_staged(monkeypatch: pytest.MonkeyPatch) -> None:
    resolution = load_policy_set().resolve(region="150500", on=FH.SCENARIOS[0][2], program="fanhuan")
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    columns = [c for c in FH.SCHEMA if c in ruleset.facts.model_fields]
    inlined = compile_stages(ruleset, resolution, fixed=FIXED, columns=columns)
    with monkeypatch.context() as m:
        _staged(m)
        staged = compile_stages(ruleset, resolution, fixed=FIXED, columns=columns)
    assert _columns_staged(inlined) < _columns_staged(staged)
    # what stays staged is read at two places or more
    reads: dict[str, int] = {}
    for e in [*(e for level in inlined.shared for e in level), *inlined.variants]:
        for name in e.meta.root_names():
            reads[name] = reads.get(name, 0) + 1
    kept = [e.meta.output_name() for level in inlined.shared for e in level]
    assert kept and all(reads.get(name, 0) >= 2 for name in kept)


@pytest.mark.parametrize("scenario", FH.SCENARIOS, ids=FH.IDS)
@PROPS
@given(rows=st.lists(FH.units(), min_size=1, max_size=12), fixed=st.sampled_from([None, FIXED]), lazy=st.booleans())
def test_inlined_plan_gives_the_staged_plans_results(scenario, rows, fixed, lazy):
    _, region, on, drafts, region_settings = scenario
    resolution = load_policy_set().resolve(region=region, on=on, program="fanhuan", include_drafts=drafts)
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    frame = pl.DataFrame(rows, schema=FH.SCHEMA)
    table = frame.lazy() if lazy else frame  # lazy: the general plan; in memory: compiled for its non-null columns

    def run() -> pl.DataFrame:
        return screen_frame(table, ruleset, resolution, settings=region_settings, fixed=fixed).collect()

    inlined = run()
    with pytest.MonkeyPatch.context() as m:
        _staged(m)
        staged = run()
    batch._FILLED.clear()
    assert_frame_equal(inlined, staged)
