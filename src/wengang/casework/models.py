"""Casework ledger: the input contract (``DecisionIn``) and the SQLAlchemy 2 tables.

Money is integer fen in ``BigInteger`` columns. Every table whose rows are *facts* (a decision's rule
output, a payment, a bounce, a recovery ...) is append-only: rows are inserted, never updated. Each such
row carries ``audit_ref``, the reference of the audit event that created it; the event stores a SHA-256
hash of those rows' content (see ``audit.py``), so a row edited behind the ledger's back is detected.
The only mutable columns are workflow columns (``case_decisions.state``, ``account_no``, ``payee_channel``,
``deadline``, ``hold_reason``, ``version``), the payee banks (``case_payee_banks``) and the outbox delivery status;
every change to them is an audit event with before/after.
``changed_at`` stamps the last change of a decision row (for finding cases by date; not evidence: the audit
chain is).
The workflow columns are a projection of the events: their starting values (``init_*``; ``payee_channel`` always
starts NULL) are hashed with the row, every later value is in an event, and ``projection.py`` rebuilds them to check
the stored ones (at payment and in ``audit verify``); likewise the payee banks from their ``set_payee_bank`` events
(at bank-file time and in ``audit verify``). A payee account changes only by a request (``case_account_changes``) that a second person
approves (``case_account_approvals``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .errors import LedgerError

if TYPE_CHECKING:
    import polars as pl


def utc_now_iso() -> str:
    """Now, as the audit trail writes its ``at`` (UTC ISO 8601 with microseconds): such texts sort as times."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


# BIGINT primary keys autoincrement on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

STATUSES = ("eligible", "ineligible", "needs_decision", "not_determinable")
CHANNELS = ("corporate_account", "tax_payment_account", "personal_account")


@dataclass(slots=True)
class DecisionIn:
    """One decision as the rules engine hands it over (the input contract).

    ``claim_key`` separates several claims of one unit in one program and year (a person's skill
    subsidies: ``"<职业代码>:<等级>"``); it is empty for a unit's yearly 稳岗返还. It is put in its one written
    form on construction (``canonical_claim_key``, see ``CLAIM_KEYS``), or the decision is refused: a spelling
    variant is never a second claim. ``account_no`` and ``contact`` are optional: the payee account (对公账户 or
    the 税务 social-insurance payment account) and the phone/portal id notices go to.
    """

    unit_id: str
    unit_name: str
    region_code: str
    program: str
    policy_doc: str
    clause: str
    status: str
    amount_fen: int | None
    reasons: list[str]
    explanation: str
    readings: dict[str, str]
    payment_channel: str
    size_class: str | None
    year: int
    claim_key: str = ""
    account_no: str | None = None
    contact: str | None = None
    # entitled, but payment waits (兵团征求意见稿 二(一) 缓缴未补足): imported straight into 'held'
    payment_hold: bool = False
    payment_hold_reason: str | None = None
    # a 待认定 decision's result under each reading of the switches it depends on, packed as the screening writes them
    # (``默认:eligible:143844|fanhuan.months_fully_paid=consecutive:ineligible:``, rules.batch): the 告知书 lists them
    outcomes: str | None = None
    # the 返还基数 the amount was computed from (稳岗返还's ``base`` output), in fen: the 决定书 states it and a 划型变更
    # rescales it exactly; None where the rules give none or it is not known
    base_fen: int | None = None

    def __post_init__(self) -> None:
        self.claim_key = canonical_claim_key(self.program, self.claim_key)


