"""Case import decides each screened row again from the run's own facts (trust audit F1, session 39): an amount or a
status edited in results.parquet between ``wengang screen`` and ``wengang case import`` had been imported, reviewed
and paid, ``audit verify`` clean. Now such a row is imported held, with both answers named; a row that cannot be
decided again is held too. SQLite and PostgreSQL (the ``ledger`` fixture)."""

from __future__ import annotations

import json
import shutil

import polars as pl
from ledger_helpers import PEOPLE, PEOPLE_READINGS, record_results, screened_people_run, screened_run
from sqlalchemy import text

from wengang.casework.intake import read_screening_output
from wengang.screening.manifest import RUN_MANIFEST, read_run_manifest


def _held(ledger) -> dict[str, str]:
    with ledger.engine.connect() as c:
        rows = c.execute(text("select unit_id, hold_reason from case_decisions where state = 'held'")).all()
    return {r[0]: r[1] for r in rows}


def test_an_untouched_run_is_imported_as_screened(ledger, tmp_path):
    si = read_screening_output(screened_run(tmp_path / "out"))
    assert si.unconfirmed == 0 and not si.recheck_note
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 3
    assert _held(ledger) == {}


def test_an_amount_or_status_edited_in_the_results_is_held_naming_both_answers(ledger, tmp_path):
    out = screened_run(tmp_path / "out", units=4)
    res = pl.read_parquet(out / "results.parquet")
    codes = res["credit_code"].to_list()
    assert res["status"].cast(pl.String).to_list() == ["eligible"] * 4
    edited = res.with_columns(
        pl.when(pl.col("credit_code") == codes[0]).then(99_999_900).otherwise(pl.col("amount_fen")).alias("amount_fen"))
    edited.write_parquet(out / "results.parquet")
    assert read_screening_output(out).unconfirmed == 4  # the record's digest: the file changed after the run
    si = read_screening_output(record_results(out))
    assert si.unconfirmed == 1
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 4
    held = _held(ledger)
    assert set(held) == {codes[0]}
    assert "结果文件：符合条件 999,999.00元；重新判定：符合条件 1,200.00元" in held[codes[0]], held


def test_a_row_that_cannot_be_decided_again_is_held(ledger, tmp_path):
    out = screened_run(tmp_path / "out")
    (out / "features.parquet").unlink()  # the facts the run decided on are gone
    si = read_screening_output(out, year=2025)
    assert si.unconfirmed == 3
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 3
    assert all("无法按本次筛查的事实数据重新判定核对" in r for r in _held(ledger).values())


def test_the_runs_settings_and_readings_are_what_it_is_decided_again_with(tmp_path):
    # a run screened with a region setting: decided again without it, a row whose amount depends on it would differ
    out = screened_run(tmp_path / "out", readings={"fanhuan.size_class_where_silent": "standard_2017"})
    manifest = read_run_manifest(out)
    assert manifest is not None and manifest.readings == {"fanhuan.size_class_where_silent": "standard_2017"}
    assert read_screening_output(out).unconfirmed == 0
    # a damaged record: the run's date is unknown (a --facts run's features carry none): every row held, and said
    (out / RUN_MANIFEST).write_text("{", encoding="utf-8")
    si = read_screening_output(out, year=2025)
    assert si.unconfirmed == 3 and "run.json" in si.recheck_note


def test_a_people_run_edited_is_held(ledger, tmp_path):
    """The same for a person program: its facts.parquet is what its rows are decided again on."""
    out = screened_people_run(tmp_path)
    b = PEOPLE[1]
    assert json.loads((out / RUN_MANIFEST).read_text(encoding="utf-8"))["readings"] == PEOPLE_READINGS
    assert read_screening_output(out).unconfirmed == 0
    copy = tmp_path / "edited"
    shutil.copytree(out, copy)
    res = pl.read_parquet(copy / "results.parquet")
    res.with_columns(pl.when(pl.col("id_number") == b).then(2_000_000).otherwise(pl.col("amount_fen"))
                     .alias("amount_fen")).write_parquet(copy / "results.parquet")
    si = read_screening_output(record_results(copy))
    assert si.unconfirmed == 1
    ledger.import_decisions(si.run, si.frame, "clerk")
    assert set(_held(ledger)) == {b}


def test_the_record_keeps_settings_exactly(tmp_path):
    from datetime import date
    from fractions import Fraction

    from wengang.screening.manifest import write_run_manifest

    settings = {"max_layoff_rate": Fraction(11, 200), "class1_minimum_wage": 198_000, "start": date(2025, 1, 1)}
    write_run_manifest(tmp_path, program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
                       readings={}, settings=settings, include_drafts=True, region_data=())
    m = read_run_manifest(tmp_path)
    assert m is not None and m.settings == settings and m.include_drafts and m.policy_year == 2025


def test_a_results_file_changed_after_the_run_is_held_whole(ledger, tmp_path):
    # second look (session 39): a hold from the run's quarantine is not the rules' to give again, so setting
    # payment_hold false in the file had imported the row unheld; the record's digest of the file now says it changed
    out = screened_run(tmp_path / "out")
    assert read_run_manifest(out).results_sha256
    res = pl.read_parquet(out / "results.parquet")
    res.with_columns(pl.lit(False).alias("payment_hold")).write_parquet(out / "results.parquet")
    si = read_screening_output(out)
    assert si.unconfirmed == 3 and "SHA-256 不符" in si.recheck_note
    ledger.import_decisions(si.run, si.frame, "clerk")
    assert len(_held(ledger)) == 3
