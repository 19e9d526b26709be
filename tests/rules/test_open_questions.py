"""待认定 only where it matters: immaterial readings are said, refusals grouped by reading (review s20),
and a missing yes/no fact is tried both ways (one case and batch alike)."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from tests.rules.fakes import resolution
from wengang.evaluate import evaluate
from wengang.explain import explain
from wengang.rules.batch import screen_frame
from wengang.rules.engine import ELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE, Check, Ruleset, build_decision
from wengang.rules.expr import Fact, Param

# review §7 s20: a 24-person micro firm that laid off 6
S20 = {
    "credit_code": "91150502MA0N1234XN", "org_type": "enterprise", "size_class": "micro", "months_fully_paid": 24,
    "paid_premium_last_year_fen": 1000000, "insured_headcount": 24, "avg_insured_last_year": 27,
    "layoffs_last_year": 6, "has_corporate_account": True,
}


def test_s20_refusal_lines_are_grouped_under_their_reading() -> None:
    d = evaluate("fanhuan", "150502", date(2025, 8, 1), S20, readings={"fanhuan.months_fully_paid": "cumulative"})
    assert d.status == NEEDS_DECISION
    assert d.reasons[0].startswith("结果取决于尚未认定的政策解释")
    # no bare refusal line: each one says which reading gives it
    assert all(r.startswith("若") for r in d.reasons[1:]) and len(d.reasons) > 1
    refused = [o for o in d.outcomes if o.status == "ineligible"]
    assert refused and all(o.reasons for o in refused)
    assert all(not o.reasons for o in d.outcomes if o.status == ELIGIBLE)
    notice = explain(d)
    assert "不符合条件（" in notice  # the refusal sits beside the reading that produces it


def test_open_readings_that_do_not_matter_are_said() -> None:
    facts = dict(S20, layoffs_last_year=0)
    d = evaluate("fanhuan", "150502", date(2025, 8, 1), facts)
    assert d.status == ELIGIBLE
    assert d.immaterial_readings and any(n.startswith("以下解释不影响结论：") for n in d.notes)


class Toy(BaseModel):
    credit_code: str = "91110108551385082Q"
    name: str = "测试单位"
    local: bool | None = Field(None, description="本地参保 / insured locally")
    months: int | None = None


# either branch asks for 12 months here, so "local" does not matter once the months are known; Kleene logic
# alone cannot see that (unknown ∧ true ∨ ¬unknown ∧ true is unknown)
_local = Fact("local", "本地参保")
_months = Fact("months", "缴费月数")
TOY = Ruleset(
    program="toy", name="test", label="测试", facts=Toy,
    checks=[Check("months", "缴费满{min_months}个月", (_local & (_months >= Param("min_months"))) | (~_local & (_months >= Param("min_months"))))],
)  # fmt: skip
RES = resolution(min_months=12)


def _one(**facts: object):
    data = Toy.model_validate(facts).model_dump()
    return build_decision(TOY, RES, data, region="x", region_name="x", on=date(2025, 1, 1))


def test_a_missing_bool_that_does_not_matter_is_decided_and_said() -> None:
    d = _one(months=20)
    assert d.status == ELIGIBLE
    assert d.notes[0].startswith("事实“本地参保”（local）缺失，但按其全部可能取值（是、否）判定结论相同")
    d = _one(months=3)
    assert d.status == "ineligible"


def test_a_missing_bool_that_matters_is_named() -> None:
    toy = Ruleset(program="toy", name="test", label="测试", facts=Toy, checks=[Check("local", "本地参保", _local)])
    data = Toy.model_validate({"months": 20}).model_dump()
    d = build_decision(toy, RES, data, region="x", region_name="x", on=date(2025, 1, 1))
    assert d.status == NOT_DETERMINABLE
    assert any("结论取决于缺失的事实“本地参保”（local）" in r for r in d.reasons)


def test_batch_tries_the_missing_bool_the_same_way() -> None:
    rows = [{"local": None, "months": 20}, {"local": None, "months": 3}, {"local": True, "months": None}, {"local": None, "months": None}]
    frame = pl.DataFrame(rows, schema={"local": pl.Boolean, "months": pl.Int64})
    out = screen_frame(frame, TOY, RES).collect()
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        d = _one(**{k: v for k, v in row.items() if v is not None})
        assert (got["status"], got["amount_fen"]) == (d.status, d.amount_fen), row
