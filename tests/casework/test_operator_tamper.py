"""An operator's roles come from the audit events, not from an editable column (issue 12 items 1–2).

Someone with database access who grants a caseworker the 复核 and 出纳 roles by editing ``case_operators``
gains nothing: the ledger reads roles from the events that granted them, so the edited operator is still
refused, and ``audit verify`` names the row. A row written around the ledger (no registration event) is no
operator at all, even when it borrows another operator's event reference.
"""

from __future__ import annotations

import pytest
from ledger_helpers import RUN, decision

from wengang.casework import LedgerError
from wengang.casework.operators import all_operators, change_roles


def test_a_raw_role_grant_gives_nothing_and_is_reported(ledger):
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.first_review(did, "clerk", approve=True, reason="初审")
    with ledger.engine.begin() as c:
        c.exec_driver_sql("update case_operators set roles = 'caseworker,reviewer,payer' where login = 'clerk'")
        c.exec_driver_sql("update case_operators set enabled = true where login = 'auditor'")
    with pytest.raises(LedgerError) as e:
        ledger.second_review(did, "clerk", approve=True, reason="自己复审")
    assert e.value.code == "role_refused"
    rep = ledger.verify_audit()
    assert not rep.ok and any("clerk" in p and "审计事件不符" in p for p in rep.problems), rep.problems
    assert {a.login: a.roles for a in all_operators(ledger)}["clerk"] == ("caseworker",)


def test_a_raw_disable_undo_is_reported_and_the_operator_stays_disabled(ledger):
    from wengang.casework.operators import set_enabled

    set_enabled(ledger, "clerk", "admin", enabled=False)
    with ledger.engine.begin() as c:
        c.exec_driver_sql("update case_operators set enabled = true where login = 'clerk'")
    with pytest.raises(LedgerError) as e:
        ledger.import_decisions(RUN, [decision(1)], "clerk")
    assert e.value.code == "operator_disabled"
    assert not ledger.verify_audit().ok


def test_a_row_written_around_the_ledger_is_no_operator(ledger):
    with ledger.engine.begin() as c:
        ref = c.exec_driver_sql("select audit_ref from case_operators where login = 'checker'").scalar()
        c.exec_driver_sql("insert into case_operators (login, display_name, audit_ref, roles, enabled) "
                          f"values ('mallory', '马某', '{ref}', 'reviewer,payer', true)")
    with pytest.raises(LedgerError) as e:
        ledger.import_decisions(RUN, [decision(1)], "mallory")
    assert e.value.code == "unknown_operator"
    assert not ledger.verify_audit().ok


def test_roles_changed_through_the_ledger_take_effect(ledger):
    change_roles(ledger, "clerk", "admin", add=["复核"])
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(1).unit_id)
    ledger.first_review(did, "lead", approve=True, reason="初审")
    ledger.second_review(did, "clerk", approve=True, reason="复审")
    assert ledger.verify_audit().ok


def test_an_operator_row_written_directly_is_named_as_such_not_as_a_near_match(ledger):
    # outside tamper audit (session 38): the refusal read "操作人「ghost」未登记；相近的已登记操作人：ghost（鬼）"
    from wengang.casework import LedgerError, operators

    with ledger.engine.begin() as c:
        c.exec_driver_sql("insert into case_operators (login, display_name, audit_ref, roles, enabled) "
                          "values ('ghost', '鬼', 'x', 'reviewer,payer', true)")
    with pytest.raises(LedgerError) as e:
        operators.require(ledger, "ghost", "pay")
    assert "没有登记事件" in e.value.zh and "相近" not in e.value.zh
