"""技能提升补贴 screened in bulk from persons, certificates and subsidy histories (screening.people).

Small synthetic tables (a GBK CSV with Chinese headers and Parquet) under 40号/山西 (v2024, ≤ 3 a year)
and 内人社发〔2025〕18号 (v2025, 1 + 2 urgently-needed at +10 %): caps in application-date order, dedup
across years, no lower level after a higher one, 职业培训补贴 overlap, a certificate already paid, a
benefit recipient; every row equals evaluating its case alone; quarantine reconciles.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from people_helpers import (
    assert_rows_equal_one_case,
    employer,
    inputs_from,
    one_case_skill,
    pid,
    write_gbk_csv,
)

from wengang.documents.masking import mask_id_number, mask_loose
from wengang.screening.people import run_people_screening
from wengang.screening.pipeline import StrictRefusal

O1, O2, O3, O4 = "6-31-01-03", "6-18-02-04", "4-10-01-03", "4-03-02-01"
A, B, C, D, E, G, BAD = (pid(i) for i in (1, 2, 3, 4, 5, 7, 9))
BAD = BAD[:17] + ("0" if BAD[17] != "0" else "1")  # wrong check character
NOBODY = pid(99)  # a valid ID with no person record

PERSON_HEADERS = {
    "id_number": "公民身份号码",
    "name": "姓名",
    "region_code": "参保地行政区划代码",
    "employer_credit_code": "所在单位统一社会信用代码",
    "insured_months": "累计缴费月数",
    "insured_months_continuous": "最后一段连续缴费月数",
}


def _cert(no, who, occ, level, issued, region="140300", **extra):
    return {
        "id_number": who, "certificate_no": no, "occupation_code": occ, "level": level,
        "issue_date": issued, "issuer": "评价机构1", "issuing_region": region, **extra,
    }  # fmt: skip


def _sub(who, kind, occ, level, paid, amount=150000):
    return {"id_number": who, "kind": kind, "occupation_code": occ, "level": level, "paid_date": paid,
            "amount_fen": amount}  # fmt: skip


@pytest.fixture
def v2024_tables(tmp_path: Path) -> dict[str, Path]:
    d = date
    persons = pl.DataFrame(
        [
            {"id_number": who, "name": f"人员{k}", "region_code": "140300", "employer_credit_code": employer(k),
             "insured_months": 30, "insured_months_continuous": 30}
            for k, who in enumerate((A, B, C, D, E), start=1)
        ]
        + [
            {"id_number": G, "name": "领金人员", "region_code": "140300", "employer_credit_code": None,
             "insured_months": 40, "insured_months_continuous": 20},
            {"id_number": BAD, "name": "错号", "region_code": "140300", "employer_credit_code": None,
             "insured_months": 40, "insured_months_continuous": 40},
        ]
    )  # fmt: skip
    certs = pl.DataFrame(
        [
            # A: four in 2024 — three allowed, the fourth refused (≤ 3 a year)
            _cert("A1", A, O1, 4, d(2024, 2, 1)), _cert("A2", A, O2, 4, d(2024, 3, 1)),
            _cert("A3", A, O3, 4, d(2024, 4, 1)), _cert("A4", A, O4, 4, d(2024, 5, 1)),
            # B: a lower level after a higher one subsidised in 2023
            _cert("B1", B, O1, 4, d(2024, 3, 1)),
            # C: the same occupation and level subsidised in 2023 (a new certificate in 2024)
            _cert("C1", C, O2, 4, d(2024, 4, 1)),
            # D: training subsidy before (refused) and after (flag: the training subsidy is recovered)
            _cert("D1", D, O3, 5, d(2024, 6, 1)), _cert("D2", D, O1, 5, d(2024, 1, 5)),
            # E: E1 already paid in 2024 (not an application), then three more: the cap counts E1 once
            _cert("E1", E, O1, 4, d(2024, 2, 1)), _cert("E2", E, O2, 4, d(2024, 5, 1)),
            _cert("E3", E, O3, 4, d(2024, 6, 1)), _cert("E4", E, O4, 4, d(2024, 7, 1)),
            # G: drawing benefit when applying
            _cert("G1", G, O2, 3, d(2024, 6, 1)),
            # quarantined: holder's ID invalid, holder unknown, occupation code malformed
            _cert("X1", BAD, O1, 4, d(2024, 6, 1)), _cert("X2", NOBODY, O1, 4, d(2024, 6, 1)),
            _cert("X3", A, "631013", 4, d(2024, 6, 1)),
        ]
    )  # fmt: skip
    subs = pl.DataFrame(
        [
            _sub(B, "skill", O1, 3, d(2023, 6, 1), 200000),
            _sub(C, "skill", O2, 4, d(2023, 5, 1)),
            _sub(D, "training", O3, 5, d(2024, 1, 10), 80000),
            _sub(D, "training", O1, 5, d(2024, 9, 1), 80000),
            _sub(E, "skill", O1, 4, d(2024, 3, 15)),
        ]
    )
    claims = pl.DataFrame(
        [{"id_number": G, "region_code": "140300", "last_employer_credit_code": None, "start_month": "2024-01",
          "months": 12, "monthly_fen": 180000}]
    ).with_columns(pl.col("last_employer_credit_code").cast(pl.String))  # fmt: skip
    paths = {
        "persons": write_gbk_csv(persons, tmp_path / "persons.gbk.csv", PERSON_HEADERS),
        "certificates": tmp_path / "certificates.parquet",
        "subsidies": tmp_path / "subsidies.parquet",
        "ui_claims": tmp_path / "ui_claims.parquet",
    }
    certs.write_parquet(paths["certificates"])
    subs.write_parquet(paths["subsidies"])
    claims.write_parquet(paths["ui_claims"])
    return paths


def _results(report) -> pl.DataFrame:
    return pl.read_parquet(report.out_dir / "results.parquet").sort("application_id")


def _by_id(results: pl.DataFrame) -> dict[str, dict]:
    return {r["application_id"]: r for r in results.iter_rows(named=True)}


def test_v2024_caps_dedup_lower_level_training_and_quarantine(v2024_tables, tmp_path: Path):
    on = date(2024, 12, 1)
    # 40号 三: the province's fund reserve is a precondition (a region setting); D1's overlap rule: the later yields
    settings = {"fund_reserve_years": 2}
    readings = {"skill_subsidy.training_overlap_yields": "later_yields"}
    report = run_people_screening(
        tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=v2024_tables,
        settings=settings, readings=readings,
    )  # fmt: skip
    assert report.policies and report.reconciles
    counts = {r.table: (r.rows_in, r.accepted, r.quarantined) for r in report.reports}
    assert counts["persons"] == (7, 6, 1)  # the bad 身份证号
    assert counts["certificates"] == (16, 13, 3)
    q = pl.read_parquet(report.out_dir / "quarantine.parquet")
    assert q.height == sum(r.quarantined for r in report.reports)
    # ID numbers are shown masked (row number + masked value find the row), valid or not
    assert q.filter(pl.col("reason_en").str.contains("persons table"))["value"].to_list() == [mask_id_number(NOBODY)]  # X2
    assert q.filter(pl.col("value") == mask_loose(BAD)).height == 2  # the person row and X1, each for its check character
    assert not q.filter(pl.col("value").str.contains(BAD[4:14]) | pl.col("value").str.contains(NOBODY[4:14])).height
    assert q.filter(pl.col("field") == "occupation_code").height == 1
    assert q.filter(pl.col("source_file").str.ends_with("persons.gbk.csv"))["source_row"].to_list() == [8]  # the file's line

    res = _by_id(_results(report))
    assert "E1" not in res  # already paid: not an application
    paid = pl.read_parquet(report.out_dir / "already_paid.parquet")
    assert paid["certificate_no"].to_list() == ["E1"]
    status = {k: r["status"] for k, r in res.items()}
    assert [status[k] for k in ("A1", "A2", "A3")] == ["eligible"] * 3
    assert status["A4"] == "ineligible" and "per_year" in res["A4"]["reasons"]
    assert status["B1"] == "ineligible" and "no_lower_after_higher" in res["B1"]["reasons"]
    assert status["C1"] == "ineligible" and "once_per_level" in res["C1"]["reasons"]
    assert status["D1"] == "ineligible" and "not_with_training" in res["D1"]["reasons"]
    assert status["D2"] == "eligible" and "training_later_repay" in res["D2"]["flags"]
    assert [status[k] for k in ("E2", "E3", "E4")] == ["eligible", "eligible", "ineligible"]
    assert status["G1"] == "eligible" and res["G1"]["person_status"] == "benefit_recipient"
    assert res["G1"]["amount_fen"] == 200000 and res["A1"]["amount_fen"] == 150000
    assert report.summary.total == len(res) == 12
    assert report.summary.total_amount_fen == sum(r["amount_fen"] or 0 for r in res.values())
    for f in ("results.xlsx", "publicity.xlsx", "quarantine.xlsx"):
        assert (report.out_dir / f).exists()

    # every row is what evaluating its case alone decides
    cases = one_case_skill(inputs_from(v2024_tables))
    assert (
        assert_rows_equal_one_case(
            _results(report), cases, "application_id", "skill_subsidy", on, readings=readings, settings=settings
        )
        == 12
    )


def test_strict_refuses_the_batch(v2024_tables, tmp_path: Path):
    with pytest.raises(StrictRefusal):
        run_people_screening(
            tmp_path / "out", program="skill_subsidy", evaluation_date=date(2024, 12, 1),
            tables=v2024_tables, strict=True,
        )  # fmt: skip


def test_im_2025_one_ordinary_and_two_urgent(tmp_path: Path):
    """内人社发〔2025〕18号: 1 a year, plus 2 for urgently-needed occupations at +10 %."""
    d = date
    F, H = pid(11), pid(12)
    persons = pl.DataFrame(
        [{"id_number": who, "name": n, "region_code": "150500", "employer_credit_code": employer(i),
          "insured_months": 24, "insured_months_continuous": 24}
         for i, (who, n) in enumerate(((F, "甲"), (H, "乙")), start=1)]
    )  # fmt: skip
    urgent = [O1, O2]
    certs = pl.DataFrame(
        [
            _cert("F1", F, O3, 4, d(2025, 2, 1), "150500"),  # ordinary: the year's one time
            _cert("F2", F, O1, 4, d(2025, 3, 1), "150500"),  # urgent: +10 %
            _cert("F3", F, O2, 5, d(2025, 4, 1), "150500"),  # urgent
            _cert("F4", F, O4, 4, d(2025, 5, 1), "150500"),  # ordinary: refused
            # H: an ordinary certificate after a 2025 subsidy: refused; an urgent one allowed
            _cert("H1", H, O4, 5, d(2025, 6, 1), "150500"),
            _cert("H2", H, O2, 4, d(2025, 7, 1), "150500", urgent_occupation=True),
        ]
    )  # fmt: skip
    subs = pl.DataFrame([{**_sub(H, "skill", O3, 4, d(2025, 1, 20)), "certificate_issue_date": d(2025, 1, 5)}])
    tables = {"persons": tmp_path / "p.parquet", "certificates": tmp_path / "c.parquet",
              "subsidies": tmp_path / "s.parquet"}  # fmt: skip
    persons.write_parquet(tables["persons"])
    certs.write_parquet(tables["certificates"])
    subs.write_parquet(tables["subsidies"])
    on = date(2025, 12, 1)
    # certificates of February–May 2025, before 内人社发〔2025〕18号 was issued (2025-05-27): its terms read as applying
    # (skill_subsidy.terms_2025_from, session 42; open, F2 and F3 are 待认定)
    terms = {"skill_subsidy.terms_2025_from": "year_start"}
    report = run_people_screening(
        tmp_path / "out", program="skill_subsidy", evaluation_date=on, tables=tables,
        urgent_occupations=urgent, allowed_regions={"150500"}, excel=False, readings=terms,
    )  # fmt: skip
    assert report.policies == ["内人社发〔2025〕18号"]
    res = _by_id(_results(report))
    got = {k: (r["status"], r["amount_fen"]) for k, r in res.items()}
    assert got["F1"] == ("eligible", 150000)
    assert got["F2"] == ("eligible", 165000)
    assert got["F3"] == ("eligible", 110000)
    assert got["F4"][0] == "ineligible" and "per_year" in res["F4"]["reasons"]
    assert got["H1"][0] == "ineligible" and got["H2"] == ("eligible", 165000)
    assert res["H1"]["subsidies_this_year_by_certificate"] == 1  # the history's certificate date counts
    cases = one_case_skill(inputs_from(tables, urgent))
    assert assert_rows_equal_one_case(_results(report), cases, "application_id", "skill_subsidy", on, readings=terms) == 6

    # without the history's certificate date, the year it counts in depends on the reading: 待认定
    subs.drop("certificate_issue_date").write_parquet(tables["subsidies"])
    again = run_people_screening(
        tmp_path / "out2", program="skill_subsidy", evaluation_date=on, tables=tables,
        urgent_occupations=urgent, excel=False,
    )  # fmt: skip
    h1 = _by_id(_results(again))["H1"]
    assert h1["status"] == "needs_decision" and "skill_subsidy.year_basis=certificate" in h1["outcomes"]
