"""`wengang --help` and the sub-apps' help start without the heavy libraries (start-up time; docs/performance.md).

Nothing is timed here: the guard is which modules a fresh interpreter has loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
# what a command imports only when it needs it
HEAVY = (
    "polars", "pyarrow", "sqlalchemy", "alembic", "openpyxl", "xlsxwriter", "reportlab", "fastexcel", "httpx",
    "psycopg", "yaml", "wengang.rules.engine", "wengang.rules.batch", "wengang.screening.pipeline",
    "wengang.casework.ledger", "wengang.policies.loader", "wengang.evaluate", "wengang.programs",
)

# argv[1]: the command line (JSON list); argv[2]: the modules to look for
PROBE = """
import json, sys
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["wengang", *args]
from wengang.cli import app
if args:
    try:
        app()
    except SystemExit:
        pass
print("@@" + json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def loaded_after(args: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The heavy modules a fresh interpreter holds after ``wengang <args>`` (or only the import)."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(heavy)], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.rsplit("@@", 1)[1])


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert loaded_after([], (*HEAVY, "pydantic")) == []


@pytest.mark.parametrize(
    "args",
    [["--help"], ["case", "--help"], ["screen", "--help"], ["policy", "--help"], ["doc", "--help"], ["audit", "--help"], ["risk", "--help"]],
)
def test_help_loads_nothing_heavy(args: list[str]) -> None:
    assert loaded_after(args) == []


# what screening a facts table must not load: the ledger, the web service, the spreadsheet writers (with
# --no-excel), pyarrow (Polars writes the files) and the raw-table feature derivation
NOT_FOR_FACTS = (
    "sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "psycopg", "openpyxl", "xlsxwriter", "reportlab",
    "pyarrow", "wengang.casework.ledger", "wengang.web", "wengang.screening.features",
    # nor the sub-apps' command modules: a root command runs without them (wengang.cli._plain_command)
    "wengang.casework.cli", "wengang.policies.cli", "wengang.documents.cli", "wengang.risk.cli", "wengang.reports.cli",
)


def test_screen_facts_loads_polars_and_the_rules_only(tmp_path: Path) -> None:
    import polars as pl

    from wengang.facts.identifiers import uscc_check_character

    codes = [body + uscc_check_character(body) for body in ("91150502MA0000001", "91150502MA0000002")]
    facts = tmp_path / "facts.parquet"
    pl.DataFrame({
        "credit_code": codes, "name": ["甲公司", "乙公司"], "region_code": ["150502", "150502"],
        "org_type": ["enterprise", "enterprise"], "size_class": ["small", "large"],
        "months_fully_paid": [24, 6], "layoffs_last_year": [0, 1], "insured_headcount": [10, 400],
        "paid_premium_last_year_fen": [123_456, 9_876_543],
    }).write_parquet(facts)  # fmt: skip
    args = ["screen", "--facts", str(facts), "--date", "2025-08-01", "--out", str(tmp_path / "out"), "--no-excel", "--json"]
    # the program screened is imported, not the others (their facts models, the calendar: ≈ 0.1 s)
    programs = tuple(f"wengang.programs.{p.stem}" for p in (Path(SRC) / "wengang" / "programs").glob("[a-z]*.py"))
    loaded = loaded_after(args, (*NOT_FOR_FACTS, "polars", "wengang.rules.batch", "wengang.programs", *programs))
    assert (tmp_path / "out" / "results.parquet").exists()  # the command ran, and screened
    assert pl.read_parquet(tmp_path / "out" / "results.parquet").height == 2
    # (with the fund-reserve check 稳岗返还 shares with 技能提升补贴: a module of no program of its own, decisions §141)
    assert loaded == ["polars", "wengang.programs", "wengang.programs.fanhuan", "wengang.programs.fund_reserve",
                      "wengang.rules.batch"]


# a process whose own arguments name a root command leaves the sub-apps and the root's other commands out at import;
# its app still has them
LATE = """
import json, sys
sys.argv = ["wengang", "screen", "--help"]
from typer.testing import CliRunner
import wengang.cli as cli
before = "wengang.casework.cli" in sys.modules
runner = CliRunner()
# the first lists the root's commands from the group built without them: in the order of one built with them
out = [runner.invoke(cli.app, args) for args in (["--help"], ["case", "--help"], ["--help"], ["screen", "--help"])]
print("@@" + json.dumps([before, *[(r.exit_code, r.output) for r in out]]))
"""


def test_sub_apps_left_out_at_start_up_are_added_when_asked_for() -> None:
    def run(code: str) -> list:
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": SRC, "COLUMNS": "120"})  # fmt: skip
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout.rsplit("@@", 1)[1])

    before, *late = run(LATE)
    _, *mounted = run(LATE.replace('"screen", "--help"]\n', '"--help"]\n', 1))
    assert before is False
    assert late == mounted  # the same commands, help texts and exit codes as an app mounted at import
    assert late[1][0] == 0 and "list" in late[1][1]
    assert all(name in late[0][1] for name in ("evaluate", "screen", "simulate", "case"))


# a screen's start-up, up to the first table it opens: the main thread alone runs then (the warm-up thread, which
# loads the policy set and its YAML, starts once the tables are open). What only some commands or later steps
# need is not imported before it.
BEFORE_FIRST_READ = (
    "yaml", "rich", "stdnum", "ssl", "sqlalchemy", "pyarrow", "wengang.facts.person", "wengang.policies.loader",
    "wengang.casework.ledger", "wengang.casework.cli",
)
STOP_AT_FIRST_READ = """
import json, os, sys
heavy = json.loads(sys.argv[1])
import wengang.ingest.files as files
def first_read(*args, **kwargs):
    print("@@" + json.dumps(sorted(m for m in heavy if m in sys.modules)), flush=True)
    os._exit(0)
files.read_frame = first_read
sys.argv = ["wengang", *sys.argv[2:]]
from wengang.cli import main
main()
"""


def loaded_at_first_read(args: list[str]) -> list[str]:
    run = subprocess.run(
        [sys.executable, "-c", STOP_AT_FIRST_READ, json.dumps(BEFORE_FIRST_READ), *args], capture_output=True,
        text=True, env={**os.environ, "PYTHONPATH": SRC},
    )  # fmt: skip
    assert "@@" in run.stdout, run.stderr
    return json.loads(run.stdout.rsplit("@@", 1)[1])


def test_a_screen_reads_its_first_table_before_loading_what_it_needs_later(tmp_path: Path) -> None:
    fixed = ["--reading", "fanhuan.layoff_rate_formula=year_end"]  # readings are checked before reading too
    common = ["--date", "2025-08-01", "--out", str(tmp_path / "out"), "--no-excel", "--json", *fixed]
    raw = ["--units", str(tmp_path / "units.csv"), "--contributions", str(tmp_path / "contributions.csv")]
    assert loaded_at_first_read(["screen", *raw, *common]) == []
    assert loaded_at_first_read(["screen", "--facts", str(tmp_path / "facts.parquet"), *common]) == []
