"""Who may sign in: passwords (argon2id), sessions, API tokens and the lock after failed logins.

Service functions over the ledger's database (tables in ``casework/models.py``, migration 0005), used by the
web service and by ``wengang user password|portal-account|token``:

* ``set_password`` gives a registered ledger operator a password; ``add_portal_account`` makes a 单位 account
  bound to its 统一社会信用代码 or a 个人 account bound to a 公民身份号码. Each is an audit event
  (``credential_set``) carrying the SHA-256 of the stored hash and the binding, and ``authenticate`` refuses a
  row that differs from its latest event: a password hash or a binding edited behind the ledger's back does not
  open a session (the same rule as an operator's roles, ``operators.lookup``).
* ``authenticate`` checks a login and password under the lock-out (``max_failures`` failures per login name and
  per client address within the window lock that name or address for ``lock_minutes``).
* sessions: a random token in the cookie, its HMAC-SHA-256 under the service's secret key (``WENGANG_SECRET_KEY``,
  never in the database) in ``web_sessions``; idle and absolute expiry; a new token at every login (rotation), the
  old one deleted. A row written into ``web_sessions`` by SQL alone (say ``sha256('forged')``) never authenticates:
  only the service can compute a session's id (session 40 tamper audit F1). The row's ``csrf_token`` is a second
  HMAC (``session_seal``) over the token, the ``login``, ``created_at`` and the absolute ``expires_at``, recomputed
  from the row's own values at every request: a login swapped by SQL (a 单位 portal session made the 出纳's) or an
  expiry pushed out by SQL no longer matches, and the request is not signed in (401). Only ``last_seen`` (the idle
  end, which slides) is outside it, and it cannot carry a session past its sealed absolute end.
* API tokens: ``wg_`` + random, stored as SHA-256, bound to an operator and a subset of its roles (the roles
  the operator still holds at each request).

An operator's roles are always those ``operators.lookup`` derives from the audit events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, and_, delete, func, insert, select, update

from wengang.casework import audit, operators
from wengang.casework.errors import LedgerError
from wengang.casework.models import Base
from wengang.casework.roles import ROLES, normalize_login, parse_role

_T = Base.metadata.tables  # the tables, typed (mypy)

KINDS = {"operator": "操作人员", "unit": "单位", "person": "个人"}
MIN_PASSWORD = 10
_HASHER = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile
# verified against when the login does not exist, so an unknown name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("wengang-no-such-login")
CRED = _T["web_credentials"].c
SESS = _T["web_sessions"].c
TOK = _T["web_api_tokens"].c
THR = _T["web_login_throttle"].c
EV = _T["case_audit_events"].c


class AuthError(Exception):
    """A refused login or request: ``status`` is the HTTP status (401, 403, 429)."""

    def __init__(self, code: str, zh: str, en: str, status: int = 401, retry_after: int | None = None):
        self.code, self.zh, self.en, self.status, self.retry_after = code, zh, en, status, retry_after
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``kind`` operator | unit | person; ``roles`` the operator's role codes (a unit or person
    has the single pseudo-role ``unit`` / ``person``); ``subject`` the bound 统一社会信用代码 / 公民身份号码."""

    login: str
    kind: str
    roles: tuple[str, ...]
    subject: str | None = None
    display_name: str = ""
    via: str = "session"  # session | token
    csrf_token: str | None = None  # the session's (None for tokens)

    @property
    def actor(self) -> str:
        """What the audit trail records for this caller's own reads and checks."""
        return self.login if self.kind == "operator" else f"{self.kind}:{self.login}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def session_id(token: str, cfg: Any) -> str:
    """The ``web_sessions.id`` of a cookie's token: HMAC-SHA-256 keyed by the service's secret key (``cfg.secret_key``,
    ``WENGANG_SECRET_KEY``), which the database does not hold. A plain SHA-256 let anyone who can write the table
    forge a session for any login (session 40 tamper audit F1); without the key no row can be made to match."""
    key = str(getattr(cfg, "secret_key", "") or "")
    if not key:
        raise AuthError("no_secret", "服务未配置密钥（WENGANG_SECRET_KEY），不能使用会话", "the service has no secret key", 503)
    return hmac.new(key.encode(), f"web-session:{token}".encode(), "sha256").hexdigest()


