"""Claim keys have one written form, a screening run is imported under its own year only, and a second run says
where it disagrees with what is stored (audits D2, D3 and story C) — on SQLite and PostgreSQL.

* D2: a claim key was free text, so ``--claim-key again`` was a second 稳岗返还 of the year and ``6-31-01-03:04``,
  `` 6-31-01-03:4``, ``6-31-01-03：4`` (or facts with ``"6-31-01-03 "`` / level ``"04"``) a second 技能提升补贴 of the
  same occupation and level, each paid (内人社发〔2025〕18号 二 “同一职业（工种）同一等级只能申请并享受 1 次”).
* D3: a 2025 screening imported with ``--year 2026`` became 2026 decisions still citing 内人社发〔2025〕18号, whose
  period ends 2025-12-31 (末段 “上述稳岗返还和技能提升补贴政策执行期限至2025年12月31日”).
* C: a second run with changed data said “结论待核实 3 条（入库为待认定）” though nothing was stored, and said nothing of
  a paid decision it found ineligible.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from ledger_helpers import (
    PAYDAY,
    RUN,
    case_cli,
    decision,
    record_results,
    screened_people_run,
    screened_run,
    staffed,
    to_payable,
)
from sqlalchemy import text
from typer.testing import CliRunner

from wengang.casework import LedgerError, RunIn
from wengang.casework.bulk import to_frame
from wengang.casework.intake import decision_from_obj
from wengang.casework.models import canonical_claim_key
from wengang.cli import app as main_app

runner = CliRunner()
PERSON = "150102199001011234"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _rows(led, sql: str) -> list[tuple]:
    with led.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(sql))]


def _skill(claim: str, year: int = 2025):
    return decision(0, unit_id=PERSON, unit_name="张三", program="skill_subsidy", claim_key=claim, amount_fen=150_000,
                    payment_channel="personal_account", size_class=None, year=year,
                    policy_doc="内人社发〔2025〕18号", clause="二")


# ----------------------------------------------------------------------------------------------- D2: claim keys
@pytest.mark.parametrize("variant", ["6-31-01-03:04", " 6-31-01-03:4", "6-31-01-03：4", "6-31-01-03 : 4",
                                     "６－３１－０１－０３：４", "6-31-01-03:4\u3000"])
def test_a_spelling_of_a_skill_claim_is_the_same_claim(ledger, variant):
    did = ledger.apply_skill_subsidy(_skill("6-31-01-03:4"), "clerk")
    assert ledger.apply_skill_subsidy(_skill(variant), "clerk") == did
    assert _rows(ledger, "select claim_key from case_decisions") == [("6-31-01-03:4",)]
    # and in another year it is the claim already made (同一职业（工种）同一等级只能申请并享受 1 次)
    with pytest.raises(LedgerError) as e:
        ledger.apply_skill_subsidy(_skill(variant, year=2026), "clerk")
    assert e.value.code == "already_claimed"


@pytest.mark.parametrize(("key", "said"), [
    ("6-31-01-03:6", "等级为 1～5 的整数"), ("6-31-01-03:0", "等级为 1～5 的整数"), ("6-31-01-3:4", "D-DD-DD-DD"),
    ("9-31-01-03:4", "大类1～8"), ("6-31-01-03", "职业编码:等级"), ("6–31–01–03:4", "D-DD-DD-DD"),
    ("6-31-01-03:٤", "等级为 1～5 的整数"), ("", "须注明职业（工种）与等级"),
])
def test_a_skill_claim_key_without_a_written_form_is_refused(key, said):
    with pytest.raises(LedgerError) as e:
        _skill(key)
    assert e.value.code == "bad_claim_key" and said in e.value.zh and e.value.en


def test_a_unit_program_takes_no_claim_key(ledger):
    with pytest.raises(LedgerError) as e:
        decision(1, claim_key="again")
    assert e.value.code == "bad_claim_key"
    assert e.value.zh.startswith("稳岗返还（fanhuan）每个单位（个人）每年度只有一项申领") and "again" in e.value.zh
    assert decision(1, claim_key=" \u3000").claim_key == ""  # spaces alone are no key
    # a key that names an ID number is shown masked
    with pytest.raises(LedgerError) as e:
        decision(1, claim_key=PERSON)
    assert PERSON not in str(e.value) and "1501**********1234" in e.value.zh


def test_a_graduate_claim_is_the_graduates_id_number():
    # 内人社办发〔2022〕86号 三（三）8 “按每人 1500 元的标准”: one claim per graduate hired
    assert canonical_claim_key("job_expansion", " 15010219900101006x ") == "15010219900101006X"
    with pytest.raises(LedgerError) as e:
        canonical_claim_key("hiring_subsidy", "150102199001011235")
    assert "毕业生的公民身份号码" in e.value.zh and "150102199001011235" not in str(e.value)


def test_self_apply_with_a_claim_key_is_refused_and_no_second_refund_is_made(db, tmp_path):
    staffed(db)
    r = runner.invoke(main_app, ["evaluate", str(EXAMPLES / "fanhuan" / "eligible_sme.json"), "--json"])
    assert r.exit_code == 0, r.output
    ev = tmp_path / "e.json"
    ev.write_text(r.stdout, "utf-8")
    facts = str(EXAMPLES / "fanhuan" / "eligible_sme.json")
    assert "申请已登记" in case_cli(db, "self-apply", str(ev), "--facts", facts, "-u", "clerk")
    out = case_cli(db, "self-apply", str(ev), "--facts", facts, "--claim-key", "again", "-u", "clerk", code=2)
    assert "不得填写申领标识（claim_key）" in out and "claim key must be empty" in out
    led = db.open()
    try:
        assert _rows(led, "select program, claim_key from case_decisions") == [("fanhuan", "")]
    finally:
        led.close()


def test_facts_with_a_trailing_space_or_a_zero_padded_level_name_the_same_claim(db):
    """What the API (``POST /api/v1/applications/skill-subsidy``) and ``skill-apply --facts`` build the key from."""
    from wengang.evaluate import evaluate
    from wengang.programs import load_all

    load_all()
    facts = json.loads((EXAMPLES / "people" / "skill_urgent_second.json").read_text("utf-8"))
    facts.pop("_case")
    staffed(db)
    led = db.open()
    try:
        ids = set()
        for code, level in [("6-31-01-03", 4), ("6-31-01-03 ", 4), ("6-31-01-03", "04"), (" 6-31-01-03", "4")]:
            f = dict(facts, occupation_code=code, level=level)
            ev = evaluate("skill_subsidy", f["insured_region"], date.fromisoformat(f["application_date"]), dict(f))
            dec = decision_from_obj(json.loads(json.dumps(ev.to_dict(), default=str)), facts=f)
            assert dec.claim_key == "6-31-01-03:4"
            ids.add(led.apply_skill_subsidy(dec, "clerk"))
        assert len(ids) == 1
        assert _rows(led, "select count(*) from case_decisions") == [(1,)]
    finally:
        led.close()


def test_a_key_stored_before_keys_had_one_form_still_blocks_the_claim(ledger):
    # a key stored in another spelling before this fix (every import path puts keys in form now, so the old
    # spelling is written as an old ledger holds it): the ledger compares its canonical form, so the canonical
    # claim is neither a second decision of the year nor of another year
    run = RunIn("skill_subsidy", 2025, "150000", {"legacy": "e" * 64}, {})
    ledger.import_decisions(run, to_frame([_skill("6-31-01-03:4")]), "clerk")
    with ledger.engine.begin() as c:
        c.execute(text("update case_decisions set claim_key = '6-31-01-03:04'"))
    (did, key), = _rows(ledger, "select id, claim_key from case_decisions")
    assert key == "6-31-01-03:04"
    assert ledger.self_apply(_skill("6-31-01-03:4"), "clerk") == did
    with pytest.raises(LedgerError) as e:
        ledger.apply_skill_subsidy(_skill("6-31-01-03:4", year=2026), "clerk")
    assert e.value.code == "already_claimed"
    assert _rows(ledger, "select count(*) from case_decisions") == [(1,)]


def test_a_ledger_format_parquet_has_its_claim_keys_put_in_form(db, tmp_path):
    staffed(db)
    frame = to_frame([_skill("6-31-01-03:4")]).with_columns(pl.lit(" 6-31-01-03：04").alias("claim_key"))
    frame.write_parquet(tmp_path / "skill.parquet")
    case_cli(db, "import", str(tmp_path / "skill.parquet"), "--program", "skill_subsidy", "--year", "2025",
          "--region", "150000", "-u", "clerk")
    led = db.open()
    try:
        assert _rows(led, "select claim_key from case_decisions") == [("6-31-01-03:4",)]
    finally:
        led.close()
    bad = frame.with_columns(pl.lit("6-31-01-03:9").alias("claim_key"))
    bad.write_parquet(tmp_path / "bad.parquet")
    out = case_cli(db, "import", str(tmp_path / "bad.parquet"), "--program", "skill_subsidy", "--year", "2025",
                "--region", "150000", "-u", "clerk", code=2)
    assert "第 1 行" in out and "整批未入库" in out


# ------------------------------------------------------------------------------------------- D3: the run's year
def _results(folder: Path, *, features: bool = True, units: int = 3) -> Path:
    """A 稳岗返还 screening output as ``wengang screen`` writes it (the columns intake reads), screened 2025-08-01."""
    folder.mkdir(parents=True, exist_ok=True)
    codes = [decision(i).unit_id for i in range(units)]
    pl.DataFrame({
        "credit_code": codes, "name": [f"测试企业{i}" for i in range(units)], "region_code": ["150502"] * units,
        "size_class": ["small"] * units, "status": ["eligible"] * units, "amount_fen": [120_000 + i for i in range(units)],
        "reasons": [""] * units, "flags": [""] * units, "readings": [""] * units, "policy_id": ["im-2025-18"] * units,
        "policy_number": ["内人社发〔2025〕18号"] * units, "policy_clause": ["一"] * units, "ruleset": ["v2024"] * units,
    }).write_parquet(folder / "results.parquet")
    if features:
        pl.DataFrame({"credit_code": codes, "evaluation_date": [date(2025, 8, 1)] * units}) \
            .write_parquet(folder / "features.parquet")
    return folder


def test_a_2025_screening_is_not_imported_as_2026(db, tmp_path):
    staffed(db)
    out = _results(tmp_path / "out")
    said = case_cli(db, "import", str(out), "--year", "2026", "-u", "clerk", code=2)
    assert "是 2025 年度的筛查（审核日期 2025-08-01），不能作为 2026 年度导入" in said and "cannot be imported as 2026" in said
    # without features.parquet the evaluation date is unknown: the period of the document cited refuses it
    bare = _results(tmp_path / "bare", features=False)
    said = case_cli(db, "import", str(bare), "--year", "2026", "-u", "clerk", code=2)
    assert "依据 内人社发〔2025〕18号（稳岗返还执行期限 2025-01-01 至 2025-12-31），不能作为 2026 年度导入" in said
    assert "收到 3 条，新入库 3 条" in case_cli(db, "import", str(out), "-u", "clerk")
    assert "已于此前导入" in case_cli(db, "import", str(out), "--year", "2025", "-u", "clerk")
    led = db.open()
    try:
        assert _rows(led, "select distinct year from case_decisions") == [(2025,)]
    finally:
        led.close()


def test_the_ledger_refuses_results_already_imported_under_another_year(ledger, tmp_path):
    from wengang.casework.intake import read_screening_output

    si = read_screening_output(_results(tmp_path / "out"))
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 3
    # the same file offered by a program that skips intake's check (a library caller, an edited --year)
    run26 = RunIn("fanhuan", 2026, si.run.region_code, si.run.inputs, si.run.policy_versions, si.run.readings)
    frame26 = si.frame.with_columns(pl.lit(2026, dtype=pl.Int64).alias("year"))
    for step in (lambda: ledger.find_run(run26), lambda: ledger.import_decisions(run26, frame26, "clerk")):
        with pytest.raises(LedgerError) as e:
            step()
        assert e.value.code == "run_other_year"
        assert "（fanhuan）2025 年度导入（批次 1），不能再作为" in e.value.zh and "（fanhuan）2026 年度导入" in e.value.zh
    assert _rows(ledger, "select count(*), count(distinct year) from case_decisions") == [(3, 1)]
    assert _rows(ledger, "select count(*) from case_runs") == [(1,)]


def test_a_person_run_is_imported_by_each_rows_application_year(db, tmp_path):
    staffed(db)
    folder = tmp_path / "skill"
    folder.mkdir()
    pl.DataFrame({
        "id_number": ["152301199001010015", "152301199001010015"], "name": ["张三", "张三"],
        "region_code": ["150502", "150502"], "occupation_code": ["6-31-01-03", "6-18-02-04"], "level": [4, 3],
        "application_date": [date(2024, 9, 1), date(2025, 8, 1)], "status": ["eligible", "eligible"],
        "amount_fen": [150_000, 200_000], "reasons": ["", ""], "flags": ["", ""], "readings": ["", ""],
        "policy_id": ["national-2024-40", "im-2025-18"], "policy_number": ["人社部发〔2024〕40号", "内人社发〔2025〕18号"],
        "policy_clause": ["三", "二"], "ruleset": ["v2024", "v2025"],
    }).write_parquet(folder / "results.parquet")
    assert "skill_subsidy 2024" in case_cli(db, "import", str(folder), "--year", "2024", "-u", "clerk")
    assert "skill_subsidy 2025" in case_cli(db, "import", str(folder), "--year", "2025", "-u", "clerk")
    said = case_cli(db, "import", str(folder), "--year", "2023", "-u", "clerk", code=2)
    assert "没有 2023 年度的申请（申请年度：2024、2025；未申请的按审核日期）" in said
    led = db.open()
    try:
        assert _rows(led, "select year, claim_key from case_decisions order by year") == [
            (2024, "6-31-01-03:4"), (2025, "6-18-02-04:3")]
    finally:
        led.close()


def test_a_screened_claim_without_an_application_is_of_its_review_year(db, tmp_path):
    """免申即享: a certificate of 2024 screened on 2025-08-01 is placed under 内人社发〔2025〕18号 by the review date
    (policy.period_date), so the ledger takes it as a 2025 claim — it had refused the run (“依据 内人社发〔2025〕18号
    …不能作为 2024 年度导入”); a filed 2024 application in the same run stays a 2024 claim, placed under 2024's notice."""
    from wengang.screening.people import run_people_screening

    staffed(db)
    a, b = "150102198501010010", "150102198501010029"  # valid check characters
    pl.DataFrame([{"id_number": who, "name": n, "region_code": "150502", "employer_credit_code": None,
                   "insured_months": 36, "insured_months_continuous": 36} for who, n in ((a, "甲"), (b, "乙"))]
                 ).write_parquet(tmp_path / "p.parquet")
    pl.DataFrame([
        {"id_number": a, "certificate_no": "A1", "occupation_code": "6-31-01-03", "level": 4,
         "issue_date": date(2024, 11, 20), "issuer": "评价机构1", "issuing_region": "150500", "application_date": None},
        {"id_number": b, "certificate_no": "B1", "occupation_code": "6-18-02-04", "level": 4,
         "issue_date": date(2024, 11, 2), "issuer": "评价机构1", "issuing_region": "150500",
         "application_date": date(2024, 12, 20)},
    ], schema_overrides={"application_date": pl.Date}).write_parquet(tmp_path / "c.parquet")
    report = run_people_screening(
        tmp_path / "out", program="skill_subsidy", evaluation_date=date(2025, 8, 1),
        tables={"persons": tmp_path / "p.parquet", "certificates": tmp_path / "c.parquet"}, excel=False,
    )  # fmt: skip
    res = {r["application_id"]: r for r in pl.read_parquet(report.out_dir / "results.parquet").to_dicts()}
    assert res["A1"]["policy_number"] == "内人社发〔2025〕18号" and not res["A1"]["application_date_given"]
    assert res["B1"]["application_date_given"] and res["B1"]["policy_number"] != "内人社发〔2025〕18号"
    said = case_cli(db, "import", str(report.out_dir), "-u", "clerk", code=2)
    assert "结果文件含多个申请年度（2024、2025；未申请的按审核日期）" in said
    assert "skill_subsidy 2025" in case_cli(db, "import", str(report.out_dir), "--year", "2025", "-u", "clerk")
    assert "skill_subsidy 2024" in case_cli(db, "import", str(report.out_dir), "--year", "2024", "-u", "clerk")
    led = db.open()
    try:
        assert _rows(led, "select unit_id, year from case_decisions order by year") == [(b, 2024), (a, 2025)]
        # each row's reasons in its document's words, as a unit run's are — they had been stored as codes
        # (“✘ ?per_year”) for every person run, whose evaluation date intake did not know
        reasons = [r for (text_,) in _rows(led, "select reasons from case_decisions") for r in json.loads(text_)]
        assert reasons and not [r for r in reasons if r.isascii()], reasons
    finally:
        led.close()


