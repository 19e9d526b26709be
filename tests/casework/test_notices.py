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
    ledger.import_decisions(RUN, [decision(i) for i in range(5)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms", "portal"))
    sender = HttpSender(url)
    stats = ledger.deliver_outbox(sender, rounds=3, actor="clerk")
    assert stats["sent"] == 10 and stats["failed_attempts"] == 10
    assert len(state["delivered"]) == 10
    assert ledger.deliver_outbox(sender, actor="clerk")["sent"] == 0  # nothing left: nothing sent again
    assert len(state["delivered"]) == 10 and state["requests"] == 20
    body = next(iter(state["delivered"].values()))
    assert body["recipient"] == "13800000000" and "稳岗返还" in body["body"]
    sender.close()
    assert ledger.verify_audit().ok


def test_crash_after_send_is_resent_with_same_key(ledger, gateway, tmp_path):
    """A sender that crashed after delivering leaves the message 'sending'; after the lease it is resent
    with the same key, and the gateway keeps one copy."""
    url, state = gateway
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    sender = HttpSender(url)
    ledger.deliver_outbox(sender, rounds=2, actor="clerk")
    with ledger.engine.begin() as c:  # simulate the crash: delivered but not marked sent
        c.exec_driver_sql("update case_outbox set state='sending', claimed_at='2000-01-01T00:00:00+00:00'")
    assert ledger.deliver_outbox(sender, lease_seconds=1, actor="clerk")["sent"] == 1
    assert len(state["delivered"]) == 1
    sender.close()


def test_file_sender_writes_each_key_once(ledger, tmp_path):
    ledger.import_decisions(RUN, [decision(1), decision(2)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    out = tmp_path / "outbox.jsonl"
    assert ledger.deliver_outbox(FileSender(out), actor="clerk")["sent"] == 2
    sender = FileSender(out)
    sender.send(key="1:inform:sms", channel="sms", recipient="x", body="again")
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert sorted(x["key"] for x in lines) == ["1:inform:sms", "2:inform:sms"]  # 内人社发〔2025〕18号: a notice, not an offer


def test_sender_failures_give_up_after_max_attempts(ledger):
    class Down:
        def send(self, **kw):
            raise ConnectionError("网关不可用")

    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    stats = ledger.deliver_outbox(Down(), max_attempts=2, rounds=5, actor="clerk")
    assert stats == {"sent": 0, "failed_attempts": 2, "gave_up": 1, "remaining": 0}
    with ledger.engine.connect() as c:
        assert c.exec_driver_sql("select state, attempts from case_outbox").one() == ("failed", 2)


PERSON = "150202199001011236"  # a valid 公民身份号码 (check character 6)
MOBILE = "13812345678"


def test_outbox_keeps_no_full_identifier_and_the_gateway_gets_the_address(ledger, gateway, tmp_path):
    """Issue 12 item 5: a person's name missing, the 公示 name falls back to the ID number; the message body,
    the outbox row and the file sender's record show it masked; only the gateway receives the address."""
    from wengang.facts.identifiers import is_valid_id_number

    assert is_valid_id_number(PERSON)
    url, state = gateway
    ledger.import_decisions(RUN, [decision(1, unit_name=PERSON, contact=MOBILE),
                                  decision(2, unit_id=PERSON, unit_name=PERSON, contact=None)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms", "portal"))
    with ledger.engine.connect() as c:
        rows = c.exec_driver_sql("select recipient, body from case_outbox order by id").all()
    assert {r for r, _ in rows} == {"138****5678", "1502**********1236"}
    assert all(PERSON not in b and "1502**********1236" in b for _, b in rows)
    sender = HttpSender(url)
    assert ledger.deliver_outbox(sender, actor="clerk", rounds=2)["sent"] == 4
    sender.close()
    got = {(b["channel"], b["recipient"]) for b in state["delivered"].values()}
    assert got == {("sms", MOBILE), ("portal", MOBILE), ("sms", PERSON), ("portal", PERSON)}
    assert all(PERSON not in b["body"] for b in state["delivered"].values())
    out = tmp_path / "outbox.jsonl"
    with ledger.engine.begin() as c:
        c.exec_driver_sql("update case_outbox set state='pending'")
    assert ledger.deliver_outbox(FileSender(out), actor="clerk")["sent"] == 4
    text = out.read_text("utf-8")
    assert PERSON not in text and MOBILE not in text and "138****5678" in text


def test_last_error_has_no_credentials(ledger):
    """A gateway error names its URL: the user and password in it, token/sign parameters, an Authorization
    header and any phone number are scrubbed before the error is stored."""

    class Leaky:
        def send(self, **kw):
            raise ConnectionError(
                f"POST https://sms-user:s3cr3t-pw@sms.example.cn/api/send?appid=7&token=tk-998877&sign=abcdef12"
                f" failed; headers={{'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x1y2'}}; to={kw['recipient']}"
            )

    ledger.import_decisions(RUN, [decision(1, contact=MOBILE)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    ledger.deliver_outbox(Leaky(), actor="clerk", max_attempts=1, rounds=1)
    with ledger.engine.connect() as c:
        (err,) = c.exec_driver_sql("select last_error from case_outbox").one()
    for secret in ("sms-user", "s3cr3t-pw", "tk-998877", "abcdef12", "eyJhbGciOiJIUzI1NiJ9", MOBILE):
        assert secret not in err, secret
    assert "https://***@sms.example.cn/api/send?appid=7&token=***&sign=***" in err and "138****5678" in err


def test_http_sender_error_with_credentials_in_the_gateway_url(ledger, gateway):
    """The real client: a gateway URL with user:password and a token parameter, a 503 stored scrubbed."""
    url, _ = gateway
    host = url.removeprefix("http://")
    ledger.import_decisions(RUN, [decision(1)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    sender = HttpSender(f"http://gw-user:gw-pass@{host}/v1?token=T0KEN123")
    ledger.deliver_outbox(sender, actor="clerk", rounds=1)  # the gateway fails every key's first request
    sender.close()
    with ledger.engine.connect() as c:
        (err,) = c.exec_driver_sql("select last_error from case_outbox").one()
    assert "503" in err and "gw-pass" not in err and "gw-user" not in err and "T0KEN123" not in err
