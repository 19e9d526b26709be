"""A one-off start-up grant is once a person (内政发〔2019〕4号 三: "对首次创办小微企业或从事个体经营…给予 5000 元一次性
创业补贴"): a facts table listing one person twice had both rows paid 5,000元 (outside audit, session 41). Both rows
are quarantined as 键重复, as a repeated unit's are, and the counts reconcile."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROW = "152301199803151231,李某,150502,employment_difficulty,true,individual_business,92150502MA0000002U,12\n"
HEAD = "id_number,name,region_code,group,first_business,business_type,business_credit_code,operating_months\n"


def _screen(tmp_path: Path, body: str) -> dict:
    src = tmp_path / "sg.csv"
    src.write_text(HEAD + body, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "wengang", "screen", "--facts", str(src), "-p", "startup_grant", "-d", "2019-08-01",
         "-o", str(tmp_path / "out"), "--json", "--no-excel"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_one_persons_two_grant_rows_are_both_held_back(tmp_path):
    got = _screen(tmp_path, ROW * 2)
    table = got["input"][0]
    assert (table["in"], table["accepted"], table["quarantined"]) == (2, 0, 2)
    assert got["summary"]["total_amount_fen"] == 0


def test_one_row_a_person_is_paid_once(tmp_path):
    other = ROW.replace("152301199803151231", "150121196501010125")
    got = _screen(tmp_path, ROW + other)
    table = got["input"][0]
    assert (table["in"], table["accepted"], table["quarantined"]) == (2, 2, 0)
    assert got["summary"]["total_amount_fen"] == 2 * 500000
