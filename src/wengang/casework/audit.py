"""Append-only audit events chained by SHA-256.

Event hash = sha256 of the canonical JSON of
``{seq, at, actor, action, entity, entity_id, ref, row_count, content_hash, reason, before, after, prev_hash}``
(keys sorted, UTF-8, no spaces). ``prev_hash`` is the previous event's hash (64 zeros for the first) and
is UNIQUE in the table, so the chain cannot fork. Rows of append-only tables carry ``audit_ref``; the
event that created them stores ``row_count`` and ``content_hash`` = sha256 over those rows' hashed
columns (``models.HASHED``, the row's id first), ordered by id, one line per row, fields joined by U+001F, NULL
as U+0000.
A bulk step (1 M decisions, a 100 k payment batch) therefore writes one event per chunk while the chain
still covers every row. Decisions are hashed with their id, their starting workflow values (``init_*``) and their
返还基数 and results by reading (``base_fen``, ``outcomes``); the event that created them says so with
``after.hv = 4``. Older events keep verifying with what they hashed: ``hv = 3`` without ``base_fen`` and ``outcomes`` (``models.HASHED_V3``), ``hv = 2`` without the id
(``models.HASHED_V2``), no ``hv`` without the ``init_*`` columns either
(``models.HASHED_V1``), both in (unit_id, claim_key) order. Without the id, two decisions of one event could
swap their contents (unit, amount ...) and keep the hash while payments, account changes and reviews, which name
a decision by its id, went with the other content; ``verify`` warns how many decisions are hashed so.

What the chain alone cannot show: a chain recomputed from the first edited event on, or cut off at the tail,
is self-consistent. Signed checkpoints (``checkpoints.py``) cover that; the workflow columns, which no hash
covers, are rebuilt from the events by ``projection.py``.

Callers hold the ledger's write lock (PostgreSQL advisory lock / SQLite ``BEGIN IMMEDIATE``) so events
are appended one at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import BigInteger, Connection, Integer, func, select

from .models import HASHED, HASHED_V1, HASHED_V2, HASHED_V3, AuditEvent, Base

GENESIS = "0" * 64
_EV = AuditEvent.__table__


def _dtype(col) -> pl.DataType:
    return pl.Int64 if isinstance(col.type, Integer | BigInteger) else pl.String


def canonical(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_ref() -> str:
    return uuid.uuid4().hex


def event_hash(fields: dict[str, Any]) -> str:
    keys = ("seq", "at", "actor", "action", "entity", "entity_id", "ref", "row_count", "content_hash",
            "reason", "before", "after", "prev_hash")
    return hashlib.sha256(canonical({k: fields[k] for k in keys}).encode()).hexdigest()


# rows hashed without their id (decisions before hash version 3) are in this order; all others in id order
SORTED_BY_KEY = {"case_decisions": ("unit_id", "claim_key")}
HASH_VERSION = 4  # decisions hashed with their base_fen (4), their id (3) and their init_* columns (2)
APPENDED = "wengang_appended"  # connection-info flag: this transaction appended events (a checkpoint is due)
# connection-info entries set by ``Ledger._tx``: the signing key's sealer (hash -> seal), or, with no key, that the
# chain's last event is sealed, so an event without a seal may not follow it (docs/audit-keys.md “Seals”)
SEALER = "wengang_sealer"
SEAL_REQUIRED = "wengang_seal_required"
FIRST_SEAL = "wengang_first_seal"  # this transaction sealed the ledger's first event: sign a checkpoint at once
SEALED_FROM = "sealed_from"  # case_ledger_meta key: the first sealed event (a hint; the checkpoints hold the proof)


def seal_required() -> Exception:
    from .errors import LedgerError

    return LedgerError("signing_key_required",
                       "本台账的审计事件须以签名密钥加封：请设置环境变量 WENGANG_SIGNING_KEY（签名私钥文件）后再办理；"
                       "未加封的事件会使此后的发放与报盘暂停（见 docs/audit-keys.md）",
                       "this ledger's audit events are sealed with the signing key: set WENGANG_SIGNING_KEY (the "
                       "private key file) first; an unsealed event would stop payments and bank files")


def sealed_from(conn: Connection) -> int | None:
    """The ledger's first sealed event as ``case_ledger_meta`` records it (None: never sealed)."""
    from .models import LedgerMeta

    M = LedgerMeta.__table__.c
    v = conn.execute(select(M.value).where(M.key == SEALED_FROM)).scalar_one_or_none()
    return int(v) if v is not None and str(v).isdigit() else None


