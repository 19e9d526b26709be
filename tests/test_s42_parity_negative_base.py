"""One answer, round two (docs/decisions.md §125, outside differential audit, session 42): a rate of a negative base.

晋人社厅发〔2024〕28号 五 "返还基数减去派遣到机关事业单位的劳动者对应的上年度失业保险费": a deduction larger than the base
(or more workers dispatched to 机关事业单位 than insured) is a contradiction in the facts. The batch had judged the unit
符合 with a negative 稳岗返还 (−599999 分, on the 公示 list as "-6000.01"); one case stopped with "计算基数不能为负" and
no decision. Both now decide 无法判定, with the same reason naming the fields; no batch path writes a negative amount.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.evaluate import evaluate

os.environ.setdefault("WENGANG_SHARED_DIR", "/work/shared")
runner = CliRunner()

CODE = "91140300000002123R"
BASE = {
    "credit_code": CODE, "name": "测试单位", "org_type": "enterprise", "size_class": "small", "is_dispatch_firm": True,
    "applied": True, "dispatched_workers": 40, "months_fully_paid": 24, "insured_headcount": 100,
    "layoffs_last_year": 0, "has_corporate_account": True, "region_code": "140300",
}  # fmt: skip
PREMIUM = {**BASE, "dispatched_to_public_institutions": 1, "paid_premium_last_year_fen": 1,
           "dispatched_public_premium_last_year_fen": 1_000_000}
HEADCOUNT = {**BASE, "dispatched_workers": 200, "dispatched_to_public_institutions": 200,
             "paid_premium_last_year_fen": 1_000_000}
SETTINGS = {"fund_reserve_years": "2", "max_layoff_rate": "5.5%"}
DAY = date(2024, 8, 1)


def _readings(reading: str) -> dict[str, str]:
    return {"fanhuan.dispatch_public_institutions": reading, "fanhuan.small_unit_rule": "workforce"}


def _screen(tmp_path: Path, facts: dict, reading: str) -> dict:
    csv = tmp_path / "facts.csv"
    pl.DataFrame([facts]).write_csv(csv)
    out = tmp_path / "out"
    args = ["screen", "--facts", str(csv), "-p", "fanhuan", "-d", DAY.isoformat(), "-o", str(out)]
    for k, v in _readings(reading).items():
        args += ["--reading", f"{k}={v}"]
    for k, v in SETTINGS.items():
        args += ["--setting", f"{k}={v}"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    row = pl.read_parquet(out / "results.parquet").row(0, named=True)
    sheet = pl.read_excel(out / "results.xlsx")
    row["原因"] = sheet.get_column("原因")[0]
    publicity = pl.read_excel(out / "publicity.xlsx") if (out / "publicity.xlsx").exists() else None
    row["_publicity_rows"] = 0 if publicity is None else publicity.filter(
        pl.any_horizontal(pl.col(c).cast(pl.String).str.contains(CODE[-6:]) for c in publicity.columns)
    ).height
    return row


@pytest.mark.parametrize(
    "facts, reading, fields",
    [
        (PREMIUM, "premium", ("paid_premium_last_year_fen", "dispatched_public_premium_last_year_fen")),
        (HEADCOUNT, "headcount", ("insured_headcount", "dispatched_to_public_institutions")),
    ],
)
def test_a_deduction_larger_than_the_base_is_not_determinable_in_both_paths(tmp_path, facts, reading, fields):
    one = evaluate("fanhuan", "140300", DAY, facts, readings=_readings(reading), settings=SETTINGS)
    assert one.status == "not_determinable" and one.amount_fen is None
    said = [r for r in one.reasons if r.startswith("事实相互矛盾")]
    assert len(said) == 1 and all(f in said[0] for f in fields), one.reasons

    row = _screen(tmp_path, facts, reading)
    assert row["status"] == "not_determinable"
    assert row["amount_fen"] is None
    assert row["原因"] == said[0]  # the same words in the results file
    assert row["_publicity_rows"] == 0  # never on the 公示 list


def test_a_negative_amount_is_written_nowhere_by_the_batch() -> None:
    """The last guard of every batch path (rules.batch.apply_stages): an amount below zero is 无法判定, not paid."""
    from wengang.rules import contradictions
    from wengang.rules.batch import STATUS_DTYPE, _no_negative_amount

    lf = pl.LazyFrame(
        {"status": ["eligible", "eligible"], "amount_fen": [-5, 7], "reasons": ["", ""]},
        schema={"status": STATUS_DTYPE, "amount_fen": pl.Int64, "reasons": pl.String},
    )
    out = _no_negative_amount(lf).collect()
    assert out.get_column("status").to_list() == ["not_determinable", "eligible"]
    assert out.get_column("amount_fen").to_list() == [None, 7]
    assert out.get_column("reasons").to_list() == [contradictions.NEGATIVE_AMOUNT, ""]


def test_a_rate_of_a_negative_base_is_unknown_in_one_case_and_compiled(tmp_path) -> None:
    """Any program's rate of a base less a deduction: the same unknown in one case and in a table (not a crash)."""
    from fractions import Fraction

    from wengang.rules.expr import Arith, EvalContext, Fact, Lit, RateOf

    node = RateOf(Arith("-", Fact("a"), Fact("b")), Lit(Fraction(1, 2)))
    ctx = EvalContext(facts={"a": 1, "b": 3}, params={}, settings={}, readings={})
    assert node.eval(ctx) is None
    from wengang.rules.expr import CompileContext

    cctx = CompileContext(params={}, settings={}, readings={})
    got = pl.DataFrame({"a": [1, 10], "b": [3, 4]}).select(node.to_polars(cctx).alias("x")).get_column("x").to_list()
    assert got == [None, 3]
