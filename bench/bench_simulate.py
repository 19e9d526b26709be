"""A simulation over a screened population: the same rows decided twice (baseline, variant) and joined.

    python bench/bench_simulate.py --population /tmp/r2/s1m [--set refund_rate_sme=50%]

The population is a `wengang screen` output folder (its features.parquet), e.g. of
`wengang demo-data -n 1000000`. Times `simulate` (both runs, the join and the groupings) and the files.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from wengang.reports.simulation import write_simulation
from wengang.screening.demo_readings import DEMO_READINGS
from wengang.settings import parse_settings
from wengang.simulate import Scenario, simulate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=Path, required=True)
    ap.add_argument("--set", action="append", default=None)
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench-simulate"))
    args = ap.parse_args()
    change = dict(s.split("=", 1) for s in (args.set or ["refund_rate_sme=50%"]))
    readings = dict(DEMO_READINGS)
    cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    t0 = time.perf_counter()
    r = simulate(
        args.population,
        baseline=Scenario(readings=readings),
        variant=Scenario("方案", settings=parse_settings(change), readings=readings),
    )
    t1 = time.perf_counter()
    cpu1 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu0
    write_simulation(r, args.out)
    t2 = time.perf_counter()
    use = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu = use.ru_maxrss / 1024, use.ru_utime + use.ru_stime - cpu0
    print(
        f"units {r.units:,}  simulate {t1 - t0:.2f} s (CPU {cpu1:.2f} s)  files {t2 - t1:.2f} s  total {t2 - t0:.2f} s  "
        f"delta {r.delta_fen:,} fen  gained {r.gained:,}  lost {r.lost:,}  CPU {cpu:.2f} s  peak RSS {peak:.0f} MB  "
        f"load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
