"""Acceptance cases written from the notices: one test per case, id = the case id.

Each ``tests/acceptance/<seed>/<topic>.yaml`` holds cases for one seed (a file of ``../shared/policy-texts``);
see ``tests/acceptance/README.md`` for the format. The expected result of a case comes from the text, not from
the code: where the code is wrong today the case carries ``xfail: "<review item>: <defect>"`` and runs as a
strict xfail, so it fails (and must lose the line) once the defect is fixed.

Besides the per-case tests, the file checks the cases themselves: ids unique, every quote a verbatim substring
of its seed (whitespace and markdown aside, as the policy loader compares), every boundary word inside its quote,
every fixed reading a real switch.
"""

from __future__ import annotations

import os
import re
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from wengang.evaluate import evaluate
from wengang.policies.loader import normalize
from wengang.rules import interpretations

HERE = Path(__file__).parent
REPO = HERE.parents[1]
# CI runs on a clean clone with ../shared beside the repo; a git worktree elsewhere can point to it
SHARED = Path(os.environ.get("WENGANG_SHARED_DIR") or REPO.parent / "shared")
TEXTS = SHARED / "policy-texts"

SEEDS = ("000", "001", "002", "003", "004")
STATUSES = ("eligible", "ineligible", "needs_decision", "not_determinable")
CASE_KEYS = {
    "id", "provision", "program", "region", "date", "facts", "readings", "settings", "drafts",
    "quote", "boundary", "reading", "expect", "xfail", "note",
}
REQUIRED_KEYS = {"id", "provision", "program", "region", "date", "facts", "quote", "expect"}
EXPECT_KEYS = {
    "status", "amount_fen", "amount_is_cap", "policy", "reasons_contain", "flags_contain", "question",
    "checks", "checks_absent", "outputs_contain",
}
PROVISION_RE = re.compile(r"^\d{3}-\d{2}$")


def _load() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(HERE.glob("*/*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        seed = str(doc["seed"]).zfill(3)  # an unquoted 002 reads as the integer 2
        assert path.parent.name == seed, f"{path}: seed {seed} must match its folder"
        for case in doc["cases"]:
            case["_seed"] = seed
            case["_file"] = f"{path.parent.name}/{path.name}"
            out.append((path, case))
    return out


CASES = [c for _, c in _load()]


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if case.get("xfail"):
        # only a wrong result is expected: a case whose facts do not load must fail, not hide as xfail
        marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=str(case["xfail"])))
    return pytest.param(case, id=str(case["id"]), marks=marks)


