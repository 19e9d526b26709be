"""One case under another reading: the run of each live switch's other reading takes from the first, traced run every
value no changed reading is below (``EvalContext.trace``, ``changed``), and must come out as the case decided afresh
with that reading fixed. Checked over every acceptance case and example whose decision lists outcomes (待认定)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from wengang.evaluate import evaluate
from wengang.rules import expr as expr_mod
from wengang.rules import interpretations

ROOT = Path(__file__).resolve().parents[2]


def _cases() -> list[tuple[str, str, str, date, dict[str, Any], dict[str, str] | None, dict[str, Any] | None]]:
    out = []
    for path in sorted((ROOT / "tests" / "acceptance").glob("*/*.yaml")):
        for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            on = c["date"] if isinstance(c["date"], date) else date.fromisoformat(str(c["date"]))
            out.append((str(c["id"]), c["program"], str(c["region"]), on, c.get("facts") or {}, c.get("readings"),
                        c.get("settings")))  # fmt: skip
    for path in sorted((ROOT / "examples").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        case = data.pop("_case", None)
        if case:
            out.append((path.stem, case["program"], case["region"], date.fromisoformat(case["date"]), data, None, None))
    return out


def _decided(case: tuple) -> Any:
    _, program, region, on, facts, readings, settings = case
    try:
        return evaluate(program, region, on, facts, readings=readings, settings=settings)
    except Exception:  # noqa: BLE001 - a case the acceptance set expects refused: no outcomes to compare
        return None


def test_each_outcome_is_the_case_decided_with_its_readings_fixed():
    compared = 0
    for case in _cases():
        d = _decided(case)
        if d is None:
            continue
        _, program, region, on, facts, readings, settings = case
        for o in d.outcomes:
            again = evaluate(program, region, on, facts, readings={**(readings or {}), **o.readings}, settings=settings)
            assert (again.status, again.amount_fen) == (o.status, o.amount_fen), (case[0], o.readings)
            compared += 1
    assert compared >= 100  # the acceptance set has some 200 such outcomes: the check is not vacuous


@pytest.mark.parametrize("program", ["fanhuan", "skill_subsidy", "deferral_pension"])
def test_the_traced_values_taken_change_nothing(program, monkeypatch):
    """The same decisions, reasons and outcomes with every branch evaluated from scratch (no value taken from the trace)."""
    cases = [c for c in _cases() if c[1] == program]
    with_trace = [_decided(c) for c in cases]
    every = frozenset(interpretations.REGISTRY)  # below every node, as far as a branch can tell: nothing is taken
    monkeypatch.setattr(expr_mod.Expr, "switches_below", lambda self: every)
    without = [_decided(c) for c in cases]
    assert any(d is not None and d.outcomes for d in with_trace) or program != "fanhuan"
    for a, b in zip(with_trace, without, strict=True):
        if a is None or b is None:
            assert a is b
            continue
        assert (a.status, a.amount_fen, a.reasons, a.flags) == (b.status, b.amount_fen, b.reasons, b.flags)
        assert [(o.readings, o.status, o.amount_fen, o.reasons, o.lacks) for o in a.outcomes] == [
            (o.readings, o.status, o.amount_fen, o.reasons, o.lacks) for o in b.outcomes
        ]