# ------------------------------------------------------------------------------- C: a second run that disagrees
def _second_run(*rows):
    return RunIn("fanhuan", 2025, "150000", {"second.parquet": "f" * 64}, {"内人社发〔2025〕18号": "2025-05-27"}), list(rows)


HOLD = "不予发放的结论所依据的数据有误，待核实后认定：月度缴费记录第 39 行格式有误"


def _paid(ledger) -> list[int]:
    ids = to_payable(ledger, 3)
    for did in ids[:2]:
        ledger.pay_decision(did, "cashier", today=PAYDAY)
    return ids


def test_a_second_run_counts_only_what_it_stored_and_names_every_disagreement(ledger):
    ids = _paid(ledger)
    run2, rows = _second_run(
        decision(0, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),  # paid
        decision(1, size_class="large", amount_fen=60_000),  # paid, another size class and amount
        decision(2, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),  # publicized
        decision(3, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),  # new
        decision(4, payment_hold=True, payment_hold_reason="缓缴未补足"),  # new, held
    )
    res = ledger.import_decisions(run2, rows, "clerk")
    assert (res.offered, res.inserted, res.existing, res.held, res.to_verify) == (5, 2, 3, 1, 1)
    by_id = {d["decision_id"]: d for d in res.disagreements}
    assert sorted(by_id) == ids
    paid, amount, approved = (by_id[i] for i in ids)
    assert (paid["differs"], paid["state"], paid["action"]) == (["status"], "paid", "risk")
    assert paid["stored_status"] == "eligible" and paid["new_status"] == "ineligible" and paid["new_hold_reason"] == HOLD
    assert "已入库：符合条件 1,200.00元；本批次：不符合条件（结论待核实：" in paid["zh"] and "wengang risk" in paid["zh"]
    assert "追回" in paid["zh"] and paid["unit"] != decision(0).unit_id and paid["en"]
    assert (amount["differs"], amount["action"]) == (["amount"], "resize")
    assert (amount["stored_amount_fen"], amount["new_amount_fen"]) == (120_001, 60_000)
    assert f"wengang case resize {ids[1]} large 60000" in amount["zh"] and "多退少补" in amount["zh"]
    assert (approved["state"], approved["action"]) == ("publicized", "risk") and "case revoke" in approved["zh"]
    # nothing stored was changed by the run
    assert [ledger.decision(i)["state"] for i in ids] == ["paid", "paid", "publicized"]
    # the same run again: nothing new, the same disagreements, nothing counted as stored now
    again = ledger.import_decisions(run2, rows, "clerk")
    assert (again.inserted, again.held, again.to_verify) == (0, 0, 0)
    assert [d["decision_id"] for d in again.disagreements] == ids


