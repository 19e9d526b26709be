"""Operators and roles (issue 12): every ledger action × every role, on SQLite and PostgreSQL.

An allowed role's step succeeds (and is recorded under the operator's login); any other role is refused
with ``role_refused`` and the ledger is exactly as it was (tables and audit chain head). Besides the
matrix: login normalisation, disabled operators, separation of duties (two reviewers; the payer reviewed
neither stage), and the admin who by that role alone may neither review nor pay.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_helpers import (
    DEADLINE,
    PAYDAY,
    RUN,
    RUN_SX,
    TODAY,
    approve_applied_accounts,
    decision,
    decision_sx,
    register_staff,
    snapshot,
)
from sqlalchemy import text

from conftest import DB, pg_available
from wengang.casework import AllocationIn, FileSender, LedgerError
from wengang.casework.models import Base
from wengang.casework.operators import add_operator, all_operators, change_roles, require, set_enabled
from wengang.casework.risk_queue import clear_flag, confirm_flag, import_flags, list_flags
from wengang.casework.roles import ACTIONS, ROLES, normalize_login, parse_role

# one operator per role, holding that role only and taking no part in the setups below
ACTOR = {role: f"x_{role}" for role in ROLES}


def _with_role_operators(ledger):
    for role, login in ACTOR.items():
        add_operator(ledger, login, roles=[role], display_name=f"{ROLES[role]}甲", actor="admin")
    return ledger


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def matrix_ledger(request, tmp_path_factory):
    """One migrated ledger per database for the matrix (hundreds of cases: migrating each would dominate)."""
    if request.param == "postgres" and not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
    d = DB(request.param, tmp_path_factory.mktemp("matrix"))
    led = d.open()
    yield led
    led.close()
    d.drop()


@pytest.fixture
def fresh(matrix_ledger):
    """The shared ledger emptied (every table, identities restarted), with the staff and role operators."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with matrix_ledger.engine.begin() as c:
        if matrix_ledger.dialect == "postgresql":
            c.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        else:
            for t in tables:
                c.execute(text(f"DELETE FROM {t}"))
    return _with_role_operators(register_staff(matrix_ledger))


# ------------------------------------------------------------------ setups (by the standard staff)
def _id(ledger, dec) -> int:
    return ledger.find(program=dec.program, year=dec.year, unit_id=dec.unit_id, claim_key=dec.claim_key)


def _screened(ledger) -> int:
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    return _id(ledger, decision(1))


def _notified(ledger) -> int:
    did = _screened(ledger)
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    return did


def _first_reviewed(ledger) -> int:
    did = _notified(ledger)
    ledger.first_review(did, "clerk", approve=True, reason="初审通过")
    return did


def _approved(ledger) -> int:
    did = _first_reviewed(ledger)
    ledger.second_review(did, "checker", approve=True, reason="复审通过")
    return did


def _publicized(ledger) -> int:
    did = _approved(ledger)
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    return did


def _paid(ledger) -> tuple[int, int]:
    did = _publicized(ledger)
    return did, ledger.pay_decision(did, "cashier", today=PAYDAY)


def _sx_notified(ledger) -> None:
    ledger.import_decisions(RUN_SX, [decision_sx(1)], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31), channels=("sms",))


def _bt_notified(ledger) -> None:
    run = RUN_SX.__class__("fanhuan", 2024, "bingtuan", {"x": "c" * 64}, {})
    dec = decision_sx(1, policy_doc="bingtuan-2024-draft", clause="二（一）", region_code="660000")
    ledger.import_decisions(run, [dec], "clerk")
    ledger.notify("fanhuan", 2024, "clerk", deadline=date(2024, 7, 31), channels=("sms",))


def _dispatch() -> tuple[Any, list[AllocationIn]]:
    return (decision(80, unit_name="某劳务派遣有限公司", amount_fen=300_000),
            [AllocationIn("91150100USER0001", "用工单位甲", 10, 150_000)])


