"""Outbox delivery: retried on failure, never duplicated (file sender and a real local HTTP gateway)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ledger_helpers import DEADLINE, RUN, decision

from wengang.casework import FileSender, HttpSender


@pytest.fixture
def gateway():
    """A tiny SMS gateway: fails every key's first request with 503, deduplicates by Idempotency-Key."""
    state = {"requests": 0, "delivered": {}, "failed_once": set()}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            key = self.headers["Idempotency-Key"]
            state["requests"] += 1
            if key not in state["failed_once"]:
                state["failed_once"].add(key)
                self.send_response(503)
            elif key in state["delivered"]:
                self.send_response(409)
            else:
                state["delivered"][key] = body
                self.send_response(202)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", state
    srv.shutdown()


def test_http_sender_retries_and_never_duplicates(ledger, gateway):
    url, state = gateway
    ledger.import_decisions(RUN, [decision(i) for i in range(5)], "s")
    ledger.notify("fanhuan", 2025, "cw", deadline=DEADLINE, channels=("sms", "portal"))
    sender = HttpSender(url)
    stats = ledger.deliver_outbox(sender, rounds=3)
    assert stats["sent"] == 10 and stats["failed_attempts"] == 10
    assert len(state["delivered"]) == 10
    assert ledger.deliver_outbox(sender)["sent"] == 0  # nothing left: nothing sent again
    assert len(state["delivered"]) == 10 and state["requests"] == 20
    body = next(iter(state["delivered"].values()))
    assert body["recipient"] == "13800000000" and "稳岗返还" in body["body"]
    sender.close()
    assert ledger.verify_audit().ok


def test_crash_after_send_is_resent_with_same_key(ledger, gateway, tmp_path):
    """A sender that crashed after delivering leaves the message 'sending'; after the lease it is resent
    with the same key, and the gateway keeps one copy."""
    url, state = gateway
    ledger.import_decisions(RUN, [decision(1)], "s")
    ledger.notify("fanhuan", 2025, "cw", deadline=DEADLINE, channels=("sms",))
    sender = HttpSender(url)
    ledger.deliver_outbox(sender, rounds=2)
    with ledger.engine.begin() as c:  # simulate the crash: delivered but not marked sent
        c.exec_driver_sql("update case_outbox set state='sending', claimed_at='2000-01-01T00:00:00+00:00'")
    assert ledger.deliver_outbox(sender, lease_seconds=1)["sent"] == 1
    assert len(state["delivered"]) == 1
    sender.close()


def test_file_sender_writes_each_key_once(ledger, tmp_path):
    ledger.import_decisions(RUN, [decision(1), decision(2)], "s")
    ledger.notify("fanhuan", 2025, "cw", deadline=DEADLINE, channels=("sms",))
    out = tmp_path / "outbox.jsonl"
    assert ledger.deliver_outbox(FileSender(out))["sent"] == 2
    sender = FileSender(out)
    sender.send(key="1:inform:sms", channel="sms", recipient="x", body="again")
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert sorted(x["key"] for x in lines) == ["1:inform:sms", "2:inform:sms"]  # 内人社发〔2025〕18号: a notice, not an offer


def test_sender_failures_give_up_after_max_attempts(ledger):
    class Down:
        def send(self, **kw):
            raise ConnectionError("网关不可用")

    ledger.import_decisions(RUN, [decision(1)], "s")
    ledger.notify("fanhuan", 2025, "cw", deadline=DEADLINE, channels=("sms",))
    stats = ledger.deliver_outbox(Down(), max_attempts=2, rounds=5)
    assert stats == {"sent": 0, "failed_attempts": 2, "gave_up": 1, "remaining": 0}
    with ledger.engine.connect() as c:
        assert c.exec_driver_sql("select state, attempts from case_outbox").one() == ("failed", 2)