def session_seal(token: str, login: str, created_at: str, expires_at: str, cfg: Any) -> str:
    """The seal kept in a session row's ``csrf_token`` (also the CSRF token its pages and clients send back): an
    HMAC-SHA-256 under the secret key over the cookie's token and the row's fields that decide who the session is
    and until when (``login``, ``created_at``, the absolute ``expires_at``, as stored). ``session_id`` only finds
    the row; a row whose login or expiry was edited by SQL no longer matches its seal (session 40 tamper audit:
    ``UPDATE web_sessions SET login = 'cashier'`` made a 单位 portal session the 出纳's)."""
    session_id(token, cfg)  # the same refusal without a key
    key = str(cfg.secret_key)
    msg = "\x1f".join(("web-session-seal", token, login, created_at, expires_at))
    return hmac.new(key.encode(), msg.encode(), "sha256").hexdigest()


# ------------------------------------------------------------------ credentials
def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise LedgerError("weak_password", f"密码至少 {MIN_PASSWORD} 个字符",
                          f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise LedgerError("weak_password", "密码不能超过 256 个字符", "a password has at most 256 characters")


def _subject(kind: str, subject: str | None) -> str | None:
    from wengang.facts.identifiers import InvalidIdentifier, validate_credit_code, validate_id_number

    if kind == "operator":
        return None
    if not subject:
        raise LedgerError("bad_input", f"{KINDS[kind]}账户须绑定{'统一社会信用代码' if kind == 'unit' else '公民身份号码'}",
                          f"a {kind} account must be bound to its identifier")
    try:
        return validate_credit_code(subject) if kind == "unit" else validate_id_number(subject)
    except InvalidIdentifier as exc:
        raise LedgerError("bad_identifier", exc.message_zh, exc.message_en) from None


def _events(conn: Connection, entity: str, entity_id: str) -> dict[str, Any] | None:
    """The state the events of one credential or token give (later keys override earlier ones)."""
    state: dict[str, Any] | None = None
    for after in conn.execute(select(EV.after).where(EV.entity == entity, EV.entity_id == entity_id)
                              .order_by(EV.seq)).scalars():
        state = {**(state or {}), **json.loads(after or "{}")}
    return state


def set_password(ledger: Any, login: str, password: str, *, actor: str) -> None:
    """Give a registered operator, or a 单位 / 个人 account, a (new) password; its sessions end. A 管理员 may set
    anyone's; an operator may change their own. A unit's or person's password is reset by a 管理员 only (the
    command line does not know who types; the web has no self-service password change). A disabled login stays
    disabled (``set_account_enabled`` alone enables it again)."""
    name = normalize_login(login)
    _check_password(password)
    hashed = _HASHER.hash(password)
    with ledger._tx() as conn:  # the ledger's write transaction and lock (audit events go one at a time)
        row = conn.execute(select(CRED.kind, CRED.subject, CRED.display_name).where(CRED.login == name)).first()
        if row is not None and row.kind != "operator":
            by = operators.require(conn, actor, "manage_operators").login
            _write_credential(conn, by, name, row.kind, row.subject, row.display_name, hashed, new=False)
            return
        by = normalize_login(actor)
        if by != name:
            by = operators.require(conn, actor, "manage_operators").login
        op = operators.lookup(conn, name)
        if op is None:
            raise LedgerError("unknown_operator", f"操作人 {name} 未登记（先 wengang user add；单位、个人账户用 wengang user portal-account 开设）",
                              f"operator {name} is not registered (nor is it a unit or person login)")
        _write_credential(conn, by, name, "operator", None, op.display_name, hashed, new=row is None)


def add_portal_account(ledger: Any, login: str, password: str, *, kind: str, subject: str, actor: str,
                       display_name: str | None = None) -> None:
    """A 单位 account bound to its 统一社会信用代码 or a 个人 account bound to a 公民身份号码 (by a 管理员)."""
    if kind not in ("unit", "person"):
        raise LedgerError("bad_input", "账户类型应为 unit（单位）或 person（个人）", "kind must be unit or person")
    name = normalize_login(login)
    bound = _subject(kind, subject)
    _check_password(password)
    hashed = _HASHER.hash(password)
    with ledger._tx() as conn:
        by = operators.require(conn, actor, "manage_operators").login
        if operators.lookup(conn, name) is not None or conn.execute(select(CRED.id).where(CRED.login == name)).first():
            raise LedgerError("login_taken", f"登录名 {name} 已被使用", f"login {name} is taken")
        _write_credential(conn, by, name, kind, bound, display_name or name, hashed, new=True)


def _write_credential(conn: Connection, by: str, login: str, kind: str, subject: str | None, display: str,
                      hashed: str, *, new: bool) -> None:
    now = iso(now_utc())
    if new:
        enabled = True
        conn.execute(insert(_T["web_credentials"]).values(login=login, kind=kind, subject=subject, display_name=display,
                                                            password_hash=hashed, enabled=True, changed_at=now))
    else:  # a new password keeps the login's enabled flag: a disabled login is enabled again only on purpose
        enabled = bool(conn.execute(select(CRED.enabled).where(CRED.login == login)).scalar_one())
        conn.execute(update(_T["web_credentials"]).where(CRED.login == login)
                     .values(password_hash=hashed, changed_at=now))
    if new:
        reason = "设置登录密码" if kind == "operator" else f"开设{KINDS[kind]}账户"
    else:
        reason = "修改登录密码" if kind == "operator" else f"重设{KINDS[kind]}账户登录密码"
    audit.append(conn, actor=by, action="credential_set", entity="web_credentials", entity_id=login, reason=reason,
                 after={"kind": kind, "subject": subject, "enabled": enabled, "secret_sha256": sha256(hashed)})
    # a new password ends the sessions opened with the old one
    conn.execute(delete(_T["web_sessions"]).where(SESS.login == login))


def portal_kind(target: Any, login: str) -> str | None:
    """``unit`` or ``person`` when ``login`` names a 单位 / 个人 web account, else None (an operator's login, or
    nobody's): how ``wengang user disable|enable|password`` tell the two kinds of login apart."""
    try:
        name = normalize_login(login)
    except LedgerError:
        return None
    with operators._connect(target) as conn:
        kind = conn.execute(select(CRED.kind).where(CRED.login == name)).scalar_one_or_none()
    return kind if kind in ("unit", "person") else None


@dataclass(frozen=True)
class Login:
    """A web login as ``set_account_enabled`` left it."""

    login: str
    kind: str
    display_name: str
    enabled: bool
    changed: bool  # False: it was so already (no event written)


def set_account_enabled(ledger: Any, login: str, *, enabled: bool, actor: str) -> Login:
    """Disable (停用) or enable again a web login, by a 管理员: an audit event (``credential_disable`` /
    ``credential_enable``, before and after, like ``operators.set_enabled``). Disabling deletes its sessions at
    once, and any request still carrying one is refused (401); a sign-in is refused (403 ``account_disabled``).
    No change, no event."""
    name = normalize_login(login)
    with ledger._tx() as conn:
        by = operators.require(conn, actor, "manage_operators").login
        row = conn.execute(select(CRED.kind, CRED.display_name, CRED.enabled).where(CRED.login == name)).first()
        if row is None:
            raise LedgerError("not_found", f"找不到登录账户 {name}", f"login {name} not found")
        if bool(row.enabled) != enabled:
            conn.execute(update(_T["web_credentials"]).where(CRED.login == name).values(enabled=enabled))
            audit.append(conn, actor=by, action="credential_enable" if enabled else "credential_disable",
                         entity="web_credentials", entity_id=name, before={"enabled": bool(row.enabled)},
                         after={"enabled": enabled})
        if not enabled:  # also when disabled already: no session of a disabled login survives
            conn.execute(delete(_T["web_sessions"]).where(SESS.login == name))
        return Login(name, row.kind, row.display_name, enabled, bool(row.enabled) != enabled)


# Principals checked against their audit events are reused while neither their row nor the audit chain's head
# (the highest event number) has moved: every change of a credential, token, operator or role is an audit
# event, so one indexed query per request (the row and the head) replaces replaying the events. A row edited
# behind the ledger's back differs from the one remembered and is checked in full again (and refused).
_HEAD = select(func.max(EV.seq)).scalar_subquery().label("head")
_VERIFIED: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any, Principal]] = {}
_VERIFIED_MAX = 10_000


