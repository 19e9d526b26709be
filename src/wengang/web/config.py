"""Settings of the web service: where the ledger is, the secret key, session and lock-out times, TLS."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

SECRET_ENV = "WENGANG_SECRET_KEY"
DB_ENV = "WENGANG_DB"  # the ledger, as the CLI reads it (``--db``), so that one setting serves both
DB_URL_ENV = "WENGANG_DATABASE_URL"  # the web's older name for the same, still read
MAX_JSON_MB = 10  # a JSON or form body: the largest request (a 公示 list, a simulation) is well below it
MAX_UPLOAD_MB = 2048  # 2 GiB: a region's 参保单位 tables as CSV fit well below it


class ConfigError(ValueError):
    """A setting the service refuses to start with (the message is Chinese, then English)."""


def database_url_from_env(env: Mapping[str, str]) -> str | None:
    """The ledger URL from ``WENGANG_DB`` or ``WENGANG_DATABASE_URL``; both set and different is refused, since the
    CLI (``WENGANG_DB``) and the web would otherwise work on two ledgers without anyone noticing."""
    db, url = env.get(DB_ENV, "").strip(), env.get(DB_URL_ENV, "").strip()
    if db and url and db != url:
        raise ConfigError(
            f"环境变量 {DB_ENV}（{db}）与 {DB_URL_ENV}（{url}）指向不同的台账，服务不予启动；请只设置 {DB_ENV} / "
            f"{DB_ENV} and {DB_URL_ENV} name different ledgers; refusing to start: set {DB_ENV} only"
        )
    return db or url or None


def shown_url(url: str) -> str:
    """A ledger URL as a message may print it: the password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: print no part of it after an '@'
        return url.rsplit("@", 1)[-1]


