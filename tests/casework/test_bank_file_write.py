"""Where the bank file meets the disk: never recorded without a file, never a file without a record.

An audit made the target name a folder: the file was recorded in the ledger, its write then failed (exit 2) and no
command could write it again, so the batch's payments were stranded. Now the target is checked before anything is
recorded, and a rename that fails after the record keeps the recorded file under a name the error gives. Also: the
value date is Beijing's date, and the list of account changes shows full numbers only to those who approve them.

Every test on the ``ledger`` fixture runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from pathlib import Path

import pytest
from ledger_helpers import MORE_STAFF, PAYDAY, STAFF, register_staff, to_payable
from typer.testing import CliRunner

from wengang.casework import Ledger, outputs
from wengang.casework.cli import case_app
from wengang.casework.outputs import write_bank_file
from wengang.documents.bank import read_bank_file
from wengang.documents.errors import DocumentError

PAYER = "15001234567890123456"
BANK = "102191000019"


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


def _paid_batch(led, n: int = 3) -> None:
    to_payable(led, n)
    assert led.run_payment_batch("B1", "fanhuan", 2025, "cashier", today=PAYDAY).paid == n
    led.set_payee_banks({p["account_no"]: BANK for p in led.bank_file_plan("B1")["payments"]}, "cashier")


def test_a_target_that_cannot_be_written_is_refused_before_anything_is_recorded(ledger, tmp_path):
    _paid_batch(ledger)
    out = tmp_path / "bank"
    (out / "B1.txt").mkdir(parents=True)  # the audit's case: the file's name taken by a folder
    before = ledger.counts()
    with pytest.raises(DocumentError, match="已存在且不是文件"):
        write_bank_file(ledger, "B1", out, "cashier", payer_account=PAYER, on=PAYDAY)
    assert ledger.counts() == before and len(ledger.bank_file_plan("B1")["payments"]) == 3
    assert [p.name for p in out.iterdir()] == ["B1.txt"]  # no temporary left behind
    (out / "B1.txt").rmdir()
    sent = write_bank_file(ledger, "B1", out, "cashier", payer_account=PAYER, on=PAYDAY)
    assert sent is not None and read_bank_file(sent.path).count == 3


def test_a_rename_that_fails_after_the_record_keeps_the_recorded_file(ledger, tmp_path, monkeypatch):
    _paid_batch(ledger)
    out = tmp_path / "bank"

    real = os.replace

    def refuse(src, dst):  # the writers' own atomic writes go through; the final renames fail
        if str(dst).endswith(".tmp"):
            return real(src, dst)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs.os, "replace", refuse)
    with pytest.raises(DocumentError, match="已记入台账") as exc:
        write_bank_file(ledger, "B1", out, "cashier", payer_account=PAYER, on=PAYDAY)
    monkeypatch.undo()
    kept = [Path(p) for p in re.findall(r"(/\S+?\.tmp)", str(exc.value))]
    assert {p.suffix for p in kept} == {".tmp"} and all(p.is_file() for p in kept)
    digest = re.search(r"sha256 ([0-9a-f]{64})", str(exc.value)).group(1)
    txt = next(p for p in kept if ".txt." in p.name)
    assert hashlib.sha256(txt.read_bytes()).hexdigest() == digest  # the very file the ledger recorded
    assert ledger.bank_file_plan("B1")["payments"] == []  # recorded: not offered again
    os.replace(txt, out / "B1.txt")
    assert read_bank_file(out / "B1.txt").count == 3


def test_the_value_date_is_beijings_date(ledger, tmp_path, monkeypatch):
    _paid_batch(ledger)
    monkeypatch.setattr(outputs, "beijing_today", lambda: date(2025, 9, 2))
    sent = write_bank_file(ledger, "B1", tmp_path / "bank", "cashier", payer_account=PAYER)
    assert read_bank_file(sent.path).on == date(2025, 9, 2)


def test_account_requests_show_full_numbers_only_to_approvers(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    led = register_staff(Ledger.open(url), STAFF | MORE_STAFF)
    [did] = to_payable(led, 1)
    account = "6222021234567890123"
    led.set_account(did, "cashier", account_no=account, reason="单位更换基本户")
    led.close()
    runner = CliRunner()

    def listing(user: str) -> str:
        got = runner.invoke(case_app, ["account-requests", "--db", url, "-u", user])
        assert got.exit_code == 0, got.output
        return got.output

    assert account in listing("checker")  # 复核: compares it with the unit's papers
    for user in ("auditor", "clerk"):
        shown = listing(user)
        assert account not in shown and "6222" in shown