def _verified(key: tuple[Any, ...], fp: tuple[Any, ...], head: Any) -> Principal | None:
    hit = _VERIFIED.get(key)
    return hit[2] if hit is not None and hit[0] == fp and hit[1] == head else None


def _remember(key: tuple[Any, ...], fp: tuple[Any, ...], head: Any, p: Principal) -> None:
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (fp, head, p)


def principal_for(conn: Connection, login: str, *, via: str = "session", csrf_token: str | None = None,
                  token_roles: Sequence[str] | None = None) -> Principal:
    """The caller ``login`` stands for now: the credential row checked against its events; an operator's roles
    from the audit events (narrowed to the token's roles for an API token). Raises ``AuthError``."""
    row = conn.execute(select(_T["web_credentials"], _HEAD).where(CRED.login == login)).mappings().first()
    if row is None:
        raise AuthError("unknown_login", "登录账户不存在", "no such login")
    key = ("login", str(conn.engine.url), login, tuple(token_roles) if token_roles is not None else None)
    fp = tuple(v for k, v in row.items() if k != "head")
    hit = _verified(key, fp, row["head"])
    if hit is not None:
        return replace(hit, via=via, csrf_token=csrf_token)
    p = _principal_for(conn, login, row, via, csrf_token, token_roles)
    _remember(key, fp, row["head"], p)
    return p


