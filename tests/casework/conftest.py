"""Every ledger test runs on SQLite and on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from wengang.casework import Ledger

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_pg_ok: bool | None = None


def pg_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            with create_engine(PG_URL, connect_args={"connect_timeout": 3}).connect() as c:
                c.execute(text("select 1"))
            _pg_ok = True
        except Exception:  # noqa: BLE001
            _pg_ok = False
    return _pg_ok


class DB:
    """Where a test ledger lives: ``url`` and (PostgreSQL) ``schema``."""

    def __init__(self, kind: str, tmp_path):
        self.kind = kind
        if kind == "sqlite":
            self.url, self.schema = f"sqlite:///{tmp_path}/ledger.db", None
        else:
            self.url, self.schema = PG_URL, f"cw_{uuid.uuid4().hex[:12]}"
            with create_engine(PG_URL).begin() as c:
                c.execute(text(f'CREATE SCHEMA "{self.schema}"'))

    def open(self, **kw) -> Ledger:
        return Ledger.open(self.url, schema=self.schema, **kw)

    def drop(self) -> None:
        if self.schema:
            eng = create_engine(PG_URL)
            with eng.begin() as c:
                c.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    if request.param == "postgres" and not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable "
                    "(start it: pg_ctlcluster --skip-systemctl-redirect 15 main start)")
    d = DB(request.param, tmp_path)
    yield d
    d.drop()


@pytest.fixture
def ledger(db):
    """A migrated ledger with the standard operators registered (ledger_helpers.STAFF)."""
    from ledger_helpers import register_staff

    led = register_staff(db.open())
    yield led
    led.close()


@pytest.fixture
def pg_db(tmp_path):
    if not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
    d = DB("postgres", tmp_path)
    yield d
    d.drop()


