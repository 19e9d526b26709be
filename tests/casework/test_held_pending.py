"""A 待认定 result that came with a payment hold keeps it: decided eligible, it is held (issue 12 item 4)."""

from __future__ import annotations

from ledger_helpers import RUN, decision

REASON = "排除名单第 7 行格式有误，待核实后发放"


def test_pending_result_with_a_hold_is_held_once_decided_eligible(ledger):
    ledger.import_decisions(RUN, [decision(1, status="needs_decision", amount_fen=None, payment_hold=True,
                                           payment_hold_reason=REASON),
                                  decision(2, status="needs_decision", amount_fen=None),
                                  decision(3, status="needs_decision", amount_fen=None, payment_hold=True,
                                           payment_hold_reason=REASON)], "clerk")
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in (1, 2, 3)]
    held, plain, refused = (ledger.decision(i) for i in ids)
    assert [d["state"] for d in (held, plain, refused)] == ["pending_determination"] * 3
    assert (held["hold_reason"], plain["hold_reason"]) == (REASON, None)

    ledger.resolve(ids[0], "clerk", eligible=True, amount_fen=90_000, reason="按安徽口径认定")
    ledger.resolve(ids[1], "clerk", eligible=True, amount_fen=90_000, reason="按安徽口径认定")
    ledger.resolve(ids[2], "clerk", eligible=False, amount_fen=None, reason="不符合")
    assert [ledger.decision(i)["state"] for i in ids] == ["held", "screened", "not_eligible"]
    assert ledger.decision(ids[0])["hold_reason"] == REASON
    # the row is checked and found harmless: released (by a 复核, with the reason) to 已筛查, from where the usual
    # steps follow
    ledger.release(ids[0], "checker", reason="排除名单第 7 行已核实：不涉及本单位")
    assert ledger.decision(ids[0])["state"] == "screened" and ledger.decision(ids[0])["hold_reason"] is None
    assert ledger.verify_audit().ok
