"""A letter (``wengang evaluate --explain``, ``wengang.explain``) says each reading in Chinese: no switch's name,
no ``switch=key`` and no "解释开关" — a check label that named its switch once reached every letter of the case
("证书取得时间符合所采用的取证时限（文件未写时限，见解释开关 skill_subsidy.certificate_window）").

The sample: of tests/programs/cases/*.yaml, each program's first 待认定 case and the first case under each of its
policy documents (so each ruleset's check labels are read at least once)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.programs.test_cases import CASES
from wengang.evaluate import evaluate
from wengang.explain import explain
from wengang.programs import load_all
from wengang.rules import interpretations
from wengang.rules.engine import NEEDS_DECISION, Decision

SWITCH_KEY = re.compile(r"\w+\.\w+=")
DOTTED = re.compile(r"(?<![A-Za-z0-9_./-])([a-z_]+)\.([a-z0-9_]+)")


def _decide(case: dict[str, Any]) -> Decision | None:
    on = case["date"] if isinstance(case["date"], date) else date.fromisoformat(case["date"])
    try:
        return evaluate(case["program"], str(case["region"]), on, case["facts"], readings=case.get("readings"),
                        settings=case.get("settings"), include_drafts=case.get("drafts", False))  # fmt: skip
    except Exception:  # noqa: BLE001 - a case that expects an input error has no letter
        return None


def _sample() -> list[tuple[str, Decision]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for case_id, case in CASES:
        d = _decide(case)
        if d is None:
            continue
        keys = [(case["program"], f"policy:{d.policy_number}")]
        if d.status == NEEDS_DECISION:
            keys.append((case["program"], NEEDS_DECISION))
        if any(k not in seen for k in keys):
            seen.update(keys)
            out.append((case_id, d))
    return out


SAMPLE = _sample()


def _switch_names(text: str) -> list[str]:
    """The registered switch names in ``text``, and any ``<switch family>.<name>`` (a switch no longer registered)."""
    load_all()
    names = set(interpretations.REGISTRY)
    families = {n.split(".", 1)[0] for n in names}
    return [m.group(0) for m in DOTTED.finditer(text) if m.group(0) in names or m.group(1) in families]


def test_the_sample_covers_every_program_and_a_needs_decision_case() -> None:
    assert {c["program"] for _, c in CASES} == {d.program for _, d in SAMPLE}
    assert any(d.status == NEEDS_DECISION for _, d in SAMPLE)


@pytest.mark.parametrize("case_id,decision", SAMPLE, ids=[i for i, _ in SAMPLE])
def test_letter_names_no_interpretation_switch(case_id: str, decision: Decision) -> None:
    text = explain(decision)
    assert not SWITCH_KEY.search(text), SWITCH_KEY.findall(text)
    assert "解释开关" not in text, [line for line in text.splitlines() if "解释开关" in line]
    assert _switch_names(text) == []


def test_letter_of_a_death_during_benefit_names_the_benefits_not_the_program_code() -> None:
    case = next(c for _, c in CASES if c["program"] == "ui_benefit" and c["facts"].get("deceased"))
    d = _decide(case)
    assert d is not None
    text = explain(d)
    assert "丧葬补助金和抚恤金" in text and "失业保险条例第二十条" in text
    assert "ui_death_benefits" not in text