def _principal_for(conn: Connection, login: str, row: Any, via: str, csrf_token: str | None,
                   token_roles: Sequence[str] | None) -> Principal:
    ev = _events(conn, "web_credentials", login) or {}
    if (ev.get("kind"), ev.get("subject"), ev.get("secret_sha256"), bool(ev.get("enabled"))) != (
            row["kind"], row["subject"], sha256(row["password_hash"]), bool(row["enabled"])):
        raise AuthError("credential_tampered", "该登录账户的记录与审计事件不符，已拒绝登录，请联系管理员核查（wengang audit verify）",
                        "this login's record differs from its audit events; refused", 403)
    if not row["enabled"]:
        raise AuthError("account_disabled", "该登录账户已停用", "this login is disabled", 403)
    if row["kind"] == "operator":
        op = operators.lookup(conn, login)
        if op is None or not op.enabled:
            raise AuthError("operator_disabled", "操作人员未登记或已停用", "the operator is not registered or is disabled", 403)
        roles = op.roles if token_roles is None else tuple(r for r in op.roles if r in token_roles)
        return Principal(login, "operator", roles, None, op.display_name, via, csrf_token)
    return Principal(login, row["kind"], (row["kind"],), row["subject"], row["display_name"], via, csrf_token)


# ------------------------------------------------------------------ lock-out
def _lock_state(conn: Connection, key: str, now: datetime) -> datetime | None:
    row = conn.execute(select(THR.locked_until).where(THR.key == key)).first()
    if row is None or row.locked_until is None:
        return None
    until = datetime.fromisoformat(row.locked_until)
    return until if until > now else None


