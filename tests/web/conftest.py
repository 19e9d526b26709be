"""A web service over a small real ledger (SQLite in a temporary folder; one test also on PostgreSQL).

The ledger holds the standard operators (one per role, plus the portal operator units act through), web
logins for each of them, a 单位 account bound to UNIT_A, a 个人 account bound to PERSON, three notified
稳岗返还 decisions (UNIT_A, UNIT_B and a third unit) and PERSON's 技能提升补贴 application (已申请). ``Web.client(login)`` is a TestClient signed in as that
login (session cookie + its CSRF token as a default header); ``Web.client()`` is anonymous.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from wengang.casework import DecisionIn, Ledger, RunIn
from wengang.casework.operators import add_operator
from wengang.web import accounts
from wengang.web.app import create_app
from wengang.web.config import WebConfig

UNIT_A = "91150502MA0N1234XN"
UNIT_B = "91150502MA0N9999XE"
UNIT_C = "91150502MA0N5678XD"
PERSON = "152301199001010015"
OTHER_PERSON = "15230119850505002X"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STAFF = {  # login -> (roles, display)
    "admin": (["管理员"], "王管理"), "clerk": (["经办"], "张经办"), "checker": (["复核"], "李复核"),
    "cashier": (["出纳"], "赵出纳"), "auditor": (["稽核"], "钱稽核"), "portal": (["经办"], "网上经办平台"),
}
ROLE_LOGIN = {"admin": "admin", "caseworker": "clerk", "reviewer": "checker", "payer": "cashier",
              "auditor": "auditor", "unit": "danwei", "person": "geren"}
RUN = RunIn("fanhuan", 2025, "150500", {"web-test": "c" * 64}, {"内人社发〔2025〕18号": "2025-05-27"})


def pw(login: str) -> str:
    return f"test-password-{login}"


def decision(unit_id: str, name: str, amount: int = 1_118_430, **kw: Any) -> DecisionIn:
    base: dict[str, Any] = dict(
        unit_id=unit_id, unit_name=name, region_code="150502", program="fanhuan", policy_doc="内人社发〔2025〕18号",
        clause="一", status="eligible", amount_fen=amount, reasons=["✔ 足额缴纳失业保险费12个月以上"],
        explanation="✔ 足额缴纳失业保险费12个月以上\n✔ 上年度裁员率 0.0% ≤ 5.5%", readings={},
        payment_channel="corporate_account", size_class="small", year=2025, account_no="6222000011112222333",
        contact="13800000000")
    base.update(kw)
    return DecisionIn(**base)


class Clock:
    """The service's clock, moved by tests (session expiry, locks)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Web:
    ledger: Ledger
    app: Any
    clock: Clock
    ids: dict[str, int] = field(default_factory=dict)

    def client(self, login: str | None = None, **kw: Any) -> TestClient:
        c = TestClient(self.app, **kw)
        if login is not None:
            r = c.post("/api/v1/auth/login", json={"login": login, "password": pw(login)})
            assert r.status_code == 200, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c


def populate(led: Ledger) -> dict[str, int]:
    """Operators, web logins and three notified decisions; the decisions' ids by unit."""
    add_operator(led, "admin", roles=STAFF["admin"][0], display_name=STAFF["admin"][1], bootstrap=True)
    for login, (roles, display) in STAFF.items():
        if login != "admin":
            add_operator(led, login, roles=roles, display_name=display, actor="admin")
    for login in STAFF:
        accounts.set_password(led, login, pw(login), actor="admin")
    accounts.add_portal_account(led, "danwei", pw("danwei"), kind="unit", subject=UNIT_A, actor="admin",
                                display_name="顺达商贸")
    accounts.add_portal_account(led, "geren", pw("geren"), kind="person", subject=PERSON, actor="admin",
                                display_name="张三")
    led.import_decisions(RUN, [decision(UNIT_A, "通辽市科尔沁区顺达商贸有限公司"),
                               decision(UNIT_B, "通辽市科尔沁区另一家有限公司", 500_000),
                               decision(UNIT_C, "通辽市科尔沁区永兴建材有限公司", 300_000, size_class="micro")], "clerk")
    led.notify("fanhuan", 2025, "clerk", channels=("sms",))
    from wengang.web.demo import PERSON_FACTS, _decision

    ids = {PERSON: led.apply_skill_subsidy(_decision("skill_subsidy", "150502", date(2025, 9, 1), PERSON_FACTS), "clerk")}
    for u in (UNIT_A, UNIT_B, UNIT_C):
        did = led.find(program="fanhuan", year=2025, unit_id=u)
        assert did is not None
        ids[u] = did
    return ids


def serve(led: Ledger, ids: dict[str, int], tmp_path: Any, schema: str | None = None, **cfg_kw: Any) -> Web:
    clock = Clock()
    cfg = WebConfig(database_url=str(led.engine.url), secret_key="test-secret-key-" + "x" * 32, schema=schema,
                    clock=clock, work_dir=str(tmp_path / "web"), **cfg_kw)
    return Web(led, create_app(cfg, ledger=led), clock, dict(ids))


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The populated SQLite ledger, built once; each test works on a copy."""
    path = tmp_path_factory.mktemp("web-template") / "ledger.db"
    led = Ledger.open(f"sqlite:///{path}")
    ids = populate(led)
    led.close()  # the last connection checkpoints the WAL into the file
    return path, ids


@pytest.fixture
def web(template, tmp_path) -> Any:
    src, ids = template
    shutil.copy(src, tmp_path / "ledger.db")
    led = Ledger.open(f"sqlite:///{tmp_path}/ledger.db")
    w = serve(led, ids, tmp_path)
    yield w
    led.close()


def pg_available() -> bool:
    try:
        with create_engine(PG_URL, connect_args={"connect_timeout": 3}).connect() as c:
            c.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def pg_web(tmp_path) -> Any:
    if not pg_available():
        pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
    schema = f"web_{uuid.uuid4().hex[:12]}"
    eng = create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    led = Ledger.open(PG_URL, schema=schema)
    w = serve(led, populate(led), tmp_path, schema)
    yield w
    w.ledger.close()
    with eng.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    eng.dispose()
