"""What `case resize`, `case pay --ids`, `case balance` and `case show` say about money (session 34 audit D4, D8, D9).

D8: a reduction printed a positive "差额" and named a withdrawn payment by its id; after a bounce "差额 0.00 元".
D9: `case pay --ids` skipped a paid decision owed a top-up as "状态为“已发放”，不能发放" (only an unselected run paid it).
D4: `case balance` showed every payment row as 已发 (withdrawn and unsent money too); `case show` listed payments with
no fate, so a withdrawn payment and its re-payment read as a double payment.
"""

from __future__ import annotations

from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from test_s34flag_withdraw import raise_flag
from test_s34recover_sent import bank_file, bank_return
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.cli import case_app
from wengang.casework.ledger import payment_reference
from wengang.money import format_yuan

runner = CliRunner()


def _ledger(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    return url, register_staff(Ledger.open(url), STAFF | MORE_STAFF)


def _case(url: str, user: str, *args: str) -> str:
    r = runner.invoke(case_app, [*args, "--db", url, "--user", user])
    assert r.exit_code == 0, r.output
    return " ".join(r.output.split())


def _yuan(fen: int) -> str:
    return format_yuan(fen).removesuffix("元")


def test_resize_says_lowered_or_raised_and_names_payments_by_reference(tmp_path):
    url, led = _ledger(tmp_path)
    a, b = to_payable(led, 2)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)  # neither sent: a's is withdrawn below
    old = led.decision(a)["entitlement"]["amount_fen"]
    [pb] = led.decision(b)["payments"]
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(a, 0): True, payment_reference(b, 0): False})
    led.close()
    # a: paid and credited, lowered — a recovery
    out = _case(url, "checker", "resize", str(a), "large", "60000", "--reason", "统计部门认定为大型")
    assert f"核减 {_yuan(old - 60_000)} 元" in out and "差额" not in out
    assert f"追回 {_yuan(old - 60_000)} 元" in out
    # raised: said as 核增, with the top-up due
    out = _case(url, "checker", "resize", str(a), "small", str(old), "--reason", "复核更正")
    assert f"核增 {_yuan(old - 60_000)} 元" in out
    # b: bounced, nothing paid — the resize only sets what the re-payment will pay (no "差额 0.00")
    out = _case(url, "checker", "resize", str(b), "large", "60000", "--reason", "统计部门认定为大型")
    assert "差额" not in out and "不涉及多退少补" in out and "600.00 元" in out
    assert pb["id"]


def test_resize_withdrawing_an_unsent_payment_names_it_by_reference(tmp_path):
    url, led = _ledger(tmp_path)
    [a] = to_payable(led, 1)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    led.close()
    out = _case(url, "checker", "resize", str(a), "large", "60000", "--reason", "统计部门认定为大型")
    assert f"未报盘的付款 {payment_reference(a, 0)} 已撤回" in out and "核减" in out and "差额" not in out


def test_pay_with_ids_pays_a_top_up_due_as_an_unselected_run_does(tmp_path):
    url, led = _ledger(tmp_path)
    a, b = to_payable(led, 2)
    for did in (a, b):  # 大型 first (30%), paid; then 微型 (60%): the other half is due
        led.change_size_class(did, "checker", new_size_class="large", reason="暂按大型")
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(a, 0): True, payment_reference(b, 0): True})
    for did in (a, b):
        led.change_size_class(did, "checker", new_size_class="micro", reason="划型更正")
    led.close()
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n")
    out = _case(url, "cashier", "pay", "B2", "fanhuan", "2025", "--ids", str(ids), "--today", "2025-11-02", "--yes")
    assert "不能发放" not in out and f"补发 {_yuan(60_000)} 元" in out
    led = Ledger.open(url)
    assert [p["amount_fen"] for p in led.decision(a)["payments"] if p["kind"] == "supplement"] == [60_000]
    assert [p for p in led.decision(b)["payments"] if p["kind"] == "supplement"] == []  # not selected: not paid
    led.close()


def test_pay_with_ids_says_a_top_up_due_that_it_cannot_pay(tmp_path):
    url, led = _ledger(tmp_path)
    [a] = to_payable(led, 1)
    led.change_size_class(a, "checker", new_size_class="large", reason="暂按大型")
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    sent = bank_file(led, "B1", tmp_path / "b1")
    bank_return(led, sent, {payment_reference(a, 0): True})
    led.change_size_class(a, "checker", new_size_class="micro", reason="划型更正")
    raise_flag(led, a)  # an open risk flag holds the top-up
    led.close()
    ids = tmp_path / "ids"
    ids.write_text(f"{a}\n")
    out = _case(url, "cashier", "pay", "B2", "fanhuan", "2025", "--ids", str(ids), "--today", "2025-11-02", "--yes")
    assert f"有应补发的 {_yuan(60_000)} 元，本批未补发：风险疑点未经稽核排除" in out and "不能发放" not in out


def test_balance_and_show_tell_withdrawn_and_unsent_money_apart(tmp_path):
    url, led = _ledger(tmp_path)
    [a] = to_payable(led, 1)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY)
    first = led.decision(a)["payments"][0]["amount_fen"]
    led.change_size_class(a, "checker", new_size_class="large", new_amount_fen=60_000, reason="统计部门认定为大型")
    led.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY)  # a-1 = 600.00, not sent yet
    unit = led.decision(a)["unit_id"]
    led.close()
    out = _case(url, "auditor", "balance", "--unit-id", unit)
    # nothing left the office: 已发放 0; the withdrawn 1-0 and the unsent 1-1 apart
    assert "已发放" in out and "未报盘" in out and "已撤回" in out
    cells = [c.strip() for c in out.split("│")]
    i = cells.index("失业保险稳岗返还")
    # 已发放, 银行退回, 追回到账, 净额, 待追回, 未报盘, 已撤回
    assert cells[i + 1:i + 8] == ["0.00", "0.00", "0.00", "0.00", "0.00", "600.00", _yuan(first)]
    out = _case(url, "auditor", "show", str(a))
    assert f"付款 {payment_reference(a, 0)}" in out and "已撤回，未发放" in out
    assert f"付款 {payment_reference(a, 1)}" in out and "待报盘，尚未发放" in out