def _fail(conn: Connection, key: str, cfg: Any, now: datetime) -> None:
    row = conn.execute(select(THR.failures, THR.window_start).where(THR.key == key)).first()
    window = timedelta(minutes=cfg.failure_window_minutes)
    if row is None:
        conn.execute(insert(_T["web_login_throttle"]).values(key=key, failures=1, window_start=iso(now), locked_until=None))
        failures = 1
    elif datetime.fromisoformat(row.window_start) + window < now:
        conn.execute(update(_T["web_login_throttle"]).where(THR.key == key)
                     .values(failures=1, window_start=iso(now), locked_until=None))
        failures = 1
    else:
        failures = row.failures + 1
        conn.execute(update(_T["web_login_throttle"]).where(THR.key == key).values(failures=failures))
    if failures >= cfg.max_failures:
        conn.execute(update(_T["web_login_throttle"]).where(THR.key == key)
                     .values(locked_until=iso(now + timedelta(minutes=cfg.lock_minutes)), failures=0,
                             window_start=iso(now)))


def authenticate(ledger: Any, login: str, password: str, *, client: str, cfg: Any) -> Principal:
    """The principal for ``login`` if the password is right and neither the name nor the address is locked."""
    now = cfg.clock()
    try:
        name = normalize_login(login)
    except LedgerError:
        name = str(login)[:64]
    keys = (f"login:{name}", f"ip:{client}")
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            locked = [t for t in (_lock_state(conn, k, now) for k in keys) if t is not None]
            if locked:
                wait = max(1, int((max(locked) - now).total_seconds()))
                raise AuthError("login_locked", f"登录失败次数过多，已锁定，请 {max(1, (wait + 59) // 60)} 分钟后再试",
                                f"too many failed logins: locked, try again in {wait} s", 429, retry_after=wait)
            row = conn.execute(select(CRED.password_hash).where(CRED.login == name)).first()
            try:
                ok = _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password) and row is not None
            except (VerificationError, InvalidHashError):
                ok = False
            if not ok:
                for k in keys:
                    _fail(conn, k, cfg, now)
        # the failure counts are committed before the refusal
        if not ok:
            raise AuthError("bad_credentials", "登录名或密码错误", "wrong login or password")
        with conn.begin():
            conn.execute(delete(_T["web_login_throttle"]).where(THR.key == keys[0]))
            return principal_for(conn, name)


# ------------------------------------------------------------------ sessions
def create_session(ledger: Any, principal: Principal, *, client: str, cfg: Any, replaces: str | None = None) -> str:
    """A new session for ``principal`` (the old cookie's session, if any, deleted): the cookie's token."""
    token = secrets.token_urlsafe(32)
    now = cfg.clock()
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            if replaces:
                conn.execute(delete(_T["web_sessions"]).where(SESS.id == session_id(replaces, cfg)))
            conn.execute(delete(_T["web_sessions"]).where(SESS.expires_at < iso(now)))  # housekeeping
            created, expires = iso(now), iso(now + timedelta(hours=cfg.session_max_hours))
            conn.execute(insert(_T["web_sessions"]).values(
                id=session_id(token, cfg), login=principal.login,
                csrf_token=session_seal(token, principal.login, created, expires, cfg), created_at=created,
                last_seen=created, expires_at=expires, client=client[:64]))
    return token


def session_principal(ledger: Any, token: str, *, cfg: Any) -> Principal | None:
    """The principal of a live session, its last-seen time moved on; None (and the row deleted) once expired."""
    now = cfg.clock()
    sid = session_id(token, cfg)
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            row = conn.execute(select(_T["web_sessions"]).where(SESS.id == sid)).mappings().first()
            if row is None:
                return None
            if not _session_live(row, token, now, cfg):
                conn.execute(delete(_T["web_sessions"]).where(SESS.id == sid))
                return None
            if now - datetime.fromisoformat(row["last_seen"]) > timedelta(seconds=30):  # fewer writes
                conn.execute(update(_T["web_sessions"]).where(SESS.id == sid).values(last_seen=iso(now)))
            try:
                return principal_for(conn, row["login"], csrf_token=row["csrf_token"])
            except AuthError:
                conn.execute(delete(_T["web_sessions"]).where(SESS.id == sid))
                raise