def hashed_columns(table: str, after: Any = None) -> tuple[str, ...]:
    """The columns the event with ``after`` (dict or its JSON) hashed for ``table``."""
    if table in HASHED_V1:
        hv = hash_version(after)
        if hv == 3:
            return HASHED_V3[table]
        if hv == 2:
            return HASHED_V2[table]
        if hv != HASH_VERSION:
            return HASHED_V1[table]
    return HASHED[table]


def hash_version(after: Any) -> int:
    """The hash version of the event with ``after`` (dict or its JSON): 1 if it names none."""
    a = json.loads(after) if isinstance(after, str) else (after or {})
    hv = a.get("hv", 1) if isinstance(a, dict) else 1
    return hv if isinstance(hv, int) else 1


def frame_hash(df: pl.DataFrame) -> tuple[int, str, int]:
    """Hash rows given as a frame with exactly ``HASHED[table]`` columns, already in hash order.

    Same bytes as ``rows_hash`` (one line per row, fields joined by U+001F, NULL as U+0000, ``\\n`` after
    each line), built column-wise by polars and fed to sha256 straight from the Arrow value buffer:
    no per-row Python objects and no copy of the whole chunk as a Python string.
    """
    # exact: an Int64 sum wraps around silently past 2^63; Int128 comes back as a Python int
    total = int(df["amount_fen"].cast(pl.Int128).sum() or 0) if "amount_fen" in df.columns and df.height else 0
    h = hashlib.sha256()
    if df.height:
        line = pl.concat_str([pl.col(c).cast(pl.String).fill_null("\x00") for c in df.columns], separator="\x1f")
        for piece in _utf8_buffers(df.select(pl.concat_str([line, pl.lit("\n")])).to_series()):
            h.update(piece)
    return df.height, h.hexdigest(), total


def inserted_hash(conn: Connection, frame: pl.DataFrame, ref: str) -> tuple[int, str, int] | None:
    """The content hash of decisions just inserted from ``frame`` (stamped ``ref``), as ``rows_hash`` will read
    them back, without reading them back: only the ids the database gave them are read (by natural key) and
    joined on. None if the rows stored under ``ref`` are not exactly the frame's (then hash the rows as stored).
    """
    table = "case_decisions"
    t = Base.metadata.tables[table]
    key = list(SORTED_BY_KEY[table])
    ids = conn.execute(select(t.c.id, *[t.c[c] for c in key]).where(t.c.audit_ref == ref)).all()
    if len(ids) != frame.height:
        return None
    idf = pl.DataFrame([tuple(r) for r in ids], schema={"id": pl.Int64, **{c: pl.String for c in key}}, orient="row")
    df = frame.drop("id", strict=False).join(idf, on=key, how="inner", nulls_equal=True)
    if df.height != frame.height:
        return None
    return frame_hash(df.select(HASHED[table]).sort("id"))


def _utf8_buffers(s: pl.Series) -> Iterator[memoryview]:
    """The UTF-8 bytes of a string series, concatenated in order, as views of its Arrow value buffers."""
    arr = s.to_arrow()
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for ch in chunks:
        if not pa.types.is_large_string(ch.type):
            ch = ch.cast(pa.large_string())
        if len(ch) == 0:
            continue
        offsets = memoryview(ch.buffers()[1]).cast("q")  # int64 offsets (Arrow is little-endian)
        yield memoryview(ch.buffers()[2])[offsets[ch.offset]:offsets[ch.offset + len(ch)]]


