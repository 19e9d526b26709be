"""`wengang screen`'s edges, whole runs: how soon the first table read starts, and how long the process takes to end
once the command is done.

    python bench/bench_screen_edges.py --raw /tmp/p1/raw [--n 7] [--open] --src SRC [--src SRC2 …]

Each run is a whole ``python -m wengang screen …`` (raw tables, readings fixed unless ``--open``; ``--json
--no-excel``), the trees interleaved round by round (a first round warms the file cache and is not counted). Per
run, from the parent's clock started just before the process is spawned: the first Polars collect (any thread) and
the main thread's CPU then; the command done (``_report_screening`` returned: the JSON printed) and the process's
CPU then; the process ended (``wait4``) and its whole CPU (user + system). "teardown" is the last two's difference.
Medians (minimum). Linux only. Record results in docs/performance.md (session 28, edges).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_screening import PROBE_HOOK, PROBE_RUN, interleaved, screen_args

PROBE = (
    r"""
import os, sys, threading, time
import importlib.machinery
MAIN = threading.main_thread()
seen = set()
def stamp(name, cpu):
    if name not in seen:
        seen.add(name)
        os.write(2, f"@@{name}={time.time():.6f},{cpu:.6f}\n".encode())
WATCH = {"wengang.cli", "polars"}
"""
    + PROBE_HOOK
    + r"""
def wrap(owner, attr, before=None, after=None):
    inner = getattr(owner, attr)
    def f(*a, **k):
        if before is not None:
            before()
        r = inner(*a, **k)
        if after is not None:
            after()
        return r
    setattr(owner, attr, f)
def patch(name, mod):
    if name == "wengang.cli":
        wrap(mod, "_report_screening", after=lambda: stamp("done", time.process_time()))
    elif name == "polars":
        first = lambda: stamp("first read", time.thread_time() if threading.current_thread() is MAIN else -1)
        wrap(mod.LazyFrame, "collect", before=first)
        wrap(mod, "collect_all", before=first)
        if hasattr(mod.LazyFrame, "collect_batches"):
            wrap(mod.LazyFrame, "collect_batches", before=first)
"""
    + PROBE_RUN
)

POINTS = ("first read", "done", "end")


def run(src: str, args: list[str]) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryFile() as err:
        t0 = time.time()
        proc = subprocess.Popen([sys.executable, "-c", PROBE, *args], env={**os.environ, "PYTHONPATH": src},
                                stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        t1 = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode != 0 or "@@done" not in text:
        raise SystemExit(f"exit {proc.returncode}: {text[-2000:]}")
    out = {"end": (t1 - t0, usage.ru_utime + usage.ru_stime)}
    for line in text.splitlines():
        if line.startswith("@@"):
            name, values = line[2:].split("=")
            wall, cpu = values.split(",")
            out[name] = (float(wall) - t0, float(cpu))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", type=Path, required=True, help="folder of the raw tables (units, contributions …)")
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--n", type=int, default=7)
    ap.add_argument("--open", action="store_true", help="every reading open (default: the six fixed)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = screen_args(args.raw, f"{tmp}/out", fixed=not args.open)
        print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, n={args.n}")
        seen = interleaved(args.src, args.n, lambda src: run(src, cmd))
        print(f"load {os.getloadavg()[0]:.2f}; medians of {args.n} (min): seconds since the spawn; CPU-s (first read: the "
              "main thread's; done, end: the process's)")  # fmt: skip

        def line(label: str, values: list[float]) -> str:
            return f"{statistics.median(values):.3f} ({min(values):.3f})"

        for src, runs in seen.items():
            print(src)
            for point in POINTS:
                wall = [r[point][0] for r in runs]
                cpu = [r[point][1] for r in runs]
                print(f"  {point:12} wall {line(point, wall)}  CPU {line(point, cpu)}")
            td = [r["end"][0] - r["done"][0] for r in runs]
            tc = [r["end"][1] - r["done"][1] for r in runs]
            print(f"  {'teardown':12} wall {line('', td)}  CPU {line('', tc)}")
        first, *others = args.src
        for src in others:  # round by round against the first tree: the host's drift cancels out
            for point in ("done", "end"):
                dw = [b[point][0] - a[point][0] for a, b in zip(seen[first], seen[src], strict=True)]
                dc = [b[point][1] - a[point][1] for a, b in zip(seen[first], seen[src], strict=True)]
                print(f"{src} − {first}, {point}: wall {statistics.median(dw):+.3f} s, CPU {statistics.median(dc):+.3f} s "
                      f"(median of the rounds' differences)")


if __name__ == "__main__":
    main()
