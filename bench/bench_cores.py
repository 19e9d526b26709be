"""How busy the cores are while one `wengang` command runs: the process's CPU and page faults in time buckets, and
optionally what each thread of the project is doing.

    python bench/bench_cores.py [--bucket 0.1] [--frames] [--from S] [--to S] -- screen --no-excel …

Runs the command in this process (as ``python -m wengang`` would) with a sampler thread: every 25 ms the process's
own CPU (user + system, all threads, from ``/proc/self/stat``) and minor page faults; with ``--frames``, every 5 ms
each thread's innermost frame in the project's code. At exit (``atexit``: the command's own end runs the handlers too)
it prints, on stderr, one line per bucket: cores busy (CPU-seconds per second) and faults — then, with ``--frames``,
each thread's most frequent frame per bucket between ``--from`` and ``--to`` seconds. Seconds count from this
script's start (the interpreter's start-up before it, ≈ 20 ms, is not seen).

Why: per-thread CPU (``/proc/self/task``) under-counts the short-lived pool threads, and a profile does not show where
a core sits idle; this does (session 30 found the idle windows of the 1 M screen with a sampler like it, docs/performance.md). The
frame sampler costs a few percent of one core; the CPU sampler next to nothing. CI times nothing.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import os
import runpy
import sys
import threading
import time
from typing import Any

T0 = time.perf_counter()
TICKS = os.sysconf("SC_CLK_TCK")


def _process() -> tuple[float, int]:
    """(CPU-seconds, minor faults) of this process so far, every thread included."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS, int(fields[7])


def _where(frame: Any) -> str:
    """The innermost frame of the project's code on a thread's stack (``file:function:line``), else the innermost."""
    f = frame
    while f is not None:
        if "/wengang/" in f.f_code.co_filename:
            return f"{f.f_code.co_filename.rsplit('/', 1)[1]}:{f.f_code.co_name}:{f.f_lineno}"
        f = f.f_back
    return frame.f_code.co_name


class Sampler:
    def __init__(self, frames: bool) -> None:
        self.frames = frames
        self.usage: list[tuple[float, float, int]] = []  # (seconds, CPU-seconds, faults)
        self.seen: list[tuple[float, str, str]] = []  # (seconds, thread, frame)
        self.me = 0

    def run(self) -> None:
        self.me = threading.get_ident()
        tick = 0
        while True:
            now = time.perf_counter() - T0
            if tick % 5 == 0 or not self.frames:
                self.usage.append((now, *_process()))
            if self.frames:
                names = {t.ident: t.name for t in threading.enumerate()}
                for ident, frame in sys._current_frames().items():
                    if ident != self.me:
                        self.seen.append((now, names.get(ident, str(ident)), _where(frame)))
            tick += 1
            time.sleep(0.005 if self.frames else 0.025)

    def report(self, bucket: float, start: float, end: float) -> str:
        self.usage.append((time.perf_counter() - T0, *_process()))
        lines = []
        prev = self.usage[0]
        for u in self.usage[1:]:
            if u[0] - prev[0] >= bucket - 1e-9 or u is self.usage[-1]:
                span = u[0] - prev[0]
                if span > 0:
                    lines.append(
                        f"{prev[0]:5.2f}–{u[0]:5.2f} s  {(u[1] - prev[1]) / span:4.2f} cores  {u[2] - prev[2]:>7,} faults"
                    )
                prev = u
        cpu, faults = self.usage[-1][1] - self.usage[0][1], self.usage[-1][2] - self.usage[0][2]
        lines.append(f"all: {self.usage[-1][0]:.2f} s, {cpu:.2f} CPU-s, {faults:,} faults")
        if self.frames:
            by: dict[tuple[int, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
            for t, thread, where in self.seen:
                if start <= t < end:
                    by[(int(t / bucket), thread)][where] += 1
            current = None
            for k, thread in sorted(by):
                if k != current:
                    current = k
                    lines.append(f"--- {k * bucket:.2f} s")
                where, n = by[(k, thread)].most_common(1)[0]
                lines.append(f"    {thread[:24]:24} {where} ({n})")
        return "\n".join(lines) + "\n"


def main() -> None:
    argv = sys.argv[1:]
    ours, command = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else ([], argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bucket", type=float, default=0.1, help="seconds per line")
    parser.add_argument("--frames", action="store_true", help="each thread's frame in the project's code too")
    parser.add_argument("--from", dest="start", type=float, default=0.0, help="frames from this second")
    parser.add_argument("--to", dest="end", type=float, default=float("inf"), help="frames to this second")
    args = parser.parse_args(ours)
    sampler = Sampler(args.frames)
    threading.Thread(target=sampler.run, name="bench-cores", daemon=True).start()
    # at exit: the command's own end (runtime.end_now) runs the atexit handlers before it skips Python's teardown
    atexit.register(lambda: sys.stderr.write(sampler.report(args.bucket, args.start, args.end)))
    sys.argv = ["wengang", *command]
    runpy.run_module("wengang", run_name="__main__")


if __name__ == "__main__":
    main()