def _session_live(row: Any, token: str, now: datetime, cfg: Any) -> bool:
    """Whether a session row found by its id is sealed as created and neither idle nor past its absolute end.
    The seal is recomputed from the row's own ``login``, ``created_at`` and ``expires_at``, so an edit to any of
    them (a login swapped, an expiry pushed out) fails it. The absolute end is also held to the configured
    ``session_max_hours`` from the sealed creation time, and ``last_seen`` (the one field that slides) must lie
    between the creation time and now: a ``last_seen`` moved into the future by SQL does not stretch the idle end."""
    try:
        created = datetime.fromisoformat(row["created_at"])
        expires = datetime.fromisoformat(row["expires_at"])
        seen = datetime.fromisoformat(row["last_seen"])
        seal = session_seal(token, row["login"], row["created_at"], row["expires_at"], cfg)
    except (TypeError, ValueError):
        return False
    if not hmac.compare_digest(seal, str(row["csrf_token"] or "")):
        return False
    skew = timedelta(minutes=5)  # workers' clocks
    if created > now + skew or not created <= seen <= now + skew:
        return False
    end = min(expires, created + timedelta(hours=cfg.session_max_hours))
    return now < end and now < seen + timedelta(minutes=cfg.session_idle_minutes)


def end_session(ledger: Any, token: str, *, cfg: Any) -> None:
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            conn.execute(delete(_T["web_sessions"]).where(SESS.id == session_id(token, cfg)))


# ------------------------------------------------------------------ API tokens
def create_token(ledger: Any, login: str, *, roles: Sequence[str], label: str, actor: str,
                 days: int | None = 365) -> str:
    """A token for a system acting as operator ``login`` with ``roles`` (a subset of the operator's), by a 管理员.
    Returned once; only its SHA-256 is stored."""
    name = normalize_login(login)
    codes = tuple(r for r in ROLES if r in {parse_role(x) for x in roles})
    if not codes:
        raise LedgerError("no_roles", "令牌须至少绑定一个角色", "a token needs at least one role")
    token = "wg_" + secrets.token_urlsafe(32)
    now = now_utc()
    with ledger._tx() as conn:
        by = operators.require(conn, actor, "manage_operators").login
        op = operators.lookup(conn, name)
        if op is None or not op.enabled:
            raise LedgerError("unknown_operator", f"操作人 {name} 未登记或已停用", f"operator {name} is not registered or disabled")
        extra = [r for r in codes if r not in op.roles]
        if extra:
            raise LedgerError("role_refused", f"令牌的角色须为操作人现有角色：{op.label} 没有 {'、'.join(ROLES[r] for r in extra)}",
                              f"token roles must be the operator's: {name} lacks {', '.join(extra)}")
        expires = iso(now + timedelta(days=days)) if days else None
        res = conn.execute(insert(_T["web_api_tokens"]).values(
            token_hash=sha256(token), login=name, roles=",".join(codes), label=label[:100], created_at=iso(now),
            expires_at=expires, revoked=False))
        tid = res.inserted_primary_key[0]
        audit.append(conn, actor=by, action="api_token_add", entity="web_api_tokens", entity_id=str(tid),
                     reason=label[:100], after={"login": name, "roles": list(codes), "expires_at": expires,
                                               "token_sha256": sha256(token), "revoked": False})
    return token


def revoke_token(ledger: Any, token_id: int, *, actor: str) -> None:
    with ledger._tx() as conn:
        by = operators.require(conn, actor, "manage_operators").login
        n = conn.execute(update(_T["web_api_tokens"]).where(TOK.id == token_id).values(revoked=True)).rowcount
        if n != 1:
            raise LedgerError("not_found", f"找不到令牌 {token_id}", f"token {token_id} not found")
        audit.append(conn, actor=by, action="api_token_revoke", entity="web_api_tokens", entity_id=str(token_id),
                     after={"revoked": True})


