"""State from events: each decision's workflow columns and money, rebuilt from the audit chain.

No hash covers ``case_decisions.state``, ``account_no``, ``hold_reason``, ``deadline`` or ``payee_channel``, nor the
payee banks (``case_payee_banks``): they change. So they are treated as a cache of the events and rebuilt here by
folding the chain in order:

- the event that created a decision (``ref``) starts it at its hashed ``init_*`` values and its rule amount;
- an event on one decision (``entity_id``) or on a list of them (``after.ids``, ``after.publicity_ref``) sets the
  workflow keys its ``after`` names (``state``, ``account_no``, ``hold_reason``, ``deadline``, ``payee_channel``);
- ``payee_channel`` starts NULL for every decision: no path that creates a decision sets it, and every change of it
  since it exists (re-route, own account) names it in its event's ``after``; so there is no ``init_payee_channel``
  and decisions from before migration 0003 start at NULL too;
- a ``set_payee_bank`` event sets the bank code of one account (``entity_id``) to ``after.bank_code``;
- a ``notice_sent`` event marks one outbox message (``entity_id``) sent: a message is ``sent`` exactly when such an
  event exists (``deliver_outbox`` sets the state and appends the event in one transaction; claiming, a failure
  and giving up are not events, so ``pending`` / ``sending`` / ``failed`` are not told apart);
- a payment event (``case_payments`` rows, ``after.decision_state``) marks its decisions paid, remembering the state
  each had before (``before_pay``);
- a payment withdrawn before it was sent (``WITHDRAWN``: a return row; docs/casework.md "Money sent") leaves the
  decision's net; the event on the decision that goes with it (same action) moves it from paid back to the state it
  had before that payment, and is checked: that payment must have been withdrawn, and the state must be that one;
- recomputations set the entitlement; payments, returns and overpayment recoveries move the net paid; a return
  the ledger does not count (``Ledger._returned``: the bank confirmed the same payment credited, recorded by the
  credit check) stops counting at the event of that confirmation, so a top-up paid after the check is checked
  against what the ledger paid it against.

Along the way every payment row is checked against the decision as the events had it at that moment (payable
state, amount, account, channel), every state change against the transition table, and every account change against an
approved request by someone other than the requester (``case_account_changes`` / ``_approvals``).
``differences`` then compares the stored rows with the result, column by column (comparing all, as ``audit verify``
does, the outbox's ``state`` too: ``outbox_differences``); ``bank_differences`` does the same for ``case_payee_banks``.

The ledger uses it when money leaves (``run_payment_batch`` with its 多退少补 top-ups, ``pay_decision``, a bank
file): a decision whose stored row differs, or whose covering rows no longer match their hashes, is not paid or
sent; a bank file is not written while a payee bank it uses differs from its events (``bank_differences``). There
(``check_rows``) every event that created money rows (``MONEY``) is re-hashed whichever decision it concerns, and a
payment event names the decisions it paid (``after.ids``), so a payment row deleted or moved away does not make
its decision payable again. ``audit verify`` runs it on every decision and every payee bank.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from wengang.money import format_yuan

from . import audit
from .models import (
    AccountApproval,
    AccountChange,
    BankConfirmation,
    Decision,
    OutboxMessage,
    PayeeBank,
    Payment,
    PaymentReturn,
    PublicityEntry,
    PublicityList,
    Recomputation,
    Recovery,
    RecoveryReceipt,
)
from .states import TRANSITIONS

WF = ("state", "account_no", "hold_reason", "deadline", "payee_channel")
# A decision created before migration 0003 starts with its workflow values unknown: the first event that sets
# one makes it known; one no event ever set is taken from init_* (its value at migration time).
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "<unknown>"})()
STORED = (Decision.__table__.c.id, *(Decision.__table__.c[c] for c in WF))  # what ``differences`` compares
PAYABLE = TRANSITIONS["pay"].sources
# Money tables: at payment and bank-file time every event that created their rows is re-hashed, not only those
# of the decisions followed. A row deleted (or moved to another decision) leaves nothing of the followed decisions
# to re-hash, so a payment made, returned or sent would be forgotten and made again.
MONEY = frozenset({"case_payments", "case_payment_returns", "case_recoveries", "case_bank_files",
                   "case_bank_file_items", "case_bank_confirmations", "case_recovery_receipts"})
# Gate tables: rows that decide whether a decision is paid at all (``Ledger._payable``, ``_to_send``): who reviewed it
# (the payer may not pay what they reviewed), the risk flags and the 稽核's verdicts on them, 公示 lists and entries,
# account changes and their approvals, recomputed amounts. A flag holds a decision through its subject, not its id,
# and a row deleted leaves nothing of the followed decision to re-hash: so at payment and bank-file time every one of
# these tables is re-hashed whole against its events (``_check_gates``), and a row edited, deleted or written behind
# the ledger stops every payment and bank file until restored (the decisions it concerned cannot be told).
GATES = frozenset({"case_reviews", "case_risk_flags", "case_risk_reviews", "case_publicity_lists",
                   "case_publicity_entries", "case_account_changes", "case_account_approvals", "case_recomputations"})
GATES_ZH = {"case_reviews": "初审、复审人", "case_risk_flags": "风险疑点", "case_risk_reviews": "风险疑点的稽核结论",
            "case_publicity_lists": "公示名单", "case_publicity_entries": "公示名单所列决定",
            "case_account_changes": "收款账户变更申请", "case_account_approvals": "收款账户变更复核",
            "case_recomputations": "重新核定的金额"}
# Settling tables: what 多退少补 and a recovery receipt reckon with (``Ledger._settle``, ``record_recovery_receipt``):
# the recovery orders and their cancellations, and what came back on them. A receipt deleted made a resize cancel an
# order as never received, a cancellation deleted re-opened it (outside ledger audit, session 41): so wherever rows
# are checked (``check_rows``) these are re-hashed whole against their events as the gates are, and rows written
# with no event, edited or deleted stop every payment, bank file and settlement (``_check_gates``).
SETTLES = frozenset({"case_recoveries", "case_recovery_receipts"})
SETTLES_ZH = {"case_recoveries": "追回单及其撤销", "case_recovery_receipts": "追回到账"}
WHOLE = GATES | SETTLES
_IN = 5000  # ids per IN (...) query
# audit action: a payment not yet sent (in no bank file) withdrawn, so it never goes to the bank: its return row
# (``case_payment_returns``) and, when it was the decision's payment, the move back from paid (``case_decisions``)
WITHDRAWN = "withdraw_payment"
# audit action and target state: an approval revoked, the decision not paid (``Ledger.revoke``; ``_revocation``)
REVOKE, REVOKED = "revoke", "revoked"
# audit action: an outbox message sent (``Ledger.deliver_outbox``), the only event that changes a message's state
NOTICE_SENT, SENT = "notice_sent", "sent"

D = Decision.__table__.c
P = Payment.__table__.c
R = Recomputation.__table__.c
E = PublicityEntry.__table__.c
L = PublicityList.__table__.c
X = PaymentReturn.__table__.c
C = Recovery.__table__.c
AC = AccountChange.__table__.c
AA = AccountApproval.__table__.c
K = PayeeBank.__table__.c
OB = OutboxMessage.__table__.c
KB = BankConfirmation.__table__.alias("kb")  # aliased: ``Ledger._returned`` correlates the unaliased table


@dataclass
class Derived:
    """One decision as the events say it is."""

    state: str | None
    account_no: str | None
    hold_reason: str | None
    deadline: str | None
    payee_channel: str | None  # the channel money now goes by, if not the rules' (re-routed to the 税务 account)
    amount: int | None  # entitlement: the rule amount, or the latest recomputation
    channel: str | None = None  # the rules' payment_channel (hashed with the row)
    net: int = 0  # paid − returned − overpayment recovered (what a supplement or a re-payment settles against)


@dataclass
class Diff:
    table: str
    row_id: int | str  # the row's key: a decision's id, a payee bank's account number
    column: str
    stored: Any
    derived: Any

    @property
    def key(self) -> str:
        return f"account_no {_shown('account_no', self.row_id)}" if self.table == "case_payee_banks" else f"id {self.row_id}"

    def issue(self) -> audit.Issue:
        if self.column == "*":
            return audit.Issue("projection", f"{self.table} {self.key}：{self.stored}",
                               f"{self.table} {self.key}: {self.derived}")
        return audit.Issue(
            "projection",
            f"{self.table} {self.key} 列 {self.column}：存储值 {_shown(self.column, self.stored)}，"
            f"按审计事件应为 {_shown(self.column, self.derived)}",
            f"{self.table} {self.key} column {self.column}: stored {_shown(self.column, self.stored)}, "
            f"events give {_shown(self.column, self.derived)}",
        )


def _yuan(fen: Any) -> str:
    from wengang.money import format_yuan

    return format_yuan(fen) if isinstance(fen, int) else repr(fen)


def _shown(column: str, value: Any) -> str:
    """A value for a finding: account numbers masked (findings go to consoles and logs) as everywhere else an
    account is shown (``mask_account_for_display``: ``6222 **** **** 2223``), the rest as repr."""
    if value is None or "account" not in column:
        return repr(value)
    from wengang.documents.masking import mask_account_for_display

    return repr(mask_account_for_display(str(value)))


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


@dataclass
class Projection:
    """The fold. ``ids``: follow only these decisions (payment time); None: all (``audit verify``)."""

    ids: frozenset[int] | None = None
    check_rows: bool = False  # re-hash the rows used (payment time; ``audit verify`` re-hashes all itself)
    chain: audit.VerifyReport = field(default_factory=audit.VerifyReport)  # chain-level problems
    issues: list[audit.Issue] = field(default_factory=list)  # per-row problems met while folding
    bad: dict[int, audit.Issue] = field(default_factory=dict)  # decision id -> first problem that concerns it
    derived: dict[int, Derived] = field(default_factory=dict)
    banks: dict[str, str] = field(default_factory=dict)  # account -> bank code, as the set_payee_bank events say
    sent: set[int] = field(default_factory=set)  # outbox ids a notice_sent event sent (collected if all are followed)
    legacy: set[int] = field(default_factory=set)  # decisions created before migration 0003 (init_* not hashed)
    legacy_account_changes: int = 0  # account changes on those made before four-eyes approval existed
    _rows: dict[str, dict[str, list[tuple]]] = field(default_factory=dict)  # table -> audit_ref -> rows
    _changes: dict[int, tuple] = field(default_factory=dict)  # change id -> (decision, account, requested_by)
    _approvals: dict[int, tuple] = field(default_factory=dict)  # change id -> (approver, approve)
    _legacy_init: dict[int, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, set[str]] = field(default_factory=dict)  # money table -> audit_refs of the events walked
    _voided: set[int] = field(default_factory=set)  # payments whose return no longer counts (confirmed since)
    _returned: dict[int, int] = field(default_factory=dict)  # payment id -> amount of its return folded
    # decision id -> its state just before its latest initial payment (what a withdrawal of it goes back to)
    before_pay: dict[int, Any] = field(default_factory=dict)
    _last_initial: dict[int, int] = field(default_factory=dict)  # decision id -> its latest initial payment's id
    _withdrawn: set[int] = field(default_factory=set)  # payments withdrawn before they were sent (``WITHDRAWN``)
    _gate_events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # gate table -> ref -> event
    # decision id -> (amount_fen, payment_channel) as its import event's rows hashed them, read when a payment-time
    # projection was built (re-hashed then: ``check_rows``); what a payment reads besides the workflow columns
    # (``imported_edits``)
    imported: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    _built: bool = False

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, conn: Connection, ids: Iterable[int] | None = None, *, check_rows: bool = False) -> Projection:
        p = cls(ids=None if ids is None else frozenset(ids), check_rows=check_rows)
        p._load(conn)
        p.advance(conn)
        if check_rows:
            p._check_gates(conn)
            p.reused_payment_ids(conn)
            p._unrecorded_money(conn)
        if check_rows or p.ids is None:
            for did, issue in recovery_problems(conn, p.ids):
                p._problem(did, issue.kind, issue.zh, issue.en)
        p._built = True
        return p

    def _unrecorded_money(self, conn: Connection) -> None:
        """Money rows of the followed decisions that no event walked created (an ``audit_ref`` of no event of their
        table): a payment, return or confirmation written behind the ledger would count in what 多退少补 reckons as
        paid (``Ledger._net_paid``); the decision is not paid, sent or settled. (Recoveries and their receipts are
        checked whole, ``SETTLES``.)"""
        for table, zh in (("case_payments", "支付"), ("case_payment_returns", "退回"),
                          ("case_bank_confirmations", "银行确认")):
            known = self.refs.get(table, set())
            for ref, rows in self._rows.get(table, {}).items():
                if ref in known:
                    continue
                for r in rows:
                    did = r[_DID[table]]
                    self._problem(did, "unrecorded",
                                  f"决定 {did} 的{zh}记录（{table}，audit_ref {ref}）没有创建它的审计事件（在台账之外写入）",
                                  f"a {table} row of decision {did} (audit_ref {ref}) was created by no audit event "
                                  "(written behind the ledger)")

    def _check_gates(self, conn: Connection) -> None:
        """Every row of every ``GATES`` table against the event that created it, read in one pass per table (by
        ``audit_ref``, hashed as ``audit.rows_hash`` hashes): rows changed or deleted under an event, and rows no event
        created (a forged 稽核 verdict 排除, a review written behind the ledger), stop every payment and bank file
        (``chain``: ``Ledger._check_events`` refuses ``audit_broken``)."""
        import hashlib

        from .models import HASHED, Base

        empty = hashlib.sha256().hexdigest()
        for table in sorted(WHOLE):
            t = Base.metadata.tables[table]
            cols = HASHED[table]
            got: dict[Any, list[Any]] = {}  # ref -> [rows, hasher, first id, last id]
            try:
                for part in conn.execute(select(t.c.audit_ref, *(t.c[c] for c in cols))
                                         .order_by(t.c.audit_ref, t.c.id)).partitions(20_000):
                    for r in part:
                        g = got.get(r[0])
                        if g is None:
                            g = got[r[0]] = [0, hashlib.sha256(), r[1], r[1]]
                        g[0] += 1
                        g[1].update(("\x1f".join("\x00" if v is None else str(v) for v in r[1:]) + "\n").encode())
                        g[3] = r[1]
            except (ValueError, TypeError, ArithmeticError) as exc:  # a value its column cannot hold
                self._gate_problem("rows_changed", table, f"{table} 有记录无法读取（有字段的值不合该字段类型：{exc}），已被改动",
                                   f"rows of {table} cannot be read (a value does not fit its column: {exc}); changed")
                continue
            for ref, ev in self._gate_events.get(table, {}).items():
                n, h, lo, hi = got.pop(ref, [0, None, None, None])
                if (n, h.hexdigest() if h is not None else empty) == (ev["row_count"], ev["content_hash"]):
                    continue
                span = "" if lo is None else f" id {lo}" + (f"–{hi}" if hi != lo else "")
                self._gate_problem("rows_changed", table,
                                   f"事件 {ev['seq']}（{ev['action']}）覆盖的 {table} 记录{span} 已被改动或删除"
                                   f"（{ev['row_count']}→{n} 行或内容不符）",
                                   f"event {ev['seq']} ({ev['action']}): rows of {table}{span} it covers were changed "
                                   f"or deleted ({ev['row_count']}->{n} rows or content)")
            if got:
                ids = sorted(i for g in got.values() for i in (g[2], g[3]))
                n = sum(g[0] for g in got.values())
                self._gate_problem("unrecorded", table,
                                   f"{table} 有 {n} 行（id {ids[0]}–{ids[-1]} 之间）没有创建它们的审计事件（在台账之外写入）",
                                   f"{n} rows of {table} (ids {ids[0]}-{ids[-1]}) were created by no audit event "
                                   "(written behind the ledger)")

    def reused_payment_ids(self, conn: Connection, rep: audit.VerifyReport | None = None) -> None:
        """``reused_payment_ids`` (the module's), reported to ``rep`` or, at payment time, to ``chain``."""
        reused_payment_ids(conn, rep or self.chain)

    def _gate_problem(self, kind: str, table: str, zh: str, en: str) -> None:
        if table in SETTLES:
            self.chain.problem(kind, f"{zh}；这张表决定追回与多退少补的金额（{SETTLES_ZH[table]}），无法确定涉及哪些决定，"
                               "暂停全部发放、报盘与多退少补",
                               f"{en}; this table decides what is recovered and settled, the decisions concerned "
                               "cannot be told, so nothing is paid, sent or settled")
            return
        self.chain.problem(kind, f"{zh}；这张表决定能否发放（{GATES_ZH[table]}），无法确定涉及哪些决定，暂停全部发放与报盘",
                           f"{en}; this table decides whether money is paid, the decisions concerned cannot be told, "
                           "so nothing is paid or sent")

    def _select(self, conn: Connection, q: Any, col: Any, pos: int = 0) -> list[tuple]:
        """Rows of ``q`` whose ``col`` (at ``pos`` in the row) is a followed decision."""
        if self.ids is None:
            return [tuple(r) for r in conn.execute(q)]
        return _in_ranges(conn, q, col, pos, self.ids)

    def _put(self, table: str, rows: Iterable[tuple]) -> None:
        """Rows whose last field is their audit_ref."""
        by_ref = self._rows.setdefault(table, {})
        for r in rows:
            by_ref.setdefault(r[-1], []).append(r[:-1])

    def _load(self, conn: Connection) -> None:
        self._put("case_decisions", self._select(conn, select(
            D.id, D.init_state, D.init_account_no, D.init_hold_reason, D.amount_fen, D.payment_channel, D.audit_ref), D.id))
        self._put("case_recomputations", self._select(conn, select(R.decision_id, R.new_amount_fen, R.audit_ref),
                                                      R.decision_id))
        entries = self._select(conn, select(E.decision_id, E.list_id, E.audit_ref), E.decision_id)
        self._put("case_publicity_entries", entries)
        if self.check_rows and entries:
            lists = sorted({e[1] for e in entries})
            for i in range(0, len(lists), _IN):
                self._put("case_publicity_lists", conn.execute(select(L.id, L.audit_ref).where(
                    L.id.in_(lists[i:i + _IN]))).all())
        self._put("case_payments", self._select(conn, select(
            P.id, P.decision_id, P.kind, P.amount_fen, P.account_no, P.channel, P.audit_ref), P.decision_id, 1))
        self._put("case_payment_returns", self._select(conn, _by_ref("case_payment_returns"), P.decision_id))
        self._put("case_bank_confirmations", self._select(conn, _by_ref("case_bank_confirmations"), P.decision_id))
        self._put("case_recoveries", self._select(conn, select(C.decision_id, C.kind, C.amount_fen, C.audit_ref),
                                                  C.decision_id))
        changes = self._select(conn, select(AC.id, AC.decision_id, AC.account_no, AC.requested_by, AC.audit_ref),
                               AC.decision_id, 1)
        self._put("case_account_changes", changes)
        self._changes.update({c[0]: c[1:4] for c in changes})
        approvals = self._select(conn, _BY_REF["case_account_approvals"], AC.decision_id, 3)
        self._put("case_account_approvals", approvals)
        self._approvals.update({a[0]: a[1:3] for a in approvals})

    def _rows_of(self, conn: Connection, ev: dict[str, Any]) -> list[tuple]:
        """The rows event ``ev`` created, of the decisions followed; read by ref if they came after the build."""
        table = ev["entity"]
        rows = self._rows.get(table, {}).get(ev["ref"])
        if rows is None and self._built and table in _BY_REF:
            self._put(table, [r for r in (tuple(x) for x in conn.execute(
                _by_ref(table).where(_REF_COL[table] == ev["ref"]))) if self.ids is None or r[_DID[table]] in self.ids])
            rows = self._rows.get(table, {}).get(ev["ref"])
            if table == "case_account_changes":
                self._changes.update({c[0]: c[1:4] for c in rows or ()})
            if table == "case_account_approvals":
                self._approvals.update({a[0]: a[1:3] for a in rows or ()})
        return rows or []

    # ------------------------------------------------------------- folding
    def advance(self, conn: Connection) -> None:
        """Fold the events appended since the last call (all of them the first time)."""
        for ev in audit.walk(conn, self.chain, after_seq=self.chain.head_seq, prev=self.chain.head_hash):
            table = ev["entity"]
            if (table in WHOLE and self.check_rows and not self._built and ev["ref"] is not None
                    and ev["content_hash"] is not None):
                self._gate_events.setdefault(table, {})[ev["ref"]] = ev
            if ev["ref"] is not None:
                rows = self._rows_of(conn, ev)
                if table in MONEY:
                    self.refs.setdefault(table, set()).add(ev["ref"])
                # rows written after the build were written under the caller's eyes (this batch's payments)
                whole = table in MONEY
                if (rows or whole) and self.check_rows and not self._built and not audit.check_rows(
                        conn, rep := audit.VerifyReport(), ev):
                    if table == "case_publicity_lists":  # a list's dates decide when its decisions may be paid
                        lists = {r[0] for r in rows}
                        for refs in self._rows.get("case_publicity_entries", {}).values():
                            for did, list_id in refs:
                                if list_id in lists:
                                    self._flag(did, rep.issues[0])
                    elif table == "case_decisions" and (located := audit.locate_decision_edits(conn, ev)):
                        # the edited rows located and the others proven as imported (``audit.locate_decision_edits``):
                        # only the edited decisions are refused (outside casework audit D4, session 42)
                        for did, _col, _got, _want in located:
                            self._flag(did, rep.issues[0])
                    else:
                        for r in rows:
                            self._flag(r[_DID[table]], rep.issues[0])
                    if whole:
                        self._money_rows_changed(ev, rep.issues[0])
                if rows or (table == "case_payments" and '"ids":' in (ev["after"] or "")):
                    self._apply_rows(ev, rows)
            if table == "case_decisions" and ev["ref"] is None:
                self._apply_decision_event(conn, ev)
            elif table == "case_payee_banks" and ev["action"] == "set_payee_bank" and ev["entity_id"] is not None:
                self.banks[ev["entity_id"]] = json.loads(ev["after"])["bank_code"]
            elif (table == "case_outbox" and ev["action"] == NOTICE_SENT and ev["entity_id"] is not None
                  and self.ids is None):
                self.sent.add(int(ev["entity_id"]))

    def _money_rows_changed(self, ev: dict[str, Any], issue: audit.Issue) -> None:
        """Money rows an event created no longer hash as recorded. The decisions it names (``after.ids``, written
        since payments record them) are not paid; an event that names none could have been about any decision,
        so nothing is paid and no bank file written until the rows are restored (fail closed)."""
        after = json.loads(ev["after"] or "null")
        ids = after.get("ids") if isinstance(after, dict) else None
        if ids:
            for did in ids:
                self._flag(int(did), issue)
            return
        if ev["entity"] in SETTLES:  # what every 多退少补 and recovery reckons with
            self.chain.problem(issue.kind, f"{issue.zh}；无法确定涉及哪些决定，暂停全部发放、报盘与多退少补",
                               f"{issue.en}; the decisions concerned cannot be told, so nothing is paid, sent or settled")
            return
        self.chain.problem(issue.kind, f"{issue.zh}；无法确定涉及哪些决定，暂停全部发放与报盘",
                           f"{issue.en}; the decisions concerned cannot be told, so nothing is paid or sent")

    def _flag(self, decision_id: int, issue: audit.Issue) -> None:
        self.bad.setdefault(decision_id, issue)

    def _problem(self, decision_id: int | None, kind: str, zh: str, en: str) -> None:
        issue = audit.Issue(kind, zh, en)
        self.issues.append(issue)
        if decision_id is not None:
            self._flag(decision_id, issue)

    def _apply_rows(self, ev: dict[str, Any], rows: list[tuple]) -> None:
        table, after = ev["entity"], json.loads(ev["after"])
        if table == "case_decisions":
            legacy = audit.hash_version(after) < 2  # hashed without init_* (before migration 0003)
            for did, state, account, hold, amount, channel in rows:
                if self.check_rows:  # (kept for a payment's chunks only: ``audit verify`` follows a million decisions)
                    self.imported.setdefault(did, (amount, channel))
                if legacy:
                    self.legacy.add(did)
                    self._legacy_init[did] = {"state": state, "account_no": account, "hold_reason": hold}
                    self.derived.setdefault(did, Derived(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, None, amount, channel))
                else:
                    self.derived.setdefault(did, Derived(state, account, hold, None, None, amount, channel))
        elif table == "case_recomputations":
            for did, amount in rows:
                if (d := self.derived.get(did)) is not None:
                    d.amount = amount
        elif table == "case_payments":
            for pid, did, kind, amount, account, channel in rows:
                self._check_payment(ev, pid, did, kind, amount, account, channel)
                if kind == "initial":
                    self._last_initial[did] = pid
            paid = [r[1] for r in rows]
            found = set(paid)  # (a batch's event names 5,000: a list searched per name cost 0.1 s a chunk)
            # the decisions the event says it paid (recorded since payments name them): a row of one of them that
            # is gone (deleted, or moved to another decision) is found here, and the decision stays paid
            for did in after.get("ids") or ():
                did = int(did)
                if did not in found and (self.ids is None or did in self.ids):
                    self._problem(did, "payment",
                                  f"事件 {ev['seq']}（{ev['action']}）记载已向决定 {did} 支付，但其支付记录已不存在或已改属他人",
                                  f"event {ev['seq']} ({ev['action']}) records a payment to decision {did}, whose "
                                  "payment row is gone or moved to another decision")
                    paid.append(did)
                    found.add(did)
            if "decision_state" in after:  # a batch: its payments' decisions are paid (checked just above)
                for did in paid:
                    if (d := self.derived.get(did)) is not None:
                        if d.state != after["decision_state"]:
                            self.before_pay[did] = d.state
                        d.state = after["decision_state"]
        elif table == "case_payment_returns":
            for did, amount, pid in rows:
                self._returned[pid] = amount
                if ev["action"] == WITHDRAWN:
                    self._withdrawn.add(pid)
                if pid not in self._voided and (d := self.derived.get(did)) is not None:
                    d.net -= amount
        elif table == "case_bank_confirmations":  # only those that void a return (``_void_returns``)
            for did, pid in rows:
                if pid not in self._voided and pid in self._returned and (d := self.derived.get(did)) is not None:
                    d.net += self._returned[pid]
                self._voided.add(pid)
        elif table == "case_recoveries":
            for did, kind, amount in rows:
                if kind == "overpayment" and (d := self.derived.get(did)) is not None:
                    d.net -= amount

    def _check_payment(self, ev: dict[str, Any], pid: int, did: int, kind: str, amount: int, account: str,
                       channel: str) -> None:
        d = self.derived.get(did)
        if d is None:
            self._problem(did, "payment", f"支付 case_payments id {pid}：决定 {did} 在审计事件中不存在",
                          f"payment case_payments id {pid}: decision {did} is not in the events")
            return
        # a re-payment after a bounce pays what is still due, as a top-up does (a top-up paid before the bounce
        # stays paid); a first payment has nothing paid before it
        expect = None if kind == "initial" and d.amount is None else (d.amount or 0) - d.net
        wrong = []
        if amount != expect:
            wrong.append(("amount_fen", amount, expect))
        if account != d.account_no and d.account_no is not UNKNOWN:
            wrong.append(("account_no", account, d.account_no))
        if channel != (d.payee_channel or d.channel):
            wrong.append(("channel", channel, d.payee_channel or d.channel))
        if kind == "initial" and d.state not in PAYABLE and d.state is not UNKNOWN:
            wrong.append(("state", d.state, "/".join(sorted(PAYABLE))))
        for col, got, want in wrong:
            self._problem(did, "payment",
                          f"支付 case_payments id {pid}（决定 {did}，事件 {ev['seq']}）列 {col}：记录为 {_shown(col, got)}，"
                          f"按审计事件应为 {_shown(col, want)}",
                          f"payment case_payments id {pid} (decision {did}, event {ev['seq']}) column {col}: "
                          f"{_shown(col, got)}, events give {_shown(col, want)}")
        # a stored amount that differs counts at what the events had the decision owe (what the ledger paid), not at
        # the edit: later payments of the decision are checked against that, and are not reported with made-up
        # amounts (outside tamper audit, session 40 F6: payments 260, 271 after payment 1's amount was edited)
        d.net += expect if expect is not None and amount != expect else amount

    def _transition(self, ev: dict[str, Any], did: int, d: Derived, action: str) -> None:
        t = TRANSITIONS.get(action)
        if t is not None and t.sources and d.state is not UNKNOWN and d.state not in t.sources | t.without_confirmation:
            self._problem(did, "transition",
                          f"事件 {ev['seq']}（{ev['action']}）把决定 {did} 从“{d.state}”改变，流程不允许（被伪造或改动的事件）",
                          f"event {ev['seq']} ({ev['action']}) moves decision {did} from '{d.state}', which the "
                          "workflow does not allow (a forged or altered event)")

    def _revocation(self, ev: dict[str, Any], did: int, d: Derived, to: Any) -> None:
        """已撤销（不予发放） is final and reached only by ``revoke`` (``Ledger.revoke``), from the unpaid states after
        approval its transition lists (``_transition`` checks the source): an event that moves a decision into it by
        another action, a revoke event that moves it anywhere else, or any event that moves it out, is forged or
        altered."""
        if d.state == REVOKED or ev["action"] != REVOKE or to not in TRANSITIONS[REVOKE].targets:
            self._problem(did, "transition",
                          f"事件 {ev['seq']}（{ev['action']}）把决定 {did} 从“{d.state}”改为“{to}”：只有“撤销核准，不予发放”改为"
                          "已撤销，已撤销的决定不再改变（被伪造或改动的事件）",
                          f"event {ev['seq']} ({ev['action']}) moves decision {did} from '{d.state}' to '{to}': only "
                          "a revoke moves a decision to revoked, and a revoked decision stays so (a forged or altered "
                          "event)")

    def _withdrawal(self, ev: dict[str, Any], did: int, d: Derived, to: Any) -> None:
        """A decision moved back from paid because its payment was withdrawn before it was sent: only from paid, only
        to the state it had before that payment, and only once that payment's withdrawal (its return row, action
        ``WITHDRAWN``) is folded; anything else is a forged or altered event."""
        pid = self._last_initial.get(did)
        ok = d.state in ("paid", UNKNOWN) and pid is not None and pid in self._withdrawn and (
            to == self.before_pay.get(did) or self.before_pay.get(did) in (None, UNKNOWN) and to in PAYABLE)
        if not ok:
            self._problem(did, "transition",
                          f"事件 {ev['seq']}（{ev['action']}）把决定 {did} 从“{d.state}”改为“{to}”，但其付款未撤回或"
                          "不是回到付款前的状态（被伪造或改动的事件）",
                          f"event {ev['seq']} ({ev['action']}) moves decision {did} from '{d.state}' to '{to}' without "
                          "its payment withdrawn, or not back to its state before that payment (a forged or altered event)")

    def _apply_decision_event(self, conn: Connection, ev: dict[str, Any]) -> None:
        after = json.loads(ev["after"])
        if not isinstance(after, dict):
            return
        if ev["entity_id"] is not None:
            targets: Iterable[int] = [int(ev["entity_id"])]
        elif "ids" in after:
            targets = after["ids"]
        elif "publicity_ref" in after:
            targets = [r[0] for r in self._rows.get("case_publicity_entries", {}).get(after["publicity_ref"], ())]
        else:
            return
        changes = {k: after[k] for k in WF if k in after}
        for did in targets:
            d = self.derived.get(did)
            if d is None:
                if self.ids is None or did in self.ids:
                    self._problem(did, "transition", f"事件 {ev['seq']}（{ev['action']}）涉及的决定 {did} 没有创建它的事件",
                                  f"event {ev['seq']} ({ev['action']}) touches decision {did}, which no event created")
                continue
            if "state" in changes and changes["state"] != d.state:
                if ev["action"] == WITHDRAWN:
                    self._withdrawal(ev, did, d, changes["state"])
                else:
                    self._transition(ev, did, d, ev["action"])
                    if ev["action"] == REVOKE or REVOKED in (changes["state"], d.state):
                        self._revocation(ev, did, d, changes["state"])
                    if ev["action"] == "pay":  # ``pay_decision``: the move to paid is its own event
                        self.before_pay[did] = d.state
            if "account_no" in changes:
                self._check_account_change(conn, ev, did, after)
            for k, v in changes.items():
                setattr(d, k, v)

    def _check_account_change(self, conn: Connection, ev: dict[str, Any], did: int, after: dict[str, Any]) -> None:
        cid = after.get("change_id")
        if cid is None and did in self.legacy and ev["action"] in ("set_account", "confirm", "fix_account", "reroute"):
            self.legacy_account_changes += 1  # before migration 0003 one person could change an account
            return
        if cid is not None and cid not in self._changes:  # a change made after the build
            c = conn.execute(select(AC.id, AC.decision_id, AC.account_no, AC.requested_by).where(AC.id == cid)).first()
            a = conn.execute(select(AA.change_id, AA.approver, AA.approve).where(AA.change_id == cid)).first()
            if c is not None:
                self._changes[cid] = tuple(c)[1:]
            if a is not None:
                self._approvals[cid] = tuple(a)[1:]
        change, approval = self._changes.get(cid), self._approvals.get(cid)
        ok = (change is not None and approval is not None and change[0] == did and change[1] == after["account_no"]
              and approval[1] == 1 and approval[0] != change[2] and approval[0] == ev["actor"])
        if not ok:
            self._problem(did, "unapproved_account",
                          f"事件 {ev['seq']}（{ev['action']}）把决定 {did} 的收款账户改为 {_shown('account_no', after['account_no'])}，"
                          "没有另一人复核通过的账户变更申请",
                          f"event {ev['seq']} ({ev['action']}) sets decision {did}'s account to "
                          f"{_shown('account_no', after['account_no'])} without a change request approved by a second person")

    # ---------------------------------------------------------- comparing
    def differences(self, conn: Connection, ids: Collection[int] | None = None,
                    stored: list[tuple] | None = None) -> list[Diff]:
        """Stored workflow columns that differ from the events, for ``ids`` (default: all followed).
        ``stored``: the rows (``STORED`` columns) if the caller has read them already. With all decisions followed
        and compared (``audit verify``), the outbox messages' state too (``outbox_differences``)."""
        everything = self.ids is None and ids is None
        ids = self.ids if ids is None else frozenset(ids)
        if stored is None:
            q = select(*STORED)
            stored = [tuple(r) for r in conn.execute(q)] if ids is None else _in_ranges(conn, q, D.id, 0, ids)
        out: list[Diff] = []
        seen = set()
        for did, *vals in stored:
            seen.add(did)
            d = self.derived.get(did)
            if d is None:
                out.append(Diff("case_decisions", did, "*", "没有创建这一行的审计事件（在台账之外写入）",
                                "no audit event created this row (written behind the ledger)"))
                continue
            for col, v in zip(WF, vals, strict=True):
                want = getattr(d, col)
                if want is UNKNOWN:  # a pre-0003 decision no event set this for: as it was at migration
                    want = self._legacy_init[did].get(col, _iso(v))
                if _iso(v) != want:
                    out.append(Diff("case_decisions", did, col, _iso(v), want))
        for did in sorted((set(self.derived) if ids is None else ids & self.derived.keys()) - seen):
            out.append(Diff("case_decisions", did, "*", "审计事件创建的这一行已被删除",
                                "the row the events created has been deleted"))
        if everything:
            out += self.outbox_differences(conn)
        return out

    def outbox_differences(self, conn: Connection) -> list[Diff]:
        """Outbox messages whose stored ``state`` differs from the events (all decisions followed only): ``sent``
        with no ``notice_sent`` event (marked sent behind the ledger: ``case send`` skips it, it never goes out), or
        another state though an event sent it (put back behind the ledger: it would go out again). A message an
        event sent that is gone is a row deleted, found by its creating event's re-hash."""
        assert self.ids is None, "the notice_sent events are collected only when every decision is followed"
        out: list[Diff] = []
        for oid, state in conn.execute(select(OB.id, OB.state).order_by(OB.id)):
            if (state == SENT) == (oid in self.sent):
                continue
            if state == SENT:
                out.append(Diff("case_outbox", oid, "*",
                                "列 state：存储值 'sent'，但没有发送它的审计事件（notice_sent）：未经记录标为已发送，这条消息不会再发出",
                                "column state: stored 'sent', but no audit event (notice_sent) sent it: marked sent behind "
                                "the ledger, so the message never goes out"))
            else:
                out.append(Diff("case_outbox", oid, "state", state, SENT))
        return out

    def bank_differences(self, conn: Connection, accounts: Collection[str] | None = None) -> list[Diff]:
        """Stored payee banks (of ``accounts``; default all) that differ from their ``set_payee_bank`` events."""
        q = select(K.account_no, K.bank_code)
        if accounts is None:
            stored = dict(tuple(r) for r in conn.execute(q))
        else:
            accounts = sorted(set(accounts))
            stored = {}
            for i in range(0, len(accounts), _IN):
                stored.update(tuple(r) for r in conn.execute(q.where(K.account_no.in_(accounts[i:i + _IN]))))
        out: list[Diff] = []
        for acc, code in sorted(stored.items()):
            want = self.banks.get(acc)
            if want is None:
                out.append(Diff("case_payee_banks", acc, "*", "没有登记这一行的审计事件（在台账之外写入）",
                                "no audit event recorded this row (written behind the ledger)"))
            elif code != want:
                out.append(Diff("case_payee_banks", acc, "bank_code", code, want))
        followed = self.banks.keys() if accounts is None else set(accounts) & self.banks.keys()
        for acc in sorted(followed - stored.keys()):
            out.append(Diff("case_payee_banks", acc, "*", "审计事件登记的这一行已被删除",
                            "the row the events recorded has been deleted"))
        return out

    def imported_edits(self, rows: Iterable[tuple]) -> dict[int, audit.Issue]:
        """Of ``rows`` (decision id, amount_fen, payment_channel as stored now), those that differ from what the
        decision's import event hashed, as the build read and re-hashed them: an edit by SQL since the build (a
        payment batch builds once and pays chunk by chunk; this is compared under the write lock of each chunk)."""
        out: dict[int, audit.Issue] = {}
        for did, amount, channel in rows:
            want = self.imported.get(did)
            if want is None or want == (amount, channel):
                continue
            if amount != want[0]:
                col, got, was = "amount_fen", _yuan(amount), _yuan(want[0])
            else:
                col, got, was = "payment_channel", repr(channel), repr(want[1])
            out[did] = audit.Issue(
                "rows_changed",
                f"决定 {did} 列 {col}：存储值 {got}，按导入事件（与其哈希相符）应为 {was}：已被改动，不予发放",
                f"decision {did} column {col}: stored {got}, its import event gives {was}: changed, not paid",
            )
        return out

    def refused(self, conn: Connection, ids: Collection[int], stored: list[tuple] | None = None) -> dict[int, audit.Issue]:
        """Of ``ids``, those not to be paid and the first reason for each."""
        ids = frozenset(ids)
        out = {did: issue for did, issue in self.bad.items() if did in ids}
        for diff in self.differences(conn, ids, stored):
            out.setdefault(diff.row_id, diff.issue())
        return out


def reused_payment_ids(conn: Connection, rep: audit.VerifyReport) -> None:
    """A row that names a payment (a bank-file item, a return, a bank confirmation) recorded before the payment
    that now holds its id, or naming no payment at all: payments were deleted and, on SQLite, their ids given again
    to new ones, which would be taken as already sent, returned or credited (outside tamper audit, session 40 F6:
    ``DELETE FROM case_payments``, then 「已写入报盘文件 3」 of three payments never sent). Stops every payment and
    bank file; checked by ``Ledger.bank_file_plan`` too, which reads
    from those rows which payments were sent."""
    from .models import BankFileItem

    ep = audit._EV.alias("ep")
    er = audit._EV.alias("er")
    for model, zh in ((BankFileItem, "报盘明细"), (PaymentReturn, "退回记录"), (BankConfirmation, "银行确认")):
        t = model.__table__
        orphan = conn.execute(select(t.c.payment_id).where(~t.c.payment_id.in_(select(P.id))).order_by(
            t.c.payment_id).limit(10)).scalars().all()
        older = conn.execute(
            select(t.c.payment_id).select_from(
                t.join(Payment.__table__, P.id == t.c.payment_id).join(er, er.c.ref == t.c.audit_ref)
                .join(ep, ep.c.ref == P.audit_ref))
            .where(er.c.seq < ep.c.seq).order_by(t.c.payment_id).limit(10)).scalars().all()
        if orphan or older:
            name = t.name
            rep.problem(
                "unrecorded",
                f"{name}（{zh}）指向已不存在或后来才创建的付款 id {'、'.join(map(str, sorted({*orphan, *older})))}："
                "付款记录被删除，其 id 可能已被新付款重用（会被当作已报盘、已退回或已确认），暂停全部发放与报盘",
                f"{name} names payment ids {sorted({*orphan, *older})} that are gone or were created after it: "
                "payments were deleted and their ids may be given again (taken as sent, returned or confirmed); "
                "nothing is paid or sent")


def recovery_problems(conn: Connection, ids: Collection[int] | None = None) -> list[tuple[int, audit.Issue]]:
    """Recovery orders, their cancellations and their receipts replayed in the order of the events that wrote them
    (of decisions ``ids``, or all), each against what the ledger allows at that moment: a receipt only on an order
    not cancelled, and the receipts of an order together never above it (``Ledger.record_recovery_receipt``); a
    cancellation (``Ledger._cancel_open_overpayments``: ``seq`` minus the order's id) only of an order not cancelled
    yet, for exactly minus what was not received of it then. Each row is also re-hashed against its event elsewhere;
    this finds what a row edited and put back in between left behind (outside ledger audit, session 41: a receipt
    deleted while a resize cancelled its order as unreceived, then restored; an order raised while a receipt of
    100,779.62元 was taken on it, then set back). Returns (decision id, issue) pairs."""
    EV = audit._EV.alias("ev_rec")
    K = RecoveryReceipt.__table__.c
    q_rec = (select(EV.c.seq, C.id, C.decision_id, C.kind, C.seq, C.amount_fen)
             .select_from(Recovery.__table__.join(EV, EV.c.ref == C.audit_ref)))
    q_rct = (select(EV.c.seq, K.id, C.decision_id, K.recovery_id, K.amount_fen)
             .select_from(RecoveryReceipt.__table__.join(EV, EV.c.ref == K.audit_ref)
                          .join(Recovery.__table__, C.id == K.recovery_id)))
    if ids is not None:
        # only the followed decisions that have a recovery order: few, where the ids may be a whole batch's (an IN of
        # every 5,000 of 100 k ids, twice, was 2 s of a payment batch on PostgreSQL, for an empty table)
        ids = sorted(set(ids) & set(conn.execute(select(C.decision_id).distinct()).scalars()))
        if not ids:
            return []
        recs: list[tuple] = []
        rcts: list[tuple] = []
        for i in range(0, len(ids), _IN):
            part = ids[i:i + _IN]
            recs += [tuple(r) for r in conn.execute(q_rec.where(C.decision_id.in_(part)))]
            rcts += [tuple(r) for r in conn.execute(q_rct.where(C.decision_id.in_(part)))]
    else:
        recs = [tuple(r) for r in conn.execute(q_rec)]
        rcts = [tuple(r) for r in conn.execute(q_rct)]
    steps = sorted([(ev, 0, rid, r) for ev, rid, *r in recs] + [(ev, 1, kid, r) for ev, kid, *r in rcts],
                   key=lambda x: x[:3])
    orders: dict[int, dict[str, Any]] = {}  # order id -> decision, kind, amount, received, cancelled
    out: list[tuple[int, audit.Issue]] = []

    def bad(did: int, zh: str, en: str) -> None:
        out.append((did, audit.Issue("projection", zh, en)))

    for ev, what, row_id, r in steps:
        if what == 0:
            did, kind, seq, amount = r
            if amount > 0:
                orders[row_id] = {"did": did, "kind": kind, "amount": int(amount), "got": 0, "cancelled": False}
            elif amount < 0 or seq < 0:
                o = orders.get(-seq) if seq < 0 else None
                if o is None or o["did"] != did or o["kind"] != kind or o["cancelled"]:
                    bad(did, f"case_recoveries id {row_id}（事件 {ev}）撤销追回单 {-seq}，但该追回单不存在、不属于决定 {did} "
                             "或已撤销（记录被改动）",
                        f"case_recoveries id {row_id} (event {ev}) cancels recovery {-seq}, which does not exist, is not "
                        f"decision {did}'s or was cancelled already (rows changed)")
                    continue
                o["cancelled"] = True
                want = -(o["amount"] - o["got"])
                if amount != want:
                    bad(did, f"case_recoveries id {row_id}（事件 {ev}）撤销追回单 {-seq} 的金额为 {format_yuan(-amount)}，"
                             f"按撤销时的记录应为 {format_yuan(-want)}（追回 {format_yuan(o['amount'])}，已到账 "
                             f"{format_yuan(o['got'])}）：撤销时读取的追回或到账记录曾被改动",
                        f"case_recoveries id {row_id} (event {ev}) cancels {-amount} fen of recovery {-seq}; the "
                        f"records give {-want} fen ({o['amount']} ordered, {o['got']} received): the recoveries or "
                        "receipts read then had been changed")
        else:
            did, rid, amount = r
            o = orders.get(rid)
            if o is None or o["cancelled"]:
                bad(did, f"case_recovery_receipts id {row_id}（事件 {ev}）登记在追回单 {rid} 上，但该追回单"
                         f"{'此前已撤销' if o else '不存在'}（记录被改动）",
                    f"case_recovery_receipts id {row_id} (event {ev}) is on recovery {rid}, which "
                    f"{'was cancelled before' if o else 'does not exist'} (rows changed)")
                continue
            o["got"] += int(amount)
            if o["got"] > o["amount"]:
                bad(did, f"追回单 {rid} 的到账合计 {format_yuan(o['got'])}超过追回金额 {format_yuan(o['amount'])}"
                         f"（case_recovery_receipts id {row_id}，事件 {ev}）：登记时读取的追回单曾被改动",
                    f"recovery {rid}: receipts total {o['got']} fen, above the {o['amount']} fen ordered "
                    f"(case_recovery_receipts id {row_id}, event {ev}): the order read then had been changed")
    return out


def _in_ranges(conn: Connection, q: Any, col: Any, pos: int, ids: frozenset[int]) -> list[tuple]:
    """Rows of ``q`` with ``col`` in ``ids``, read by id range (``BETWEEN``, on an index) rather than by long
    ``IN`` lists: a payment batch's ids are mostly consecutive. A range holds at most ``_IN`` ids and spans at most
    ``4 * _IN`` ids, so sparse ids never scan much."""
    out: list[tuple] = []
    s = sorted(ids)
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and j + 1 - i < _IN and s[j + 1] - s[i] < 4 * _IN:
            j += 1
        out += [t for t in (tuple(r) for r in conn.execute(q.where(col.between(s[i], s[j])))) if t[pos] in ids]
        i = j + 1
    return out


# Reading a ref's rows after the build (events appended meanwhile): same columns as _load; _DID = decision's index.
_BY_REF: dict[str, Any] = {
    "case_decisions": select(D.id, D.init_state, D.init_account_no, D.init_hold_reason, D.amount_fen, D.payment_channel, D.audit_ref),
    "case_recomputations": select(R.decision_id, R.new_amount_fen, R.audit_ref),
    "case_publicity_entries": select(E.decision_id, E.list_id, E.audit_ref),
    "case_payments": select(P.id, P.decision_id, P.kind, P.amount_fen, P.account_no, P.channel, P.audit_ref),
    "case_payment_returns": select(P.decision_id, X.amount_fen, X.payment_id, X.audit_ref).select_from(
        PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id)),
    # bank confirmations that void a return: ``_void_returns`` (built on first use, see ``_by_ref``)
    "case_bank_confirmations": None,
    "case_recoveries": select(C.decision_id, C.kind, C.amount_fen, C.audit_ref),
    "case_account_changes": select(AC.id, AC.decision_id, AC.account_no, AC.requested_by, AC.audit_ref),
    "case_account_approvals": select(AA.change_id, AA.approver, AA.approve, AC.decision_id, AA.audit_ref).select_from(
        AccountApproval.__table__.join(AccountChange.__table__, AA.change_id == AC.id)),
}
_REF_COL = {"case_decisions": D.audit_ref, "case_recomputations": R.audit_ref, "case_publicity_entries": E.audit_ref,
            "case_payments": P.audit_ref, "case_payment_returns": X.audit_ref, "case_recoveries": C.audit_ref,
            "case_bank_confirmations": KB.c.audit_ref,
            "case_account_changes": AC.audit_ref, "case_account_approvals": AA.audit_ref}
_DID = {"case_decisions": 0, "case_recomputations": 0, "case_publicity_entries": 0, "case_payments": 1,
        "case_payment_returns": 0, "case_bank_confirmations": 0, "case_recoveries": 0, "case_account_changes": 1,
        "case_account_approvals": 3, "case_publicity_lists": None}


def _void_returns() -> Any:
    """The bank confirmations that make a return not count, by the ledger's own rule (``Ledger._returned``, not a
    second one): (decision, payment, the confirmation's audit_ref)."""
    from .ledger import Ledger  # the ledger imports this module

    return (select(P.decision_id, X.payment_id, KB.c.audit_ref)
            .select_from(PaymentReturn.__table__.join(Payment.__table__, X.payment_id == P.id)
                         .join(KB, KB.c.payment_id == X.payment_id))
            .where(~Ledger._returned()))


def _by_ref(table: str) -> Any:
    if _BY_REF[table] is None:
        _BY_REF[table] = _void_returns()
    return _BY_REF[table]