def _dispatch_paid(ledger) -> int:
    did = ledger.apply_dispatch(*_dispatch(), "clerk")
    ledger.first_review(did, "clerk", approve=True, reason="ok")
    ledger.second_review(did, "checker", approve=True, reason="ok")
    ledger.publicize("gs-d", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    approve_applied_accounts(ledger)
    ledger.pay_decision(did, "cashier", today=PAYDAY)
    return did


def _person(program: str, claim: str, amount: int = 150_000):
    return decision(0, unit_id="150102199001011234", unit_name="张三", program=program, claim_key=claim,
                    amount_fen=amount, payment_channel="personal_account", size_class=None, clause="二")


def _duplicates_paid(ledger) -> None:
    for program, amount in (("training_subsidy", 80_000), ("skill_subsidy", 150_000)):
        dec = _person(program, "6-07-06-05:4", amount)
        did = (ledger.apply_skill_subsidy if program == "skill_subsidy" else ledger.self_apply)(dec, "clerk")
        ledger.first_review(did, "clerk", approve=True, reason="ok")
        ledger.second_review(did, "checker", approve=True, reason="ok")
        approve_applied_accounts(ledger)
        ledger.pay_decision(did, "cashier", today=PAYDAY)


def _recovery_due(ledger) -> tuple[int, int]:
    did, _ = _paid(ledger)
    res = ledger.change_size_class(did, "checker", new_size_class="large", new_amount_fen=60_000,
                                   reason="统计部门认定为大型")
    return res.recovery_id, -res.diff_fen


def _allocation(ledger) -> int:
    _dispatch_paid(ledger)
    with ledger.engine.connect() as c:
        return c.exec_driver_sql("select id from case_allocations").scalar_one()


def _risk_flags():
    import polars as pl

    from wengang.casework.risk_queue import FLAG_COLUMNS

    row = dict(flag_key="certificate_outside_place:PA0", check_id="certificate_outside_place", severity="中",
               program="skill_subsidy", year=2024, subject_id="150102199001011234", subject_name="张三",
               claim_key="6-07-06-05:4", region_code="150502", record="PA0", amount_fen=None,
               label="持参保地或领金地以外所获证书申领技能提升补贴", citation="内人社发〔2025〕18号 五",
               quote="重点核查持参保地或领金地以外所获证书", evidence="{}")
    return pl.DataFrame([row], schema_overrides={"amount_fen": pl.Int64}).select(FLAG_COLUMNS)


def _risk_flag_id(ledger) -> int:
    import_flags(ledger, _risk_flags(), "auditor")
    return list_flags(ledger)[0]["id"]


@dataclass(frozen=True)
class Step:
    """One ledger service: the action it needs, how to reach its starting point, and the call itself."""

    action: str
    setup: Callable[[Any], Any]
    call: Callable[[Any, str, Any, Any], Any]  # (ledger, actor, setup result, tmp_path)


STEPS: dict[str, Step] = {
    "import_decisions": Step("import", lambda L: None, lambda L, a, x, t: L.import_decisions(RUN, [decision(2)], a)),
    "record_run": Step("import", lambda L: None, lambda L, a, x, t: L.record_run(RUN, a)),
    "resolve": Step("resolve",
                    lambda L: (L.import_decisions(RUN, [decision(1, status="needs_decision", amount_fen=None)], "clerk"),
                               _id(L, decision(1)))[1],
                    lambda L, a, x, t: L.resolve(x, a, eligible=True, amount_fen=90_000, reason="认定")),
    "notify": Step("notify", _screened, lambda L, a, x, t: L.notify("fanhuan", 2025, a, channels=("sms",))),
    "queue_notice": Step("notify", _screened, lambda L, a, x, t: L.queue_notice(x, "reminder", a)),
    "remind_unconfirmed": Step("notify", _bt_notified,
                               lambda L, a, x, t: L.remind_unconfirmed("fanhuan", 2024, a, today=date(2024, 8, 1))),
    "deliver_outbox": Step("send", _notified, lambda L, a, x, t: L.deliver_outbox(FileSender(t / "sms.jsonl"), actor=a)),
    "confirm": Step("confirm", _notified, lambda L, a, x, t: L.confirm(x, a, today=TODAY)),
    "confirm_many": Step("confirm", _notified, lambda L, a, x, t: L.confirm_many([x], a, today=TODAY)),
    "decline": Step("decline", _notified, lambda L, a, x, t: L.decline(x, a)),
    "waive_unconfirmed": Step("waive", _sx_notified,
                              lambda L, a, x, t: L.waive_unconfirmed("fanhuan", 2024, a, today=date(2025, 1, 1))),
    "self_apply": Step("apply", lambda L: None, lambda L, a, x, t: L.self_apply(decision(7), a)),
    "apply_skill_subsidy": Step("apply", lambda L: None,
                                lambda L, a, x, t: L.apply_skill_subsidy(_person("skill_subsidy", "6-07-06-05:4"), a)),
    "apply_dispatch": Step("apply", lambda L: None, lambda L, a, x, t: L.apply_dispatch(*_dispatch(), a)),
    "first_review": Step("first_review", _notified,
                         lambda L, a, x, t: L.first_review(x, a, approve=True, reason="初审通过")),
    "review_many_1": Step("first_review", _notified,
                          lambda L, a, x, t: L.review_many([x], a, stage=1, approve=True, reason="初审通过")),
    "second_review": Step("second_review", _first_reviewed,
                          lambda L, a, x, t: L.second_review(x, a, approve=True, reason="复审通过")),
    "review_many_2": Step("second_review", _first_reviewed,
                          lambda L, a, x, t: L.review_many([x], a, stage=2, approve=True, reason="复审通过")),
    "hold": Step("hold", _approved, lambda L, a, x, t: L.hold(x, a)),
    "release": Step("hold", lambda L: (did := _approved(L), L.hold(did, "clerk"))[0],
                    lambda L, a, x, t: L.release(x, a)),
    "publicize": Step("publicize", _approved,
                      lambda L, a, x, t: L.publicize("gs", "fanhuan", 2025, a, starts_on=date(2025, 10, 1), days=7)),
    "run_payment_batch": Step("pay", _publicized,
                              lambda L, a, x, t: L.run_payment_batch("b1", "fanhuan", 2025, a, today=PAYDAY)),
    "pay_decision": Step("pay", _publicized, lambda L, a, x, t: L.pay_decision(x, a, today=PAYDAY)),
    "record_bounce": Step("bounce", _paid, lambda L, a, x, t: L.record_bounce(x[1], a, reason="户名不符")),
    "set_account": Step("account", _screened,
                        lambda L, a, x, t: L.set_account(x, a, account_no="150100000000099", reason="税务部门提供")),
    "fix_account": Step("account", lambda L: (p := _paid(L), L.record_bounce(p[1], "cashier", reason="户名不符"))[0],
                        lambda L, a, x, t: L.fix_account(x[0], a, account_no="6222000000000777")),
    "approve_account": Step("approve_account",
                            lambda L: L.set_account(_screened(L), "cashier", account_no="150100000000099", reason="税务部门提供"),
                            lambda L, a, x, t: L.approve_account(x, a)),
    "change_size_class": Step("resize", _approved, lambda L, a, x, t: L.change_size_class(
        x, a, new_size_class="large", new_amount_fen=60_000, reason="划型变更")),
    "record_recovery_receipt": Step("recovery_receipt", _recovery_due,
                                    lambda L, a, x, t: L.record_recovery_receipt(x[0], a, amount_fen=x[1])),
    "record_transfer": Step("dispatch_transfer", _allocation,
                            lambda L, a, x, t: L.record_transfer(x, a, amount_fen=100_000, voucher="拨付凭证001")),
    "report_dispatch_misuse": Step("recover", _dispatch_paid,
                                   lambda L, a, x, t: L.report_dispatch_misuse(x, a, reason="未按规定拨付")),
    "recover_duplicate_subsidies": Step("recover", _duplicates_paid,
                                        lambda L, a, x, t: L.recover_duplicate_subsidies("150102199001011234", a)),
    "import_flags": Step("risk_import", lambda L: None, lambda L, a, x, t: import_flags(L, _risk_flags(), a)),
    "clear_flag": Step("risk_review", lambda L: _risk_flag_id(L),
                       lambda L, a, x, t: clear_flag(L, x, a, reason="核实为本地证书")),
    "confirm_flag": Step("risk_review", lambda L: _risk_flag_id(L),
                         lambda L, a, x, t: confirm_flag(L, x, a, reason="核实，移交")),
    "add_operator": Step("manage_operators", lambda L: None,
                         lambda L, a, x, t: add_operator(L, "newbie", roles=["经办"], display_name="新人", actor=a)),
    "change_roles": Step("manage_operators", lambda L: None,
                         lambda L, a, x, t: change_roles(L, "clerk", a, add=["复核"])),
    "disable_operator": Step("manage_operators", lambda L: None,
                             lambda L, a, x, t: set_enabled(L, "clerk", a, enabled=False)),
}
# actions checked by their callers, not by a ledger write (reads, the document commands)
CHECKS = [a for a in ACTIONS if a not in {s.action for s in STEPS.values()}]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("step", list(STEPS))
def test_every_write_by_every_role(fresh, step, role, tmp_path):
    ledger, s = fresh, STEPS[step]
    ctx = s.setup(ledger)
    before = snapshot(ledger)
    allowed = ACTIONS[s.action].role == role
    if allowed:
        s.call(ledger, ACTOR[role], ctx, tmp_path)
        rep = ledger.verify_audit()
        assert rep.ok and rep.events > before[0].get("case_audit_events", 0)
        with ledger.engine.connect() as c:
            last = c.exec_driver_sql("select actor from case_audit_events order by seq desc limit 1").scalar_one()
        assert last == ACTOR[role]
    else:
        with pytest.raises(LedgerError) as e:
            s.call(ledger, ACTOR[role], ctx, tmp_path)
        assert e.value.code == "role_refused", e.value
        assert f"没有「{ROLES[ACTIONS[s.action].role]}」角色" in e.value.zh and ACTIONS[s.action].zh in e.value.zh
        assert snapshot(ledger) == before  # tables and the chain's head: nothing changed


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", CHECKS)
def test_every_check_by_every_role(fresh, action, role):
    ledger = fresh
    need = ACTIONS[action].role
    if need is None or need == role:
        assert require(ledger, ACTOR[role], action).login == ACTOR[role]
    else:
        with pytest.raises(LedgerError) as e:
            require(ledger, ACTOR[role], action)
        assert e.value.code == "role_refused"


def test_every_action_is_exercised_and_the_matrix_is_the_brief():
    """Each action in the matrix is tested above; the assignments are the ones issue 12 asks for."""
    assert {s.action for s in STEPS.values()} | set(CHECKS) == set(ACTIONS)
    need = {a: ACTIONS[a].role for a in ACTIONS}
    for a in ("import", "notify", "confirm", "resolve", "first_review", "hold", "publicize"):
        assert need[a] == "caseworker", a
    assert need["second_review"] == need["approve_account"] == "reviewer"
    for a in ("pay", "bank_file", "bounce", "account"):
        assert need[a] == "payer", a
    assert need["manage_operators"] == "admin" and need["read"] is None
    assert [a for a, r in need.items() if r == "admin"] == ["manage_operators"]
    # the 稽核 reads and reviews the risk flags (issue 15), nothing else
    assert [a for a, r in need.items() if r == "auditor"] == ["risk_import", "risk_review"]


# ------------------------------------------------------------------ names
def test_one_operator_whatever_the_spelling(ledger):
    add_operator(ledger, "alice ", roles=["经办"], display_name="张三", actor="admin")
    for spelling in ("alice", "Alice", "ＡＬＩＣＥ", " ALICE\t"):
        assert require(ledger, spelling, "import").login == "alice"
    with pytest.raises(LedgerError) as e:
        add_operator(ledger, "ＡＬＩＣＥ", roles=["复核"], actor="admin")
    assert e.value.code == "operator_exists"
    ledger.import_decisions(RUN, [decision(1)], "ＡＬＩＣＥ")
    with ledger.engine.connect() as c:
        assert c.exec_driver_sql("select actor from case_audit_events order by seq desc limit 1").scalar_one() == "alice"
    assert [a.login for a in all_operators(ledger)].count("alice") == 1


@pytest.mark.parametrize("bad", ["", "   ", "a b", "bob\u200b", "x\x07", "tab\there", "\u3000"])
def test_bad_logins_are_refused(ledger, bad):
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        add_operator(ledger, bad, roles=["经办"], actor="admin")
    assert e.value.code in ("no_actor", "bad_login")
    assert snapshot(ledger) == before


@given(st.text(min_size=1, max_size=20))
def test_normalisation_is_stable_and_ignores_the_edges(name):
    try:
        n = normalize_login(name)
    except LedgerError as e:
        assert e.code in ("no_actor", "bad_login")
        return
    assert normalize_login(n) == n  # a stored login names itself
    assert normalize_login(f" \t{name}\u3000") == n
    assert n and not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in n)


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20))
def test_ascii_names_ignore_case_and_full_width(name):
    full = "".join(chr(ord(ch) + 0xFEE0) for ch in name)  # ＡＢＣ… (full-width forms)
    assert normalize_login(full) == normalize_login(name.upper()) == normalize_login(name) == name.lower()


