"""Gaps between one case, batch screening and the ledger (outside audits, session 41).

1. A unit screening (raw tables, ``--facts``) carries ``amount_is_cap`` as one case reports it, and holds an eligible
   row whose amount is only a 不超过 ceiling (人社部发〔2024〕40号 二 “中小微企业按不超过60%返还”), as the person screening does.
2. The ledger holds a ceiling on every import path and never states it as a fixed amount.
3. 创业担保贷款 of a person or a partnership needs no 统一社会信用代码; a 小微企业's row without one is quarantined naming it.
4. A blank cell of a present column reads as one case reads the field omitted (its model default), as an absent
   column does (docs/decisions.md §14)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from wengang.evaluate import evaluate, parse_settings
from wengang.rules.batch import CAP_HOLD_REASON, LOAN_CAP_HOLD_REASON
from wengang.screening.pipeline import run_screening

ROOT = Path(__file__).resolve().parents[2]
SME = ROOT / "examples" / "fanhuan" / "eligible_sme.json"
ON_2024 = date(2024, 8, 1)


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    names = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=names)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else str(r[k]).lower() if isinstance(r[k], bool) else r[k] for k in names})
    return path


def _sme() -> dict[str, Any]:
    facts = json.loads(SME.read_text(encoding="utf-8"))
    facts.pop("_case")
    return facts


def _screen_facts(tmp_path: Path, program: str, on: date, rows: list[dict[str, Any]], *, name: str = "out",
                  settings: dict[str, Any] | None = None, readings: dict[str, str] | None = None) -> Path:
    src = _csv(tmp_path / f"{name}.csv", rows)
    run_screening(tmp_path / name, program=program, evaluation_date=on, facts=src, excel=False,
                  settings=parse_settings(settings or {}), readings=readings)
    return tmp_path / name


# ------------------------------------------------------------------------------------------ 1. unit screening


def test_a_facts_table_carries_the_ceiling_and_holds_it_as_one_case_reports_it(tmp_path):
    one = evaluate("fanhuan", "150502", ON_2024, _sme(), settings=parse_settings({"fund_reserve_years": "2"}))
    assert one.status == "eligible" and one.amount_is_cap is True
    out = _screen_facts(tmp_path, "fanhuan", ON_2024, [_sme()], settings={"fund_reserve_years": "2"})
    row = pl.read_parquet(out / "results.parquet").row(0, named=True)
    assert (row["status"], row["amount_fen"], row["amount_is_cap"]) == ("eligible", one.amount_fen, True)
    assert row["payment_hold"] is True and CAP_HOLD_REASON in row["payment_hold_reason"]


def test_the_standard_the_region_set_lifts_the_hold_not_the_mark(tmp_path):
    out = _screen_facts(tmp_path, "fanhuan", ON_2024, [_sme()],
                        settings={"fund_reserve_years": "2", "refund_rate_sme": "60%"})
    row = pl.read_parquet(out / "results.parquet").row(0, named=True)
    assert row["amount_is_cap"] is True  # as one case says it under the same settings
    assert row["payment_hold"] is False and row["payment_hold_reason"] is None


def test_fixed_rates_add_a_false_column_only(tmp_path):
    """内人社发〔2025〕18号 sets the rates: no row's amount is a ceiling, and nothing is held for one."""
    out = _screen_facts(tmp_path, "fanhuan", date(2025, 8, 1), [_sme()])
    row = pl.read_parquet(out / "results.parquet").row(0, named=True)
    assert row["amount_is_cap"] is False and row["payment_hold"] is False


def test_a_raw_screen_carries_the_column(tmp_path):
    from wengang.screening.demo_data import allowed_regions_for, generate_region

    tables = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
    paths = generate_region(tmp_path / "data", region_code="150500", n_units=40, year=2025, seed=3)
    run_screening(tmp_path / "out", program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
                  tables={k: paths[k] for k in tables}, excel=False,
                  allowed_regions=allowed_regions_for("150500", 2025) | {"150500"})
    res = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert "amount_is_cap" in res.columns and not res.get_column("amount_is_cap").any()


# ------------------------------------------------------------------------------------------ 2. the ledger


def test_one_case_with_a_ceiling_enters_the_ledger_held_and_said_as_a_ceiling(tmp_path):
    from wengang.casework.intake import decision_from_obj

    src = tmp_path / "sme.json"
    src.write_text(SME.read_text(encoding="utf-8"), encoding="utf-8")
    got = subprocess.run([sys.executable, "-m", "wengang", "evaluate", str(src), "-d", "2024-08-01", "--setting",
                          "fund_reserve_years=2", "--json"], capture_output=True, text=True, check=False)
    assert got.returncode == 0, got.stderr
    ev = json.loads(got.stdout)
    assert ev["amount_is_cap"] is True
    d = decision_from_obj(ev)
    assert d.payment_hold is True and d.payment_hold_reason == CAP_HOLD_REASON
    assert d.explanation.splitlines()[0].startswith("判定结论：符合条件，金额不超过")


