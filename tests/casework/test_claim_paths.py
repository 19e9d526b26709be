"""Every way into the ledger meets the same claim and money rules (outside audit of session 36, on the session-35
fixes) — on SQLite and PostgreSQL.

* A: a claim stored in an old spelling of its key (before keys had one form) was imported a second time;
* B/C: an application written as a ``DecisionIn``, a dispatch application or a 技能提升补贴 through ``self_apply``
  was registered with any amount, and a later year decided a skill claim again (内人社发〔2025〕18号 二
  “同一职业（工种）同一等级只能申请并享受 1 次”);
* D: a later run's hold of an approved decision was only advised and the next batch paid it;
* E: decisions hashed one by one without their id were not counted in ``verify``'s warning;
* F: a risk flag keyed in another spelling no longer stopped the decision stored in canonical form.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import date

import polars as pl
import pytest
from ledger_helpers import PAYDAY, RUN, case_cli, decision, staffed, to_payable
from sqlalchemy import text

import wengang.casework.ledger as ledger_module
from wengang.casework import LedgerError, RunIn, audit, risk_queue
from wengang.casework.models import HASHED, HASHED_V2

PERSON = "150102199001011234"
SKILL_RUN = RunIn("skill_subsidy", 2025, "150000", {"skill.parquet": "9" * 64}, {})


def _skill(key: str, year: int = 2025, amount_fen: int = 150_000):
    return decision(0, unit_id=PERSON, unit_name="张三", program="skill_subsidy", claim_key=key, amount_fen=amount_fen,
                    payment_channel="personal_account", size_class=None, year=year,
                    policy_doc="内人社发〔2025〕18号", clause="二")


def _rows(led, sql: str) -> list[tuple]:
    with led.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(sql))]


# ------------------------------------------------------------------ A: old spellings stored before keys had one form
def test_a_claim_stored_in_an_old_spelling_is_not_imported_again(ledger, monkeypatch):
    old_skill, old_fanhuan = _skill("6-31-01-03:4"), decision(0)
    old_skill.claim_key, old_fanhuan.claim_key = "6-31-01-03:04", "2025"  # as they were written then
    with monkeypatch.context() as m:  # the import as it was before keys had one written form
        m.setattr(ledger_module, "canonical_claim_keys", lambda f: f)
        ledger.import_decisions(SKILL_RUN, [old_skill], "clerk")
        ledger.import_decisions(RUN, [old_fanhuan], "clerk")
    assert sorted(_rows(ledger, "select claim_key from case_decisions")) == [("2025",), ("6-31-01-03:04",)]
    again_skill = ledger.import_decisions(replace(SKILL_RUN, inputs={"skill2.parquet": "8" * 64}),
                                          [_skill("6-31-01-03:4", amount_fen=120_000)], "clerk")
    again_fanhuan = ledger.import_decisions(replace(RUN, inputs={"contrib2.parquet": "7" * 64}),
                                            [decision(0, amount_fen=99_000)], "clerk")
    assert (again_skill.inserted, again_fanhuan.inserted) == (0, 0)
    assert _rows(ledger, "select count(*) from case_decisions") == [(2,)]
    # each run names the stored decision it disagrees with, in whatever spelling that was stored
    assert [d["differs"] for d in again_skill.disagreements] == [["amount"]]
    assert [d["differs"] for d in again_fanhuan.disagreements] == [["amount"]]


# ------------------------------------------------------------------ F: risk flags in another spelling
def test_a_risk_flag_keyed_in_another_spelling_stops_the_payment(ledger):
    ledger.import_decisions(SKILL_RUN, [_skill("６-31-01-03:4", amount_fen=150_000)], "clerk")
    [did] = ledger.select_ids(program="skill_subsidy", year=2025)
    assert ledger.decision(did)["claim_key"] == "6-31-01-03:4"
    flag = {"flag_key": "k1", "check_id": "dup_cert", "severity": "high", "program": "skill_subsidy", "year": 2025,
            "subject_id": PERSON, "subject_name": "张三", "claim_key": "６-31-01-03:04", "region_code": "150100",
            "record": "r", "amount_fen": 150_000, "label": "重复享受", "citation": "c", "quote": "q",
            "evidence": json.dumps({"a": 1})}
    risk_queue.import_flags(ledger, pl.DataFrame([flag]), "auditor")
    assert _rows(ledger, "select claim_key from case_risk_flags") == [("6-31-01-03:4",)]
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    res = ledger.run_payment_batch("b", "skill_subsidy", 2025, "cashier", today=PAYDAY)
    assert (res.paid, res.risk_open) == (0, 1)


# ------------------------------------------------------------------ B/C: every path to an application
def test_a_skill_subsidy_through_self_apply_is_bounded_and_enjoyed_once(ledger):
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(_skill("6-31-01-03:4", amount_fen=99_999_900), "clerk")
    assert e.value.code == "not_rules_amount" and "1,650.00元" in e.value.zh
    first = ledger.self_apply(_skill("6-31-01-03:4"), "clerk")
    with pytest.raises(LedgerError) as e:
        ledger.self_apply(_skill("6-31-01-03:04", year=2026), "clerk", today=date(2026, 3, 1))
    assert e.value.code == "already_claimed" and f"决定 {first}" in e.value.zh
    assert _rows(ledger, "select count(*) from case_decisions") == [(1,)]


def test_a_later_years_screening_does_not_decide_a_skill_claim_again(ledger):
    ledger.apply_skill_subsidy(_skill("6-31-01-03:4"), "clerk")
    res = ledger.import_decisions(replace(SKILL_RUN, year=2027), [_skill("6-31-01-03:04", year=2027),
                                                                  _skill("6-31-01-03:3", year=2027)], "clerk")
    assert res.inserted == 1 and res.existing == 0
    assert [(a["claim_key"], a["year"]) for a in res.already_claimed] == [("6-31-01-03:4", 2025)]
    assert _rows(ledger, "select year, claim_key from case_decisions order by id") == [
        (2025, "6-31-01-03:4"), (2027, "6-31-01-03:3")]


def test_an_application_written_as_a_ledger_decision_is_refused_unless_bounded(db, tmp_path):
    staffed(db)
    fanhuan = tmp_path / "fanhuan.json"
    fanhuan.write_text(json.dumps(asdict(decision(7, amount_fen=99_999_900)), ensure_ascii=False), "utf-8")
    out = case_cli(db, "self-apply", str(fanhuan), "-u", "clerk", code=2)
    assert "wengang evaluate --json" in out and "--facts" in out
    dispatch = tmp_path / "dispatch.json"
    dispatch.write_text(json.dumps({"decision": asdict(decision(8, amount_fen=99_999_900)), "allocations": [
        {"user_unit_id": decision(9).unit_id, "user_unit_name": "用工单位", "workers": 1, "amount_fen": 0}]},
        ensure_ascii=False), "utf-8")
    assert "wengang evaluate --json" in case_cli(db, "dispatch-apply", str(dispatch), "-u", "clerk", code=2)
    skill = tmp_path / "skill.json"
    skill.write_text(json.dumps(asdict(_skill("6-31-01-03:4", amount_fen=99_999_900)), ensure_ascii=False), "utf-8")
    assert "1,650.00元" in case_cli(db, "self-apply", str(skill), "-u", "clerk", code=2)
    led = db.open()
    try:
        assert _rows(led, "select count(*) from case_decisions") == [(0,)]
    finally:
        led.close()
    # a hold by hand says why: its release asks what that reason asks
    assert "--reason" in case_cli(db, "hold", "1", "-u", "clerk", code=2)


# ------------------------------------------------------------------ D: a later run's hold is a hold
def test_an_approved_decision_a_later_run_holds_is_held_at_import(ledger):
    [did] = to_payable(ledger, 1)
    why = "排除名单第 3 行格式有误，待核实后发放"
    res = ledger.import_decisions(replace(RUN, inputs={"contrib2.parquet": "e" * 64}),
                                  [decision(0, payment_hold=True, payment_hold_reason=why)], "clerk")
    [d] = res.disagreements
    assert (d["action"], d["state"]) == ("held", "held") and "已按本批次暂缓发放" in d["zh"]
    got = ledger.decision(did)
    assert (got["state"], got["hold_reason"]) == ("held", why)
    assert ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 0
    with pytest.raises(LedgerError) as e:  # a quarantined row's hold: not the 经办's to lift
        ledger.release(did, "clerk", reason="已核实")
    assert e.value.code == "role_refused"
    ledger.release(did, "checker", reason="核实排除名单第 3 行：非本单位")
    assert ledger.run_payment_batch("b2", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 1


def test_a_paid_decision_a_later_run_holds_goes_to_the_risk_check_not_a_hold(ledger):
    [did] = to_payable(ledger, 1)
    ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY)
    res = ledger.import_decisions(replace(RUN, inputs={"contrib2.parquet": "e" * 64}),
                                  [decision(0, payment_hold=True, payment_hold_reason="缓缴的失业保险费尚未补足")], "clerk")
    assert [d["action"] for d in res.disagreements] == ["risk"]
    assert ledger.decision(did)["state"] == "paid"


# ------------------------------------------------------------------ E: every decision hashed without its id is counted
def test_verify_counts_decisions_hashed_one_by_one_without_their_id(ledger, monkeypatch):
    with monkeypatch.context() as m:  # the code before hash version 3
        m.setattr(audit, "HASH_VERSION", 2)
        m.setitem(HASHED, "case_decisions", HASHED_V2["case_decisions"])
        ledger.self_apply(decision(1), "clerk")
        ledger.self_apply(decision(2), "clerk")
    rep = ledger.verify_audit()
    assert rep.ok, rep.problems
    assert any(w.startswith("2 个决定在哈希版本 3 之前创建") for w in rep.warnings), rep.warnings
    ledger.self_apply(decision(3), "clerk")  # hashed with its id: not counted
    assert any(w.startswith("2 个决定") for w in ledger.verify_audit().warnings)