def test_roles_by_code_or_chinese_label():
    assert [parse_role(r) for r in ("经办", "复核", "出纳", "支付", "稽核", "管理员", "Reviewer", "ｐａｙｅｒ")] == [
        "caseworker", "reviewer", "payer", "payer", "auditor", "admin", "reviewer", "payer"]
    with pytest.raises(LedgerError) as e:
        parse_role("会计")
    assert e.value.code == "bad_role" and "可选" in e.value.zh


def test_unknown_operator_is_told_the_nearest_names(ledger):
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.import_decisions(RUN, [decision(1)], "clerck")
    assert e.value.code == "unknown_operator" and "clerk（张经办）" in e.value.zh and e.value.zh.startswith("操作人")
    with pytest.raises(LedgerError) as e:  # the display name typed instead of the login
        ledger.import_decisions(RUN, [decision(1)], "张经办")
    assert "clerk（张经办）" in e.value.zh
    assert snapshot(ledger) == before


def test_an_empty_ledger_says_how_to_begin(db):
    ledger = db.open()
    try:
        with pytest.raises(LedgerError) as e:
            ledger.import_decisions(RUN, [decision(1)], "clerk")
        assert e.value.code == "no_operators" and "--bootstrap" in e.value.zh
        with pytest.raises(LedgerError) as e:
            add_operator(ledger, "root", roles=["经办"], bootstrap=True)
        assert e.value.code == "bootstrap_refused"
        add_operator(ledger, "root", roles=["管理员"], bootstrap=True)
        with pytest.raises(LedgerError) as e:
            add_operator(ledger, "root2", roles=["管理员"], bootstrap=True)
        assert e.value.code == "bootstrap_refused"
        assert [(a.login, a.roles) for a in all_operators(ledger)] == [("root", ("admin",))]
        assert ledger.verify_audit().ok
    finally:
        ledger.close()


