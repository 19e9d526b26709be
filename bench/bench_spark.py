"""Facts → results on the embedded Polars engine and on Spark (local mode): units/s, units/s per core, start-up.

    python bench/bench_spark.py --facts /tmp/s100k/features.parquet [--facts /tmp/s1m/features.parquet]
        [--rounds 3] [--engines polars:1,polars:2,spark:1,spark:2] [--reading name=key ...] [--out DIR]

The step timed is the one both engines share: a derived-facts table (``features.parquet``, one row per unit, as
``wengang screen`` writes it) is read, every unit is decided by ``screening.evaluate.screen_facts`` (the same
compiled Polars expressions on both engines: Spark runs it per partition through ``mapInArrow``) and the
decisions (the unit's identity and the result columns, as in ``wengang screen``'s results.parquet) are written to Parquet.

Each run is a child process of its own (``--one``), so no run warms the next. Per run:

- start-up: for Polars the imports (``wengang.programs`` and the policy set); for Spark the session (JVM start,
  ``SparkSession.getOrCreate``), reported apart from the job;
- job: wall time and CPU time (user+sys) of the whole process tree — the driver, the JVM and Spark's Python
  workers, read from ``/proc`` — so that the per-core rate does not depend on what else the machine runs;
- again: the same job once more in the same process (for Spark: the JVM's code compiled, the Python workers up —
  what a long-lived session or a large job runs at).

``polars:K`` runs with ``POLARS_MAX_THREADS=K``; ``spark:K`` is ``local[K]`` with the default partitioning of
``screen_facts_spark``. Units/s per core = units ÷ (job wall × K); units per CPU-second = units ÷ job CPU (a rate
per core that a busy machine does not depress). Medians of ``--rounds`` rounds, engines interleaved in each
round. After the last round each Spark output is compared with the Polars one, row by row, on every result
column: any difference fails the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from wengang.screening.pipeline import RESULT_ID_COLUMNS as RESULT_ID

TICK = os.sysconf("SC_CLK_TCK")
KEYS = ("startup_wall", "startup_cpu", "job_wall", "job_cpu", "again_wall", "again_cpu", "load")


def tree_cpu(root: int) -> float:
    """CPU seconds (user+sys) of ``root`` and every live descendant, with the children they have reaped."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
        pid = int(entry)
        parent[pid] = int(fields[1])
        cpu[pid] = sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    total = 0.0
    for pid, seconds in cpu.items():
        p = pid
        while p and p != root and p in parent:
            p = parent[p]
        if p == root:
            total += seconds
    return total


def _readings(pairs: list[str]) -> dict[str, str] | None:
    from wengang.rules import interpretations

    return interpretations.parse_fixed(pairs) if pairs else None


def one(engine: str, cores: int, facts: Path, out: Path, program: str, on: date, readings: list[str]) -> dict:
    """One run in this (fresh) process: start-up, then the job; seconds and CPU of the process tree."""
    me = os.getpid()
    t0, c0 = time.perf_counter(), tree_cpu(me)
    if engine == "polars":
        import polars as pl

        from wengang.programs import load_all
        from wengang.screening.evaluate import RESULT_COLUMNS, screen_facts

        load_all()

        def job() -> None:
            results, _ = screen_facts(pl.scan_parquet(facts), program, on, readings=_readings(readings))
            names = results.collect_schema().names()
            keep = [c for c in (*RESULT_ID, *RESULT_COLUMNS) if c in names]
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            results.select(keep).with_columns(pl.col("status").cast(pl.String)).sink_parquet(out / "part-0.parquet")

        t1, c1 = time.perf_counter(), tree_cpu(me)
        job()
        t2, c2 = time.perf_counter(), tree_cpu(me)
        job()
        t3, c3 = time.perf_counter(), tree_cpu(me)
        units = pl.scan_parquet(out / "*.parquet").select(pl.len()).collect().item()
    else:
        from wengang.programs import load_all
        from wengang.screening.evaluate import RESULT_COLUMNS
        from wengang.screening.spark import local_session, screen_facts_spark

        load_all()

        spark = local_session(f"bench-{cores}", cores=cores, memory="4g")
        spark.sparkContext.setLogLevel("ERROR")
        def job() -> None:
            df = screen_facts_spark(
                spark, spark.read.parquet(str(facts)), program, on, readings=_readings(readings), keep=RESULT_ID
            )
            keep = [c for c in (*RESULT_ID, *RESULT_COLUMNS) if c in df.columns]
            df.select(keep).write.mode("overwrite").parquet(str(out))

        t1, c1 = time.perf_counter(), tree_cpu(me)
        job()
        t2, c2 = time.perf_counter(), tree_cpu(me)
        job()  # the same job again in the same session: the JVM's code is compiled, the workers are up
        t3, c3 = time.perf_counter(), tree_cpu(me)
        spark.stop()
        import polars as pl

        units = pl.scan_parquet(out / "*.parquet").select(pl.len()).collect().item()
    return {
        "engine": engine,
        "cores": cores,
        "units": units,
        "startup_wall": t1 - t0,
        "startup_cpu": c1 - c0,
        "job_wall": t2 - t1,
        "job_cpu": c2 - c1,
        "again_wall": t3 - t2,
        "again_cpu": c3 - c2,
        "load": os.getloadavg()[0],
    }


