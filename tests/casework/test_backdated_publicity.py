"""A 公示 recorded as having started long ago needs a reason (session 32 audit).

`case publicize … --starts <30 days ago> --days 7` let `case pay` pay two seconds later: the objection period had
never run. A start more than three days back is refused where operators act (CLI, web) unless the operator says
where and when the list was posted; the reason is kept in the audit events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from ledger_helpers import MORE_STAFF, RUN, STAFF, decision, register_staff
from typer.testing import CliRunner

from wengang.casework import Ledger, LedgerError
from wengang.casework.cli import case_app
from wengang.casework.ledger import PUBLICITY_BACKDATE_DAYS, _beijing_today, check_publicity_start

runner = CliRunner()


def test_the_rule():
    today = _beijing_today()
    check_publicity_start(today, None)
    check_publicity_start(today - timedelta(days=PUBLICITY_BACKDATE_DAYS), None)  # a weekend's delay is fine
    with pytest.raises(LedgerError) as exc:
        check_publicity_start(today - timedelta(days=PUBLICITY_BACKDATE_DAYS + 1), "  ")
    assert exc.value.code == "backdated_publicity" and "--late-reason" in exc.value.zh
    check_publicity_start(today - timedelta(days=30), "2025年9月1日已在区政务大厅张贴")


def test_the_cli_refuses_a_backdated_list_and_records_a_reason(tmp_path, monkeypatch):
    # since session 39 a 公示 may not start before the 复审 of what it lists (test_s39_story): the reviews are made
    # today, so "today" is moved 40 days on for the list to be 30 days back yet after them
    import wengang.casework.ledger as ledger_mod

    real_today = _beijing_today()
    monkeypatch.setattr(ledger_mod, "_beijing_today", lambda: real_today + timedelta(days=40))
    db = f"sqlite:///{tmp_path}/l.db"
    led = register_staff(Ledger.open(db), STAFF | MORE_STAFF)
    led.import_decisions(RUN, [decision(i) for i in range(2)], "screener")
    ids = led.select_ids(program="fanhuan", year=2025)
    led.review_many(ids, "reviewer1", stage=1, approve=True, reason="初审")
    led.review_many(ids, "reviewer2", stage=2, approve=True, reason="复审")
    led.close()
    past = (ledger_mod._beijing_today() - timedelta(days=30)).isoformat()
    args = ["publicize", "gs-old", "fanhuan", "2025", "--starts", past, "--days", "7", "--db", db, "-u", "cw"]
    r = runner.invoke(case_app, args)
    assert r.exit_code == 2 and "补录此前已张贴的公示" in " ".join(r.output.split())
    led = Ledger.open(db)
    assert {led.decision(i)["state"] for i in ids} == {"approved"}  # nothing publicized
    led.close()
    r = runner.invoke(case_app, [*args, "--late-reason", "已于当日在区政务大厅张贴"])
    assert r.exit_code == 0, r.output
    led = Ledger.open(db)
    try:
        assert {led.decision(i)["state"] for i in ids} == {"publicized"}
        with led.engine.connect() as c:
            events = c.exec_driver_sql(
                "select action, reason, after from case_audit_events where action in ('publicity_list', 'publicize')"
            ).all()
    finally:
        led.close()
    assert all(reason == "已于当日在区政务大厅张贴" for _, reason, _ in events)
    assert any(json.loads(after or "{}").get("late_reason") for action, _, after in events if action == "publicize")