# ------------------------------------------------------------------ claim keys: one written form
# The natural key is (year, program, unit_id, claim_key): a claim key written two ways would be two claims, paid
# twice. The programs below are the ones where one subject has several claims in a year, and what tells them apart;
# every other program has one claim per subject and year (稳岗返还: 内人社发〔2025〕18号 一 a unit's refund of the
# year) and an empty claim key.
OCCUPATION_LEVEL = "occupation_level"  # "<职业编码>:<等级>"
GRADUATE = "graduate"  # the hired graduate's 公民身份号码
CLAIM_KEYS: dict[str, str] = {
    # 内人社发〔2025〕18号 二 “同一职业（工种）同一等级只能申请并享受 1 次”; 人社部发〔2024〕40号 三; 兵团征求意见稿 一（二）
    "skill_subsidy": OCCUPATION_LEVEL,
    # 职业技能提升行动培训补贴: matched against 技能提升补贴 by the same key (“不得和职业培训补贴重复享受”, ledger
    # DUPLICATE_SCOPES)
    "training_subsidy": OCCUPATION_LEVEL,
    # 内人社办发〔2022〕86号 三（三）8、9 “按每人 1500 元的标准”: one claim per graduate hired (programs/one_off.py)
    "job_expansion": GRADUATE,
    "hiring_subsidy": GRADUATE,
}
# 2022 职业分类大典 细类 code D-DD-DD-DD, 大类 1–8 (domain/facts.md §5; facts.person.OCCUPATION_CODE_RE, ASCII digits)
OCCUPATION_CODE = re.compile(r"[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}")
LEVEL_DIGITS = re.compile(r"[0-9]+")
# 五级（初级）… 一级（高级技师） (domain/facts.md §5)
LEVELS = range(1, 6)


def _program_zh(program: str) -> str:
    from wengang.policies.required import PROGRAM_LABELS

    return PROGRAM_LABELS.get(program, program)


def canonical_claim_key(program: object, key: object) -> str:
    """The one written form of a claim key, or a ``LedgerError`` (code ``bad_claim_key``) saying why not.

    NFKC first (full-width digits, hyphens and the full-width colon become ASCII), then spaces around the key and
    its parts go. ``"<职业编码>:<等级>"`` programs: the code as D-DD-DD-DD, the level an integer 1–5 written without
    leading zeros (“04” is 4). Per-graduate programs: the 公民身份号码, checked and normalised (``X`` upper case).
    Every other program: empty — a non-empty key is refused, never kept as a second claim of the year."""
    if key is None:
        key = ""
    if not isinstance(key, str):
        raise LedgerError("bad_claim_key", f"申领标识（claim_key）应为文本，收到 {type(key).__name__}",
                          f"the claim key must be text, got {type(key).__name__}")
    text = unicodedata.normalize("NFKC", key).strip()
    kind = CLAIM_KEYS.get(program) if isinstance(program, str) else None
    label = f"{_program_zh(program)}（{program}）" if isinstance(program, str) else str(program)
    if kind is None:
        if text:
            from wengang.documents.masking import mask_text

            shown = mask_text(key)
            raise LedgerError(
                "bad_claim_key",
                f"{label}每个单位（个人）每年度只有一项申领，不得填写申领标识（claim_key），收到“{shown}”：请去掉"
                f" --claim-key。同一单位同一年度再次申请的，按已有决定办理，不另立决定",
                f"{program} has one claim per unit (person) and year: the claim key must be empty, got {shown!r}; "
                f"drop --claim-key (a second application of the year goes to the decision already there)")
        return ""
    if kind == OCCUPATION_LEVEL:
        occupation, colon, level = (part.strip() for part in text.partition(":"))
        if not text:
            raise LedgerError("bad_claim_key", f"{label}须注明职业（工种）与等级：申领标识写作 职业编码:等级，如 6-31-01-03:4",
                              f"{program} needs its occupation and level: a claim key occupation:level, e.g. 6-31-01-03:4")
        if not (colon and OCCUPATION_CODE.fullmatch(occupation) and LEVEL_DIGITS.fullmatch(level)
                and int(level) in LEVELS):
            raise LedgerError(
                "bad_claim_key",
                f"{label}的申领标识“{key}”格式不符：应写作 职业编码:等级，职业编码为国家职业分类大典的 D-DD-DD-DD"
                f"（大类1～8，如 6-31-01-03），等级为 1～5 的整数（5 初级 … 1 高级技师），如 6-31-01-03:4",
                f"{program} claim key {key!r} must be occupation:level, the occupation code D-DD-DD-DD of the 2022 "
                f"classification (major group 1..8, e.g. 6-31-01-03) and the level an integer 1..5, e.g. 6-31-01-03:4")
        return f"{occupation}:{int(level)}"
    from wengang.facts.identifiers import InvalidIdentifier, validate_id_number

    try:
        return validate_id_number(text)
    except InvalidIdentifier as exc:
        raise LedgerError("bad_claim_key",
                          f"{label}按每名招用的毕业生申领，申领标识（claim_key）应为该毕业生的公民身份号码：{exc.message_zh}",
                          f"{program} is claimed per graduate hired: the claim key must be the graduate's ID number: "
                          f"{exc.message_en}") from None


