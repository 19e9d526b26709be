"""Signed checkpoints of the audit chain: evidence that survives a full rewrite of the database.

The hash chain shows any edit that leaves later hashes alone, but someone who can write the database can
recompute the whole chain after an edit, or cut events off its tail, and the chain is consistent again. A
checkpoint is a line signed with Ed25519 by a key that is *not* in the database::

    {"type": "checkpoint", "ledger": <ledger_id>, "seq": <head seq>, "hash": <head hash>, "events": <count>,
     "at": <UTC time>, "key": <key id>, "prev": <sha256 of the previous line>, "sig": <base64 signature>}

written after every command that appended events, to an append-only JSONL file (and, optionally, a table in a
second database). ``verify`` checks each line's signature and that the chain still holds the checkpoint's
head at its seq with the same hash and at least as many events: a recomputed chain or a cut tail no longer
matches a signed head. A rotation line (``"type": "rotate"``), signed by the old key, names the next public
key. See docs/audit-keys.md for who holds the key and what this does and does not prove.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Column, Connection, Integer, MetaData, Table, Text, create_engine, func, select

from . import audit
from .errors import LedgerError
from .models import AuditEvent, LedgerMeta

KEY_ENV = "WENGANG_SIGNING_KEY"
FILE_ENV = "WENGANG_CHECKPOINTS"
DB_ENV = "WENGANG_CHECKPOINTS_DB"
# the first (root) public key the paying process trusts, kept beside its private key, where whoever can write the
# database and the checkpoint file cannot write; default ``<signing key>.root.pub`` (``rotate-key`` writes it beside the
# new key), else the signing key's own public key
ROOT_ENV = "WENGANG_ROOT_PUBLIC_KEY"
_EV = AuditEvent.__table__.c
_store_meta = MetaData()
# the optional second store: the same lines, in a table of another database
STORE_TABLE = Table("wengang_checkpoints", _store_meta, Column("n", Integer, primary_key=True, autoincrement=True),
                    Column("line", Text, nullable=False))


# ------------------------------------------------------------------ keys
def keygen(out: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 private key to ``out`` (PEM, mode 0600, never overwritten) and its public key to
    ``out.pub``. Returns both paths."""
    pub = public_path(out)
    if out.exists() or pub.exists():
        raise LedgerError("key_exists", f"{out} 或 {pub} 已存在，不覆盖", f"{out} or {pub} exists; not overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(out, 0o600)  # whatever the umask
    pub.write_bytes(public_pem(key.public_key()))
    return out, pub


def public_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".pub")


def root_path(key_path: Path) -> Path:
    """Where the root public key a rotated signing key trusts is kept: beside the private key (``signing.key.root.pub``)."""
    return key_path.with_name(key_path.name + ".root.pub")


