"""CLI start-up time: each command run N times in a fresh interpreter, median and min wall time.

    python bench/bench_startup.py [--n 15]

``case show … (to the DB open)`` stops the command where it would open the ledger, so the figure is the
start-up a caseworker waits for before the database does anything. Record results in docs/performance.md
(CI times nothing).
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

ROOT = Path(__file__).resolve().parents[1]

# runs the CLI as the ``wengang`` entry point does, with the ledger open replaced by an exit
TO_DB_OPEN = (
    "import sys\n"
    "import wengang.cli as cli\n"
    "import wengang.casework.cli as case_cli\n"
    "def _stop(db):\n"
    "    raise SystemExit(0)\n"
    "case_cli._open = _stop\n"
    "sys.argv = ['wengang', *sys.argv[1:]]\n"
    "cli.app()\n"
)


def commands(db: str) -> dict[str, list[str]]:
    entry = [sys.executable, "-c", "import sys; from wengang.cli import app; sys.argv[0] = 'wengang'; app()"]
    return {
        "wengang --help": [*entry, "--help"],
        "wengang case --help": [*entry, "case", "--help"],
        "wengang screen --help": [*entry, "screen", "--help"],
        "wengang case show 1 (to the DB open)": [sys.executable, "-c", TO_DB_OPEN, "case", "show", "1", "--db", db],
        "wengang case show 1 (whole, migrated DB)": [*entry, "case", "show", "1", "--db", db],
        "import wengang.cli": [sys.executable, "-c", "import wengang.cli"],
        "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
    }


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=15)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        # a migrated, empty ledger: `case show 1` then only reads (and refuses: no such decision)
        subprocess.run([sys.executable, "-c", f"from wengang.casework.ledger import Ledger; Ledger.open({db!r})"],
                       env=env, check=True)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, n={args.n}")
        print(f"{'command':45} {'median':>9} {'min':>9}")
        for name, cmd in commands(db).items():
            timed(cmd, env)  # warm the file cache
            times = [timed(cmd, env) for _ in range(args.n)]
            print(f"{name:45} {statistics.median(times):8.3f}s {min(times):8.3f}s")


if __name__ == "__main__":
    main()
