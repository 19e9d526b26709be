"""A screening run started through the API on a generated region (real pipeline), and a write path on
PostgreSQL."""

from __future__ import annotations

import io
import time

import polars as pl
import pytest
from sqlalchemy import select

from wengang.casework.models import AuditEvent

from .conftest import UNIT_B, serve


@pytest.fixture
def region(tmp_path_factory):
    from wengang.screening.demo_data import generate_region

    out = tmp_path_factory.mktemp("region")
    generate_region(out, region_code="150500", n_units=120, year=2025, seed=0)
    return out


def test_screening_run_in_the_background_with_filtered_masked_results(web, region, tmp_path):
    web.app.state.config.data_folders = {"通辽": str(region)}
    c = web.client("clerk")
    assert c.get("/api/v1/screening/folders").json()[0]["name"] == "通辽"
    r = c.post("/api/v1/screening/runs", json={"folder": "通辽", "date": "2025-08-01", "region": "150500",
                                               "readings": {}}, headers={"Idempotency-Key": "run-1"})
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    for _ in range(600):
        job = c.get(f"/api/v1/screening/runs/{jid}").json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job["state"] == "done", job
    units = next(i for i in job["summary"]["input"] if i["table"] == "units")
    assert units["in"] == 120 and units["in"] == units["accepted"] + units["quarantined"]
    res = c.get(f"/api/v1/screening/runs/{jid}/results", params={"page_size": 10}).json()
    assert res["total"] > 0 and len(res["items"]) == min(10, res["total"])
    assert all("*" in i["credit_code"] for i in res["items"])
    eligible = c.get(f"/api/v1/screening/runs/{jid}/results", params={"status": "eligible", "page_size": 500}).json()
    assert eligible["total"] and all(i["status"] == "eligible" for i in eligible["items"])
    xlsx = c.get(f"/api/v1/screening/runs/{jid}/files/results.parquet")
    assert xlsx.status_code == 200
    frame = pl.read_parquet(io.BytesIO(xlsx.content))
    assert frame.height == res["total"]
    assert c.get(f"/api/v1/screening/runs/{jid}/files/..%2Fledger.db").status_code == 404
    # the same key again: the run is not started twice
    again = c.post("/api/v1/screening/runs", json={"folder": "通辽", "date": "2025-08-01", "region": "150500",
                                                   "readings": {}}, headers={"Idempotency-Key": "run-1"})
    assert again.json()["id"] == jid and len(c.get("/api/v1/screening/runs").json()) == 1
    imported = c.post(f"/api/v1/screening/runs/{jid}/import", json={})
    assert imported.status_code == 200 and imported.json()["inserted"] == frame.height
    EV = AuditEvent.__table__.c
    assert web.ledger.read(select(EV.actor).where(EV.action == "import"))[-1]["actor"] == "clerk"


@pytest.mark.postgres
def test_confirm_and_replay_on_postgres(pg_web):
    c = pg_web.client("clerk")
    did = pg_web.ids[UNIT_B]
    key = {"Idempotency-Key": "pg-confirm-1"}
    r1 = c.post(f"/api/v1/decisions/{did}/confirm", json={"amount_fen": 500_000}, headers=key)
    assert r1.status_code == 200, r1.text
    r2 = c.post(f"/api/v1/decisions/{did}/confirm", json={"amount_fen": 500_000}, headers=key)
    assert r2.json() == r1.json() and r2.headers["Idempotent-Replayed"] == "true"
    assert pg_web.ledger.decision(did)["state"] == "confirmed"
    EV = AuditEvent.__table__.c
    ev = pg_web.ledger.read(select(EV.actor, EV.reason).where(EV.action == "confirm", EV.entity_id == str(did)))
    assert [e["actor"] for e in ev] == ["clerk"] and "经办人员代为登记" in ev[0]["reason"]
    assert pg_web.ledger.verify_audit().ok
    assert c.get("/healthz").json()["database"] == "postgresql"


def test_serve_builds_an_app_over_a_second_connection(web, tmp_path):
    # one ledger, two applications (as two workers would be): a session opened in one is valid in the other
    other = serve(web.ledger, web.ids, tmp_path)
    c = web.client("auditor")
    token = c.cookies.get("wengang_session")
    o = other.client()
    o.cookies.set("wengang_session", token)
    assert o.get("/api/v1/auth/me").json()["login"] == "auditor"