def public_pem(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _raw(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(pub: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(pub)).hexdigest()[:16]


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise LedgerError("bad_key", f"无法读取签名私钥 {path}（{exc}）", f"cannot read the signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError("bad_key", f"{path} 不是 Ed25519 私钥", f"{path} is not an Ed25519 private key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise LedgerError("bad_key", f"无法读取公钥 {path}（{exc}）", f"cannot read the public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise LedgerError("bad_key", f"{path} 不是 Ed25519 公钥", f"{path} is not an Ed25519 public key")
    return key


# --------------------------------------------------------------- stores
def default_path(db_url: str) -> Path | None:
    """Next to a SQLite file: ``wengang.db`` → ``wengang.db.checkpoints.jsonl``; other databases: none."""
    if db_url.startswith("sqlite:///") and ":memory:" not in db_url:
        return Path(db_url.removeprefix("sqlite:///") + ".checkpoints.jsonl")
    return None


def stored_public_path(checkpoints: Path) -> Path:
    """Where the first (root) public key is kept beside a checkpoint file; later keys are in rotation lines.
    Auditors hold their own copy of the root key."""
    return checkpoints.with_name(checkpoints.name + ".pub")


def _line_hash(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


@dataclass
class Store:
    """An append-only JSONL file and, optionally, a second database holding the same lines."""

    path: Path
    db_url: str | None = None

    def append(self, make_line: Any) -> str:
        """Append ``make_line(last)`` (``last`` = the last line or None) under an exclusive lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as f:  # append mode: nothing before is rewritten
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            last = None
            for raw in f:
                if raw.strip():
                    last = raw.rstrip("\n")
            line = make_line(last)
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self.db_url:
            eng = create_engine(self.db_url)
            try:
                _store_meta.create_all(eng)
                with eng.begin() as c:
                    c.execute(STORE_TABLE.insert().values(line=line))
            finally:
                eng.dispose()
        return line


def read_lines(path: Path | None = None, db_url: str | None = None) -> list[str]:
    if path is not None:
        return [ln.rstrip("\n") for ln in path.read_text("utf-8").splitlines() if ln.strip()]
    eng = create_engine(db_url)  # type: ignore[arg-type]
    try:
        with eng.connect() as c:
            return [r[0] for r in c.execute(select(STORE_TABLE.c.line).order_by(STORE_TABLE.c.n))]
    finally:
        eng.dispose()


def _sign(key: Ed25519PrivateKey, payload: dict[str, Any]) -> str:
    sig = base64.b64encode(key.sign(audit.canonical(payload).encode())).decode()
    return audit.canonical({**payload, "sig": sig})


def ledger_id(conn: Connection) -> str:
    M = LedgerMeta.__table__.c
    return conn.execute(select(M.value).where(M.key == "ledger_id")).scalar_one_or_none() or ""


def head(conn: Connection) -> tuple[int, str, int]:
    """(head seq, head hash, event count) of the chain as stored."""
    last = conn.execute(select(_EV.seq, _EV.hash).order_by(_EV.seq.desc()).limit(1)).first()
    n = conn.execute(select(func.count()).select_from(AuditEvent.__table__)).scalar_one()
    return (last[0], last[1], n) if last else (0, audit.GENESIS, 0)


@dataclass
class Signer:
    """Writes signed checkpoints of a ledger's chain head to ``store`` with ``key``."""

    key: Ed25519PrivateKey
    store: Store
    # the first public key of the checkpoint file, as this process holds it (``ROOT_ENV``); None: the key's own. Not
    # the copy beside the file: whoever can replace the file can replace that copy, sign with a key of their own and
    # name ours in a rotation line (outside tamper audit, session 38)
    root: Ed25519PublicKey | None = None

    @property
    def trusted_root(self) -> Ed25519PublicKey:
        return self.root or self.key.public_key()

    def seal(self, event_hash: str) -> str:
        """An event's seal: this key's signature over its hash (``audit.append`` with ``Ledger._tx``)."""
        return base64.b64encode(self.key.sign(event_hash.encode())).decode()

    def check(self, conn: Connection) -> None:
        """Refuse (``LedgerError("checkpoint_mismatch")``) unless the chain in ``conn`` still holds every head this
        store's checkpoints signed, and the lines verify with the root public key kept beside them (or, with none
        there, this signer's own key). Run before money leaves (``case pay``, ``case bank-file``) and before a new
        checkpoint is signed, so none is ever signed over a truncated or rewritten chain."""
        rep = audit.VerifyReport()
        path, pub = self.store.path, stored_public_path(self.store.path)
        lines = read_lines(path) if path.exists() else []  # the file: the second store holds the same lines
        trusted = self.trusted_root
        self._against_store(rep, lines)
        started = _checkpoint_from(conn, path)
        if lines and started is not None and _json(lines[0]).get("seq") != started:
            rep.problem("checkpoint_file",
                        f"检查点文件 {path} 第 1 行是事件 {_json(lines[0]).get('seq')} 的检查点，而本台账的检查点文件自事件 "
                        f"{started} 起（case_ledger_meta.{CHECKPOINT_FROM}）：原文件被删除后另起了新文件",
                        f"checkpoint file {path} starts at event {_json(lines[0]).get('seq')}, but this ledger's file "
                        f"starts at event {started} (case_ledger_meta.{CHECKPOINT_FROM}): the file was deleted and a new "
                        "one begun")
        if not lines:
            if pub.exists():
                rep.problem("checkpoint_file", f"检查点文件 {path} 不存在或为空，但其公钥仍在（检查点被删除？）",
                            f"checkpoint file {path} is missing or empty while its public key is there (deleted?)")
            anchor = audit.sealed_from(conn)  # sealed before any checkpoint: the ledger's own record of its first seal
            if started is not None:
                # the ledger wrote a checkpoint file once (``write`` records where it starts): it was removed (outside
                # tamper audit, session 40 F5: deleted with its public key, payments went on and began a new file)
                rep.problem("checkpoint_file",
                            f"本台账已签署过检查点（检查点文件自事件 {started} 起，记于 case_ledger_meta.{CHECKPOINT_FROM}），"
                            f"但检查点文件 {path} 不存在或为空：检查点文件（连同其公钥）被删除；请从备份恢复检查点文件及其公钥",
                            f"this ledger has signed checkpoints (its file starts at event {started}, recorded in "
                            f"case_ledger_meta.{CHECKPOINT_FROM}), but the checkpoint file {path} is missing or empty: it "
                            "was deleted (with its public key); restore both from a backup")
            if anchor is not None:
                _check_seals(conn, rep, [(self.key.public_key(), None)], anchor)
        else:
            stored: Ed25519PublicKey | None = None
            if pub.exists():
                with contextlib.suppress(LedgerError):
                    stored = load_public(pub)
            if stored is None or _raw(stored) != _raw(trusted):
                self._untrusted_root(rep, lines, stored)
            # every line from the root this process trusts, and the seals of the events since the last checkpoint
            # (those before it were checked when it was signed)
            verify(conn, lines, rep, trusted=trusted, stored=None, source=str(path), seals="uncovered")
        if rep.issues:
            first = rep.issues[0]
            czh, cen = audit.CLASSES[first.kind]
            raise LedgerError("checkpoint_mismatch",
                              f"审计链与签名检查点不符（{czh}），暂停发放与报盘，不再签署新的检查点（请运行 wengang audit verify "
                              f"--public-key …）：{first.zh}",
                              f"the audit chain does not match the signed checkpoints ({cen}); payment and bank files "
                              f"are stopped and no checkpoint is signed (run wengang audit verify --public-key …): "
                              f"{first.en}")

    def _against_store(self, rep: audit.VerifyReport, lines: list[str]) -> None:
        """The file must hold the second store's latest line (the store is where a file deleted or cut at its end
        shows: the session-38 second look deleted the file, and payments went on from a new one)."""
        if not self.store.db_url:
            return
        try:
            eng = create_engine(self.store.db_url)
            try:
                _store_meta.create_all(eng)  # a store not written to yet (its table comes with the first line)
            finally:
                eng.dispose()
            kept = read_lines(db_url=self.store.db_url)
        except Exception as exc:  # noqa: BLE001 - a store that cannot be read cannot vouch for the file
            rep.problem("checkpoint_file", f"第二存储（检查点数据库）无法读取（{type(exc).__name__}），不能核对检查点文件",
                        f"the second checkpoint store cannot be read ({type(exc).__name__})")
            return
        if kept and not lines:
            rep.problem("checkpoint_file",
                        f"检查点文件 {self.store.path} 不存在或为空，而第二存储中有 {len(kept)} 行检查点（文件被删除？）",
                        f"checkpoint file {self.store.path} is missing or empty while the second store holds "
                        f"{len(kept)} lines (deleted?)")
        elif kept and kept[-1] not in set(lines):
            rep.problem("checkpoint_file",
                        f"检查点文件 {self.store.path} 中没有第二存储的最新检查点（第 {len(kept)} 行）：文件被删减或替换",
                        f"checkpoint file {self.store.path} lacks the second store's latest line ({len(kept)}): cut or "
                        "replaced")

    def _untrusted_root(self, rep: audit.VerifyReport, lines: list[str], stored: Ed25519PublicKey | None) -> None:
        """The public key beside the checkpoint file is missing or is not the root this process trusts."""
        trusted = key_id(self.trusted_root)
        shown = f"（{key_id(stored)}）" if stored is not None else "缺失或无法读取"
        shown_en = key_id(stored) if stored is not None else "missing or unreadable"
        hint, hint_en = ("", "")
        if self.root is None:  # said whatever the file claims: a rotation line in it may be the forger's
            hint = (f"；如本签名私钥确是经轮换启用的，须以 {ROOT_ENV}（或私钥旁的 .root.pub 文件）给出审计员保存的首个公钥，"
                    "不能用检查点文件旁的副本（它可能与文件一同被替换），见 docs/audit-keys.md“轮换”")
            hint_en = (f"; if this key really came in by a rotation, give the auditor's copy of the first public key "
                       f"with {ROOT_ENV} (or <key>.root.pub), never the copy beside the file")
        rep.problem("public_key",
                    f"检查点文件旁的首个公钥{shown}不是本程序信任的首个公钥（{trusted}）：检查点文件可能连同公钥被替换{hint}",
                    f"the first public key beside the checkpoint file ({shown_en}) is not the root this process trusts "
                    f"({trusted}): the file may have been replaced with its key{hint_en}")

    def write(self, ledger: Any) -> dict[str, Any]:
        with ledger.engine.connect() as conn:
            self.check(conn)  # never sign a head over a chain that no longer holds what was signed before
            lid = ledger_id(conn)
            seq, h, n = head(conn)
            first_sealed = audit.sealed_from(conn) or conn.execute(
                select(func.min(_EV.seq)).where(_EV.seal.is_not(None))).scalar()
        self._publish_key()
        payload = {"type": "checkpoint", "ledger": lid, "seq": seq, "hash": h, "events": n,
                   "at": audit.now_iso(), "key": key_id(self.key.public_key())}

        def line(last: str | None) -> str:
            # from which event on every event is sealed: the first checkpoint that sees a seal fixes it, and every
            # later one repeats it, so clearing every seal does not make the chain look as if none were due
            sealed_from = _sealed_from(last) or first_sealed
            return self._line({**payload, **({"sealed_from": sealed_from} if sealed_from else {})}, last)

        rec = json.loads(self.store.append(line))
        _record_start(ledger, self.store.path)
        return rec

    def rotate(self, new_key: Ed25519PublicKey, ledger: Any) -> dict[str, Any]:
        """A line signed by the current key that names the next one; checkpoints after it use the new key."""
        with ledger.engine.connect() as conn:
            lid = ledger_id(conn)
            seq = head(conn)[0]
        # ``seq``: the retiring key seals no event after this one (a key is rotated because it may have leaked)
        payload = {"type": "rotate", "ledger": lid, "at": audit.now_iso(), "key": key_id(self.key.public_key()),
                   "new_key": base64.b64encode(_raw(new_key)).decode(), "new_key_id": key_id(new_key), "seq": seq}
        self._publish_key()

        def line(last: str | None) -> str:
            sealed_from = _sealed_from(last)  # carried across the rotation
            return self._line({**payload, **({"sealed_from": sealed_from} if sealed_from else {})}, last)

        return json.loads(self.store.append(line))

    def _line(self, payload: dict[str, Any], last: str | None) -> str:
        """The signed line after ``last``; refused if the file's current key is not ours (a rotation names it)."""
        current = key_id(self.key.public_key())
        if last is not None:
            rec = json.loads(last)
            expect = rec.get("new_key_id") if rec.get("type") == "rotate" else rec.get("key")
            if expect != current:
                raise LedgerError("wrong_key", f"签名私钥（{current}）不是检查点文件当前使用的密钥（{expect}）；换用新密钥须先轮换",
                                  f"the signing key ({current}) is not the checkpoint file's current key ({expect}); "
                                  "rotate to a new key first")
        return _sign(self.key, {**payload, "prev": _line_hash(last) if last is not None else audit.GENESIS})

    def _publish_key(self) -> None:
        """The root public key beside the checkpoints, written once (later keys are named by rotation lines)."""
        p = stored_public_path(self.store.path)
        if not p.exists():
            p.write_bytes(public_pem(self.key.public_key()))


# case_ledger_meta key: for each checkpoint file this ledger was signed to (resolved path), the event its first line is
# at (JSON), recorded when a checkpoint is written there. That file missing, or starting elsewhere, was deleted (and
# begun again): ``Signer.check``. Another path (a file configured elsewhere) starts its own.
CHECKPOINT_FROM = "checkpoint_from"


def _starts(conn: Connection) -> dict[str, int]:
    """``CHECKPOINT_FROM``: checkpoint file (resolved path) -> the event its first line is at."""
    from .models import LedgerMeta

    M = LedgerMeta.__table__.c
    v = conn.execute(select(M.value).where(M.key == CHECKPOINT_FROM)).scalar_one_or_none()
    try:
        got = json.loads(v) if v else {}
    except ValueError:
        return {}
    return {k: x for k, x in got.items() if isinstance(x, int)} if isinstance(got, dict) else {}


def _checkpoint_from(conn: Connection, path: Path) -> int | None:
    return _starts(conn).get(str(path.resolve()))


def _record_start(ledger: Any, path: Path) -> None:
    """Record, once per file, the event the checkpoint file's first line is at (``CHECKPOINT_FROM``)."""
    from sqlalchemy.exc import IntegrityError

    from .models import LedgerMeta

    lines = read_lines(path) if path.exists() else []
    first = _json(lines[0]).get("seq") if lines else None
    if not isinstance(first, int):
        return
    M = LedgerMeta.__table__
    with contextlib.suppress(IntegrityError), ledger.engine.begin() as c:
        starts = _starts(c)
        if str(path.resolve()) in starts:
            return
        had = c.execute(select(M.c.key).where(M.c.key == CHECKPOINT_FROM)).first() is not None
        value = json.dumps({**starts, str(path.resolve()): first}, sort_keys=True)
        if had:
            c.execute(M.update().where(M.c.key == CHECKPOINT_FROM).values(value=value))
        else:
            c.execute(M.insert().values(key=CHECKPOINT_FROM, value=value))


def _json(line: str) -> dict[str, Any]:
    try:
        v = json.loads(line)
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}


def _sealed_from(line: str | None) -> int | None:
    if line is None:
        return None
    try:
        v = json.loads(line).get("sealed_from")
    except (ValueError, AttributeError):
        return None
    return v if isinstance(v, int) else None


def signer_from(key_path: str | Path | None, checkpoints: str | Path | None, db_url: str,
                checkpoints_db: str | None = None, root: str | Path | None = None) -> Signer | None:
    """The signer the settings ask for, or None when no key is configured. Its trusted root: ``root``, else
    ``WENGANG_ROOT_PUBLIC_KEY``, else ``<key>.root.pub`` beside the private key when there is one (``rotate-key``
    writes it), else the key's own public key."""
    if not key_path:
        return None
    path = Path(checkpoints) if checkpoints else default_path(db_url)
    if path is None:
        raise LedgerError("no_checkpoint_file", f"非 SQLite 数据库须用 --checkpoints 或 {FILE_ENV} 指定检查点文件",
                          f"give the checkpoint file with --checkpoints or {FILE_ENV} for a non-SQLite database")
    root = root or os.environ.get(ROOT_ENV) or None
    if root is None and root_path(Path(key_path)).exists():
        root = root_path(Path(key_path))
    return Signer(load_private(Path(key_path)), Store(path, checkpoints_db), load_public(Path(root)) if root else None)


# --------------------------------------------------------------- verify
def verify(conn: Connection, lines: list[str], rep: audit.VerifyReport, *, trusted: Ed25519PublicKey | None,
           stored: Ed25519PublicKey | None, source: str, seals: str = "all", before: Sequence[str] = ()) -> int:
    """Check every checkpoint line against its signature and the chain in ``conn``; findings go to ``rep``.
    ``trusted`` is the auditor's own public key, ``stored`` the one kept beside the checkpoints. Then the seals:
    from the first sealed event the checkpoints name (``sealed_from``), every event must carry a seal by one of the
    file's keys — ``seals="all"`` every such event, ``"uncovered"`` those after the last checkpoint. Returns the
    number of valid checkpoints. ``before``: the lines ``lines`` continue (a second store attached to a ledger that
    already had a checkpoint file: its first line follows the file's last line then), read for their links and keys,
    not reported again."""
    if trusted is not None and stored is not None and _raw(trusted) != _raw(stored):
        rep.problem("public_key", f"检查点旁存放的公钥（{key_id(stored)}）与审计员持有的公钥（{key_id(trusted)}）不同，可能已被替换",
                    f"the public key kept with the checkpoints ({key_id(stored)}) differs from the auditor's "
                    f"({key_id(trusted)}): it may have been replaced")
    key = trusted or stored
    if key is None:
        rep.problem("public_key", "没有可用于校验检查点的公钥", "no public key to check the checkpoints with")
        return 0
    if trusted is None:
        rep.warn("未提供审计员自己的公钥（--public-key），使用检查点旁存放的公钥：能发现截断与改写，不能排除连同公钥一起伪造",
                 "no --public-key given: using the key kept with the checkpoints, which an attacker could replace")
    lid = ledger_id(conn)
    seq_now, _, count = head(conn)
    prev, valid, last_seq = audit.GENESIS, 0, 0
    keys: list[tuple[Ed25519PublicKey, int | None]] = []  # each key and the last event it may seal (None: any)
    sealed_from = audit.sealed_from(conn)  # the ledger's own record; the checkpoints' is the proof
    for n, line in enumerate([*before, *lines], 1 - len(before)):
        if n <= 0:  # a line of the file this store continues: its link and key carry on, checked with the file
            rec = _json(line)
            prev = _line_hash(line)
            if rec.get("type") == "rotate" and isinstance(rec.get("new_key"), str):
                with contextlib.suppress(ValueError):
                    keys.append((key, rec["seq"] if isinstance(rec.get("seq"), int) else None))
                    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(rec["new_key"]))
            continue
        where, where_en = f"{source} 第 {n} 行", f"{source} line {n}"
        try:
            rec = json.loads(line)
            payload = {k: v for k, v in rec.items() if k != "sig"}
            sig = base64.b64decode(rec["sig"], validate=True)
        except (ValueError, KeyError, TypeError, AttributeError):
            rep.problem("checkpoint_file", f"{where}无法解析", f"{where_en} cannot be read")
            prev = _line_hash(line)
            continue
        if payload.get("prev") != prev:
            rep.problem("checkpoint_file", f"{where}与上一行不衔接（有行被删除、插入或改动）",
                        f"{where_en} does not follow the previous line (a line was removed, inserted or altered)")
        prev = _line_hash(line)
        try:
            key.verify(sig, audit.canonical(payload).encode())
        except InvalidSignature:
            rep.problem("checkpoint_signature", f"{where}的签名无效（检查点被改动，或由其他密钥签名）",
                        f"{where_en}: signature invalid (altered, or signed by another key)")
            continue
        if payload.get("ledger") != lid:
            rep.problem("ledger_identity", f"{where}属于台账 {payload.get('ledger')}，本台账为 {lid}",
                        f"{where_en} belongs to ledger {payload.get('ledger')}, this ledger is {lid}")
            continue
        if isinstance(payload.get("sealed_from"), int):
            sealed_from = min(sealed_from or payload["sealed_from"], payload["sealed_from"])
        if payload.get("type") == "rotate":
            keys.append((key, payload["seq"] if isinstance(payload.get("seq"), int) else None))
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(payload["new_key"]))
            continue
        valid += 1
        _check_head(conn, rep, payload, where, where_en, count)
        last_seq = max(last_seq, int(payload["seq"]))
    keys.append((key, None))
    if sealed_from is not None:
        _check_seals(conn, rep, keys, max(sealed_from, last_seq + 1) if seals == "uncovered" else sealed_from)
    if valid == 0:
        rep.warn("没有有效的签名检查点：整链重算与尾部截断无法发现",
                 "no valid signed checkpoint: a recomputed chain or a cut tail cannot be detected")
    elif seq_now > last_seq:
        rep.warn(f"最后一个检查点之后的 {seq_now - last_seq} 个事件尚无签名检查点覆盖",
                 f"{seq_now - last_seq} events after the last checkpoint are not yet covered by one")
    return valid


def _check_seals(conn: Connection, rep: audit.VerifyReport, keys: list[tuple[Ed25519PublicKey, int | None]],
                 start: int) -> None:
    """Every event from ``start`` on carries a seal by one of ``keys`` over its hash. The chain's hash is not keyed, so
    an event appended by someone with database access alone (an account change and its “approval”, a role) keeps the
    chain and the workflow: only the seal tells it from one the application wrote (outside tamper audit, session 36)."""
    bad: list[int] = []
    n = 0
    rows = conn.execute(select(_EV.seq, _EV.hash, _EV.seal).where(_EV.seq >= start).order_by(_EV.seq))
    for part in rows.partitions(5_000):
        for seq, h, seal in part:
            n += 1
            ok = False
            if seal:
                try:
                    sig = base64.b64decode(seal, validate=True)
                except ValueError:
                    sig = b""
                for k, upto in keys:
                    if upto is not None and seq > upto:
                        continue  # a retired key seals nothing after its rotation
                    try:
                        k.verify(sig, h.encode())
                        ok = True
                        break
                    except InvalidSignature:
                        continue
            if not ok:
                bad.append(seq)
    if bad:
        shown = "、".join(str(s) for s in bad[:10]) + ("等" if len(bad) > 10 else "")
        rep.problem("unsealed",
                    f"事件 {shown}（共 {len(bad)} 个）没有签名密钥的有效封印：自事件 {start} 起每个事件都应由持有签名密钥的程序写入并加封，"
                    "这些事件可能是绕过程序直接写入数据库的",
                    f"events {bad[:10]} ({len(bad)} in all) carry no valid seal by the signing key: from event {start} on "
                    "every event is written and sealed by the application holding the key; these may have been written "
                    "into the database directly")


def _check_head(conn: Connection, rep: audit.VerifyReport, cp: dict[str, Any], where: str, where_en: str,
                count: int) -> None:
    seq, want = int(cp["seq"]), cp["hash"]
    if seq == 0:
        return
    got = conn.execute(select(_EV.hash).where(_EV.seq == seq)).scalar_one_or_none()
    if got is None:
        rep.problem("truncated", f"{where}签名记录链头为事件 {seq}，现链中已无该事件（尾部被截断，现有 {count} 个事件）",
                    f"{where_en} signed head event {seq}; the chain no longer has it (tail cut off, {count} events left)")
    elif count < int(cp["events"]):
        rep.problem("event_missing", f"{where}签名时链中有 {cp['events']} 个事件，现只有 {count} 个（有事件被删除）",
                    f"{where_en} signed {cp['events']} events; the chain now has {count} (events deleted)")
    elif got != want:
        rep.problem("rewritten", f"{where}签名记录事件 {seq} 的哈希为 {want[:16]}…，现为 {got[:16]}…（链条被重算改写）",
                    f"{where_en} signed hash {want[:16]}… for event {seq}; it is now {got[:16]}… (chain recomputed)")


def verify_from_options(conn: Connection, rep: audit.VerifyReport, *, db_url: str, checkpoints: str | None,
                        checkpoints_db: str | None, public_key: str | None) -> None:
    """``audit verify``'s checkpoint part: which file/database, which key, and the limits when there is none."""
    path = Path(checkpoints) if checkpoints else default_path(db_url)
    sources: list[tuple[str, list[str], Path | None]] = []
    if path is not None and (checkpoints or path.exists()):
        if not path.exists():
            rep.problem("checkpoint_file", f"检查点文件 {path} 不存在（被删除？）", f"checkpoint file {path} does not exist (deleted?)")
        else:
            sources.append((str(path), read_lines(path), path))
    if checkpoints_db:
        sources.append(("检查点数据库", read_lines(db_url=checkpoints_db), path))
    if not sources:
        rep.warn("未配置签名检查点：只能发现链内不一致的篡改，整链重算或尾部截断无法发现（见 docs/audit-keys.md）",
                 "no signed checkpoints: tamper evidence is limited to what the chain shows itself; a recomputed "
                 "chain or a cut tail cannot be detected (see docs/audit-keys.md)")
        return
    trusted = load_public(Path(public_key)) if public_key else None
    file_lines = sources[0][1] if sources and sources[0][0] != "检查点数据库" else []
    for name, lines, p in sources:
        stored = None
        if p is not None and stored_public_path(p).exists():
            with contextlib.suppress(LedgerError):
                stored = load_public(stored_public_path(p))
            if stored is None and name != "检查点数据库":
                rep.problem("public_key", f"{stored_public_path(p)} 不是有效的公钥（被替换？）",
                            f"{stored_public_path(p)} is not a valid public key (replaced?)")
        before: list[str] = []
        if name == "检查点数据库" and lines and file_lines:
            # a second store attached after the file began: its first line follows the file's line it was added after
            first_prev = _json(lines[0]).get("prev")
            hashes = [_line_hash(x) for x in file_lines]
            if first_prev != audit.GENESIS and first_prev in hashes:
                before = file_lines[: hashes.index(first_prev) + 1]
                rep.warn(f"检查点数据库自检查点文件第 {len(before)} 行之后启用：此前的检查点只在文件中",
                         f"the second store was added after line {len(before)} of the checkpoint file")
        verify(conn, lines, rep, trusted=trusted, stored=stored, source=name, before=before)
