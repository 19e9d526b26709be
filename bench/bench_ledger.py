"""Ledger benchmark: persist N screening decisions, re-run the import, pay a batch of M units.

    python bench/bench_ledger.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test --n 1000000
    python bench/bench_ledger.py --url sqlite:////tmp/bench.db --n 1000000

PostgreSQL runs in a fresh schema (dropped afterwards unless --keep); a SQLite file is recreated.
Bars (design.md): 1 M decisions persisted <= 60 s; a 100 k payment batch prepared and recorded <= 30 s.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import date

import polars as pl
from sqlalchemy import create_engine, text

from wengang.casework import Ledger, RunIn
from wengang.casework.operators import add_operator


def frame(n: int, year: int, start: int = 0) -> pl.DataFrame:
    i = pl.int_range(start, start + n, eager=True)
    return pl.DataFrame({"i": i}).select(
        unit_id=pl.format("91150100MA{}", pl.col("i").cast(pl.String).str.zfill(8)),
        unit_name=pl.format("呼和浩特测试企业{}有限公司", pl.col("i")),
        region_code=pl.lit("150100"), program=pl.lit("fanhuan"), policy_doc=pl.lit("内人社发〔2025〕18号"),
        clause=pl.lit("一"),
        status=pl.when(pl.col("i") % 10 == 0).then(pl.lit("ineligible")).otherwise(pl.lit("eligible")),
        amount_fen=(pl.col("i") % 997) * 1000 + 50_000,
        reasons=pl.concat_list(pl.lit("✔ 足额缴纳失业保险费12个月以上"), pl.lit("✔ 上年度裁员率不高于5.5%")),
        explanation=pl.lit("✔ 足额缴纳失业保险费12个月以上 [内人社发〔2025〕18号 一]\n"
                           "✔ 上年度裁员率 1.2% ≤ 5.5% [内人社发〔2025〕18号 一]\n"
                           "中小微企业按上年度实际缴纳失业保险费的60%返还"),
        readings=pl.lit('{"layoff_rate":"anhui_2022"}'), payment_channel=pl.lit("corporate_account"),
        size_class=pl.lit("small"), year=pl.lit(year, pl.Int64),
        account_no=pl.format("6222{}", pl.col("i")), contact=pl.lit("13800000000"),
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="sqlite:////tmp/wengang_bench.db")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--pay", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    schema = None
    if a.url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(a.url).begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    elif a.url.startswith("sqlite:///"):
        path = a.url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    try:
        led = Ledger.open(a.url, schema=schema)
        # the operators the steps run as (issue 12: every step checks its operator's role)
        add_operator(led, "admin", roles=["管理员"], bootstrap=True)
        for login, role in (("bench", "经办"), ("r2", "复核"), ("payer", "出纳")):
            add_operator(led, login, roles=[role], actor="admin")
        df = frame(a.n, 2025)
        run = RunIn("fanhuan", 2025, "150000", {"bench": f"n={a.n}"}, {"内人社发〔2025〕18号": "2025-05-27"})
        t = time.perf_counter()
        res = led.import_decisions(run, df, "bench")
        t_import = time.perf_counter() - t
        print(f"import {res.inserted:>9,} decisions: {t_import:7.2f} s  ({res.inserted / t_import:,.0f} rows/s)")
        t = time.perf_counter()
        again = led.import_decisions(run, df, "bench")
        print(f"re-import (0 new = {again.inserted == 0}):      {time.perf_counter() - t:7.2f} s")

        # payment: a separate year so the batch is exactly --pay units
        pay_df = frame(a.pay, 2024).with_columns(status=pl.lit("eligible"))
        run24 = RunIn("fanhuan", 2024, "150000", {"bench": f"pay={a.pay}"}, {"x": "y"})
        t = time.perf_counter()
        led.import_decisions(run24, pay_df, "bench")
        led.notify("fanhuan", 2024, "bench", deadline=date(2024, 9, 30), channels=("sms",), chunk_size=20_000)
        with led.engine.connect() as c:
            ids = [r[0] for r in c.execute(text("select id from case_decisions where year = 2024 order by id"))]
        led.confirm_many(ids, "bench", today=date(2024, 7, 1))
        led.review_many(ids, "bench", stage=1, approve=True, reason="初审")
        led.review_many(ids, "r2", stage=2, approve=True, reason="复审")
        led.publicize("bench-gs", "fanhuan", 2024, "bench", starts_on=date(2024, 10, 1), days=7)
        print(f"lifecycle to payable for {a.pay:,}:     {time.perf_counter() - t:7.2f} s")
        t = time.perf_counter()
        b = led.run_payment_batch("bench-batch", "fanhuan", 2024, "payer", today=date(2024, 11, 1))
        t_pay = time.perf_counter() - t
        print(f"payment batch {b.paid:>9,} units:     {t_pay:7.2f} s  ({b.amount_fen / 100:,.2f} 元, {b.chunks} chunks)")
        t = time.perf_counter()
        rep = led.verify_audit()
        print(f"audit verify ({rep.events} events, ok={rep.ok}): {time.perf_counter() - t:7.2f} s")
        led.close()
    finally:
        if schema and not a.keep:
            with create_engine(a.url).begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
