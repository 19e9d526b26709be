"""What `case resize`, `case dispatch-misuse` and `case duplicates` say when a recovery would concern money not yet
paid (docs/casework.md "Money sent"): the unsent payment withdrawn, or the recovery waiting for the bank — never
"追回单 None" or a list of nothing."""

from __future__ import annotations

from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from test_s34recover_sent import MISUSE, bank_file, dispatch, duplicate_pair, resize_down  # noqa: F401
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.cli import case_app

runner = CliRunner()


def _ledger(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    return url, register_staff(Ledger.open(url), STAFF | MORE_STAFF)


def _case(url: str, user: str, *args: str) -> str:
    r = runner.invoke(case_app, [*args, "--db", url, "--user", user])
    assert r.exit_code == 0, r.output
    return " ".join(r.output.split())


def test_resize_says_the_unsent_payment_was_withdrawn_and_the_sent_one_waits(tmp_path):
    url, led = _ledger(tmp_path)
    a, b = to_payable(led, 2)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[a])
    bank_file(led, "B1", tmp_path / "b1")  # a's payment is with the bank, unanswered
    led.run_payment_batch("B2", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[b])  # b's is not sent
    led.close()
    out = _case(url, "checker", "resize", str(b), "large", "60000", "--reason", "统计部门认定为大型")
    assert "已撤回，不再发放" in out and "追回单" not in out
    out = _case(url, "checker", "resize", str(a), "large", "60000", "--reason", "统计部门认定为大型")
    assert "银行尚未回盘：回盘后按实际入账金额确定追回" in out and "已开追回单" not in out


def test_misuse_and_duplicates_with_nothing_paid_say_what_was_done_instead(tmp_path):
    url, led = _ledger(tmp_path)
    did = dispatch(led)
    led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY, decision_ids=[did])
    train, skill = duplicate_pair(led)
    led.run_payment_batch("S1", "skill_subsidy", 2025, "cashier", today=PAYDAY, decision_ids=[skill])
    led.close()
    out = _case(url, "clerk", "dispatch-misuse", str(did), "--reason", "未按规定拨付", "--amount-fen", str(MISUSE))
    assert "None" not in out and "尚无已入账的款项可追回" in out and "已取消下一年度申领资格" in out
    out = _case(url, "clerk", "duplicates", "150102199001011234")
    assert "[]" not in out and "未下达追回" in out