def test_a_determined_or_pending_decision_points_to_resolve_or_compares_its_determination(ledger):
    ledger.import_decisions(RUN, [decision(0, status="needs_decision", amount_fen=None), decision(1)], "clerk")
    d0, d1 = (ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (0, 1))
    ledger.change_size_class(d1, "checker", new_size_class="large", new_amount_fen=60_000, reason="划型变更")
    ledger.import_decisions(RUN, [decision(2)], "clerk")
    d2 = ledger.find(program="fanhuan", year=2025, unit_id=decision(2).unit_id)
    # 0 awaits a determination; 1's resize is what the run says; 2's amount differs under the same size class
    run2, rows = _second_run(decision(0), decision(1, size_class="large", amount_fen=60_000),
                             decision(2, amount_fen=90_000))
    res = ledger.import_decisions(run2, rows, "clerk")
    assert [(d["decision_id"], d["action"]) for d in res.disagreements] == [(d0, "resolve"), (d2, "review")]
    assert f"wengang case resolve {d0} --eligible --amount-fen 120000" in res.disagreements[0]["zh"]
    assert "金额不同而划型相同" in res.disagreements[1]["zh"] and "--stage 1 --reject" in res.disagreements[1]["zh"]
    # a resized decision the run contradicts is said to be as determined
    run3, rows3 = RunIn("fanhuan", 2025, "150000", {"third": "9" * 64}, {}), [decision(1)]
    (d,) = ledger.import_decisions(run3, rows3, "clerk").disagreements
    assert d["decision_id"] == d1 and d["zh"].startswith("已入库（经人工认定或重新核定）：符合条件 600.00元")


