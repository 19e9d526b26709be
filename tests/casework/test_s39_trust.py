"""Session 39 trust fixes (outside audits aud2 wf, aud4), on SQLite and PostgreSQL.

1. An application made after the period of the document it rests on is refused where that document makes 未确认且
   未主动申请 a waiver (晋人社厅发〔2024〕28号 六 “在政策执行期限内，未确认且未主动申请的，视为企业放弃”; the period of
   人社部发〔2024〕40号 二 runs to 2024-12-31), as of the ledger's today, whatever date the evaluation carries.
3. A payment run on a ledger with a row that differs from its events says so, names the rows, and signs no
   checkpoint over them; a state set by SQL is said to differ from its events, not to be that state.
4. The outbox recipient is masked (a unit's credit code as on the 公示 list); findings mask accounts as every list
   does (``6222 **** **** 2223``).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from ledger_helpers import (
    PAYDAY,
    RUN,
    case_cli,
    cli_url,
    decision,
    decision_sx,
    snapshot,
    staffed,
    to_payable,
)
from sqlalchemy import text
from typer.testing import CliRunner

from wengang.casework import AllocationIn, Ledger, LedgerError, checkpoints
from wengang.casework.cli import case_app
from wengang.cli import app as main_app

runner = CliRunner()
WAIVER = "晋人社厅发〔2024〕28号 六“在政策执行期限内，未确认且未主动申请的，视为企业放弃”"
# the auditor's applicant (/tmp/aud2/wf/u3.json): a 阳泉 unit screening missed
U3 = {"credit_code": "91140302MA0000013L", "name": "阳泉丙公司", "region_code": "140302", "org_type": "enterprise",
      "months_fully_paid": 36, "paid_premium_last_year_fen": 2000000, "insured_headcount": 100,
      "avg_insured_last_year": 100, "layoffs_last_year": 0, "avg_contributors_12m": 50}


def _sql(ledger, stmt, **kw):
    with ledger.engine.begin() as c:
        return c.execute(text(stmt), kw)


# ------------------------------------------------------------------ 1 applications after the period
def test_a_new_self_application_after_the_period_is_refused_citing_the_clause(ledger):
    before = snapshot(ledger)
    for today in (date(2025, 1, 1), None):  # the day after the period; the ledger's own today (2026 and on)
        with pytest.raises(LedgerError) as e:
            ledger.self_apply(decision_sx(5), "clerk", today=today)
        assert e.value.code == "period_over", e.value
        assert e.value.zh.startswith("晋人社厅发〔2024〕28号 政策执行期限已于 2024-12-31 届满") and WAIVER in e.value.zh
        assert "视为放弃" in e.value.zh and "waived" in e.value.en
    assert snapshot(ledger) == before
    # within the period the same application is registered (the last day included)
    did = ledger.self_apply(decision_sx(5), "clerk", today=date(2024, 12, 31))
    assert ledger.decision(did)["state"] == "applied"


def test_a_dispatch_application_after_the_period_is_refused(ledger):
    alloc = [AllocationIn("91140300MA99999999", "用工单位", 3, 1_000)]
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.apply_dispatch(decision_sx(6), alloc, "clerk", today=date(2025, 3, 1))
    assert e.value.code == "period_over" and WAIVER in e.value.zh
    assert snapshot(ledger) == before
    assert ledger.apply_dispatch(decision_sx(6), alloc, "clerk", today=date(2024, 11, 1)) > 0


def test_an_application_under_a_document_without_a_waiver_is_taken_after_its_year(ledger):
    # 内人社发〔2025〕18号 has no waiver: a self-application later is registered (docs: the period waives only where the
    # text says so)
    did = ledger.self_apply(decision(7), "clerk", today=date(2026, 3, 1))
    assert ledger.decision(did)["state"] == "applied"


def test_cli_self_apply_with_a_backdated_evaluation_is_refused(db, tmp_path):
    # the auditor's repro: evaluate -d 2024-08-01, then case self-apply (today is after 2024-12-31)
    staffed(db)
    facts = tmp_path / "u3.json"
    facts.write_text(json.dumps({**U3, "_case": {"program": "fanhuan", "region": "140300", "date": "2024-08-01"}},
                                ensure_ascii=False), "utf-8")
    r = runner.invoke(main_app, ["evaluate", str(facts), "-p", "fanhuan", "-r", "140300", "-d", "2024-08-01", "--json"])
    assert r.exit_code == 0, r.output
    ev = tmp_path / "u3.out.json"
    ev.write_text(r.stdout, "utf-8")
    assert json.loads(r.stdout)["status"] == "eligible"
    out = case_cli(db, "self-apply", str(ev), "--facts", str(facts), "--year", "2024", "-u", "clerk", code=2)
    assert "政策执行期限已于 2024-12-31 届满" in out and "晋人社厅发〔2024〕28号 六" in out and "视为放弃" in out
    led = Ledger.open(db.url, schema=db.schema)
    try:
        assert led.find(program="fanhuan", year=2024, unit_id=U3["credit_code"]) is None
    finally:
        led.close()


# ------------------------------------------------------------------ 3 pay over a ledger that fails verification
@pytest.fixture
def signed(ledger, tmp_path):
    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "cp.jsonl"
    ledger.checkpointer = checkpoints.Signer(checkpoints.load_private(key), checkpoints.Store(cp))
    ids = to_payable(ledger, 3)
    ledger.checkpoint()
    return ids, key, cp


def test_pay_names_a_state_edited_by_sql_and_signs_no_checkpoint(signed, ledger):
    (a, b, c), _, cp = signed
    _sql(ledger, "update case_decisions set state = 'rejected' where id = :i", i=b)
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 2 and {p for p, _ in res.refused} == set()  # b was no candidate ...
    assert [d for d, _ in res.unverified] == [b] and res.tampered == [b]  # ... but its row is named
    issue = dict(res.unverified)[b]
    assert "列 state" in issue.zh and "'rejected'" in issue.zh
    lines = cp.read_text().splitlines()
    with pytest.raises(LedgerError) as e:
        ledger.checkpoint()
    assert e.value.code == "ledger_unverified" and f"决定 {b}" in e.value.zh
    assert cp.read_text().splitlines() == lines  # no checkpoint signed over the tampered ledger


def test_cli_pay_warns_that_the_ledger_fails_verification(signed, ledger, db):
    (a, b, c), key, cp = signed
    _sql(ledger, "update case_decisions set state = 'rejected' where id = :i", i=b)
    _sql(ledger, "update case_decisions set account_no = '6217000066660000' where id = :i", i=c)
    lines = cp.read_text().splitlines()
    r = runner.invoke(case_app, ["--signing-key", str(key), "--checkpoints", str(cp), "pay", "B1", "fanhuan", "2025",
                                 "--today", PAYDAY.isoformat(), "--db", cli_url(db), "-u", "cashier"])
    out = " ".join(r.output.split())
    assert r.exit_code == 1, out
    assert "本次发放 1 个" in out and f"决定 {b} 未发放：台账记录与审计事件不符" in out
    assert f"⚠ 台账未通过校验：决定 {b}、{c} 的台账记录与其审计事件不符" in out and "本次不签署新的检查点" in out
    assert "6217 **** **** 0000" in out and "6217000066660000" not in out and "6217********0000" not in out
    assert "已写入签名检查点" not in out and "未能写入签名检查点" in out
    assert cp.read_text().splitlines() == lines
    assert [p["decision_id"] for p in ledger.decision(a)["payments"]] == [a]


def test_cli_pay_of_a_selection_says_the_edited_state_differs_from_its_events(signed, ledger, db, tmp_path):
    (a, b, _c), key, cp = signed
    _sql(ledger, "update case_decisions set state = 'rejected' where id = :i", i=b)
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n{b}\n")
    r = runner.invoke(case_app, ["--signing-key", str(key), "--checkpoints", str(cp), "pay", "B1", "fanhuan", "2025",
                                 "--ids", str(ids), "--today", PAYDAY.isoformat(), "-y", "--db", cli_url(db),
                                 "-u", "cashier"])
    out = " ".join(r.output.split())
    assert "状态为“审核未通过”" not in out, out
    assert "台账记录与审计事件不符，不予发放" in out and f"⚠ 台账未通过校验：决定 {b} " in out
    assert "已写入签名检查点" not in out
    assert len(ledger.decision(a)["payments"]) == 1 and ledger.decision(b)["payments"] == []


def test_an_untouched_ledger_still_signs_after_pay(signed, ledger):
    _ids, _, cp = signed
    res = ledger.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    assert res.paid == 3 and res.tampered == [] and res.unverified == []
    n = len(cp.read_text().splitlines())
    assert ledger.checkpoint() is not None and len(cp.read_text().splitlines()) == n + 1


# ------------------------------------------------------------------ 4 masking
def test_outbox_recipient_masks_a_units_credit_code(ledger):
    ledger.import_decisions(RUN, [decision(1, contact=None), decision(2)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", channels=("sms",))
    with ledger.engine.connect() as c:
        rows = dict(c.execute(text("select d.unit_id, o.recipient from case_outbox o join case_decisions d "
                                   "on d.id = o.decision_id")).all())
    uid = decision(1).unit_id
    assert rows[uid] == f"{uid[:6]}**********{uid[-2:]}"  # as the 公示 list shows it
    assert rows[decision(2).unit_id] == "138****0000"


def test_verify_masks_accounts_as_lists_do(ledger):
    [did] = to_payable(ledger, 1)
    _sql(ledger, "update case_decisions set account_no = '6222000011112223' where id = :i", i=did)
    problems = " ".join(ledger.verify_audit().problems)
    assert "'6222 **** **** 2223'" in problems and "6222********2223" not in problems
