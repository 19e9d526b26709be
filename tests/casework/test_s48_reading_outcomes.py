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


def _pending(ledger, tmp_path, n: int = 1) -> list[int]:
    codes = [make_credit_code("91", "150502", f"MA00048{i}5") for i in range(n)]
    facts = tmp_path / "facts.parquet"
    pl.DataFrame([{**UNIT, "credit_code": c} for c in codes]).write_parquet(facts)
    run_screening(tmp_path / "out", program="fanhuan", evaluation_date=ON, facts=facts, excel=False)
    si = read_screening_output(tmp_path / "out", year=2025)
    assert ledger.import_decisions(si.run, si.frame, "clerk").inserted == n
    return [ledger.find(program="fanhuan", year=2025, unit_id=c) for c in codes]


def test_adopting_a_reading_takes_the_rules_result_under_it(ledger, tmp_path):
    """The agency settles the open question once (认定政策理解); each 待认定 decision then takes the rules' own result
    under that reading from what it kept — no amount typed by hand, the reason naming the reading."""
    did, other = _pending(ledger, tmp_path, 2)
    sw = "fanhuan.base_payment_date"
    with pytest.raises(LedgerError, match="尚未认定") as e:
        ledger.adopt_readings(did, "clerk", readings={}, reason="")
    assert e.value.code == "bad_readings"
    # the agency's other determinations (a switch this decision does not depend on) are passed over, not recorded
    assert ledger.adopt_readings(did, "clerk", readings={sw: "by_period", "fanhuan.months_fully_paid": "consecutive"},
                                 reason="局务会议纪要〔2025〕9号") == ("eligible", 138_000)
    d = ledger.decision(did)
    assert d["state"] == "screened" and d["entitlement"]["amount_fen"] == 138_000
    assert d["entitlement"]["kinds"] == ["reading"]  # the rules' result, not an amount typed by hand
    why = next(h["reason"] for h in d["history"] if h["action"] == "resolve")
    assert "认定政策理解（规则结果：符合条件，1,380.00元）" in why and "局务会议纪要〔2025〕9号" in why, why
    assert "连续" not in why, why
    assert ledger.adopt_readings(other, "clerk", readings={sw: "paid_in_year"}, reason="") == ("eligible", 120_000)
    # its 决定书 says how the agency decided, not that the question is still open
    ledger.notify("fanhuan", 2025, "clerk", channels=("sms",))
    assert ledger.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert ledger.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1
    letter = _letter(ledger, did)
    assert "经办机构认定：认定政策理解（规则结果：符合条件，1,380.00元）" in letter and "1,380.00元" in letter, letter
    assert "尚待认定" not in letter and "结果取决于尚未认定" not in letter, letter
    with pytest.raises(LedgerError):  # decided: no second determination
        ledger.adopt_readings(did, "clerk", readings={sw: "paid_in_year"}, reason="")
    assert ledger.verify_audit().ok


def test_a_decision_without_kept_results_is_not_adopted(ledger):
    from ledger_helpers import RUN, decision

    ledger.import_decisions(RUN, [decision(7, status="needs_decision", amount_fen=None)], "clerk")
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(7).unit_id)
    with pytest.raises(LedgerError) as e:
        ledger.adopt_readings(did, "clerk", readings={"fanhuan.base_payment_date": "by_period"}, reason="")
    assert e.value.code == "no_outcomes" and "重新筛查" in e.value.zh
    # one the rules could not decide for want of data is told so: no reading settles it
    ledger.import_decisions(RUN, [decision(8, status="not_determinable", amount_fen=None)], "clerk")
    lacking = ledger.find(program="fanhuan", year=2025, unit_id=decision(8).unit_id)
    with pytest.raises(LedgerError) as e:
        ledger.adopt_readings(lacking, "clerk", readings={"fanhuan.base_payment_date": "by_period"}, reason="")
    assert e.value.code == "no_outcomes" and "缺少数据" in e.value.zh


def test_case_adopt_settles_every_pending_decision_of_a_selection(tmp_path):
    from ledger_helpers import MORE_STAFF, STAFF, register_staff
    from typer.testing import CliRunner

    from wengang.casework import Ledger
    from wengang.casework.cli import case_app

    url = f"sqlite:///{tmp_path}/ledger.db"
    led = register_staff(Ledger.open(url), STAFF | MORE_STAFF)
    ids = _pending(led, tmp_path, 3)
    led.close()
    pending = CliRunner().invoke(case_app, ["show", str(ids[0]), "--db", url, "--user", "clerk"]).output
    assert "各政策理解下的结果" in pending and "1,200.00元" in pending and "1,380.00元" in pending, pending
    r = CliRunner().invoke(case_app, ["adopt", "--state", "pending_determination", "--program", "fanhuan", "--year",
                                      "2025", "--reading", "fanhuan.base_payment_date=by_period", "--reason",
                                      "局务会议纪要〔2025〕9号", "--yes", "--db", url, "--user", "clerk"])
    assert r.exit_code == 0 and "成功 3" in r.output, r.output
    led = Ledger.open(url)
    try:
        assert [led.decision(i)["entitlement"]["amount_fen"] for i in ids] == [138_000] * 3
    finally:
        led.close()
    shown = CliRunner().invoke(case_app, ["show", str(ids[0]), "--db", url, "--user", "clerk"]).output
    assert "认定政策理解（规则结果：符合条件，1,380.00元）" in shown and "人工核定" not in shown, shown


def test_a_second_run_that_fixes_the_reading_advises_adopting_it(ledger, tmp_path):
    """The agency screens again with the question settled (``--reading``): the import names the stored 待认定 decision
    and the way on — ``case adopt`` with the run's readings — and taking it gives what the new run found."""
    (did,) = _pending(ledger, tmp_path)
    code = ledger.decision(did)["unit_id"]
    facts = tmp_path / "facts2.parquet"
    pl.DataFrame([{**UNIT, "credit_code": code}]).write_parquet(facts)
    sw = {"fanhuan.base_payment_date": "by_period"}
    run_screening(tmp_path / "out2", program="fanhuan", evaluation_date=ON, facts=facts, excel=False, readings=sw)
    si = read_screening_output(tmp_path / "out2", year=2025)
    assert si.frame.select("status", "amount_fen").row(0) == ("eligible", 138_000)
    res = ledger.import_decisions(si.run, si.frame, "clerk")
    [said] = [x for x in res.disagreements if x["decision_id"] == did]
    assert said["action"] == "resolve"
    assert f"wengang case adopt {did} --reading fanhuan.base_payment_date=by_period" in said["zh"], said["zh"]
    assert ledger.adopt_readings(did, "clerk", readings=si.run.readings, reason="") == ("eligible", 138_000)
