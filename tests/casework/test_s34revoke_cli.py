"""`wengang case revoke` and what `case show` / `case pay` advise for a confirmed risk flag (outside audit s34, D3, D7):
a confirmed flag is never cleared, so the texts name the step that ends the decision (case revoke), not "wait for the
稽核 to clear it" nor `case hold`."""

from __future__ import annotations

from ledger_helpers import PAYDAY, STAFF, register_staff, to_payable
from test_s34revoke_ledger import raise_flag
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.cli import case_app
from wengang.casework.risk_queue import confirm_flag

runner = CliRunner()


def _case(url: str, user: str, *args: str, ok: bool = True) -> str:
    r = runner.invoke(case_app, [*args, "--db", url, "--user", user])
    assert (r.exit_code == 0) == ok, r.output
    return " ".join(r.output.split())


def test_show_pay_and_revoke_on_a_confirmed_flag(tmp_path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    led = register_staff(Ledger.open(url), STAFF)
    did, other = to_payable(led, 2)
    fid = raise_flag(led, did)
    confirm_flag(led, fid, "auditor", reason="核实：未全额拨付")
    open_fid = raise_flag(led, other, key="k2")
    led.close()

    shown = _case(url, "clerk", "show", str(did))
    assert f"case revoke {did}" in shown and "已核实，不予发放" in shown
    assert "未经稽核排除前暂停发放" not in shown and "重新认定" not in shown
    shown = _case(url, "clerk", "show", str(other))  # an open flag: the 稽核 clears or confirms it
    assert f"risk clear/confirm {open_fid}" in shown and "case revoke" not in shown

    out = _case(url, "cashier", "pay", "P1", "fanhuan", "2025", "--today", PAYDAY.isoformat(), "--yes")
    assert "风险疑点已核实 1 个" in out and "case revoke" in out and "重新认定" not in out

    out = _case(url, "checker", "revoke", str(did), ok=False)  # --reason is required
    assert "--reason" in out
    out = _case(url, "auditor", "revoke", str(did), "--reason", "x", ok=False)
    assert "复核" in out
    out = _case(url, "checker", "revoke", str(did), "--reason", "经核实，未按规定拨付")
    assert f"决定 {did} 已撤销核准，不予发放" in out and "已撤销核准（不予发放）" in out
    shown = _case(url, "clerk", "show", str(did))
    assert "已撤销核准（不予发放）" in shown and "撤销核准，不予发放" in shown  # the state and the history's action
    out = _case(url, "checker", "revoke", str(other), "--reason", "x", ok=False)  # its flag is only open
    assert "没有经稽核核实的风险疑点" in out
