"""A variant given as a draft notice must apply on the variant's date: a 2026 draft simulated on a 2025 population
(its date by default) had decided nothing, and the run said 变化 0.00元 without a word (README audit, session 40)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.simulate.population import screened
from wengang.cli import app
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.simulate import Scenario, SimulationError, simulate


@pytest.fixture(scope="module")
def draft_and_population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("s40draft")
    r = CliRunner().invoke(app, ["policy", "new", "--from", "im-2025-18", "--out", str(root / "im-2026.yaml")])
    assert r.exit_code == 0, r.output
    return root / "im-2026.yaml", screened(root / "pop", units=200)


def test_a_draft_outside_the_variant_date_is_refused(draft_and_population) -> None:
    draft, population = draft_and_population
    with pytest.raises(SimulationError, match="不适用于稳岗返还.*--variant-date"):
        simulate(population, variant=Scenario("方案", policy_files=(str(draft),), readings=dict(DEMO_READINGS)))


def test_the_same_draft_on_a_date_in_its_period_is_used(draft_and_population) -> None:
    draft, population = draft_and_population
    r = simulate(population, variant=Scenario("方案", on=date(2026, 8, 1), policy_files=(str(draft),),
                                              readings=dict(DEMO_READINGS)))
    assert any("2026" in p for p in r.variant_policies), r.variant_policies
