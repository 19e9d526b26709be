"""免申即享 end to end from Parquet: N units with 12 monthly rows each → results, with peak memory.

    python bench/bench_screening.py --units 1000000 [--data bench/data] [--keep]
    python bench/bench_screening.py --units 1000000 --vs-floor [--rounds 3] [--floor PATH] [--src SRC ...]

Generates the region once (cached under --data), then times `run_screening` (ingest → validate and
quarantine → features, partitioned → rules → results.parquet; no Excel) and reports the peak RSS of
the process. Record results in docs/performance.md.

``--vs-floor``: the ratio row of docs/performance.md ("Raw screen against the I/O floor"). Whole processes,
start-up included, run in turn in each round: the floor (``screen_floor.py IN OUT``: plain Polars read, one
group-by of the monthly rows, one row per unit written), then ``wengang screen --no-excel`` with the seven
tables with every reading open, then with the readings fixed (each ``--reading`` at its default, as a
province that has settled them runs). Each ``--src`` (a ``src`` folder, e.g. an older commit's, exported with
``git archive``) is one more contender. Wall time, CPU (user+sys of the child) and peak RSS per run, then the
medians and each median ratio to the floor's. Each tree's bytecode is compiled first, as pip compiles it at install
(with PYTHONDONTWRITEBYTECODE set, as in this sandbox, every run would compile the modules it imports again).
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")


# the readings of 内人社发〔2025〕18号 at their defaults: fixed, no unit is 待认定 for want of an interpretation
FIXED_READINGS = (
    "fanhuan.months_fully_paid=cumulative",
    "fanhuan.normal_attrition=excluded",
    "fanhuan.layoff_rate_formula=year_end",
    "fanhuan.small_unit_rule=workforce",
    "fanhuan.size_class_existing=verify",
    "fanhuan.size_class_where_silent=standard_2017",
    # open since session 42 (待认定 by default): the peer reads the lists as they stand and last year's premiums paid
    "fanhuan.exclusion_status_date=review",
    "fanhuan.base_payment_date=paid_in_year",
)
T = TypeVar("T")
FLOOR = Path("/work/shared/bench-peer/screen_floor.py")


# the whole-process probes' shared text (bench_screen_edges/_stamps): an import hook that calls the probe's
# ``patch(name, module)`` once each module of its ``WATCH`` set is loaded, then ``wengang`` run as ``python -m wengang``
PROBE_HOOK = """class Hook:
    def find_spec(self, name, path, target=None):
        if name not in WATCH:
            return None
        WATCH.discard(name)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        def exec_module(mod):
            run(mod)
            patch(name, mod)
        spec.loader.exec_module = exec_module
        return spec