# ------------------------------------------------------------------ enabled, admin, separation of duties
def test_a_disabled_operator_is_refused_until_enabled_again(ledger):
    set_enabled(ledger, "clerk", "admin", enabled=False)
    before = snapshot(ledger)
    for action in ("import", "read"):
        with pytest.raises(LedgerError) as e:
            require(ledger, "clerk", action)
        assert e.value.code == "operator_disabled" and "已停用" in e.value.zh
    with pytest.raises(LedgerError):
        ledger.import_decisions(RUN, [decision(1)], "clerk")
    assert snapshot(ledger) == before
    set_enabled(ledger, "clerk", "admin", enabled=True)
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    with ledger.engine.connect() as c:
        acts = [r[0] for r in c.exec_driver_sql(
            "select action from case_audit_events where entity = 'case_operators' and entity_id = 'clerk' order by seq")]
    assert acts == ["operator_disable", "operator_enable"]


def test_admin_neither_reviews_nor_pays_unless_also_holding_the_role(ledger):
    did = _first_reviewed(ledger)
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.second_review(did, "admin", approve=True, reason="ok")
    assert e.value.code == "role_refused" and "复核" in e.value.zh
    assert snapshot(ledger) == before
    with pytest.raises(LedgerError) as e:  # nor may the admin grant it to themselves
        change_roles(ledger, "admin", "admin", add=["复核"])
    assert e.value.code == "self_change"
    add_operator(ledger, "boss", roles=["管理员", "复核"], display_name="周处长", actor="admin")
    ledger.second_review(did, "boss", approve=True, reason="同意")
    assert ledger.decision(did)["state"] == "approved"


