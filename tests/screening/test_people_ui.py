"""失业保险金 claims screened in bulk (persons + ui_claims), and both person programs on a generated region."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import polars as pl
from people_helpers import (
    assert_rows_equal_one_case,
    inputs_from,
    one_case_skill,
    one_case_ui,
    pid,
    write_gbk_csv,
)
from typer.testing import CliRunner

from wengang.cli import app
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.people import run_people_screening

ON = date(2025, 9, 1)


def _claim(who, start, months, region="150500", **extra):
    return {"id_number": who, "region_code": region, "start_month": start, "months": months,
            "monthly_fen": 180000, "involuntary_separation": "是", **extra}  # fmt: skip


def test_claims_with_durations_risks_and_quarantine(tmp_path: Path):
    people = {
        pid(21): 30,  # 满1年不足5年 → 12 months
        pid(22): 70,  # 满5年 → 18, granted 24: 6 over
        pid(23): 8,  # under a year: refused
        pid(24): 130,  # 10 years, 10 unclaimed → capped at 24
        pid(25): 40,  # involuntary = no: refused
        pid(26): 40,  # claims in two regions at once: flagged
    }
    persons = pl.DataFrame(
        {
            "id_number": list(people),
            "name": [f"失业人员{i}" for i in range(len(people))],
            "region_code": ["150500"] * len(people),
            "insured_months": list(people.values()),
        }
    )
    bad = pid(27)[:17] + ("0" if pid(27)[17] != "0" else "1")
    ids = list(people)
    claims = pl.DataFrame(
        [
            _claim(ids[0], "2025-03", 12),
            _claim(ids[1], "2025-01", 24),
            _claim(ids[2], "2025-02", 6),
            _claim(ids[3], "2025-04", 24, unclaimed_previous_months="10"),
            _claim(ids[4], "2025-04", 12, involuntary_separation="否"),
            _claim(ids[5], "2025-01", 12),
            _claim(ids[5], "2025-03", 12, region="140300"),
            _claim(bad, "2025-01", 12),
        ]
    )
    tables = {
        "persons": tmp_path / "persons.parquet",
        "ui_claims": write_gbk_csv(
            claims, tmp_path / "claims.gbk.csv",
            {"id_number": "公民身份号码", "region_code": "领取地行政区划代码", "start_month": "起始月份",
             "months": "领取月数", "involuntary_separation": "非因本人意愿中断就业"},
        ),
    }  # fmt: skip
    persons.write_parquet(tables["persons"])
    report = run_people_screening(tmp_path / "out", program="ui_benefit", evaluation_date=ON, tables=tables)
    assert report.reconciles and report.policies
    claims_report = next(r for r in report.reports if r.table == "ui_claims")
    assert (claims_report.rows_in, claims_report.accepted, claims_report.quarantined) == (8, 7, 1)
    q = pl.read_parquet(report.out_dir / "quarantine.parquet")
    assert q["source_row"].to_list() == [9] and q["field"].to_list() == ["id_number"]

    res = pl.read_parquet(report.out_dir / "results.parquet")
    got = {(r["id_number"], r["region_code"]): r for r in res.iter_rows(named=True)}
    r = [got[(ids[k], "150500")] for k in range(6)]
    assert (r[0]["status"], r[0]["out_entitled_months"], r[0]["months_over_entitlement"]) == ("eligible", 12, None)
    assert (r[1]["out_duration_months"], r[1]["months_over_entitlement"]) == (18, 6)
    assert r[2]["status"] == "ineligible" and "paid_one_year" in r[2]["reasons"]
    assert r[3]["out_entitled_months"] == 24 and r[3]["out_duration_months"] == 24
    assert r[4]["status"] == "ineligible" and "involuntary" in r[4]["reasons"]
    assert r[5]["claimed_elsewhere"] and "cross_region" in r[5]["flags"]
    # the other side of the pair, in 阳泉, is flagged too: 晋人社厅发〔2024〕28号 六 (全国社保信息比对)
    assert got[(ids[5], "140300")]["claimed_elsewhere"] and "cross_region" in got[(ids[5], "140300")]["flags"]
    assert got[(ids[5], "140300")]["status"] == "eligible"
    assert (report.out_dir / "results.xlsx").exists()

    facts = pl.read_parquet(report.out_dir / "facts.parquet")
    assert assert_rows_equal_one_case(res, one_case_ui(facts), "claim_id", "ui_benefit", ON) == 7

    # outside the allowed regions: quarantined, yet still seen by the cross-region check
    only = run_people_screening(
        tmp_path / "out2", program="ui_benefit", evaluation_date=ON, tables=tables, allowed_regions={"150500"}
    )
    res2 = pl.read_parquet(only.out_dir / "results.parquet")
    assert res2.height == 6 and res2.filter(pl.col("id_number") == ids[5])["claimed_elsewhere"].to_list() == [True]


def test_generated_region_both_programs(tmp_path: Path):
    paths = generate_region(tmp_path / "data", n_units=5000, year=2025)
    allowed = allowed_regions_for("150500", 2025) | {"150500"}
    skill_tables = {k: paths[k] for k in ("persons", "certificates", "subsidies", "ui_claims")}
    urgent = ["6-31-01-03"]
    # the generated certificates of 2024 are screened on a 2025 date: a certificate window of the policy period
    # would make them 待认定, so the literal reading (no window) is fixed with the insured-period reading
    readings = {
        "skill_subsidy.insured_period": "cumulative_at_application",
        "skill_subsidy.certificate_window": "any_date",
    }
    report = run_people_screening(
        tmp_path / "skill", program="skill_subsidy", evaluation_date=ON, tables=skill_tables,
        allowed_regions=allowed, readings=readings, urgent_occupations=urgent, excel=False,
    )  # fmt: skip
    assert report.reconciles and report.policies == ["内人社发〔2025〕18号"]
    res = pl.read_parquet(report.out_dir / "results.parquet")
    paid = pl.read_parquet(report.out_dir / "already_paid.parquet")
    certs = next(r for r in report.reports if r.table == "certificates")
    assert res.height + paid.height == certs.accepted
    assert res.filter(pl.col("status") == "eligible").height > 0
    assert res.filter(pl.col("status") == "ineligible")["reasons"].str.contains("per_year").any()
    # per person and year, never more than 1 ordinary + 2 urgent granted in the batch
    granted = res.filter(pl.col("status") == "eligible").group_by("id_number", pl.col("application_date").dt.year())
    assert granted.agg(pl.len().alias("n"))["n"].max() <= 3
    # a random sample equals evaluating each case alone
    cases = one_case_skill(inputs_from(skill_tables, urgent))
    rng = random.Random(0)
    sample = res.filter(pl.col("person_status").is_not_null())
    sample = sample[sorted(rng.sample(range(sample.height), min(40, sample.height)))]
    assert assert_rows_equal_one_case(sample, cases, "application_id", "skill_subsidy", ON, readings) == sample.height

    ui = run_people_screening(
        tmp_path / "ui", program="ui_benefit", evaluation_date=ON, allowed_regions=allowed, excel=False,
        tables={k: paths[k] for k in ("persons", "ui_claims")},
    )  # fmt: skip
    assert ui.reconciles
    res_ui = pl.read_parquet(ui.out_dir / "results.parquet")
    assert res_ui.height == pl.read_parquet(paths["ui_claims"]).height
    assert res_ui["out_entitled_months"].is_not_null().all()
    assert assert_rows_equal_one_case(
        res_ui, one_case_ui(pl.read_parquet(ui.out_dir / "facts.parquet")), "claim_id", "ui_benefit", ON
    ) == res_ui.height

    # the CLI dispatches person programs to the people screening
    out = CliRunner().invoke(
        app,
        ["screen", "-o", str(tmp_path / "cli"), "-d", ON.isoformat(), "-p", "ui_benefit", "--json", "--no-excel",
         "--persons", str(paths["persons"]), "--ui-claims", str(paths["ui_claims"])],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert '"program": "ui_benefit"' in out.output