def test_a_screening_with_a_ceiling_enters_the_ledger_held(tmp_path):
    from wengang.casework.intake import read_screening_output
    from wengang.casework.outputs import capped_amount

    out = _screen_facts(tmp_path, "fanhuan", ON_2024, [_sme()], settings={"fund_reserve_years": "2"})
    row = read_screening_output(out, program="fanhuan").frame.row(0, named=True)
    assert row["payment_hold"] is True and CAP_HOLD_REASON in row["payment_hold_reason"]
    assert capped_amount(row["explanation"])
    lifted = _screen_facts(tmp_path, "fanhuan", ON_2024, [_sme()], name="lifted",
                           settings={"fund_reserve_years": "2", "refund_rate_sme": "60%"})
    row = read_screening_output(lifted, program="fanhuan").frame.row(0, named=True)
    assert row["payment_hold"] is False and not capped_amount(row["explanation"])


def test_a_ledger_ceiling_is_never_published_or_written_as_fixed():
    from wengang.casework.outputs import capped_amount
    from wengang.documents.errors import DocumentError
    from wengang.documents.publicity import PublicityRecord, _record

    assert capped_amount("判定结论：符合条件，金额不超过11,184.30元（依据 人社部发〔2024〕40号 二）")
    assert capped_amount("筛查结论：符合条件，金额 不超过11,184.30元（依据 人社部发〔2024〕40号 二）\n…")
    assert not capped_amount("筛查结论：符合条件，金额 11,184.30元（依据 内人社发〔2025〕18号 一）\n理由：不超过")
    with pytest.raises(DocumentError, match="不超过"):
        _record(1, PublicityRecord("某公司", "91150502MA0N1234XN", 1118430, True, "1", amount_is_cap=True))


# ------------------------------------------------------------------------------------------ 3. 创业担保贷款

LOAN = {"applicant": "individual", "credit_code": None, "group": "graduate", "id_number": "152301199803151231",
        "name": "SL01", "region_code": "150502", "requested_amount_yuan": "200000", "requested_term_months": 36}


def test_a_persons_loan_needs_no_credit_code(tmp_path):
    one = evaluate("startup_loan", "150502", date(2022, 6, 1),
                   {k: v for k, v in LOAN.items() if k not in ("credit_code", "region_code")})
    assert (one.status, one.amount_fen) == ("eligible", 20000000)
    for name, row in (("blank", LOAN), ("absent", {k: v for k, v in LOAN.items() if k != "credit_code"})):
        out = _screen_facts(tmp_path, "startup_loan", date(2022, 6, 1), [row], name=name)
        assert pl.read_parquet(out / "quarantine.parquet").height == 0
        res = pl.read_parquet(out / "results.parquet").row(0, named=True)
        assert (res["status"], res["amount_fen"], res["amount_is_cap"]) == ("eligible", 20000000, False)


def test_a_firms_loan_without_its_code_is_quarantined_naming_the_field(tmp_path):
    firm = {**LOAN, "applicant": "small_firm", "id_number": None, "group": None, "name": "SF02"}
    person = {**LOAN, "id_number": None, "name": "SL03"}
    out = _screen_facts(tmp_path, "startup_loan", date(2022, 6, 1), [LOAN, firm, person])
    q = pl.read_parquet(out / "quarantine.parquet").sort("source_row")
    assert q.select("source_row", "field").rows() == [(3, "credit_code"), (4, "id_number")]
    assert q.get_column("reason_zh")[0] == "小微企业统一社会信用代码：必填字段为空（申请主体为小微企业）"
    res = pl.read_parquet(out / "results.parquet")
    assert res.get_column("name").to_list() == ["SL01"]


def test_a_loan_without_a_requested_amount_is_held_as_the_banks_ceiling(tmp_path):
    row = {k: v for k, v in LOAN.items() if k != "requested_amount_yuan"}
    out = _screen_facts(tmp_path, "startup_loan", date(2022, 6, 1), [row])
    res = pl.read_parquet(out / "results.parquet").row(0, named=True)
    assert res["amount_is_cap"] is True and res["payment_hold"] is True
    assert res["payment_hold_reason"] == LOAN_CAP_HOLD_REASON


# ------------------------------------------------------------------------------------------ 4. blank cells


def test_a_blank_cell_reads_as_the_field_omitted(tmp_path):
    base = {"credit_code": "91150502MA0000001U", "name": "A", "region_code": "150502", "org_type": None,
            "industry_code": "H6210", "insured_prev_month_end": 20}
    kw = dict(settings={"risk_area_count": 0}, readings={"retention_training.headcount_date": "prev_month_end"})
    one = evaluate("retention_training", "150502", date(2022, 6, 30),
                   {k: v for k, v in base.items() if k not in ("org_type", "region_code")},
                   readings=kw["readings"], settings=parse_settings({"risk_area_count": "0"}))
    out = _screen_facts(tmp_path, "retention_training", date(2022, 6, 30), [base],
                        settings={"risk_area_count": "0"}, readings=kw["readings"])
    row = pl.read_parquet(out / "results.parquet").row(0, named=True)
    assert (row["status"], row["amount_fen"]) == (one.status, one.amount_fen) == ("eligible", 1000000)
