"""`deliver_outbox` drains the outbox whatever its size, and says what is left (wengang issue 11, item 7)."""

from __future__ import annotations

import json
from dataclasses import asdict

import polars as pl
from ledger_helpers import DEADLINE, RUN, decision, register_staff
from typer.testing import CliRunner

from wengang.casework import FileSender, Ledger
from wengang.cli import app


def _queue(ledger, n: int) -> None:
    ledger.import_decisions(RUN, [decision(i) for i in range(n)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))


def test_more_messages_than_one_claim_per_round_are_all_sent(ledger, tmp_path):
    """It used to stop at ``limit × rounds`` (30,000 with the defaults) without saying so."""
    _queue(ledger, 7)
    out = tmp_path / "sms.jsonl"
    stats = ledger.deliver_outbox(FileSender(out), actor="clerk", limit=2, rounds=1)
    assert stats == {"sent": 7, "failed_attempts": 0, "gave_up": 0, "remaining": 0}
    assert len(out.read_text("utf-8").splitlines()) == 7


def test_what_keeps_failing_is_left_and_counted(ledger, tmp_path):
    class Flaky:
        """The gateway refuses one recipient's messages until it is fixed."""

        def __init__(self, bad: str | None):
            self.bad, self.sent = bad, []

        def send(self, *, key, channel, recipient, body):
            if key.startswith(self.bad or "-"):
                raise ConnectionError("网关拒收")
            self.sent.append(key)

    _queue(ledger, 5)
    with ledger.engine.connect() as c:
        first = c.exec_driver_sql("select idempotency_key from case_outbox order by id").scalars().first()
    sender = Flaky(first)
    stats = ledger.deliver_outbox(sender, actor="clerk", limit=2, rounds=2, max_attempts=5)
    # tried once per round, never given up: left for the next run
    assert stats == {"sent": 4, "failed_attempts": 2, "gave_up": 0, "remaining": 1}
    sender.bad = None
    assert ledger.deliver_outbox(sender, actor="clerk", limit=2) == {"sent": 1, "failed_attempts": 0, "gave_up": 0, "remaining": 0}
    assert sorted(sender.sent) == sorted(set(sender.sent)) and len(sender.sent) == 5
    assert ledger.verify_audit().ok


def test_case_send_reports_what_remains_and_exits_1(tmp_path):
    db = f"sqlite:///{tmp_path}/cli.db"
    pq = tmp_path / "screen.parquet"
    pl.DataFrame([asdict(decision(i)) for i in range(3)]).write_parquet(pq)
    runner = CliRunner()
    register_staff(Ledger.open(db)).close()

    def case(*args: str):
        return runner.invoke(app, ["case", *args, "--db", db, "--user", "clerk"])

    assert case("import", str(pq), "--program", "fanhuan", "--year", "2025", "--region", "150000").exit_code == 0
    assert runner.invoke(app, ["case", "release", "--state", "暂缓发放", "--reason", "已核实原始数据与决定一致", "--yes", "--db", db,
                               "--user", "checker"]).exit_code == 0
    assert case("notify", "fanhuan", "2025", "--channel", "sms").exit_code == 0
    # nothing listens on port 9 of the loopback: every message fails and stays due
    r = case("send", "--gateway", "http://127.0.0.1:9")
    assert r.exit_code == 1, r.output
    said = r.output.replace("\n", "")
    assert "仍有 3 条待发" in said and "再次运行 wengang case send" in said, r.output
    r = case("send", "--out", str(tmp_path / "sms.jsonl"))
    assert r.exit_code == 0 and "发送 3 条" in r.output, r.output
    assert len([json.loads(x) for x in (tmp_path / "sms.jsonl").read_text("utf-8").splitlines()]) == 3