def test_the_import_command_says_what_it_stored_and_lists_the_disagreements(db, tmp_path):
    staffed(db)
    led = db.open()
    try:
        ids = _paid(led)
    finally:
        led.close()
    _, rows = _second_run(
        decision(0, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),
        decision(1, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),
        decision(2, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),
        decision(3, status="ineligible", amount_fen=None, payment_hold=True, payment_hold_reason=HOLD),
    )
    to_frame(rows).write_parquet(tmp_path / "second.parquet")
    out = case_cli(db, "import", str(tmp_path / "second.parquet"), "--program", "fanhuan", "--year", "2025",
                "--region", "150000", "-u", "clerk")
    assert "新入库 1 条，已存在 3 条，结论待核实 1 条（入库为待认定）" in out
    assert "本批次与已入库的 3 个决定结论不同，台账未改动这些决定" in out
    for did in ids:
        assert f"决定 {did}（" in out
    assert out.count("wengang risk") >= 3 and decision(0).unit_id not in out


def test_an_eligible_result_that_does_not_say_whether_it_is_held_is_held(ledger, tmp_path):
    # a Spark run without the raw screen's holds writes payment_hold empty: held, never paid by default (outside
    # Spark audit F2, session 38); a row that says false is not held, one that says true keeps its reason
    from wengang.casework.intake import UNSAID_HOLD, read_screening_output

    out = screened_run(tmp_path / "out")
    res = pl.read_parquet(out / "results.parquet").with_columns(
        pl.Series("payment_hold", [None, False, True], dtype=pl.Boolean),
        pl.Series("payment_hold_reason", [None, None, "缓缴的失业保险费尚未补足"], dtype=pl.String))
    res.write_parquet(out / "results.parquet")
    si = read_screening_output(record_results(out))
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 3
    states = {r[0]: (r[1], r[2]) for r in _rows(ledger, "select unit_id, state, hold_reason from case_decisions")}
    codes = res["credit_code"].to_list()
    assert states[codes[0]] == ("held", UNSAID_HOLD)
    assert states[codes[1]][0] == "screened" and states[codes[2]] == ("held", "缓缴的失业保险费尚未补足")


