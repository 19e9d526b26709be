"""``wengang evaluate``'s 政策期间 line: the reading the period rests on by its Chinese description, then the
switch's name (what ``--reading`` takes), never ``name=key``; ``--explain`` (the letter) drops the name and says the
reading as the one adopted."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.rules.test_period_and_settings import RESERVE, S03
from wengang.cli import app
from wengang.evaluate import evaluate
from wengang.rules.engine import PERIOD_DATE

runner = CliRunner()
APPLICATION = PERIOD_DATE.describe("application")
ARGS = ["--program", "skill_subsidy", "--region", "150502", "--date", "2025-01-10"]


@pytest.fixture
def s03(tmp_path: Path) -> Path:
    p = tmp_path / "s03.json"
    p.write_text(json.dumps(S03, ensure_ascii=False), encoding="utf-8")
    return p


def _flat(text: str) -> str:
    return "".join(text.split())  # the console wraps long lines


def test_the_basis_names_the_reading_then_the_switch() -> None:
    d = evaluate("skill_subsidy", "150502", date(2025, 1, 10), S03, settings=RESERVE)
    assert d.period_date == date(2024, 11, 20)
    assert (d.period_basis or "").endswith(f"（{APPLICATION}；解释开关 policy.period_date）"), d.period_basis
    assert "policy.period_date=" not in (d.period_basis or "")


def test_plain_output(s03: Path) -> None:
    r = runner.invoke(app, ["evaluate", str(s03), *ARGS, "--setting", "fund_reserve_years=2"])
    out = _flat(r.output)
    assert _flat(f"仍按申领日期适用该文件（{APPLICATION}；解释开关 policy.period_date）") in out, r.output
    assert "policy.period_date=" not in out


def test_explain_is_a_letter_without_the_switch(s03: Path) -> None:
    r = runner.invoke(app, ["evaluate", str(s03), *ARGS, "--setting", "fund_reserve_years=2", "--explain"])
    line = next(x for x in r.output.splitlines() if x.startswith("适用政策期间："))
    # the reading said as the one the conclusion follows from (explain._reading_as_adopted, session 41: S25-17)
    head, _, tail = APPLICATION.partition("：")
    assert line.endswith(f"仍按申领日期适用该文件（依本次采用的政策理解“{head}”：{tail}）。"), line
    assert "解释开关" not in line and "policy.period_date" not in r.output
