"""YAML cases per program: each names its clause (and boundary word); each runs as one test.

A case file ``cases/<program>.yaml`` reads as a policy analyst would write it::

    program: fanhuan
    cases:
      - name: 裁员率恰为5.5%（不高于，含本数）的中小微企业按60%返还
        clause: 内人社发〔2025〕18号 一
        boundary: 不高于
        region: "150500"
        date: 2025-08-01
        facts: {credit_code: ..., months_fully_paid: 12, ...}
        readings: {fanhuan.layoff_rate_formula: year_end}   # optional
        settings: {fund_reserve_years: 2}                   # optional
        drafts: false                                       # optional
        expect:
          status: eligible
          amount_fen: 600000
          policy: 内人社发〔2025〕18号
          checks: {layoff: true}
          checks_absent: [older_pension_referral]           # checks that do not apply here
          cites: {layoff: 内人社发〔2025〕18号 一}             # check id → a substring of one of its citations
          reasons_contain: [...]
          flags_contain: [...]
          details_contain: [...]                            # substrings of a check's trace line
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from wengang.evaluate import evaluate

CASES_DIR = Path(__file__).parent / "cases"
BOUNDARY_WORDS = ("以上", "以下", "不高于", "不超过", "低于", "超过", "达到", "满")


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, case in enumerate(doc["cases"]):
            case.setdefault("program", doc["program"])
            out.append((f"{path.stem}[{i}] {case['name']}", case))
    return out


CASES = _load()


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_case(case: dict[str, Any]) -> None:
    assert case.get("clause"), "every case names the clause it tests"
    on = case["date"] if isinstance(case["date"], date) else date.fromisoformat(case["date"])
    d = evaluate(
        case["program"],
        str(case["region"]),
        on,
        case["facts"],
        readings=case.get("readings"),
        settings=case.get("settings"),
        include_drafts=case.get("drafts", False),
    )
    expect = case["expect"]
    context = f"\nreasons={d.reasons}\nchecks={[(c.id, c.passed, c.detail) for c in d.checks]}\noutcomes={d.outcomes}"
    assert d.status == expect["status"], context
    if "amount_fen" in expect:
        assert d.amount_fen == expect["amount_fen"], context
    if "amount_is_cap" in expect:
        assert d.amount_is_cap == expect["amount_is_cap"]
    if "policy" in expect:
        assert d.policy_number == expect["policy"]
    for check_id, passed in (expect.get("checks") or {}).items():
        got = {c.id: c.passed for c in d.checks}
        assert check_id in got, f"check {check_id} not evaluated; have {sorted(got)}"
        assert got[check_id] == passed, f"check {check_id}: {got[check_id]} != {passed}{context}"
    for check_id in expect.get("checks_absent", []):
        assert check_id not in {c.id for c in d.checks}, f"check {check_id} applies here but should not{context}"
    for check_id, citation in (expect.get("cites") or {}).items():
        cited = {c.id: c.citations for c in d.checks}
        assert check_id in cited, f"check {check_id} not evaluated; have {sorted(cited)}"
        assert any(citation in c for c in cited[check_id]), f"check {check_id} cites {cited[check_id]}, not {citation!r}"
    for text in expect.get("reasons_contain", []):
        assert any(text in r for r in d.reasons), f"{text!r} not in {d.reasons}"
    for text in expect.get("flags_contain", []):
        assert any(text in f for f in d.flags), f"{text!r} not in {d.flags}"
    for text in expect.get("details_contain", []):
        assert any(text in c.detail for c in d.checks), f"{text!r} not in {[c.detail for c in d.checks]}"
    for text in expect.get("outputs_contain", []):
        assert any(text in f"{label}：{v}" for _, label, v in d.outputs), f"{text!r} not in {d.outputs}"
    if "outcome_amounts" in expect:
        assert sorted((o.amount_fen for o in d.outcomes), key=lambda x: (x is None, x)) == expect["outcome_amounts"]


def _expr_class_names() -> re.Pattern[str]:
    import wengang.rules.expr as nodes

    names = sorted({c.__name__ for c in vars(nodes).values() if isinstance(c, type) and issubclass(c, nodes.Expr)})
    return re.compile(r"\b(" + "|".join(names) + r")\b")


def test_no_trace_shows_a_node_class_name() -> None:
    """A caseworker's trace names each figure in Chinese: a node without a label once showed its class name
    ("Reading 4.55% ≤ 5.5%", "Coalesce excluded = excluded"). Every case's checks, outputs, reasons and flags."""
    pattern = _expr_class_names()
    leaks = []
    for case_id, case in CASES:
        on = case["date"] if isinstance(case["date"], date) else date.fromisoformat(case["date"])
        try:
            d = evaluate(case["program"], str(case["region"]), on, case["facts"], readings=case.get("readings"),
                         settings=case.get("settings"), include_drafts=case.get("drafts", False))  # fmt: skip
        except Exception:  # noqa: BLE001, S112 - a case that expects an input error is tested above
            continue
        texts = [c.detail for c in d.checks] + [f"{label}：{v}" for _, label, v in d.outputs] + [*d.reasons, *d.flags]
        leaks += [(case_id, t) for t in texts if pattern.search(t)]
    assert not leaks, leaks[:5]


def test_every_boundary_word_has_a_case() -> None:
    words = {c.get("boundary") for _, c in CASES}
    missing = [w for w in BOUNDARY_WORDS if w not in words]
    assert not missing, f"no case tests the boundary word(s) {missing}"


def test_a_bad_credit_code_is_an_input_error_naming_the_field() -> None:
    from wengang.evaluate import InvalidFacts

    with pytest.raises(InvalidFacts) as exc:
        evaluate("fanhuan", "150500", date(2025, 8, 1), {"credit_code": "91150502MA0N1234X1", "months_fully_paid": 12})
    text = exc.value.text()
    assert "字段 credit_code" in text and "应为“N”" in text and "expected 'N'" in text