def test_a_result_file_with_no_payment_hold_column_is_held_where_it_would_pay(ledger, tmp_path):
    # a file not written by wengang screen (no payment_hold column at all) had been imported unheld and paid
    from wengang.casework.intake import UNSAID_HOLD, read_screening_output

    out = screened_run(tmp_path / "out")
    res = pl.read_parquet(out / "results.parquet")
    res.drop([c for c in ("payment_hold", "payment_hold_reason") if c in res.columns]).write_parquet(
        out / "results.parquet")
    si = read_screening_output(record_results(out))
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 3
    states = dict(_rows(ledger, "select unit_id, hold_reason from case_decisions where state = 'held'"))
    eligible = res.filter(pl.col("status") == "eligible")["credit_code"].to_list()
    assert eligible and states == {code: UNSAID_HOLD for code in eligible}


def test_a_later_runs_second_subsidy_of_the_year_for_a_person_is_imported_held(ledger):
    # person audit (session 38): 人员119 paid one ordinary 技能提升补贴 of 2025; a later screening, which did not see the
    # ledger's payment, decided a second and it was imported and paid. 内人社发〔2025〕18号 二 “每人每年可享受 1 次补贴，
    # 对取得自治区急需紧缺职业（工种）证书的，在此基础上增加 2 次补贴次数”: held until the year's count is checked
    run1 = RunIn("skill_subsidy", 2025, "150000", {"certs.parquet": "c" * 64}, {"内人社发〔2025〕18号": "2025-05-27"})
    run2 = RunIn("skill_subsidy", 2025, "150000", {"certs.parquet": "d" * 64}, {"内人社发〔2025〕18号": "2025-05-27"})
    ledger.import_decisions(run1, [_skill("4-14-01-01:4")], "clerk")
    first = ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="4-14-01-01:4")
    other = decision(1, unit_id="150102199001012345", unit_name="李四", program="skill_subsidy", claim_key="4-14-01-01:4",
                     amount_fen=150_000, payment_channel="personal_account", size_class=None, year=2025,
                     policy_doc="内人社发〔2025〕18号", clause="二")
    res = ledger.import_decisions(run2, [_skill("4-14-01-01:4"), _skill("6-18-02-04:5"), other], "clerk")
    assert res.inserted == 2  # the same claim again is not stored twice
    second = ledger.find(program="skill_subsidy", year=2025, unit_id=PERSON, claim_key="6-18-02-04:5")
    d = ledger.decision(second)
    assert d["state"] == "held" and f"本年度已有技能提升补贴决定（决定 {first}）" in d["hold_reason"]
    assert "内人社发〔2025〕18号 二" in d["hold_reason"]
    assert ledger.decision(ledger.find(program="skill_subsidy", year=2025, unit_id=other.unit_id,
                                       claim_key="4-14-01-01:4"))["state"] == "screened"
    assert ledger.decision(first)["state"] == "screened"


def test_counts_of_a_person_program_are_of_persons(db, tmp_path):
    # person audit (session 38): “已告知 46 个单位” of 46 persons; a real people run, so that import can decide its
    # rows again (intake._recheck) and takes them unheld
    staffed(db)
    folder = screened_people_run(tmp_path)
    assert pl.read_parquet(folder / "results.parquet")["status"].to_list() == ["eligible", "eligible"]
    case_cli(db, "import", str(folder), "-u", "clerk")
    assert "已告知 2 人" in case_cli(db, "notify", "skill_subsidy", "2025", "-u", "clerk")
