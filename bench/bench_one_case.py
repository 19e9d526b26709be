"""One case evaluated with its full explanation, in-process: p50 and p99 latency.

    python bench/bench_one_case.py [--n 5000] [--clock wall|cpu]

Runs every example under examples/ (program, region and date from the file's ``_case`` block) through
``evaluate`` + ``explain`` and reports the latency distribution. Record results in docs/performance.md.

``--clock cpu`` times the CPU this thread used (``time.thread_time``) instead of wall time: on the shared
2-core machine, with a load of 10, wall time mostly measures how long other processes held the core.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from wengang.evaluate import evaluate
from wengang.explain import explain

ROOT = Path(__file__).resolve().parents[1]


def load_examples() -> list[tuple[str, str, date, dict]]:
    out = []
    for path in sorted((ROOT / "examples").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        case = data.pop("_case", None)
        if case:
            out.append((case["program"], case["region"], date.fromisoformat(case["date"]), data))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="wall: perf_counter; cpu: thread_time")
    args = ap.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    examples = load_examples()
    if not examples:
        raise SystemExit("no examples with a _case block under examples/")
    for program, region, on, facts in examples:  # warm caches (policy load, imports)
        explain(evaluate(program, region, on, facts))
    times = []
    for i in range(args.n):
        program, region, on, facts = examples[i % len(examples)]
        t0 = clock()
        explain(evaluate(program, region, on, facts))
        times.append(clock() - t0)
    times.sort()
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"examples: {len(examples)}  runs: {args.n}  clock: {args.clock}")
    print(f"one case + explanation: p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {statistics.mean(times) * 1000:.3f} ms")


if __name__ == "__main__":
    main()
