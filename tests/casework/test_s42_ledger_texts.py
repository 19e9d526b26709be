"""Session 42 outside casework audit (docs/decisions.md §127): what the ledger's commands say.

D3: of two concurrent top-up runs, the one whose batch did not pay the top-up says "已由另一批次补发", not success.
D5: ``audit verify`` says a reconciliation that does not balance in Chinese sentences naming table and difference.
D7: ``case publicize`` checks the operator's role first; a decision on a running list is said to be on that list, and
no empty list is created. D8: a bank return applied again appends no event; an import reports what it inserted.
"""

from __future__ import annotations

from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from test_s34recover_sent import bank_file, bank_return
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.cli import case_app
from wengang.casework.ledger import payment_reference

runner = CliRunner()


def _ledger(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    return url, register_staff(Ledger.open(url), STAFF | MORE_STAFF)


def _run(url: str, user: str, *args: str, code: int | None = 0) -> str:
    r = runner.invoke(case_app, [*args, "--db", url, "--user", user])
    if code is not None:
        assert r.exit_code == code, r.output
    return " ".join(r.output.split())


# ---------------------------------------------------------------- D3 a concurrent top-up is not this batch's
def test_a_top_up_paid_by_a_concurrent_batch_is_not_reported_as_this_batchs(tmp_path, monkeypatch):
    url, led = _ledger(tmp_path)
    [a] = to_payable(led, 1)
    led.change_size_class(a, "checker", new_size_class="large", reason="暂按大型")
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(a, 0): True})
    led.change_size_class(a, "checker", new_size_class="micro", reason="划型更正")
    led.close()
    original = Ledger.run_payment_batch

    def racing(self, batch_key, *args, **kw):  # another shell's batch pays the top-up first
        if batch_key == "B2":
            original(self, "B-OTHER", *args, **kw)
        return original(self, batch_key, *args, **kw)

    monkeypatch.setattr(Ledger, "run_payment_batch", racing)
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n")
    out = _run(url, "cashier", "pay", "B2", "fanhuan", "2025", "--ids", str(ids), "--today", "2025-11-02", "--yes",
               code=None)
    assert "已由另一批次补发" in out, out
    assert "补发 600.00 元（付款" not in out and "成功 0" in out, out
    led = Ledger.open(url)
    tops = [p for p in led.decision(a)["payments"] if p["kind"] == "supplement"]
    assert len(tops) == 1  # paid once, by B-OTHER
    led.close()


# ---------------------------------------------------------------- D5 the reconciliation in sentences
def test_audit_verify_says_the_reconciliation_in_sentences(tmp_path):
    from sqlalchemy import text

    from wengang.casework.cli import audit_app

    url, led = _ledger(tmp_path)
    to_payable(led, 2)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    with led.engine.begin() as c:
        c.execute(text("update case_payments set amount_fen = amount_fen + 100000 where id = 1"))
    led.close()
    r = runner.invoke(audit_app, ["verify", "--db", url])
    out = " ".join(r.output.split())
    assert r.exit_code == 1, out
    assert "{'ok'" not in out and "'table_fen'" not in out, out
    assert "金额对账不平：case_payments（支付表）金额合计" in out and "相差 1,000.00元（多）" in out, out
    assert "money does not reconcile: case_payments: rows total" in out


# ---------------------------------------------------------------- D6 免申即享: told, not “待确认”
def test_a_notice_only_document_says_told_and_confirm_says_not_required(tmp_path):
    from ledger_helpers import DEADLINE, RUN, decision

    url, led = _ledger(tmp_path)
    led.import_decisions(RUN, [decision(0)], "clerk")  # 内人社发〔2025〕18号: no confirmation step
    led.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    [did] = led.select_ids(program="fanhuan", year=2025)
    led.close()
    out = _run(url, "clerk", "list", "--year", "2025")
    assert "已告知（无需确认）" in out and "已告知待确认" not in out, out
    out = _run(url, "clerk", "show", str(did))
    assert "已告知（无需确认）" in out and "待确认" not in out, out
    out = _run(url, "unit", "confirm", str(did))
    assert "无需单位确认" in out and "内人社发〔2025〕18号 四" in out and "以短信等方式告知企业，无需企业申请" in out, out
    led = Ledger.open(url)
    (ev,) = [h for h in led.decision(did)["history"] if h["action"] == "confirm"]
    assert "无需单位确认" in ev["reason"], ev
    led.close()


# ---------------------------------------------------------------- D7 publicize: the role first; one list a decision
def _count(url, table):
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        n = c.execute(text(f"select count(*) from {table}")).scalar_one()
    eng.dispose()
    return n


def test_publicize_refuses_a_reviewer_before_selecting(tmp_path):
    url, led = _ledger(tmp_path)
    a, b = to_payable(led, 2)
    led.close()
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n{b}\n")
    r = runner.invoke(case_app, ["publicize", "GS-X", "fanhuan", "2025", "--starts", "2025-10-20", "--late-reason",
                                 "补录", "--ids", str(ids), "-y", "--db", url, "-u", "checker"])
    out = " ".join(r.output.split())
    assert r.exit_code != 0 and "成功 0" not in out and "跳过" not in out, out
    assert "没有「经办」角色" in out or "角色" in out, out


def test_a_decision_on_a_running_list_is_said_so_and_no_empty_list_is_made(tmp_path):
    url, led = _ledger(tmp_path)
    a, _ = to_payable(led, 2)  # on list gs-0
    led.hold(a, "clerk", reason="公示期间收到异议：反映该单位裁员未如实申报")
    led.release(a, "checker", reason="经核查异议不成立")
    assert led.decision(a)["state"] == "approved"
    led.close()
    lists, events = _count(url, "case_publicity_lists"), _count(url, "case_audit_events")
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n")
    out = _run(url, "clerk", "publicize", "GS-D", "fanhuan", "2025", "--starts", "2025-10-20", "--late-reason", "补录",
               "--ids", str(ids), "-y", code=None)
    assert "已在公示名单 gs-0 中" in out and "状态已变为" not in out, out
    assert _count(url, "case_publicity_lists") == lists and _count(url, "case_audit_events") == events