def _token_row_fast(engine: Any, hashed: str) -> dict[str, Any] | None:
    """The token's row and the audit head in one statement on a pooled DBAPI connection (no SQLAlchemy
    compilation, no transaction): the per-request check of a token already verified."""
    style = engine.dialect.paramstyle
    sql = _FAST_SQL.get(style)
    if sql is None:
        mark = {"qmark": "?", "format": "%s", "pyformat": "%(h)s", "named": ":h", "numeric": ":1"}[style]
        cols = ", ".join(c.name for c in _T["web_api_tokens"].columns)
        sql = _FAST_SQL[style] = (f"SELECT {cols}, (SELECT max(seq) FROM case_audit_events) AS head "
                                  f"FROM web_api_tokens WHERE token_hash = {mark}")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql, {"h": hashed} if style in ("pyformat", "named") else (hashed,))
        found = cur.fetchone()
        cur.close()
    finally:
        raw.close()
    if found is None:
        return None
    return dict(zip([*(c.name for c in _T["web_api_tokens"].columns), "head"], found, strict=True))


_FAST_SQL: dict[str, str] = {}


def token_principal(ledger: Any, token: str, *, cfg: Any) -> Principal:
    """The principal of a bearer token; raises ``AuthError`` for an unknown, revoked, expired or altered one.

    A token verified before costs one indexed statement (``_token_row_fast``) while its row and the audit head
    are as they were; otherwise everything is checked again (``_token_principal``)."""
    hashed = sha256(token)
    key = ("token", ledger.engine.url, hashed)
    if key in _VERIFIED:
        row = _token_row_fast(ledger.engine, hashed)
        if row is not None:
            fp = tuple(v for k, v in row.items() if k != "head")
            hit = _verified(key, fp, row["head"])
            if hit is not None and not row["revoked"]:
                if row["expires_at"] and datetime.fromisoformat(row["expires_at"]) <= cfg.clock():
                    raise AuthError("token_expired", "API 令牌已过期", "the API token has expired")
                return hit
    with ledger.engine.connect() as conn, conn.begin():
        full = conn.execute(select(_T["web_api_tokens"], _HEAD).where(TOK.token_hash == hashed)).mappings().first()
        if full is None or full["revoked"]:
            raise AuthError("bad_token", "API 令牌无效或已吊销", "invalid or revoked API token")
        if full["expires_at"] and datetime.fromisoformat(full["expires_at"]) <= cfg.clock():
            raise AuthError("token_expired", "API 令牌已过期", "the API token has expired")
        p = _token_principal(conn, full)
        _remember(key, tuple(v for k, v in full.items() if k != "head"), full["head"], p)
        return p


def _token_principal(conn: Connection, row: Any) -> Principal:
    ev = _events(conn, "web_api_tokens", str(row["id"])) or {}
    if (ev.get("login"), ev.get("roles"), ev.get("token_sha256"), ev.get("expires_at"), bool(ev.get("revoked"))) != (
            row["login"], row["roles"].split(","), row["token_hash"], row["expires_at"], bool(row["revoked"])):
        raise AuthError("token_tampered", "API 令牌的记录与审计事件不符，已拒绝", "the token's record differs from its events", 403)
    op = operators.lookup(conn, row["login"])
    if op is None or not op.enabled:
        raise AuthError("operator_disabled", "令牌所属操作人员未登记或已停用", "the token's operator is disabled", 403)
    roles = tuple(r for r in op.roles if r in row["roles"].split(","))
    return Principal(op.login, "operator", roles, None, op.display_name, "token", None)


def list_tokens(ledger: Any) -> list[dict[str, Any]]:
    """The API tokens (never the token itself: only its id, operator, roles, label and dates)."""
    with ledger.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(TOK.id, TOK.login, TOK.roles, TOK.label, TOK.created_at,
                                                     TOK.expires_at, TOK.revoked).order_by(TOK.id)).mappings()]


def list_logins(ledger: Any) -> list[dict[str, Any]]:
    with ledger.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(CRED.login, CRED.kind, CRED.subject, CRED.display_name, CRED.enabled)
                                               .order_by(CRED.login)).mappings()]


def unlock(ledger: Any, key: str) -> None:
    """Lift a lock (``login:<name>`` or ``ip:<address>``) — for an administrator's tools and tests."""
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            conn.execute(delete(_T["web_login_throttle"]).where(and_(THR.key == key)))
