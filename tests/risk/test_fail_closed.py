"""Risk checks fail closed (人社部发〔2024〕40号 六 "严防冒领、骗取基金和多发待遇风险"; 内人社发〔2025〕18号 五
"切实防范冒领骗取和多发错发"): missing or unreadable data that could raise a flag gives 未核查 with the reason,
never "no flag"; months and dates are read in every form the ingest layer reads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.risk import batch
from wengang.risk.case import check_case
from wengang.screening.people import claim_periods

ID = "150121196501010125"
ON = date(2025, 7, 1)
PERSON = {"id_number": ID, "name": "张三", "region_code": "150502", "insured_months": 30}


def _claims(*rows: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"id_number": ID, "region_code": r, "start_month": m, "months": n} for r, m, n in rows],
        schema={
            "id_number": pl.String,
            "region_code": pl.String,
            "start_month": pl.String,
            "months": pl.String,
        },
    )


def _screen(**tables: pl.DataFrame) -> batch.RiskRun:
    return batch.screen(tables, on=ON, settings={"short_term_insured_months": 12})


# --- 1. months in every form the ingest layer reads ------------------------------------------------------------


@pytest.mark.parametrize("month", ["2025-04", "2025/04", "2025/4", "2025年4月", "202504"])
def test_overlap_found_whatever_the_month_form(month):
    run = _screen(ui_claims=_claims(("150502", "2025-03", "6"), ("140302", month, "3")))
    cross = run.flags.filter(pl.col("check_id") == "ui_cross_region")
    assert cross.height == 2 and run.quarantine.height == 0
    assert sorted(json.loads(e)["overlap_months"] for e in cross["evidence"]) == [3, 3]


def test_people_month_reader_takes_the_same_forms():
    lf = pl.LazyFrame({"id_number": [ID] * 2, "start_month": ["2025/04", "2025年4月"], "months": [3, 3]})
    assert claim_periods(lf).collect()["_from"].to_list() == [date(2025, 4, 1)] * 2


def test_ambiguous_or_bad_month_is_quarantined_and_the_person_not_passed():
    # 2024.1 is refused as ambiguous (January, or October typed as a number) by the ingest reader
    run = _screen(ui_claims=_claims(("150502", "2025-03", "6"), ("140302", "2024.1", "3")))
    q = run.quarantine.to_dicts()
    assert [(r["table"], r["row"], r["field"], r["value"]) for r in q] == [
        ("ui_claims", 2, "start_month", "2024.1")
    ]
    assert "歧义" in q[0]["reason_zh"]
    # the other claim cannot be said to have no duplicate elsewhere: 未核查, naming the quarantined row
    open_ = run.unchecked.filter(pl.col("check_id") == "ui_cross_region").to_dicts()
    assert [r["record"] for r in open_] == [f"{ID}/2025-03"]
    assert "ui_claims 第 2 行 start_month" in open_[0]["reason"]
    assert run.rows_in["ui_claims"] == 2


def test_boundary_still_flags_next_to_quarantined_rows():
    # a quarantined row never turns a flag into 未核查: only passes are demoted
    run = _screen(
        ui_claims=_claims(("150502", "2025-03", "6"), ("140302", "2025/05", "2"), ("150502", "abc", "1"))
    )
    assert run.flags.filter(pl.col("check_id") == "ui_cross_region").height == 2
    assert run.quarantine["field"].to_list() == ["start_month"]


# --- 2. a null input gives 未核查, never a pass ------------------------------------------------------------------


def _case(**extra):
    return {
        "date": "2025-07-01",
        "settings": {"short_term_insured_months": 12},
        "person": dict(PERSON),
        **extra,
    }


def test_short_term_without_paid_months_is_unchecked_and_boundary_still_flags():
    claim = {"id_number": ID, "region_code": "150502", "start_month": "2025-03", "months": 6}
    person = {k: v for k, v in PERSON.items() if k != "insured_months"}
    run = check_case({**_case(ui_claims=[claim]), "person": person})
    open_ = run.unchecked.filter(pl.col("check_id") == "ui_short_term_insured").to_dicts()
    assert len(open_) == 1 and "ui_claims.paid_months" in open_[0]["reason"]
    assert run.unchecked_counts["ui_short_term_insured"] == 1
    assert run.counts["ui_short_term_insured"] == 0
    eleven = check_case(_case(ui_claims=[{**claim, "paid_months": 11}]))
    twelve = check_case(_case(ui_claims=[{**claim, "paid_months": 12}]))
    assert eleven.counts["ui_short_term_insured"] == 1  # below the line: flagged
    assert twelve.counts["ui_short_term_insured"] == 0  # on the line: passes
    assert "ui_short_term_insured" not in twelve.unchecked_counts


def test_each_check_lists_a_null_input():
    claim = {
        "id_number": ID,
        "region_code": "150502",
        "start_month": "2025-03",
        "months": 6,
        "paid_months": 30,
    }
    # a death without its date; a claim without its length; a flexible subsidy without its months
    dead = check_case(_case(ui_claims=[claim], registry=[{"id_number": ID, "kind": "deceased"}]))
    assert "registry.date" in dead.unchecked.filter(pl.col("check_id") == "ui_status_anomaly")["reason"][0]
    other = {**claim, "region_code": "140302", "start_month": "2024-12", "months": None}  # may reach 2025-03
    cross = check_case(_case(ui_claims=[claim, other]))
    reasons = cross.unchecked.filter(pl.col("check_id") == "ui_cross_region")["reason"].to_list()
    assert reasons and all("ui_claims.months" in r for r in reasons)
    flex = check_case(_case(ui_claims=[claim], flexible_subsidies=[
        {"id_number": ID, "region_code": "150502", "start_month": "2025-04", "months": None}]))  # fmt: skip
    assert "flexible_subsidies.months" in flex.unchecked.filter(
        pl.col("check_id") == "ui_with_flexible_subsidy")["reason"][0]  # fmt: skip
    firm = "91150100MA0000000X"
    dispatch = check_case({"date": "2025-07-01", "dispatch_refunds": [
        {"firm_id": firm, "region_code": "150502", "year": 2024, "dispatch_share_fen": 100000}],
        "dispatch_allocations": [{"firm_id": firm, "year": 2024, "user_unit_id": "U1", "allocated_fen": None}]})  # fmt: skip
    assert dispatch.counts["dispatch_allocation_mismatch"] == 0
    assert "dispatch_allocations.allocated_fen" in dispatch.unchecked["reason"][0]
    cert = {"id_number": ID, "certificate_no": "C1", "occupation_code": "4-10-01-03", "level": 4,
            "issue_date": "2025-04-01", "issuer": "机构", "issuing_region": None}  # fmt: skip
    place = check_case(_case(certificates=[cert]))
    assert "certificates.issuing_region" in place.unchecked.filter(
        pl.col("check_id") == "certificate_outside_place")["reason"][0]  # fmt: skip


# --- 3. a region the system does not know ------------------------------------------------------------------------


DEAD_UNKNOWN = {
    "date": "2025-07-01",
    "person": {**PERSON, "region_code": "150602"},
    "ui_claims": [{"id_number": ID, "region_code": "150602", "start_month": "2025-03", "months": 6,
                   "monthly_fen": 180000}],
    "registry": [{"id_number": ID, "kind": "deceased", "date": "2025-03-15"}],
}  # fmt: skip


def test_unknown_region_is_said_not_passed():
    run = check_case(DEAD_UNKNOWN)
    assert run.flags.height == 0
    assert run.unknown_regions["ui_status_anomaly"] == {"150602": 1}
    assert run.unchecked.filter(pl.col("check_id") == "ui_status_anomaly")["reason"].to_list() == [
        "地区代码 150602 不在本系统地区表中，未核查"
    ]


def test_risk_check_does_not_say_clear_when_checks_did_not_run(tmp_path: Path):
    from wengang.cli import app

    f = tmp_path / "case.json"
    f.write_text(json.dumps(DEAD_UNKNOWN, ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(app, ["risk", "check", str(f)])
    assert res.exit_code == 5, res.output
    assert "✔" not in res.output
    assert "地区代码 150602 不在本系统地区表中，未核查" in res.output
    assert "0 项已完整核查，8 项未核查或部分未核查" in res.output


# --- 4. bad tables in `risk screen` ---------------------------------------------------------------------------


def test_screen_bad_inputs(tmp_path: Path):
    from wengang.cli import app

    run = CliRunner()
    bad = tmp_path / "uc.csv"
    bad.write_text(f"id_number,region_code,start_month,months\n{ID},150502,2025-03,abc\n{ID},150502,2025-09,2\n",
                   encoding="utf-8")  # fmt: skip
    res = run.invoke(
        app, ["risk", "screen", "--out", str(tmp_path / "o"), "--no-excel", "--ui-claims", str(bad)]
    )
    assert res.exit_code == 0, res.output
    assert "第 2 行 months“abc”" in res.output  # the file's line (header line 1; session 39, audit D7)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["tables"]["ui_claims"] == {"rows": 2, "quarantined": 1}  # in = accepted + quarantined
    q = pl.read_parquet(tmp_path / "o" / "quarantine.parquet")
    assert q.select("table", "row", "field").row(0) == ("ui_claims", 2, "months")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    for path, words in ((tmp_path / "empty", "没有 Parquet 部分文件"), (tmp_path / "empty.csv", "是空的")):
        res = run.invoke(app, ["risk", "screen", "--out", str(tmp_path / "o2"), "--ui-claims", str(path)])
        assert res.exit_code == 2 and words in res.output, res.output


# --- 5. case-file dates in the ingest layer's forms ----------------------------------------------------------


def test_case_dates_in_every_form():
    claim = {
        "id_number": ID,
        "region_code": "150502",
        "start_month": "2025年3月",
        "months": 6,
        "monthly_fen": 180000,
    }
    for when in ("2025-03-15", "2025/3/15", "2025年3月15日", "20250315"):
        run = check_case({**_case(ui_claims=[claim], registry=[{"id_number": ID, "kind": "deceased", "date": when}]),
                          "date": "2025/7/1"})  # fmt: skip
        assert run.counts["ui_status_anomaly"] == 1, when
    with pytest.raises(batch.RiskInputError) as e:
        check_case(
            _case(ui_claims=[claim], registry=[{"id_number": ID, "kind": "deceased", "date": "15.3.2025"}])
        )
    assert e.value.zh.startswith("registry 第 1 行 date")


def test_subsidy_rows_that_cannot_be_paired_are_unchecked_and_pairs_still_flag():
    skill = {"id_number": ID, "kind": "skill", "occupation_code": "4-10-01-03", "level": 4,
             "paid_date": "2024-05-01", "amount_fen": 150000}  # fmt: skip
    training = {**skill, "kind": "training", "level": None, "paid_date": "2024-07-01", "amount_fen": 90000}
    case = {"date": "2025-07-01", "person": PERSON, "subsidies": [skill, training]}
    run = check_case(case)
    assert run.counts["skill_training_same_certificate"] == 0
    assert run.unchecked["reason"].to_list() == [
        "缺少或无法读取：subsidies.certificate_no（及 occupation_code 或 level）"
    ]
    paired = check_case({**case, "subsidies": [skill, {**training, "level": 4}]})
    assert paired.counts["skill_training_same_certificate"] == 1 and paired.unchecked.height == 0