def stored_claim_key(program: str, key: str | None) -> str:
    """The claim a key already stored (or written by another system: a risk flag) names, in canonical form: in a
    program of one claim per subject and year any key is that one claim (""); elsewhere the canonical form, or the key
    as written when it has none. Used to compare, never to refuse: a ledger may hold keys stored before keys had
    one form (outside audit A: “6-31-01-03:04” stored, “6-31-01-03:4” imported again = paid twice)."""
    if program not in CLAIM_KEYS:
        return ""
    try:
        return canonical_claim_key(program, key or "")
    except LedgerError:
        return key or ""


def stored_claim_keys(frame: pl.DataFrame, program: str | None = None, *, several_only: bool = False) -> pl.DataFrame:
    """``stored_claim_key`` on a frame's ``claim_key`` column (one call per distinct key), for ``program`` or the
    frame's own ``program`` column. ``several_only``: keys of one-claim programs stay as written (a risk flag naming
    a claim such a program does not have concerns none of its decisions)."""
    import polars as pl

    if frame.height == 0:
        return frame
    by = ["claim_key"] if program is not None else ["program", "claim_key"]
    pairs = frame.select(by).unique()
    mapped = []
    for row in pairs.iter_rows():
        prog, key = (program, row[0]) if program is not None else (row[0], row[1])
        mapped.append(key if several_only and prog not in CLAIM_KEYS else stored_claim_key(prog, key))
    if mapped == [k or "" for k in pairs.get_column("claim_key").to_list()]:
        return frame  # every key already in its form: nothing to rewrite
    mapping = pairs.with_columns(pl.Series("_k", mapped, dtype=pl.String))
    return frame.join(mapping, on=by, how="left", nulls_equal=True, maintain_order="left") \
        .with_columns(pl.col("_k").alias("claim_key")).drop("_k")


def canonical_claim_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """``canonical_claim_key`` on a decisions frame's ``claim_key`` column (one call per distinct (program, key));
    a key that has no written form refuses the whole frame, naming the first rows (the ledger takes no partial run)."""
    import polars as pl

    if "claim_key" not in frame.columns or "program" not in frame.columns or frame.height == 0:
        return frame
    keyed = frame.with_columns(pl.col("program").cast(pl.String), pl.col("claim_key").cast(pl.String).fill_null(""))
    found: list[tuple[str, str, str | None, str | None, str | None]] = []
    for program, key in keyed.select("program", "claim_key").unique().iter_rows():
        try:
            found.append((program, key, canonical_claim_key(program, key), None, None))
        except LedgerError as exc:
            found.append((program, key, None, exc.zh, exc.en))
    if all(zh is None and key == done for _, key, done, zh, _ in found):
        return keyed
    mapping = pl.DataFrame(found, schema={"program": pl.String, "claim_key": pl.String, "_canonical": pl.String,
                                          "_zh": pl.String, "_en": pl.String}, orient="row")
    joined = keyed.with_row_index("_row").join(mapping, on=["program", "claim_key"], how="left", maintain_order="left")
    bad = joined.filter(pl.col("_zh").is_not_null())
    if bad.height:
        shown = bad.head(5).select("_row", "_zh", "_en").rows()
        raise LedgerError("bad_claim_key",
                          f"有 {bad.height} 行的申领标识（claim_key）不合格，整批未入库。"
                          + "；".join(f"第 {r + 1} 行：{zh}" for r, zh, _ in shown),
                          f"{bad.height} rows have a bad claim key, nothing imported. "
                          + "; ".join(f"row {r + 1}: {en}" for r, _, en in shown))
    return joined.with_columns(pl.col("_canonical").alias("claim_key")).drop("_row", "_canonical", "_zh", "_en")


@dataclass(slots=True)
class RunIn:
    """A screening run: what went in (file fingerprints), which policy versions and readings were used."""

    program: str
    year: int
    region_code: str
    inputs: dict[str, str]  # input name -> sha256 fingerprint
    policy_versions: dict[str, str]  # 文号 -> version / content hash
    readings: dict[str, str] = field(default_factory=dict)  # interpretation switch -> chosen reading


