"""Time against units, 100 k → 10 M: a raw `wengang screen` (readings fixed) and the I/O floor, with a plot.

    python bench/bench_scaling.py --data /tmp/scaling [--sizes 100000,300000,1000000,3000000,10000000]
        [--rounds 1] [--svg docs/img/screen_scaling.svg] [--json /tmp/scaling/scaling.json]

Each size's region is generated once under ``--data`` (``tongliao-N``, as `bench_screening.py` does; not timed).
At each size the floor (``screen_floor.py``) and the screen run as whole processes, in turn, ``--rounds`` times
(medians kept); the figures are printed, saved as JSON and drawn as an SVG line chart (seconds per size for both,
with the ratio in the summary) for docs/performance.md. Run it on a quiet machine: CI does not time things.
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

from bench_screening import FIXED_READINGS, FLOOR, TABLES, _timed

from wengang.reports.charts import count, line_chart

SCREEN = ["-m", "wengang", "screen", "--no-excel", "--region", "150500", "--date", "2025-08-01", "--year", "2025"]


def size_label(n: int) -> str:
    return f"{n // 10_000:,}万" if n % 10_000 == 0 else f"{n:,}"


def measure(data: Path, out: Path, rounds: int) -> dict[str, list[tuple[float, float, float]]]:
    tables = [a for t in TABLES for a in (f"--{t.replace('_', '-')}", str(data / t))]
    fixed = [a for r in FIXED_READINGS for a in ("--reading", r)]
    src = str(Path(__file__).resolve().parent.parent / "src")
    runs = {
        "floor": [str(FLOOR), str(data), str(out / "floor")],
        "screen": [*SCREEN, *tables, *fixed, "--out", str(out / "screen")],
    }
    seen: dict[str, list[tuple[float, float, float]]] = {k: [] for k in runs}
    for _ in range(rounds):
        for name, args in runs.items():
            seen[name].append(_timed([sys.executable, *args], {**os.environ, "PYTHONPATH": src}))
            shutil.rmtree(out / name, ignore_errors=True)
    return seen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--sizes", default="100000,300000,1000000,3000000,10000000")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--svg", type=Path, default=Path("docs/img/screen_scaling.svg"))
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}, {date.today()}")
    rows = []
    for n in sizes:
        data = args.data / f"tongliao-{n}"
        if not (data / "units").exists():
            t0 = time.perf_counter()
            # in a child: a parent grown by the generator would pass its peak RSS on to the timed children
            subprocess.run(
                [sys.executable, "-m", "wengang", "demo-data", "-n", str(n), "--out", str(data)],
                check=True, stdout=subprocess.DEVNULL,
            )
            print(f"generated {n:,} units in {time.perf_counter() - t0:.1f} s (not timed)")
        out = args.data / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        load = os.getloadavg()[0]
        seen = measure(data, out, args.rounds)
        row = {"units": n, "load": round(load, 1)}
        for name, got in seen.items():
            row[name] = {
                "wall_s": round(statistics.median(w for w, _, _ in got), 2),
                "cpu_s": round(statistics.median(c for _, c, _ in got), 2),
                "peak_rss_gb": round(max(m for _, _, m in got), 2),
            }
        row["ratio"] = round(row["screen"]["wall_s"] / row["floor"]["wall_s"], 2)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False))
        shutil.rmtree(out, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    ratios = "，".join(f"{size_label(r['units'])} {r['ratio']}倍" for r in rows)
    svg = line_chart(
        "原始数据筛查用时与单位数（读数固定）",
        [size_label(r["units"]) for r in rows],
        [
            ("wengang screen", [round(r["screen"]["wall_s"] * 1000) for r in rows]),
            ("I/O 下限（screen_floor.py）", [round(r["floor"]["wall_s"] * 1000) for r in rows]),
        ],
        measure=count("毫秒"),
        x_label="单位数",
        y_label="用时（毫秒，整个进程）",
        summary=f"筛查用时与下限之比：{ratios}。",
    )
    args.svg.parent.mkdir(parents=True, exist_ok=True)
    args.svg.write_text(svg, encoding="utf-8")
    print(f"plot: {args.svg}")


if __name__ == "__main__":
    main()