def _on(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    d = evaluate(
        case["program"],
        str(case["region"]),
        _on(case["date"]),
        case["facts"],
        readings=case.get("readings"),
        settings=case.get("settings"),
        include_drafts=bool(case.get("drafts", False)),
    )
    expect = case["expect"]
    context = (
        f"\n[{case['_file']}] status={d.status} amount_fen={d.amount_fen} cap={d.amount_is_cap} policy={d.policy_number}"
        f"\nreasons={d.reasons}\nflags={d.flags}"
        f"\nchecks={[(c.id, c.passed, c.detail) for c in d.checks]}"
        f"\noutcomes={[(o.readings, o.status, o.amount_fen) for o in d.outcomes]}"
    )
    assert d.status == expect["status"], context
    if "amount_fen" in expect:
        assert d.amount_fen == expect["amount_fen"], context
    if "amount_is_cap" in expect:
        assert d.amount_is_cap == expect["amount_is_cap"], context
    if "policy" in expect:
        assert d.policy_number == expect["policy"], context
    for text in expect.get("reasons_contain") or []:
        assert any(text in r for r in d.reasons), f"{text!r} not in reasons{context}"
    for text in expect.get("flags_contain") or []:
        assert any(text in f for f in d.flags), f"{text!r} not in flags{context}"
    for text in expect.get("outputs_contain") or []:
        assert any(text in f"{label}：{v}" for _, label, v in d.outputs), f"{text!r} not in {d.outputs}{context}"
    for check_id, passed in (expect.get("checks") or {}).items():
        got = {c.id: c.passed for c in d.checks}
        assert check_id in got, f"check {check_id} not evaluated; have {sorted(got)}{context}"
        assert got[check_id] == passed, f"check {check_id}: {got[check_id]} != {passed}{context}"
    for check_id in expect.get("checks_absent") or []:
        assert check_id not in {c.id for c in d.checks}, f"check {check_id} applies here but should not{context}"
    if "question" in expect:
        question = str(expect["question"])
        named = list(d.reasons)
        for o in d.outcomes:
            named += list(o.readings)
            named += [interpretations.get(s).title for s in o.readings if s in interpretations.REGISTRY]
        assert any(question in n for n in named), f"the decision does not name {question!r}{context}"


# ---------------------------------------------------------------------------------------------------------
# the cases themselves


def test_there_are_cases() -> None:
    assert CASES, "no acceptance cases found"


def test_case_ids_are_unique_and_start_with_their_seed() -> None:
    seen: dict[str, str] = {}
    for case in CASES:
        cid = str(case.get("id"))
        assert cid not in seen, f"case id {cid} in {case['_file']} also in {seen[cid]}"
        seen[cid] = case["_file"]
        assert cid.startswith(case["_seed"] + "-"), f"case id {cid} must start with its seed {case['_seed']}-"


@pytest.mark.parametrize("case", CASES, ids=[str(c.get("id")) for c in CASES])
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    keys = {k for k in case if not k.startswith("_")}
    assert not REQUIRED_KEYS - keys, f"missing {sorted(REQUIRED_KEYS - keys)}"
    assert not keys - CASE_KEYS, f"unknown keys {sorted(keys - CASE_KEYS)}"
    assert case["_seed"] in SEEDS
    provisions = case["provision"]
    assert isinstance(provisions, list) and provisions, "provision: a non-empty list of review §3 ids"
    for p in provisions:
        assert PROVISION_RE.match(str(p)), f"provision {p!r} is not a review §3 id like 000-04"
    expect = case["expect"]
    assert set(expect) <= EXPECT_KEYS, f"unknown expect keys {sorted(set(expect) - EXPECT_KEYS)}"
    assert expect.get("status") in STATUSES, f"status must be one of {STATUSES}"
    if "question" in expect:
        assert expect["status"] == "needs_decision", "question is for needs_decision cases"
    if case.get("boundary"):
        assert normalize(str(case["boundary"])) in normalize(str(case["quote"])), "boundary word not in the quote"
    if case.get("reading"):
        name, sep, key = str(case["reading"]).partition("=")
        assert sep, "reading is written name=key"
        assert (case.get("readings") or {}).get(name) == key, f"reading {case['reading']} is not fixed in readings"
    for name, key in (case.get("readings") or {}).items():
        if name in interpretations.REGISTRY:  # switches other helpers are adding are unknown here (then xfail)
            assert key in interpretations.get(name).readings, f"switch {name} has no reading {key}"
        else:
            assert case.get("xfail"), f"unknown switch {name}: only an xfail case may name a switch being added"


def test_quotes_are_verbatim_in_their_seed() -> None:
    if not TEXTS.is_dir():
        message = f"policy texts not found at {TEXTS}: the quote check of the acceptance cases is SKIPPED"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    sources: dict[str, str] = {}
    for seed in SEEDS:
        files = sorted(TEXTS.glob(f"{seed}_*.txt"))
        assert len(files) == 1, f"expected one seed text {seed}_*.txt in {TEXTS}"
        sources[seed] = normalize(files[0].read_text(encoding="utf-8"))
    bad = [
        f"{c['id']} ({c['_file']}): {c['quote']}"
        for c in CASES
        if not str(c.get("quote") or "").strip() or normalize(str(c["quote"])) not in sources[c["_seed"]]
    ]
    assert not bad, "quotes not verbatim in their seed:\n" + "\n".join(bad)


def test_provisions_are_rows_of_the_legal_review() -> None:
    reviews = sorted((SHARED / "reviews").glob("legal-review-*.md"))
    if not reviews:
        message = f"legal review not found under {SHARED / 'reviews'}: the provision-id check is SKIPPED"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    rows = set(re.findall(r"^\|\s*(\d{3}-\d{2})\s*\|", reviews[-1].read_text(encoding="utf-8"), flags=re.M))
    bad = [f"{c['id']}: {p}" for c in CASES for p in c["provision"] if str(p) not in rows]
    assert not bad, f"provision ids not in the §3 tables of {reviews[-1].name}:\n" + "\n".join(bad)
