"""Session 37 outside audit of the web service (docs/decisions.md §103).

* F4: a 复核 approved account changes blind — ``GET /api/v1/account-changes`` and ``/queues/review`` showed
  ``6222 **** …`` while ``wengang case account-requests`` shows the approver the full number on purpose (they compare
  it with the unit's papers). Now whoever may approve (``roles.ACTIONS["approve_account"]``) sees it in full there and
  on the decision page; everyone else, and every other response, still gets it masked.
* F5: a unit's own ``GET /api/v1/decisions/<id>`` carried the raw audit events: bulk events with the ids of every
  decision in the same 告知/review/公示/payment batch, the batch total (total − own = the other party's subsidy in a
  batch of two) and staff logins. Now the portal's history is the party's own: time, what happened, 经办机构 or
  本单位, and its own amount where money moved.
* F6: ``wengang serve`` built a demo ledger and printed demo logins although ``WENGANG_DB`` named the office's
  ledger. Now it serves that ledger, or (until the command reads it) refuses before building anything.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.casework.ledger_helpers import PAYDAY, TODAY
from wengang.casework.outputs import write_bank_file
from wengang.web.config import ConfigError, demo_refused, serve_ledger

from .conftest import PERSON, STAFF, UNIT_A, UNIT_B
from .test_s34pages_risk import BANK, HTML, PAYER

NEW_ACCOUNT = "6222000099998888777"
STAFF_LOGINS = [login for login in STAFF if login != "admin"]


# ------------------------------------------------------------------ F4: the approver sees what they approve
def _requested(web: Any) -> tuple[int, int]:
    did = web.ids[UNIT_A]
    r = web.client("cashier").post(f"/api/v1/decisions/{did}/account",
                                   json={"account_no": NEW_ACCOUNT, "reason": "单位提供新开户证明"})
    assert r.status_code == 201, r.text
    return did, r.json()["change_id"]


def test_the_reviewer_sees_the_requested_account_in_full_others_masked(web):
    did, cid = _requested(web)
    [row] = web.client("checker").get("/api/v1/account-changes").json()
    assert row["id"] == cid and row["account_no"] == NEW_ACCOUNT and row["account_full"] is True
    for login in ("clerk", "cashier", "auditor", "admin"):
        r = web.client(login).get("/api/v1/account-changes", params={"decision_id": did})
        assert r.status_code == 200, (login, r.text)
        [row] = r.json()
        assert row["account_full"] is False and row["account_no"] != NEW_ACCOUNT, login
        assert row["account_no"].endswith("8777") and NEW_ACCOUNT not in r.text, login
    # a unit or person may not list account changes at all
    assert web.client("danwei").get("/api/v1/account-changes").status_code == 403


def test_the_review_page_and_decision_page_show_the_approver_the_full_number(web):
    did, cid = _requested(web)
    checker = web.client("checker")
    queue = checker.get("/queues/review", headers=HTML)
    assert queue.status_code == 200 and NEW_ACCOUNT in queue.text and f"通过变更 {cid}" in queue.text
    assert queue.headers["cache-control"] == "no-store"
    page = checker.get(f"/decisions/{did}", headers=HTML)
    assert NEW_ACCOUNT in page.text and f"复核通过账户变更 {cid}" in page.text
    # the requester and the other roles: masked (the queue has no account section for them)
    for login in ("clerk", "cashier", "auditor"):
        text = web.client(login).get(f"/decisions/{did}", headers=HTML).text
        assert NEW_ACCOUNT not in text and f"变更 {cid}：新账号" in text, login
    assert NEW_ACCOUNT not in web.client("clerk").get("/queues/review", headers=HTML).text
    # other responses stay masked, the approver's too: the decision's history holds the request's full number
    for login in ("checker", "clerk"):
        assert NEW_ACCOUNT not in web.client(login).get(f"/api/v1/decisions/{did}").text, login
    # and the approval goes through as before
    r = checker.post(f"/api/v1/account-changes/{cid}/approval", json={"approve": True, "reason": "核对开户证明"})
    assert r.status_code == 200 and NEW_ACCOUNT not in r.text


def test_the_access_log_keeps_accounts_masked(web, caplog):
    # what the access log sees of these requests is the request line: the account is never in it
    from wengang.web.errors import MaskedAccessLog

    _requested(web)
    import logging

    rec = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                            ("127.0.0.1:1", "GET", f"/api/v1/account-changes?q={NEW_ACCOUNT}", "1.1", 200), None)
    MaskedAccessLog().filter(rec)
    assert NEW_ACCOUNT not in rec.getMessage()


# ------------------------------------------------------------------ F5: the portal sees its own only
def _paid_together(web: Any, tmp_path: Path) -> tuple[int, int]:
    """UNIT_A's and UNIT_B's decisions through one 告知 (with UNIT_C), one confirmation, review, 公示 and payment batch
    each, and one bank file: every bulk event names both (the batch total is the two amounts' sum)."""
    led = web.ledger
    a, b = web.ids[UNIT_A], web.ids[UNIT_B]
    r = web.client("danwei").post(f"/api/v1/decisions/{a}/confirm", json={})
    assert r.status_code == 200, r.text
    assert led.confirm_many([b], "clerk", today=TODAY) == 1
    assert led.review_many([a, b], "clerk", stage=1, approve=True, reason="初审通过") == 2
    assert led.review_many([a, b], "checker", stage=2, approve=True, reason="复审通过") == 2
    led.publicize("gs-s37", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    assert led.run_payment_batch("B37", "fanhuan", 2025, "cashier", today=PAYDAY).paid == 2
    plan = led.bank_file_plan("B37")["payments"]
    led.set_payee_banks({p["account_no"]: BANK for p in plan}, "cashier")
    assert write_bank_file(led, "B37", tmp_path, "cashier", payer_account=PAYER, on=PAYDAY) is not None
    return a, b


def _fen_forms(fen: int) -> list[str]:
    return [str(fen), f"{fen / 100:,.2f}", f"{fen / 100:.2f}"]


def test_a_units_history_names_no_other_decision_no_batch_total_no_staff(web, tmp_path: Path):
    a, b = _paid_together(web, tmp_path)
    own, other = 1_118_430, 500_000
    staff_view = web.client("clerk").get(f"/api/v1/decisions/{a}").json()["history"]
    # the audit events do hold the others (the staff's view is unchanged)
    assert any(b in ((h["after"] or {}).get("ids") or ()) for h in staff_view)
    assert any((h["after"] or {}).get("amount_fen") == own + other for h in staff_view)
    assert {"seq", "actor", "reason", "before", "after"} <= set(staff_view[0])

    r = web.client("danwei").get(f"/api/v1/decisions/{a}")
    assert r.status_code == 200, r.text
    body = r.json()
    history = body["history"]
    assert history, body
    for h in history:
        assert set(h) <= {"at", "action", "action_zh", "actor", "amount_fen"}, h
        assert h["actor"] in ("经办机构", "本单位"), h
        if "amount_fen" in h:
            assert h["amount_fen"] == own, h
    actions = {h["action"]: h for h in history}
    assert {"import", "notify", "confirm", "first_review", "second_review", "publicize", "pay"} <= set(actions)
    assert actions["confirm"]["actor"] == "本单位"  # the unit's own step on the portal
    assert actions["pay"]["amount_fen"] == own and actions["import"]["amount_fen"] == own
    assert actions["notify"]["action_zh"] == "推送告知" and "amount_fen" not in actions["notify"]
    text = json.dumps(body, ensure_ascii=False)
    for total in (own + other, own + other + 300_000):  # the batch's and the import run's totals
        assert not any(f in text for f in _fen_forms(total)), total
    assert not any(f in text for f in _fen_forms(other))
    assert '"ids"' not in text and "publicity_ref" not in text and '"seq"' not in text
    assert not any(f'"{login}"' in text or f"{login}" in json.dumps(history) for login in STAFF_LOGINS)
    # no number but the time and the unit's own amount: no other decision's id anywhere in the history
    for h in history:
        assert not any(ch.isdigit() for k, v in h.items() if k not in ("at", "amount_fen") for ch in str(v)), h
        assert date.fromisoformat(h["at"][:10])  # the time is a time

    # the unit's HTML page of its decision: no history of the office's events, nothing of the other decisions
    page = web.client("danwei").get(f"/decisions/{a}", headers=HTML).text
    for total in (own + other, own + other + 300_000, other):
        assert not any(f in page for f in _fen_forms(total)), total
    assert f'href="/decisions/{b}"' not in page
    assert not any(login in page for login in ("clerk", "checker", "cashier", "auditor")), page
    assert "经办机构" in page  # the reviews table names the office, not the reviewer's login
    # the other unit's decision is not found, as a missing one (session 42: 403 told which ids exist)
    assert web.client("danwei").get(f"/api/v1/decisions/{b}").status_code == 404


def test_a_persons_history_is_their_own_too(web):
    did = web.ids[PERSON]
    r = web.client("geren").get(f"/api/v1/decisions/{did}")
    assert r.status_code == 200, r.text
    history = r.json()["history"]
    assert history and all(set(h) <= {"at", "action", "action_zh", "actor", "amount_fen"} for h in history)
    assert all(h["actor"] in ("经办机构", "本人") for h in history)
    assert not any(login in json.dumps(history) for login in STAFF_LOGINS)


# ------------------------------------------------------------------ F6: wengang serve and WENGANG_DB
def test_serve_ledger_prefers_the_option_then_the_environment():
    env = {"WENGANG_DB": "postgresql+psycopg://wengang:geheim@db.internal:5432/wengang"}
    url, note = serve_ledger(None, env=env)
    assert url == env["WENGANG_DB"] and "WENGANG_DB" in note and "geheim" not in note
    assert serve_ledger("sqlite:///x.db", env=env)[0] == "sqlite:///x.db"
    url, note = serve_ledger(None, demo=True, env=env)
    assert url is None and note.startswith("演示台账") and "未使用" in note and "geheim" not in note
    assert serve_ledger(None, env={})[0] is None
    with pytest.raises(ConfigError, match="不能同时"):
        serve_ledger("sqlite:///x.db", demo=True, env=env)
    why = demo_refused(env)
    assert why is not None and why.startswith("已设置环境变量 WENGANG_DB") and "geheim" not in why
    assert demo_refused({}) is None


def test_wengang_serve_does_not_build_a_demo_over_an_exported_wengang_db(tmp_path, monkeypatch):
    """With WENGANG_DB exported, ``wengang serve`` serves that ledger (docs/deployment.md) or, while the command does
    not read it yet, refuses loudly — never builds the demo and prints demo logins in its place."""
    import uvicorn

    from wengang.cli import app

    office = tmp_path / "office.db"
    url = f"sqlite:///{office}"
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda web_app, **kw: started.update(app=web_app, **kw))
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENGANG_")}
    env |= {"WENGANG_DB": url, "WENGANG_SECRET_KEY": "s" * 40}
    demo_dir = tmp_path / "serve-demo"
    r = CliRunner().invoke(app, ["serve", "--demo-dir", str(demo_dir), "--port", "8999"], env=env)
    assert "密码" not in r.output and not (demo_dir / "ledger.db").exists(), r.output  # no demo, no demo logins
    if started:  # the command reads WENGANG_DB: the service runs over that ledger
        assert r.exit_code == 0, r.output
        assert started["app"].state.config.database_url == url
    else:  # refused before anything was built, Chinese first
        assert r.exit_code != 0 and "已设置环境变量 WENGANG_DB" in r.output, r.output
        assert "--database-url" in r.output


def test_a_units_recoveries_carry_no_office_text(web, tmp_path: Path):
    """The outside audit's second look (session 37): the portal's recoveries carried the 稽核's reason text, which may
    name a witness. A unit sees each recovery's kind and amount; the staff still see the reason."""
    a, _ = _paid_together(web, tmp_path)
    with web.ledger._tx() as conn:  # an order as a confirmed risk flag would make it, its reason the 稽核's
        web.ledger._order_recovery(conn, a, "risk_flag", 1_000, "auditor", "稽核核实：派遣单位截留，经查张三证言")
    unit = web.client("danwei").get(f"/api/v1/decisions/{a}").json()["recoveries"]
    assert unit == [{"id": unit[0]["id"], "kind": "risk_flag", "amount_fen": 1_000}]
    staff = web.client("clerk").get(f"/api/v1/decisions/{a}").json()["recoveries"]
    assert "张三" in staff[0]["reason"] or "张*" in staff[0]["reason"]
