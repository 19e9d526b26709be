"""A 待认定 decision keeps its result under each reading it depends on (``case_decisions.outcomes``, hashed from hash
version 4), so the ledger's 告知书 says what each understanding would give — as one case's does — where it had listed the
open questions alone (“the ledger keeps no per-reading outcomes”). A unit that paid part of last year's premiums after the
year (内人社发〔2025〕18号 一, switch ``fanhuan.base_payment_date``): 1,200.00元 without them, 1,380.00元 with them. The
path an agency walks: ``wengang screen --facts`` → ``case import`` (each row decided again, its outcomes taken from
there) → the 告知书. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from wengang.casework.errors import LedgerError
from wengang.casework.intake import read_screening_output
from wengang.casework.outputs import letter_input
from wengang.documents.letters import compose_letter
from wengang.facts.identifiers import make_credit_code
from wengang.screening.pipeline import run_screening

ON = date(2025, 8, 1)
AGENCY = {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府", "court": "有管辖权的人民法院"}
BASE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "fanhuan" / "eligible_sme.json").read_text("utf-8"))
for _k in ("_case", "paid_premium_last_year_yuan"):
    BASE.pop(_k)
UNIT = {**BASE, "paid_premium_last_year_fen": 200_000, "paid_premium_after_year_fen": 30_000}


def _letter(ledger, did: int) -> str:
    item = letter_input(ledger.letter_view(did))
    assert item is not None
    return "\n".join(compose_letter(item, AGENCY, issued_on=date(2025, 9, 1)).paragraphs)


def _says_both(letter: str) -> None:
    assert "待认定事项告知书" in letter or "结果取决于对以下条款的认定" in letter, letter
    assert "符合条件，金额人民币1,200.00元" in letter and "符合条件，金额人民币1,380.00元" in letter, letter


def test_a_screened_pending_decision_says_what_each_reading_gives(ledger, tmp_path):
    code = make_credit_code("91", "150502", "MA0000481")
    facts = tmp_path / "facts.parquet"
    pl.DataFrame([{**UNIT, "credit_code": code}]).write_parquet(facts)
    run_screening(tmp_path / "out", program="fanhuan", evaluation_date=ON, facts=facts, excel=False)
    si = read_screening_output(tmp_path / "out", year=2025)
    assert si.unconfirmed == 0
    assert si.frame["status"].to_list() == ["needs_decision"]
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == 1
    did = ledger.find(program="fanhuan", year=2025, unit_id=code)
    assert "fanhuan.base_payment_date=by_period:eligible:138000" in ledger.decision(did)["outcomes"]
    _says_both(_letter(ledger, did))
    assert ledger.verify_audit().ok
    with ledger.engine.begin() as c:  # hashed with the row: edited, the ledger no longer verifies
        c.execute(text("update case_decisions set outcomes = replace(outcomes, '138000', '998000')"))
    assert not ledger.verify_audit().ok


def test_outcomes_that_cannot_be_read_are_refused(ledger):
    """A ledger-format table may carry them (``base_fen`` and ``outcomes`` are optional columns); one the 告知书 could not
    read is refused whole, naming the row and the field, before anything is stored."""
    from ledger_helpers import RUN, decision

    good = decision(1, status="needs_decision", amount_fen=None,
                    outcomes="默认:eligible:120000|fanhuan.base_payment_date=by_period:eligible:138000")
    bad = decision(2, status="needs_decision", amount_fen=None, outcomes="默认:eligible:120000|按期:可能:1,380.00元")
    with pytest.raises(LedgerError, match="第 2 行 字段 outcomes"):
        ledger.import_decisions(RUN, [good, bad], "clerk")
    assert ledger.import_decisions(RUN, [good], "clerk").inserted == 1
