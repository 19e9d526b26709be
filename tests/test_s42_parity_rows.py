"""One answer, round two (docs/decisions.md §125, outside differential audit, session 42): a table's row as one case.

F2 a blank cell of an optional field reads as the field omitted, whatever else the table holds (a blank
   attrition_death beside a given one had left normal attrition unknown: 待认定 where one case was 符合);
F3 a ceiling's hold reason is said once when a raw run's features are screened again with --facts (it was doubled);
F4 a value outside a field's bounds (hire_year 1950–2100) is quarantined naming record and field, as one case refuses
   it, and one case says the bound (not "不能为负数" for every lower bound);
F7 a required field left empty is quarantined naming record and field, as one case refuses it.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.evaluate import InvalidFacts, evaluate

os.environ.setdefault("WENGANG_SHARED_DIR", "/work/shared")
runner = CliRunner()


def _screen(tmp_path: Path, csv_text: str, program: str, day: str, *extra: str) -> Path:
    src = tmp_path / "facts.csv"
    src.write_text(csv_text, encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(app, ["screen", "--facts", str(src), "-p", program, "-d", day, "-o", str(out), "--no-excel", *extra])
    assert res.exit_code == 0, res.output
    return out


# --- F2 -------------------------------------------------------------------------------------------------------------

PAIR = (
    "credit_code,name,org_type,size_class,months_fully_paid,paid_premium_last_year_fen,insured_headcount,"
    "avg_insured_last_year,layoffs_last_year,region_code,attrition_death\n"
    "91150502000000345A,测试单位,enterprise,small,24,1000000,50,50,0,150521,\n"
    "91150502000000346D,测试单位,enterprise,small,24,1000000,50,50,0,150521,5\n"
)


@pytest.mark.parametrize("extra", [(), ("--reading", "fanhuan.normal_attrition=included")])
def test_a_blank_attrition_cell_reads_as_omitted_beside_a_given_one(tmp_path, extra):
    out = _screen(tmp_path, PAIR, "fanhuan", "2025-10-15", *extra)
    row = pl.read_parquet(out / "results.parquet").filter(pl.col("credit_code") == "91150502000000345A").row(0, named=True)
    facts = dict(zip(PAIR.splitlines()[0].split(","), PAIR.splitlines()[1].split(","), strict=True))
    facts = {k: v for k, v in facts.items() if v != ""}  # the blank cell: the field omitted
    readings = dict([extra[1].split("=")]) if extra else {}
    one = evaluate("fanhuan", "150521", date(2025, 10, 15), facts, readings=readings)
    assert one.status == "eligible" and one.amount_fen == 600000
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen)


def test_a_derived_column_null_where_nothing_was_derived_takes_the_model_default() -> None:
    from wengang.programs import load
    from wengang.rules.batch import prepare_table
    from wengang.rules.engine import RULESETS

    load("fanhuan")
    rulesets = [rs for (p, _), rs in RULESETS.items() if p == "fanhuan"]
    facts = pl.DataFrame({"credit_code": ["a", "b"], "attrition_death": [None, 5]}, schema_overrides={"attrition_death": pl.Int64})
    done = prepare_table(rulesets, facts)[0]
    done = done.collect() if isinstance(done, pl.LazyFrame) else done
    assert done.get_column("normal_attrition_last_year").to_list() == [0, 5]


def test_a_column_blank_on_every_row_reads_as_omitted(tmp_path) -> None:
    """A column with no value at all has no type of its own: its blanks are the model default all the same."""
    text = (
        "credit_code,name,org_type,size_class,months_fully_paid,paid_premium_last_year_fen,insured_headcount,"
        "avg_insured_last_year,layoffs_last_year,region_code,serious_dishonesty\n"
        "91150502000000345A,测试单位,enterprise,small,24,1000000,50,50,0,150521,\n"
    )
    out = _screen(tmp_path, text, "fanhuan", "2025-10-15")
    row = pl.read_parquet(out / "results.parquet").row(0, named=True)
    assert (row["status"], row["amount_fen"]) == ("eligible", 600000)


# --- F3 -------------------------------------------------------------------------------------------------------------


def test_a_hold_reason_carried_from_the_raw_run_is_said_once(tmp_path) -> None:
    from wengang.rules.batch import CAP_HOLD_REASON
    from wengang.screening.holds import carry_holds

    earlier = tmp_path / "results.parquet"
    pl.DataFrame({"credit_code": ["a"], "payment_hold": [True], "payment_hold_reason": [CAP_HOLD_REASON]}).write_parquet(earlier)
    now = pl.DataFrame({"credit_code": ["a"], "status": ["eligible"], "payment_hold": [True],
                        "payment_hold_reason": [CAP_HOLD_REASON]})
    got, _ = carry_holds(now, earlier, "credit_code")
    assert got.get_column("payment_hold_reason").to_list() == [CAP_HOLD_REASON]


def test_with_amount_cap_does_not_repeat_a_reason_the_row_carries() -> None:
    import inspect

    from wengang.rules import batch

    # the hold is added only where the row does not say it already (a results frame re-held)
    assert "~told" in inspect.getsource(batch.with_amount_cap)
    assert batch.said_once(pl.lit("甲；乙；甲")).meta is not None
    assert pl.select(batch.said_once(pl.lit("甲；乙；甲"))).item() == "甲；乙"


# --- F4 -------------------------------------------------------------------------------------------------------------

HIRES = (
    "credit_code,name,region_code,size_class,graduate_id_number,is_college_graduate,graduation_year,hire_year,"
    "has_labour_contract,contract_months,insured_ui\n"
    "91150502000000010N,某公司,150500,small,152301199803150001,true,2022,2022,true,12,false\n"
    "91150502000000011R,某公司,150500,small,15230119980315001X,true,2022,0,true,12,false\n"
    "91150502000000012W,某公司,150500,small,152301199803150028,true,2022,1,true,12,false\n"
    "911505020000000130,某公司,150500,small,152301199803150036,true,2022,9999,true,12,false\n"
)


def test_a_year_outside_its_bounds_is_quarantined_naming_record_and_field(tmp_path) -> None:
    out = _screen(tmp_path, HIRES, "hiring_subsidy", "2022-08-01")
    q = pl.read_parquet(out / "quarantine.parquet")
    assert q.get_column("field").to_list() == ["hire_year"] * 3
    assert q.get_column("value").to_list() == ["0", "1", "9999"]
    assert q.get_column("source_row").is_not_null().all()
    reasons = q.get_column("reason_zh").to_list()
    assert reasons[0].endswith("不能小于1950") and reasons[2].endswith("不能大于2100")
    assert pl.read_parquet(out / "results.parquet").height == 1
    run = json.loads((out / "run.json").read_text("utf-8"))
    assert run  # the run is recorded


def test_one_case_says_the_bound_it_refuses() -> None:
    facts = {"credit_code": "91150502000000011R", "name": "某公司", "size_class": "small",
             "graduate_id_number": "15230119980315001X", "is_college_graduate": True, "graduation_year": 2022,
             "hire_year": 1, "has_labour_contract": True, "contract_months": 12, "insured_ui": False}
    with pytest.raises(InvalidFacts) as err:
        evaluate("hiring_subsidy", "150500", date(2022, 8, 1), facts)
    said = {f: zh for f, zh, _ in err.value.problems}
    assert said["hire_year"].startswith("不能小于1950"), said
    assert "不能为负数" not in said["hire_year"]


def test_a_lower_bound_of_zero_still_reads_not_negative() -> None:
    from wengang.evaluate import bound_text

    assert bound_text("ge", 0)[0] == "不能为负数"
    assert bound_text("le", 5) == ("不能大于5", "must be ≤ 5")


# --- F7 -------------------------------------------------------------------------------------------------------------


LOANS = (
    "applicant,id_number,name,group,requested_amount_yuan,requested_term_months,credit_code,region_code\n"
    "individual,152301199803150001,张某,graduate,100000,36,91150502000000133P,150500\n"
    ",15230119980315001X,李某,graduate,100000,36,91150502000000134T,150500\n"
)


def test_a_required_field_left_empty_is_quarantined_naming_record_and_field(tmp_path) -> None:
    """Generic from the model: a field without a default (startup_loan's applicant) a row leaves empty is quarantined
    naming record and field, as one case refuses it (缺少必填字段); the other row is decided."""
    out = _screen(tmp_path, LOANS, "startup_loan", "2022-08-01")
    q = pl.read_parquet(out / "quarantine.parquet")
    assert q.get_column("field").to_list() == ["applicant"]
    assert q.get_column("source_row").is_not_null().all()
    assert "缺少必填字段" in q.get_column("reason_zh")[0]
    assert pl.read_parquet(out / "results.parquet").height == 1
    header, _, row = LOANS.splitlines()
    facts = {k: v for k, v in zip(header.split(","), row.split(","), strict=True) if v != ""}
    with pytest.raises(InvalidFacts) as err:
        evaluate("startup_loan", "150500", date(2022, 8, 1), facts)
    assert "applicant" in [f for f, _, _ in err.value.problems]


# --- F5 -------------------------------------------------------------------------------------------------------------


def test_case_import_takes_a_per_graduate_run_its_program_and_date_from_run_json(tmp_path) -> None:
    """hiring_subsidy: the claim key is the graduate's 公民身份号码 (results.graduate_id_number); without --program
    and --year the run's record (run.json) says both."""
    from wengang.casework.intake import read_screening_output

    out = _screen(tmp_path, HIRES, "hiring_subsidy", "2022-08-01")
    got = read_screening_output(out)
    frame = got.frame
    assert frame.get_column("program").unique().to_list() == ["hiring_subsidy"]
    assert frame.get_column("claim_key").to_list() == ["152301199803150001"]
    assert frame.get_column("year").unique().to_list() == [2022]


def test_case_import_refuses_a_person_applied_program_naming_the_real_reason(tmp_path) -> None:
    from wengang.casework.errors import LedgerError
    from wengang.casework.intake import read_screening_output

    out = _screen(tmp_path, LOANS, "startup_loan", "2022-08-01")
    with pytest.raises(LedgerError) as err:
        read_screening_output(out)
    text = str(err.value)
    assert "创业担保贷款（startup_loan）" in text and "公民身份号码" in text
    assert "技能提升补贴等）的筛查结果" not in text


def test_case_import_refuses_a_program_without_amounts_naming_the_real_reason(tmp_path) -> None:
    from wengang.casework.errors import LedgerError
    from wengang.casework.intake import _importable

    with pytest.raises(LedgerError) as err:
        _importable(tmp_path / "results.parquet", "deferral", {"credit_code": pl.String})
    assert "没有发放金额" in str(err.value)
    _importable(tmp_path / "results.parquet", "fanhuan", {"credit_code": pl.String})  # a paying unit program passes
