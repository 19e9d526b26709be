"""The screening results endpoint over a large run: the first page with filters, and the next pages.

    python bench/bench_results_page.py --out OUT_DIR     # a `wengang screen` output folder (results.parquet)

Make the run first, e.g. for 1 M units::

    wengang demo-data -n 1000000 -o /tmp/1m/data
    wengang screen -o /tmp/1m/out -d 2025-08-01 --units /tmp/1m/data/units.parquet \\
        --contributions /tmp/1m/data/contributions.parquet --no-excel

The folder is registered as a finished screening job of a fresh ledger and the application is called in
process (ASGI, no HTTP client in between), as an operator with an API token. Each filter combination is asked
for cold (its count not yet cached: the first time a caseworker opens it) and then warm (the count cached, the
next page). Bar: the first page with filters applied in ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

FILTERS: list[dict[str, str]] = [
    {},
    {"status": "eligible"},
    {"status": "ineligible", "size_class": "小型"},
    {"status": "eligible", "region": "150502"},
    {"reason": "layoff"},
    {"status": "ineligible", "reason": "months_paid", "region": "1505"},
    {"reason": "layoff", "region": "150502", "size_class": "中型"},  # few rows, far apart
]


async def _get(app: Any, path: str, query: str, token: str) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 1), "server": ("bench", 80)}
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(m: dict[str, Any]) -> None:
        if m["type"] == "http.response.start":
            out["status"] = m["status"]
        elif m["type"] == "http.response.body":
            out["body"] += m.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True, help="a wengang screen output folder")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import polars as pl
    from bench_api import make_ledger
    from sqlalchemy import insert

    from wengang.casework.models import Base
    from wengang.web import jobs
    from wengang.web.app import create_app
    from wengang.web.config import WebConfig

    results = args.out / "results.parquet"
    rows = pl.scan_parquet(results).select(pl.len()).collect().item()
    with tempfile.TemporaryDirectory(prefix="wengang-bench-results-") as tmp:
        url, token = make_ledger(Path(tmp))
        app = create_app(WebConfig(database_url=url, secret_key="bench-" + "k" * 40, work_dir=f"{tmp}/web"))
        led = app.state.ledger
        with led.engine.begin() as conn:
            jid = conn.execute(insert(Base.metadata.tables["web_screening_jobs"]).values(
                state="done", params="{}", stage="完成", out_dir=str(args.out.resolve()), created_by="bench",
                created_at="2026-12-04T00:00:00+00:00")).inserted_primary_key[0]
        path = f"/api/v1/screening/runs/{jid}/results"
        print(f"{results}: {rows:,} rows, {results.stat().st_size / 2**20:.0f} MiB; load average "
              f"{os.getloadavg()[0]:.1f}")
        print("| filters | total | first page, count not cached | first page, cached | page 2 | page 1000 |")
        print("|---|---|---|---|---|---|")
        for f in FILTERS:
            jobs.clear_cache()
            timings: dict[str, list[float]] = {"cold": [], "warm": [], "p2": [], "p1000": []}
            total = None
            for _ in range(args.repeat):
                jobs.clear_cache()
                for label, page in (("cold", 1), ("warm", 1), ("p2", 2), ("p1000", 1000)):
                    q = urlencode({**f, "page": page, "page_size": 50})
                    t0 = time.perf_counter()
                    status, body = asyncio.run(_get(app, path, q, token))
                    timings[label].append((time.perf_counter() - t0) * 1000)
                    assert status == 200, body[:300]
                    if label == "cold":
                        total = json.loads(body)["total"]
            med = {k: statistics.median(v) for k, v in timings.items()}
            shown = ", ".join(f"{k}={v}" for k, v in f.items()) or "（无 / none）"
            print(f"| {shown} | {total:,} | {med['cold']:.0f} ms | {med['warm']:.0f} ms | {med['p2']:.0f} ms | "
                  f"{med['p1000']:.0f} ms |")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