def test_the_same_person_does_not_do_both_reviews(ledger):
    did = _notified(ledger)
    ledger.import_decisions(RUN, [decision(2)], "clerk")
    other = _id(ledger, decision(2))
    ledger.review_many([did, other], "lead", stage=1, approve=True, reason="初审通过")
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.second_review(did, " LEAD ", approve=True, reason="复审通过")
    assert e.value.code == "same_reviewer"
    assert ledger.review_many([did, other], "Lead", stage=2, approve=True, reason="复审通过") == 0
    assert snapshot(ledger) == before
    assert ledger.review_many([did, other], "checker", stage=2, approve=True, reason="复审通过") == 2


@pytest.mark.parametrize("stage", [1, 2])
def test_a_payer_who_reviewed_does_not_pay_that_decision(ledger, stage):
    # 出纳 who also holds the reviewing role of that stage, and reviewed these decisions
    add_operator(ledger, "dual", roles=["经办" if stage == 1 else "复核", "出纳"], display_name="吴双", actor="admin")
    ledger.import_decisions(RUN, [decision(i) for i in range(3)], "clerk")
    ids = [_id(ledger, decision(i)) for i in range(3)]
    first, second = ("dual", "checker") if stage == 1 else ("clerk", "dual")
    ledger.review_many(ids[:2], first, stage=1, approve=True, reason="初审通过")
    ledger.review_many(ids[:2], second, stage=2, approve=True, reason="复审通过")
    ledger.review_many(ids[2:], "clerk", stage=1, approve=True, reason="初审通过")
    ledger.review_many(ids[2:], "checker", stage=2, approve=True, reason="复审通过")
    ledger.publicize("gs", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    before = snapshot(ledger)
    with pytest.raises(LedgerError) as e:
        ledger.pay_decision(ids[0], "DUAL", today=PAYDAY)
    assert e.value.code == "payer_reviewed" and ("初审" if stage == 1 else "复审") in e.value.zh
    assert snapshot(ledger) == before
    res = ledger.run_payment_batch("b1", "fanhuan", 2025, "dual", today=PAYDAY)
    assert (res.paid, res.amount_fen, res.reviewed_by_payer) == (1, decision(2).amount_fen, 2)
    assert [ledger.decision(i)["state"] for i in ids] == ["publicized", "publicized", "paid"]
    res = ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=PAYDAY)  # another 出纳: the rest
    assert (res.paid, res.reviewed_by_payer) == (2, 0)
    with ledger.engine.connect() as c:
        payers = dict(c.exec_driver_sql(
            "select action, actor from case_audit_events where entity = 'case_payments' and actor = 'dual'").all())
    assert payers == {"pay": "dual"}
    assert ledger.reconcile()["ok"] and ledger.verify_audit().ok


def test_a_ledger_from_before_operators_upgrades_and_waits_for_its_first_admin(db):
    ledger = db.open(migrate=False)
    try:
        ledger.migrate("0002")
        with ledger.engine.begin() as c:  # a step recorded before operators existed, free-text name
            c.execute(text("insert into case_payment_batches (batch_key, program, year, audit_ref) "
                           "values ('old', 'fanhuan', 2024, 'r')"))
        ledger.migrate()
        assert ledger.counts()["case_operators"] == 0 and ledger.counts()["case_payment_batches"] == 1
        with pytest.raises(LedgerError) as e:
            ledger.record_run(RUN, "anyone")
        assert e.value.code == "no_operators"
        register_staff(ledger)
        assert ledger.record_run(RUN, "clerk") == 1
    finally:
        ledger.close()
