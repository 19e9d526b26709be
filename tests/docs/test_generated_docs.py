"""Generated documents match the code: regenerate with the command named in each file's header."""

from __future__ import annotations

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _interpretations() -> str:
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()

    return interpretations.markdown() + "\n"


def _dictionary() -> str:
    from wengang.dictionary import markdown

    return markdown()


def _coverage() -> str:
    from wengang.policies import coverage

    return coverage.markdown(coverage.load())


@pytest.mark.parametrize(
    ("name", "render", "command"),
    [
        ("interpretations.md", _interpretations, "wengang interpretations --markdown > docs/interpretations.md"),
        ("data-dictionary.md", _dictionary, "wengang data-dictionary > docs/data-dictionary.md"),
        ("coverage.md", _coverage, "wengang policy coverage --markdown > docs/coverage.md"),
    ],
)
def test_generated_doc_is_current(name, render, command):
    assert (DOCS / name).read_text(encoding="utf-8") == render(), f"docs/{name} is stale: run `{command}`"


def test_every_switch_names_its_clause_and_default():
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()

    assert len(interpretations.REGISTRY) >= 20
    for s in interpretations.REGISTRY.values():
        assert s.clauses and all(any(m in c for m in ("〔", "号", "条例", "征求意见稿")) for c in s.clauses), s.name
        assert s.default in s.readings and len(s.readings) >= 2, s.name
        assert s.why.strip(), s.name