def compare(a: Path, b: Path) -> str:
    """'' when the two outputs hold the same rows (every column, nulls equal), else what differs."""
    import polars as pl

    x = pl.read_parquet(a / "*.parquet")
    y = pl.read_parquet(b / "*.parquet")
    if sorted(x.columns) != sorted(y.columns):
        return f"columns differ: {sorted(set(x.columns) ^ set(y.columns))}"
    if x.height != y.height:
        return f"{x.height} rows against {y.height}"
    if x["credit_code"].n_unique() != x.height:
        return "credit_code not unique"
    y = y.select(x.columns)
    joined = x.join(y, on="credit_code", how="full", suffix="_b", nulls_equal=True)
    for c in x.columns[1:]:
        bad = joined.filter(pl.col(c).ne_missing(pl.col(c + "_b"))).height
        if bad:
            return f"{c} differs for {bad} units"
    return ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facts", type=Path, action="append", required=True, help="features.parquet (repeatable)")
    ap.add_argument("--engines", default="polars:1,polars:2,spark:1,spark:2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--program", default="fanhuan")
    ap.add_argument("--date", default="2025-08-01")
    ap.add_argument("--reading", action="append", default=[])
    ap.add_argument("--out", type=Path, default=Path("/tmp/wengang-bench-spark"))
    ap.add_argument("--json", type=Path, default=None, help="append every run as one JSON line to this file")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)  # engine:cores, in a child
    args = ap.parse_args(argv)
    on = date.fromisoformat(args.date)

    if args.one:
        engine, cores = args.one.split(":")
        res = one(engine, int(cores), args.facts[0], args.out, args.program, on, args.reading)
        print(json.dumps(res))
        return 0

    engines = [(e.split(":")[0], int(e.split(":")[1])) for e in args.engines.split(",")]
    print(f"# {platform.node()} {os.cpu_count()} cores, {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}")
    failed = False
    for facts in args.facts:
        runs: dict[tuple[str, int], list[dict]] = {e: [] for e in engines}
        for r in range(args.rounds):
            for engine, cores in engines:
                out = args.out / facts.parent.name / f"{engine}-{cores}"
                env = dict(os.environ)
                if engine == "polars":
                    env["POLARS_MAX_THREADS"] = str(cores)
                cmd = [sys.executable, __file__, "--one", f"{engine}:{cores}", "--facts", str(facts), "--out", str(out),
                       "--program", args.program, "--date", args.date] + [a for x in args.reading for a in ("--reading", x)]  # fmt: skip
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise SystemExit(f"{engine}:{cores} failed\n{proc.stderr[-3000:]}")
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                res.update(facts=str(facts), round=r)
                runs[(engine, cores)].append(res)
                if args.json:
                    with args.json.open("a") as f:
                        f.write(json.dumps(res) + "\n")
                print(
                    f"  round {r + 1} {engine}:{cores} units {res['units']:,} start-up {res['startup_wall']:.1f} s "
                    f"job {res['job_wall']:.2f} s wall {res['job_cpu']:.2f} s CPU, again {res['again_wall']:.2f} s "
                    f"wall {res['again_cpu']:.2f} s CPU, load {res['load']:.1f}",
                    flush=True,
                )
        base = args.out / facts.parent.name / f"{engines[0][0]}-{engines[0][1]}"
        for engine, cores in engines[1:]:
            diff = compare(base, args.out / facts.parent.name / f"{engine}-{cores}")
            print(f"  {engine}:{cores} against {engines[0][0]}:{engines[0][1]}: {diff or 'identical, row by row'}")
            failed |= bool(diff)
        print(f"\n{facts}")
        print(
            "| engine | units | start-up wall / CPU | job wall | job CPU | units/s | units/s per core "
            "| units per CPU-s | again: wall | again: CPU | again: units/s per core | again: units per CPU-s | load |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for (engine, cores), rs in runs.items():
            m = {k: statistics.median(x[k] for x in rs) for k in KEYS}
            units = rs[0]["units"]
            print(
                f"| {engine} {'local' if engine == 'spark' else 'threads'}[{cores}] | {units:,} | "
                f"{m['startup_wall']:.1f} s / {m['startup_cpu']:.1f} s | {m['job_wall']:.2f} s | {m['job_cpu']:.2f} s | "
                f"{units / m['job_wall']:,.0f} | {units / m['job_wall'] / cores:,.0f} | {units / m['job_cpu']:,.0f} | "
                f"{m['again_wall']:.2f} s | {m['again_cpu']:.2f} s | {units / m['again_wall'] / cores:,.0f} | "
                f"{units / m['again_cpu']:,.0f} | {m['load']:.1f} |"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
