"""A table's open rows are decided per group of live switches (``rules.batch.apply_stages``): the largest group's
stages run over every row, the other groups' rows are decided apart and put in place by position. Whatever the mix
of groups in a table, each row's result (every column, the ``outcomes`` text too) is the one it gets screened alone,
where it is the only group or no reading matters for it."""

from __future__ import annotations

import functools
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tests.programs.test_fanhuan_properties import SCENARIOS, SCHEMA, units
from wengang.evaluate import ruleset_for
from wengang.policies import load_policy_set
from wengang.rules.batch import Plan, apply_stages, compile_stages, resolve_missing

# the rule sets with open readings to branch on (内人社发〔2025〕18号: 190 combinations; 晋28号: 3,072)
OPEN = [s for s in SCENARIOS if s[0] in ("v2024-im2025", "v2024-shanxi")]


@functools.cache
def _compiled(scenario_id: str) -> tuple[Any, Any, Plan, dict[str, Any]]:
    _, region, on, drafts, region_settings = next(s for s in SCENARIOS if s[0] == scenario_id)
    resolution = load_policy_set().resolve(region=region, on=on, program="fanhuan", include_drafts=drafts)
    ruleset = ruleset_for("fanhuan", resolution.ruleset)
    plan = compile_stages(ruleset, resolution, settings=region_settings, columns=list(SCHEMA))
    return ruleset, resolution, plan, region_settings


def _screen(scenario_id: str, frame: pl.DataFrame) -> pl.DataFrame:
    ruleset, resolution, plan, region_settings = _compiled(scenario_id)
    out = apply_stages(frame.lazy(), plan)
    return resolve_missing(
        out, ruleset, resolution, settings=region_settings, columns=list(SCHEMA), bounded=plan.bounded
    ).collect()


@pytest.mark.parametrize("scenario", OPEN, ids=[s[0] for s in OPEN])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(units(), min_size=2, max_size=8))
def test_each_row_is_decided_as_if_alone(scenario, rows):
    frame = pl.DataFrame(rows, schema=SCHEMA)
    together = _screen(scenario[0], frame)
    alone = pl.concat([_screen(scenario[0], frame.slice(i, 1)) for i in range(frame.height)])
    assert_frame_equal(together, alone)