"""
PROBE_RUN = """sys.meta_path.insert(0, Hook())
import runpy
sys.argv = ["wengang", *sys.argv[1:]]
runpy.run_module("wengang", run_name="__main__", alter_sys=True)
"""


def screen_args(raw: Path, out: str, *, fixed: bool = True) -> list[str]:
    """``wengang screen``'s arguments for the 1 M raw region at ``raw`` (every table, ``--json --no-excel``), output
    to ``out``: readings fixed unless ``fixed=False``. For the whole-process probes (bench_screen_edges/_stamps)."""
    readings = [a for r in FIXED_READINGS for a in ("--reading", r)] if fixed else []
    tables = [a for t in TABLES for a in (f"--{t.replace('_', '-')}", str(raw / t))]
    return ["screen", "--region", "150500", "--year", "2025", "--date", "2025-08-01", "--no-excel", "--json",
            "--out", out, *readings, *tables]  # fmt: skip


def interleaved(sources: list[str], n: int, run: Callable[[str], T]) -> dict[str, list[T]]:
    """``run(src)`` for each tree, round by round (the host's drift falls on every tree alike), ``n`` counted rounds
    after a first that warms the file cache."""
    seen: dict[str, list[T]] = {src: [] for src in sources}
    for i in range(n + 1):
        for src in sources:
            got = run(src)
            if i:
                seen[src].append(got)
    return seen


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``cmd`` as a child; its wall time, CPU time (user+sys) and peak RSS in GB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1e6


def vs_floor(data: Path, out: Path, rounds: int, floor: Path, sources: list[Path]) -> None:
    tables = [a for t in TABLES for a in (f"--{t.replace('_', '-')}", str(data / t))]
    screen = [
        "-m",
        "wengang",
        "screen",
        "--no-excel",
        "--region",
        "150500",
        "--date",
        "2025-08-01",
        "--year",
        "2025",
    ]
    fixed = [a for r in FIXED_READINGS for a in ("--reading", r)]
    here = Path(__file__).resolve().parent.parent / "src"
    for src in (here, *sources):
        # the trees' bytecode, as pip writes it at install: where PYTHONDONTWRITEBYTECODE is set (this sandbox) each run
        # would otherwise compile ≈ 50 modules from source at start-up (≈ 0.2 s that an installed program never spends)
        compileall.compile_dir(src, quiet=1)
    runs: list[tuple[str, list[str], dict[str, str]]] = [
        ("floor", [str(floor), str(data), str(out / "floor")], {})
    ]
    for i, src in enumerate([here, *sources]):
        env = {"PYTHONPATH": str(src)}
        tag = "" if i == 0 else f" [{src}]"
        runs.append((f"ours, readings open{tag}", [*screen, *tables, "--out", str(out / f"open{i}")], env))
        runs.append(
            (f"ours, readings fixed{tag}", [*screen, *tables, *fixed, "--out", str(out / f"fixed{i}")], env)
        )
    seen: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in runs}
    for r in range(rounds):
        for name, args, extra in runs:  # interleaved: each round's runs meet the same load
            load = os.getloadavg()[0]
            wall, cpu, rss = _timed([sys.executable, *args], {**os.environ, **extra})
            seen[name].append((wall, cpu, rss))
            print(
                f"round {r + 1}: {name}: wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.2f} GB, load {load:.1f}"
            )
    base = statistics.median(w for w, _, _ in seen["floor"])
    print(f"\nmedians of {rounds} (ratio = median wall / the floor's median wall)")
    for name, got in seen.items():
        wall = statistics.median(w for w, _, _ in got)
        cpu = statistics.median(c for _, c, _ in got)
        rss = max(m for _, _, m in got)
        print(
            f"{name}: wall {wall:.2f} s, CPU {cpu:.2f} s, peak RSS {rss:.2f} GB, {wall / base:.2f}x the floor"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=Path("bench/data"))
    ap.add_argument("--partitions", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--vs-floor", action="store_true", help="whole processes against screen_floor.py")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--floor", type=Path, default=FLOOR)
    ap.add_argument("--src", type=Path, action="append", default=[], help="another src folder to compare")
    args = ap.parse_args()
    data = args.data / f"tongliao-{args.units}"
    if not (data / "units").exists():
        t0 = time.perf_counter()
        generate_region(data, region_code="150500", n_units=args.units, year=2025, seed=0)
        print(f"generated {args.units:,} units in {time.perf_counter() - t0:.1f} s (not part of the timing)")
    if args.vs_floor:
        out = args.data / f"out-{args.units}-vs-floor"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
        vs_floor(data, out, args.rounds, args.floor, args.src)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
        return
    out = args.data / f"out-{args.units}"
    shutil.rmtree(out, ignore_errors=True)
    load0 = os.getloadavg()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    report = run_screening(
        out,
        program="fanhuan",
        evaluation_date=date(2025, 8, 1),
        policy_year=2025,
        tables={k: data / k for k in TABLES},
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        partitions=args.partitions,
        excel=False,
    )
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    load1 = os.getloadavg()
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    contrib = next(r for r in report.reports if r.table == "contributions")
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"units {args.units:,}, monthly rows {contrib.rows_in:,}")
    print(
        f"end to end: {seconds:.1f} s; steps: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    )
    print(f"peak RSS: {peak_gib:.2f} GiB; CPU {cpu:.1f} s (user+sys, all threads)")
    print(f"load average before {load0[0]:.2f}, after {load1[0]:.2f} (1 min)")
    print("status: " + ", ".join(f"{s} {n:,}" for s, n, _ in report.summary.by_status))
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
