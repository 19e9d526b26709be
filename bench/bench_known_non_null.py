"""CPU of the compiled rules with and without known non-null columns (docs/performance.md, s21-h1).

Two measurements, each printing one JSON line of CPU medians (``time.process_time``: all threads of the process);
run it once per tree, alternating trees, and compare the lines:

* ``peer``: the peer benchmark's *compute* (facts in memory -> eligible, refund_fen), hand Polars and this
  project's adapter alternately in one loop. Needs the peer's folder on the path and its data::

    PEER_WORK=/tmp/peer WENGANG_SRC=$PWD/src PYTHONPATH=bench:/work/shared/bench-peer \\
      python bench/bench_known_non_null.py peer --runs 40

* ``decide``: the raw screen's decide step (``screen_facts`` over a ``features.parquet`` in memory, the result
  columns collected, as ``pipeline.decide``); ``--fixed`` fixes every fanhuan reading::

    PYTHONPATH=$PWD/src python bench/bench_known_non_null.py decide --features OUT/features.parquet [--fixed]

A tree whose ``screen_facts`` has no ``non_null`` parameter (before s21-h1) is given ``features.lazy()``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from datetime import date
from typing import Any


def _median_ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1000


def peer(runs: int, n: int) -> dict[str, Any]:
    import common as C  # the peer benchmark's modules
    import impl_polars as HP
    import peer_wengang as W

    P = C.load_params()
    raw, facts = HP.load(C.data_path(n)), W.load(C.data_path(n))
    for _ in range(3):
        HP.compute(raw, P), W.compute(facts, P)
    cpu: dict[str, list[float]] = {"polars": [], "wengang": []}
    for i in range(runs):
        order = [("polars", HP.compute, raw), ("wengang", W.compute, facts)]
        for name, fn, arg in order if i % 2 else order[::-1]:
            gc.collect()
            c = time.process_time()
            fn(arg, P)
            cpu[name].append(time.process_time() - c)
    out = {f"{k}_cpu_ms": _median_ms(v) for k, v in cpu.items()}
    out["ratio_cpu"] = out["wengang_cpu_ms"] / out["polars_cpu_ms"]
    return out


def decide(runs: int, features: str, fixed: bool) -> dict[str, Any]:
    import polars as pl

    import wengang.programs
    from wengang.rules import interpretations
    from wengang.screening.evaluate import RESULT_COLUMNS, screen_facts
    from wengang.screening.pipeline import RESULT_ID_COLUMNS

    # the program's switches are registered when its module loads (on demand since s21-h2): without this,
    # ``--fixed`` fixed nothing
    if hasattr(wengang.programs, "load"):
        wengang.programs.load("fanhuan")
    feats = pl.read_parquet(features)
    knows = "non_null" in screen_facts.__code__.co_varnames
    readings = {k: v for k, v in interpretations.defaults().items() if k.startswith("fanhuan.")} if fixed else None

    def once() -> pl.DataFrame:
        res, _ = screen_facts(feats if knows else feats.lazy(), "fanhuan", date(2025, 8, 1), readings=readings)
        names = res.collect_schema().names()
        return res.select([c for c in (*RESULT_ID_COLUMNS, *RESULT_COLUMNS) if c in names]).collect()

    once()
    cpu = []
    for _ in range(runs):
        gc.collect()
        c = time.process_time()
        once()
        cpu.append(time.process_time() - c)
    return {"knows_non_null": knows, "fixed": fixed, "cpu_ms": _median_ms(cpu), "runs_ms": [x * 1000 for x in cpu]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["peer", "decide"])
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--n", type=int, default=1_000_000, help="peer: table size")
    ap.add_argument("--features", help="decide: a features.parquet of `wengang screen`")
    ap.add_argument("--fixed", action="store_true", help="decide: every fanhuan reading fixed")
    a = ap.parse_args()
    if a.what == "peer":
        out = peer(a.runs or 40, a.n)
    else:
        if not a.features:
            ap.error("decide needs --features")
        out = decide(a.runs or 5, a.features, a.fixed)
    out["load"] = os.getloadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
