"""`wengang screen` start-up: from the process's start to the moment Polars starts reading the first table.

    python bench/bench_screen_startup.py --raw /tmp/p1/raw --facts FACTS.parquet [--n 7] --src SRC [--src SRC2 …]

Each run is a fresh ``python -m wengang screen …`` (readings fixed) whose first ``validate_table`` call (the
first collect over an input table; every table has been opened by then) ends the process: wall seconds
since the process started (``/proc``), its CPU seconds (every thread: the warm-up's too) and the main
thread's. The trees given with ``--src`` run interleaved, round by round. Linux only. Record results in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_screening import FIXED_READINGS, TABLES

# stops the command at its first validate_table; prints seconds since process start and the process's CPU
PROBE = """
import os, sys, threading, time
def since_start():
    with open("/proc/self/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - start / os.sysconf("SC_CLK_TCK")
import importlib.machinery
class Hook:
    def find_spec(self, name, path, target=None):
        if name != "wengang.screening.quarantine":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        def exec_module(mod):
            run(mod)
            def stop(*a, **k):
                main = time.clock_gettime(time.pthread_getcpuclockid(threading.main_thread().ident))
                print(f"@@{since_start()} {time.process_time()} {main}", file=sys.stderr, flush=True)
                os._exit(0)
            mod.validate_table = stop
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Hook())
import runpy
sys.argv = ["wengang", *sys.argv[1:]]
runpy.run_module("wengang", run_name="__main__", alter_sys=True)
"""


def first_read(src: Path, args: list[str]) -> tuple[float, float, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, check=False
    )
    if "@@" not in run.stderr:
        raise SystemExit(f"no first read: {run.stderr[-2000:]}")
    wall, cpu, main = run.stderr.rsplit("@@", 1)[1].split()
    return float(wall), float(cpu), float(main)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--raw", type=Path, required=True, help="folder of the raw tables (units, contributions …)"
    )
    ap.add_argument("--facts", type=Path, help="a facts table (screen --facts)")
    ap.add_argument("--src", type=Path, action="append", required=True)
    ap.add_argument("--n", type=int, default=7)
    args = ap.parse_args()
    readings = [a for r in FIXED_READINGS for a in ("--reading", r)]
    with tempfile.TemporaryDirectory() as tmp:
        common = ["--date", "2025-08-01", "--no-excel", "--json", "--out", f"{tmp}/out", *readings]
        raw = ["screen", "--region", "150500", "--year", "2025", *common,
               *[a for t in TABLES for a in (f"--{t.replace('_', '-')}", str(args.raw / t))]]  # fmt: skip
        commands = {"raw": raw} | (
            {"facts": ["screen", "--facts", str(args.facts), *common]} if args.facts else {}
        )
        seen: dict[tuple[str, Path], list[tuple[float, float, float]]] = {}
        print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, n={args.n}")
        for i in range(args.n + 1):
            for name, cmd in commands.items():
                for src in args.src:
                    result = first_read(src, cmd)
                    if i:  # the first round warms the file cache
                        seen.setdefault((name, src), []).append(result)
        print(f"load {os.getloadavg()[0]:.2f}; medians of {args.n} (min) to the first read: wall, CPU (every thread), "
              "the main thread's CPU")  # fmt: skip
        for (name, src), runs in seen.items():
            med = [statistics.median(r[i] for r in runs) for i in range(3)]
            low = [min(r[i] for r in runs) for i in range(3)]
            print(f"{name:6} {str(src):32} wall {med[0]:.3f} s ({low[0]:.3f})  CPU {med[1]:.3f} s ({low[1]:.3f})  "
                  f"main {med[2]:.3f} s ({low[2]:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
