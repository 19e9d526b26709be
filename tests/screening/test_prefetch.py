"""`wengang screen` reads the monthly rows while Typer is imported and parses the command line
(wengang.screening.prefetch): only for a command line that plainly asks for one partition of a Parquet file, taken by
the run only if it opens that very source, with the same outputs as a run that reads them itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from wengang.screening.demo_data import generate_region
from wengang.screening.prefetch import _source

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_the_monthly_source_is_found_only_on_a_plain_screen_command_line() -> None:
    base = ["wengang", "screen", "--units", "u", "--out", "o", "--date", "2025-08-01"]
    assert _source([*base, "--contributions", "c"]) == "c"
    assert _source([*base, "--contributions=c", "--json"]) == "c"
    for extra in (["--partitions", "2"], ["--memory-limit=2"], ["--facts", "f"], ["--header-map", "h.yaml"],
                  ["--encoding", "gbk"], ["--program", "fanhuan"], ["-p", "skill_subsidy"], ["--help"], ["--"]):  # fmt: skip
        assert _source([*base, "--contributions", "c", *extra]) is None, extra
    assert _source([*base, "--contributions", "c", "--contributions", "d"]) is None  # Typer takes the last: left alone
    assert _source([*base, "--contributions"]) is None
    assert _source([*base, "--contributions", "--json"]) is None
    assert _source(["wengang", "simulate", "--contributions", "c"]) is None


# the CLI as `python -m wengang` runs it, recording what the early read did: whether Typer and pydantic were imported
# when it began reading, whether it read the rows whole, whether the run took them
PROBE = """
import atexit, json, sys
import wengang.screening.prefetch as prefetch
seen = {}
start, whole, rows = prefetch.start, prefetch._whole, prefetch.rows
def started(argv):
    seen["started"] = start(argv)  # the read's thread runs from here on
    seen["typer or pydantic loaded"] = "typer" in sys.modules or "pydantic" in sys.modules
    return seen["started"]
def early(raw, n):
    frame = whole(raw, n)
    seen["read whole"] = frame is not None
    return frame
def taken(raw):
    frame = rows(raw)
    seen.setdefault("taken", []).append(frame is not None)
    return frame
prefetch.start, prefetch._whole, prefetch.rows = started, early, taken
atexit.register(lambda: print("@@" + json.dumps(seen)))
sys.argv = ["wengang", *sys.argv[1:]]
from wengang.cli import main
main()
"""


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prefetch")
    generate_region(root, region_code="150500", n_units=500, year=2025, seed=5)
    return root


def screen(region: Path, out: Path, *extra: str) -> dict:
    args = ["screen", "--out", str(out), "--date", "2025-08-01", "--year", "2025", "--region", "150500", "--json",
            "--no-excel", "--reading", "fanhuan.layoff_rate_formula=year_end", *extra,
            *[a for t in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
              for a in (f"--{t.replace('_', '-')}", str(region / t))]]  # fmt: skip
    run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": SRC})  # fmt: skip
    assert run.returncode == 0, run.stderr
    summary, seen = run.stdout.rsplit("@@", 1)
    return {"summary": json.loads(summary), "seen": json.loads(seen)}


def test_the_run_takes_the_rows_read_early_with_the_same_outputs(region: Path, tmp_path: Path) -> None:
    early = screen(region, tmp_path / "early")
    # read before Typer and pydantic were imported, whole, and taken by the run (once: one partition)
    assert early["seen"] == {"started": True, "typer or pydantic loaded": False, "read whole": True, "taken": [True]}
    itself = screen(region, tmp_path / "itself", "--partitions", "1")  # the same run, left alone: reads them itself
    assert itself["seen"] == {"started": False, "typer or pydantic loaded": False, "taken": [False]}
    assert early["summary"]["input"] == itself["summary"]["input"]
    assert early["summary"]["summary"]["by_status"] == itself["summary"]["summary"]["by_status"]
    for name in ("results", "features", "quarantine"):
        assert_frame_equal(pl.read_parquet(tmp_path / "early" / f"{name}.parquet"),
                           pl.read_parquet(tmp_path / "itself" / f"{name}.parquet"))  # fmt: skip


@pytest.mark.parametrize("damage", ["not Parquet", "pages damaged"])
def test_a_bad_monthly_file_is_reported_where_the_run_reads_it(region: Path, tmp_path: Path, damage: str) -> None:
    bad = tmp_path / "contributions.parquet"
    if damage == "not Parquet":  # the early read does not open it
        bad.write_bytes(b"PAR1 not a parquet file PAR1")
    else:  # opened and counted early, its read fails on the early read's thread: raised where the run reads
        data = bytearray(next((region / "contributions").glob("*.parquet")).read_bytes())
        data[len(data) // 4 : len(data) // 2] = bytes(len(data) // 2 - len(data) // 4)
        bad.write_bytes(data)
        assert pl.scan_parquet(bad).select(pl.len()).collect().item() > 0
    args = ["screen", "--out", str(tmp_path / "out"), "--date", "2025-08-01", "--units", str(region / "units"),
            "--json"]  # fmt: skip
    runs = [
        subprocess.run([sys.executable, "-m", "wengang", *args, *extra], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": SRC})  # fmt: skip
        for extra in (["--contributions", str(bad)], ["--contributions", str(bad), "--partitions", "1"])
    ]
    assert runs[0].returncode == runs[1].returncode == 2, runs[0].stderr
    assert runs[0].stderr == runs[1].stderr and runs[0].stdout == runs[1].stdout
