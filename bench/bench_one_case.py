"""One case evaluated with its full explanation, in-process: p50 and p99 latency.

    python bench/bench_one_case.py [--n 5000] [--clock wall|cpu] [--by-example]

Runs every example under examples/ (program, region and date from the file's ``_case`` block) through
``evaluate`` + ``explain`` and reports the latency distribution. Record results in docs/performance.md.

``--by-example``: each example's median too, its evaluation and its explanation apart, slowest last (where the p50
and the p99 come from: the p50 is the middle example's time, the p99 the slowest two's).

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
    ap.add_argument("--by-example", action="store_true", help="each example's median, evaluation and explanation apart")
    args = ap.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    examples = load_examples()
    if not examples:
        raise SystemExit("no examples with a _case block under examples/")
    for program, region, on, facts in examples:  # warm caches (policy load, imports)
        explain(evaluate(program, region, on, facts))
    times = []
    parts: list[tuple[list[float], list[float]]] = [([], []) for _ in examples]
    for i in range(args.n):
        program, region, on, facts = examples[i % len(examples)]
        t0 = clock()
        d = evaluate(program, region, on, facts)
        t1 = clock()
        explain(d)
        t2 = clock()
        times.append(t2 - t0)
        parts[i % len(examples)][0].append(t1 - t0)
        parts[i % len(examples)][1].append(t2 - t1)
    times.sort()
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99) - 1] * 1000
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"examples: {len(examples)}  runs: {args.n}  clock: {args.clock}")
    print(f"one case + explanation: p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {statistics.mean(times) * 1000:.3f} ms")
    if args.by_example:
        rows = sorted(
            (statistics.median(e) + statistics.median(x), statistics.median(e), statistics.median(x), k)
            for k, (e, x) in enumerate(parts)
            if e
        )
        for total, ev, ex, k in rows:
            print(f"  {total * 1000:.3f} ms  (evaluate {ev * 1000:.3f}, explain {ex * 1000:.3f})  {examples[k][0]} #{k}")


if __name__ == "__main__":
    main()