def serve_ledger(option_url: str | None, *, demo: bool = False,
                 env: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """The ledger ``wengang serve`` serves and a line saying which (Chinese first): ``--database-url`` if given, else
    ``WENGANG_DB`` (or its older name) as docs/deployment.md says — the ledger the ``wengang case`` / ``user``
    commands of the same shell write to — else ``None``: the demo ledger. ``--demo`` asks for the demo although the
    environment names a ledger; with ``--database-url`` it is a contradiction (:class:`ConfigError`)."""
    if demo and option_url:
        raise ConfigError("--demo 与 --database-url 不能同时给出 / --demo and --database-url contradict each other")
    if option_url:
        return option_url, f"台账：{shown_url(option_url)}（--database-url）/ ledger from --database-url"
    from_env = database_url_from_env(os.environ if env is None else env)
    if demo or not from_env:
        note = (f"；未使用环境变量 {DB_ENV} 指定的台账 {shown_url(from_env)} / the ledger {DB_ENV} names is not used"
                if from_env else "")
        return None, f"演示台账（每次启动重建）{note or ' / the demo ledger (rebuilt at each start)'}"
    return from_env, f"台账：{shown_url(from_env)}（环境变量 {DB_ENV}）/ ledger from {DB_ENV}"


def demo_refused(env: Mapping[str, str] | None = None) -> str | None:
    """Why a demo ledger must not be built in place of the ledger the environment names (``None``: no such ledger).
    ``wengang serve`` without ``--database-url`` used to build the demo and print demo logins while ``WENGANG_DB``
    named the office's ledger, silently (session 37 audit F6)."""
    from_env = database_url_from_env(os.environ if env is None else env)
    if not from_env:
        return None
    return (f"已设置环境变量 {DB_ENV}（{shown_url(from_env)}）：服务应使用该台账，不建立演示台账、不打印演示登录；"
            f"请用 wengang serve --database-url \"${DB_ENV}\" 启动，要演示请先 unset {DB_ENV} / {DB_ENV} is set "
            f"({shown_url(from_env)}): refusing to build a demo ledger in its place; start with "
            f"--database-url \"${DB_ENV}\", or unset {DB_ENV} for the demo")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebConfig:
    """``database_url``: the ledger (SQLite file by default, PostgreSQL in production).

    ``secret_key`` keys the CSRF tokens of the login form, the fingerprints of idempotent requests and the stored
    ids of sessions (HMAC of the cookie's token: a ``web_sessions`` row written by SQL alone opens no session, so
    the key must never be kept in the database; every worker needs the same key, and a new key ends every
    session). API tokens are random and stored hashed, each bound to its audit event. ``tls``: the service is reached over
    HTTPS (cookies get ``Secure``, responses HSTS); behind a proxy, ``X-Forwarded-Proto: https`` from a
    trusted proxy (uvicorn ``--forwarded-allow-ips``) says the same for one request.
    """

    database_url: str = "sqlite:///wengang.db"
    secret_key: str = ""
    schema: str | None = None  # PostgreSQL search_path (tests)
    tls: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 8
    max_failures: int = 5  # failed logins per login name and per client address ...
    failure_window_minutes: int = 15  # ... within this window lock that name or address ...
    lock_minutes: int = 15  # ... for this long
    # the registered 经办 operator a 单位 / 个人 account's own steps (confirm, decline) are recorded as, with
    # the account named in the reason (the ledger takes a unit's confirmation through a caseworker)
    portal_operator: str = "portal"
    # data folders a screening run may read, by name (``wengang serve`` registers the demo region's)
    data_folders: dict[str, str] = field(default_factory=dict)
    work_dir: str = "wengang-web"  # screening outputs and uploads, bank files, the outbox file
    # the SMS / portal gateway ``POST /notices/send`` delivers through (``notices.HttpSender``); none: the
    # messages are written to ``<work_dir>/outbox.jsonl`` (recipients masked), as ``wengang case send`` does
    notice_gateway: str | None = None
    migrate: bool = True
    # the casework commands' signing key (WENGANG_SIGNING_KEY): with it the service seals the events it writes; a
    # sealed ledger refuses writes without it (docs/audit-keys.md “Seals”). The checkpoint file and second store as
    # the commands use them (WENGANG_CHECKPOINTS, WENGANG_CHECKPOINTS_DB)
    signing_key: str | None = None
    checkpoints: str | None = None
    checkpoints_db: str | None = None
    clock: Callable[[], datetime] = utc_now  # sessions, locks and tokens expire by this clock (tests move it)
    # the largest request body the service reads (uploaded tables, a bank return), WENGANG_MAX_UPLOAD_MB: a larger
    # one is refused (413) while it arrives, before it fills the disk (docs/deployment.md)
    max_upload_bytes: int = MAX_UPLOAD_MB * 1024 * 1024
    # the largest JSON or form body (parsed whole in memory; uploads, multipart, keep the limit above): larger → 413
    max_json_bytes: int = MAX_JSON_MB * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides: object) -> WebConfig:
        """Settings from the environment (``docs/deployment.md``), ``overrides`` winning:
        WENGANG_DB (or its older name WENGANG_DATABASE_URL; both set and different: :class:`ConfigError`),
        WENGANG_SECRET_KEY, WENGANG_TLS=1, WENGANG_WORK_DIR,
        WENGANG_DATA_FOLDERS (``name=path`` separated by ``;``), WENGANG_PORTAL_OPERATOR, WENGANG_NOTICE_GATEWAY,
        WENGANG_SIGNING_KEY, WENGANG_CHECKPOINTS, WENGANG_CHECKPOINTS_DB, WENGANG_MAX_UPLOAD_MB."""
        env = os.environ
        given: dict[str, object] = {}
        if "database_url" not in overrides:
            db_url = database_url_from_env(env)
            if db_url:
                given["database_url"] = db_url
        if env.get(SECRET_ENV):
            given["secret_key"] = env[SECRET_ENV]
        if env.get("WENGANG_TLS"):
            given["tls"] = env["WENGANG_TLS"].strip().lower() in ("1", "true", "yes", "on")
        if env.get("WENGANG_WORK_DIR"):
            given["work_dir"] = env["WENGANG_WORK_DIR"]
        if env.get("WENGANG_NOTICE_GATEWAY"):
            given["notice_gateway"] = env["WENGANG_NOTICE_GATEWAY"]
        if env.get("WENGANG_PORTAL_OPERATOR"):
            given["portal_operator"] = env["WENGANG_PORTAL_OPERATOR"]
        for name, var in (("signing_key", "WENGANG_SIGNING_KEY"), ("checkpoints", "WENGANG_CHECKPOINTS"),
                          ("checkpoints_db", "WENGANG_CHECKPOINTS_DB")):
            if env.get(var):
                given[name] = env[var]
        if env.get("WENGANG_MAX_UPLOAD_MB"):
            mb = env["WENGANG_MAX_UPLOAD_MB"].strip()
            if not mb.isdigit() or int(mb) < 1:
                raise ConfigError(f"环境变量 WENGANG_MAX_UPLOAD_MB 应为正整数（兆字节），实为“{mb}” / "
                                  "WENGANG_MAX_UPLOAD_MB must be a positive whole number of MB")
            given["max_upload_bytes"] = int(mb) * 1024 * 1024
        if env.get("WENGANG_DATA_FOLDERS"):
            pairs = (p.partition("=") for p in env["WENGANG_DATA_FOLDERS"].split(";") if p.strip())
            given["data_folders"] = {k.strip(): v.strip() for k, _, v in pairs}
        return cls(**{**given, **overrides})  # type: ignore[arg-type]

    def ensure_secret(self) -> bool:
        """Make a random key if none is set (demo); True if one was made."""
        if self.secret_key:
            return False
        self.secret_key = secrets.token_urlsafe(32)
        return True

    @property
    def work_path(self) -> Path:
        return Path(self.work_dir)
