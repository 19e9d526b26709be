"""Screening progress as the web reports it: ``progress.observe`` follows the pipeline's steps (rows processed of
how many), and a screening job records the running step's count, not only a stage label."""

from __future__ import annotations

import json

import polars as pl
import pytest

from wengang import progress
from wengang.web import jobs


def test_observe_reports_the_innermost_open_step_with_its_counts():
    seen: list[dict] = []
    with progress.observe(seen.append, every=0):
        with progress.step("第1步", total=100, unit="行") as outer:
            outer.advance(40)
            with progress.step("写出 results.xlsx", total=10, unit="行") as inner:
                inner.advance(5)
                outer.advance(10)  # the outer step's count is not shown while the inner one runs
            outer.advance(50)
    with progress.step("不在观察中", total=1):  # outside the block: nothing reported
        pass
    shown = [(s["label"], s["done"], s["total"]) for s in seen]
    assert shown == [("第1步", 0, 100), ("第1步", 40, 100), ("写出 results.xlsx", 0, 10), ("写出 results.xlsx", 5, 10),
                     ("第1步", 50, 100), ("第1步", 100, 100), ("第1步", 100, 100)]
    assert seen[1]["percent"] == 40 and seen[1]["unit"] == "行" and seen[-1]["percent"] == 100


def test_observe_throttles_updates_but_not_opening_and_closing():
    seen: list[dict] = []
    with progress.observe(seen.append, every=3600):
        with progress.step("长步骤", total=1000) as s:
            for _ in range(1000):
                s.advance()
    assert [(x["done"]) for x in seen] == [0, 1000]  # opened, closed; the 1000 advances in between throttled


@pytest.fixture
def region(tmp_path_factory):
    from wengang.screening.demo_data import generate_region

    out = tmp_path_factory.mktemp("region")
    generate_region(out, region_code="150500", n_units=60, year=2025, seed=1)
    return out


def test_a_screening_job_records_rows_processed(web, region, monkeypatch):
    cfg = web.app.state.config
    cfg.data_folders = {"通辽": str(region)}
    writes: list[dict] = []
    real_set = jobs._set

    def spy(ledger, jid, **values):
        if "progress" in values:
            writes.append(json.loads(values["progress"]))
        real_set(ledger, jid, **values)

    monkeypatch.setattr(jobs, "_set", spy)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)
    jid = jobs.start(web.ledger, cfg, {"folder": "通辽", "date": "2025-08-01", "region": "150500", "readings": {}},
                     "clerk", wait=True)
    job = web.client("auditor").get(f"/api/v1/screening/runs/{jid}").json()
    assert job["state"] == "done", job
    monthly = [w for w in writes if "第2步" in w["label"]]
    assert monthly and monthly[0]["unit"] == "行缴费记录" and monthly[0]["total"] > 60 * 10
    assert monthly[-1]["done"] == monthly[-1]["total"] and monthly[-1]["percent"] == 100
    assert any("第3步" in w["label"] for w in writes)
    # the API shows the last step's count beside the stage label
    assert job["stage"] == "完成" and job["progress"]["label"] == "筛查 第3步/共3步 写出结果与公示名单"
    assert set(job["progress"]) >= {"label", "done", "total", "unit", "percent", "rate_per_s", "elapsed_s"}


def test_results_filters_count_once_and_refuse_an_unknown_status(web, region, monkeypatch):
    cfg = web.app.state.config
    cfg.data_folders = {"通辽": str(region)}
    jid = jobs.start(web.ledger, cfg, {"folder": "通辽", "date": "2025-08-01", "region": "150500", "readings": {}},
                     "clerk", wait=True)
    c = web.client("auditor")
    url = f"/api/v1/screening/runs/{jid}/results"
    frame = pl.read_parquet(jobs.out_dir(web.ledger, jid) / "results.parquet")
    want = frame.filter(pl.col("status") == "ineligible", pl.col("region_code").str.starts_with("1505"))
    r = c.get(url, params={"status": "ineligible", "region": "1505", "page_size": 5}).json()
    assert r["total"] == want.height and [i["name"] for i in r["items"]] == want["name"].head(5).to_list()
    assert all(i["status"] == "ineligible" and "*" in i["credit_code"] for i in r["items"])
    assert len(jobs._MATCHES) >= 1
    page2 = c.get(url, params={"status": "ineligible", "region": "1505", "page_size": 5, "page": 2}).json()
    assert page2["total"] == r["total"] and [i["name"] for i in page2["items"]] == want["name"][5:10].to_list()
    # the same pages when every row is its own slice, and when the page is read by filtering again
    for gap, most in ((0, 10**9), (0, 1)):
        monkeypatch.setattr(jobs, "SLICE_GAP", gap)
        monkeypatch.setattr(jobs, "MAX_SLICES", most)
        again = c.get(url, params={"status": "ineligible", "region": "1505", "page_size": 5, "page": 2}).json()
        assert again == page2
    bad = c.get(url, params={"status": "bogus"})
    assert bad.status_code == 422 and "筛查结论" in bad.json()["message_zh"]