@dataclass(slots=True)
class AllocationIn:
    """A dispatch firm's share for one user unit (用工单位) it sends workers to."""

    user_unit_id: str
    user_unit_name: str
    workers: int
    amount_fen: int
    public_institution: bool = False  # 机关事业单位: outside 稳岗返还 (晋人社厅发〔2024〕28号 五)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    __tablename__ = "case_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_key: Mapped[str] = mapped_column(String(64), unique=True)
    program: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(12))
    inputs: Mapped[str] = mapped_column(Text)
    policy_versions: Mapped[str] = mapped_column(Text)
    readings: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Decision(Base):
    __tablename__ = "case_decisions"
    __table_args__ = (
        UniqueConstraint("year", "program", "unit_id", "claim_key", name="uq_case_decisions_natural"),
        Index("ix_case_decisions_pys", "program", "year", "state"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("case_runs.id"), nullable=True)
    origin: Mapped[str] = mapped_column(String(16))  # screening | self_application | dispatch | application
    year: Mapped[int] = mapped_column(Integer)
    program: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[str] = mapped_column(String(32))
    claim_key: Mapped[str] = mapped_column(String(64), default="")
    unit_name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12))
    policy_doc: Mapped[str] = mapped_column(String(64))
    clause: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reasons: Mapped[str] = mapped_column(Text)  # JSON list
    explanation: Mapped[str] = mapped_column(Text)
    readings: Mapped[str] = mapped_column(Text)  # JSON object
    payment_channel: Mapped[str] = mapped_column(String(24))
    size_class: Mapped[str | None] = mapped_column(String(16), nullable=True)
    contact: Mapped[str | None] = mapped_column(String(64), nullable=True)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)
    # workflow columns (mutable, every change audited)
    state: Mapped[str] = mapped_column(String(24))
    account_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    hold_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it is 'held' (缓缴未补足 ...)
    # the channel money now goes by when it differs from the rules' payment_channel (re-routed to the 税务 account)
    payee_channel: Mapped[str | None] = mapped_column(String(24), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # last change of this row: set by the import and by every UPDATE the ledger issues (SQLAlchemy onupdate)
    changed_at: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True, default=utc_now_iso,
                                                   onupdate=utc_now_iso)
    # the workflow columns' values when the row was created (immutable, hashed): where the projection starts
    init_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    init_account_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    init_hold_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the 返还基数 the amount was computed from, in fen, and a 待认定 decision's result under each reading (packed as
    # rules.batch writes them): hashed from hash version 4 (migration 0010)
    base_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    outcomes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Recomputation(Base):
    """A new entitlement for a decision: size-class change (划型变更) or a caseworker's determination."""

    __tablename__ = "case_recomputations"
    __table_args__ = (UniqueConstraint("decision_id", "seq", name="uq_case_recomputations_seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # size_class | determination | reading | misuse | duplicate
    new_status: Mapped[str] = mapped_column(String(20))
    new_size_class: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Review(Base):
    __tablename__ = "case_reviews"
    __table_args__ = (UniqueConstraint("decision_id", "stage", name="uq_case_reviews_stage"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    stage: Mapped[int] = mapped_column(Integer)  # 1 初审, 2 复审
    reviewer: Mapped[str] = mapped_column(String(64))
    approve: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class PublicityList(Base):
    __tablename__ = "case_publicity_lists"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_key: Mapped[str] = mapped_column(String(64), unique=True)
    program: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class PublicityEntry(Base):
    __tablename__ = "case_publicity_entries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_publicity_lists.id"))
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"), unique=True)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class PaymentBatch(Base):
    __tablename__ = "case_payment_batches"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_key: Mapped[str] = mapped_column(String(64), unique=True)
    program: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Payment(Base):
    __tablename__ = "case_payments"
    __table_args__ = (UniqueConstraint("decision_id", "kind", "seq", name="uq_case_payments_once"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("case_payment_batches.id"), nullable=True
    )
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    kind: Mapped[str] = mapped_column(String(16))  # initial | supplement
    seq: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(24))
    account_no: Mapped[str] = mapped_column(String(64))
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class PaymentReturn(Base):
    """A bounced payment (退回): money came back; the payment row itself is never changed."""

    __tablename__ = "case_payment_returns"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_payments.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class PayeeBank(Base):
    """The payee's bank (12-digit 支付系统行号) of an account, for the bank file (mutable; changes audited)."""

    __tablename__ = "case_payee_banks"
    account_no: Mapped[str] = mapped_column(String(64), primary_key=True)  # digits only, as in the bank file
    bank_code: Mapped[str] = mapped_column(String(12))


class BankFile(Base):
    """A disbursement file written for (part of) a payment batch (docs/bank-file.md)."""

    __tablename__ = "case_bank_files"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_payment_batches.id"))
    file_key: Mapped[str] = mapped_column(String(32), unique=True)  # the header's batch id; the bank echoes it
    value_date: Mapped[date] = mapped_column(Date)
    payer_account: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)  # the control total
    sha256: Mapped[str] = mapped_column(String(64))
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class BankFileItem(Base):
    """A payment sent in a bank file. UNIQUE payment_id: a payment goes to the bank in one file only."""

    __tablename__ = "case_bank_file_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_bank_files.id"))
    payment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_payments.id"), unique=True)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class BankConfirmation(Base):
    """The bank's return file says the payment was credited (成功)."""

    __tablename__ = "case_bank_confirmations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_payments.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    account_no: Mapped[str] = mapped_column(String(64))  # the account the bank credited
    bank_date: Mapped[date] = mapped_column(Date)  # the return file's processing date
    return_sha256: Mapped[str] = mapped_column(String(64))
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Recovery(Base):
    """An order to pay money back (追回): overpayment, dispatch misuse, duplicate subsidy."""

    __tablename__ = "case_recoveries"
    __table_args__ = (UniqueConstraint("decision_id", "kind", "seq", name="uq_case_recoveries_once"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    kind: Mapped[str] = mapped_column(String(20))  # overpayment | dispatch_misuse | duplicate_subsidy | risk_flag
    seq: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class RecoveryReceipt(Base):
    """Money a unit paid back on a recovery order: one row per receipt, instalments allowed (outside casework
    audit, session 39); ``receipt_key`` (the bank reference, else amount@day) keeps a receipt from counting twice."""

    __tablename__ = "case_recovery_receipts"
    __table_args__ = (UniqueConstraint("recovery_id", "receipt_key", name="uq_case_recovery_receipts_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recovery_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_recoveries.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # null on receipts recorded before instalments (each a full receipt, once per order)
    received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    receipt_key: Mapped[str | None] = mapped_column(String(160), nullable=True)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Allocation(Base):
    """A dispatch firm's declared share for a user unit (用工单位名单留存备案)."""

    __tablename__ = "case_allocations"
    __table_args__ = (UniqueConstraint("decision_id", "user_unit_id", name="uq_case_allocations_unit"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    user_unit_id: Mapped[str] = mapped_column(String(32))
    user_unit_name: Mapped[str] = mapped_column(String(200))
    workers: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Transfer(Base):
    """Money the dispatch firm passed on to a user unit (拨付凭证)."""

    __tablename__ = "case_transfers"
    __table_args__ = (UniqueConstraint("allocation_id", "seq", name="uq_case_transfers_seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    allocation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_allocations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    voucher: Mapped[str] = mapped_column(String(128))
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class Disqualification(Base):
    """取消下一年度申领资格 (晋人社厅发〔2024〕28号 五)."""

    __tablename__ = "case_disqualifications"
    __table_args__ = (
        UniqueConstraint("unit_id", "program", "year", name="uq_case_disqualifications_unit"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(32))
    program: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    source_decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class OutboxMessage(Base):
    __tablename__ = "case_outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    template: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))  # sms | portal | letter
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)
    # delivery status (mutable)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_at: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Operator(Base):
    """A registered operator (经办人员): login (normalised, ``roles.normalize_login``), display name, roles.

    ``login`` and ``display_name`` are facts (hashed at creation); ``roles`` (comma-separated role codes,
    ``roles.ROLES``) and ``enabled`` are mutable, every change an audit event with before/after.
    """

    __tablename__ = "case_operators"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)
    # mutable (every change audited)
    roles: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class AccountChange(Base):
    """A request to give or change a decision's payee account; it takes effect only once approved."""

    __tablename__ = "case_account_changes"
    __table_args__ = (UniqueConstraint("decision_id", "seq", name="uq_case_account_changes_seq"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_decisions.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # set (before payment) | fix (after a bounce) | confirm (the unit's)
    account_no: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class AccountApproval(Base):
    """A second operator's decision on an account change (approve = 1 applies it, 0 turns it down)."""

    __tablename__ = "case_account_approvals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    change_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_account_changes.id"), unique=True)
    approver: Mapped[str] = mapped_column(String(64))
    approve: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class RiskFlag(Base):
    """A risk flag (风险疑点) queued for the 稽核's review: what the check found, as found (append-only).

    ``flag_key`` (check id + the record it concerns) is unique: importing the same flag twice stores it once.
    ``program``/``year``/``subject_id``/``claim_key`` find the decision a confirmed flag's recovery goes to."""

    __tablename__ = "case_risk_flags"
    __table_args__ = (Index("ix_case_risk_flags_subject", "program", "year", "subject_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flag_key: Mapped[str] = mapped_column(String(200), unique=True)
    check_id: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(4))
    program: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[str] = mapped_column(String(32))
    subject_name: Mapped[str] = mapped_column(String(200), default="")
    claim_key: Mapped[str] = mapped_column(String(64), default="")
    region_code: Mapped[str] = mapped_column(String(12))
    record: Mapped[str] = mapped_column(String(160))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    label: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(String(120))
    quote: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON object
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class RiskReview(Base):
    """The 稽核's one verdict on a flag: cleared (排除, with the reason) or confirmed (核实). A confirmed flag
    links the decision it concerns and the recovery (追回) ordered on it, or is recorded for referral (移交)."""

    __tablename__ = "case_risk_reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flag_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_risk_flags.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(12))  # cleared | confirmed
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(64))
    decision_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("case_decisions.id"), nullable=True)
    recovery_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("case_recoveries.id"), nullable=True)
    referral: Mapped[bool] = mapped_column(Boolean, default=False)
    audit_ref: Mapped[str] = mapped_column(String(40), index=True)


class LedgerMeta(Base):
    """The ledger's identity (``ledger_id``, a UUID made by migration 0003), named in signed checkpoints."""

    __tablename__ = "case_ledger_meta"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    __tablename__ = "case_audit_events"
    # an entity's events (an operator's roles, rebuilt at every check) without scanning the chain
    __table_args__ = (Index("ix_case_audit_events_entity", "entity", "entity_id"),)
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ref: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    # the signing key's Ed25519 signature over ``hash`` (base64), when the writer holds the key: an event appended by
    # someone with database access alone has none (docs/audit-keys.md “Seals”). Not part of the hash.
    seal: Mapped[str | None] = mapped_column(Text, nullable=True)


# Append-only tables and the columns whose content the audit chain covers (in this order). Rows are hashed
# in id order, each with its id: other rows (payments, account changes, reviews ...) and events name a row by
# its id, so the hash must bind the content to the id, or two rows' contents swapped keep the hash. Decisions
# hashed before hash version 3 (``audit.HASH_VERSION``) left the id out and were in (unit_id, claim_key) order.
HASHED: dict[str, tuple[str, ...]] = {
    "case_runs": ("id", "run_key", "program", "year", "region_code", "inputs", "policy_versions", "readings"),
    "case_decisions": (
        "id", "run_id", "origin", "year", "program", "unit_id", "claim_key", "unit_name", "region_code",
        "policy_doc", "clause", "status", "amount_fen", "reasons", "explanation", "readings",
        "payment_channel", "size_class", "contact", "init_state", "init_account_no", "init_hold_reason", "base_fen",
        "outcomes",
    ),
    "case_recomputations": (
        "id", "decision_id", "seq", "kind", "new_status", "new_size_class", "new_amount_fen", "reason",
    ),
    "case_reviews": ("id", "decision_id", "stage", "reviewer", "approve", "reason"),
    "case_publicity_lists": ("id", "list_key", "program", "year", "starts_on", "ends_on"),
    "case_publicity_entries": ("id", "list_id", "decision_id"),
    "case_payment_batches": ("id", "batch_key", "program", "year"),
    "case_payments": ("id", "batch_id", "decision_id", "kind", "seq", "amount_fen", "channel", "account_no"),
    "case_payment_returns": ("id", "payment_id", "amount_fen", "reason"),
    "case_bank_files": ("id", "batch_id", "file_key", "value_date", "payer_account", "count", "total_fen", "sha256"),
    "case_bank_file_items": ("id", "file_id", "payment_id"),
    "case_bank_confirmations": ("id", "payment_id", "amount_fen", "account_no", "bank_date", "return_sha256"),
    "case_recoveries": ("id", "decision_id", "kind", "seq", "amount_fen", "reason"),
    "case_recovery_receipts": ("id", "recovery_id", "amount_fen"),
    "case_allocations": ("id", "decision_id", "user_unit_id", "user_unit_name", "workers", "amount_fen"),
    "case_transfers": ("id", "allocation_id", "seq", "amount_fen", "voucher"),
    "case_disqualifications": ("id", "unit_id", "program", "year", "source_decision_id", "reason"),
    "case_outbox": ("id", "decision_id", "template", "channel", "idempotency_key", "recipient", "body"),
    "case_operators": ("id", "login", "display_name"),
    "case_account_changes": ("id", "decision_id", "seq", "kind", "account_no", "requested_by", "reason"),
    "case_account_approvals": ("id", "change_id", "approver", "approve", "reason"),
    "case_risk_flags": (
        "id", "flag_key", "check_id", "severity", "program", "year", "subject_id", "subject_name", "claim_key",
        "region_code", "record", "amount_fen", "label", "citation", "quote", "evidence",
    ),
    "case_risk_reviews": ("id", "flag_id", "outcome", "reason", "reviewer", "decision_id", "recovery_id", "referral"),
}
# Older column sets of decisions, by the ``hv`` their creating event has in ``after`` (see audit.hashed_columns).
# Version 3 (from session 36 until migration 0010): with the id, without base_fen and outcomes.
HASHED_V3 = {"case_decisions": HASHED["case_decisions"][:-2]}
# Version 2 (from migration 0003 until version 3): with the init_* columns, without id.
HASHED_V2 = {"case_decisions": HASHED_V3["case_decisions"][1:]}
# Version 1 (before migration 0003; no ``hv``): without the init_* columns either.
HASHED_V1 = {"case_decisions": HASHED_V2["case_decisions"][:-3]}


# ---------------------------------------------------------------- web access (src/wengang/web, issue 14)
# Mutable tables with no ``audit_ref``: they hold secrets (hashed) and short-lived state, not facts. Every
# credential change is nevertheless an audit event (``web/accounts.py``), and a login checks the row against it.


class WebCredential(Base):
    """A login for the web and API: an operator's password, or a 单位 / 个人 account bound to its identifier.

    ``kind``: operator (``login`` is the ledger operator's login) | unit (``subject`` = 统一社会信用代码) |
    person (``subject`` = 公民身份号码). ``password_hash`` is argon2id; its SHA-256 is in the audit event that set it.
    """

    __tablename__ = "web_credentials"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[str] = mapped_column(String(32), default=utc_now_iso)


class WebSession(Base):
    """A signed-in browser: the cookie carries a random token; ``id`` is its HMAC under ``WENGANG_SECRET_KEY`` and
    ``csrf_token`` the seal over token, login, created_at and expires_at (web.accounts.session_seal): a row edited by SQL
    no longer signs anyone in."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    last_seen: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))  # absolute end; idle end = last_seen + idle timeout
    client: Mapped[str] = mapped_column(String(64))


class ApiToken(Base):
    """A system's token (``Authorization: Bearer``), bound to an operator and a subset of its roles; hashed at rest."""

    __tablename__ = "web_api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    roles: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(Base):
    """Failed logins per key (``login:<name>`` or ``ip:<address>``) and the lock they caused."""

    __tablename__ = "web_login_throttle"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[str] = mapped_column(String(32))
    locked_until: Mapped[str | None] = mapped_column(String(32), nullable=True)


class IdempotencyRecord(Base):
    """A write's response kept under its ``Idempotency-Key`` (per principal), with the request's fingerprint."""

    __tablename__ = "web_idempotency"
    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)  # 0 while the write runs
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class ScreeningJob(Base):
    """A screening run started from the web: parameters, progress and where its output went."""

    __tablename__ = "web_screening_jobs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    params: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(200), default="")
    # the running step's count as JSON (progress.observe's snapshot): label, done, total, unit, percent, rate
    progress: Mapped[str | None] = mapped_column(Text, nullable=True)
    out_dir: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
