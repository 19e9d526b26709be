"""`wengang screen` start-up, step by step: when the main thread gets where, up to the registry's first collect.

    python bench/bench_screen_stamps.py --raw /tmp/p1/raw [--n 9] --src SRC [--src SRC2 …]

Each run is a fresh ``python -m wengang screen …`` (raw tables, readings fixed) stopped once the registry's
validation returns. Printed per tree, medians (minimum) over the runs, interleaved round by round: seconds since the
process started (wall, ``/proc``) and the main thread's CPU seconds at ``wengang.cli`` imported, Typer's parse done
(``screen``'s first line), ``_screen``, ``run_screening``, the registry's ``validate_table`` entered and its first
collect started; and the wall from the monthly rows' count to that collect (the main thread runs < 1 ms of Python
there: what more it takes is waiting for the GIL). A ``--src`` may be ``a:b`` (e.g. another Typer before the tree).
Linux only. Record results in docs/performance.md (s27-startup measured Typer's share with it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_screening import PROBE_HOOK, PROBE_RUN, interleaved, screen_args

PROBE = (
    r"""
import os, sys, threading, time
def since_start():
    with open("/proc/self/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - start / os.sysconf("SC_CLK_TCK")
T0, S0 = time.perf_counter(), since_start()
MAIN = threading.main_thread()
stamps = []
def mark(name):
    if threading.current_thread() is MAIN:
        stamps.append((name, S0 + time.perf_counter() - T0, time.thread_time()))
def done():
    print("@@" + ";".join(f"{n}={t:.4f},{c:.4f}" for n, t, c in stamps), file=sys.stderr, flush=True)
    os._exit(0)
import importlib.machinery
WATCH = {"wengang.cli", "wengang.screening.pipeline", "wengang.screening.features", "polars"}
"""
    + PROBE_HOOK
    + r"""
def wrap(mod, attr, before, after=None):
    inner = getattr(mod, attr)
    def f(*a, **k):
        before(a, k)
        r = inner(*a, **k)
        if after is not None:
            after(a, k)
        return r
    setattr(mod, attr, f)
def patch(name, mod):
    if name == "wengang.cli":
        mark("cli imported")
        wrap(mod, "parse_date", lambda a, k: mark("typer parsed"))
        wrap(mod, "_screen", lambda a, k: mark("_screen"))
    elif name == "wengang.screening.pipeline":
        wrap(mod, "run_screening", lambda a, k: mark("run_screening"))
        wrap(mod, "_count", lambda a, k: None, lambda a, k: mark("monthly rows counted"))
    elif name == "wengang.screening.features":
        def enter(a, k):
            if k.get("registry"):
                mark("registry validation")
        wrap(mod, "validate_table", enter, lambda a, k: done() if k.get("registry") else None)
    elif name == "polars":
        def first_collect(a, k):
            names = [s[0] for s in stamps]
            if "registry validation" in names and "registry collect" not in names:
                mark("registry collect")
        wrap(mod.LazyFrame, "collect", first_collect)
        wrap(mod, "collect_all", first_collect)
"""
    + PROBE_RUN
)

POINTS = ("cli imported", "typer parsed", "_screen", "run_screening", "registry validation", "registry collect")


def run(src: str, args: list[str]) -> dict[str, tuple[float, float]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], env={**os.environ, "PYTHONPATH": src},
                          capture_output=True, text=True, check=False)  # fmt: skip
    if "@@" not in proc.stderr:
        raise SystemExit(f"no registry validation: {proc.stderr[-2000:]}")
    out: dict[str, tuple[float, float]] = {}
    for item in proc.stderr.rsplit("@@", 1)[1].strip().split(";"):
        name, values = item.split("=")
        wall, cpu = values.split(",")
        out.setdefault(name, (float(wall), float(cpu)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", type=Path, required=True, help="folder of the raw tables (units, contributions …)")
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--n", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = screen_args(args.raw, f"{tmp}/out")
        print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, n={args.n}")
        seen = interleaved(args.src, args.n, lambda src: run(src, cmd))
        print(f"load {os.getloadavg()[0]:.2f}; medians of {args.n} (min): seconds since the process started, "
              "the main thread's CPU")  # fmt: skip
        for src, runs in seen.items():
            print(src)
            for point in POINTS:
                wall = [r[point][0] for r in runs]
                cpu = [r[point][1] for r in runs]
                print(f"  {point:22} wall {statistics.median(wall):.3f} ({min(wall):.3f})  "
                      f"CPU {statistics.median(cpu):.3f} ({min(cpu):.3f})")  # fmt: skip
            gap = [r["registry collect"][0] - r["monthly rows counted"][0] for r in runs if "monthly rows counted" in r]
            if gap:
                print(f"  counted → registry collect: wall {statistics.median(gap) * 1000:.1f} ms ({min(gap) * 1000:.1f})")
            else:  # since session 28 the rows are counted on the early read's thread (wengang.screening.prefetch)
                print("  counted → registry collect: the monthly rows were counted off the main thread")


if __name__ == "__main__":
    main()