def rows_hash(conn: Connection, table: str, ref: str, cols: tuple[str, ...] | None = None) -> tuple[int, str, int]:
    """(row count, content hash, sum of amount_fen if the table has one) of the rows stamped ``ref``."""
    t = Base.metadata.tables[table]
    cols = cols or HASHED[table]
    if table in SORTED_BY_KEY:  # read as a frame: the same bytes as the import's ``frame_hash`` of what it wrote
        rows = conn.execute(select(*[t.c[c] for c in cols]).where(t.c.audit_ref == ref)).all()
        df = pl.DataFrame([tuple(r) for r in rows], schema={c: _dtype(t.c[c]) for c in cols}, orient="row")
        return frame_hash(df.sort("id" if "id" in cols else list(SORTED_BY_KEY[table])))
    h = hashlib.sha256()
    n = 0
    total = 0
    has_amount = "amount_fen" in t.c
    amount_ix = cols.index("amount_fen") if has_amount else -1
    result = conn.execute(select(*[t.c[c] for c in cols]).where(t.c.audit_ref == ref).order_by(t.c.id))
    for part in result.partitions(20_000):
        lines = []
        for row in part:
            lines.append("\x1f".join("\x00" if v is None else str(v) for v in row))
            if has_amount and row[amount_ix] is not None:
                total += row[amount_ix]
        n += len(lines)
        h.update(("\n".join(lines) + "\n").encode())
    return n, h.hexdigest(), total


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any = None,
    reason: str = "",
    before: Any = None,
    after: Any = None,
    ref: str | None = None,
    precomputed: tuple[int, str, int] | None = None,
) -> int | None:
    """Append one event. With ``ref``, hash the rows of ``entity`` stamped with it (none: no event)."""
    row_count, content_hash = 0, None
    if ref is not None:
        row_count, content_hash, total = precomputed or rows_hash(conn, entity, ref)
        if row_count == 0:
            return None
        after = {**(after or {}), "rows": row_count}
        if entity in HASHED_V1:
            after["hv"] = HASH_VERSION
        if "amount_fen" in Base.metadata.tables[entity].c:
            after["amount_fen"] = total
    last = conn.execute(select(_EV.c.seq, _EV.c.hash).order_by(_EV.c.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    fields = {
        "seq": seq, "at": now_iso(), "actor": actor, "action": action, "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id), "ref": ref, "row_count": row_count,
        "content_hash": content_hash, "reason": reason or "", "before": canonical(before),
        "after": canonical(after), "prev_hash": prev,
    }
    fields["hash"] = event_hash(fields)
    sealer = conn.info.get(SEALER)
    if sealer is not None:
        fields["seal"] = sealer(fields["hash"])
        if not conn.info.get(FIRST_SEAL) and sealed_from(conn) is None:
            from .models import LedgerMeta

            conn.execute(LedgerMeta.__table__.insert().values(key=SEALED_FROM, value=str(seq)))
            conn.info[FIRST_SEAL] = True
    elif conn.info.get(SEAL_REQUIRED):
        raise seal_required()
    conn.execute(_EV.insert().values(**fields))
    conn.info[APPENDED] = True
    return seq


# classes of findings: every message names its class (Chinese / English) so a reader knows what kind of
# tampering it points at
CLASSES = {
    "event_edited": ("事件被改动", "event edited"),
    "event_missing": ("事件被删除或重排", "event deleted or reordered"),
    "chain_broken": ("链条断裂", "chain broken"),
    "rows_changed": ("记录被改动", "rows changed"),
    "unrecorded": ("未经记录的增删", "unrecorded insert/delete"),
    "projection": ("记录与事件不符", "row differs from the events"),
    "payment": ("支付与决定不符", "payment differs from its decision"),
    "transition": ("事件不合流程", "event breaks the workflow"),
    "unapproved_account": ("账户变更未经复核", "account change without a second person's approval"),
    "truncated": ("链条被截断", "chain truncated"),
    "rewritten": ("链条被改写", "chain rewritten"),
    "checkpoint_signature": ("检查点签名无效", "checkpoint signature invalid"),
    "checkpoint_file": ("检查点文件被改动", "checkpoint file altered"),
    "public_key": ("公钥被替换", "public key replaced"),
    "ledger_identity": ("台账标识不符", "ledger identity differs"),
    "unsealed": ("事件未经签名密钥加封", "event not sealed by the signing key"),
}


@dataclass
class Issue:
    kind: str  # a key of CLASSES
    zh: str
    en: str

    def __str__(self) -> str:
        czh, cen = CLASSES[self.kind]
        return f"[{czh} / {cen}] {self.zh} / {self.en}"


@dataclass
class VerifyReport:
    ok: bool = True
    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    issues: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # limits of what this run could prove (not failures)

    @property
    def problems(self) -> list[str]:
        return [str(i) for i in self.issues]

    @property
    def kinds(self) -> set[str]:
        return {i.kind for i in self.issues}

    def problem(self, kind: str, zh: str, en: str) -> None:
        assert kind in CLASSES, kind
        self.ok = False
        self.issues.append(Issue(kind, zh, en))

    def warn(self, zh: str, en: str) -> None:
        self.warnings.append(f"{zh} / {en}")


def walk(conn: Connection, rep: VerifyReport, *, after_seq: int = 0, prev: str = GENESIS) -> Iterator[dict[str, Any]]:
    """The events after ``after_seq`` in order, each checked for its place in the chain and its own hash;
    what does not fit goes to ``rep``. Updates ``rep.events``/``head_*``."""
    expect_seq = after_seq + 1
    q = select(_EV).where(_EV.c.seq > after_seq).order_by(_EV.c.seq)
    for part in conn.execute(q).mappings().partitions(5000):
        for ev in part:
            ev = dict(ev)
            if ev["seq"] != expect_seq:
                rep.problem("event_missing", f"事件序号不连续：期望 {expect_seq}，实际 {ev['seq']}（有事件被删除或重排）",
                            f"sequence gap: expected {expect_seq}, found {ev['seq']} (deleted or reordered)")
            if ev["prev_hash"] != prev:
                rep.problem("chain_broken", f"事件 {ev['seq']} 的前一哈希与上一事件不符（链条断裂）",
                            f"event {ev['seq']}: prev_hash does not match the previous event (chain broken)")
            if event_hash(ev) != ev["hash"]:
                rep.problem("event_edited", f"事件 {ev['seq']} 的内容与其哈希不符（被篡改）",
                            f"event {ev['seq']}: content does not match its hash (edited)")
            prev, expect_seq = ev["hash"], ev["seq"] + 1
            rep.events += 1
            rep.head_seq, rep.head_hash = ev["seq"], ev["hash"]
            yield ev


# the amount a screening decision's own explanation states (``intake``: “筛查结论：符合条件，金额 1,584.43元”), hashed
# with the row: where the event's hash says a row changed, the amount is checked row by row against it
_STATED_AMOUNT = re.compile(r"^筛查结论：[^，\n]*，金额 (?:不超过)?(\d{1,3}(?:,\d{3})*|\d+)\.(\d{2})元")


def locate_decision_edits(conn: Connection, ev: dict[str, Any]) -> list[tuple[int, str, Any, Any]] | None:
    """The decisions an import event covers whose ``amount_fen`` differs from the amount their own explanation
    states — (decision id, column, stored, stated) — if putting the stated amounts back gives exactly the hash the
    event recorded: then those are the only changes, every other row of the import is as imported (sha256), and only
    those decisions are refused (outside casework audit D4, session 42: one decision's amount raised by SQL was said
    as “case_decisions 记录 id 1–1498 已被改动” and stopped all 1,498). None when the edit cannot be located so."""
    if ev.get("entity") != "case_decisions" or not ev.get("ref") or ev.get("content_hash") is None:
        return None
    t = Base.metadata.tables["case_decisions"]
    cols = hashed_columns("case_decisions", ev.get("after"))
    if not {"amount_fen", "explanation", "id"} <= set(cols):
        return None
    try:
        rows = conn.execute(select(*[t.c[c] for c in cols]).where(t.c.audit_ref == ev["ref"])).all()
        df = pl.DataFrame([tuple(r) for r in rows], schema={c: _dtype(t.c[c]) for c in cols}, orient="row")
    except (ValueError, TypeError, ArithmeticError):
        return None
    found: dict[int, tuple[Any, int]] = {}
    for did, amount, expl in df.select("id", "amount_fen", "explanation").iter_rows():
        m = _STATED_AMOUNT.match(expl or "")
        if m is None:
            continue
        stated = int(m.group(1).replace(",", "")) * 100 + int(m.group(2))
        if amount != stated:
            found[int(did)] = (amount, stated)
    if not found:
        return None
    fixed = df.with_columns(pl.col("id").replace_strict({k: v[1] for k, v in found.items()}, default=pl.col("amount_fen"),
                                                        return_dtype=df.schema["amount_fen"]).alias("amount_fen"))
    n, h, _ = frame_hash(fixed.sort("id"))
    if (n, h) != (ev.get("row_count"), ev.get("content_hash")):
        return None
    return [(did, "amount_fen", got, want) for did, (got, want) in sorted(found.items())]


def check_rows(conn: Connection, rep: VerifyReport, ev: dict[str, Any]) -> bool:
    """Re-hash the rows event ``ev`` covers; report and return False if they changed."""
    table = ev["entity"]
    t = Base.metadata.tables[table]
    try:
        n2, h2, _ = rows_hash(conn, table, ev["ref"], hashed_columns(table, ev["after"]))
    except (ValueError, TypeError, ArithmeticError) as exc:  # a value its column cannot hold (a date '2025-11-01 x')
        rep.problem("rows_changed",
                    f"事件 {ev['seq']}（{ev['action']}）覆盖的 {table} 记录无法读取（有字段的值不合该字段类型：{exc}），已被改动",
                    f"event {ev['seq']} ({ev['action']}): rows of {table} it covers cannot be read (a value does not "
                    f"fit its column: {exc}); changed")
        return False
    if (n2, h2) == (ev["row_count"], ev["content_hash"]):
        return True
    if table == "case_decisions" and (located := locate_decision_edits(conn, ev)):
        from wengang.money import format_yuan

        rep.problem("rows_changed",
                    f"事件 {ev['seq']}（{ev['action']}）覆盖的 case_decisions 记录中，"
                    + "；".join(f"决定 {did} 列 {col}：存储值 {format_yuan(got) if got is not None else '空'}，"
                                f"按导入时的记录（其说明所载金额，与事件哈希相符）应为 {format_yuan(want)}"
                                for did, col, got, want in located[:10])
                    + (f" 等 {len(located)} 处" if len(located) > 10 else "") + "；其余记录与导入时一致",
                    f"event {ev['seq']} ({ev['action']}): of the case_decisions rows it covers, "
                    + "; ".join(f"decision {did} column {col}: stored {got}, imported {want} (the amount its explanation "
                                "states, matching the event's hash)" for did, col, got, want in located[:10])
                    + "; the other rows are as imported")
        return False
    span = ""
    if "id" in t.c:
        lo, hi = conn.execute(select(func.min(t.c.id), func.max(t.c.id)).where(t.c.audit_ref == ev["ref"])).one()
        span = f" id {lo}" + (f"–{hi}" if hi != lo else "") if lo is not None else ""
    rep.problem("rows_changed",
                f"事件 {ev['seq']}（{ev['action']}）覆盖的 {table} 记录{span} 已被改动（{ev['row_count']}→{n2} 行或内容不符）",
                f"event {ev['seq']} ({ev['action']}): rows of {table}{span} it covers were changed "
                f"({ev['row_count']}->{n2} rows or content)")
    return False


def verify(conn: Connection) -> VerifyReport:
    """Walk the chain; re-hash every covered row; count rows no event covers."""
    rep = VerifyReport()
    covered: dict[str, int] = {}
    checks: list[dict[str, Any]] = []
    for ev in walk(conn, rep):
        if ev["content_hash"] is not None:
            covered[ev["entity"]] = covered.get(ev["entity"], 0) + ev["row_count"]
            checks.append({k: ev[k] for k in ("seq", "action", "entity", "ref", "row_count", "content_hash", "after")})
    # decisions hashed without their id (before hash version 3): in bulk or one by one, two of them can exchange
    # their contents (one by one: with their audit_ref) and every event still finds its hash (outside audit E)
    unbound = 0
    for ev in checks:
        check_rows(conn, rep, ev)
        if ev["entity"] in HASHED_V1 and "id" not in hashed_columns(ev["entity"], ev["after"]):
            unbound += ev["row_count"]
    if unbound:
        rep.warn(f"{unbound} 个决定在哈希版本 3 之前创建，其哈希不含 id：两个决定的内容互换（连同审计引用）查不出",
                 f"{unbound} decisions were created before hash version 3 and hashed without their id: two decisions "
                 "with their contents (and audit refs) swapped are not found")
    for table in HASHED:
        t = Base.metadata.tables[table]
        actual = conn.execute(select(func.count()).select_from(t)).scalar_one()
        if actual != covered.get(table, 0):
            rep.problem("unrecorded",
                        f"{table} 有 {actual} 行，审计事件记录的是 {covered.get(table, 0)} 行（存在未经记录的增删）",
                        f"{table} has {actual} rows but events cover {covered.get(table, 0)} (unrecorded insert/delete)")
    return rep
